/* Unit tests for signin_job.c and status.c: the web's jobs for holdd, the milter's
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

#include "signin_job.h"
#include "status.h"

static char dir[] = "/tmp/signin_job_test.XXXXXX";
static struct store *st;
static char err[512];

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    st = store_open(dir, 1 << 20, false, err, sizeof(err));
    return st ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    store_close(st);
    char path[128];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    unlink(path);
    return rmdir(dir);
}

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
    assert_int_equal(signin_job_add(t, "taro@corp.example", "ja", 5000, err, sizeof(err)),
                     0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    char key[128] = "";
    assert_int_equal(store_foreach(st, STORE_OUTBOX, first_key, key, err, sizeof(err)),
                     0);
    time_t when = 0;
    assert_true(signin_job_parse_key(key, &when));
    assert_int_equal(when, 5000);
    assert_false(signin_job_parse_key("0000000000001388.4fRbNh1Cz5zJ4Mk.hold", &when));
    assert_false(signin_job_parse_key("0000000000001388.signin.xyz", &when));
    struct signin_job j;
    assert_int_equal(signin_job_get(st, key, &j, err, sizeof(err)), 1);
    assert_string_equal(j.address, "taro@corp.example");
    assert_string_equal(j.language, "ja");
    assert_int_equal(j.attempts, 0);
    /* failed: it waits under a later key, its attempts counted */
    t = store_begin(st, err, sizeof(err));
    assert_int_equal(signin_job_outcome(t, key, &j, false, 6000, 10, err, sizeof(err)),
                     0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    assert_int_equal(signin_job_get(st, key, &j, err, sizeof(err)), 0);
    assert_int_equal(store_foreach(st, STORE_OUTBOX, first_key, key, err, sizeof(err)),
                     0);
    assert_true(signin_job_parse_key(key, &when));
    assert_int_equal(when, 6010);
    assert_int_equal(signin_job_get(st, key, &j, err, sizeof(err)), 1);
    assert_int_equal(j.attempts, 1);
    /* sent: gone */
    t = store_begin(st, err, sizeof(err));
    assert_int_equal(signin_job_outcome(t, key, &j, true, 6010, 0, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    key[0] = '\0';
    assert_int_equal(store_foreach(st, STORE_OUTBOX, first_key, key, err, sizeof(err)),
                     0);
    assert_string_equal(key, "");
}

static void test_rules_status(void **state)
{
    (void)state;
    struct rules_status s;
    assert_int_equal(status_rules_get(st, &s, err, sizeof(err)), 0);
    struct rules_status w = {.time = 10,
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_round_trip_and_retry),
        cmocka_unit_test(test_rules_status),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
