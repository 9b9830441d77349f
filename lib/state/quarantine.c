/* quarantine - see quarantine.h. */
#include "quarantine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "errbuf.h"
#include "fdio.h"
#include "record.h"

static atomic_uint quarantine_counter;

static int make_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    errbuf_set(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return -1;
}

int quarantine_store(const char *dir, const char *folder, const char *prefix,
                     const struct spool *message, char *name, size_t namelen, char *err,
                     size_t errlen)
{
    char base[4096], tmp[4200], final[4200], host[256];
    struct timeval tv;

    snprintf(base, sizeof(base), "%s/%s", dir, folder);
    if (make_dir(dir, err, errlen) != 0 || make_dir(base, err, errlen) != 0)
        return -1;
    static const char *const subdirs[] = {"tmp", "new", "cur"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(tmp, sizeof(tmp), "%s/%s", base, subdirs[i]);
        if (make_dir(tmp, err, errlen) != 0)
            return -1;
    }
    /* Maildir's unique name: time, microseconds, pid, counter, host. */
    gettimeofday(&tv, NULL);
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    for (char *c = host; *c; c++)
        if (*c == '/' || *c == ':')
            *c = '_';
    snprintf(name, namelen, "%lld.M%ldP%dQ%u.%s", (long long)tv.tv_sec, (long)tv.tv_usec,
             (int)getpid(), atomic_fetch_add(&quarantine_counter, 1) + 1, host);
    snprintf(tmp, sizeof(tmp), "%s/tmp/%s", base, name);
    snprintf(final, sizeof(final), "%s/new/%s", base, name);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        errbuf_set(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    char buf[65536], rerr[256];
    uint64_t off = 0;
    bool reported = false;
    int ok = fdio_write_all(fd, prefix, strlen(prefix)) == 0;
    while (ok) {
        ssize_t n = spool_read_at(message, off, buf, sizeof(buf), rerr, sizeof(rerr));
        if (n < 0) {
            errbuf_set(err, errlen, "%s", rerr);
            reported = true;
            ok = 0;
            break;
        }
        if (n == 0)
            break;
        if (fdio_write_all(fd, buf, (size_t)n) != 0)
            ok = 0;
        off += (uint64_t)n;
    }
    if (ok && fsync(fd) != 0)
        ok = 0;
    if (!ok && !reported)
        errbuf_set(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && ok) {
        errbuf_set(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        ok = 0;
    }
    if (ok && rename(tmp, final) != 0) {
        errbuf_set(err, errlen, "cannot move %s into new/: %s", tmp, strerror(errno));
        ok = 0;
    }
    if (!ok) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* The index: struct quarantine_entry <-> its record in LMDB. */

/* The single-valued fields, in the order they are written; all required. */
enum {
    ENTRY_TIME,
    ENTRY_QUEUE_ID,
    ENTRY_FOLDER,
    ENTRY_FILE,
    ENTRY_SENDER,
    ENTRY_SUBJECT,
    ENTRY_NSINGLE,
};
static const char *const entry_single[ENTRY_NSINGLE] = {"time", "queue_id", "folder",
                                                        "file", "sender",   "subject"};

#define ENTRY_TIME_FORMAT "%Y-%m-%dT%H:%M:%SZ" /* in the record */
#define ENTRY_KEY_FORMAT  "%Y%m%dT%H%M%SZ"     /* at the head of the key */

/* A growing array of malloc'ed strings. */
struct entry_list {
    char **v;
    size_t n, cap;
};

/* A decoded entry and the memory it points into. */
struct entry_decoded {
    struct quarantine_entry e; /* first: quarantine_entry_free() casts back */
    char *key;
    char *single[ENTRY_NSINGLE];
    struct entry_list rcpt, rule, match, found;
    char *delivered, *delivered_by, *delivery_asked, *delivery_started, *withheld;
};

/* What decoding one stored value came to. */
enum entry_status {
    ENTRY_OK,
    ENTRY_OTHER_VERSION,
    ENTRY_INCOMPLETE,
    ENTRY_NO_MEMORY,
};

/* T as the record writes it, or (FOR_KEY) as the key starts. */
static bool entry_time_text(time_t t, bool for_key, char *buf, size_t len)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return false;
    return (for_key ? strftime(buf, len, ENTRY_KEY_FORMAT, &tm)
                    : strftime(buf, len, ENTRY_TIME_FORMAT, &tm)) > 0;
}

/* Reads S, written with ENTRY_TIME_FORMAT, exactly as written (nothing else). */
static bool entry_parse_time(const char *s, time_t *out)
{
    struct tm tm;
    char again[32];

    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, ENTRY_TIME_FORMAT, &tm);
    if (end == NULL || *end != '\0')
        return false;
    time_t t = timegm(&tm);
    if (!entry_time_text(t, false, again, sizeof(again)) || strcmp(again, s) != 0)
        return false;
    *out = t;
    return true;
}

static int entry_list_push(struct entry_list *l, char *value)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = value;
    return 0;
}

