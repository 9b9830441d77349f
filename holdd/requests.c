/* requests - see holdd.h: release, delete and reschedule, as asked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "holdd.h"
#include "log.h"
#include "queueid.h"

static int collect_request(void *ctx, const struct hold_request *r, bool malformed)
{
    __typeof__(((struct holdd_scratch *)0)->requests) *b = ctx;
    b->r[b->n] = *r;
    b->malformed[b->n++] = malformed;
    return 0;
}

/*
 * Carries out the requests, a batch at a time: reschedules (and requests
 * that cannot be carried out) in one transaction, releases and deletes of
 * mail still held in one helper call each, each request's asker
 * recorded with its outcome.  Long because the three kinds of request are
 * sorted in one pass over one transaction.
 */
void requests_process(struct holdd *h)
{
    __typeof__(h->scratch->requests) *rq = &h->scratch->requests;
    const char **release_ids = rq->release_ids, **release_keys = rq->release_keys,
               **release_by = rq->release_by;
    const char **delete_ids = rq->delete_ids, **delete_keys = rq->delete_keys,
               **delete_by = rq->delete_by;
    char err[512];
    size_t batch_size;
    do {
        rq->n = 0;
        if (hold_requests_foreach(h->store, HELPER_MAX_IDS, collect_request, rq, err,
                                  sizeof(err)) != 0) {
            log_error("cannot read requests: %s", err);
            return;
        }
        batch_size = rq->n;
        size_t nrelease = 0, ndelete = 0;
        struct store_txn *t = store_begin(h->store, err, sizeof(err));
        int rc = t != NULL ? 0 : -1;
        for (size_t i = 0; i < rq->n && rc >= 0; i++) {
            const struct hold_request *r = &rq->r[i];
            if (rq->malformed[i]) {
                log_warning("request %s is malformed: dropped", r->key);
                rc = store_txn_del(t, STORE_REQUESTS, r->key, err, sizeof(err));
                continue;
            }
            if (r->action == HOLD_RESCHEDULE) {
                time_t when = r->when ? r->when : time(NULL);
                rc = hold_reschedule(t, r->queue_id, when, err, sizeof(err));
                if (rc >= 0)
                    log_info("%s: rescheduled to %lld by %s%s", r->queue_id,
                             (long long)when, r->by,
                             rc == 1 ? " (not held: nothing to do)" : "");
                if (rc >= 0)
                    rc = store_txn_del(t, STORE_REQUESTS, r->key, err, sizeof(err));
                continue;
            }
            /* Only mail sendwatch holds: a record in state held. */
            struct hold_record held;
            int found = hold_get(t, r->queue_id, &held, err, sizeof(err));
            if (found == 1 && held.state == HOLD_HELD) {
                if (r->action == HOLD_RELEASE) {
                    release_ids[nrelease] = r->queue_id;
                    release_by[nrelease] = r->by;
                    release_keys[nrelease++] = r->key;
                } else {
                    delete_ids[ndelete] = r->queue_id;
                    delete_by[ndelete] = r->by;
                    delete_keys[ndelete++] = r->key;
                }
            } else {
                log_warning("%s: %s requested by %s: not held (%s)", r->queue_id,
                            hold_action_name(r->action), r->by,
                            found == 1   ? hold_state_name(held.state)
                            : found == 0 ? "unknown"
                                         : err);
                rc = store_txn_del(t, STORE_REQUESTS, r->key, err, sizeof(err));
            }
            if (found == 1)
                hold_record_clear(&held);
        }
        if (rc < 0) {
            store_abort(t);
            log_error("cannot carry out requests: %s", err);
        } else if (store_commit(t, err, sizeof(err)) != 0) {
            log_error("cannot carry out requests: %s", err);
            rc = -1;
        }
        if (rc >= 0 && nrelease > 0) {
            struct batch batch = {release_ids, nrelease,   release_keys,
                                  nrelease,    release_by, NULL};
            outcomes_carry_out(h, HELPER_RELEASE, &batch, HOLD_RELEASED, "requested");
        }
        if (rc >= 0 && ndelete > 0) {
            struct batch batch = {delete_ids, ndelete,   delete_keys,
                                  ndelete,    delete_by, NULL};
            outcomes_carry_out(h, HELPER_DELETE, &batch, HOLD_DELETED, "requested");
        }
        if (rc < 0)
            return;
    } while (batch_size == HELPER_MAX_IDS && !holdd_stopping);
}
