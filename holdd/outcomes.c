/* outcomes - see holdd.h: what became of a batch the root helper was asked to act on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "holdd.h"
#include "log.h"
#include "service.h"
#include "queueid.h"

/* Runs FN(ctx, t) in one write transaction and commits it.  0 or -1 (logged). */
int holdd_txn(struct holdd *h, const char *what,
              int (*fn)(void *ctx, struct store_txn *t, char *err, size_t errlen),
              void *ctx)
{
    char err[512];
    struct store_txn *t = store_begin(h->store, err, sizeof(err));
    if (t == NULL || fn(ctx, t, err, sizeof(err)) < 0) {
        store_abort(t);
        log_error("%s: %s", what, err);
        return -1;
    }
    if (store_commit(t, err, sizeof(err)) != 0) {
        log_error("%s: %s", what, err);
        return -1;
    }
    return 0;
}

int holdd_close_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct outcome *o = ctx;
    return hold_close(t, o->queue_id, o->state, time(NULL), o->why, err, errlen);
}

/* What one message of a batch was to become, and for whom. */
struct attempt {
    const char *qid;
    enum helper_op op;
    const char *by; /* "" for a deadline */
};

/* Records one failed attempt A in T, logged.  As hold_attempt_failed. */
static int attempt_failed(struct store_txn *t, const struct attempt *a, const char *why,
                          char *err, size_t errlen)
{
    long attempt = 0;
    time_t wait = 0;
    const char *qid = a->qid, *verb = a->op == HELPER_RELEASE ? "release" : "delete";
    int rc = hold_attempt_failed(t, qid, time(NULL),
                                 a->op == HELPER_RELEASE ? HOLD_RELEASE : HOLD_DELETE,
                                 a->by, why, &attempt, &wait, err, errlen);
    if (rc >= 0)
        log_warning("%s: %s failed (attempt %ld), retrying in %lld s: %s", qid, verb,
                    attempt, (long long)wait, why);
    return rc;
}

/* Records in T what became of A, which the helper did not move (RESULT). */
static int record_unmoved(struct store_txn *t, const struct attempt *a,
                          enum helper_result result, const char *detail,
                          struct listing *l, char *err, size_t errlen)
{
    char why[HELPER_DETAIL_SIZE + 64];
    const char *qid = a->qid;
    if (result == HELPER_NOT_OURS) {
        log_warning("%s: its queue file lacks sendwatch's marker: left alone", qid);
        return hold_close(t, qid, HOLD_GONE, time(NULL),
                          "its queue file lacks sendwatch's marker: left alone", err,
                          errlen);
    }
    if (result != HELPER_NOT_MOVED || !l->indexed) {
        /* Without a listing, "not moved" may mean gone: only a retry is safe. */
        snprintf(why, sizeof(why), "%s%s", *detail ? detail : helper_result_name(result),
                 result == HELPER_NOT_MOVED ? " (and the queue could not be listed)"
                                            : "");
        return attempt_failed(t, a, why, err, errlen);
    }
    const char *q = listing_queue(l, qid);
    if (q == NULL) {
        snprintf(why, sizeof(why), "no longer in the queue");
        log_warning("%s: gone: %s", qid, why);
        return hold_close(t, qid, HOLD_GONE, time(NULL), why, err, errlen);
    }
    if (strcmp(q, "hold") != 0) {
        /* Released outside sendwatch (postsuper -H by hand): it is on its way,
         * as reconcile says of such mail, and its password notice may go. */
        snprintf(why, sizeof(why), "released outside sendwatch: in %s", q);
        log_warning("%s: released: %s", qid, why);
        return hold_close(t, qid, HOLD_RELEASED, time(NULL), why, err, errlen);
    }
    snprintf(why, sizeof(why), "postsuper left it in hold%s%s", *detail ? ": " : "",
             detail);
    return attempt_failed(t, a, why, err, errlen);
}

