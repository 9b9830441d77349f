/* password_job - see password_job.h. */
#include "password_job.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "hold.h"
#include "record.h"

void password_job_key(char *buf, size_t len, time_t not_before, const char *queue_id)
{
    hold_outbox_key(buf, len, not_before, queue_id, "password");
}

bool password_job_parse_key(const char *key, time_t *not_before, char *qid, size_t qidlen)
{
    return hold_parse_outbox_key(key, "password", not_before, qid, qidlen);
}

/* Adds NAME once per value of LIST. */
static bool add_all(struct record *r, const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (record_add(r, name, list[i]) != 0)
            return false;
    return true;
}

/* Writes R under the key of QUEUE_ID at NOT_BEFORE. */
static int put_job(struct store_txn *t, const char *queue_id, time_t not_before,
                   const struct record *r, char *err, size_t errlen)
{
    char key[128];
    size_t len;
    password_job_key(key, sizeof(key), not_before, queue_id);
    const char *bytes = record_bytes(r, &len);
    return store_txn_put(t, STORE_OUTBOX, key, bytes, len, err, errlen);
}

int password_job_add(struct store_txn *t, const struct password_job *j, bool held,
                     time_t now, char *err, size_t errlen)
{
    struct record *r = record_new();
    char created[32];
    snprintf(created, sizeof(created), "%lld", (long long)now);
    bool ok =
        r != NULL && record_add(r, "queue_id", j->queue_id) == 0 &&
        record_add(r, "sender", j->sender) == 0 &&
        record_add(r, "subject", j->subject) == 0 &&
        add_all(r, "recipient", (const char *const *)j->recipients, j->nrecipients) &&
        add_all(r, "file", (const char *const *)j->files, j->nfiles) &&
        record_add(r, "zip", j->zip_name) == 0 && add_all(r, "to", j->to, j->nto) &&
        record_add(r, "created", created) == 0 &&
        (held || record_add(r, "sent", created) == 0) &&
        (!j->own || record_add(r, "own", "yes") == 0) &&
        record_add(r, "password", j->password) == 0;
    int rc = -1;
    if (!ok)
        errbuf_set(err, errlen, "out of memory");
    else
        rc = put_job(t, j->queue_id, held ? PASSWORD_JOB_WAITING : now, r, err, errlen);
    record_free(r);
    return rc;
}

/*
 * Moves the job KEY in T to the key of QUEUE_ID at WHEN, its fields DROP
 * (NULL-terminated) replaced by NAMES = VALUES (NULL-terminated; a name
 * may repeat); every other field is kept as stored, those this version
 * does not know included.  0 (also when there is no such job), or -1.
 */
static int move_job(struct store_txn *t, const char *key, const char *queue_id,
                    time_t when, const char *const *drop, const char *const *names,
                    const char *const *values, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int found = store_txn_get(t, STORE_OUTBOX, key, &data, &len, err, errlen);
    if (found <= 0)
        return found;
    struct record *r = record_copy_without(data, len, drop);
    bool ok = r != NULL;
    for (size_t i = 0; ok && names[i] != NULL; i++)
        ok = record_add(r, names[i], values[i]) == 0;
    int rc = -1;
    if (!ok)
        errbuf_set(err, errlen, "out of memory, or the job %s is damaged", key);
    else if (store_txn_del(t, STORE_OUTBOX, key, err, errlen) == 0)
        rc = put_job(t, queue_id, when, r, err, errlen);
    record_free(r);
    free(data);
    return rc;
}

int password_job_settle(struct store_txn *t, const char *queue_id, bool released,
                        time_t now, char *err, size_t errlen)
{
    char key[128], sent[32];
    password_job_key(key, sizeof(key), PASSWORD_JOB_WAITING, queue_id);
    if (!released)
        return store_txn_del(t, STORE_OUTBOX, key, err, errlen);
    /* The same job, due now, saying when the mail left. */
    snprintf(sent, sizeof(sent), "%lld", (long long)now);
    static const char *const drop[] = {"sent", NULL};
    const char *const names[] = {"sent", NULL}, *const values[] = {sent, NULL};
    return move_job(t, key, queue_id, now, drop, names, values, err, errlen);
}

