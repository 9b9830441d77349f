/* Unit tests for store.c: put, ordered read, read-only, a full map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static char dir[] = "/tmp/store_test.XXXXXX";

struct seen {
    int n;
    char keys[8][64];
};

static int collect(void *ctx, const char *key, size_t key_len, const void *value,
                   size_t len)
{
    struct seen *s = ctx;
    (void)value;
    (void)len;
    snprintf(s->keys[s->n++], 64, "%.*s", (int)key_len, key);
    return s->n >= 8;
}

static void test_put_and_foreach(void **state)
{
    char err[256];
    (void)state;
    struct store *st = store_open(dir, 1 << 20, false, err, sizeof(err));
    if (st == NULL)
        fail_msg("store_open: %s", err);
    assert_int_equal(
        store_put(st, STORE_QUARANTINE, "20261128T070000Z.B", "two", 3, err, sizeof(err)),
        0);
    assert_int_equal(
        store_put(st, STORE_QUARANTINE, "20261128T060000Z.A", "one", 3, err, sizeof(err)),
        0);
    store_close(st);

    /* Another opener (the CLI) reads them in key order: time order. */
    st = store_open(dir, 1 << 20, true, err, sizeof(err));
    assert_non_null(st);
    struct seen s = {0};
    assert_int_equal(store_foreach(st, STORE_QUARANTINE, collect, &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.keys[0], "20261128T060000Z.A");
    assert_string_equal(s.keys[1], "20261128T070000Z.B");
    struct seen back = {0};
    assert_int_equal(
        store_foreach_reverse(st, STORE_QUARANTINE, collect, &back, err, sizeof(err)), 0);
    assert_int_equal(back.n, 2);
    assert_string_equal(back.keys[0], "20261128T070000Z.B");
    assert_string_equal(back.keys[1], "20261128T060000Z.A");
    assert_int_equal(store_put(st, STORE_QUARANTINE, "x", "y", 1, err, sizeof(err)), -1);
    store_close(st);
}

static void test_map_full_is_an_error(void **state)
{
    char err[256] = "", big[65536];
    (void)state;
    memset(big, 'x', sizeof(big));
    struct store *st = store_open(dir, 1 << 20, false, err, sizeof(err));
    assert_non_null(st);
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++) {
        char key[32];
        snprintf(key, sizeof(key), "fill.%03d", i);
        rc = store_put(st, STORE_QUARANTINE, key, big, sizeof(big), err, sizeof(err));
    }
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "the LMDB map is full: "));
    assert_non_null(strstr(err, "pages used (raise state_map_size)"));
    store_close(st);
}

static void test_bad_dir(void **state)
{
    char err[256] = "";
    (void)state;
    assert_null(store_open("/nonexistent/state", 1 << 20, false, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/state: cannot open the state environment"));
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
        cmocka_unit_test(test_put_and_foreach),
        cmocka_unit_test(test_map_full_is_an_error),
        cmocka_unit_test(test_bad_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
