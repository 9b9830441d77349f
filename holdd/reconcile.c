/* reconcile - see holdd.h: LMDB against Postfix's queue listing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "holdd.h"
#include "log.h"
#include "queueid.h"

struct held_scan {
    struct listing queue; /* the whole listing */
    char (*gone)[HELPER_ID_SIZE];
    char (*never)[HELPER_ID_SIZE]; /* not in the queue, and never seen there */
    char (*elsewhere)[HELPER_ID_SIZE];
    size_t ngone, nnever, nelsewhere, cap;
    time_t now;     /* when the listing was taken */
    unsigned grace; /* hold_queue_grace */
};

static int scan_held(void *ctx, const struct hold_record *r)
{
    struct held_scan *s = ctx;
    if (r->state != HOLD_HELD || s->now - r->created < (time_t)s->grace)
        return 0;
    const char *q = listing_queue(&s->queue, r->queue_id);
    if (q == NULL && r->queued == 0 && s->nnever < s->cap)
        snprintf(s->never[s->nnever++], HELPER_ID_SIZE, "%s", r->queue_id);
    else if (q == NULL && r->queued != 0 && s->ngone < s->cap)
        snprintf(s->gone[s->ngone++], HELPER_ID_SIZE, "%s", r->queue_id);
    else if (q != NULL && strcmp(q, "hold") != 0 && s->nelsewhere < s->cap)
        snprintf(s->elsewhere[s->nelsewhere++], HELPER_ID_SIZE, "%s", r->queue_id);
    return 0;
}

struct adopt {
    const char *queue_id;
    time_t deadline;
};

static int adopt_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct adopt *a = ctx;
    char *data = NULL;
    int known = store_txn_get(t, STORE_HELD, a->queue_id, &data, NULL, err, errlen);
    free(data);
    if (known != 0)
        return known < 0 ? -1 : 1;
    struct hold_message m = {.queue_id = a->queue_id,
                             .sender = "",
                             .subject = "",
                             .created = time(NULL),
                             .deadline = a->deadline};
    return hold_add(t, &m, err, errlen);
}

/*
 * Mail in HOLD that LMDB does not know: adopted with the default delay,
 * but only when its queue file carries sendwatch's marker (the milter put
 * it there and crashed before, or LMDB was lost).  An admin's postsuper -h
 * or another milter's quarantine is left alone, said once per start.
 */
static void adopt_unknown(struct holdd *h, const struct listed *l, size_t n)
{
    const char **ids = h->scratch->adopt.ids;
    enum helper_result *res = h->scratch->adopt.res;
    char err[512], detail[HELPER_DETAIL_SIZE];
    size_t k = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && strcmp(l[i].queue, "hold") == 0 &&
            queueid_classify(l[i].queue_id) == QUEUEID_LONG) {
            char *data = NULL;
            if (store_get(h->store, STORE_HELD, l[i].queue_id, &data, NULL, err,
                          sizeof(err)) == 0)
                ids[k++] = l[i].queue_id;
            free(data);
        }
        if (k == 0 || (k < HELPER_MAX_IDS && i < n))
            continue;
        if (helper_call(h->helper, HELPER_MARKED, ids, k, res, detail, err,
                        sizeof(err)) != 0) {
            log_error("cannot look for sendwatch's marker: %s", err);
            return;
        }
        for (size_t j = 0; j < k; j++) {
            struct adopt a = {ids[j], time(NULL) + (time_t)h->cfg->hold_minutes * 60};
            if (res[j] != HELPER_DONE) {
                if (h->told_not_ours < 100 && ++h->told_not_ours)
                    log_info(
                        "%s: in HOLD without sendwatch's marker: not ours, left alone",
                        ids[j]);
            } else if (holdd_txn(h, a.queue_id, adopt_fn, &a) == 0) {
                log_warning(
                    "%s: in HOLD with sendwatch's marker but unknown: released in "
                    "%u minutes",
                    a.queue_id, h->cfg->hold_minutes);
            }
        }
        k = 0;
    }
}

/*
 * Reconciles LMDB with the whole queue listing: held records whose mail is
 * gone, or released outside sendwatch, are closed; unknown marked HOLD
 * mail is adopted.  Without a complete listing it concludes nothing.
 */
void reconcile_run(struct holdd *h)
{
    struct held_scan s = {0};
    char err[512];
    s.cap = 10000;
    s.now = time(NULL);
    s.grace = h->cfg->hold_queue_grace;
    s.gone = calloc(s.cap, HELPER_ID_SIZE);
    s.never = calloc(s.cap, HELPER_ID_SIZE);
    s.elsewhere = calloc(s.cap, HELPER_ID_SIZE);
    if (s.gone == NULL || s.never == NULL || s.elsewhere == NULL ||
        listing_take(h->helper, &s.queue, err, sizeof(err)) != 0) {
        log_error("cannot reconcile with the queue: %s",
                  s.gone && s.never && s.elsewhere ? err : "out of memory");
        goto done;
    }
    size_t unreadable = 0;
    if (hold_foreach(h->store, scan_held, &s, &unreadable, err, sizeof(err)) != 0) {
        log_error("cannot reconcile: %s", err);
        goto done;
    }
    if (unreadable > 0)
        log_warning("reconcile: %zu hold record(s) this version cannot read: left alone",
                    unreadable);
    for (size_t i = 0; i < s.ngone; i++) {
        struct outcome o = {s.gone[i], HOLD_GONE, "no longer in the queue"};
        if (holdd_txn(h, s.gone[i], holdd_close_fn, &o) == 0)
            log_warning("%s: gone: no longer in the queue", s.gone[i]);
    }
    for (size_t i = 0; i < s.nnever; i++) {
        struct outcome o = {s.never[i], HOLD_NEVER_QUEUED,
                            "its queue file never appeared"};
        if (holdd_txn(h, s.never[i], holdd_close_fn, &o) == 0)
            log_warning("%s: never queued: its queue file never appeared", s.never[i]);
    }
    for (size_t i = 0; i < s.nelsewhere; i++) {
        struct outcome o = {s.elsewhere[i], HOLD_RELEASED, "released outside sendwatch"};
        if (holdd_txn(h, s.elsewhere[i], holdd_close_fn, &o) == 0)
            log_warning("%s: released outside sendwatch", s.elsewhere[i]);
    }
    adopt_unknown(h, s.queue.entries, s.queue.n);
done:
    listing_free(&s.queue);
    free(s.gone);
    free(s.never);
    free(s.elsewhere);
}
