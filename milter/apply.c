/* apply - see apply.h. */
#include "apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hold.h"
#include "log.h"
#include "quarantine.h"
#include "queueid.h"

static sfsistat apply_tempfail(SMFICTX *ctx)
{
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

/* Stores a copy in each folder the verdict names, indexed in LMDB. */
static int apply_store(const struct config *cfg, struct store *store,
                       const struct apply_message *msg, const struct inspection *in,
                       const char *rules)
{
    char *prefix = stored_prefix(msg, rules);
    const char **matches = stored_matches(in);
    char err[512], file[256];
    int rc = 0;

    if (prefix == NULL || matches == NULL) {
        log_error("%s: cannot store a copy: out of memory", msg->queue_id);
        free(prefix);
        free(matches);
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
    for (size_t i = 0; i < in->verdict.nhits; i++)
        free((char *)matches[i]);
    free(matches);
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
                           long seconds)
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
        return apply_tempfail(ctx);
    case QUEUEID_INVALID:
        log_error("%s: cannot hold a message without a valid queue ID (is \"i\" in "
                  "milter_end_of_data_macros?)",
                  msg->queue_id);
        return apply_tempfail(ctx);
    }
    if (smfi_addheader(ctx, HOLD_MARKER_HEADER, (char *)msg->queue_id) != MI_SUCCESS) {
        log_error("%s: cannot add the %s header", msg->queue_id, HOLD_MARKER_HEADER);
        return apply_tempfail(ctx);
    }
    size_t natt = view_attachment_count(in->view), n = 0;
    const char **names = calloc(natt ? natt : 1, sizeof(*names));
    if (names == NULL) {
        log_error("%s: cannot hold: out of memory", msg->queue_id);
        return apply_tempfail(ctx);
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
    if (rc == 0)
        rc = store_commit(t, err, sizeof(err));
    else
        store_abort(t);
    free(names);
    if (rc != 0) {
        log_error("%s: cannot record the hold: %s", msg->queue_id, err);
        return apply_tempfail(ctx);
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

sfsistat apply_verdict(SMFICTX *ctx, const struct config *cfg, struct store *store,
                       const struct apply_message *msg, const struct inspection *in)
{
    const struct rules_verdict *v = &in->verdict;
    char rules[512], actions[1024], subject[256], sender[300];
    long hold = in->hold_seconds; /* the decision: rules, policy, sender (inspect.h) */

    if (v->nmatched == 0)
        return hold > 0 ? apply_hold(ctx, cfg, store, msg, in, hold) : SMFIS_CONTINUE;
    inspect_describe_rules(v, rules, sizeof(rules));
    inspect_describe_actions(in, actions, sizeof(actions));
    const char *s = view_subject(in->view);
    log_escape(subject, sizeof(subject), s, strlen(s));
    log_escape(sender, sizeof(sender), msg->sender, strlen(msg->sender));
    log_info("%s: audit: rules=%s actions=%s from=<%s> nrcpt=%zu subject=\"%s\"",
             msg->queue_id, rules, actions, sender, msg->nrecipients, subject);

    if (v->nstore > 0 && apply_store(cfg, store, msg, in, rules) != 0)
        return apply_tempfail(ctx);
    if (v->reject_text != NULL) {
        char text[900];
        reply_text(text, sizeof(text), v->reject_text);
        smfi_setreply(ctx, "550", "5.7.1", text);
        return SMFIS_REJECT;
    }
    if (v->tempfail) {
        smfi_setreply(ctx, "451", "4.7.1", "sendwatch: message deferred by policy");
        return SMFIS_TEMPFAIL;
    }
    if (!v->deliver_original) {
        if (v->nforward == 0)
            return SMFIS_DISCARD;
        /* Remove first, then add: Postfix's delete would also remove a forward
         * address that is one of the original recipients, added just before. */
        for (size_t i = 0; i < msg->nrecipients; i++)
            if (smfi_delrcpt(ctx, msg->recipients_raw[i]) != MI_SUCCESS) {
                log_error("%s: cannot remove recipient %s", msg->queue_id,
                          msg->recipients[i]);
                return apply_tempfail(ctx);
            }
    }
    for (size_t i = 0; i < v->nforward; i++) {
        char bracketed[300];
        snprintf(bracketed, sizeof(bracketed), "<%s>", v->forward[i]);
        if (smfi_addrcpt(ctx, bracketed) != MI_SUCCESS) {
            log_error("%s: cannot add recipient %s", msg->queue_id, v->forward[i]);
            return apply_tempfail(ctx);
        }
    }
    return hold > 0 ? apply_hold(ctx, cfg, store, msg, in, hold) : SMFIS_CONTINUE;
}
