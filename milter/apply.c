/* apply - see apply.h. */
#include "apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encrypt.h"
#include "hold.h"
#include "log.h"
#include "password_job.h"
#include "secret.h"
#include "quarantine.h"
#include "queueid.h"

/* A temporary failure, counted by CAUSE. */
static sfsistat apply_tempfail(SMFICTX *ctx, const struct apply_message *msg,
                               enum metrics_counter cause)
{
    metrics_add(msg->metrics, cause, 1);
    smfi_setreply(ctx, "451", "4.3.0", "sendwatch: temporary failure, please try again");
    return SMFIS_TEMPFAIL;
}

/* Copies S into a header value: control bytes become spaces (no header injection). */
static void header_safe(char *dst, size_t len, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < len; s++)
        dst[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
    dst[o] = '\0';
}

/* The X-Sendwatch-* lines that head a stored copy: envelope and rules. */
static char *stored_prefix(const struct apply_message *msg, const char *rules)
{
    char *buf = NULL, value[1024];
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    if (out == NULL)
        return NULL;
    fprintf(out, "X-Sendwatch-Queue-ID: %s\r\n", msg->queue_id);
    header_safe(value, sizeof(value), msg->sender);
    fprintf(out, "X-Sendwatch-Envelope-From: <%s>\r\n", value);
    for (size_t i = 0; i < msg->nrecipients; i++) {
        header_safe(value, sizeof(value), msg->recipients[i]);
        fprintf(out, "X-Sendwatch-Envelope-To: <%s>\r\n", value);
    }
    fprintf(out, "X-Sendwatch-Rules: %s\r\n", rules);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The match lines of the index entry, "RULE FIELD: SNIPPET", malloc'ed; NULL when out of
 * memory. */
static const char **stored_matches(const struct inspection *in)
{
    size_t n = in->verdict.nhits;
    const char **lines = calloc(n ? n : 1, sizeof(*lines));

    for (size_t i = 0; lines != NULL && i < n; i++) {
        const struct rules_hit *h = &in->verdict.hits[i];
        char line[600];
        snprintf(line, sizeof(line), "%s %s: %s", h->rule, view_field_name(h->field),
                 h->snippet);
        if ((lines[i] = strdup(line)) == NULL) {
            for (size_t j = 0; j < i; j++)
                free((char *)lines[j]);
            free(lines);
            lines = NULL;
        }
    }
    return lines;
}

/* The text each hit matched (for the web to mark it), malloc'ed; NULL when out of memory.
 */
static const char **stored_found(const struct inspection *in)
{
    size_t n = in->verdict.nhits;
    const char **found = calloc(n ? n : 1, sizeof(*found));
    for (size_t i = 0; found != NULL && i < n; i++) {
        const struct rules_hit *h = &in->verdict.hits[i];
        size_t len = strlen(h->snippet);
        size_t at = h->match_at < len ? h->match_at : len;
        size_t mlen = h->match_len < len - at ? h->match_len : len - at;
        if ((found[i] = strndup(h->snippet + at, mlen)) == NULL) {
            for (size_t j = 0; j < i; j++)
                free((char *)found[j]);
            free(found);
            found = NULL;
        }
    }
    return found;
}

/* Stores a copy in each folder the verdict names, indexed in LMDB. */
static int apply_store(const struct config *cfg, struct store *store,
                       const struct apply_message *msg, const struct inspection *in,
                       const char *rules)
{
    char *prefix = stored_prefix(msg, rules);
    const char **matches = stored_matches(in), **found = stored_found(in);
    char err[512], file[256];
    int rc = 0;

    if (prefix == NULL || matches == NULL || found == NULL) {
        log_error("%s: cannot store a copy: out of memory", msg->queue_id);
        free(prefix);
        for (size_t i = 0; matches != NULL && i < in->verdict.nhits; i++)
            free((char *)matches[i]);
        free(matches);
        for (size_t i = 0; found != NULL && i < in->verdict.nhits; i++)
            free((char *)found[i]);
        free(found);
        return -1;
    }
    /* The index entry of each copy (see "sendwatch quarantine list"). */
    struct quarantine_entry entry = {
        .time = time(NULL),
        .queue_id = msg->queue_id,
        .sender = msg->sender,
        .subject = view_subject(in->view),
        .recipients = (const char *const *)msg->recipients,
        .nrecipients = msg->nrecipients,
        .rules = in->verdict.matched,
        .nrules = in->verdict.nmatched,
        .matches = matches,
        .nmatches = in->verdict.nhits,
        .found = found,
        .nfound = in->verdict.nhits,
        /* Kept back from its recipients: an admin may send the copy on. */
        .withheld = !in->verdict.deliver_original,
    };
    for (size_t i = 0; i < in->verdict.nstore && rc == 0; i++) {
        const char *folder = in->verdict.store[i];
        if (quarantine_store(cfg->quarantine_dir, folder, prefix, msg->spool, file,
                             sizeof(file), err, sizeof(err)) != 0) {
            log_error("%s: cannot store a copy in %s: %s", msg->queue_id, folder, err);
            rc = -1;
            break;
        }
        entry.folder = folder;
        entry.file = file;
        if (quarantine_entry_put(store, &entry, err, sizeof(err)) != 0) {
            log_error("%s: cannot index the copy stored in %s: %s", msg->queue_id, folder,
                      err);
            rc = -1;
        }
    }
    for (size_t i = 0; i < in->verdict.nhits; i++) {
        free((char *)matches[i]);
        free((char *)found[i]);
    }
    free(matches);
    free(found);
    free(prefix);
    return rc;
}

/* smfi_setreply() reads '%' as a format character: double it. */
static void reply_text(char *dst, size_t len, const char *s)
{
    size_t o = 0;
    for (; *s && o + 2 < len; s++) {
        if (*s == '%')
            dst[o++] = '%';
        dst[o++] = *s;
    }
    dst[o] = '\0';
}

/*
 * Holds the message: the marker header (Postfix's milter_header_checks
 * turn it into HOLD, and later milters still see the message), then the
 * hold record and its deadline, committed before the answer, and a
 * wake-up for holdd, whose notice waits for the queue file.
 */
static sfsistat apply_hold(SMFICTX *ctx, const struct config *cfg, struct store *store,
                           const struct apply_message *msg, const struct inspection *in,
                           long seconds, const struct password_job *password)
{
    char err[512];

    switch (queueid_classify(msg->queue_id)) {
    case QUEUEID_LONG:
        break;
    case QUEUEID_SHORT:
        /* Postfix reuses a short ID once its message leaves the queue: a
         * hold record, a link or a request on it could hit another message. */
        log_error("%s: cannot hold: short queue ID (Postfix needs enable_long_queue_ids "
                  "= yes)",
                  msg->queue_id);
        return apply_tempfail(ctx, msg, MC_TEMPFAIL_QUEUE_ID);
    case QUEUEID_INVALID:
        log_error("%s: cannot hold a message without a valid queue ID (is \"i\" in "
                  "milter_end_of_data_macros?)",
                  msg->queue_id);
        return apply_tempfail(ctx, msg, MC_TEMPFAIL_QUEUE_ID);
    }
    if (smfi_addheader(ctx, HOLD_MARKER_HEADER, (char *)msg->queue_id) != MI_SUCCESS) {
        log_error("%s: cannot add the %s header", msg->queue_id, HOLD_MARKER_HEADER);
        return apply_tempfail(ctx, msg, MC_TEMPFAIL_HEADERS);
    }
    size_t natt = view_attachment_count(in->view), n = 0;
    const char **names = calloc(natt ? natt : 1, sizeof(*names));
    if (names == NULL) {
        log_error("%s: cannot hold: out of memory", msg->queue_id);
        return apply_tempfail(ctx, msg, MC_TEMPFAIL_MEMORY);
    }
    for (size_t i = 0; i < natt; i++) {
        const struct view_attachment *a = view_attachment_at(in->view, i);
        if (a->depth == 0 && a->name[0] != '\0')
            names[n++] = a->name;
    }
    time_t now = time(NULL);
    struct hold_message hm = {
        .queue_id = msg->queue_id,
        .sender = msg->sender,
        .recipients = msg->recipients,
        .nrecipients = msg->nrecipients,
        .subject = view_subject(in->view),
        .size = spool_size(msg->spool),
        .attachments = names,
        .nattachments = n,
        .created = now,
        .deadline = now + (time_t)seconds,
        .notify = msg->sender[0] != '\0', /* a bounce has nobody to tell */
    };
    struct store_txn *t = store_begin(store, err, sizeof(err));
    int rc = t != NULL && hold_add(t, &hm, err, sizeof(err)) == 0 ? 0 : -1;
    if (rc == 0 && password != NULL)
        rc = password_job_add(t, password, true, now, err, sizeof(err));
    if (rc == 0)
        rc = store_commit(t, err, sizeof(err));
    else
        store_abort(t);
    free(names);
    if (rc != 0) {
        log_error("%s: cannot record the hold: %s", msg->queue_id, err);
        return apply_tempfail(ctx, msg, MC_TEMPFAIL_STATE);
    }
    char stamp[32];
    struct tm tm;
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&hm.deadline, &tm));
    log_info("%s: hold: %ld seconds, until %s", msg->queue_id, seconds, stamp);
    /* holdd learns of the notice job now, not at its next idle wake-up:
     * one datagram, never waited for. */
    if (hm.notify)
        hold_wake(cfg->holdd_socket);
    return SMFIS_CONTINUE;
}

