/* notices - see holdd.h: the outbox, for mail seen in HOLD. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "holdd.h"
#include "log.h"
#include "password_job.h"
#include "web_job.h"
#include "user_settings.h"
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
    if (b->n == 64) {
        b->next = b->now; /* more is due: look again at once */
        return 1;
    }
    if (key_len < sizeof(b->keys[0])) {
        char *k = b->keys[b->n];
        memcpy(k, key, key_len);
        k[key_len] = '\0';
        time_t not_before;
        char qid[64];
        enum web_job_kind kind;
        bool parsed = hold_parse_notice_job_key(k, &not_before, qid, sizeof(qid)) ||
                      password_job_parse_key(k, &not_before, qid, sizeof(qid)) ||
                      web_job_parse_key(k, &kind, &not_before);
        if (parsed && not_before == PASSWORD_JOB_WAITING)
            return 1; /* the rest wait for releases: hold_close() makes them due */
        if (parsed && not_before > b->now) {
            b->next = not_before;
            return 1;
        }
        b->n++;
    }
    return 0;
}

int holdd_drop_job_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    return store_txn_del(t, STORE_OUTBOX, ctx, err, errlen);
}

/* The link of T: web_base_url/n/NODE/KIND/TOKEN into URL. */
static int make_link(struct holdd *h, struct token *t, const char *kind, char *url,
                     size_t len)
{
    char text[TOKEN_MAX];
    snprintf(t->node, sizeof(t->node), "%s", h->cfg->node_name);
    if (token_make(&h->key, t, text, sizeof(text)) != 0)
        return -1;
    const char *base = h->cfg->web_base_url;
    size_t n = strlen(base);
    int w =
        snprintf(url, len, "%.*s/n/%s/%s/%s", (int)(n && base[n - 1] == '/' ? n - 1 : n),
                 base, h->cfg->node_name, kind, text);
    return w < 0 || (size_t)w >= len ? -1 : 0;
}

/* The link for ACTION on the held mail QID, valid until EXPIRY. */
static int make_url(struct holdd *h, const char *qid, const char *action, time_t expiry,
                    char *url, size_t len)
{
    struct token t = {.expiry = expiry};
    snprintf(t.queue_id, sizeof(t.queue_id), "%s", qid);
    snprintf(t.action, sizeof(t.action), "%s", action);
    return make_link(h, &t, "hold", url, len);
}

/* A user's link (ACTION "center" or "signin") for ADDRESS, valid until EXPIRY. */
static int make_user_url(struct holdd *h, const char *address, const char *action,
                         time_t expiry, char *url, size_t len)
{
    struct token t = {.expiry = expiry};
    if (strlen(address) >= sizeof(t.address))
        return -1;
    snprintf(t.address, sizeof(t.address), "%s", address);
    snprintf(t.action, sizeof(t.action), "%s", action);
    return make_link(h, &t, "me", url, len);
}

/* The language ADDRESS chose for its notices (a user setting), or NULL: the config's. */
static const char *language_of(struct holdd *h, const char *address, char *buf,
                               size_t len)
{
    struct user_settings s;
    char err[256];
    if (user_settings_get(h->store, address, &s, err, sizeof(err)) != 1 ||
        !(s.set & USER_SETTING_LANGUAGE))
        return NULL;
    snprintf(buf, len, "%s", s.language);
    return buf;
}

/* How long a notice's filter center link works after the mail's deadline. */
#define CENTER_LINK_DAYS 7

/* One notice of a batch: what it is for, and how it went. */
struct notice_slot {
    const char *job_key, *queue_id;
    enum { SLOT_SEND, SLOT_NOTHING, SLOT_FAILED } what;
    char rcpt[HELPER_ADDR_SIZE];
    char *message;
    char why[400];
    long attempt;
    time_t wait;
};

/*
 * Builds the hold notice of the held mail S->queue_id into S: SLOT_SEND
 * (message and rcpt set), SLOT_NOTHING (not held any more, or nobody to
 * tell) or SLOT_FAILED (why set).
 */
