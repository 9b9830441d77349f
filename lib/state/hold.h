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

#include "marker.h"
#include "store.h"

/* What became of a held message. */
enum hold_state {
    HOLD_HELD,         /* waiting in Postfix's HOLD queue */
    HOLD_RELEASED,     /* sent on (at the deadline, on request, or outside sendwatch) */
    HOLD_DELETED,      /* removed from HOLD on request */
    HOLD_GONE,         /* no longer in Postfix's queue */
    HOLD_NEVER_QUEUED, /* its queue file never appeared (Postfix or the client gave
                        * up after the milter committed): no notice was sent */
};

/* "held", "released", "deleted", "gone", "never-queued". */
const char *hold_state_name(enum hold_state s);
bool hold_state_parse(const char *name, enum hold_state *s);

/* Requests: what the CLI and the web ask holdd to do. */
enum hold_action { HOLD_RELEASE, HOLD_DELETE, HOLD_RESCHEDULE };

/*
 * A hold record as stored (held[QUEUE_ID]), decoded.  Strings and arrays
 * are malloc'ed and owned by the struct: hold_record_clear() frees them.
 * Optional times and counts are 0 when not recorded yet.
 */
struct hold_record {
    char queue_id[64];
    enum hold_state state;
    char *sender;  /* "" for a bounce or adopted mail */
    char *subject; /* decoded, for display */
    char **recipients;
    size_t nrecipients;
    char **attachments; /* decoded names */
    size_t nattachments;
    uint64_t size;
    time_t created, deadline; /* the deadline the sender was told */
    time_t due;               /* the next try: the deadline, or a retry */
    time_t queued;            /* when its queue file was seen in HOLD (0: not yet) */
    char *outcome;            /* the last outcome's reason, or NULL */
    time_t outcome_time;
    long attempts;      /* failed release/delete attempts */
    char *retry;        /* after a failed attempt: "release" or "delete", else NULL */
    char *retry_by;     /* who asked for that ("" for a deadline), or NULL */
    time_t notice_sent; /* when the hold notice went out */
    long notice_attempts;
    char *notice_error; /* the last failed notice's reason, or NULL */
    time_t notice_retry;
    /* A request from the web (hold_request_once): its action's name, who
     * asked and when; NULL/0 when none was made. */
    char *requested;
    char *requested_by;
    time_t requested_time;
};

void hold_record_clear(struct hold_record *r);

/*
 * QUEUE_ID's record read in T into *R: 1 found (clear it afterwards), 0
 * absent, -1 with ERR (store error, or a record this version cannot read).
 */
int hold_get(struct store_txn *t, const char *queue_id, struct hold_record *r, char *err,
             size_t errlen);

/* The same in a read transaction of its own. */
int hold_get_stored(struct store *st, const char *queue_id, struct hold_record *r,
                    char *err, size_t errlen);

/*
 * Calls FN(CTX, R) for every hold record, in queue ID order; R is valid
 * during the call only.  FN returns 0 to go on, non-zero to stop.
 * Records this version cannot read are skipped and counted in *SKIPPED
 * (may be NULL).  0, or -1 with ERR.
 */
int hold_foreach(struct store *st, int (*fn)(void *ctx, const struct hold_record *r),
                 void *ctx, size_t *skipped, char *err, size_t errlen);

/* The header the milter adds; Postfix's milter_header_checks map it to HOLD. */
#define HOLD_MARKER_HEADER MARKER_HEADER

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
 * The notice job of a new hold is due this many seconds after the record
 * is made: Postfix writes the queue file only after the milter's answer,
 * so a look any sooner would mostly find nothing and have to wait anyway.
 */
#define HOLD_NOTICE_FIRST_LOOK 1

/*
 * Records a new hold in transaction T: the record, its due entry and the
 * job of its notice to the sender (outbox, kind "hold"), due
 * HOLD_NOTICE_FIRST_LOOK seconds after M->created.  The caller commits.
 * 0, or -1 with ERR.
 */
int hold_add(struct store_txn *t, const struct hold_message *m, char *err, size_t errlen);

/*
 * Moves QUEUE_ID's deadline to WHEN in T (a held record only: 0 done, 1 when
 * not held any more, -1 with ERR).
 */
int hold_reschedule(struct store_txn *t, const char *queue_id, time_t when, char *err,
                    size_t errlen);

/*
 * Closes QUEUE_ID in T: STATE (released, deleted, gone), the time and
 * a reason; its due entry goes, and its password notice's job, waiting
 * for the release (password_job.h), is made due (released) or dropped.
 * 0, 1 when it was not held, -1 with ERR.
 */
int hold_close(struct store_txn *t, const char *queue_id, enum hold_state state,
               time_t when, const char *why, char *err, size_t errlen);

