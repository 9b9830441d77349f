/* callbacks - see callbacks.h. */
#include "callbacks.h"

#include <libmilter/mfapi.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apply.h"
#include "inspect.h"
#include "log.h"
#include "marker.h"
#include "metrics.h"
#include "notice_mark.h"
#include "queueid.h"
#include "snapshot.h"
#include "spool.h"

/* Protocol steps we never need: skipping them saves a round trip each. */
#define CALLBACKS_SKIP (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA)
/* Steps we accept without answering, so Postfix streams instead of waiting. */
#define CALLBACKS_NO_REPLY (SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

struct message {
    const struct snapshot *snap; /* config and rules pinned at MAIL FROM */
    char *sender;
    char **recipients;     /* addresses, brackets removed */
    char **recipients_raw; /* as given, for smfi_delrcpt() */
    size_t nrecipients, recipients_cap;
    struct spool *spool;
    unsigned forged_markers; /* X-Sendwatch-Hold headers the client wrote */
    unsigned notice_marks;   /* X-Sendwatch-Origin headers (notice_mark.h) */
    char *notice_mark;       /* the first one's value */
    uint64_t body_start;     /* where the body begins in the spool */
    bool failed;             /* a step failed: the answer will be tempfail */
    enum metrics_counter fail_cause;
    char error[256]; /* why, for the log */
};

struct connection {
    unsigned long protocol; /* SMFIP_* flags agreed in negotiate */
    struct message *message;
};

static struct store *callbacks_store;
static struct metrics *callbacks_metrics;             /* NULL: none kept */
static const struct secret_key *callbacks_notice_key; /* checks notice_mark.h's header */
static const struct secret_key *callbacks_password_key; /* set at start (main.c) */

static void message_free(struct message *msg)
{
    if (msg == NULL)
        return;
    free(msg->sender);
    free(msg->notice_mark);
    for (size_t i = 0; i < msg->nrecipients; i++) {
        free(msg->recipients[i]);
        free(msg->recipients_raw[i]);
    }
    free(msg->recipients);
    free(msg->recipients_raw);
    spool_free(msg->spool);
    snapshot_release(msg->snap);
    free(msg);
}

static struct message *message_new(void)
{
    struct message *msg = calloc(1, sizeof(*msg));

    if (msg == NULL)
        return NULL;
    msg->snap = snapshot_acquire();
    msg->spool =
        spool_new(msg->snap->cfg->message_memory_limit, msg->snap->cfg->temp_dir);
    if (msg->spool == NULL) {
        message_free(msg);
        return NULL;
    }
    return msg;
}

/* Records the first failure of a message; later steps keep the first reason. */
static void message_fail(struct message *msg, const char *why, enum metrics_counter cause)
{
    if (!msg->failed) {
        msg->failed = true;
        msg->fail_cause = cause;
        snprintf(msg->error, sizeof(msg->error), "%s", why);
    }
}

/* The connection context, made on first use: close may come without connect. */
static struct connection *connection_get(SMFICTX *ctx)
{
    struct connection *conn = smfi_getpriv(ctx);

    if (conn == NULL) {
        conn = calloc(1, sizeof(*conn));
        if (conn != NULL)
            smfi_setpriv(ctx, conn);
    }
    return conn;
}