static void entry_list_clear(struct entry_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static void entry_clear(struct entry_decoded *d)
{
    free(d->key);
    for (size_t i = 0; i < ENTRY_NSINGLE; i++)
        free(d->single[i]);
    entry_list_clear(&d->rcpt);
    entry_list_clear(&d->rule);
    entry_list_clear(&d->match);
    entry_list_clear(&d->found);
    free(d->delivered);
    free(d->delivered_by);
    free(d->delivery_asked);
    free(d->delivery_started);
    free(d->withheld);
}

static bool entry_name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(name, want, len) == 0;
}

/*
 * Decodes the value DATA stored under KEY into D (cleared on anything but
 * ENTRY_OK).  For ENTRY_INCOMPLETE, *MISSING names the field.  A field
 * that should appear once counts the first time; unknown fields are
 * ignored (a newer writer of version 1 may add some).
 */
static enum entry_status entry_decode(const char *key, size_t key_len, const char *data,
                                      size_t len, struct entry_decoded *d,
                                      const char **missing)
{
    const char *name;
    size_t pos = 0, nlen;
    char *value;
    int rc;

    memset(d, 0, sizeof(*d));
    int version = record_version(data, len);
    if (version < 0) {
        *missing = "version line";
        return ENTRY_INCOMPLETE;
    }
    if (version != RECORD_VERSION)
        return ENTRY_OTHER_VERSION;
    if ((d->key = strndup(key, key_len)) == NULL)
        return ENTRY_NO_MEMORY;
    while ((rc = record_next(data, len, &pos, &name, &nlen, &value)) == 1) {
        char **slot = NULL;
        struct entry_list *list = entry_name_is(name, nlen, "rcpt")    ? &d->rcpt
                                  : entry_name_is(name, nlen, "rule")  ? &d->rule
                                  : entry_name_is(name, nlen, "match") ? &d->match
                                  : entry_name_is(name, nlen, "found") ? &d->found
                                                                       : NULL;
        for (size_t i = 0; i < ENTRY_NSINGLE && list == NULL && slot == NULL; i++)
            if (entry_name_is(name, nlen, entry_single[i]))
                slot = &d->single[i];
        if (list == NULL && slot == NULL && entry_name_is(name, nlen, "delivered"))
            slot = &d->delivered;
        if (list == NULL && slot == NULL && entry_name_is(name, nlen, "delivered_by"))
            slot = &d->delivered_by;
        if (list == NULL && slot == NULL && entry_name_is(name, nlen, "delivery_asked"))
            slot = &d->delivery_asked;
        if (list == NULL && slot == NULL && entry_name_is(name, nlen, "delivery_started"))
            slot = &d->delivery_started;
        if (list == NULL && slot == NULL && entry_name_is(name, nlen, "withheld"))
            slot = &d->withheld;
        if (slot != NULL && *slot == NULL) {
            *slot = value;
        } else if (list != NULL) {
            if (entry_list_push(list, value) != 0) {
                free(value);
                rc = -1;
                break;
            }
        } else {
            free(value);
        }
    }
    if (rc < 0) {
        entry_clear(d);
        return ENTRY_NO_MEMORY;
    }
    struct quarantine_entry *e = &d->e;
    for (size_t i = 0; i < ENTRY_NSINGLE; i++)
        if (d->single[i] == NULL ||
            (i == ENTRY_TIME && !entry_parse_time(d->single[i], &e->time))) {
            *missing = entry_single[i];
            entry_clear(d);
            return ENTRY_INCOMPLETE;
        }
    e->key = d->key;
    e->queue_id = d->single[ENTRY_QUEUE_ID];
    e->folder = d->single[ENTRY_FOLDER];
    e->file = d->single[ENTRY_FILE];
    e->sender = d->single[ENTRY_SENDER];
    e->subject = d->single[ENTRY_SUBJECT];
    e->recipients = (const char *const *)d->rcpt.v;
    e->nrecipients = d->rcpt.n;
    e->rules = (const char *const *)d->rule.v;
    e->nrules = d->rule.n;
    e->matches = (const char *const *)d->match.v;
    e->nmatches = d->match.n;
    e->found = (const char *const *)d->found.v;
    e->nfound = d->found.n;
    e->delivered = d->delivered ? (time_t)strtoll(d->delivered, NULL, 10) : 0;
    e->delivered_by = d->delivered_by ? d->delivered_by : "";
    e->delivery_asked =
        d->delivery_asked ? (time_t)strtoll(d->delivery_asked, NULL, 10) : 0;
    e->delivery_started =
        d->delivery_started ? (time_t)strtoll(d->delivery_started, NULL, 10) : 0;
    e->withheld = d->withheld != NULL && strcmp(d->withheld, "yes") == 0;
    return ENTRY_OK;
}