static void apply_progress(void *ctx)
{
    smfi_progress(ctx);
}

/* Sends BODY as the new body, in chunks back to back (nothing else in between). */
static int replace_body(SMFICTX *ctx, const struct apply_message *msg, struct spool *body)
{
    static _Thread_local unsigned char chunk[65535];
    char err[256];
    for (uint64_t at = 0, size = spool_size(body); at < size;) {
        size_t want = size - at < sizeof(chunk) ? (size_t)(size - at) : sizeof(chunk);
        ssize_t n = spool_read_at(body, at, chunk, want, err, sizeof(err));
        if (n <= 0) {
            log_error("%s: cannot read the encrypted body back: %s", msg->queue_id,
                      n < 0 ? err : "short read");
            return -1;
        }
        if (smfi_replacebody(ctx, chunk, (int)n) != MI_SUCCESS) {
            log_error("%s: cannot replace the body (the MTA refused it)", msg->queue_id);
            return -1;
        }
        at += (uint64_t)n;
    }
    return 0;
}

/* The password notice's addressees (password_notice_to, the sender's or the
 * admin's) into TO (room for the sender, the recipients and the forwards);
 * their count. */
static size_t notice_addressees(const struct inspection *in,
                                const struct apply_message *msg, const char **to)
{
    const struct rules_verdict *v = &in->verdict;
    size_t n = 0;
    bool sender = strcmp(in->password_notice_to, "recipients") != 0;
    bool recipients = strcmp(in->password_notice_to, "sender") != 0;
    if (sender && msg->sender[0] != '\0')
        to[n++] = msg->sender;
    for (size_t i = 0; recipients && v->deliver_original && i < msg->nrecipients; i++)
        to[n++] = msg->recipients[i];
    for (size_t i = 0; recipients && i < v->nforward; i++)
        to[n++] = v->forward[i];
    return n;
}

