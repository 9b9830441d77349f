/*
 * store - the LMDB environment in state_dir that the daemons share.
 *
 * Named databases hold records (record module) under readable keys, so
 * mdb_stat and mdb_dump stay useful to an admin.  Every put is one write
 * transaction, committed before the caller goes on: a caller that gets 0
 * may answer Postfix.  A full map is an error like any other ("raise
 * state_map_size"), never a crash.
 *
 * One struct store per process, opened after any fork; the environment is
 * opened with MDB_NOTLS, so any thread may use it (LMDB serialises
 * writers).  Values handed to callbacks live only during the callback.
 */
#ifndef SENDWATCH_STORE_H
#define SENDWATCH_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct store;

/* The named databases.  Opened once at store_open(), as LMDB asks. */
enum store_db {
    STORE_QUARANTINE, /* "quarantine": time.queue_id.folder.file -> a stored copy */
    STORE_HELD,       /* "held": queue ID -> hold record (state, deadline, outcome) */
    STORE_DUE,        /* "due": 16 hex digits of the deadline "." queue ID -> "" */
    STORE_REQUESTS,   /* "requests": time.sequence -> a request for holdd */
    STORE_OUTBOX,     /* "outbox": time.queue_id.kind -> a notice to send */
    STORE_USERS,      /* "users": lower-case address -> the sender's own settings */
    STORE_AUDIT,      /* "audit": time.sequence -> who did what, when, from where */
    STORE_STATUS,     /* "status": a name ("rules") -> what a daemon reports of itself */
    STORE_USED,       /* "used": a one-time link's signature -> when it stops mattering */
    STORE_NDBS,
};

/* Opens (creating if needed) the environment in DIR.  NULL with ERR. */
struct store *store_open(const char *dir, size_t map_size, bool read_only, char *err,
                         size_t errlen);
void store_close(struct store *st);

/* Puts KEY -> VALUE into database DB in one committed transaction. */
int store_put(struct store *st, enum store_db db, const char *key, const void *value,
              size_t len, char *err, size_t errlen);

/*
 * A write transaction for changes that must happen together (a hold
 * record, its deadline entry and its notice job): nothing is visible until
 * store_commit() returns 0.  One at a time per thread; LMDB serialises
 * writers across threads and processes.  store_abort() drops the changes;
 * store_commit() and store_abort() both free the transaction.
 */
struct store_txn;
struct store_txn *store_begin(struct store *st, char *err, size_t errlen);
int store_txn_put(struct store_txn *t, enum store_db db, const char *key,
                  const void *value, size_t len, char *err, size_t errlen);
/* Deletes KEY; a missing key is not an error. */
int store_txn_del(struct store_txn *t, enum store_db db, const char *key, char *err,
                  size_t errlen);
/*
 * Reads KEY within the transaction: 1 with a malloc'ed, NUL-terminated copy
 * in *VALUE (length *LEN), 0 when absent, -1 with ERR.
 */
int store_txn_get(struct store_txn *t, enum store_db db, const char *key, char **value,
                  size_t *len, char *err, size_t errlen);
int store_commit(struct store_txn *t, char *err, size_t errlen);
void store_abort(struct store_txn *t);

/* The number of keys in DB into *N, without reading them.  0, or -1 with ERR. */
int store_count(struct store *st, enum store_db db, size_t *n, char *err, size_t errlen);

/* Reads KEY in a read transaction of its own; returns as store_txn_get(). */
int store_get(struct store *st, enum store_db db, const char *key, char **value,
              size_t *len, char *err, size_t errlen);

/*
 * Calls FN for every key of DB in key order (FN returns non-zero to stop).
 * A database that does not exist yet has no keys.  0, or -1 with ERR.
 */
int store_foreach(struct store *st, enum store_db db,
                  int (*fn)(void *ctx, const char *key, size_t key_len, const void *value,
                            size_t len),
                  void *ctx, char *err, size_t errlen);

/* As store_foreach(), in reverse key order (newest first where keys start with a time).
 */
int store_foreach_reverse(struct store *st, enum store_db db,
                          int (*fn)(void *ctx, const char *key, size_t key_len,
                                    const void *value, size_t len),
                          void *ctx, char *err, size_t errlen);

/*
 * Deletes the keys of DB that PICK(CTX, key, value) chooses (1 delete, 0
 * keep, -1 stop looking: keys are in order), STORE_DELETE_BATCH to a
 * transaction; how many into *N.  0, or -1 with ERR.  What is old goes
 * this way: the audit log's oldest lines, used sign-in links' marks.
 */
#define STORE_KEY_MAX      512
#define STORE_DELETE_BATCH 512
int store_delete_matching(struct store *st, enum store_db db,
                          int (*pick)(void *ctx, const char *key, size_t key_len,
                                      const void *value, size_t len),
                          void *ctx, size_t *n, char *err, size_t errlen);

#endif
