/* Unit tests for audit.c: entries kept with the change, newest first, pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/audit_testXXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

struct seen {
    char actions[8][32];
    size_t n;
};

static int collect(void *ctx, const struct audit_entry *e)
{
    struct seen *s = ctx;
    snprintf(s->actions[s->n++], sizeof(s->actions[0]), "%s", e->action);
    return s->n == 8;
}

static void test_newest_first_and_pages(void **state)
{
    (void)state;
    char err[256];
    struct store *st = store_open(dir, 1 << 24, false, err, sizeof(err));
    assert_non_null(st);
    const char *acts[] = {"login", "release", "delete"};
    for (size_t i = 0; i < 3; i++) {
        struct audit_entry e = {.time = 1000 + (time_t)i,
                                .who = "admin:alice",
                                .action = acts[i],
                                .target = "4fRbNh1Cz5zJ4Mk",
                                .from = "192.0.2.1",
                                .result = "ok"};
        assert_int_equal(audit_add_stored(st, &e, err, sizeof(err)), 0);
    }
    struct seen s = {0};
    assert_int_equal(audit_foreach_newest(st, 0, collect, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.actions[0], "delete");
    assert_string_equal(s.actions[2], "login");
    memset(&s, 0, sizeof(s));
    assert_int_equal(audit_foreach_newest(st, 2, collect, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.actions[0], "login");
    /* an aborted change leaves no line */
    struct store_txn *t = store_begin(st, err, sizeof(err));
    struct audit_entry e = {.who = "x", .action = "aborted"};
    assert_int_equal(audit_add(t, &e, err, sizeof(err)), 0);
    store_abort(t);
    memset(&s, 0, sizeof(s));
    assert_int_equal(audit_foreach_newest(st, 0, collect, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 3);
    /* Pruning goes by when a line was written: none is older than a minute ago. */
    size_t n = 99;
    assert_int_equal(audit_prune(st, time(NULL) - 60, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_int_equal(audit_prune(st, time(NULL) + 60, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    memset(&s, 0, sizeof(s));
    assert_int_equal(audit_foreach_newest(st, 0, collect, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 0);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_newest_first_and_pages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