/*
 * Seals the targeted attachments (encrypt.h) and replaces the body.
 * SMFIS_CONTINUE with *SEALED set when it was done (RES holds the zip's
 * name, files and password), or not when nothing was to be sealed; any
 * other answer refuses or defers the message, logged.
 */
static sfsistat apply_encrypt(SMFICTX *ctx, const struct config *cfg,
                              const struct encrypt_policy *policy,
                              const struct secret_key *password_key,
                              const struct apply_message *msg,
                              const struct inspection *in, struct encrypt_result *res,
                              bool *sealed, bool *own)
{
    char err[512], reply[300];
    struct encrypt_request req = {
        .queue_id = msg->queue_id,
        .now = time(NULL),
        .progress = apply_progress,
        .progress_ctx = ctx,
    };
    *sealed = false;
    if (queueid_classify(msg->queue_id) == QUEUEID_INVALID) {
        /* The password notice is found by the queue ID: without one it could
         * never be sent, and the zip would reach nobody who can open it. */
        log_error("%s: cannot encrypt a message without a valid queue ID (is \"i\" in "
                  "milter_end_of_data_macros?)",
                  msg->queue_id);
        return apply_tempfail(ctx, msg, MC_TEMPFAIL_QUEUE_ID);
    }
    struct spool *body = spool_new(cfg->message_memory_limit, cfg->temp_dir);
    if (body == NULL) {
        log_error("%s: cannot encrypt: out of memory", msg->queue_id);
        return apply_tempfail(ctx, msg, MC_TEMPFAIL_MEMORY);
    }
    /* The sender's own password, where allowed: opened with the key derived
     * at start, for the sender's address.  One that cannot be opened (the
     * key replaced) is replaced by a fresh one, said: the notice then
     * carries that password. */
    char mine[SECRET_PLAIN_MAX + 1] = "", context[330];
    *own = false;
    if (in->own_password[0] != '\0') {
        snprintf(err, sizeof(err), "the sender's address is no key");
        *own = user_settings_key(msg->sender, context, sizeof(context)) &&
               secret_open(password_key, context, in->own_password, mine, sizeof(mine),
                           err, sizeof(err)) == 0;
        if (!*own)
            log_warning("%s: encrypt: the sender's own password cannot be opened (%s): a "
                        "fresh one is made",
                        msg->queue_id, err);
    }
    req.password = *own ? mine : NULL;
    enum encrypt_outcome o =
        encrypt_message(policy, in->view, msg->spool, &req, body, res, err, sizeof(err));
    password_wipe(mine, sizeof(mine));
    for (size_t i = 0; i < res->nleft; i++) {
        char shown[300];
        log_info("%s: encrypt: left as it was (an encrypted archive already): \"%s\"",
                 msg->queue_id,
                 log_escape(shown, sizeof(shown), res->left[i], strlen(res->left[i])));
    }
    sfsistat answer = SMFIS_CONTINUE;
    if (o == ENCRYPT_FAILED) {
        log_error("%s: temporary failure: cannot encrypt the attachments: %s",
                  msg->queue_id, err);
        answer = apply_tempfail(ctx, msg, MC_TEMPFAIL_ENCRYPT);
    } else if (o == ENCRYPT_REFUSED) {
        log_warning("%s: rejected: the attachments must be encrypted and cannot be: %s",
                    msg->queue_id, err);
        snprintf(reply, sizeof(reply),
                 "sendwatch: the attachments must be encrypted and this message's "
                 "cannot be (queue ID %s)",
                 msg->queue_id);
        smfi_setreply(ctx, "554", "5.6.0", reply);
        answer = SMFIS_REJECT;
        metrics_add(msg->metrics, MC_VERDICT_REJECT, 1);
    } else if (o == ENCRYPT_NOTHING) {
        log_info("%s: encrypt: no attachment to seal", msg->queue_id);
    } else {
        uint64_t size = res->body_start + spool_size(body);
        if (!encrypt_size_fits(cfg, size, msg->nrecipients)) {
            log_warning("%s: rejected: %llu bytes once its attachments are encrypted, "
                        "over message_size_limit (%zu)",
                        msg->queue_id, (unsigned long long)size, cfg->message_size_limit);
            snprintf(reply, sizeof(reply),
                     "sendwatch: message too large once its attachments are encrypted "
                     "(%llu bytes; the limit is %zu)",
                     (unsigned long long)size, cfg->message_size_limit);
            smfi_setreply(ctx, "552", "5.3.4", reply);
            answer = SMFIS_REJECT;
            metrics_add(msg->metrics, MC_VERDICT_REJECT, 1);
        } else if (smfi_progress(ctx) != MI_SUCCESS ||
                   replace_body(ctx, msg, body) != 0) {
            answer = apply_tempfail(ctx, msg, MC_TEMPFAIL_ENCRYPT);
        } else {
            char zip[300];
            log_info("%s: encrypt: %zu file(s) sealed into \"%s\", %llu bytes (%s, %s "
                     "password), new size %llu%s",
                     msg->queue_id, res->nfiles,
                     log_escape(zip, sizeof(zip), res->zip_name, strlen(res->zip_name)),
                     (unsigned long long)res->zip_size, cfg->encrypt_method,
                     *own ? "the sender's own" : "a fresh", (unsigned long long)size,
                     res->kept_utf8 ? ", some names kept in UTF-8 (no CP932 for them)"
                                    : "");
            *sealed = true;
        }
    }
    spool_free(body);
    return answer;
}