/*
 * Counts what the helper did for the metrics; a release at its deadline
 * (DEADLINE, else 0) also says how late it went.
 */
static void count_outcome(struct holdd *h, enum hold_state state, time_t deadline)
{
    if (state == HOLD_RELEASED) {
        metrics_add(h->metrics, MC_RELEASED, 1);
        if (deadline != 0) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            metrics_observe(h->metrics, MH_LATENESS,
                            (double)(now.tv_sec - deadline) + now.tv_nsec / 1e9);
        }
    } else if (state == HOLD_DELETED) {
        metrics_add(h->metrics, MC_HOLD_DELETED, 1);
    }
}

/*
 * Asks the helper to OP the batch's IDs and records every outcome in one
 * transaction (with the requests it answers): STATE with WHY when done;
 * for mail the helper did not move, the queue listing tells: gone, or
 * elsewhere (closed as gone), or still in HOLD (a retry with backoff).
 * One transaction per batch: 10,000 releases are a few commits.
 */
void outcomes_carry_out(struct holdd *h, enum helper_op op, const struct batch *b,
                        enum hold_state state, const char *why)
{
    const char *verb = op == HELPER_RELEASE ? "release" : "delete";
    enum helper_result *res = calloc(b->n ? b->n : 1, sizeof(*res));
    char err[512], helper_err[512] = "", detail[HELPER_DETAIL_SIZE] = "";
    int called = res == NULL ? -1
                             : helper_call(h->helper, op, b->ids, b->n, res, detail,
                                           helper_err, sizeof(helper_err));
    struct listing listing = {0}; /* not indexed: no listing */
    bool any_unmoved = false;
    for (size_t i = 0; called == 0 && i < b->n; i++)
        any_unmoved = any_unmoved || res[i] == HELPER_NOT_MOVED;
    if (any_unmoved && listing_take(h->helper, &listing, err, sizeof(err)) != 0)
        log_error("cannot list the queue: %s", err);
    struct store_txn *t = store_begin(h->store, err, sizeof(err));
    int rc = t != NULL ? 0 : -1;
    if (called != 0)
        log_error("cannot %s %zu message(s): %s", verb, b->n,
                  res ? helper_err : "out of memory");
    for (size_t i = 0; i < b->n && rc >= 0; i++) {
        const char *by = b->by != NULL && b->by[i] != NULL ? b->by[i] : NULL;
        struct attempt a = {b->ids[i], op, by ? by : ""};
        if (called != 0) {
            rc = attempt_failed(t, &a, res ? helper_err : "out of memory", err,
                                sizeof(err));
        } else if (res[i] == HELPER_DONE) {
            char asked[220];
            if (by != NULL) /* each request's own asker: the audit trail names them */
                snprintf(asked, sizeof(asked), "requested by %s", by);
            const char *because = by != NULL ? asked : why;
            rc = hold_close(t, b->ids[i], state, time(NULL), because, err, sizeof(err));
            log_info("%s: %s (%s)", b->ids[i], hold_state_name(state), because);
            count_outcome(h, state, b->deadlines && by == NULL ? b->deadlines[i] : 0);
        } else {
            rc = record_unmoved(t, &a, res[i], detail, &listing, err, sizeof(err));
        }
    }
    for (size_t i = 0; i < b->nkeys && rc >= 0; i++)
        rc = store_txn_del(t, STORE_REQUESTS, b->request_keys[i], err, sizeof(err));
    if (rc < 0) {
        store_abort(t);
        log_error("cannot record %s outcomes: %s", verb, err);
    } else if (store_commit(t, err, sizeof(err)) != 0) {
        log_error("cannot record %s outcomes: %s", verb, err);
    }
    listing_free(&listing);
    free(res);
    /* A batch carried out is work moving: a long run of batches (10,000
     * releases at once after an outage) must not look like a hang. */
    service_watchdog_ping();
}
