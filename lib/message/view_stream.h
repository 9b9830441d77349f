/*
 * view_stream - a GMime stream over a spool, internal to the view.
 *
 * Lets GMime parse the message straight from the milter's spool (memory or
 * spill file) without a copy, and write a decoded attachment into a fresh
 * spool (appending only).  The spool is borrowed: it must outlive the
 * stream and every substream GMime makes of it.
 */
#ifndef SENDWATCH_VIEW_STREAM_H
#define SENDWATCH_VIEW_STREAM_H

#include <gmime/gmime.h>

#include "spool.h"

/* A new stream reading (and appending to) SP; release with g_object_unref(). */
GMimeStream *view_stream_new(struct spool *sp);

/* The first read or write error of the spool, or NULL; valid while the
 * stream lives.  Substreams and concatenations of it report theirs here. */
const char *view_stream_error(GMimeStream *stream);

#endif
