/* Unit tests for web_job.c and status.c: the web's jobs for holdd, the milter's
 * report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web_job.h"
#include "status.h"

#include "test_store.h"

static int first_key(void *ctx, const char *key, size_t key_len, const void *value,
                     size_t len)
{
    (void)value, (void)len;
    snprintf(ctx, 128, "%.*s", (int)key_len, key);
    return 1;
}

static void test_job_round_trip_and_retry(void **state)
{
    (void)state;
    struct store_txn *t = store_begin(st, err, sizeof(err));
    struct web_job add = {.kind = WEB_JOB_SIGNIN,
                          .address = "taro@corp.example",
                          .language = "ja",
                          .created = 5000};
    assert_int_equal(web_job_add(t, &add, 5000, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    char key[128] = "";
    assert_int_equal(store_foreach(st, STORE_OUTBOX, first_key, key, err, sizeof(err)),
                     0);
    time_t when = 0;
    enum web_job_kind kind;
    assert_true(web_job_parse_key(key, &kind, &when));
    assert_int_equal(kind, WEB_JOB_SIGNIN);
    assert_int_equal(when, 5000);
    assert_false(
        web_job_parse_key("0000000000001388.4fRbNh1Cz5zJ4Mk.hold", &kind, &when));
    assert_false(web_job_parse_key("0000000000001388.signin.xyz", &kind, &when));
    struct web_job j;
    assert_int_equal(web_job_get(st, key, &j, err, sizeof(err)), 1);
    assert_string_equal(j.address, "taro@corp.example");
    assert_string_equal(j.language, "ja");
    assert_int_equal(j.attempts, 0);
    /* failed: it waits under a later key, its attempts counted */
    t = store_begin(st, err, sizeof(err));
    assert_int_equal(web_job_outcome(t, key, &j, false, 6000, 10, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    assert_int_equal(web_job_get(st, key, &j, err, sizeof(err)), 0);
    assert_int_equal(store_foreach(st, STORE_OUTBOX, first_key, key, err, sizeof(err)),
                     0);
    assert_true(web_job_parse_key(key, &kind, &when));
    assert_int_equal(when, 6010);
    assert_int_equal(web_job_get(st, key, &j, err, sizeof(err)), 1);
    assert_int_equal(j.attempts, 1);
    /* sent: gone */
    t = store_begin(st, err, sizeof(err));
    assert_int_equal(web_job_outcome(t, key, &j, true, 6010, 0, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    key[0] = '\0';
    assert_int_equal(store_foreach(st, STORE_OUTBOX, first_key, key, err, sizeof(err)),
                     0);
    assert_string_equal(key, "");
}

static void test_deliver_job(void **state)
{
    (void)state;
    struct store_txn *t = store_begin(st, err, sizeof(err));
    struct web_job add = {.kind = WEB_JOB_DELIVER,
                          .entry = "20261128T060000Z.Q.conf.F",
                          .by = "admin:boss",
                          .created = 7000};
    assert_int_equal(web_job_add(t, &add, 7000, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    char key[128] = "";
    assert_int_equal(store_foreach(st, STORE_OUTBOX, first_key, key, err, sizeof(err)),
                     0);
    struct web_job j;
    assert_int_equal(web_job_get(st, key, &j, err, sizeof(err)), 1);
    assert_int_equal(j.kind, WEB_JOB_DELIVER);
    assert_string_equal(j.entry, add.entry);
    assert_string_equal(j.by, "admin:boss");
    t = store_begin(st, err, sizeof(err));
    assert_int_equal(web_job_outcome(t, key, &j, true, 7001, 0, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
}

/* A used link is marked until it expires, then swept. */
static void test_used_links(void **state)
{
    (void)state;
    struct store_txn *t = store_begin(st, err, sizeof(err));
    assert_int_equal(signin_link_used(t, "sigA", 100, true, err, sizeof(err)), 0);
    assert_int_equal(signin_link_used(t, "sigA", 100, true, err, sizeof(err)), 1);
    assert_int_equal(signin_link_used(t, "sigB", 300, true, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    size_t n = 0;
    assert_int_equal(signin_links_sweep(st, 200, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    t = store_begin(st, err, sizeof(err));
    assert_int_equal(signin_link_used(t, "sigA", 100, false, err, sizeof(err)), 0);
    assert_int_equal(signin_link_used(t, "sigB", 300, false, err, sizeof(err)), 1);
    store_abort(t);
}

static void test_rules_status(void **state)
{
    (void)state;
    struct rules_status s;
    assert_int_equal(status_rules_get(st, &s, err, sizeof(err)), 0);
    static const char *const names[] = {"keep-copy", "no-cards"};
    struct rules_status w = {.names = names,
                             .nnames = 2,
                             .time = 10,
                             .ok = false,
                             .rules = 3,
                             .loaded = 5,
                             .dir = "/etc/sendwatch/rules",
                             .error = "10-a.rules:2:5: unknown action"};
    assert_int_equal(status_rules_put(st, &w, err, sizeof(err)), 0);
    assert_int_equal(status_rules_get(st, &s, err, sizeof(err)), 1);
    assert_false(s.ok);
    assert_int_equal(s.rules, 3);
    assert_int_equal(s.time, 10);
    assert_int_equal(s.loaded, 5);
    assert_string_equal(s.error, w.error);
    assert_string_equal(s.dir, w.dir);
    assert_int_equal(s.nnames, 2);
    assert_string_equal(s.names[1], "no-cards");
    status_rules_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_round_trip_and_retry),
        cmocka_unit_test(test_deliver_job),
        cmocka_unit_test(test_used_links),
        cmocka_unit_test(test_rules_status),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
