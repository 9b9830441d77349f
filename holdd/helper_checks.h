/*
 * helper_checks - the root helper's judgements, as pure functions so that
 * unit tests can hold them to the contract (helper_protocol.h): which
 * requests it takes, how it reads Postfix's own reports, and which queue
 * files are sendwatch's.  None reads a file or runs anything; thread-safe.
 */
#ifndef SENDWATCH_HOLDD_HELPER_CHECKS_H
#define SENDWATCH_HOLDD_HELPER_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "helper_protocol.h"

/* Each of R's IDs is a NUL-terminated long Postfix queue ID (short ones are
 * reused by Postfix); nids within bounds.  false with WHY. */
bool helper_check_ids(const struct helper_request *r, char *why, size_t whylen);

/* For SUBMIT, whether its notices are at most HELPER_MAX_NOTICES of at
 * most HELPER_MESSAGE_MAX bytes each; their sum into *TOTAL.  true for
 * the other operations (*TOTAL 0). */
bool helper_check_sizes(const struct helper_request *r, size_t *total);

/*
 * A notice the helper will submit: RCPT a strict addr-spec (parse.h), the
 * MESSAGE (LEN bytes) without NUL bytes, within HELPER_MESSAGE_MAX, a header
 * block ended by a blank line that holds "Auto-Submitted: auto-generated".
 * false with WHY.
 */
bool helper_check_notice(const char *rcpt, const char *message, size_t len, char *why,
                         size_t whylen);

/* Whether postsuper's REPORT (its standard error) says it moved ID:
 * "postsuper: ID: released from hold" (RELEASE) or "postsuper: ID: removed". */
bool helper_report_moved(const char *report, const char *id, bool release);

/* Whether HEADERS ("postcat -h" output) hold sendwatch's marker for ID:
 * a line "X-Sendwatch-Hold:" and ID (the milter writes the message's own
 * queue ID, which a client cannot know in advance). */
bool helper_headers_marked(const char *headers, const char *id);

/*
 * The path of the long queue ID's file under the hold directory, into
 * PATH (LEN bytes), as Postfix lays it out: ID itself, or with DEPTH
 * levels of hashed subdirectories when hold is in hash_queue_names.
 * false when ID is not a long queue ID or PATH is too small.
 */
bool helper_hold_path(const char *id, long depth, char *path, size_t len);

/*
 * DELIVER: the envelope (a strict addr-spec sender or the null sender,
 * 1 to HELPER_DELIVER_RCPTS strict addr-spec recipients) and MESSAGE
 * (D->len bytes: no NUL, a header block that ends).  True, or false with WHY.
 */
bool helper_check_delivery(const struct helper_delivery *d, const char *message,
                           char *why, size_t whylen);

#endif
