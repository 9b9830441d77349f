/*
 * sendwatch-holdd - releases held mail at its deadline, carries out the
 * requests of the CLI and the web, and keeps LMDB and Postfix's HOLD queue
 * in step.
 *
 * Started as root: it forks the privileged helper (helper.h), binds its
 * wake-up socket, then drops to run_user for good.  One loop: reconcile
 * with the queue (at start, then every minute), carry out requests,
 * release what is due, then sleep until the next deadline, a wake-up
 * datagram, or five seconds.  Every outcome is written to the hold
 * record in the same transaction that removes its due entry or request,
 * so a crash at any instant leaves work that the next start redoes, and
 * nothing done twice: postsuper -H of a message no longer in HOLD does
 * nothing, and that is read back as "released" or "gone".
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "config.h"
#include "fdio.h"
#include "helper.h"
#include "hold.h"
#include "log.h"
#include "notice.h"
#include "preflight.h"
#include "privilege.h"
#include "queueid.h"
#include "store.h"
#include "token.h"

#define RECONCILE_EVERY 60 /* seconds */
/*
 * The milter commits a hold record before it answers Postfix, so for a
 * moment the record exists while the queue file is still being written
 * (in "incoming", or not listed yet).  Reconcile leaves records younger
 * than hold_queue_grace (default 600 s: beyond Postfix's
 * milter_content_timeout) alone: closing one as gone or released would
 * strand its mail in HOLD.
 */
#define IDLE_WAKE_MS 5000 /* the longest sleep: requests are seen at least this often */

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

struct holdd {
    const struct config *cfg;
    struct store *store;
    int helper;
    int wake;
    struct notice_templates *templates; /* read as root at start */
    unsigned told_not_ours;             /* "not ours" lines logged (at most 100) */
    struct token_key key;               /* web_key_file, read as root at start */
};

static void usage(FILE *out)
{
    fprintf(out, "usage: sendwatch-holdd [-f] [-c CONFIG] [-p PIDFILE]\n"
                 "  -c CONFIG   config file (default " SENDWATCH_DEFAULT_CONFIG ")\n"
                 "  -f          stay in the foreground and log to standard error\n"
                 "  -p PIDFILE  write the process ID here, not to holdd_pid_file\n");
}

/* Runs FN(ctx, t) in one write transaction and commits it.  0 or -1 (logged). */
static int in_txn(struct holdd *h, const char *what,
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

/* ------------------------------------------------------------- outcomes */

/* One message closed on its own (reconcile). */
struct outcome {
    const char *queue_id;
    enum hold_state state;
    const char *why;
};

static int close_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct outcome *o = ctx;
    return hold_close(t, o->queue_id, o->state, time(NULL), o->why, err, errlen);
}

/* What one batch asked of the helper, and the request keys it answers. */
struct batch {
    const char *const *ids;
    size_t n;
    const char *const *request_keys; /* deleted with the outcomes; NULL: none */
    size_t nkeys;
    const char *const
        *by; /* per ID, who asked (recorded as "requested by"); NULL: none */
};

/* The queue ID's queue in the listing L (N entries), or NULL. */
static const char *queue_of(const struct helper_listed *l, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].queue_id, id) == 0)
            return l[i].queue;
    return NULL;
}

/* Records one failed attempt on QID in T, logged.  As hold_attempt_failed. */
static int attempt_failed(struct store_txn *t, const char *qid, const char *verb,
                          const char *why, char *err, size_t errlen)
{
    long attempt = 0;
    time_t wait = 0;
    int rc = hold_attempt_failed(t, qid, time(NULL), why, &attempt, &wait, err, errlen);
    if (rc >= 0)
        log_warning("%s: %s failed (attempt %ld), retrying in %lld s: %s", qid, verb,
                    attempt, (long long)wait, why);
    return rc;
}

