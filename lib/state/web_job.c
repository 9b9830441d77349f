/* web_job - see web_job.h. */
#include "web_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "errbuf.h"
#include "record.h"

static const char *const kind_names[] = {"signin", "deliver"};

/* Puts J due at NOT_BEFORE in T; its key into NEW_KEY (80 bytes) unless NULL. */
static int put_job(struct store_txn *t, time_t not_before, const struct web_job *j,
                   char *new_key, char *err, size_t errlen)
{
    unsigned char nonce[8];
    char key[80], created[32], attempts[32];
    if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
        errbuf_set(err, errlen, "no random bytes");
        return -1;
    }
    int n = snprintf(key, sizeof(key), "%016llx.%s.", (unsigned long long)not_before,
                     kind_names[j->kind]);
    for (size_t i = 0; i < sizeof(nonce); i++)
        n += snprintf(key + n, sizeof(key) - (size_t)n, "%02x", nonce[i]);
    if (new_key != NULL)
        snprintf(new_key, 80, "%s", key);
    snprintf(created, sizeof(created), "%lld", (long long)j->created);
    snprintf(attempts, sizeof(attempts), "%ld", j->attempts);
    struct record *r = record_new();
    int ok = r != NULL && record_add(r, "created", created) == 0 &&
             record_add(r, "attempts", attempts) == 0;
    if (ok && j->kind == WEB_JOB_SIGNIN)
        ok = record_add(r, "address", j->address) == 0 &&
             record_add(r, "language", j->language) == 0;
    if (ok && j->kind == WEB_JOB_DELIVER)
        ok = record_add(r, "entry", j->entry) == 0 && record_add(r, "by", j->by) == 0;
    return record_write(t, STORE_OUTBOX, key, r, ok, err, errlen);
}

int web_job_add(struct store_txn *t, const struct web_job *j, time_t now, char *err,
                size_t errlen)
{
    if ((unsigned)j->kind > WEB_JOB_DELIVER) {
        errbuf_set(err, errlen, "no such web job");
        return -1;
    }
    return put_job(t, now, j, NULL, err, errlen);
}

bool web_job_parse_key(const char *key, enum web_job_kind *kind, time_t *not_before)
{
    /* "%016x." then the kind's name, ".", 16 hex digits. */
    if (strlen(key) < 18 || strspn(key, "0123456789abcdef") != 16 || key[16] != '.')
        return false;
    for (unsigned k = 0; k < 2; k++) {
        size_t n = strlen(kind_names[k]);
        const char *nonce = key + 17 + n + 1;
        if (strncmp(key + 17, kind_names[k], n) == 0 && key[17 + n] == '.' &&
            strlen(nonce) == 16 && strspn(nonce, "0123456789abcdef") == 16) {
            *kind = (enum web_job_kind)k;
            *not_before = (time_t)strtoull(key, NULL, 16);
            return true;
        }
    }
    return false;
}

/* FIELD of the record DATA into OUT (LEN bytes); false when absent or too long. */
static bool copy_field(const char *data, size_t len, const char *field, char *out,
                       size_t outlen)
{
    char *v = record_get(data, len, field, 0);
    bool ok = v != NULL && strlen(v) < outlen;
    if (ok)
        snprintf(out, outlen, "%s", v);
    free(v);
    return ok;
}

int web_job_get(struct store *st, const char *key, struct web_job *j, char *err,
                size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    time_t when;
    memset(j, 0, sizeof(*j));
    if (!web_job_parse_key(key, &j->kind, &when)) {
        errbuf_set(err, errlen, "%s is not a web job's key", key);
        return -1;
    }
    int rc = store_get(st, STORE_OUTBOX, key, &data, &len, err, errlen);
    if (rc <= 0)
        return rc;
    bool ok;
    if (j->kind == WEB_JOB_SIGNIN) {
        ok = copy_field(data, len, "address", j->address, sizeof(j->address)) &&
             strchr(j->address, '@') != NULL;
        if (!copy_field(data, len, "language", j->language, sizeof(j->language)) ||
            (strcmp(j->language, "ja") != 0 && strcmp(j->language, "en") != 0))
            j->language[0] = '\0';
    } else {
        ok = copy_field(data, len, "entry", j->entry, sizeof(j->entry)) &&
             copy_field(data, len, "by", j->by, sizeof(j->by));
    }
    j->created = (time_t)record_get_number(data, len, "created");
    j->attempts = (long)record_get_number(data, len, "attempts");
    free(data);
    if (!ok)
        errbuf_set(err, errlen, "web job %s cannot be read", key);
    return ok ? 1 : -1;
}

int web_job_outcome(struct store_txn *t, const char *key, const struct web_job *j,
                    bool done, time_t now, time_t wait, char *err, size_t errlen)
{
    return web_job_retry(t, key, j, done, now, wait, NULL, err, errlen);
}

int web_job_retry(struct store_txn *t, const char *key, const struct web_job *j,
                  bool done, time_t now, time_t wait, char *new_key, char *err,
                  size_t errlen)
{
    if (store_txn_del(t, STORE_OUTBOX, key, err, errlen) != 0)
        return -1;
    if (done)
        return 0;
    struct web_job next = *j;
    next.attempts++;
    return put_job(t, now + wait, &next, new_key, err, errlen);
}

int signin_link_used(struct store_txn *t, const char *sig, time_t expiry, bool mark,
                     char *err, size_t errlen)
{
    char key[128], *value = NULL;
    size_t len = 0;
    snprintf(key, sizeof(key), "signin.%.100s", sig);
    int rc = store_txn_get(t, STORE_USED, key, &value, &len, err, errlen);
    free(value);
    if (rc != 0 || !mark)
        return rc;
    char until[32];
    snprintf(until, sizeof(until), "%lld", (long long)expiry);
    return store_txn_put(t, STORE_USED, key, until, strlen(until), err, errlen) == 0 ? 0
                                                                                     : -1;
}

/* Picks the marks of links expired before CTX (a time_t). */
static int expired(void *ctx, const char *key, size_t key_len, const void *value,
                   size_t len)
{
    /* Only sign-in marks expire; other one-time marks ("deliver.") stay. */
    if (key_len < 7 || memcmp(key, "signin.", 7) != 0)
        return 0;
    char text[32];
    snprintf(text, sizeof(text), "%.*s", (int)(len < 31 ? len : 31), (const char *)value);
    return strtoll(text, NULL, 10) < *(const time_t *)ctx ? 1 : 0;
}

int signin_links_sweep(struct store *st, time_t now, size_t *n, char *err, size_t errlen)
{
    return store_delete_matching(st, STORE_USED, expired, &now, n, err, errlen);
}
