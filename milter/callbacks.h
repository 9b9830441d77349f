/*
 * callbacks - sendwatch-milter's libmilter callbacks and per-message state.
 *
 * Per connection a context is made at connect (or at the first command
 * when connect was skipped) and freed at close; per message the envelope,
 * the headers and the body are collected into a spool (memory, then a
 * private file past message_memory_limit), under the config and rules
 * snapshot current at MAIL FROM.  At end-of-message the queue ID (the "i"
 * macro) is read, the message is inspected (view + rules) and the verdict
 * applied; one line is logged per message, one audit line per match.
 * Any per-message problem is logged and answered with a temporary failure:
 * the client retries and nothing passes unchecked.
 *
 * The store given to callbacks_set_store() is borrowed and must outlive
 * smfi_main().
 */
#ifndef SENDWATCH_MILTER_CALLBACKS_H
#define SENDWATCH_MILTER_CALLBACKS_H

#include "store.h"

/* Registers the filter with libmilter.  Returns 0, or -1 (libmilter said no). */
int callbacks_register(void);

/* The state store the callbacks write to; set before smfi_main(). */
void callbacks_set_store(struct store *store);

/*
 * The key derived from web_key_file at start (secret.h): it seals the
 * password a notice job keeps and opens the senders' own; borrowed, and
 * set before smfi_main().
 */
struct secret_key;
void callbacks_set_password_key(const struct secret_key *key);

/*
 * The key that checks the X-Sendwatch-Origin header of sendwatch's own
 * messages (notice_mark.h), derived at start; borrowed, set before
 * smfi_main().  Unset, every such header is refused.
 */
void callbacks_set_notice_key(const struct secret_key *key);

/* Where the counters go (metrics.h); NULL keeps none.  Set before smfi_main(). */
struct metrics;
void callbacks_set_metrics(struct metrics *metrics);

#endif
