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
    return record_write(t, STORE_AUDIT, key, r, ok, err, errlen);
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

/* Picks the entries older than CTX (a time_t): keys begin with their time. */
static int older(void *ctx, const char *key, size_t key_len, const void *value,
                 size_t len)
{
    (void)value;
    (void)len;
    char head[17];
    snprintf(head, sizeof(head), "%.*s", (int)(key_len < 16 ? key_len : 16), key);
    return (time_t)strtoll(head, NULL, 16) < *(const time_t *)ctx ? 1 : -1;
}

int audit_prune(struct store *st, time_t before, size_t *n, char *err, size_t errlen)
{
    return store_delete_matching(st, STORE_AUDIT, older, &before, n, err, errlen);
}
