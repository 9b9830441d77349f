/*
 * audit - the audit log: every state change a person asked for, through
 * the web or the CLI: who, what, to what, when, from where, and how it
 * ended.  Kept in LMDB ("audit", keyed by time and a sequence, so key
 * order is time order) as records (record module), and meant to be written
 * in the same transaction as the change itself: a change without its audit
 * line, or a line without its change, cannot be committed.
 *
 * Fields: time (seconds, UTC), who ("admin:NAME", "user:ADDRESS",
 * "link", "cli:USER"), action ("release", "delete", "login", ...),
 * target (a queue ID, an address, a quarantine key; may be ""), from
 * (the client's address, "" for the CLI) and result ("ok" or why not).
 * Values may hold any byte but NUL; readers escape them for display.
 *
 * Thread-safe (so is the store); never logs.
 */
#ifndef SENDWATCH_AUDIT_H
#define SENDWATCH_AUDIT_H

#include <stddef.h>
#include <time.h>

#include "store.h"

struct audit_entry {
    time_t time;
    const char *who, *action, *target, *from, *result;
};

/* Adds E in T (the transaction of the change it records).  0, or -1 with ERR. */
int audit_add(struct store_txn *t, const struct audit_entry *e, char *err, size_t errlen);

/* Adds E in a transaction of its own (a change that wrote nothing else: a login). */
int audit_add_stored(struct store *st, const struct audit_entry *e, char *err,
                     size_t errlen);

/*
 * Calls FN with the entries, newest first, skipping the first SKIP (pages);
 * FN returns non-zero to stop.  The entry is valid during the call only.
 * Entries this version cannot read are skipped.  0, or -1 with ERR.
 */
int audit_foreach_newest(struct store *st, size_t skip,
                         int (*fn)(void *ctx, const struct audit_entry *e), void *ctx,
                         char *err, size_t errlen);

/*
 * Drops the entries older than BEFORE (audit_keep_days), oldest first
 * (store_delete_matching); how many into *N.  0, or -1 with ERR.
 */
int audit_prune(struct store *st, time_t before, size_t *n, char *err, size_t errlen);

#endif