/*
 * Notes in T that QUEUE_ID's queue file was seen in HOLD at NOW (a notice
 * goes out only after that).  0, 1 when not held, -1 with ERR.
 */
int hold_confirm_queued(struct store_txn *t, const char *queue_id, time_t now, char *err,
                        size_t errlen);

/*
 * Notes a failed attempt at NOW to ACTION (HOLD_RELEASE or HOLD_DELETE,
 * asked by BY; "" for a deadline) QUEUE_ID in T: the reason, the attempt
 * count (into *ATTEMPT) and the next try, 5 s doubling per failure up to
 * 5 minutes (its wait into *WAIT).  The record keeps what is to be retried
 * and for whom (retry, retry_by): a delete that failed is tried again as
 * a delete at that time, never sent.  The deadline the sender was told
 * stays.  0, 1 when not held, -1 with ERR.
 */
int hold_attempt_failed(struct store_txn *t, const char *queue_id, time_t now,
                        enum hold_action action, const char *by, const char *why,
                        long *attempt, time_t *wait, char *err, size_t errlen);

/* The wait after the ATTEMPTS+1st failure: 5 s, doubling, at most 5 minutes. */
time_t hold_backoff(long attempts);

/*
 * Outbox jobs: key "%016x.QUEUE_ID.KIND", the time before which the job
 * waits (its creation, or the retry after a failure), so keys are in the
 * order they are due.  KIND is "hold" (the hold notice, below) or
 * "password" (password_job.h).  The parser checks the kind and the queue
 * ID's presence; false for any other key.
 */
void hold_outbox_key(char *buf, size_t len, time_t not_before, const char *queue_id,
                     const char *kind);
bool hold_parse_outbox_key(const char *key, const char *kind, time_t *not_before,
                           char *qid, size_t qidlen);

/* The hold notice's job keys: hold_outbox_key() of kind "hold". */
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

/*
 * Queues a request (its own transaction) and wakes holdd through SOCKET
 * (a missed wake-up only delays it until holdd's next look).  BY says who
 * asked ("cli", "web:user@example.com").  0, or -1 with ERR.
 */
int hold_request(struct store *st, const char *socket, enum hold_action action,
                 const char *queue_id, time_t when, const char *by, char *err,
                 size_t errlen);

/* The request alone, in T (the caller commits, then hold_wake()s). */
int hold_request_in(struct store_txn *t, enum hold_action action, const char *queue_id,
                    time_t when, const char *by, char *err, size_t errlen);

/* The same for N queue IDs at once, in one transaction. */
int hold_request_many(struct store *st, const char *socket, enum hold_action action,
                      const char *const *queue_ids, size_t n, time_t when, const char *by,
                      char *err, size_t errlen);

/* What hold_request_once() found. */
enum hold_once {
    HOLD_ONCE_QUEUED,  /* the request is queued (commit T, then hold_wake()) */
    HOLD_ONCE_ASKED,   /* a release or delete was asked for already: nothing done */
    HOLD_ONCE_CLOSED,  /* not held any more (released, deleted, gone): nothing done */
    HOLD_ONCE_UNKNOWN, /* no hold record */
};

/*
 * The web's release and delete: asked once per message.  In T, when
 * QUEUE_ID is held and nobody asked yet, marks its record as asked
 * (requested, requested_by, requested_time = NOW) and queues the request
 * by BY; a second ask - a replayed link, a second click - finds the mark
 * and changes nothing.  The record as found goes to *FOUND (clear it)
 * unless UNKNOWN.  Returns an enum hold_once, or -1 with ERR.
 */
int hold_request_once(struct store_txn *t, enum hold_action action, const char *queue_id,
                      const char *by, time_t now, struct hold_record *found, char *err,
                      size_t errlen);

/* Wakes holdd (a datagram to SOCKET); best effort. */
void hold_wake(const char *socket);

const char *hold_action_name(enum hold_action a);
bool hold_action_parse(const char *name, enum hold_action *a);

/* A request as stored (requests[KEY]: time-ordered), decoded. */
struct hold_request {
    char key[96];
    enum hold_action action;
    char queue_id[64];
    time_t when;  /* reschedule: the new deadline */
    char by[160]; /* who asked: "cli", "web:user@example.com" */
    time_t created;
};

/*
 * Calls FN(CTX, R) for each request in the order they were made, at most
 * MAX of them; R is valid during the call only.  A request this version
 * cannot read (no action, an unknown one, a bad queue ID) goes to FN with
 * MALFORMED true and only R->key set, so the caller can drop it.  0, or
 * -1 with ERR.
 */
int hold_requests_foreach(struct store *st, size_t max,
                          int (*fn)(void *ctx, const struct hold_request *r,
                                    bool malformed),
                          void *ctx, char *err, size_t errlen);

#endif
