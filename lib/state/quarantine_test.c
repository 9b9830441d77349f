/* Unit tests for quarantine.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "quarantine.h"

static char dir[] = "/tmp/quarantine_test.XXXXXX";
static char err[512];

/* DIR/secret/new/NAME into BUF. */
static char *path_of(const char *d, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/secret/new/%s", d, name);
    return buf;
}

static void test_store_maildir(void **state)
{
    char name[256], path[1024], got[256] = "";
    (void)state;
    struct spool *sp = spool_new(1 << 16, "/tmp");
    const char msg[] = "Subject: s\r\n\r\nbody\r\n";
    assert_int_equal(spool_write(sp, msg, strlen(msg), err, sizeof(err)), 0);
    assert_int_equal(quarantine_store(dir, "secret", "X-Sendwatch-Rules: a\r\n", sp, name,
                                      sizeof(name), err, sizeof(err)),
                     0);
    snprintf(path, sizeof(path), "%s/secret/new/%s", dir, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(got, 1, sizeof(got) - 1, fp);
    fclose(fp);
    got[n] = '\0';
    assert_string_equal(got, "X-Sendwatch-Rules: a\r\nSubject: s\r\n\r\nbody\r\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/secret", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/secret/cur", dir);
    assert_int_equal(stat(path, &st), 0); /* a complete Maildir */

    /* Two copies never share a name. */
    char second[256];
    assert_int_equal(
        quarantine_store(dir, "secret", "", sp, second, sizeof(second), err, sizeof(err)),
        0);
    assert_string_not_equal(name, second);

    /* A folder that cannot be made is an error with the path. */
    char file_as_dir[1024];
    snprintf(file_as_dir, sizeof(file_as_dir), "%s/secret/new/%s", dir, name);
    assert_int_equal(quarantine_store(file_as_dir, "x", "", sp, second, sizeof(second),
                                      err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "cannot create"));

    /* The copy is found in new/, and in cur/ once a mail client has seen it
     * (FILE:2,FLAGS); other names, and names not ours, are not opened. */
    struct quarantine_entry e = {.key = "k", .folder = "secret", .file = name};
    int fd = quarantine_open_copy(dir, &e, err, sizeof(err));
    assert_true(fd >= 0);
    close(fd);
    char seen[1200];
    snprintf(seen, sizeof(seen), "%s/secret/cur/%s:2,S", dir, name);
    assert_int_equal(rename(path_of(dir, name, path, sizeof(path)), seen), 0);
    fd = quarantine_open_copy(dir, &e, err, sizeof(err));
    assert_true(fd >= 0);
    close(fd);
    struct quarantine_entry other = {
        .key = "k", .folder = "secret", .file = "1.M2P3Q4.x"};
    assert_int_equal(quarantine_open_copy(dir, &other, err, sizeof(err)), -1);
    struct quarantine_entry sneaky = {.key = "k", .folder = "../secret", .file = name};
    assert_int_equal(quarantine_open_copy(dir, &sneaky, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not ours"));
    assert_int_equal(quarantine_remove_copy(dir, &e, err, sizeof(err)), 0);
    assert_int_equal(access(seen, F_OK), -1);
    spool_free(sp);
}

/* A store of its own in DIR/SUB, for one test. */
static struct store *open_store(const char *sub)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    if (mkdir(path, 0700) != 0)
        fail_msg("mkdir %s failed", path);
    struct store *st = store_open(path, 1 << 20, false, err, sizeof(err));
    if (st == NULL)
        fail_msg("store_open: %s", err);
    return st;
}

static const char *const rcpts_a[] = {"bob@partner.example", "carol@partner.example"};
static const char *const rules_a[] = {"secret", "my-number"};
static const char *const matches_a[] = {"secret subject: 社外秘 plan",
                                        "my-number body: 1234 5678 9018"};
static const char *const rcpts_c[] = {"dave@partner.example"};

static const char *const found_a[] = {"社外秘", "4111 1111"};

/* What is put, in time order; C shares A's second. */
static const struct quarantine_entry entries[] = {
    {
        .time = 1795845600, /* 2026-11-28T06:00:00Z */
        .queue_id = "4fRbNh1Cz5zJ4Mk",
        .folder = "audit",
        .file = "1795845600.M1P100Q1.mx1",
        .sender = "alice@corp.example",
        /* CR/LF, a '%' and control bytes survive the one-line-per-field codec. */
        .subject = "line1\r\nInjected: yes 100% \x1b[31m社外秘",
        .recipients = rcpts_a,
        .nrecipients = 2,
        .rules = rules_a,
        .nrules = 2,
        .matches = matches_a,
        .nmatches = 2,
        .found = found_a,
        .nfound = 2,
    },
    {
        .time = 1795845600,
        .queue_id = "4fRbNh1Cz5zJ4Mk",
        .folder = "legal",
        .file = "1795845600.M2P100Q2.mx1",
        .sender = "alice@corp.example",
        .subject = "line1\r\nInjected: yes 100% \x1b[31m社外秘",
        .recipients = rcpts_a,
        .nrecipients = 2,
        .rules = rules_a,
        .nrules = 2,
        .matches = matches_a,
        .nmatches = 2,
    },
    {
        .time = 1795849200, /* an hour later: a bounce, nothing but the envelope */
        .queue_id = "4fRbPq2Dz6zK5Nl",
        .folder = "bounces",
        .file = "1795849200.M3P100Q3.mx1",
        .sender = "",
        .subject = "",
        .recipients = rcpts_c,
        .nrecipients = 1,
    },
};
#define NENTRIES (sizeof(entries) / sizeof(*entries))

static void check_list(const char *what, const char *field, const char *const *got,
                       size_t ngot, const char *const *want, size_t nwant)
{
    if (ngot != nwant)
        fail_msg("%s: %s: got %zu values, want %zu", what, field, ngot, nwant);
    for (size_t i = 0; i < ngot; i++)
        if (strcmp(got[i], want[i]) != 0)
            fail_msg("%s: %s[%zu]: got \"%s\", want \"%s\"", what, field, i, got[i],
                     want[i]);
}

static void check_entry(const char *what, const struct quarantine_entry *got,
                        const struct quarantine_entry *want)
{
    static const struct {
        const char *name;
        size_t offset;
    } strings[] = {
        {"queue_id", offsetof(struct quarantine_entry, queue_id)},
        {"folder", offsetof(struct quarantine_entry, folder)},
        {"file", offsetof(struct quarantine_entry, file)},
        {"sender", offsetof(struct quarantine_entry, sender)},
        {"subject", offsetof(struct quarantine_entry, subject)},
    };
    if (got->time != want->time)
        fail_msg("%s: time: got %lld, want %lld", what, (long long)got->time,
                 (long long)want->time);
    for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++) {
        const char *g = *(const char *const *)((const char *)got + strings[i].offset);
        const char *w = *(const char *const *)((const char *)want + strings[i].offset);
        if (g == NULL || strcmp(g, w) != 0)
            fail_msg("%s: %s: got \"%s\", want \"%s\"", what, strings[i].name,
                     g ? g : "(null)", w);
    }
    check_list(what, "recipients", got->recipients, got->nrecipients, want->recipients,
               want->nrecipients);
    check_list(what, "rules", got->rules, got->nrules, want->rules, want->nrules);
    check_list(what, "matches", got->matches, got->nmatches, want->matches,
               want->nmatches);
    check_list(what, "found", got->found, got->nfound, want->found, want->nfound);
}

/* What a walk saw: copies of the keys, each entry checked against entries[]. */
struct walk {
    size_t n, stop_after;
    char keys[8][512];
    size_t index[8]; /* into entries[] */
};

static int collect(void *ctx, const struct quarantine_entry *e)
{
    struct walk *w = ctx;
    size_t i;
    for (i = 0; i < NENTRIES && strcmp(entries[i].file, e->file) != 0; i++)
        ;
    if (i == NENTRIES)
        fail_msg("entry %s: got a file nobody put (%s)", e->key, e->file);
    check_entry(e->key, e, &entries[i]);
    if (w->n < 8) {
        snprintf(w->keys[w->n], sizeof(w->keys[w->n]), "%s", e->key);
        w->index[w->n] = i;
    }
    w->n++;
    return w->stop_after != 0 && w->n >= w->stop_after;
}

/* Delivery by an admin: only of a kept-back message, once per message. */
static void test_delivery_asked_once(void **state)
{
    (void)state;
    struct store *st = open_store("delivery");
    const char *const rcpt[] = {"bob@partner.example"};
    struct quarantine_entry e = {.time = 1795845600,
                                 .queue_id = "4fRbNh1Cz5zJ4Mk",
                                 .folder = "a",
                                 .file = "1.M1P1Q1.x",
                                 .sender = "s@x.example",
                                 .subject = "",
                                 .recipients = rcpt,
                                 .nrecipients = 1,
                                 .withheld = true};
    assert_int_equal(quarantine_entry_put(st, &e, err, sizeof(err)), 0);
    e.folder = "b"; /* the same message stored in a second folder */
    assert_int_equal(quarantine_entry_put(st, &e, err, sizeof(err)), 0);
    e.folder = "c";
    e.queue_id = "4fRbNh1Cz5zJ4M9";
    e.withheld = false; /* its original went */
    assert_int_equal(quarantine_entry_put(st, &e, err, sizeof(err)), 0);
    const char *ka = "20261128T060000Z.4fRbNh1Cz5zJ4Mk.a.1.M1P1Q1.x",
               *kb = "20261128T060000Z.4fRbNh1Cz5zJ4Mk.b.1.M1P1Q1.x",
               *kc = "20261128T060000Z.4fRbNh1Cz5zJ4M9.c.1.M1P1Q1.x";
    struct store_txn *t = store_begin(st, err, sizeof(err));
    assert_int_equal(
        quarantine_entry_ask_delivery(t, kc, 10, "admin:x", err, sizeof(err)), 3);
    assert_int_equal(
        quarantine_entry_ask_delivery(t, ka, 10, "admin:x", err, sizeof(err)), 0);
    assert_int_equal(
        quarantine_entry_ask_delivery(t, ka, 11, "admin:x", err, sizeof(err)), 1);
    assert_int_equal(
        quarantine_entry_ask_delivery(t, kb, 11, "admin:x", err, sizeof(err)),
        1); /* the other copy of the same message */
    assert_int_equal(quarantine_entry_ask_delivery(t, "nope", 11, "x", err, sizeof(err)),
                     2);
    assert_int_equal(quarantine_entry_delivery_started(t, ka, 12, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    struct quarantine_entry *got = NULL;
    assert_int_equal(quarantine_entry_get(st, ka, &got, err, sizeof(err)), 1);
    assert_true(got->withheld);
    assert_int_equal(got->delivery_asked, 10);
    assert_int_equal(got->delivery_started, 12);
    quarantine_entry_free(got);
    /* Given up: the ask and the start mark go; it may be asked again. */
    t = store_begin(st, err, sizeof(err));
    assert_int_equal(
        quarantine_entry_delivered(t, ka, 13, "admin:x", false, err, sizeof(err)), 0);
    assert_int_equal(
        quarantine_entry_ask_delivery(t, kb, 14, "admin:y", err, sizeof(err)), 0);
    assert_int_equal(
        quarantine_entry_delivered(t, kb, 15, "admin:y", true, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    assert_int_equal(quarantine_entry_get(st, ka, &got, err, sizeof(err)), 1);
    assert_int_equal(got->delivery_asked, 0);
    assert_int_equal(got->delivery_started, 0);
    assert_int_equal(got->delivered, 0);
    quarantine_entry_free(got);
    assert_int_equal(quarantine_entry_get(st, kb, &got, err, sizeof(err)), 1);
    assert_int_equal(got->delivered, 15);
    assert_string_equal(got->delivered_by, "admin:y");
    quarantine_entry_free(got);
    t = store_begin(st, err, sizeof(err)); /* delivered: never again, from either copy */
    assert_int_equal(
        quarantine_entry_ask_delivery(t, ka, 16, "admin:x", err, sizeof(err)), 1);
    store_abort(t);
    store_close(st);
}

static void test_index_round_trip(void **state)
{
    (void)state;
    struct store *st = open_store("round-trip");
    /* Put in reverse: the order of a walk is the keys', not the puts'. */
    for (size_t i = NENTRIES; i-- > 0;)
        if (quarantine_entry_put(st, &entries[i], err, sizeof(err)) != 0)
            fail_msg("put %s: got %s, want success", entries[i].file, err);

    struct quarantine_skipped skipped = {9, 9};
    struct walk w = {0};
    assert_int_equal(quarantine_entry_foreach(st, QUARANTINE_OLDEST_FIRST, collect, &w,
                                              &skipped, err, sizeof(err)),
                     0);
    if (w.n != NENTRIES || skipped.version != 0 || skipped.incomplete != 0)
        fail_msg("oldest first: got %zu entries, %zu+%zu skipped, want %zu, 0+0", w.n,
                 skipped.version, skipped.incomplete, NENTRIES);
    for (size_t i = 0; i < NENTRIES; i++)
        if (w.index[i] != i)
            fail_msg("oldest first: got %s at %zu, want %s", entries[w.index[i]].file, i,
                     entries[i].file);
    /* The key scheme the milter has always used. */
    assert_string_equal(w.keys[0],
                        "20261128T060000Z.4fRbNh1Cz5zJ4Mk.audit.1795845600.M1P100Q1.mx1");

    struct walk back = {0};
    assert_int_equal(quarantine_entry_foreach(st, QUARANTINE_NEWEST_FIRST, collect, &back,
                                              NULL, err, sizeof(err)),
                     0);
    for (size_t i = 0; i < NENTRIES; i++)
        if (back.index[i] != NENTRIES - 1 - i)
            fail_msg("newest first: got %s at %zu, want %s", entries[back.index[i]].file,
                     i, entries[NENTRIES - 1 - i].file);

    /* A callback that has seen enough stops the walk. */
    struct walk first = {.stop_after = 1};
    assert_int_equal(quarantine_entry_foreach(st, QUARANTINE_NEWEST_FIRST, collect,
                                              &first, NULL, err, sizeof(err)),
                     0);
    assert_int_equal(first.n, 1);

    /* One entry by its key, as a page showing it would. */
    struct quarantine_entry *e = NULL;
    assert_int_equal(quarantine_entry_get(st, w.keys[0], &e, err, sizeof(err)), 1);
    check_entry("get", e, &entries[0]);
    assert_string_equal(e->key, w.keys[0]);
    quarantine_entry_free(e);
    quarantine_entry_free(NULL);
    assert_int_equal(
        quarantine_entry_get(st, "20261128T060000Z.nothing", &e, err, sizeof(err)), 0);
    assert_null(e);
    store_close(st);
}

/* Values stored by hand (or by another version): what a reader makes of them. */
static const struct {
    const char *key, *value;
    const char *want; /* NULL: read; else the error quarantine_entry_get() gives */
} stored[] = {
    {"20261128T050000Z.ok",
     "v=1\ntime=2026-11-28T05:00:00Z\nqueue_id=Q1\nfolder=audit\n"
     "file=f1\nsender=a@corp.example\nsubject=hi\nrcpt=b@x.example\n"
     "color=blue\n", /* an unknown field is ignored */
     NULL},
    {"20261128T050001Z.v2",
     "v=2\ntime=2026-11-28T05:00:01Z\nqueue_id=Q2\nfolder=audit\n"
     "file=f2\nsender=a@corp.example\nsubject=hi\n",
     "20261128T050001Z.v2: a quarantine index entry of record version 2 (this sendwatch "
     "reads version 1)"},
    {"20261128T050002Z.nofolder",
     "v=1\ntime=2026-11-28T05:00:02Z\nqueue_id=Q3\n"
     "file=f3\nsender=a@corp.example\nsubject=hi\n",
     "20261128T050002Z.nofolder: an incomplete quarantine index entry (no readable "
     "folder)"},
    {"20261128T050003Z.badtime",
     "v=1\ntime=yesterday\nqueue_id=Q4\nfolder=audit\n"
     "file=f4\nsender=a@corp.example\nsubject=hi\n",
     "20261128T050003Z.badtime: an incomplete quarantine index entry (no readable time)"},
    {"20261128T050004Z.noversion", "time=2026-11-28T05:00:04Z\nqueue_id=Q5\n",
     "20261128T050004Z.noversion: an incomplete quarantine index entry (no readable "
     "version line)"},
    {"20261128T050005Z.empty", "",
     "20261128T050005Z.empty: an incomplete quarantine "
     "index entry (no readable version line)"},
};

static int count_entries(void *ctx, const struct quarantine_entry *e)
{
    size_t *n = ctx;
    assert_string_equal(e->key, "20261128T050000Z.ok");
    assert_string_equal(e->folder, "audit");
    assert_int_equal(e->nrecipients, 1);
    (*n)++;
    return 0;
}

static void test_index_skips_what_it_cannot_read(void **state)
{
    (void)state;
    struct store *st = open_store("skips");
    for (size_t i = 0; i < sizeof(stored) / sizeof(*stored); i++)
        assert_int_equal(store_put(st, STORE_QUARANTINE, stored[i].key, stored[i].value,
                                   strlen(stored[i].value), err, sizeof(err)),
                         0);
    size_t n = 0;
    struct quarantine_skipped skipped;
    assert_int_equal(quarantine_entry_foreach(st, QUARANTINE_OLDEST_FIRST, count_entries,
                                              &n, &skipped, err, sizeof(err)),
                     0);
    if (n != 1 || skipped.version != 1 || skipped.incomplete != 4)
        fail_msg("got %zu read, %zu of another version, %zu incomplete; want 1, 1, 4", n,
                 skipped.version, skipped.incomplete);

    for (size_t i = 0; i < sizeof(stored) / sizeof(*stored); i++) {
        struct quarantine_entry *e = NULL;
        err[0] = '\0';
        int rc = quarantine_entry_get(st, stored[i].key, &e, err, sizeof(err));
        if (stored[i].want == NULL && rc != 1)
            fail_msg("get %s: got %d (%s), want 1", stored[i].key, rc, err);
        if (stored[i].want != NULL && (rc != -1 || strcmp(err, stored[i].want) != 0))
            fail_msg("get %s: got %d (%s), want -1 (%s)", stored[i].key, rc, err,
                     stored[i].want);
        if (rc != 1)
            assert_null(e);
        quarantine_entry_free(e);
    }
    store_close(st);
}

static void test_index_put_refuses_incomplete(void **state)
{
    (void)state;
    struct store *st = open_store("refuses");
    static const struct {
        const char *what;
        struct quarantine_entry e;
        const char *want;
    } cases[] = {
        {"no queue ID",
         {.folder = "a", .file = "f", .sender = "", .subject = ""},
         "a quarantine index entry needs a queue_id"},
        {"no file",
         {.queue_id = "Q", .folder = "a", .sender = "", .subject = ""},
         "a quarantine index entry needs a file"},
        {"a count without a list",
         {.queue_id = "Q",
          .folder = "a",
          .file = "f",
          .sender = "",
          .subject = "",
          .nrules = 1},
         "a quarantine index entry with a count but no list"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        err[0] = '\0';
        int rc = quarantine_entry_put(st, &cases[i].e, err, sizeof(err));
        if (rc != -1 || strcmp(err, cases[i].want) != 0)
            fail_msg("%s: got %d (%s), want -1 (%s)", cases[i].what, rc, err,
                     cases[i].want);
    }
    size_t n = 0;
    assert_int_equal(quarantine_entry_foreach(st, QUARANTINE_OLDEST_FIRST, count_entries,
                                              &n, NULL, err, sizeof(err)),
                     0);
    assert_int_equal(n, 0); /* nothing was written */
    store_close(st);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_maildir),
        cmocka_unit_test(test_index_round_trip),
        cmocka_unit_test(test_delivery_asked_once),
        cmocka_unit_test(test_index_skips_what_it_cannot_read),
        cmocka_unit_test(test_index_put_refuses_incomplete),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
