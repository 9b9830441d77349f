/* store - see store.h. */
#include "store.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errbuf.h"

static const char *const store_db_names[STORE_NDBS] = {"quarantine", "held",   "due",
                                                       "requests",   "outbox", "users",
                                                       "audit",      "status", "used"};

struct store {
    MDB_env *env;
    MDB_dbi dbi[STORE_NDBS];
    bool exists[STORE_NDBS]; /* read-only: a database not created yet has no keys */
    char dir[1024];
};

/* An LMDB error as words an admin can act on. */
static void store_error(char *err, size_t errlen, const struct store *st,
                        const char *what, int rc)
{
    if (rc == MDB_MAP_FULL) {
        MDB_envinfo info;
        MDB_stat stat;
        mdb_env_info(st->env, &info);
        mdb_env_stat(st->env, &stat);
        errbuf_set(
            err, errlen,
            "%s: %s: the LMDB map is full: %zu of %zu pages used (raise state_map_size)",
            st->dir, what, (size_t)info.me_last_pgno + 1,
            info.me_mapsize / (stat.ms_psize ? stat.ms_psize : 4096));
    } else {
        errbuf_set(err, errlen, "%s: %s: %s", st->dir, what, mdb_strerror(rc));
    }
}

struct store *store_open(const char *dir, size_t map_size, bool read_only, char *err,
                         size_t errlen)
{
    struct store *st = calloc(1, sizeof(*st));
    int rc;

    if (st == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(st->dir, sizeof(st->dir), "%s", dir);
    if ((rc = mdb_env_create(&st->env)) != 0 ||
        (rc = mdb_env_set_maxdbs(st->env, 16)) != 0 ||
        (rc = mdb_env_set_mapsize(st->env, map_size)) != 0 ||
        (rc = mdb_env_open(st->env, dir, MDB_NOTLS | (read_only ? MDB_RDONLY : 0),
                           0600)) != 0) {
        store_error(err, errlen, st, "cannot open the state environment", rc);
        store_close(st);
        return NULL;
    }
    /* Open every database once, here: LMDB wants handles opened by one
     * transaction at a time, and then shared. */
    MDB_txn *txn;
    if ((rc = mdb_txn_begin(st->env, NULL, read_only ? MDB_RDONLY : 0, &txn)) != 0) {
        store_error(err, errlen, st, "cannot begin", rc);
        store_close(st);
        return NULL;
    }
    for (int i = 0; i < STORE_NDBS; i++) {
        rc =
            mdb_dbi_open(txn, store_db_names[i], read_only ? 0 : MDB_CREATE, &st->dbi[i]);
        if (rc == MDB_NOTFOUND && read_only)
            continue;
        if (rc != 0) {
            mdb_txn_abort(txn);
            store_error(err, errlen, st, store_db_names[i], rc);
            store_close(st);
            return NULL;
        }
        st->exists[i] = true;
    }
    if ((rc = mdb_txn_commit(txn)) != 0) {
        store_error(err, errlen, st, "cannot commit", rc);
        store_close(st);
        return NULL;
    }
    return st;
}

void store_close(struct store *st)
{
    if (st == NULL)
        return;
    if (st->env != NULL)
        mdb_env_close(st->env);
    free(st);
}

int store_put(struct store *st, enum store_db db, const char *key, const void *value,
              size_t len, char *err, size_t errlen)
{
    MDB_txn *txn;
    MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)value};
    int rc;

    if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0) {
        store_error(err, errlen, st, "cannot begin a write", rc);
        return -1;
    }
    if (!st->exists[db]) {
        mdb_txn_abort(txn);
        errbuf_set(err, errlen, "%s: opened read-only", st->dir);
        return -1;
    }
    if ((rc = mdb_put(txn, st->dbi[db], &k, &v, 0)) != 0) {
        mdb_txn_abort(txn);
        store_error(err, errlen, st, store_db_names[db], rc);
        return -1;
    }
    if ((rc = mdb_txn_commit(txn)) != 0) {
        store_error(err, errlen, st, "cannot commit", rc);
        return -1;
    }
    return 0;
}

/* Walks DB with a cursor, forwards or backwards, in one read transaction. */
static int store_walk(struct store *st, enum store_db db, bool reverse,
                      int (*fn)(void *ctx, const char *key, size_t key_len,
                                const void *value, size_t len),
                      void *ctx, char *err, size_t errlen)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc;

    if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0) {
        store_error(err, errlen, st, "cannot begin a read", rc);
        return -1;
    }
    if (!st->exists[db]) {
        mdb_txn_abort(txn);
        return 0;
    }
    if ((rc = mdb_cursor_open(txn, st->dbi[db], &cur)) != 0) {
        mdb_txn_abort(txn);
        store_error(err, errlen, st, store_db_names[db], rc);
        return -1;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, reverse ? MDB_LAST : MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, reverse ? MDB_PREV : MDB_NEXT))
        if (fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size) != 0)
            break;
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return 0;
}

int store_foreach(struct store *st, enum store_db db,
                  int (*fn)(void *ctx, const char *key, size_t key_len, const void *value,
                            size_t len),
                  void *ctx, char *err, size_t errlen)
{
    return store_walk(st, db, false, fn, ctx, err, errlen);
}

int store_foreach_reverse(struct store *st, enum store_db db,
                          int (*fn)(void *ctx, const char *key, size_t key_len,
                                    const void *value, size_t len),
                          void *ctx, char *err, size_t errlen)
{
    return store_walk(st, db, true, fn, ctx, err, errlen);
}

