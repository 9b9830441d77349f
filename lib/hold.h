/*
 * hold - the held-mail records shared by the milter, holdd and the CLI.
 *
 * A held message is in Postfix's HOLD queue (put there by the marker
 * header, see contrib/postfix) and has, in LMDB:
 *   held[QUEUE_ID]          its record: sender, recipients, subject, size,
 *                           attachment names, created, deadline, state and
 *                           the last outcome (what happened, when, why);
 *   due["%016llx.QUEUE_ID"] while it waits: deadline-ordered, so holdd
 *                           finds the next one with a cursor;
 *   requests[...]           release / delete / reschedule asked for by the
 *                           CLI or the web, carried out by holdd.
 * Every change that touches more than one of these is one transaction.
 * States: held (waiting), released, deleted, gone (no longer in Postfix's
 * queue).  Times are seconds since the epoch, UTC.
 */
#ifndef SENDWATCH_HOLD_H
#define SENDWATCH_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store.h"

/* The header the milter adds; Postfix's milter_header_checks map it to HOLD. */
#define HOLD_MARKER_HEADER "X-Sendwatch-Hold"

/* What the milter knows of a message it holds (all borrowed). */
struct hold_message {
    const char *queue_id;
    const char *sender;
    char *const *recipients;
    size_t nrecipients;
    const char *subject; /* decoded, for display */
    uint64_t size;
    const char *const *attachments; /* decoded names */
    size_t nattachments;
    time_t created, deadline;
    bool notify; /* queue the hold notice to the sender */
};

/* The due key of QUEUE_ID at DEADLINE into BUF (at least HOLD_DUE_KEY_MAX bytes). */
#define HOLD_DUE_KEY_MAX 96
void hold_due_key(char *buf, size_t len, time_t deadline, const char *queue_id);

/* Splits a due key into its deadline and queue ID (into QID, QIDLEN bytes); false if
 * malformed. */
bool hold_parse_due_key(const char *key, size_t key_len, time_t *deadline, char *qid,
                        size_t qidlen);

/*
 * Records a new hold in transaction T: the record, its due entry and the
 * job of its notice to the sender (outbox, kind "hold").  The caller
 * commits.  0, or -1 with ERR.
 */
int hold_add(struct store_txn *t, const struct hold_message *m, char *err, size_t errlen);

/*
 * Moves QUEUE_ID's deadline to WHEN in T (a held record only: 0 done, 1 when
 * not held any more, -1 with ERR).
 */
int hold_reschedule(struct store_txn *t, const char *queue_id, time_t when, char *err,
                    size_t errlen);

/*
 * Closes QUEUE_ID in T: STATE ("released", "deleted", "gone"), the time and
 * a reason; its due entry goes.  0, 1 when it was not held, -1 with ERR.
 */
int hold_close(struct store_txn *t, const char *queue_id, const char *state, time_t when,
               const char *why, char *err, size_t errlen);

/*
 * Notes a failed attempt at NOW on QUEUE_ID in T: the reason, the attempt
 * count (into *ATTEMPT) and the next try, 5 s doubling per failure up to
 * 5 minutes (its wait into *WAIT); the deadline the sender was told stays.
 * 0, 1 when not held, -1 with ERR.
 */
int hold_attempt_failed(struct store_txn *t, const char *queue_id, time_t now,
                        const char *why, long *attempt, time_t *wait, char *err,
                        size_t errlen);

/*
 * Notice jobs (outbox): key "%016x.QUEUE_ID.hold", the time before which
 * the job waits (its creation, or the retry after a failure), so keys are
 * in the order they are due.
 */
void hold_notice_job_key(char *buf, size_t len, time_t not_before, const char *queue_id);
bool hold_parse_notice_job_key(const char *key, time_t *not_before, char *qid,
                               size_t qidlen);

/*
 * Notes in T how the notice job JOB_KEY of QUEUE_ID went: WHY NULL, sent
 * (notice_sent = NOW, the job goes); else failed: notice_attempts counts
 * it, notice_error says WHY, and the job waits until notice_retry, with
 * the same backoff as releases (*ATTEMPT, *WAIT).  Without a hold record
 * the job just goes.  0, or -1 with ERR.
 */
int hold_notice_outcome(struct store_txn *t, const char *job_key, const char *queue_id,
                        time_t now, const char *why, long *attempt, time_t *wait,
                        char *err, size_t errlen);

/* Requests: what the CLI and the web ask holdd to do. */
enum hold_action { HOLD_RELEASE, HOLD_DELETE, HOLD_RESCHEDULE };

/*
 * Queues a request (its own transaction) and wakes holdd through SOCKET
 * (a missed wake-up only delays it until holdd's next look).  BY says who
 * asked ("cli", "web:user@example.com").  0, or -1 with ERR.
 */
int hold_request(struct store *st, const char *socket, enum hold_action action,
                 const char *queue_id, time_t when, const char *by, char *err,
                 size_t errlen);

/* The same for N queue IDs at once, in one transaction. */
int hold_request_many(struct store *st, const char *socket, enum hold_action action,
                      const char *const *queue_ids, size_t n, time_t when, const char *by,
                      char *err, size_t errlen);

/* Wakes holdd (a datagram to SOCKET); best effort. */
void hold_wake(const char *socket);

const char *hold_action_name(enum hold_action a);
bool hold_action_parse(const char *name, enum hold_action *a);

#endif
