/*
 * metrics_page - the Prometheus text exposition (format 0.0.4) of what
 * the daemons count (metrics.h's files), what the store holds now, the
 * bypass and the rules' last reload.  Served at /metrics on
 * metrics_listen only (loopback; see main.c), never on the public
 * listener: rule names and volumes are the site's business.
 *
 * A reading that cannot be taken is not left out silently: its
 * sendwatch_metrics_readable{source=...} is 0.
 */
#ifndef SENDWATCH_WEB_METRICS_PAGE_H
#define SENDWATCH_WEB_METRICS_PAGE_H

#include "buf.h"
#include "config.h"
#include "store.h"

/* Appends the exposition to OUT.  0, or -1 when out of memory. */
int metrics_page(const struct config *cfg, struct store *store, struct buf *out);

#endif
