/* hold - see hold.h. */
#include "hold.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "errbuf.h"
#include "queueid.h"
#include "password_job.h"
#include "record.h"

static const char *const state_names[] = {"held", "released", "deleted", "gone",
                                          "never-queued"};

const char *hold_state_name(enum hold_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(*state_names) ? state_names[s]
                                                                    : "?";
}

bool hold_state_parse(const char *name, enum hold_state *s)
{
    for (size_t i = 0; name != NULL && i < sizeof(state_names) / sizeof(*state_names);
         i++)
        if (strcmp(name, state_names[i]) == 0) {
            *s = (enum hold_state)i;
            return true;
        }
    return false;
}

void hold_record_clear(struct hold_record *r)
{
    record_free_all(r->recipients, r->nrecipients);
    record_free_all(r->attachments, r->nattachments);
    free(r->sender);
    free(r->subject);
    free(r->outcome);
    free(r->notice_error);
    free(r->retry);
    free(r->retry_by);
    free(r->requested);
    free(r->requested_by);
    memset(r, 0, sizeof(*r));
}

/* Appends VALUE (taken) to the list *LIST of *N; false when out of memory. */
static bool push_value(char ***list, size_t *n, char *value)
{
    char **grown = realloc(*list, (*n + 2) * sizeof(**list));
    if (grown == NULL) {
        free(value);
        return false;
    }
    *list = grown;
    grown[(*n)++] = value;
    grown[*n] = NULL;
    return true;
}