/* Records in T what became of QID, which the helper did not move (RESULT). */
static int record_unmoved(struct store_txn *t, const char *qid, enum helper_result result,
                          const char *verb, const char *detail, bool listed,
                          const struct helper_listed *l, size_t nl, char *err,
                          size_t errlen)
{
    char why[HELPER_DETAIL_SIZE + 64];
    if (result == HELPER_NOT_OURS) {
        log_warning("%s: its queue file lacks sendwatch's marker: left alone", qid);
        return hold_close(t, qid, HOLD_GONE, time(NULL),
                          "its queue file lacks sendwatch's marker: left alone", err,
                          errlen);
    }
    if (result != HELPER_NOT_MOVED || !listed)
        return attempt_failed(t, qid, verb,
                              !listed && result == HELPER_NOT_MOVED
                                  ? "the queue could not be listed"
                              : *detail ? detail
                                        : helper_result_name(result),
                              err, errlen);
    const char *q = queue_of(l, nl, qid);
    if (q == NULL || strcmp(q, "hold") != 0) {
        if (q == NULL)
            snprintf(why, sizeof(why), "no longer in the queue");
        else
            snprintf(why, sizeof(why), "not in hold but in %s", q);
        log_warning("%s: gone: %s", qid, why);
        return hold_close(t, qid, HOLD_GONE, time(NULL), why, err, errlen);
    }
    snprintf(why, sizeof(why), "postsuper left it in hold%s%s", *detail ? ": " : "",
             detail);
    return attempt_failed(t, qid, verb, why, err, errlen);
}

/*
 * Asks the helper to OP the batch's IDs and records every outcome in one
 * transaction (with the requests it answers): STATE with WHY when done;
 * for mail the helper did not move, the queue listing tells: gone, or
 * elsewhere (closed as gone), or still in HOLD (a retry with backoff).
 * One transaction per batch: 10,000 releases are a few commits.
 */
