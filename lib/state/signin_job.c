/* signin_job - see signin_job.h. */
#include "signin_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "errbuf.h"
#include "record.h"

static int put_job(struct store_txn *t, time_t not_before, const struct signin_job *j,
                   char *err, size_t errlen)
{
    unsigned char nonce[8];
    char key[80], created[32], attempts[32];
    if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
        errbuf_set(err, errlen, "no random bytes");
        return -1;
    }
    int n = snprintf(key, sizeof(key), "%016llx.signin.", (unsigned long long)not_before);
    for (size_t i = 0; i < sizeof(nonce); i++)
        n += snprintf(key + n, sizeof(key) - (size_t)n, "%02x", nonce[i]);
    snprintf(created, sizeof(created), "%lld", (long long)j->created);
    snprintf(attempts, sizeof(attempts), "%ld", j->attempts);
    struct record *r = record_new();
    int ok = r != NULL && record_add(r, "address", j->address) == 0 &&
             record_add(r, "language", j->language) == 0 &&
             record_add(r, "created", created) == 0 &&
             record_add(r, "attempts", attempts) == 0;
    if (!ok) {
        record_free(r);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    size_t len = 0;
    const char *bytes = record_bytes(r, &len);
    int rc = store_txn_put(t, STORE_OUTBOX, key, bytes, len, err, errlen);
    record_free(r);
    return rc;
}

int signin_job_add(struct store_txn *t, const char *address, const char *language,
                   time_t now, char *err, size_t errlen)
{
    struct signin_job j = {.created = now};
    if (strlen(address) >= sizeof(j.address)) {
        errbuf_set(err, errlen, "address too long");
        return -1;
    }
    snprintf(j.address, sizeof(j.address), "%s", address);
    snprintf(j.language, sizeof(j.language), "%s", language);
    return put_job(t, now, &j, err, errlen);
}

bool signin_job_parse_key(const char *key, time_t *not_before)
{
    unsigned long long t;
    int used = 0;
    if (sscanf(key, "%16llx.signin.%n", &t, &used) != 1 || used != 24 ||
        strlen(key + used) != 16 || strspn(key + used, "0123456789abcdef") != 16)
        return false;
    *not_before = (time_t)t;
    return true;
}

int signin_job_get(struct store *st, const char *key, struct signin_job *j, char *err,
                   size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    memset(j, 0, sizeof(*j));
    int rc = store_get(st, STORE_OUTBOX, key, &data, &len, err, errlen);
    if (rc <= 0)
        return rc;
    char *address = record_get(data, len, "address", 0),
         *language = record_get(data, len, "language", 0);
    bool ok = address != NULL && strlen(address) < sizeof(j->address) &&
              strchr(address, '@') != NULL;
    if (ok) {
        snprintf(j->address, sizeof(j->address), "%s", address);
        snprintf(j->language, sizeof(j->language), "%s",
                 language && (strcmp(language, "ja") == 0 || strcmp(language, "en") == 0)
                     ? language
                     : "");
        j->created = (time_t)record_get_number(data, len, "created");
        j->attempts = (long)record_get_number(data, len, "attempts");
    } else {
        errbuf_set(err, errlen, "sign-in job %s cannot be read", key);
    }
    free(address);
    free(language);
    free(data);
    return ok ? 1 : -1;
}

int signin_job_outcome(struct store_txn *t, const char *key, const struct signin_job *j,
                       bool sent, time_t now, time_t wait, char *err, size_t errlen)
{
    if (store_txn_del(t, STORE_OUTBOX, key, err, errlen) != 0)
        return -1;
    if (sent)
        return 0;
    struct signin_job next = *j;
    next.attempts++;
    return put_job(t, now + wait, &next, err, errlen);
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

struct sweep {
    time_t now;
    char keys[256][128];
    size_t n;
};

static int collect_expired(void *ctx, const char *key, size_t key_len, const void *value,
                           size_t len)
{
    struct sweep *s = ctx;
    char text[32];
    snprintf(text, sizeof(text), "%.*s", (int)(len < 31 ? len : 31), (const char *)value);
    if (key_len < sizeof(s->keys[0]) && strtoll(text, NULL, 10) < s->now)
        snprintf(s->keys[s->n++], sizeof(s->keys[0]), "%.*s", (int)key_len, key);
    return s->n == 256;
}

int signin_links_sweep(struct store *st, time_t now, size_t *n, char *err, size_t errlen)
{
    struct sweep *s = calloc(1, sizeof(*s));
    *n = 0;
    if (s == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    do {
        s->now = now;
        s->n = 0;
        if (store_foreach(st, STORE_USED, collect_expired, s, err, errlen) != 0) {
            rc = -1;
            break;
        }
        struct store_txn *t = s->n ? store_begin(st, err, errlen) : NULL;
        for (size_t i = 0; t != NULL && i < s->n && rc == 0; i++)
            rc = store_txn_del(t, STORE_USED, s->keys[i], err, errlen);
        if (t != NULL && rc == 0)
            rc = store_commit(t, err, errlen);
        else if (t != NULL)
            store_abort(t);
        else if (s->n)
            rc = -1;
        if (rc == 0)
            *n += s->n;
    } while (rc == 0 && s->n == 256);
    free(s);
    return rc;
}