/* What a step that needs no answer returns, given what was negotiated. */
static sfsistat callbacks_quiet(const struct connection *conn, unsigned long nr_flag)
{
    return (conn->protocol & nr_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat callbacks_tempfail(SMFICTX *ctx, enum metrics_counter cause)
{
    metrics_add(callbacks_metrics, cause, 1);
    smfi_setreply(ctx, "451", "4.3.0", "sendwatch: temporary failure, please try again");
    return SMFIS_TEMPFAIL;
}

/* Strips one pair of angle brackets from an envelope address. */
static char *callbacks_copy_address(const char *arg)
{
    size_t len = strlen(arg);

    if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>')
        return strndup(arg + 1, len - 2);
    return strdup(arg);
}

/*
 * Every action the milter may take, declared at registration and asked for
 * in negotiation alike (one list, so they cannot drift): forward and
 * redirect add and remove recipients; hold adds the marker header, and a
 * marker header the client wrote is removed.
 */
#define CALLBACKS_ACTIONS                                                                \
    (SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY)

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                             unsigned long f2, unsigned long f3, unsigned long *pf0,
                             unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    struct connection *conn = connection_get(ctx);
    (void)f2;
    (void)f3;

    if (conn == NULL)
        return SMFIS_TEMPFAIL;
    *pf0 = f0 & CALLBACKS_ACTIONS;
    conn->protocol = f1 & (CALLBACKS_SKIP | CALLBACKS_NO_REPLY | SMFIP_HDR_LEADSPC);
    *pf1 = conn->protocol;
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

static sfsistat cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
    (void)hostname;
    (void)addr;
    return connection_get(ctx) ? SMFIS_CONTINUE
                               : callbacks_tempfail(ctx, MC_TEMPFAIL_MEMORY);
}

/* The ESMTP SIZE=N parameter among the MAIL FROM arguments, if well formed. */
static bool callbacks_size_param(char **argv, uint64_t *size)
{
    for (size_t i = 1; argv[i] != NULL; i++) {
        const char *v = argv[i];
        if (strncasecmp(v, "SIZE=", 5) != 0)
            continue;
        v += 5;
        size_t n = strspn(v, "0123456789");
        if (n == 0 || n > 15 || v[n] != '\0')
            return false;
        *size = strtoull(v, NULL, 10);
        return true;
    }
    return false;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    struct connection *conn = connection_get(ctx);

    if (conn == NULL) {
        log_error("NOQUEUE: out of memory at MAIL FROM");
        return callbacks_tempfail(ctx, MC_TEMPFAIL_MEMORY);
    }
    /* A new transaction in the same session: drop anything left over. */
    message_free(conn->message);
    conn->message = message_new();
    if (conn->message == NULL ||
        (conn->message->sender = callbacks_copy_address(argv[0])) == NULL) {
        log_error("NOQUEUE: out of memory at MAIL FROM");
        return callbacks_tempfail(ctx, MC_TEMPFAIL_MEMORY);
    }
    /* The client's SIZE= announcement sizes the spool once (or sends a
     * large message straight to a file) instead of growing it on the way;
     * a false one costs at most message_memory_limit, like a real message. */
    uint64_t announced;
    if (callbacks_size_param(argv, &announced)) {
        char err[256];
        if (spool_expect(conn->message->spool, announced + announced / 64 + 4096, err,
                         sizeof(err)) != 0)
            message_fail(conn->message, err, MC_TEMPFAIL_SPOOL);
    }
    return SMFIS_CONTINUE;
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    struct connection *conn = smfi_getpriv(ctx);
    struct message *msg = conn ? conn->message : NULL;

    if (msg == NULL)
        return callbacks_tempfail(ctx, MC_TEMPFAIL_PROTOCOL);
    if (msg->nrecipients == msg->recipients_cap) {
        size_t cap = msg->recipients_cap ? msg->recipients_cap * 2 : 8;
        char **grown = realloc(msg->recipients, cap * sizeof(*grown));
        char **grown_raw =
            grown ? realloc(msg->recipients_raw, cap * sizeof(*grown_raw)) : NULL;
        if (grown != NULL)
            msg->recipients = grown;
        if (grown_raw == NULL) {
            message_fail(msg, "out of memory", MC_TEMPFAIL_MEMORY);
            return SMFIS_CONTINUE; /* answered with tempfail at end of message */
        }
        msg->recipients_raw = grown_raw;
        msg->recipients_cap = cap;
    }
    char *rcpt = callbacks_copy_address(argv[0]);
    char *raw = strdup(argv[0]);
    if (rcpt == NULL || raw == NULL) {
        free(rcpt);
        free(raw);
        message_fail(msg, "out of memory", MC_TEMPFAIL_MEMORY);
        return SMFIS_CONTINUE;
    }
    msg->recipients[msg->nrecipients] = rcpt;
    msg->recipients_raw[msg->nrecipients++] = raw;
    return SMFIS_CONTINUE;
}

/* Appends BYTES to the message, recording a failure once. */
static void message_append(struct message *msg, const void *bytes, size_t len)
{
    char err[256];

    if (msg->failed)
        return;
    if (spool_write(msg->spool, bytes, len, err, sizeof(err)) != 0)
        message_fail(msg, err, MC_TEMPFAIL_SPOOL);
}

/*
 * Writes "NAME:VALUE\r\n".  With SMFIP_HDR_LEADSPC the value keeps its
 * leading white space, so the header comes back byte for byte; folded
 * lines arrive joined by a bare LF, which becomes CRLF like the body.
 */
static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
    struct connection *conn = smfi_getpriv(ctx);
    struct message *msg = conn ? conn->message : NULL;

    if (msg == NULL)
        return callbacks_tempfail(ctx, MC_TEMPFAIL_PROTOCOL);
    if (strcasecmp(name, MARKER_HEADER) == 0)
        msg->forged_markers++;
    if (strcasecmp(name, NOTICE_MARK_HEADER) == 0 && msg->notice_marks++ == 0 &&
        (msg->notice_mark = strndup(value, NOTICE_MARK_MAX + 16)) == NULL)
        message_fail(msg, "out of memory", MC_TEMPFAIL_MEMORY);
    message_append(msg, name, strlen(name));
    message_append(msg, ":", 1);
    if (!(conn->protocol & SMFIP_HDR_LEADSPC))
        message_append(msg, " ", 1);
    const char *p = value;
    for (const char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        size_t n = (size_t)(nl - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        message_append(msg, p, n);
        message_append(msg, "\r\n", 2);
    }
    message_append(msg, p, strlen(p));
    message_append(msg, "\r\n", 2);
    return callbacks_quiet(conn, SMFIP_NR_HDR);
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
    struct connection *conn = smfi_getpriv(ctx);

    if (conn == NULL || conn->message == NULL)
        return callbacks_tempfail(ctx, MC_TEMPFAIL_PROTOCOL);
    message_append(conn->message, "\r\n", 2);
    conn->message->body_start = spool_size(conn->message->spool);
    return callbacks_quiet(conn, SMFIP_NR_EOH);
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    struct connection *conn = smfi_getpriv(ctx);

    if (conn == NULL || conn->message == NULL)
        return callbacks_tempfail(ctx, MC_TEMPFAIL_PROTOCOL);
    message_append(conn->message, chunk, len);
    return callbacks_quiet(conn, SMFIP_NR_BODY);
}

/*
 * Copies the "i" macro into QUEUE_ID when it is a well-formed Postfix
 * queue ID.  Returns false (QUEUE_ID = "NOQUEUE") otherwise.
 */
static bool callbacks_queue_id(SMFICTX *ctx, char *queue_id, size_t len)
{
    const char *id = smfi_getsymval(ctx, "i");

    if (id != NULL && queueid_valid(id)) {
        snprintf(queue_id, len, "%s", id);
        return true;
    }
    snprintf(queue_id, len, "NOQUEUE");
    return false;
}

/*
 * A message that carries NOTICE_MARK_HEADER: sendwatch's own (a notice,
 * an alert, a copy an admin delivered) when the one header is good for
 * this envelope and body, and then it passes uninspected (*OWN).  Either
 * way every such header is removed: a good one has done its work, a bad
 * one (written by a user, or copied) gains nothing and is logged.  0, or
 * -1 when the headers cannot be removed (tempfail).
 */
static int callbacks_notice_mark(SMFICTX *ctx, struct message *msg, const char *queue_id,
                                 const char *sender, bool *own)
{
    enum notice_mark_check verdict = NOTICE_MARK_MALFORMED;
    *own = false;
    if (msg->notice_marks == 1 && callbacks_notice_key != NULL) {
        struct notice_mark_body *body = notice_mark_body_new();
        char chunk[16384], err[256];
        uint64_t at = msg->body_start, end = spool_size(msg->spool);
        bool read_ok = body != NULL;
        while (read_ok && at < end) {
            size_t want = end - at < sizeof(chunk) ? (size_t)(end - at) : sizeof(chunk);
            read_ok =
                spool_read_full(msg->spool, at, chunk, want, err, sizeof(err)) == 0 &&
                notice_mark_body_add(body, chunk, want) == 0;
            at += want;
        }
        if (read_ok)
            verdict = notice_mark_check(callbacks_notice_key, msg->notice_mark,
                                        time(NULL), (const char *const *)msg->recipients,
                                        msg->nrecipients, body);
        notice_mark_body_free(body);
    }
    for (unsigned i = msg->notice_marks; i > 0; i--)
        if (smfi_chgheader(ctx, NOTICE_MARK_HEADER, (int)i, NULL) != MI_SUCCESS) {
            log_error("%s: from=<%s>: temporary failure: cannot remove the %s header",
                      queue_id, sender, NOTICE_MARK_HEADER);
            return -1;
        }
    if (verdict == NOTICE_MARK_GOOD) {
        *own = true;
        metrics_add(callbacks_metrics, MC_OWN_MESSAGES, 1);
        log_info("%s: from=<%s>, nrcpt=%zu: sendwatch's own message, passed uninspected",
                 queue_id, sender, msg->nrecipients);
    } else {
        metrics_add(callbacks_metrics, MC_MARKS_REFUSED, 1);
        log_warning("%s: from=<%s>: removed %u %s header(s) that sendwatch did not write "
                    "for this message (%s): inspected like any other",
                    queue_id, sender, msg->notice_marks, NOTICE_MARK_HEADER,
                    msg->notice_marks > 1 ? "more than one"
                                          : notice_mark_check_text(verdict));
    }
    return 0;
}

/* Inspects the collected message and carries out the verdict. */
static sfsistat callbacks_inspect(SMFICTX *ctx, struct message *msg, const char *queue_id,
                                  const char *sender)
{
    const struct config *cfg = msg->snap->cfg;
    struct inspection in;
    char err[512];

    if (inspect_message(cfg, msg->snap->rules, msg->snap->encryption, callbacks_store,
                        msg->spool, msg->sender, (const char *const *)msg->recipients,
                        msg->nrecipients, &in, err, sizeof(err)) != 0) {
        log_error("%s: from=<%s>: temporary failure: cannot inspect: %s", queue_id,
                  sender, err);
        return callbacks_tempfail(ctx, MC_TEMPFAIL_INSPECT);
    }
    unsigned flags = view_flags(in.view);
    char flag_names[256] = "";
    for (unsigned flag = 1; flag <= VIEW_FLAG_LAST; flag <<= 1)
        if ((flags & flag) && flag != VIEW_CHARSET_RELABELED)
            snprintf(flag_names + strlen(flag_names),
                     sizeof(flag_names) - strlen(flag_names), ", %s",
                     view_flag_name(flag));
    log_info("%s: from=<%s>, nrcpt=%zu, size=%llu, spool=%s, attachments=%zu%s", queue_id,
             sender, msg->nrecipients, (unsigned long long)spool_size(msg->spool),
             spool_spilled(msg->spool) ? "file" : "memory",
             view_attachment_count(in.view), flag_names);
    if (flags & (VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED)) {
        const char *why = view_problem(in.view);
        char shown[300];
        log_warning("%s: %s", queue_id,
                    log_escape(shown, sizeof(shown), why, strlen(why)));
    }
    sfsistat verdict;
    if (in.verdict.error[0] != '\0') {
        /* A rule could not be evaluated: fail closed. */
        log_error("%s: temporary failure: %s", queue_id, in.verdict.error);
        verdict = callbacks_tempfail(ctx, MC_TEMPFAIL_RULE);
    } else {
        struct apply_message am = {
            .queue_id = queue_id,
            .sender = msg->sender,
            .recipients = msg->recipients,
            .recipients_raw = msg->recipients_raw,
            .nrecipients = msg->nrecipients,
            .spool = msg->spool,
            .metrics = callbacks_metrics,
        };
        verdict = apply_verdict(ctx, cfg, msg->snap->encryption, callbacks_password_key,
                                callbacks_store, &am, &in);
    }
    inspect_free(&in);
    return verdict;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
    struct connection *conn = smfi_getpriv(ctx);
    struct message *msg = conn ? conn->message : NULL;
    char queue_id[QUEUEID_MAX + 1];
    char sender[512];
    sfsistat verdict = SMFIS_CONTINUE;

    if (msg == NULL)
        return callbacks_tempfail(ctx, MC_TEMPFAIL_PROTOCOL);
    if (!callbacks_queue_id(ctx, queue_id, sizeof(queue_id))) {
        const char *raw = smfi_getsymval(ctx, "i");
        char shown[128];
        log_warning("NOQUEUE: missing or malformed queue ID \"%s\" (is \"i\" in "
                    "milter_end_of_data_macros?)",
                    raw ? log_escape(shown, sizeof(shown), raw, strlen(raw)) : "");
    }
    log_escape(sender, sizeof(sender), msg->sender, strlen(msg->sender));
    /* Only the milter's own marker may name a queue ID in a queue file: the
     * root helper trusts it to say which held mail is sendwatch's.  Removed
     * from the last to the first, so the indexes stay put. */
    for (unsigned i = msg->forged_markers; i > 0 && !msg->failed; i--)
        if (smfi_chgheader(ctx, MARKER_HEADER, (int)i, NULL) != MI_SUCCESS) {
            msg->failed = true;
            msg->fail_cause = MC_TEMPFAIL_HEADERS;
            snprintf(msg->error, sizeof(msg->error),
                     "cannot remove the client's %s header", MARKER_HEADER);
        }
    if (msg->forged_markers > 0 && !msg->failed)
        log_warning("%s: from=<%s>: removed %u %s header(s) the client wrote", queue_id,
                    sender, msg->forged_markers, MARKER_HEADER);
    bool own = false;
    if (msg->failed) {
        log_error("%s: from=<%s>: temporary failure: %s", queue_id, sender, msg->error);
        verdict = callbacks_tempfail(ctx, msg->fail_cause);
    } else if (msg->notice_marks > 0 &&
               callbacks_notice_mark(ctx, msg, queue_id, sender, &own) != 0) {
        verdict = callbacks_tempfail(ctx, MC_TEMPFAIL_HEADERS);
    } else if (!own) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        verdict = callbacks_inspect(ctx, msg, queue_id, sender);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        metrics_add(callbacks_metrics, MC_INSPECTED, 1);
        metrics_observe(callbacks_metrics, MH_INSPECTION,
                        (double)(t1.tv_sec - t0.tv_sec) +
                            (t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    message_free(msg);
    conn->message = NULL;
    return verdict;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
    struct connection *conn = smfi_getpriv(ctx);

    /* The client or Postfix gave up on this message; the session goes on. */
    if (conn != NULL) {
        message_free(conn->message);
        conn->message = NULL;
    }
    return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
    struct connection *conn = smfi_getpriv(ctx);

    if (conn != NULL) {
        message_free(conn->message);
        free(conn);
        smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

void callbacks_set_store(struct store *store)
{
    callbacks_store = store;
}

void callbacks_set_password_key(const struct secret_key *key)
{
    callbacks_password_key = key;
}

void callbacks_set_notice_key(const struct secret_key *key)
{
    callbacks_notice_key = key;
}

void callbacks_set_metrics(struct metrics *metrics)
{
    callbacks_metrics = metrics;
}

int callbacks_register(void)
{
    static struct smfiDesc desc = {
        .xxfi_name = "sendwatch",
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = CALLBACKS_ACTIONS,
        .xxfi_connect = cb_connect,
        .xxfi_envfrom = cb_envfrom,
        .xxfi_envrcpt = cb_envrcpt,
        .xxfi_header = cb_header,
        .xxfi_eoh = cb_eoh,
        .xxfi_body = cb_body,
        .xxfi_eom = cb_eom,
        .xxfi_abort = cb_abort,
        .xxfi_close = cb_close,
        .xxfi_negotiate = cb_negotiate,
    };

    return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
