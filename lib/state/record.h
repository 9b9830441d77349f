/*
 * record - the codec of the records sendwatch keeps in LMDB.
 *
 * A record is text, so mdb_dump -p shows it to an admin as it is:
 *   v=1\n
 *   name=value\n   (a name may repeat: one line per value)
 * Values are escaped so a record is always one line per field: '%', CR,
 * LF, NUL and other control bytes become %XX.  Readers check v and ignore
 * names they do not know, so fields can be added without breaking old
 * readers.
 *
 * A record being built is owned by its builder (record_free()); values
 * returned by record_get() are malloc'ed for the caller.  Not thread-safe
 * per record; records are independent.
 */
#ifndef SENDWATCH_RECORD_H
#define SENDWATCH_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#define RECORD_VERSION 1

struct record;

struct record *record_new(void);
void record_free(struct record *r);

/* Appends NAME=VALUE.  0, or -1 when out of memory. */
int record_add(struct record *r, const char *name, const char *value);

/*
 * A new record holding the fields of the encoded record DATA except those
 * named in DROP (NULL-terminated), to be changed and written back.  NULL
 * when DATA is not a version-1 record or out of memory.
 */
struct record *record_copy_without(const char *data, size_t len, const char *const *drop);

/* The encoded bytes (valid until the next add or free). */
const char *record_bytes(const struct record *r, size_t *len);

/*
 * The INDEX-th value (0-based) of NAME in the encoded record DATA, decoded
 * into a malloc'ed string, or NULL when absent.  Returns NULL as well for
 * a record that does not start with "v=1".
 */
char *record_get(const char *data, size_t len, const char *name, size_t index);

/*
 * The version of the encoded record DATA (the N of its "v=N" first line),
 * or -1 when DATA does not start with such a line.  A reader skips a
 * record whose version is not RECORD_VERSION: a newer sendwatch wrote it.
 */
int record_version(const char *data, size_t len);

/* The first value of NAME in DATA as a whole decimal number; 0 when absent or not one. */
long long record_get_number(const char *data, size_t len, const char *name);

/*
 * Every value of NAME in DATA, in order, as a malloc'ed NULL-terminated
 * array of malloc'ed strings (*N of them; fewer when out of memory), or
 * NULL when out of memory.  Free it with record_free_all().
 */
char **record_get_all(const char *data, size_t len, const char *name, size_t *n);
void record_free_all(char **list, size_t n);

/*
 * Steps through the fields of the encoded record DATA in order, decoding
 * each once (record_get() scans the record per call).  Start with
 * *POS = 0.  Returns 1 with the next field: *NAME points into DATA
 * (*NAMELEN bytes, not NUL-terminated) and *VALUE is the decoded value,
 * malloc'ed for the caller; 0 after the last field (at once for a record
 * that is not version 1); -1 when out of memory.  Lines without '=' are
 * skipped.
 */
int record_next(const char *data, size_t len, size_t *pos, const char **name,
                size_t *namelen, char **value);

/*
 * The end of building a record: writes R under KEY of DB in T and frees R.
 * BUILT false (an add failed: out of memory) writes nothing and says so.
 * 0, or -1 with ERR.
 */
struct store_txn;
int record_write(struct store_txn *t, int db, const char *key, struct record *r,
                 bool built, char *err, size_t errlen);

#endif
