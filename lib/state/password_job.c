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
    snprintf(buf, len, "%016llx.%s.password",
             (unsigned long long)(not_before < 0 ? 0 : not_before), queue_id);
}

bool password_job_parse_key(const char *key, time_t *not_before, char *qid, size_t qidlen)
{
    size_t len = strlen(key);
    const char *kind = strrchr(key, '.');
    if (len < 18 || key[16] != '.' || kind == NULL || kind < key + 17 ||
        strcmp(kind, ".password") != 0)
        return false;
    return hold_parse_due_key(key, (size_t)(kind - key), not_before, qid, qidlen) &&
           qid[0];
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
    /* The password goes last: nothing appended after it can make the record's
     * buffer grow and leave an unwiped copy behind (record_free wipes). */
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

int password_job_settle(struct store_txn *t, const char *queue_id, bool released,
                        time_t now, char *err, size_t errlen)
{
    char key[128], *data = NULL;
    size_t len = 0;
    password_job_key(key, sizeof(key), PASSWORD_JOB_WAITING, queue_id);
    int found = store_txn_get(t, STORE_OUTBOX, key, &data, &len, err, errlen);
    if (found <= 0)
        return found;
    int rc = store_txn_del(t, STORE_OUTBOX, key, err, errlen);
    if (rc == 0 && released) {
        /* The same job, due now, saying when the mail left; the password last. */
        static const char *const drop[] = {"sent", "password", NULL};
        struct record *r = record_copy_without(data, len, drop);
        char *password = record_get(data, len, "password", 0);
        char sent[32];
        snprintf(sent, sizeof(sent), "%lld", (long long)now);
        if (r == NULL || password == NULL || record_add(r, "sent", sent) != 0 ||
            record_add(r, "password", password) != 0) {
            errbuf_set(err, errlen, "out of memory, or the job of %s is damaged",
                       queue_id);
            rc = -1;
        } else {
            rc = put_job(t, queue_id, now, r, err, errlen);
        }
        if (password != NULL)
            record_wipe(password, strlen(password));
        free(password);
        record_free(r);
    }
    record_wipe(data, len);
    free(data);
    return rc;
}

/* Every value of NAME in DATA, as a malloc'ed array (*N of them); NULL when out of
 * memory. */
static char **get_all(const char *data, size_t len, const char *name, size_t *n)
{
    char **list = calloc(1, sizeof(*list));
    *n = 0;
    for (char *v; list != NULL && (v = record_get(data, len, name, *n)) != NULL;) {
        char **grown = realloc(list, (*n + 2) * sizeof(*grown));
        if (grown == NULL) {
            free(v);
            break;
        }
        list = grown;
        list[(*n)++] = v;
        list[*n] = NULL;
    }
    return list;
}

static void free_all(char **list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++)
        free(list[i]);
    free(list);
}

void password_job_record_clear(struct password_job_record *r)
{
    if (r->password != NULL)
        record_wipe(r->password, strlen(r->password));
    free(r->password);
    free(r->queue_id);
    free(r->sender);
    free(r->subject);
    free(r->zip_name);
    free_all(r->recipients, r->nrecipients);
    free_all(r->files, r->nfiles);
    free_all(r->to, r->nto);
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
        record_wipe(data, len);
        free(data);
        return -1;
    }
    char *created = record_get(data, len, "created", 0);
    char *sent = record_get(data, len, "sent", 0);
    char *attempts = record_get(data, len, "attempts", 0);
    char *own = record_get(data, len, "own", 0);
    r->own = own != NULL && strcmp(own, "yes") == 0;
    free(own);
    r->queue_id = record_get(data, len, "queue_id", 0);
    r->sender = record_get(data, len, "sender", 0);
    r->subject = record_get(data, len, "subject", 0);
    r->zip_name = record_get(data, len, "zip", 0);
    r->password = record_get(data, len, "password", 0);
    r->recipients = get_all(data, len, "recipient", &r->nrecipients);
    r->files = get_all(data, len, "file", &r->nfiles);
    r->to = get_all(data, len, "to", &r->nto);
    r->created = created ? (time_t)strtoll(created, NULL, 10) : 0;
    r->sent = sent ? (time_t)strtoll(sent, NULL, 10) : r->created;
    r->attempts = attempts ? strtol(attempts, NULL, 10) : 0;
    free(created);
    free(sent);
    free(attempts);
    record_wipe(data, len);
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
    if (store_txn_del(t, STORE_OUTBOX, key, err, errlen) != 0)
        return -1;
    size_t left = 0;
    for (size_t i = 0; i < r->nto; i++)
        left += !done[i];
    if (left == 0)
        return 0;
    *attempt = r->attempts + 1;
    *wait = hold_backoff(r->attempts);
    char created[32], sent[32], count[32];
    snprintf(created, sizeof(created), "%lld", (long long)r->created);
    snprintf(sent, sizeof(sent), "%lld", (long long)r->sent);
    snprintf(count, sizeof(count), "%ld", *attempt);
    struct record *rec = record_new();
    bool ok =
        rec != NULL && record_add(rec, "queue_id", r->queue_id) == 0 &&
        record_add(rec, "sender", r->sender) == 0 &&
        record_add(rec, "subject", r->subject) == 0 &&
        add_all(rec, "recipient", (const char *const *)r->recipients, r->nrecipients) &&
        add_all(rec, "file", (const char *const *)r->files, r->nfiles) &&
        record_add(rec, "zip", r->zip_name) == 0;
    for (size_t i = 0; ok && i < r->nto; i++)
        ok = done[i] || record_add(rec, "to", r->to[i]) == 0;
    ok = ok && record_add(rec, "created", created) == 0 &&
         record_add(rec, "sent", sent) == 0 && record_add(rec, "attempts", count) == 0 &&
         record_add(rec, "error", why ? why : "not sent") == 0 &&
         (!r->own || record_add(rec, "own", "yes") == 0) &&
         record_add(rec, "password", r->password) == 0; /* last: see password_job_add */
    int rc = -1;
    if (!ok)
        errbuf_set(err, errlen, "out of memory");
    else
        rc = put_job(t, r->queue_id, now + *wait, rec, err, errlen);
    record_free(rec);
    return rc;
}