void password_job_record_clear(struct password_job_record *r)
{
    free(r->password);
    free(r->queue_id);
    free(r->sender);
    free(r->subject);
    free(r->zip_name);
    record_free_all(r->recipients, r->nrecipients);
    record_free_all(r->files, r->nfiles);
    record_free_all(r->to, r->nto);
    memset(r, 0, sizeof(*r));
}

int password_job_get(struct store *st, const char *key, struct password_job_record *r,
                     char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    memset(r, 0, sizeof(*r));
    int found = store_get(st, STORE_OUTBOX, key, &data, &len, err, errlen);
    if (found <= 0)
        return found;
    if (record_version(data, len) != RECORD_VERSION) {
        errbuf_set(err, errlen, "the job %s is of another record version", key);
        free(data);
        return -1;
    }
    char *own = record_get(data, len, "own", 0);
    r->own = own != NULL && strcmp(own, "yes") == 0;
    free(own);
    r->queue_id = record_get(data, len, "queue_id", 0);
    r->sender = record_get(data, len, "sender", 0);
    r->subject = record_get(data, len, "subject", 0);
    r->zip_name = record_get(data, len, "zip", 0);
    r->password = record_get(data, len, "password", 0);
    r->recipients = record_get_all(data, len, "recipient", &r->nrecipients);
    r->files = record_get_all(data, len, "file", &r->nfiles);
    r->to = record_get_all(data, len, "to", &r->nto);
    r->created = (time_t)record_get_number(data, len, "created");
    r->sent = (time_t)record_get_number(data, len, "sent");
    if (r->sent == 0)
        r->sent = r->created; /* a job made before "sent" was kept */
    r->attempts = (long)record_get_number(data, len, "attempts");
    free(data);
    if (r->queue_id == NULL || r->sender == NULL || r->password == NULL ||
        r->zip_name == NULL || r->recipients == NULL || r->files == NULL ||
        r->to == NULL) {
        errbuf_set(err, errlen, "the job %s is damaged (a field is missing)", key);
        password_job_record_clear(r);
        return -1;
    }
    if (r->subject == NULL)
        r->subject = strdup("");
    return 1;
}

int password_job_outcome(struct store_txn *t, const char *key,
                         const struct password_job_record *r, const bool *done,
                         time_t now, const char *why, long *attempt, time_t *wait,
                         char *err, size_t errlen)
{
    *attempt = 0;
    *wait = 0;
    size_t left = 0;
    for (size_t i = 0; i < r->nto; i++)
        left += !done[i];
    if (left == 0)
        return store_txn_del(t, STORE_OUTBOX, key, err, errlen);
    *attempt = r->attempts + 1;
    *wait = hold_backoff(r->attempts);
    /* The job again, later, with the addressees still to be told. */
    char count[32];
    snprintf(count, sizeof(count), "%ld", *attempt);
    const char **names = calloc(left + 3, sizeof(*names));
    const char **values = calloc(left + 3, sizeof(*values));
    int rc = -1;
    if (names == NULL || values == NULL) {
        errbuf_set(err, errlen, "out of memory");
    } else {
        size_t n = 0;
        for (size_t i = 0; i < r->nto; i++)
            if (!done[i]) {
                names[n] = "to";
                values[n++] = r->to[i];
            }
        names[n] = "attempts";
        values[n++] = count;
        names[n] = "error";
        values[n++] = why ? why : "not sent";
        static const char *const drop[] = {"to", "attempts", "error", NULL};
        rc = move_job(t, key, r->queue_id, now + *wait, drop, names, values, err, errlen);
    }
    free(names);
    free(values);
    return rc;
}
