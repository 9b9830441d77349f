/* notices - see holdd.h: the outbox, for mail seen in HOLD. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "holdd.h"
#include "log.h"
#include "queueid.h"
#include "address.h"

struct outbox_batch {
    time_t now, next; /* next: when the first job not yet due is (0: none) */
    char keys[64][128];
    size_t n;
};

/* Collects the jobs due by NOW (keys are in the order they are due). */
static int collect_jobs(void *ctx, const char *key, size_t key_len, const void *value,
                        size_t len)
{
    struct outbox_batch *b = ctx;
    (void)value;
    (void)len;
    if (b->n == 64)
        return 1;
    if (key_len < sizeof(b->keys[0])) {
        char *k = b->keys[b->n];
        memcpy(k, key, key_len);
        k[key_len] = '\0';
        time_t not_before;
        char qid[64];
        if (hold_parse_notice_job_key(k, &not_before, qid, sizeof(qid)) &&
            not_before > b->now) {
            b->next = not_before;
            return 1;
        }
        b->n++;
    }
    return 0;
}

static int drop_job_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    return store_txn_del(t, STORE_OUTBOX, ctx, err, errlen);
}

/* The link for ACTION on the held mail QID, valid until EXPIRY. */
static int make_url(struct holdd *h, const struct token_key *key, const char *qid,
                    const char *action, time_t expiry, char *url, size_t len)
{
    struct token t = {.expiry = expiry};
    char text[TOKEN_MAX];
    snprintf(t.node, sizeof(t.node), "%s", h->cfg->node_name);
    snprintf(t.queue_id, sizeof(t.queue_id), "%s", qid);
    snprintf(t.action, sizeof(t.action), "%s", action);
    if (token_make(key, &t, text, sizeof(text)) != 0)
        return -1;
    const char *base = h->cfg->web_base_url;
    size_t n = strlen(base);
    int w = snprintf(url, len, "%.*s/n/%s/hold/%s",
                     (int)(n && base[n - 1] == '/' ? n - 1 : n), base, h->cfg->node_name,
                     text);
    return w < 0 || (size_t)w >= len ? -1 : 0;
}

/*
 * Sends the hold notice of the held mail QID.  0 sent, 1 nothing to do
 * (not held any more, or nobody to tell), -1 failed: ERR says why.
 */
static int send_hold_notice(struct holdd *h, const char *qid, char *err, size_t errlen)
{
    struct hold_record r;
    int found = hold_get_stored(h->store, qid, &r, err, errlen);
    if (found < 0)
        return -1;
    if (found == 0 || r.state != HOLD_HELD) {
        log_info("%s: no hold notice: %s", qid,
                 found ? hold_state_name(r.state) : "no hold record");
        if (found)
            hold_record_clear(&r);
        return 1;
    }
    int rc = -1;
    int *external = calloc(r.nrecipients + 1, sizeof(*external));
    if (external == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < r.nrecipients; i++)
        external[i] = !address_is_internal(r.recipients[i],
                                           (const char *const *)h->cfg->internal_domains);
    char send_now[512], delete_url[512];
    if (make_url(h, &h->key, qid, "release", r.deadline, send_now, sizeof(send_now)) !=
            0 ||
        make_url(h, &h->key, qid, "delete", r.deadline, delete_url, sizeof(delete_url)) !=
            0) {
        snprintf(err, errlen, "cannot make its links (node_name %s, web_base_url %s)",
                 h->cfg->node_name, h->cfg->web_base_url);
        goto done;
    }
    struct notice_hold nh = {
        .queue_id = qid,
        .sender = r.sender,
        .recipients = (const char *const *)r.recipients,
        .external = external,
        .nrecipients = r.nrecipients,
        .subject = r.subject,
        .attachments = (const char *const *)r.attachments,
        .nattachments = r.nattachments,
        .size = r.size,
        .deadline = r.deadline,
        .send_now_url = send_now,
        .delete_url = delete_url,
    };
    if (r.sender[0] == '\0') {
        rc = 1; /* adopted mail or a bounce: nobody to tell */
        goto done;
    }
    char *message = notice_hold_message(h->cfg, h->templates, &nh, err, errlen);
    if (message == NULL)
        goto done;
    char shown[400];
    if (helper_submit(h->helper, r.sender, message, err, errlen) == 0) {
        log_info("%s: hold notice sent to <%s>", qid,
                 log_escape(shown, sizeof(shown), r.sender, strlen(r.sender)));
        rc = 0;
    }
    free(message);
done:
    free(external);
    hold_record_clear(&r);
    return rc;
}

struct notice_outcome {
    const char *job_key, *queue_id, *why;
    long attempt;
    time_t wait;
};

static int notice_outcome_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    struct notice_outcome *o = ctx;
    return hold_notice_outcome(t, o->job_key, o->queue_id, time(NULL), o->why,
                               &o->attempt, &o->wait, err, errlen) < 0
               ? -1
               : 0;
}

/*
 * Sends the notices that are due.  One that fails waits and is tried
 * again with the backoff of releases; its hold record counts the attempts
 * and keeps the last error, so "sendwatch held show" tells what is wrong.
 */
struct job_wait {
    const char *job_key, *queue_id;
    time_t until;
};