/* The password notice's JOB of a message not held: committed alone, holdd woken. */
static int apply_password_job(const struct config *cfg, struct store *store,
                              const struct password_job *job, const char *queue_id)
{
    char err[512];
    struct store_txn *t = store_begin(store, err, sizeof(err));
    int rc = -1;
    if (t != NULL && password_job_add(t, job, false, time(NULL), err, sizeof(err)) != 0)
        store_abort(t);
    else if (t != NULL)
        rc = store_commit(t, err, sizeof(err));
    if (rc != 0) {
        log_error("%s: cannot record the password notice: %s", queue_id, err);
        return -1;
    }
    hold_wake(cfg->holdd_socket);
    return 0;
}

/*
 * The password notice's job of the message sealed as SEALED_AS into *JOB:
 * its addressees in a malloc'ed array (the caller frees job->to), KEPT
 * (SECRET_TEXT_MAX bytes) the password - or, OWN, the sender's hint -
 * sealed for the queue ID: it is never in the state store in clear.
 * 1 ready, 0 nobody to tell (logged), -1 out of memory or it cannot be
 * sealed (logged).
 */
static int password_job_of(const struct secret_key *key, const struct apply_message *msg,
                           const struct inspection *in,
                           const struct encrypt_result *sealed_as, bool own, char *kept,
                           struct password_job *job)
{
    char why[256];
    const char **to = calloc(msg->nrecipients + in->verdict.nforward + 1, sizeof(*to));
    if (to == NULL) {
        log_error("%s: cannot record the password notice: out of memory", msg->queue_id);
        return -1;
    }
    *job = (struct password_job){
        .queue_id = msg->queue_id,
        .sender = msg->sender,
        .subject = view_subject(in->view),
        .recipients = msg->recipients,
        .nrecipients = msg->nrecipients,
        .files = sealed_as->files,
        .nfiles = sealed_as->nfiles,
        .zip_name = sealed_as->zip_name,
        .password = kept,
        .own = own,
        .to = to,
        .nto = notice_addressees(in, msg, to),
    };
    if (job->nto == 0) {
        log_warning("%s: encrypt: nobody to send the password to (a bounce, and "
                    "password_notice_to = sender)",
                    msg->queue_id);
        return 0;
    }
    if (secret_seal(key, msg->queue_id, own ? in->own_password_hint : sealed_as->password,
                    kept, SECRET_TEXT_MAX, why, sizeof(why)) != 0) {
        log_error("%s: cannot seal the password for its notice: %s", msg->queue_id, why);
        return -1;
    }
    return 1;
}

