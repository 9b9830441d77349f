/*
 * deliveries - see holdd.h: a quarantined copy an admin chose, on the
 * console, to send on to its original recipients.
 *
 * The copy is read as it was stored (quarantine.h), the lines sendwatch
 * put before it (X-Sendwatch-Queue-ID, -Envelope-From, -Envelope-To,
 * -Rules) are taken off, and the root helper gives the rest to Postfix's
 * sendmail with the envelope of the index entry: from the original sender
 * to the original recipients.  The index entry then says who had it
 * delivered and when, in the transaction that ends the job and writes the
 * audit line.
 *
 * Never twice: before the hand-over a claim is committed (the job moved to
 * its retry time, the entry marked "delivery started").  Should the outcome
 * then not be recorded - a crash, a full map, a helper that does not
 * answer - the next look finds the mark and notes the copy delivered
 * (unconfirmed) instead of sending it again.  A failure sendmail reports is
 * retried with the hold notices' backoff, up to DELIVER_MAX_ATTEMPTS times;
 * what can never go (the entry or its copy gone, more than 64 recipients,
 * an address the helper refuses) is given up, said, and may be asked again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "holdd.h"
#include "log.h"
#include "quarantine.h"
#include "web_job.h"

#define DELIVER_MAX_ATTEMPTS 10

/* The lines sendwatch wrote before the stored message (milter/apply.c). */
static bool our_prefix_line(const char *line, size_t len)
{
    static const char *const names[] = {
        "X-Sendwatch-Queue-ID:", "X-Sendwatch-Envelope-From:", "X-Sendwatch-Envelope-To:",
        "X-Sendwatch-Rules:"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (len >= strlen(names[i]) && strncmp(line, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

/* Where the message begins in the stored copy DATA: after our prefix lines. */
static size_t message_start(const char *data, size_t len)
{
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t line = nl ? (size_t)(nl - (data + at)) + 1 : len - at;
        if (!our_prefix_line(data + at, line))
            break;
        at += line;
    }
    return at;
}

/* Where the job stands once an attempt is over. */
enum delivery_end {
    DELIVERY_RETRY,     /* not sent: try again (the claim set the job's time) */
    DELIVERY_SENT,      /* it went: noted for good */
    DELIVERY_GIVEN_UP,  /* it can never go: the ask is taken back */
    DELIVERY_UNCERTAIN, /* handed over, outcome never recorded: noted, not resent */
};

struct delivered {
    const char *job_key; /* the job as it stands now (after the claim) */
    const struct web_job *job;
    enum delivery_end end;
    time_t started; /* DELIVERY_UNCERTAIN: when it was handed over */
    const char *result;
};

/* Records how an attempt ended, the audit line with an end, in one transaction. */
static int delivered_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct delivered *d = ctx;
    time_t now = time(NULL);
    const char *entry = d->job->entry;
    if (d->end == DELIVERY_RETRY) {
        /* Not handed over after all: the start mark goes, the job waits. */
        return quarantine_entry_delivery_started(t, entry, 0, err, errlen) < 0 ? -1 : 0;
    }
    char by[sizeof(d->job->by) + 16];
    snprintf(by, sizeof(by), "%s%s", d->job->by,
             d->end == DELIVERY_UNCERTAIN ? " (unconfirmed)" : "");
    bool sent = d->end != DELIVERY_GIVEN_UP;
    if (store_txn_del(t, STORE_OUTBOX, d->job_key, err, errlen) != 0 ||
        quarantine_entry_delivered(t, entry,
                                   d->end == DELIVERY_UNCERTAIN ? d->started : now, by,
                                   sent, err, errlen) < 0)
        return -1;
    struct audit_entry e = {.time = now,
                            .who = "holdd",
                            .action = "quarantine-deliver",
                            .target = entry,
                            .from = "",
                            .result = d->result};
    return audit_add(t, &e, err, errlen);
}

/* The claim, before the copy is handed over: the job moves to its retry time
 * (attempts counted) and the entry says a delivery has started. */
struct claim {
    const char *key;
    const struct web_job *job;
    char new_key[80];
    time_t now;
};

static int claim_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    struct claim *c = ctx;
    if (web_job_retry(t, c->key, c->job, false, c->now, hold_backoff(c->job->attempts),
                      c->new_key, err, errlen) != 0)
        return -1;
    return quarantine_entry_delivery_started(t, c->job->entry, c->now, err, errlen) == 0
               ? 0
               : -1;
}

/* Reads the copy of E whole into B (at most HELPER_DELIVER_MAX bytes).  0, or -1 with
 * ERR. */
static int read_copy(struct holdd *h, const struct quarantine_entry *e, struct buf *b,
                     char *err, size_t errlen)
{
    int fd = quarantine_open_copy(h->cfg->quarantine_dir, e, err, errlen);
    if (fd < 0)
        return -1;
    char chunk[65536];
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = read(fd, chunk, sizeof(chunk))) > 0) {
        if (b->len + (size_t)got > HELPER_DELIVER_MAX) {
            snprintf(err, errlen, "the copy is larger than %u bytes", HELPER_DELIVER_MAX);
            rc = -1;
        } else if (buf_append(b, chunk, (size_t)got) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    if (rc == 0 && got < 0) {
        snprintf(err, errlen, "reading the copy: %s", strerror(errno));
        rc = -1;
    }
    close(fd);
    return rc;
}

/*
 * One attempt at the job KEY: a copy that can never go is given up; one
 * whose earlier hand-over has no recorded outcome is noted delivered
 * (unconfirmed), never sent twice; else it is claimed (committed), handed
 * to the helper, and the outcome recorded.  Long because every way an
 * attempt ends is decided here, in order.
 */
int deliver_quarantined(struct holdd *h, const char *key)
{
    struct web_job j;
    char err[512] = "", detail[HELPER_DETAIL_SIZE] = "";
    int found = web_job_get(h->store, key, &j, err, sizeof(err));
    if (found == 0)
        return 0;
    if (found < 0) {
        log_error("quarantine delivery dropped: %s", err);
        return holdd_txn(h, key, holdd_drop_job_fn, (void *)key);
    }
    struct delivered d = {.job_key = key, .job = &j, .end = DELIVERY_GIVEN_UP};
    if (j.attempts >= DELIVER_MAX_ATTEMPTS) {
        log_error("quarantine %s: delivery given up after %ld attempts", j.entry,
                  j.attempts);
        d.result = "failed: too many attempts";
        return holdd_txn(h, "the quarantine delivery", delivered_fn, &d);
    }
    struct quarantine_entry *e = NULL;
    found = quarantine_entry_get(h->store, j.entry, &e, err, sizeof(err));
    if (found <= 0) {
        log_error("quarantine %s: not delivered: %s", j.entry,
                  found < 0 ? err : "the entry is gone");
        d.result = found < 0 ? "failed: the entry cannot be read" : "failed: entry gone";
        return holdd_txn(h, "the quarantine delivery", delivered_fn, &d);
    }
    int rc;
    struct buf copy = {0};
    if (e->delivery_started != 0) {
        /* Handed over before, its outcome never recorded: it may well have
         * gone.  Never a second copy: noted, for the admin to judge. */
        log_warning("quarantine %s: a delivery started at %lld has no recorded outcome: "
                    "noted as delivered (unconfirmed), not sent again",
                    j.entry, (long long)e->delivery_started);
        d.end = DELIVERY_UNCERTAIN;
        d.started = e->delivery_started;
        d.result = "uncertain: handed to Postfix, outcome not recorded; not sent again";
        rc = holdd_txn(h, "the quarantine delivery", delivered_fn, &d);
        goto out;
    }
    if (e->nrecipients < 1 || e->nrecipients > HELPER_DELIVER_RCPTS ||
        read_copy(h, e, &copy, err, sizeof(err)) != 0) {
        if (e->nrecipients < 1 || e->nrecipients > HELPER_DELIVER_RCPTS)
            snprintf(err, sizeof(err), "%zu recipients: 1 to %d can be sent this way",
                     e->nrecipients, HELPER_DELIVER_RCPTS);
        log_error("quarantine %s: not delivered: %s", j.entry, err);
        d.result = "failed: cannot be sent this way";
        rc = holdd_txn(h, "the quarantine delivery", delivered_fn, &d);
        goto out;
    }
    struct claim c = {.key = key, .job = &j, .now = time(NULL)};
    if (holdd_txn(h, "the quarantine delivery's claim", claim_fn, &c) != 0) {
        rc = -1; /* nothing handed over: the job is looked at again */
        goto out;
    }
    d.job_key = c.new_key;
    size_t start = message_start(copy.data, copy.len);
    enum helper_result result = HELPER_FAILED;
    if (holdd_deliver(h, e->sender, e->recipients, e->nrecipients, copy.data + start,
                      copy.len - start, &result, detail, err, sizeof(err)) != 0) {
        /* The helper did not answer: it may have handed it over.  The start
         * mark stays, and the next look notes it, unconfirmed. */
        log_error("quarantine %s: the root helper did not answer (%s): the delivery's "
                  "outcome is unknown",
                  j.entry, err);
        rc = 0;
        goto out;
    }
    if (result == HELPER_DONE) {
        d.end = DELIVERY_SENT;
        d.result = "ok";
        log_info(
            "quarantine %s (queue ID %s): delivered to its %zu recipients as %s asked",
            j.entry, e->queue_id, e->nrecipients, j.by);
    } else if (result == HELPER_REFUSED) {
        d.result = "failed: refused";
        log_error("quarantine %s: not delivered: the helper refused: %s", j.entry,
                  detail);
    } else {
        d.end = DELIVERY_RETRY;
        log_error("quarantine %s: delivery failed (attempt %ld), retrying in %lld s: %s",
                  j.entry, j.attempts + 1, (long long)hold_backoff(j.attempts), detail);
    }
    /* Should this fail, the start mark stays: the next look notes it, never resends. */
    rc = holdd_txn(h, "the quarantine delivery", delivered_fn, &d);
out:
    buf_free(&copy);
    quarantine_entry_free(e);
    return rc;
}