/* Moves a notice job to UNTIL: its queue file is not in HOLD yet. */
static int job_wait_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct job_wait *w = ctx;
    char key[HOLD_DUE_KEY_MAX + 8];
    hold_notice_job_key(key, sizeof(key), w->until, w->queue_id);
    return store_txn_del(t, STORE_OUTBOX, w->job_key, err, errlen) == 0 &&
                   store_txn_put(t, STORE_OUTBOX, key, "", 0, err, errlen) == 0
               ? 0
               : -1;
}

static int confirm_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    return hold_confirm_queued(t, ctx, time(NULL), err, errlen) < 0 ? -1 : 0;
}

static int never_queued_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct job_wait *w = ctx;
    return hold_close(t, w->queue_id, HOLD_NEVER_QUEUED, time(NULL),
                      "its queue file never appeared: no notice", err, errlen) < 0 ||
                   store_txn_del(t, STORE_OUTBOX, w->job_key, err, errlen) != 0
               ? -1
               : 0;
}

/*
 * A notice is only for mail that is really in HOLD: the milter commits the
 * record (and the job) before Postfix has written the queue file, and
 * Postfix or the client may still give up.  So the jobs' records not yet
 * seen queued are looked for, all in one helper call: found, the record
 * says so and the notice may go; not found, the job waits a second - or,
 * past hold_queue_grace, the record is closed as never-queued and nothing
 * is sent.  QIDS[i] is the job KEYS[i]'s; READY[i] says whether it may go.
 * Returns the earliest wait it set (0: none).
 */
static time_t confirm_queued(struct holdd *h, char keys[][128], const char **qids,
                             size_t n, bool *ready)
{
    const char *ask[64];
    size_t at[64];
    time_t created[64];
    enum helper_result res[64];
    char err[512], detail[HELPER_DETAIL_SIZE];
    size_t k = 0;
    time_t now = time(NULL), wake = 0;
    for (size_t i = 0; i < n; i++) {
        struct hold_record r;
        ready[i] = true; /* send_hold_notice decides what is no longer held */
        if (hold_get_stored(h->store, qids[i], &r, err, sizeof(err)) != 1)
            continue;
        if (r.state == HOLD_HELD && r.queued == 0) {
            ready[i] = false;
            ask[k] = qids[i];
            created[k] = r.created;
            at[k++] = i;
        }
        hold_record_clear(&r);
    }
    if (k == 0)
        return 0;
    if (helper_call(h->helper, HELPER_MARKED, ask, k, res, detail, err, sizeof(err)) !=
        0) {
        log_error("cannot look for queue files: %s", err);
        return now + 5;
    }
    for (size_t j = 0; j < k; j++) {
        size_t i = at[j];
        struct job_wait w = {keys[i], qids[i], now + 1};
        if (res[j] == HELPER_DONE) {
            ready[i] = holdd_txn(h, qids[i], confirm_fn, (void *)qids[i]) == 0;
        } else if (now - created[j] >= (time_t)h->cfg->hold_queue_grace) {
            if (holdd_txn(h, qids[i], never_queued_fn, &w) == 0)
                log_warning("%s: never queued: its queue file never appeared, no notice",
                            qids[i]);
        } else if (holdd_txn(h, keys[i], job_wait_fn, &w) == 0 &&
                   (wake == 0 || w.until < wake)) {
            wake = w.until;
        }
    }
    return wake;
}

/*
 * Sends the notices that are due, for mail seen in HOLD.  One that fails
 * waits and is tried again with the backoff of releases; its hold record
 * counts the attempts and keeps the last error, so "sendwatch held show"
 * tells what is wrong.  Returns when the outbox wants looking at again
 * (0: nothing waits).
 */
time_t notices_process(struct holdd *h)
{
    struct outbox_batch b = {.now = time(NULL)};
    const char *qids[64];
    char qid_text[64][64];
    bool ready[64];
    size_t n = 0;
    char err[512];
    if (store_foreach(h->store, STORE_OUTBOX, collect_jobs, &b, err, sizeof(err)) != 0) {
        log_error("cannot read the outbox: %s", err);
        return b.now + 5;
    }
    for (size_t i = 0; i < b.n; i++) {
        time_t not_before;
        if (!hold_parse_notice_job_key(b.keys[i], &not_before, qid_text[n],
                                       sizeof(qid_text[n])) ||
            queueid_classify(qid_text[n]) == QUEUEID_INVALID) {
            log_warning("outbox job %s is malformed: dropped", b.keys[i]);
            holdd_txn(h, b.keys[i], drop_job_fn, b.keys[i]);
            continue;
        }
        if (n != i)
            memcpy(b.keys[n], b.keys[i], sizeof(b.keys[n]));
        qids[n] = qid_text[n];
        n++;
    }
    time_t wake = confirm_queued(h, b.keys, qids, n, ready);
    for (size_t i = 0; i < n && !holdd_stopping; i++) {
        if (!ready[i])
            continue;
        char why[512] = "";
        int sent = send_hold_notice(h, qids[i], why, sizeof(why));
        if (sent == 1) {
            holdd_txn(h, b.keys[i], drop_job_fn, b.keys[i]);
            continue;
        }
        struct notice_outcome o = {b.keys[i], qids[i], sent == 0 ? NULL : why, 0, 0};
        if (holdd_txn(h, qids[i], notice_outcome_fn, &o) == 0 && sent != 0)
            log_error("%s: hold notice failed (attempt %ld), retrying in %lld s: %s",
                      qids[i], o.attempt, (long long)o.wait, why);
    }
    if (b.next != 0 && (wake == 0 || b.next < wake))
        wake = b.next;
    return wake;
}
