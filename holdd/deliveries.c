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
 * audit line.  A failure is retried with the hold notices' backoff, up to
 * DELIVER_MAX_ATTEMPTS times; what can never go (the entry or its copy
 * gone, an address the helper refuses) is dropped, said.
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

struct delivered {
    const char *job_key;
    const struct web_job *job;
    bool done;
    time_t wait;
    bool mark; /* the copy went: note it on the entry, with the audit line */
    const char *result;
};

static int delivered_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct delivered *d = ctx;
    time_t now = time(NULL);
    if (web_job_outcome(t, d->job_key, d->job, d->done, now, d->wait, err, errlen) != 0)
        return -1;
    if (!d->done)
        return 0;
    if (quarantine_entry_delivered(t, d->job->entry, now, d->job->by, d->mark, err,
                                   errlen) < 0)
        return -1;
    struct audit_entry e = {.time = now,
                            .who = "holdd",
                            .action = "quarantine-deliver",
                            .target = d->job->entry,
                            .from = "",
                            .result = d->result};
    return audit_add(t, &e, err, errlen);
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

int deliver_quarantined(struct holdd *h, const char *key)
{
    struct web_job j;
    char err[512] = "", detail[HELPER_DETAIL_SIZE] = "";
    int found = web_job_get(h->store, key, &j, err, sizeof(err));
    if (found == 0)
        return 0;
    struct delivered d = {.job_key = key, .job = &j, .done = true, .result = "ok"};
    if (found < 0 || j.attempts >= DELIVER_MAX_ATTEMPTS) {
        log_error("quarantine delivery dropped: %s",
                  found < 0 ? err : "too many failed attempts");
        if (found < 0)
            return holdd_txn(h, key, holdd_drop_job_fn, (void *)key);
        d.result = "failed: too many attempts";
        return holdd_txn(h, "the quarantine delivery", delivered_fn, &d);
    }
    struct quarantine_entry *e = NULL;
    found = quarantine_entry_get(h->store, j.entry, &e, err, sizeof(err));
    if (found <= 0) {
        if (found < 0)
            log_error("quarantine %s: cannot be delivered: %s", j.entry, err);
        else
            log_warning("quarantine %s: not delivered: the entry is gone", j.entry);
        d.result = found < 0 ? "failed: the entry cannot be read" : "failed: entry gone";
        return holdd_txn(h, "the quarantine delivery", delivered_fn, &d);
    }
    struct buf copy = {0};
    enum helper_result result = HELPER_FAILED;
    int rc = read_copy(h, e, &copy, err, sizeof(err));
    if (rc != 0) {
        log_error("quarantine %s: not delivered: %s", j.entry, err);
        d.result = "failed: the copy cannot be read";
    } else {
        size_t start = message_start(copy.data, copy.len);
        if (helper_deliver(h->helper, e->sender, e->recipients, e->nrecipients,
                           copy.data + start, copy.len - start, &result, detail, err,
                           sizeof(err)) != 0) {
            /* Too large or too many to ask at all: it will never go this way. */
            log_error("quarantine %s: not delivered: %s", j.entry, err);
            d.result = "failed: cannot be sent this way";
        } else if (result == HELPER_DONE) {
            d.mark = true;
            log_info("quarantine %s (queue ID %s): delivered to its %zu recipients as %s "
                     "asked",
                     j.entry, e->queue_id, e->nrecipients, j.by);
        } else if (result == HELPER_REFUSED) {
            log_error("quarantine %s: not delivered: the helper refused: %s", j.entry,
                      detail);
            d.result = "failed: refused";
        } else {
            d.done = false;
            d.wait = hold_backoff(j.attempts);
            log_error(
                "quarantine %s: delivery failed (attempt %ld), retrying in %lld s: %s",
                j.entry, j.attempts + 1, (long long)d.wait, detail);
        }
    }
    buf_free(&copy);
    quarantine_entry_free(e);
    return holdd_txn(h, "the quarantine delivery", delivered_fn, &d);
}