static void build_hold_notice(struct holdd *h, struct notice_slot *s)
{
    struct hold_record r;
    const char *qid = s->queue_id;
    s->what = SLOT_FAILED;
    int found = hold_get_stored(h->store, qid, &r, s->why, sizeof(s->why));
    if (found < 0)
        return;
    if (found == 0 || r.state != HOLD_HELD || r.sender[0] == '\0') {
        /* An adopted message or a bounce has nobody to tell. */
        log_info("%s: no hold notice: %s", qid,
                 !found                 ? "no hold record"
                 : r.state != HOLD_HELD ? hold_state_name(r.state)
                                        : "no sender");
        if (found)
            hold_record_clear(&r);
        s->what = SLOT_NOTHING;
        return;
    }
    int *external = calloc(r.nrecipients + 1, sizeof(*external));
    if (external == NULL) {
        snprintf(s->why, sizeof(s->why), "out of memory");
        goto done;
    }
    for (size_t i = 0; i < r.nrecipients; i++)
        external[i] = !address_is_internal(r.recipients[i],
                                           (const char *const *)h->cfg->internal_domains);
    char send_now[1024], delete_url[1024], center[1024], lang[4];
    if (make_url(h, qid, "release", r.deadline, send_now, sizeof(send_now)) != 0 ||
        make_url(h, qid, "delete", r.deadline, delete_url, sizeof(delete_url)) != 0 ||
        make_user_url(h, r.sender, "center", r.deadline + CENTER_LINK_DAYS * 86400,
                      center, sizeof(center)) != 0) {
        snprintf(s->why, sizeof(s->why),
                 "cannot make its links (node_name %s, web_base_url %s)",
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
        .center_url = center,
        .language = language_of(h, r.sender, lang, sizeof(lang)),
    };
    if (strlen(r.sender) >= sizeof(s->rcpt)) {
        snprintf(s->why, sizeof(s->why), "the sender's address is too long");
        goto done;
    }
    snprintf(s->rcpt, sizeof(s->rcpt), "%s", r.sender);
    s->message = notice_hold_message(h->cfg, h->templates, &nh, s->why, sizeof(s->why));
    if (s->message != NULL)
        s->what = SLOT_SEND;
done:
    free(external);
    hold_record_clear(&r);
}

/* Records how a batch of notices went, in one transaction. */
static int notice_outcomes_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    struct notice_slot *s = ctx;
    for (; s->job_key != NULL; s++) {
        int rc = s->what == SLOT_NOTHING
                     ? store_txn_del(t, STORE_OUTBOX, s->job_key, err, errlen)
                     : hold_notice_outcome(t, s->job_key, s->queue_id, time(NULL),
                                           s->what == SLOT_SEND ? NULL : s->why,
                                           &s->attempt, &s->wait, err, errlen);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/*
 * Builds and submits the notices of the N jobs KEYS/QIDS (at most
 * HELPER_MAX_NOTICES), all at once, and records how each went in one
 * transaction.  A notice that fails waits and is tried again with the
 * backoff of releases; its hold record counts the attempts and keeps the
 * last error, so "sendwatch held show" tells what is wrong.  0, or -1
 * when the outcomes could not be recorded (logged; the jobs stay due).
 */
static int send_notices(struct holdd *h, const char *const *keys, const char *const *qids,
                        size_t n)
{
    struct notice_slot slot[HELPER_MAX_NOTICES + 1];
    const char *rcpts[HELPER_MAX_NOTICES], *messages[HELPER_MAX_NOTICES];
    enum helper_result res[HELPER_MAX_NOTICES];
    size_t at[HELPER_MAX_NOTICES], k = 0;
    char err[512], detail[HELPER_DETAIL_SIZE] = "";
    memset(slot, 0, sizeof(slot));
    for (size_t i = 0; i < n; i++) {
        slot[i].job_key = keys[i];
        slot[i].queue_id = qids[i];
        build_hold_notice(h, &slot[i]);
        if (slot[i].what == SLOT_SEND) {
            rcpts[k] = slot[i].rcpt;
            messages[k] = slot[i].message;
            at[k++] = i;
        }
    }
    bool asked =
        k == 0 || holdd_submit(h, rcpts, messages, k, res, detail, err, sizeof(err)) == 0;
    for (size_t j = 0; j < k; j++) {
        struct notice_slot *s = &slot[at[j]];
        if (!asked) {
            s->what = SLOT_FAILED;
            snprintf(s->why, sizeof(s->why), "%.*s", (int)sizeof(s->why) - 1, err);
        } else if (res[j] != HELPER_DONE) {
            s->what = SLOT_FAILED;
            snprintf(s->why, sizeof(s->why), "%s: %s", helper_result_name(res[j]),
                     detail);
        }
    }
    int rc = holdd_txn(h, "the notices sent", notice_outcomes_fn, slot);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            char shown[400];
            if (slot[i].what == SLOT_SEND)
                log_info(
                    "%s: hold notice sent to <%s>", qids[i],
                    log_escape(shown, sizeof(shown), slot[i].rcpt, strlen(slot[i].rcpt)));
            else if (slot[i].what == SLOT_FAILED)
                log_error("%s: hold notice failed (attempt %ld), retrying in %lld s: %s",
                          qids[i], slot[i].attempt, (long long)slot[i].wait, slot[i].why);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(slot[i].message);
    return rc;
}

/* What the look for a job's queue file found. */
enum queued_state { QUEUED_ASKED, QUEUED_FOUND, QUEUED_WAIT, QUEUED_NEVER };

struct queued_batch {
    size_t n;
    const char **keys, **qids; /* of the jobs looked for */
    enum queued_state *state;
    time_t until; /* QUEUED_WAIT: the job's new time */
};

/*
 * Records, in one transaction, what the look found: the record confirmed
 * queued; the job moved a second on (its queue file is not there yet); or
 * the record closed as never-queued and its job dropped.
 */
static int queued_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct queued_batch *q = ctx;
    time_t now = time(NULL);
    for (size_t i = 0; i < q->n; i++) {
        char key[HOLD_DUE_KEY_MAX + 8];
        int rc = 0;
        if (q->state[i] == QUEUED_FOUND) {
            rc = hold_confirm_queued(t, q->qids[i], now, err, errlen) < 0 ? -1 : 0;
        } else if (q->state[i] == QUEUED_WAIT) {
            hold_notice_job_key(key, sizeof(key), q->until, q->qids[i]);
            rc = store_txn_del(t, STORE_OUTBOX, q->keys[i], err, errlen) == 0
                     ? store_txn_put(t, STORE_OUTBOX, key, "", 0, err, errlen)
                     : -1;
        } else if (q->state[i] == QUEUED_NEVER) {
            rc =
                hold_close(t, q->qids[i], HOLD_NEVER_QUEUED, now,
                           "its queue file never appeared: no notice", err, errlen) < 0 ||
                        store_txn_del(t, STORE_OUTBOX, q->keys[i], err, errlen) != 0
                    ? -1
                    : 0;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/*
 * A notice is only for mail that is really in HOLD: the milter commits the
 * record (and the job) before Postfix has written the queue file, and
 * Postfix or the client may still give up.  So the jobs' records not yet
 * seen queued are looked for, all in one helper call: found, the record
 * says so and the notice may go; not found, the job waits a second - or,
 * past hold_queue_grace, the record is closed as never-queued and nothing
 * is sent.  QIDS[i] is the job KEYS[i]'s; READY[i] says whether it may go.
 * Returns the earliest wait it set (0: none), or -1 when the helper or
 * the store failed (logged).
 */
static time_t confirm_queued(struct holdd *h, char keys[][128], const char **qids,
                             size_t n, bool *ready)
{
    const char *ask[64], *ask_keys[64];
    size_t at[64];
    time_t created[64];
    enum helper_result res[64];
    enum queued_state state[64];
    char err[512], detail[HELPER_DETAIL_SIZE];
    size_t k = 0;
    time_t now = time(NULL);
    for (size_t i = 0; i < n; i++) {
        struct hold_record r;
        ready[i] = true; /* build_hold_notice decides what is no longer held */
        if (hold_get_stored(h->store, qids[i], &r, err, sizeof(err)) != 1)
            continue;
        if (r.state == HOLD_HELD && r.queued == 0) {
            ready[i] = false;
            ask[k] = qids[i];
            ask_keys[k] = keys[i];
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
        return -1;
    }
    struct queued_batch q = {k, ask_keys, ask, state, now + 1};
    bool waits = false;
    for (size_t j = 0; j < k; j++) {
        state[j] = res[j] == HELPER_DONE                                  ? QUEUED_FOUND
                   : now - created[j] >= (time_t)h->cfg->hold_queue_grace ? QUEUED_NEVER
                                                                          : QUEUED_WAIT;
        waits = waits || state[j] == QUEUED_WAIT;
    }
    if (holdd_txn(h, "the queue files looked for", queued_fn, &q) != 0)
        return -1;
    for (size_t j = 0; j < k; j++) {
        ready[at[j]] = state[j] == QUEUED_FOUND;
        if (state[j] == QUEUED_NEVER)
            log_warning("%s: never queued: its queue file never appeared, no notice",
                        ask[j]);
    }
    return waits ? q.until : 0;
}

/* Records how the notices of one password job went (holdd_txn). */
struct password_outcome {
    const char *key;
    const struct password_job_record *r;
    const bool *done;
    const char *why;
    long attempt;
    time_t wait;
};

static int password_outcome_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    struct password_outcome *o = ctx;
    return password_job_outcome(t, o->key, o->r, o->done, time(NULL), o->why, &o->attempt,
                                &o->wait, err, errlen);
}

/*
 * A job whose notices keep failing is given up after this many attempts
 * (with the backoff of hold.h, some two hours): its password must not
 * wait in the store for ever.
 */
#define PASSWORD_JOB_MAX_ATTEMPTS 30

/*
 * Sends the password notices of job KEY (QID's): one to each addressee
 * still to be told, HELPER_MAX_NOTICES at a time, and records how they
 * went - the job goes when all are sent, else waits with the rest (the
 * backoff of hold notices).  An addressee no notice can ever reach (an
 * address the helper refuses, too long, a notice that cannot be built) is
 * dropped with an error line, and does not hold up the others.  A job
 * that cannot be read, or that failed PASSWORD_JOB_MAX_ATTEMPTS times,
 * is dropped, said.  0, or -1 when the store failed (the job stays due).
 */
static int send_password_job(struct holdd *h, const char *key, const char *qid)
{
    struct password_job_record r;
    char err[512], why[400] = "", detail[HELPER_DETAIL_SIZE] = "", shown[400];
    int found = password_job_get(h->store, key, &r, err, sizeof(err));
    if (found == 0)
        return 0;
    if (found < 0) {
        log_error("%s: password notice dropped: %s", qid, err);
        return holdd_txn(h, key, holdd_drop_job_fn, (void *)key);
    }
    if (r.attempts >= PASSWORD_JOB_MAX_ATTEMPTS) {
        log_error("%s: password notice given up after %ld attempts; the sender must "
                  "send the password another way",
                  qid, r.attempts);
        password_job_record_clear(&r);
        return holdd_txn(h, key, holdd_drop_job_fn, (void *)key);
    }
    /* The password (or hint) as the milter sealed it for this queue ID. */
    char opened[SECRET_PLAIN_MAX + 1];
    if (secret_open(&h->secret, r.queue_id, r.password, opened, sizeof(opened), err,
                    sizeof(err)) != 0) {
        log_error("%s: password notice dropped: its password cannot be opened (%s; was "
                  "web_key_file replaced?): the sender must send it another way",
                  qid, err);
        password_job_record_clear(&r);
        return holdd_txn(h, key, holdd_drop_job_fn, (void *)key);
    }
    int *external = calloc(r.nrecipients + 1, sizeof(*external));
    bool *done = calloc(r.nto + 1, sizeof(*done));
    char **messages = calloc(r.nto + 1, sizeof(*messages));
    const char **rcpts = calloc(r.nto + 1, sizeof(*rcpts));
    const char **texts = calloc(r.nto + 1, sizeof(*texts));
    size_t *at = calloc(r.nto + 1, sizeof(*at)), n = 0;
    int rc = -1;
    if (external == NULL || done == NULL || messages == NULL || rcpts == NULL ||
        texts == NULL || at == NULL) {
        log_error("%s: password notice: out of memory", qid);
        goto out;
    }
    for (size_t i = 0; i < r.nrecipients; i++)
        external[i] = !address_is_internal(r.recipients[i],
                                           (const char *const *)h->cfg->internal_domains);
    for (size_t i = 0; i < r.nto; i++) {
        char cause[400] = "";
        struct notice_password np = {
            .queue_id = r.queue_id,
            .to = r.to[i],
            .sender = r.sender,
            .recipients = (const char *const *)r.recipients,
            .external = external,
            .nrecipients = r.nrecipients,
            .subject = r.subject,
            .zip_name = r.zip_name,
            .files = (const char *const *)r.files,
            .nfiles = r.nfiles,
            .password = r.own ? NULL : opened,
            .hint = r.own ? opened : NULL, /* the job holds the hint only */
            .sent = r.sent,
        };
        char lang[4];
        np.language = language_of(h, r.to[i], lang, sizeof(lang));
        if (strlen(r.to[i]) >= HELPER_ADDR_SIZE)
            snprintf(cause, sizeof(cause), "the address is too long");
        else
            messages[i] =
                notice_password_message(h->cfg, h->templates, &np, cause, sizeof(cause));
        if (messages[i] == NULL) {
            done[i] = true; /* never sendable: dropped, said */
            log_error("%s: password notice to <%s> cannot be sent: %s", qid,
                      log_escape(shown, sizeof(shown), r.to[i], strlen(r.to[i])), cause);
            continue;
        }
        rcpts[n] = r.to[i];
        texts[n] = messages[i];
        at[n++] = i;
    }
    for (size_t first = 0; first < n; first += HELPER_MAX_NOTICES) {
        size_t k = n - first < HELPER_MAX_NOTICES ? n - first : HELPER_MAX_NOTICES;
        enum helper_result res[HELPER_MAX_NOTICES];
        if (holdd_submit(h, rcpts + first, texts + first, k, res, detail, err,
                         sizeof(err)) != 0) {
            snprintf(why, sizeof(why), "%.*s", (int)sizeof(why) - 1, err);
            break;
        }
        for (size_t j = 0; j < k; j++) {
            size_t i = at[first + j];
            if (res[j] == HELPER_DONE) {
                done[i] = true;
                log_info("%s: password notice sent to <%s>", qid,
                         log_escape(shown, sizeof(shown), r.to[i], strlen(r.to[i])));
            } else if (res[j] == HELPER_REFUSED) {
                done[i] = true; /* the helper will refuse it every time */
                log_error("%s: password notice to <%s> refused: %s", qid,
                          log_escape(shown, sizeof(shown), r.to[i], strlen(r.to[i])),
                          detail);
            } else {
                snprintf(why, sizeof(why), "%s: %.*s", helper_result_name(res[j]),
                         (int)sizeof(why) - 40, detail);
            }
        }
    }
    struct password_outcome o = {.key = key, .r = &r, .done = done, .why = why};
    rc = holdd_txn(h, "the password notices sent", password_outcome_fn, &o);
    if (rc == 0 && o.attempt > 0)
        log_error("%s: password notice failed (attempt %ld), retrying in %lld s: %s", qid,
                  o.attempt, (long long)o.wait, why);
out:
    for (size_t i = 0; messages != NULL && i < r.nto; i++)
        if (messages[i] != NULL) {
            explicit_bzero(messages[i], strlen(messages[i]));
            free(messages[i]);
        }
    free(messages);
    free(rcpts);
    free(texts);
    free(at);
    free(done);
    free(external);
    explicit_bzero(opened, sizeof(opened));
    password_job_record_clear(&r);
    return rc;
}

/* How long a mailed sign-in link works. */
#define SIGNIN_LINK_MINUTES     15
#define SIGNIN_JOB_MAX_ATTEMPTS 10

static int signin_outcome_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct {
        const char *key;
        const struct web_job *j;
        bool sent;
        time_t wait;
    } *o = ctx;
    return web_job_outcome(t, o->key, o->j, o->sent, time(NULL), o->wait, err, errlen);
}

/*
 * Mails the one-time sign-in link a user asked for on the web: signed
 * here, now, valid SIGNIN_LINK_MINUTES (the job held only the address).
 * A failure is retried with the hold notices' backoff, at most
 * SIGNIN_JOB_MAX_ATTEMPTS times.  0, or -1 when the store failed.
 */
static int send_signin_job(struct holdd *h, const char *key)
{
    struct web_job j;
    char err[512], detail[HELPER_DETAIL_SIZE] = "", shown[400], url[1024];
    int found = web_job_get(h->store, key, &j, err, sizeof(err));
    if (found == 0)
        return 0;
    if (found < 0 || j.attempts >= SIGNIN_JOB_MAX_ATTEMPTS) {
        log_error("sign-in mail dropped: %s",
                  found < 0 ? err : "too many failed attempts");
        return holdd_txn(h, key, holdd_drop_job_fn, (void *)key);
    }
    log_escape(shown, sizeof(shown), j.address, strlen(j.address));
    time_t expires = time(NULL) + SIGNIN_LINK_MINUTES * 60;
    char *message = NULL;
    if (make_user_url(h, j.address, "signin", expires, url, sizeof(url)) == 0) {
        struct notice_signin ns = {.address = j.address,
                                   .signin_url = url,
                                   .expires = expires,
                                   .language = j.language[0] ? j.language : NULL};
        message = notice_signin_message(h->cfg, h->templates, &ns, err, sizeof(err));
    } else {
        snprintf(err, sizeof(err), "cannot make the link (node_name, web_base_url)");
    }
    if (message == NULL || strlen(j.address) >= HELPER_ADDR_SIZE) {
        log_error("sign-in mail to <%s> cannot be sent: %s", shown, err);
        free(message);
        return holdd_txn(h, key, holdd_drop_job_fn, (void *)key);
    }
    const char *rcpts[1] = {j.address}, *texts[1] = {message};
    enum helper_result res[1] = {HELPER_FAILED};
    bool asked = holdd_submit(h, rcpts, texts, 1, res, detail, err, sizeof(err)) == 0;
    explicit_bzero(message, strlen(message)); /* it holds a working sign-in link */
    free(message);
    struct {
        const char *key;
        const struct web_job *j;
        bool sent;
        time_t wait;
    } o = {key, &j, asked && (res[0] == HELPER_DONE || res[0] == HELPER_REFUSED),
           hold_backoff(j.attempts)};
    int rc = holdd_txn(h, "the sign-in mail", signin_outcome_fn, &o);
    if (asked && res[0] == HELPER_DONE)
        log_info("sign-in link sent to <%s>", shown);
    else if (asked && res[0] == HELPER_REFUSED)
        log_error("sign-in mail to <%s> refused: %s", shown, detail);
    else
        log_error("sign-in mail to <%s> failed (attempt %ld), retrying in %lld s: %s",
                  shown, j.attempts + 1, (long long)o.wait, asked ? detail : err);
    return rc;
}

/*
 * Sends the notices that are due, for mail seen in HOLD, a batch of
 * HELPER_MAX_NOTICES at a time.  Returns when the outbox wants looking at
 * again (0: nothing waits): at once when more is due than one pass takes,
 * in 5 s when the helper or the store failed.
 */
time_t notices_process(struct holdd *h)
{
    struct outbox_batch b = {.now = time(NULL)};
    const char *qids[64], *go_keys[64], *go_qids[64];
    char qid_text[64][64];
    bool ready[64];
    size_t n = 0, go = 0;
    char err[512];
    if (store_foreach(h->store, STORE_OUTBOX, collect_jobs, &b, err, sizeof(err)) != 0) {
        log_error("cannot read the outbox: %s", err);
        return b.now + 5;
    }
    for (size_t i = 0; i < b.n; i++) {
        time_t not_before;
        enum web_job_kind kind;
        if (web_job_parse_key(b.keys[i], &kind, &not_before)) {
            if (!holdd_stopping &&
                (kind == WEB_JOB_SIGNIN ? send_signin_job(h, b.keys[i])
                                        : deliver_quarantined(h, b.keys[i])) != 0)
                return b.now + 5;
            continue;
        }
        if (password_job_parse_key(b.keys[i], &not_before, qid_text[n],
                                   sizeof(qid_text[n])) &&
            queueid_classify(qid_text[n]) != QUEUEID_INVALID) {
            /* Released, or not held (password_job.h says what that means). */
            if (!holdd_stopping && send_password_job(h, b.keys[i], qid_text[n]) != 0)
                return b.now + 5;
            continue;
        }
        if (!hold_parse_notice_job_key(b.keys[i], &not_before, qid_text[n],
                                       sizeof(qid_text[n])) ||
            queueid_classify(qid_text[n]) == QUEUEID_INVALID) {
            log_warning("outbox job %s is malformed: dropped", b.keys[i]);
            holdd_txn(h, b.keys[i], holdd_drop_job_fn, b.keys[i]);
            continue;
        }
        if (n != i)
            memcpy(b.keys[n], b.keys[i], sizeof(b.keys[n]));
        qids[n] = qid_text[n];
        n++;
    }
    time_t wake = confirm_queued(h, b.keys, qids, n, ready);
    if (wake < 0)
        return b.now + 5;
    for (size_t i = 0; i < n; i++)
        if (ready[i]) {
            go_keys[go] = b.keys[i];
            go_qids[go++] = qids[i];
        }
    for (size_t i = 0; i < go && !holdd_stopping; i += HELPER_MAX_NOTICES)
        if (send_notices(h, go_keys + i, go_qids + i,
                         go - i < HELPER_MAX_NOTICES ? go - i : HELPER_MAX_NOTICES) != 0)
            return b.now + 5;
    if (b.next != 0 && (wake == 0 || b.next < wake))
        wake = b.next;
    return wake;
}