struct store_txn {
    struct store *st;
    MDB_txn *txn;
};

struct store_txn *store_begin(struct store *st, char *err, size_t errlen)
{
    struct store_txn *t = calloc(1, sizeof(*t));
    int rc;

    if (t == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    t->st = st;
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &t->txn)) != 0) {
        store_error(err, errlen, st, "cannot begin a write", rc);
        free(t);
        return NULL;
    }
    return t;
}

int store_txn_put(struct store_txn *t, enum store_db db, const char *key,
                  const void *value, size_t len, char *err, size_t errlen)
{
    MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)value};
    int rc;

    if (!t->st->exists[db]) {
        errbuf_set(err, errlen, "%s: opened read-only", t->st->dir);
        return -1;
    }
    if ((rc = mdb_put(t->txn, t->st->dbi[db], &k, &v, 0)) != 0) {
        store_error(err, errlen, t->st, store_db_names[db], rc);
        return -1;
    }
    return 0;
}

int store_txn_del(struct store_txn *t, enum store_db db, const char *key, char *err,
                  size_t errlen)
{
    MDB_val k = {strlen(key), (void *)key};
    int rc;

    if (!t->st->exists[db]) {
        errbuf_set(err, errlen, "%s: opened read-only", t->st->dir);
        return -1;
    }
    rc = mdb_del(t->txn, t->st->dbi[db], &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        store_error(err, errlen, t->st, store_db_names[db], rc);
        return -1;
    }
    return 0;
}

/* Reads KEY of DB in TXN into a malloc'ed copy. */
static int store_read(struct store *st, MDB_txn *txn, enum store_db db, const char *key,
                      char **value, size_t *len, char *err, size_t errlen)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc;

    if (!st->exists[db])
        return 0;
    rc = mdb_get(txn, st->dbi[db], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0) {
        store_error(err, errlen, st, store_db_names[db], rc);
        return -1;
    }
    *value = malloc(v.mv_size + 1);
    if (*value == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    memcpy(*value, v.mv_data, v.mv_size);
    (*value)[v.mv_size] = '\0';
    if (len != NULL)
        *len = v.mv_size;
    return 1;
}

int store_txn_get(struct store_txn *t, enum store_db db, const char *key, char **value,
                  size_t *len, char *err, size_t errlen)
{
    return store_read(t->st, t->txn, db, key, value, len, err, errlen);
}

int store_commit(struct store_txn *t, char *err, size_t errlen)
{
    int rc = mdb_txn_commit(t->txn);
    if (rc != 0)
        store_error(err, errlen, t->st, "cannot commit", rc);
    free(t);
    return rc == 0 ? 0 : -1;
}

void store_abort(struct store_txn *t)
{
    if (t == NULL)
        return;
    mdb_txn_abort(t->txn);
    free(t);
}

int store_get(struct store *st, enum store_db db, const char *key, char **value,
              size_t *len, char *err, size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);

    if (rc != 0) {
        store_error(err, errlen, st, "cannot begin a read", rc);
        return -1;
    }
    rc = store_read(st, txn, db, key, value, len, err, errlen);
    mdb_txn_abort(txn);
    return rc;
}

int store_count(struct store *st, enum store_db db, size_t *n, char *err, size_t errlen)
{
    MDB_txn *txn;
    MDB_stat stat;
    *n = 0;
    if (!st->exists[db])
        return 0;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = mdb_stat(txn, st->dbi[db], &stat);
        mdb_txn_abort(txn);
    }
    if (rc != 0) {
        store_error(err, errlen, st, "cannot count", rc);
        return -1;
    }
    *n = stat.ms_entries;
    return 0;
}

struct doomed {
    int (*pick)(void *ctx, const char *key, size_t key_len, const void *value,
                size_t len);
    void *ctx;
    char (*keys)[STORE_KEY_MAX];
    size_t n;
    bool more; /* the batch filled: look again */
};

static int collect_doomed(void *ctx, const char *key, size_t key_len, const void *value,
                          size_t len)
{
    struct doomed *d = ctx;
    int verdict = d->pick(d->ctx, key, key_len, value, len);
    if (verdict < 0)
        return 1;
    if (verdict == 0 || key_len >= STORE_KEY_MAX)
        return 0;
    memcpy(d->keys[d->n], key, key_len);
    d->keys[d->n++][key_len] = '\0';
    d->more = d->n == STORE_DELETE_BATCH;
    return d->more;
}

int store_delete_matching(struct store *st, enum store_db db,
                          int (*pick)(void *ctx, const char *key, size_t key_len,
                                      const void *value, size_t len),
                          void *ctx, size_t *n, char *err, size_t errlen)
{
    struct doomed d = {pick, ctx, calloc(STORE_DELETE_BATCH, STORE_KEY_MAX), 0, false};
    *n = 0;
    if (d.keys == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    do {
        d.n = 0;
        d.more = false;
        if (store_foreach(st, db, collect_doomed, &d, err, errlen) != 0) {
            rc = -1;
            break;
        }
        if (d.n == 0)
            break;
        struct store_txn *t = store_begin(st, err, errlen);
        if (t == NULL) {
            rc = -1;
            break;
        }
        for (size_t i = 0; rc == 0 && i < d.n; i++)
            rc = store_txn_del(t, db, d.keys[i], err, errlen);
        if (rc == 0)
            rc = store_commit(t, err, errlen); /* frees T either way */
        else
            store_abort(t);
        if (rc == 0)
            *n += d.n;
    } while (rc == 0 && d.more);
    free(d.keys);
    return rc;
}