/* Everything after the rules' refusals: seal, change recipients, hold, answer. */
static sfsistat apply_delivery(SMFICTX *ctx, const struct config *cfg,
                               const struct encrypt_policy *policy,
                               const struct secret_key *password_key, struct store *store,
                               const struct apply_message *msg,
                               const struct inspection *in)
{
    const struct rules_verdict *v = &in->verdict;
    long hold = in->hold_seconds; /* the decision: rules, policy, sender (inspect.h) */
    struct encrypt_result sealed_as = {0};
    bool sealed = false, own = false;
    sfsistat answer = SMFIS_CONTINUE;

    if (in->encryption.encrypt && policy != NULL) {
        if (in->encryption.exempted > 0)
            log_info("%s: encrypt: %s", msg->queue_id, in->encryption.why);
        answer = apply_encrypt(ctx, cfg, policy, password_key, msg, in, &sealed_as,
                               &sealed, &own);
        if (answer != SMFIS_CONTINUE)
            goto done;
    }
    if (!v->deliver_original) {
        if (v->nforward == 0) {
            answer = SMFIS_DISCARD;
            metrics_add(msg->metrics, MC_VERDICT_DISCARD, 1);
            goto done;
        }
        /* Remove first, then add: Postfix's delete would also remove a forward
         * address that is one of the original recipients, added just before. */
        for (size_t i = 0; i < msg->nrecipients; i++)
            if (smfi_delrcpt(ctx, msg->recipients_raw[i]) != MI_SUCCESS) {
                log_error("%s: cannot remove recipient %s", msg->queue_id,
                          msg->recipients[i]);
                answer = apply_tempfail(ctx, msg, MC_TEMPFAIL_RECIPIENTS);
                goto done;
            }
    }
    for (size_t i = 0; i < v->nforward; i++) {
        char bracketed[300];
        snprintf(bracketed, sizeof(bracketed), "<%s>", v->forward[i]);
        if (smfi_addrcpt(ctx, bracketed) != MI_SUCCESS) {
            log_error("%s: cannot add recipient %s", msg->queue_id, v->forward[i]);
            answer = apply_tempfail(ctx, msg, MC_TEMPFAIL_RECIPIENTS);
            goto done;
        }
    }
    /* Sealed: the password notice's job goes with the hold record, or alone. */
    struct password_job job = {.to = NULL};
    char kept[SECRET_TEXT_MAX];
    int ready =
        sealed ? password_job_of(password_key, msg, in, &sealed_as, own, kept, &job) : 0;
    const struct password_job *pj = ready > 0 ? &job : NULL;
    if (ready < 0)
        answer = apply_tempfail(ctx, msg, MC_TEMPFAIL_STATE);
    else if (hold > 0)
        answer = apply_hold(ctx, cfg, store, msg, in, hold, pj);
    else if (pj != NULL && apply_password_job(cfg, store, pj, msg->queue_id) != 0)
        answer = apply_tempfail(ctx, msg, MC_TEMPFAIL_STATE);
    free((void *)job.to);
    /* Counted once the message goes on its way; a failure was counted
     * by its cause. */
    if (answer == SMFIS_CONTINUE) {
        metrics_add(msg->metrics, MC_VERDICT_ENCRYPT, sealed ? 1 : 0);
        metrics_add(msg->metrics, MC_VERDICT_HOLD, hold > 0 ? 1 : 0);
        metrics_add(msg->metrics, MC_VERDICT_FORWARD, v->nforward > 0 ? 1 : 0);
        bool changed = sealed || hold > 0 || v->nforward > 0 || v->nstore > 0;
        metrics_add(msg->metrics, MC_VERDICT_ACCEPT, changed ? 0 : 1);
    }
done:
    encrypt_result_clear(&sealed_as);
    return answer;
}