/* Adds every value of LIST (N of them) as NAME; false when out of memory. */
static bool entry_add_all(struct record *r, const char *name, const char *const *list,
                          size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (record_add(r, name, list[i]) != 0)
            return false;
    return true;
}

int quarantine_entry_put(struct store *st, const struct quarantine_entry *e, char *err,
                         size_t errlen)
{
    const char *single[ENTRY_NSINGLE] = {NULL,    e->queue_id, e->folder,
                                         e->file, e->sender,   e->subject};
    char stamp[32], key_stamp[32], key[512];

    for (size_t i = ENTRY_QUEUE_ID; i < ENTRY_NSINGLE; i++)
        if (single[i] == NULL) {
            errbuf_set(err, errlen, "a quarantine index entry needs a %s",
                       entry_single[i]);
            return -1;
        }
    if ((e->nrecipients > 0 && e->recipients == NULL) ||
        (e->nrules > 0 && e->rules == NULL) || (e->nmatches > 0 && e->matches == NULL) ||
        (e->nfound > 0 && e->found == NULL)) {
        errbuf_set(err, errlen, "a quarantine index entry with a count but no list");
        return -1;
    }
    if (!entry_time_text(e->time, false, stamp, sizeof(stamp)) ||
        !entry_time_text(e->time, true, key_stamp, sizeof(key_stamp))) {
        errbuf_set(err, errlen, "a quarantine index entry with a time out of range");
        return -1;
    }
    single[ENTRY_TIME] = stamp;
    /* The Maildir name is unique: two copies never share a key, even without
     * a queue ID.  XXX: a key past LMDB's 511 bytes is cut (very long folder
     * or host names); the entry's fields stay whole. */
    snprintf(key, sizeof(key), "%s.%s.%s.%s", key_stamp, e->queue_id, e->folder, e->file);

    struct record *r = record_new();
    bool ok = r != NULL;
    for (size_t i = 0; ok && i < ENTRY_NSINGLE; i++)
        ok = record_add(r, entry_single[i], single[i]) == 0;
    ok = ok && entry_add_all(r, "rcpt", e->recipients, e->nrecipients) &&
         entry_add_all(r, "rule", e->rules, e->nrules) &&
         entry_add_all(r, "match", e->matches, e->nmatches) &&
         entry_add_all(r, "found", e->found, e->nfound) &&
         (!e->withheld || record_add(r, "withheld", "yes") == 0);
    if (!ok) {
        record_free(r);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    /* The length must be read after record_bytes() sets it, not in the same
     * argument list (C leaves the order of evaluation open). */
    size_t len = 0;
    const char *bytes = record_bytes(r, &len);
    int rc = store_put(st, STORE_QUARANTINE, key, bytes, len, err, errlen);
    record_free(r);
    return rc;
}

/* ERR for a stored value that decoding refused. */
static void entry_refused(char *err, size_t errlen, const char *key,
                          enum entry_status status, const char *data, size_t len,
                          const char *missing)
{
    if (status == ENTRY_OTHER_VERSION) {
        errbuf_set(err, errlen,
                   "%s: a quarantine index entry of record version %d (this sendwatch "
                   "reads version %d)",
                   key, record_version(data, len), RECORD_VERSION);
    } else if (status == ENTRY_INCOMPLETE) {
        errbuf_set(err, errlen,
                   "%s: an incomplete quarantine index entry (no readable %s)", key,
                   missing);
    } else {
        errbuf_set(err, errlen, "out of memory");
    }
}

int quarantine_entry_get(struct store *st, const char *key, struct quarantine_entry **out,
                         char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    const char *missing = NULL;

    *out = NULL;
    int found = store_get(st, STORE_QUARANTINE, key, &data, &len, err, errlen);
    if (found <= 0)
        return found;
    struct entry_decoded *d = malloc(sizeof(*d));
    enum entry_status status =
        d != NULL ? entry_decode(key, strlen(key), data, len, d, &missing)
                  : ENTRY_NO_MEMORY;
    if (status != ENTRY_OK) {
        entry_refused(err, errlen, key, status, data, len, missing);
        free(d);
        free(data);
        return -1;
    }
    free(data);
    *out = &d->e;
    return 1;
}

void quarantine_entry_free(struct quarantine_entry *e)
{
    if (e == NULL)
        return;
    struct entry_decoded *d = (struct entry_decoded *)e;
    entry_clear(d);
    free(d);
}

struct entry_walk {
    int (*fn)(void *ctx, const struct quarantine_entry *e);
    void *ctx;
    struct quarantine_skipped *skipped;
    bool no_memory;
};

static int entry_visit(void *ctx, const char *key, size_t key_len, const void *value,
                       size_t len)
{
    struct entry_walk *w = ctx;
    struct entry_decoded d;
    const char *missing = NULL;
    int rc = 0;

    switch (entry_decode(key, key_len, value, len, &d, &missing)) {
    case ENTRY_OK:
        rc = w->fn(w->ctx, &d.e);
        entry_clear(&d);
        break;
    case ENTRY_OTHER_VERSION:
        w->skipped->version++;
        break;
    case ENTRY_INCOMPLETE:
        w->skipped->incomplete++;
        break;
    case ENTRY_NO_MEMORY:
        w->no_memory = true;
        rc = 1;
        break;
    }
    return rc;
}

int quarantine_entry_foreach(struct store *st, enum quarantine_order order,
                             int (*fn)(void *ctx, const struct quarantine_entry *e),
                             void *ctx, struct quarantine_skipped *skipped, char *err,
                             size_t errlen)
{
    struct quarantine_skipped ignored;
    struct entry_walk w = {.fn = fn, .ctx = ctx, .skipped = skipped ? skipped : &ignored};

    memset(w.skipped, 0, sizeof(*w.skipped));
    int rc =
        order == QUARANTINE_NEWEST_FIRST
            ? store_foreach_reverse(st, STORE_QUARANTINE, entry_visit, &w, err, errlen)
            : store_foreach(st, STORE_QUARANTINE, entry_visit, &w, err, errlen);
    if (rc == 0 && w.no_memory) {
        errbuf_set(err, errlen, "out of memory");
        rc = -1;
    }
    return rc;
}

/* Whether NAME may name a folder or file of ours: no '/', no leading '.'. */
static bool copy_name_ok(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL &&
           strlen(name) < 256;
}

/* Calls FN on E's copy, in new/ then cur/; FN's first result that is not ENOENT. */
static int on_copy(const char *dir, const struct quarantine_entry *e,
                   int (*fn)(const char *path), char *err, size_t errlen)
{
    if (!copy_name_ok(e->folder) || !copy_name_ok(e->file)) {
        errbuf_set(err, errlen, "quarantine entry %s: a folder or file name not ours",
                   e->key ? e->key : "?");
        return -1;
    }
    char path[1400];
    snprintf(path, sizeof(path), "%s/%s/new/%s", dir, e->folder, e->file);
    int rc = fn(path);
    if (rc < 0 && errno == ENOENT) {
        /* A mail client that has seen it moved it to cur/, as FILE:2,FLAGS. */
        char cur[1100];
        snprintf(cur, sizeof(cur), "%s/%s/cur", dir, e->folder);
        DIR *d = opendir(cur);
        size_t n = strlen(e->file);
        struct dirent *de;
        errno = ENOENT;
        while (d != NULL && (de = readdir(d)) != NULL)
            if (strncmp(de->d_name, e->file, n) == 0 &&
                (de->d_name[n] == '\0' || strncmp(de->d_name + n, ":2,", 3) == 0)) {
                snprintf(path, sizeof(path), "%s/%s", cur, de->d_name);
                rc = fn(path);
                break;
            }
        int saved = errno;
        if (d != NULL)
            closedir(d);
        errno = saved;
    }
    if (rc < 0)
        errbuf_set(err, errlen, "%s/%s/{new,cur}/%s: %s", dir, e->folder, e->file,
                   strerror(errno));
    return rc;
}

static int open_read(const char *path)
{
    return open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
}

int quarantine_open_copy(const char *dir, const struct quarantine_entry *e, char *err,
                         size_t errlen)
{
    return on_copy(dir, e, open_read, err, errlen);
}

int quarantine_entry_del(struct store_txn *t, const char *key, char *err, size_t errlen)
{
    return store_txn_del(t, STORE_QUARANTINE, key, err, errlen);
}

int quarantine_remove_copy(const char *dir, const struct quarantine_entry *e, char *err,
                           size_t errlen)
{
    return on_copy(dir, e, unlink, err, errlen) < 0 ? -1 : 0;
}

/*
 * Changes the entry KEY in T: the fields NAMES get VALUES (a NULL value
 * removes the field).  0, 1 when the entry is gone, -1 with ERR.
 */
static int entry_set(struct store_txn *t, const char *key, const char *const *names,
                     const char *const *values, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int found = store_txn_get(t, STORE_QUARANTINE, key, &data, &len, err, errlen);
    if (found <= 0)
        return found < 0 ? -1 : 1;
    struct record *r = record_copy_without(data, len, names);
    free(data);
    bool ok = r != NULL;
    for (size_t i = 0; ok && names[i] != NULL; i++)
        ok = values[i] == NULL || record_add(r, names[i], values[i]) == 0;
    return record_write(t, STORE_QUARANTINE, key, r, ok, err, errlen);
}

int quarantine_entry_ask_delivery(struct store_txn *t, const char *key, time_t when,
                                  const char *by, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int found = store_txn_get(t, STORE_QUARANTINE, key, &data, &len, err, errlen);
    if (found <= 0)
        return found < 0 ? -1 : 2;
    char *asked = record_get(data, len, "delivery_asked", 0),
         *done = record_get(data, len, "delivered", 0),
         *qid = record_get(data, len, "queue_id", 0),
         *withheld = record_get(data, len, "withheld", 0);
    free(data);
    /* Only a message that was kept back: one that went is not sent twice. */
    bool kept_back = withheld != NULL && strcmp(withheld, "yes") == 0;
    free(withheld);
    if (!kept_back) {
        free(asked);
        free(done);
        free(qid);
        return 3;
    }
    bool again = asked != NULL || done != NULL || qid == NULL;
    free(asked);
    free(done);
    /* Once per message, whichever of its copies (a rule may store it in
     * several folders): a mark for its queue ID in "used". */
    char mark[128], *seen = NULL;
    size_t seen_len = 0;
    snprintf(mark, sizeof(mark), "deliver.%.100s", qid ? qid : "");
    free(qid);
    int marked =
        again ? 0 : store_txn_get(t, STORE_USED, mark, &seen, &seen_len, err, errlen);
    free(seen);
    if (marked < 0)
        return -1;
    if (again || marked == 1)
        return 1;
    char stamp[32];
    snprintf(stamp, sizeof(stamp), "%lld", (long long)when);
    static const char *const names[] = {"delivery_asked", "delivery_asked_by", NULL};
    const char *values[] = {stamp, by, NULL};
    int rc = entry_set(t, key, names, values, err, errlen);
    if (rc == 0)
        rc = store_txn_put(t, STORE_USED, mark, stamp, strlen(stamp), err, errlen);
    return rc == 1 ? 2 : rc;
}

int quarantine_entry_delivered(struct store_txn *t, const char *key, time_t when,
                               const char *by, bool sent, char *err, size_t errlen)
{
    char stamp[32];
    snprintf(stamp, sizeof(stamp), "%lld", (long long)when);
    static const char *const names[] = {"delivered",        "delivered_by",
                                        "delivery_asked",   "delivery_asked_by",
                                        "delivery_started", NULL};
    /* Sent: noted for good.  Given up: the ask is taken back, to ask again. */
    const char *values[] = {
        sent ? stamp : NULL, sent ? by : NULL, NULL, NULL, NULL, NULL};
    char *data = NULL, *qid = NULL, mark[128];
    size_t len = 0;
    if (!sent && store_txn_get(t, STORE_QUARANTINE, key, &data, &len, err, errlen) < 0)
        return -1;
    qid = data ? record_get(data, len, "queue_id", 0) : NULL;
    free(data);
    snprintf(mark, sizeof(mark), "deliver.%.100s", qid ? qid : "");
    free(qid);
    int rc = entry_set(t, key, names, values, err, errlen);
    /* Given up: the message's mark goes too, so it may be asked again. */
    if (rc == 0 && !sent)
        rc = store_txn_del(t, STORE_USED, mark, err, errlen);
    return rc;
}

int quarantine_entry_delivery_started(struct store_txn *t, const char *key, time_t when,
                                      char *err, size_t errlen)
{
    char stamp[32];
    snprintf(stamp, sizeof(stamp), "%lld", (long long)when);
    static const char *const names[] = {"delivery_started", NULL};
    const char *values[] = {when ? stamp : NULL, NULL}; /* 0: the mark goes */
    return entry_set(t, key, names, values, err, errlen);
}
