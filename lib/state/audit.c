/* audit - see audit.h. */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "record.h"

int audit_add(struct store_txn *t, const struct audit_entry *e, char *err, size_t errlen)
{
    static unsigned long sequence;
    struct timespec now;
    char key[80], stamp[32];
    clock_gettime(CLOCK_REALTIME, &now);
    /* Time-ordered, and unique across processes: pid and a counter. */
    snprintf(key, sizeof(key), "%016llx.%09ld.%d.%lu", (unsigned long long)now.tv_sec,
             now.tv_nsec, (int)getpid(),
             __atomic_add_fetch(&sequence, 1, __ATOMIC_RELAXED));
    snprintf(stamp, sizeof(stamp), "%lld", (long long)(e->time ? e->time : now.tv_sec));
    struct record *r = record_new();
    int ok = r != NULL && record_add(r, "time", stamp) == 0 &&
             record_add(r, "who", e->who ? e->who : "") == 0 &&
             record_add(r, "action", e->action ? e->action : "") == 0 &&
             record_add(r, "target", e->target ? e->target : "") == 0 &&
             record_add(r, "from", e->from ? e->from : "") == 0 &&
             record_add(r, "result", e->result ? e->result : "") == 0;
    if (!ok) {
        record_free(r);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    size_t len = 0;
    const char *bytes = record_bytes(r, &len);
    int rc = store_txn_put(t, STORE_AUDIT, key, bytes, len, err, errlen);
    record_free(r);
    return rc;
}

int audit_add_stored(struct store *st, const struct audit_entry *e, char *err,
                     size_t errlen)
{
    struct store_txn *t = store_begin(st, err, errlen);
    if (t == NULL)
        return -1;
    if (audit_add(t, e, err, errlen) != 0) {
        store_abort(t);
        return -1;
    }
    return store_commit(t, err, errlen);
}

struct newest_ctx {
    size_t skip;
    int (*fn)(void *ctx, const struct audit_entry *e);
    void *ctx;
};

static int newest_one(void *ctx, const char *key, size_t key_len, const void *value,
                      size_t len)
{
    struct newest_ctx *c = ctx;
    (void)key;
    (void)key_len;
    if (record_version(value, len) != RECORD_VERSION)
        return 0;
    if (c->skip > 0) {
        c->skip--;
        return 0;
    }
    char *f[5];
    static const char *const names[] = {"who", "action", "target", "from", "result"};
    for (size_t i = 0; i < 5; i++)
        f[i] = record_get(value, len, names[i], 0);
    struct audit_entry e = {
        .time = (time_t)record_get_number(value, len, "time"),
        .who = f[0] ? f[0] : "",
        .action = f[1] ? f[1] : "",
        .target = f[2] ? f[2] : "",
        .from = f[3] ? f[3] : "",
        .result = f[4] ? f[4] : "",
    };
    int rc = c->fn(c->ctx, &e);
    for (size_t i = 0; i < 5; i++)
        free(f[i]);
    return rc;
}

int audit_foreach_newest(struct store *st, size_t skip,
                         int (*fn)(void *ctx, const struct audit_entry *e), void *ctx,
                         char *err, size_t errlen)
{
    struct newest_ctx c = {skip, fn, ctx};
    return store_foreach_reverse(st, STORE_AUDIT, newest_one, &c, err, errlen);
}

struct prune {
    time_t before;
    char keys[512][80];
    size_t n;
};

static int collect_old(void *ctx, const char *key, size_t key_len, const void *value,
                       size_t len)
{
    struct prune *p = ctx;
    (void)value;
    (void)len;
    char head[17];
    snprintf(head, sizeof(head), "%.*s", (int)(key_len < 16 ? key_len : 16), key);
    if ((time_t)strtoll(head, NULL, 16) >= p->before || key_len >= sizeof(p->keys[0]))
        return 1; /* time order: the rest is newer */
    snprintf(p->keys[p->n++], sizeof(p->keys[0]), "%.*s", (int)key_len, key);
    return p->n == 512;
}

int audit_prune(struct store *st, time_t before, size_t *n, char *err, size_t errlen)
{
    struct prune *p = calloc(1, sizeof(*p));
    *n = 0;
    if (p == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    do {
        p->before = before;
        p->n = 0;
        if (store_foreach(st, STORE_AUDIT, collect_old, p, err, errlen) != 0) {
            rc = -1;
            break;
        }
        if (p->n == 0)
            break;
        struct store_txn *t = store_begin(st, err, errlen);
        if (t == NULL) {
            rc = -1;
            break;
        }
        for (size_t i = 0; rc == 0 && i < p->n; i++)
            rc = store_txn_del(t, STORE_AUDIT, p->keys[i], err, errlen);
        if (rc == 0)
            rc = store_commit(t, err, errlen);
        else
            store_abort(t);
        if (rc == 0)
            *n += p->n;
    } while (rc == 0 && p->n == 512);
    free(p);
    return rc;
}
