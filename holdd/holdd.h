/*
 * holdd - what the jobs of sendwatch-holdd share: the daemon's state, in
 * one struct, and the transaction and outcome helpers.  The jobs, a file
 * each: release.c (deadlines), requests.c (release/delete/reschedule asked
 * by the CLI and the web), notices.c (the outbox), deliveries.c
 * (quarantined copies an admin sends on), reconcile.c (LMDB
 * against Postfix's queue); outcomes.c records what the root helper did.
 * One thread; every function here logs its own failures.
 */
#ifndef SENDWATCH_HOLDD_HOLDD_H
#define SENDWATCH_HOLDD_HOLDD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "helper.h"
#include "listing.h"
#include "hold.h"
#include "metrics.h"
#include "notice.h"
#include "store.h"
#include "secret.h"
#include "token.h"

/* Set by SIGTERM/SIGINT; every job's loop stops at it. */
extern volatile sig_atomic_t holdd_stopping;

/* The scratch of the jobs' batches: large, so allocated once. */
struct holdd_scratch {
    struct {
        time_t now, next; /* next: the earliest deadline still in the future, or 0 */
        char ids[HELPER_MAX_IDS][HELPER_ID_SIZE];
        time_t deadline[HELPER_MAX_IDS];
        time_t release_deadline[HELPER_MAX_IDS]; /* of release_ids, for the lateness */
        size_t n;
        /* What is due, split by what a failed attempt left to retry (hold.h) */
        const char *release_ids[HELPER_MAX_IDS], *delete_ids[HELPER_MAX_IDS];
        const char *release_by[HELPER_MAX_IDS], *delete_by[HELPER_MAX_IDS];
        char by[HELPER_MAX_IDS][sizeof(((struct hold_request *)0)->by)];
    } due;
    struct {
        struct hold_request r[HELPER_MAX_IDS];
        bool malformed[HELPER_MAX_IDS];
        size_t n;
        const char *release_ids[HELPER_MAX_IDS], *release_keys[HELPER_MAX_IDS],
            *release_by[HELPER_MAX_IDS];
        const char *delete_ids[HELPER_MAX_IDS], *delete_keys[HELPER_MAX_IDS],
            *delete_by[HELPER_MAX_IDS];
    } requests;
    struct {
        const char *ids[HELPER_MAX_IDS];
        enum helper_result res[HELPER_MAX_IDS];
    } adopt;
};

struct holdd {
    const struct config *cfg;
    struct store *store;
    int helper;                         /* the root helper's channel */
    int wake;                           /* the wake-up socket */
    struct notice_templates *templates; /* read as root at start */
    struct token_key key;               /* web_key_file, read as root at start */
    struct secret_key secret;           /* derived from it: opens the jobs' passwords */
    struct secret_key notice_key;       /* and signs what holdd sends (notice_mark.h) */
    struct metrics *metrics;            /* counters for /metrics; NULL: none */
    struct bypass_watch *bypass;        /* the automatic bypass (bypass.c); NULL: off */
    unsigned told_not_ours;             /* "not ours" lines logged (at most 100) */
    struct holdd_scratch *scratch;
};

/* Runs FN(ctx, t) in one write transaction and commits it.  0 or -1 (logged as WHAT). */
int holdd_txn(struct holdd *h, const char *what,
              int (*fn)(void *ctx, struct store_txn *t, char *err, size_t errlen),
              void *ctx);

/* One message closed on its own (reconcile): for holdd_txn with holdd_close_fn. */
struct outcome {
    const char *queue_id;
    enum hold_state state;
    const char *why;
};
int holdd_close_fn(void *ctx, struct store_txn *t, char *err, size_t errlen);

/* What one batch asked of the helper, and the request keys it answers. */
struct batch {
    const char *const *ids;
    size_t n;
    const char *const *request_keys; /* deleted with the outcomes; NULL: none */
    size_t nkeys;
    /* Per ID, who asked (recorded as "requested by"); NULL, or a NULL
     * entry: nobody (the deadline; WHY is recorded). */
    const char *const *by;
    /* Per ID, the deadline it was released at (the lateness metric); NULL: asked. */
    const time_t *deadlines;
};

/*
 * Asks the helper to OP (RELEASE or DELETE) the batch's IDs and records
 * every outcome in one transaction, with the requests it answers.
 */
void outcomes_carry_out(struct holdd *h, enum helper_op op, const struct batch *b,
                        enum hold_state state, const char *why);

/* Releases everything due; returns the next deadline (0: none). */
time_t release_due(struct holdd *h);

/* Carries out the CLI's and the web's requests. */
void requests_process(struct holdd *h);

/* Sends the notices that are due; returns when to look again (0: nothing waits). */
time_t notices_process(struct holdd *h);

/*
 * Sends the quarantined copy of the web job KEY (kind deliver) on to its
 * original recipients (deliveries.c).  0, or -1 when the store failed.
 */
int deliver_quarantined(struct holdd *h, const char *key);

/* For holdd_txn: drops the outbox job whose key is CTX. */
int holdd_drop_job_fn(void *ctx, struct store_txn *t, char *err, size_t errlen);

/*
 * Hands N notices to the helper as helper_submit() does, each signed
 * first (notice_mark.h) for notice_sender and its recipient, and counts
 * them as sent or failed (submit.c).
 */
int holdd_submit(struct holdd *h, const char *const *rcpts, const char *const *messages,
                 size_t n, enum helper_result *results, char *detail, char *err,
                 size_t errlen);

/*
 * helper_deliver(), the copy signed first for the N RCPTS (a mark it
 * carried already is left out).  When signing fails or the signed copy is
 * too large, nothing is handed over: 0 with *RESULT FAILED or REFUSED.
 */
int holdd_deliver(struct holdd *h, const char *sender, const char *const *rcpts, size_t n,
                  const char *message, size_t len, enum helper_result *result,
                  char *detail, char *err, size_t errlen);

/*
 * The automatic bypass (bypass.c): probes the milter now and then and
 * switches sendwatch-bypass on or off when auto_bypass says so.  Called
 * every turn of the loop; cheap when there is nothing to do.
 */
void bypass_watch_turn(struct holdd *h);
void bypass_watch_free(struct holdd *h);

/* Reconciles LMDB with Postfix's queue listing. */
void reconcile_run(struct holdd *h);

#endif