/* The string fields of a record, by name. */
static char **string_field(struct hold_record *r, const char *name, size_t n)
{
#define FIELD(f)                                                                         \
    if (n == sizeof(#f) - 1 && memcmp(name, #f, n) == 0)                                 \
        return &r->f;
    FIELD(sender)
    FIELD(subject)
    FIELD(outcome)
    FIELD(notice_error)
    FIELD(retry)
    FIELD(retry_by)
    FIELD(requested)
    FIELD(requested_by)
#undef FIELD
    return NULL;
}

/* The time and count fields of a record, by name. */
static long long *number_field(const char *name, size_t n, long long *scratch)
{
    static const char *const names[] = {
        "size",         "created",        "deadline",
        "due",          "queued",         "outcome_time",
        "attempts",     "notice_sent",    "notice_attempts",
        "notice_retry", "requested_time", NULL};
    for (size_t i = 0; names[i] != NULL; i++)
        if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
            return &scratch[i];
    return NULL;
}

/*
 * Decodes a hold record in one pass over its fields (listing 10,000 of
 * them for a page must not scan each record once per field).  0, or -1
 * (not a record of this version, or out of memory).
 */
static int hold_record_decode(const char *data, size_t len, struct hold_record *r)
{
    memset(r, 0, sizeof(*r));
    if (record_version(data, len) != RECORD_VERSION)
        return -1;
    long long numbers[11] = {0};
    bool ok = true, have_qid = false, have_state = false;
    size_t pos = 0, namelen;
    const char *name;
    char *value;
    r->recipients = calloc(1, sizeof(char *));
    r->attachments = calloc(1, sizeof(char *));
    ok = r->recipients != NULL && r->attachments != NULL;
    int more;
    while (ok && (more = record_next(data, len, &pos, &name, &namelen, &value)) == 1) {
        char **str;
        long long *num;
        if (namelen == 8 && memcmp(name, "queue_id", 8) == 0) {
            have_qid = strlen(value) < sizeof(r->queue_id);
            if (have_qid)
                snprintf(r->queue_id, sizeof(r->queue_id), "%s", value);
            free(value);
        } else if (namelen == 5 && memcmp(name, "state", 5) == 0) {
            have_state = hold_state_parse(value, &r->state);
            free(value);
        } else if (namelen == 9 && memcmp(name, "recipient", 9) == 0) {
            ok = push_value(&r->recipients, &r->nrecipients, value);
        } else if (namelen == 10 && memcmp(name, "attachment", 10) == 0) {
            ok = push_value(&r->attachments, &r->nattachments, value);
        } else if ((str = string_field(r, name, namelen)) != NULL) {
            if (*str == NULL)
                *str = value; /* the first value counts, as record_get() reads */
            else
                free(value);
        } else if ((num = number_field(name, namelen, numbers)) != NULL) {
            char *end;
            long long v = strtoll(value, &end, 10);
            if (*num == 0 && end != value && *end == '\0')
                *num = v;
            free(value);
        } else {
            free(value);
        }
    }
    if (ok && more < 0)
        ok = false;
    r->size = (uint64_t)numbers[0];
    r->created = (time_t)numbers[1];
    r->deadline = (time_t)numbers[2];
    r->due = (time_t)numbers[3];
    r->queued = (time_t)numbers[4];
    r->outcome_time = (time_t)numbers[5];
    r->attempts = (long)numbers[6];
    r->notice_sent = (time_t)numbers[7];
    r->notice_attempts = (long)numbers[8];
    r->notice_retry = (time_t)numbers[9];
    r->requested_time = (time_t)numbers[10];
    if (ok && r->sender == NULL)
        ok = (r->sender = strdup("")) != NULL;
    if (ok && r->subject == NULL)
        ok = (r->subject = strdup("")) != NULL;
    if (!ok || !have_qid || !have_state) {
        hold_record_clear(r);
        return -1;
    }
    return 0;
}

/* Decodes what a get found (FOUND as store_get returns) into *R; frees DATA. */
static int decode_found(int found, char *data, size_t len, const char *queue_id,
                        struct hold_record *r, char *err, size_t errlen)
{
    if (found <= 0)
        return found;
    int rc = hold_record_decode(data, len, r);
    free(data);
    if (rc != 0) {
        errbuf_set(err, errlen, "%s: a hold record this version cannot read", queue_id);
        return -1;
    }
    return 1;
}

int hold_get(struct store_txn *t, const char *queue_id, struct hold_record *r, char *err,
             size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int found = store_txn_get(t, STORE_HELD, queue_id, &data, &len, err, errlen);
    return decode_found(found, data, len, queue_id, r, err, errlen);
}

int hold_get_stored(struct store *st, const char *queue_id, struct hold_record *r,
                    char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int found = store_get(st, STORE_HELD, queue_id, &data, &len, err, errlen);
    return decode_found(found, data, len, queue_id, r, err, errlen);
}

struct foreach_ctx {
    int (*fn)(void *ctx, const struct hold_record *r);
    void *ctx;
    size_t skipped;
};

static int foreach_one(void *ctx, const char *key, size_t key_len, const void *value,
                       size_t len)
{
    struct foreach_ctx *f = ctx;
    struct hold_record r;
    (void)key;
    (void)key_len;
    if (hold_record_decode(value, len, &r) != 0) {
        f->skipped++;
        return 0;
    }
    int rc = f->fn(f->ctx, &r);
    hold_record_clear(&r);
    return rc;
}

int hold_foreach(struct store *st, int (*fn)(void *ctx, const struct hold_record *r),
                 void *ctx, size_t *skipped, char *err, size_t errlen)
{
    struct foreach_ctx f = {fn, ctx, 0};
    int rc = store_foreach(st, STORE_HELD, foreach_one, &f, err, errlen);
    if (skipped != NULL)
        *skipped = f.skipped;
    return rc;
}

void hold_due_key(char *buf, size_t len, time_t deadline, const char *queue_id)
{
    snprintf(buf, len, "%016" PRIx64 ".%s", (uint64_t)(deadline < 0 ? 0 : deadline),
             queue_id);
}

bool hold_parse_due_key(const char *key, size_t key_len, time_t *deadline, char *qid,
                        size_t qidlen)
{
    if (key_len < 18 || key_len - 17 >= qidlen || key[16] != '.')
        return false;
    uint64_t t = 0;
    for (size_t i = 0; i < 16; i++) {
        char c = key[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        t = t * 16 + (uint64_t)d;
    }
    *deadline = (time_t)t;
    memcpy(qid, key + 17, key_len - 17);
    qid[key_len - 17] = '\0';
    return true;
}

static int add_time(struct record *r, const char *name, time_t t)
{
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)t);
    return record_add(r, name, v);
}

/* Writes record R as QUEUE_ID's hold record in T. */
static int put_record(struct store_txn *t, const char *queue_id, struct record *r,
                      char *err, size_t errlen)
{
    size_t len = 0;
    const char *bytes = record_bytes(r, &len);
    return store_txn_put(t, STORE_HELD, queue_id, bytes, len, err, errlen);
}

int hold_add(struct store_txn *t, const struct hold_message *m, char *err, size_t errlen)
{
    struct record *r = record_new();
    char key[HOLD_DUE_KEY_MAX], size[32];
    int ok = r != NULL;

    snprintf(size, sizeof(size), "%" PRIu64, m->size);
    ok = ok && record_add(r, "queue_id", m->queue_id) == 0 &&
         record_add(r, "state", "held") == 0 && record_add(r, "sender", m->sender) == 0;
    for (size_t i = 0; ok && i < m->nrecipients; i++)
        ok = record_add(r, "recipient", m->recipients[i]) == 0;
    ok = ok && record_add(r, "subject", m->subject) == 0 &&
         record_add(r, "size", size) == 0;
    for (size_t i = 0; ok && i < m->nattachments; i++)
        ok = record_add(r, "attachment", m->attachments[i]) == 0;
    ok = ok && add_time(r, "created", m->created) == 0 &&
         add_time(r, "deadline", m->deadline) == 0 &&
         add_time(r, "due", m->deadline) == 0;
    if (!ok) {
        record_free(r);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    hold_due_key(key, sizeof(key), m->deadline, m->queue_id);
    int rc = put_record(t, m->queue_id, r, err, errlen) == 0 &&
                     store_txn_put(t, STORE_DUE, key, "", 0, err, errlen) == 0
                 ? 0
                 : -1;
    record_free(r);
    if (rc == 0 && m->notify) {
        char job[HOLD_DUE_KEY_MAX + 8];
        hold_notice_job_key(job, sizeof(job), m->created + HOLD_NOTICE_FIRST_LOOK,
                            m->queue_id);
        rc = store_txn_put(t, STORE_OUTBOX, job, "", 0, err, errlen);
    }
    return rc;
}

/*
 * Reads QUEUE_ID's record in T: 1 with it in *DATA (malloc'ed) and the time
 * of its due key (the deadline, or a retry after a failed attempt) in
 * *DUE when its state is "held", 0 when absent or closed, -1 with ERR.
 */
static int read_held(struct store_txn *t, const char *queue_id, char **data, size_t *len,
                     time_t *due, char *err, size_t errlen)
{
    int rc = store_txn_get(t, STORE_HELD, queue_id, data, len, err, errlen);
    if (rc <= 0)
        return rc;
    char *state = record_get(*data, *len, "state", 0);
    char *when = record_get(*data, *len, "due", 0);
    enum hold_state s;
    bool held = hold_state_parse(state, &s) && s == HOLD_HELD && when != NULL;
    *due = when ? (time_t)strtoll(when, NULL, 10) : 0;
    free(state);
    free(when);
    if (!held) {
        free(*data);
        *data = NULL;
        return 0;
    }
    return 1;
}

/*
 * Changes QUEUE_ID's held record in T: the fields NAMES are replaced by
 * VALUES (NULL-terminated), and its due key moves to NEW_DUE (0: removed,
 * the mail is no longer waiting).  0, 1 when it is not held, -1 with ERR.
 */
static int update_held(struct store_txn *t, const char *queue_id,
                       const char *const *names, const char *const *values,
                       time_t new_due, char *err, size_t errlen)
{
    char *data = NULL, key[HOLD_DUE_KEY_MAX];
    size_t len = 0;
    time_t due;
    int rc = read_held(t, queue_id, &data, &len, &due, err, errlen);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    struct record *r = record_copy_without(data, len, names);
    int ok = r != NULL;
    for (size_t i = 0; ok && names[i] != NULL; i++)
        ok = record_add(r, names[i], values[i]) == 0;
    free(data);
    if (!ok) {
        record_free(r);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    hold_due_key(key, sizeof(key), due, queue_id);
    rc = store_txn_del(t, STORE_DUE, key, err, errlen) == 0 &&
                 put_record(t, queue_id, r, err, errlen) == 0
             ? 0
             : -1;
    record_free(r);
    if (rc == 0 && new_due != 0) {
        hold_due_key(key, sizeof(key), new_due, queue_id);
        rc = store_txn_put(t, STORE_DUE, key, "", 0, err, errlen);
    }
    return rc;
}

int hold_reschedule(struct store_txn *t, const char *queue_id, time_t when, char *err,
                    size_t errlen)
{
    char value[32];
    snprintf(value, sizeof(value), "%lld", (long long)when);
    static const char *const names[] = {"deadline", "due", NULL};
    const char *values[] = {value, value, NULL};
    return update_held(t, queue_id, names, values, when, err, errlen);
}

int hold_close(struct store_txn *t, const char *queue_id, enum hold_state state,
               time_t when, const char *why, char *err, size_t errlen)
{
    char stamp[32];
    snprintf(stamp, sizeof(stamp), "%lld", (long long)when);
    static const char *const names[] = {"state", "outcome", "outcome_time", NULL};
    const char *values[] = {hold_state_name(state), why, stamp, NULL};
    int rc = update_held(t, queue_id, names, values, 0, err, errlen);
    /* The password of a sealed zip follows the mail: out at its release, never
     * after a delete. */
    if (rc == 0 &&
        password_job_settle(t, queue_id, state == HOLD_RELEASED, when, err, errlen) != 0)
        return -1;
    return rc;
}

time_t hold_backoff(long attempts)
{
    time_t wait = 5;
    for (long i = 0; i < attempts && wait < 300; i++)
        wait *= 2;
    return wait > 300 ? 300 : wait;
}

int hold_confirm_queued(struct store_txn *t, const char *queue_id, time_t now, char *err,
                        size_t errlen)
{
    char stamp[32], *data = NULL;
    size_t len = 0;
    time_t due;
    int rc = read_held(t, queue_id, &data, &len, &due, err, errlen);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    free(data);
    snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
    static const char *const names[] = {"queued", NULL};
    const char *values[] = {stamp, NULL};
    return update_held(t, queue_id, names, values, due, err, errlen);
}

int hold_attempt_failed(struct store_txn *t, const char *queue_id, time_t now,
                        enum hold_action action, const char *by, const char *why,
                        long *attempt, time_t *wait, char *err, size_t errlen)
{
    char *data = NULL, count[32], stamp[32], retry[32];
    size_t len = 0;
    long attempts = 0;
    int found = store_txn_get(t, STORE_HELD, queue_id, &data, &len, err, errlen);
    if (found < 0)
        return -1;
    if (found == 1) {
        char *a = record_get(data, len, "attempts", 0);
        attempts = a ? strtol(a, NULL, 10) : 0;
        free(a);
        free(data);
    }
    *attempt = attempts + 1;
    *wait = hold_backoff(attempts);
    time_t retry_at = now + *wait;
    snprintf(count, sizeof(count), "%ld", *attempt);
    snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
    snprintf(retry, sizeof(retry), "%lld", (long long)retry_at);
    /* The deadline the sender was told stays; the retry is the new due time. */
    static const char *const names[] = {
        "attempts", "outcome", "outcome_time", "due", "retry", "retry_by", NULL};
    const char *values[] = {count, why, stamp, retry, hold_action_name(action), by, NULL};
    return update_held(t, queue_id, names, values, retry_at, err, errlen);
}

void hold_outbox_key(char *buf, size_t len, time_t not_before, const char *queue_id,
                     const char *kind)
{
    snprintf(buf, len, "%016llx.%s.%s",
             (unsigned long long)(not_before < 0 ? 0 : not_before), queue_id, kind);
}

bool hold_parse_outbox_key(const char *key, const char *kind, time_t *not_before,
                           char *qid, size_t qidlen)
{
    size_t len = strlen(key);
    const char *dot = strrchr(key, '.');
    if (len < 18 || key[16] != '.' || dot == NULL || dot < key + 17 ||
        strcmp(dot + 1, kind) != 0)
        return false;
    return hold_parse_due_key(key, (size_t)(dot - key), not_before, qid, qidlen) &&
           qid[0];
}

void hold_notice_job_key(char *buf, size_t len, time_t not_before, const char *queue_id)
{
    hold_outbox_key(buf, len, not_before, queue_id, "hold");
}

bool hold_parse_notice_job_key(const char *key, time_t *not_before, char *qid,
                               size_t qidlen)
{
    return hold_parse_outbox_key(key, "hold", not_before, qid, qidlen);
}

int hold_notice_outcome(struct store_txn *t, const char *job_key, const char *queue_id,
                        time_t now, const char *why, long *attempt, time_t *wait,
                        char *err, size_t errlen)
{
    char *data = NULL, count[32], stamp[32], retry[32];
    size_t len = 0;
    long attempts = 0;
    *attempt = 0;
    *wait = 0;
    if (store_txn_del(t, STORE_OUTBOX, job_key, err, errlen) != 0)
        return -1;
    int found = store_txn_get(t, STORE_HELD, queue_id, &data, &len, err, errlen);
    if (found <= 0)
        return found; /* no record to note it in: the job just goes */
    char *a = record_get(data, len, "notice_attempts", 0);
    attempts = a ? strtol(a, NULL, 10) : 0;
    free(a);
    static const char *const names[] = {"notice_attempts", "notice_error", "notice_retry",
                                        "notice_sent", NULL};
    struct record *r = record_copy_without(data, len, names);
    free(data);
    snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
    int ok = r != NULL;
    if (why == NULL) {
        snprintf(count, sizeof(count), "%ld", attempts);
        ok = ok && (attempts == 0 || record_add(r, "notice_attempts", count) == 0) &&
             record_add(r, "notice_sent", stamp) == 0;
    } else {
        *attempt = attempts + 1;
        *wait = hold_backoff(attempts);
        snprintf(count, sizeof(count), "%ld", *attempt);
        snprintf(retry, sizeof(retry), "%lld", (long long)(now + *wait));
        ok = ok && record_add(r, "notice_attempts", count) == 0 &&
             record_add(r, "notice_error", why) == 0 &&
             record_add(r, "notice_retry", retry) == 0;
    }
    if (!ok) {
        record_free(r);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    int rc = put_record(t, queue_id, r, err, errlen);
    record_free(r);
    if (rc == 0 && why != NULL) {
        char job[HOLD_DUE_KEY_MAX + 8];
        hold_notice_job_key(job, sizeof(job), now + *wait, queue_id);
        rc = store_txn_put(t, STORE_OUTBOX, job, "", 0, err, errlen);
    }
    return rc;
}

static const char *const action_names[] = {"release", "delete", "reschedule"};

const char *hold_action_name(enum hold_action a)
{
    return action_names[a];
}

bool hold_action_parse(const char *name, enum hold_action *a)
{
    for (size_t i = 0; i < sizeof(action_names) / sizeof(*action_names); i++)
        if (strcmp(name, action_names[i]) == 0) {
            *a = (enum hold_action)i;
            return true;
        }
    return false;
}

struct requests_ctx {
    int (*fn)(void *ctx, const struct hold_request *r, bool malformed);
    void *ctx;
    size_t left;
};

static int request_one(void *ctx, const char *key, size_t key_len, const void *value,
                       size_t len)
{
    struct requests_ctx *c = ctx;
    struct hold_request r = {0};
    if (c->left == 0)
        return 1;
    c->left--;
    if (key_len >= sizeof(r.key))
        return 0; /* not one of ours: too long to name */
    memcpy(r.key, key, key_len);
    char *action = record_get(value, len, "action", 0);
    char *qid = record_get(value, len, "queue_id", 0);
    char *by = record_get(value, len, "by", 0);
    bool ok = action != NULL && hold_action_parse(action, &r.action) && qid != NULL &&
              strlen(qid) < sizeof(r.queue_id) &&
              queueid_classify(qid) != QUEUEID_INVALID;
    if (ok) {
        snprintf(r.queue_id, sizeof(r.queue_id), "%s", qid);
        snprintf(r.by, sizeof(r.by), "%s", by ? by : "?");
        r.when = (time_t)record_get_number(value, len, "when");
        r.created = (time_t)record_get_number(value, len, "created");
    }
    free(action);
    free(qid);
    free(by);
    return c->fn(c->ctx, &r, !ok);
}

int hold_requests_foreach(struct store *st, size_t max,
                          int (*fn)(void *ctx, const struct hold_request *r,
                                    bool malformed),
                          void *ctx, char *err, size_t errlen)
{
    struct requests_ctx c = {fn, ctx, max};
    return store_foreach(st, STORE_REQUESTS, request_one, &c, err, errlen);
}

void hold_wake(const char *socket_path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(sa.sun_path))
        return;
    strcpy(sa.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return;
    (void)sendto(fd, "w", 1, 0, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
}

int hold_request_in(struct store_txn *t, enum hold_action action, const char *queue_id,
                    time_t when, const char *by, char *err, size_t errlen)
{
    static unsigned long sequence;
    struct timespec now;
    char key[96];
    clock_gettime(CLOCK_REALTIME, &now);
    /* Time-ordered, and unique across processes: pid and a counter. */
    snprintf(key, sizeof(key), "%016llx.%09ld.%d.%lu", (unsigned long long)now.tv_sec,
             now.tv_nsec, (int)getpid(),
             __atomic_add_fetch(&sequence, 1, __ATOMIC_RELAXED));
    struct record *r = record_new();
    int ok = r != NULL && record_add(r, "action", hold_action_name(action)) == 0 &&
             record_add(r, "queue_id", queue_id) == 0 && add_time(r, "when", when) == 0 &&
             record_add(r, "by", by) == 0 && add_time(r, "created", now.tv_sec) == 0;
    return record_write(t, STORE_REQUESTS, key, r, ok, err, errlen);
}

int hold_request_many(struct store *st, const char *socket_path, enum hold_action action,
                      const char *const *queue_ids, size_t n, time_t when, const char *by,
                      char *err, size_t errlen)
{
    struct store_txn *t = store_begin(st, err, errlen);
    if (t == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (hold_request_in(t, action, queue_ids[i], when, by, err, errlen) != 0) {
            store_abort(t);
            return -1;
        }
    if (store_commit(t, err, errlen) != 0)
        return -1;
    hold_wake(socket_path);
    return 0;
}

int hold_request_once(struct store_txn *t, enum hold_action action, const char *queue_id,
                      const char *by, time_t now, struct hold_record *found, char *err,
                      size_t errlen)
{
    if (action == HOLD_RESCHEDULE) {
        errbuf_set(err, errlen, "a one-time request is a release or a delete");
        return -1;
    }
    int rc = hold_get(t, queue_id, found, err, errlen);
    if (rc <= 0)
        return rc < 0 ? -1 : HOLD_ONCE_UNKNOWN;
    if (found->state != HOLD_HELD)
        return HOLD_ONCE_CLOSED;
    if (found->requested != NULL)
        return HOLD_ONCE_ASKED;
    char stamp[32];
    snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
    static const char *const names[] = {"requested", "requested_by", "requested_time",
                                        NULL};
    const char *values[] = {hold_action_name(action), by, stamp, NULL};
    rc = update_held(t, queue_id, names, values, found->due, err, errlen);
    if (rc != 0)
        return rc < 0 ? -1 : HOLD_ONCE_CLOSED;
    if (hold_request_in(t, action, queue_id, 0, by, err, errlen) != 0)
        return -1;
    return HOLD_ONCE_QUEUED;
}

int hold_request(struct store *st, const char *socket_path, enum hold_action action,
                 const char *queue_id, time_t when, const char *by, char *err,
                 size_t errlen)
{
    return hold_request_many(st, socket_path, action, &queue_id, 1, when, by, err,
                             errlen);
}