static void carry_out(struct holdd *h, enum helper_op op, const struct batch *b,
                      enum hold_state state, const char *why)
{
    const char *verb = op == HELPER_RELEASE ? "release" : "delete";
    enum helper_result *res = calloc(b->n ? b->n : 1, sizeof(*res));
    char err[512], helper_err[512] = "", detail[HELPER_DETAIL_SIZE] = "";
    int called = res == NULL ? -1
                             : helper_call(h->helper, op, b->ids, b->n, res, detail,
                                           helper_err, sizeof(helper_err));
    struct helper_listed *listed = NULL;
    size_t nlisted = 0;
    bool have_listing = false, any_unmoved = false;
    for (size_t i = 0; called == 0 && i < b->n; i++)
        any_unmoved = any_unmoved || res[i] == HELPER_NOT_MOVED;
    if (any_unmoved)
        have_listing = helper_list(h->helper, &listed, &nlisted, err, sizeof(err)) == 0;
    struct store_txn *t = store_begin(h->store, err, sizeof(err));
    int rc = t != NULL ? 0 : -1;
    if (called != 0)
        log_error("cannot %s %zu message(s): %s", verb, b->n,
                  res ? helper_err : "out of memory");
    for (size_t i = 0; i < b->n && rc >= 0; i++) {
        if (called != 0) {
            rc = attempt_failed(t, b->ids[i], verb, res ? helper_err : "out of memory",
                                err, sizeof(err));
        } else if (res[i] == HELPER_DONE) {
            char asked[220];
            if (b->by != NULL) /* each request's own asker: the audit trail names them */
                snprintf(asked, sizeof(asked), "requested by %s", b->by[i]);
            const char *because = b->by != NULL ? asked : why;
            rc = hold_close(t, b->ids[i], state, time(NULL), because, err, sizeof(err));
            log_info("%s: %s (%s)", b->ids[i], hold_state_name(state), because);
        } else {
            rc = record_unmoved(t, b->ids[i], res[i], verb, detail, have_listing, listed,
                                nlisted, err, sizeof(err));
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
    free(listed);
    free(res);
}

/* ---------------------------------------------------------- due releases */

struct due_batch {
    time_t now, next; /* next: the earliest deadline still in the future, or 0 */
    char ids[HELPER_MAX_IDS][64];
    size_t n;
};

static int collect_due(void *ctx, const char *key, size_t key_len, const void *value,
                       size_t len)
{
    struct due_batch *b = ctx;
    time_t deadline;
    char qid[64];
    (void)value;
    (void)len;
    if (!hold_parse_due_key(key, key_len, &deadline, qid, sizeof(qid)))
        return 0; /* not ours: leave it */
    if (deadline > b->now) {
        b->next = deadline;
        return 1; /* keys are in deadline order: the rest is later */
    }
    if (b->n == HELPER_MAX_IDS)
        return 1;
    snprintf(b->ids[b->n++], sizeof(b->ids[0]), "%s", qid);
    return 0;
}

/* Releases everything due; returns the next deadline (0: none). */
static time_t release_due(struct holdd *h)
{
    static struct due_batch b;
    static const char *ids[HELPER_MAX_IDS];
    char err[512];
    while (!stopping) {
        b.now = time(NULL);
        b.next = 0;
        b.n = 0;
        if (store_foreach(h->store, STORE_DUE, collect_due, &b, err, sizeof(err)) != 0) {
            log_error("cannot read deadlines: %s", err);
            return b.now + 5;
        }
        if (b.n == 0)
            return b.next;
        for (size_t i = 0; i < b.n; i++)
            ids[i] = b.ids[i];
        struct batch batch = {ids, b.n, NULL, 0, NULL};
        carry_out(h, HELPER_RELEASE, &batch, HOLD_RELEASED, "deadline");
        if (b.n < HELPER_MAX_IDS && b.next != 0)
            return b.next;
    }
    return 0;
}

/* -------------------------------------------------------------- requests */

struct request_batch {
    struct hold_request r[HELPER_MAX_IDS];
    bool malformed[HELPER_MAX_IDS];
    size_t n;
};

static int collect_request(void *ctx, const struct hold_request *r, bool malformed)
{
    struct request_batch *b = ctx;
    b->r[b->n] = *r;
    b->malformed[b->n++] = malformed;
    return 0;
}

/*
 * Carries out the requests, a batch at a time: reschedules (and requests
 * that cannot be carried out) in one transaction, releases and deletes of
 * mail still held in one helper call each.
 * XXX Long: issue 10 splits holdd by job (requests, releases, notices,
 * reconcile), and records each request's own "by".
 */
static void process_requests(struct holdd *h)
{
    static struct request_batch b;
    static const char *release_ids[HELPER_MAX_IDS], *release_keys[HELPER_MAX_IDS],
        *release_by[HELPER_MAX_IDS];
    static const char *delete_ids[HELPER_MAX_IDS], *delete_keys[HELPER_MAX_IDS],
        *delete_by[HELPER_MAX_IDS];
    char err[512];
    size_t batch_size;
    do {
        b.n = 0;
        if (hold_requests_foreach(h->store, HELPER_MAX_IDS, collect_request, &b, err,
                                  sizeof(err)) != 0) {
            log_error("cannot read requests: %s", err);
            return;
        }
        batch_size = b.n;
        size_t nrelease = 0, ndelete = 0;
        struct store_txn *t = store_begin(h->store, err, sizeof(err));
        int rc = t != NULL ? 0 : -1;
        for (size_t i = 0; i < b.n && rc >= 0; i++) {
            const struct hold_request *r = &b.r[i];
            if (b.malformed[i]) {
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
            struct batch batch = {release_ids, nrelease, release_keys, nrelease,
                                  release_by};
            carry_out(h, HELPER_RELEASE, &batch, HOLD_RELEASED, "requested");
        }
        if (rc >= 0 && ndelete > 0) {
            struct batch batch = {delete_ids, ndelete, delete_keys, ndelete, delete_by};
            carry_out(h, HELPER_DELETE, &batch, HOLD_DELETED, "requested");
        }
        if (rc < 0)
            return;
    } while (batch_size == HELPER_MAX_IDS && !stopping);
}

/* ---------------------------------------------------------------- notices */

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
    static const char *ask[64];
    static size_t at[64];
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
        struct hold_record r;
        int found = hold_get_stored(h->store, qids[i], &r, err, sizeof(err));
        time_t created = found == 1 ? r.created : now;
        if (found == 1)
            hold_record_clear(&r);
        struct job_wait w = {keys[i], qids[i], now + 1};
        if (res[j] == HELPER_DONE) {
            ready[i] = in_txn(h, qids[i], confirm_fn, (void *)qids[i]) == 0;
        } else if (now - created >= (time_t)h->cfg->hold_queue_grace) {
            if (in_txn(h, qids[i], never_queued_fn, &w) == 0)
                log_warning("%s: never queued: its queue file never appeared, no notice",
                            qids[i]);
        } else if (in_txn(h, keys[i], job_wait_fn, &w) == 0 &&
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
static time_t process_outbox(struct holdd *h)
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
            in_txn(h, b.keys[i], drop_job_fn, b.keys[i]);
            continue;
        }
        if (n != i)
            memcpy(b.keys[n], b.keys[i], sizeof(b.keys[n]));
        qids[n] = qid_text[n];
        n++;
    }
    time_t wake = confirm_queued(h, b.keys, qids, n, ready);
    for (size_t i = 0; i < n && !stopping; i++) {
        if (!ready[i])
            continue;
        char why[512] = "";
        int sent = send_hold_notice(h, qids[i], why, sizeof(why));
        if (sent == 1) {
            in_txn(h, b.keys[i], drop_job_fn, b.keys[i]);
            continue;
        }
        struct notice_outcome o = {b.keys[i], qids[i], sent == 0 ? NULL : why, 0, 0};
        if (in_txn(h, qids[i], notice_outcome_fn, &o) == 0 && sent != 0)
            log_error("%s: hold notice failed (attempt %ld), retrying in %lld s: %s",
                      qids[i], o.attempt, (long long)o.wait, why);
    }
    if (b.next != 0 && (wake == 0 || b.next < wake))
        wake = b.next;
    return wake;
}

/* ------------------------------------------------------------- reconcile */

struct held_scan {
    const struct helper_listed *queue; /* the whole listing, sorted by queue ID */
    size_t nqueue;
    char (*gone)[HELPER_ID_SIZE];
    char (*never)[HELPER_ID_SIZE]; /* not in the queue, and never seen there */
    char (*elsewhere)[HELPER_ID_SIZE];
    size_t ngone, nnever, nelsewhere, cap;
    time_t now;     /* when the listing was taken */
    unsigned grace; /* hold_queue_grace */
};

static int listed_order(const void *a, const void *b)
{
    return strcmp(((const struct helper_listed *)a)->queue_id,
                  ((const struct helper_listed *)b)->queue_id);
}

static const char *listed_queue(const struct held_scan *s, const char *qid)
{
    struct helper_listed key;
    snprintf(key.queue_id, sizeof(key.queue_id), "%s", qid);
    const struct helper_listed *l =
        s->nqueue ? bsearch(&key, s->queue, s->nqueue, sizeof(*s->queue), listed_order)
                  : NULL;
    return l ? l->queue : NULL;
}

static int scan_held(void *ctx, const struct hold_record *r)
{
    struct held_scan *s = ctx;
    if (r->state != HOLD_HELD || s->now - r->created < (time_t)s->grace)
        return 0;
    const char *q = listed_queue(s, r->queue_id);
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
static void adopt_unknown(struct holdd *h, const struct helper_listed *l, size_t n)
{
    static const char *ids[HELPER_MAX_IDS];
    static enum helper_result res[HELPER_MAX_IDS];
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
            } else if (in_txn(h, a.queue_id, adopt_fn, &a) == 0) {
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
static void reconcile(struct holdd *h)
{
    struct held_scan s = {0};
    struct helper_listed *listed = NULL;
    char err[512];
    s.cap = 10000;
    s.now = time(NULL);
    s.grace = h->cfg->hold_queue_grace;
    s.gone = calloc(s.cap, HELPER_ID_SIZE);
    s.never = calloc(s.cap, HELPER_ID_SIZE);
    s.elsewhere = calloc(s.cap, HELPER_ID_SIZE);
    if (s.gone == NULL || s.never == NULL || s.elsewhere == NULL ||
        helper_list(h->helper, &listed, &s.nqueue, err, sizeof(err)) != 0) {
        log_error("cannot reconcile with the queue: %s",
                  s.gone && s.never && s.elsewhere ? err : "out of memory");
        goto done;
    }
    if (s.nqueue > 1) /* qsort(NULL, 0) is undefined: an empty queue lists nothing */
        qsort(listed, s.nqueue, sizeof(*listed), listed_order);
    s.queue = listed;
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
        if (in_txn(h, s.gone[i], close_fn, &o) == 0)
            log_warning("%s: gone: no longer in the queue", s.gone[i]);
    }
    for (size_t i = 0; i < s.nnever; i++) {
        struct outcome o = {s.never[i], HOLD_NEVER_QUEUED,
                            "its queue file never appeared"};
        if (in_txn(h, s.never[i], close_fn, &o) == 0)
            log_warning("%s: never queued: its queue file never appeared", s.never[i]);
    }
    for (size_t i = 0; i < s.nelsewhere; i++) {
        struct outcome o = {s.elsewhere[i], HOLD_RELEASED, "released outside sendwatch"};
        if (in_txn(h, s.elsewhere[i], close_fn, &o) == 0)
            log_warning("%s: released outside sendwatch", s.elsewhere[i]);
    }
    adopt_unknown(h, listed, s.nqueue);
done:
    free(listed);
    free(s.gone);
    free(s.never);
    free(s.elsewhere);
}

/* ------------------------------------------------------------------ main */

struct wake_socket {
    const char *path;
    int fd;
    int bind_errno;
};

static int bind_wake_socket(void *ctx)
{
    struct wake_socket *w = ctx;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, w->path);
    mode_t old = umask(0117); /* born 0660: run_user's daemons may write to it */
    struct stat st;
    if (lstat(w->path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(w->path); /* a stale one from a crash */
    int rc = bind(w->fd, (struct sockaddr *)&sa, sizeof(sa));
    w->bind_errno = rc == 0 ? 0 : errno;
    umask(old);
    return rc;
}

/*
 * The wake-up socket: a datagram socket the milter, the web and the CLI
 * (all as run_user) may write to.  Bound with run_user's file-system rights
 * (privilege_as_user): its directory is run_user's, so root does nothing
 * by name there.
 */
static int open_wake_socket(const struct config *cfg, char *err, size_t errlen)
{
    struct wake_socket w = {.path = cfg->holdd_socket, .fd = -1};
    if (strlen(cfg->holdd_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(err, errlen, "holdd_socket %s: path too long", cfg->holdd_socket);
        return -1;
    }
    w.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (w.fd < 0) {
        snprintf(err, errlen, "holdd_socket: %s", strerror(errno));
        return -1;
    }
    err[0] = '\0';
    if (privilege_as_user(cfg->run_user, NULL, bind_wake_socket, &w, err, errlen) != 0) {
        if (err[0] == '\0')
            snprintf(err, errlen, "holdd_socket %s: cannot bind as %s: %s",
                     cfg->holdd_socket, cfg->run_user, strerror(w.bind_errno));
        close(w.fd);
        return -1;
    }
    return w.fd;
}

/*
 * Wires the daemon in the order root demands: config; checks and files
 * read as root (preflight); daemon(3); the root helper; the wake-up socket
 * with run_user's rights; the drop; LMDB; then the loop.  Long because the
 * order is the security argument, and it reads top to bottom.
 */
int main(int argc, char **argv)
{
    const char *config_path = SENDWATCH_DEFAULT_CONFIG, *pidfile = NULL;
    bool foreground = false;
    char err[1024] = "";
    int opt, status = 1;

    while ((opt = getopt(argc, argv, "c:fhp:")) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'f':
            foreground = true;
            break;
        case 'p':
            pidfile = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    struct config *cfg = config_load(config_path, err, sizeof(err));
    if (cfg == NULL) {
        fprintf(stderr, "sendwatch-holdd: %s\n", err);
        return 1;
    }
    char ident[80];
    snprintf(ident, sizeof(ident), "%s/holdd", cfg->syslog_name);
    log_open(ident, foreground ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG);
    notice_init();

    struct holdd h = {.cfg = cfg, .helper = -1, .wake = -1};
    pid_t helper_pid = -1;
    if (geteuid() != 0) {
        log_error("must be started as root: postsuper runs only as root (the rest of "
                  "holdd drops to %s)",
                  cfg->run_user);
        goto done;
    }
    const char *pidfile_option = pidfile; /* for messages: -p, or the setting */
    if (pidfile == NULL)
        pidfile = cfg->holdd_pid_file;
    /* Everything read from files is read now, as root: templates, key. */
    if (preflight_holdd(cfg, config_path, pidfile_option, log_problem, NULL, &h.templates,
                        &h.key) != 0) {
        log_error("not started: fix the above (sendwatch check says the same)");
        goto done;
    }
    if (!foreground && daemon(0, 0) != 0) {
        log_error("cannot become a daemon: %s", strerror(errno));
        goto done;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (helper_start(cfg->holdd_helper, cfg->postfix_config_dir, cfg->sendmail_path,
                     cfg->notice_sender, &h.helper, &helper_pid, err, sizeof(err)) != 0 ||
        (h.wake = open_wake_socket(cfg, err, sizeof(err))) < 0 ||
        privilege_drop(cfg->run_user, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }
    h.store = store_open(cfg->state_dir, cfg->state_map_size, false, err, sizeof(err));
    if (h.store == NULL) {
        log_error("%s", err);
        goto done;
    }
    if (fdio_write_pidfile(pidfile) != 0)
        log_warning("cannot write pid file %s: %s", pidfile, strerror(errno));

    log_info("starting: config %s, Postfix %s", config_path, cfg->postfix_config_dir);
    time_t next_reconcile = 0;
    while (!stopping) {
        time_t now = time(NULL);
        if (now >= next_reconcile) {
            reconcile(&h);
            next_reconcile = now + RECONCILE_EVERY;
        }
        process_requests(&h);
        time_t outbox_next = process_outbox(&h);
        time_t next = release_due(&h);
        if (outbox_next != 0 && (next == 0 || outbox_next < next))
            next = outbox_next;
        /* Sleep until the second the next deadline names begins, to the
         * millisecond (not a whole second late), or IDLE_WAKE_MS at most. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        int wait_ms = IDLE_WAKE_MS;
        if (next != 0 && (long long)next * 1000 - now_ms < wait_ms)
            wait_ms = (long long)next * 1000 <= now_ms
                          ? 0
                          : (int)((long long)next * 1000 - now_ms);
        struct pollfd p = {h.wake, POLLIN, 0};
        if (poll(&p, 1, wait_ms) > 0) {
            char drain[64];
            while (recv(h.wake, drain, sizeof(drain), 0) > 0)
                ;
        }
    }
    log_info("stopped");
    status = 0;
    unlink(pidfile);
done:
    if (h.helper >= 0)
        close(h.helper); /* the helper reads end-of-file and exits */
    int helper_status = 0;
    while (helper_pid > 0 && waitpid(helper_pid, &helper_status, 0) < 0 && errno == EINTR)
        ;
    if (helper_pid > 0 &&
        !(WIFEXITED(helper_status) && WEXITSTATUS(helper_status) == 0)) {
        log_error("the root helper ended badly (wait status %d)", helper_status);
        status = 1;
    }
    if (h.wake >= 0)
        close(h.wake);
    store_close(h.store);
    notice_templates_free(h.templates);
    OPENSSL_cleanse(&h.key, sizeof(h.key));
    config_free(cfg);
    log_close();
    return status;
}