sfsistat apply_verdict(SMFICTX *ctx, const struct config *cfg,
                       const struct encrypt_policy *encryption,
                       const struct secret_key *password_key, struct store *store,
                       const struct apply_message *msg, const struct inspection *in)
{
    const struct rules_verdict *v = &in->verdict;
    char rules[512], actions[1024], subject[256], sender[300];

    if (v->nmatched == 0)
        return apply_delivery(ctx, cfg, encryption, password_key, store, msg, in);
    inspect_describe_rules(v, rules, sizeof(rules));
    inspect_describe_actions(in, actions, sizeof(actions));
    const char *s = view_subject(in->view);
    log_escape(subject, sizeof(subject), s, strlen(s));
    log_escape(sender, sizeof(sender), msg->sender, strlen(msg->sender));
    log_info("%s: audit: rules=%s actions=%s from=<%s> nrcpt=%zu subject=\"%s\"",
             msg->queue_id, rules, actions, sender, msg->nrecipients, subject);

    if (v->nstore > 0 && apply_store(cfg, store, msg, in, rules) != 0)
        return apply_tempfail(ctx, msg, MC_TEMPFAIL_STATE);
    sfsistat answer;
    if (v->reject_text != NULL) {
        char text[900];
        reply_text(text, sizeof(text), v->reject_text);
        smfi_setreply(ctx, "550", "5.7.1", text);
        metrics_add(msg->metrics, MC_VERDICT_REJECT, 1);
        answer = SMFIS_REJECT;
    } else if (v->tempfail) {
        smfi_setreply(ctx, "451", "4.7.1", "sendwatch: message deferred by policy");
        metrics_add(msg->metrics, MC_VERDICT_DEFER, 1);
        answer = SMFIS_TEMPFAIL;
    } else {
        answer = apply_delivery(ctx, cfg, encryption, password_key, store, msg, in);
    }
    /* Counted once the message's fate is settled: one our failure put off
     * comes again and is counted then (its cause was counted now). */
    if (answer != SMFIS_TEMPFAIL || v->tempfail) {
        for (size_t i = 0; i < v->nmatched; i++)
            metrics_rule_hit(msg->metrics, v->matched[i]);
        metrics_add(msg->metrics, MC_VERDICT_STORE, v->nstore > 0 ? 1 : 0);
    }
    return answer;
}
