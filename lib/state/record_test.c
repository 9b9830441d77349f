/* Unit tests for record.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

static void test_round_trip(void **state)
{
    (void)state;
    struct record *r = record_new();
    assert_int_equal(record_add(r, "queue_id", "4fRbNh1Cz5zJ4Mk"), 0);
    assert_int_equal(record_add(r, "subject", "line1\r\nInjected: yes 100% 社外秘"), 0);
    assert_int_equal(record_add(r, "rcpt", "a@example.com"), 0);
    assert_int_equal(record_add(r, "rcpt", "b@example.com"), 0);
    assert_int_equal(record_add(r, "empty", ""), 0);
    size_t len;
    const char *data = record_bytes(r, &len);
    /* One line per field: the CR/LF did not make a line of its own. */
    assert_string_equal(data, "v=1\nqueue_id=4fRbNh1Cz5zJ4Mk\n"
                              "subject=line1%0D%0AInjected: yes 100%25 社外秘\n"
                              "rcpt=a@example.com\nrcpt=b@example.com\nempty=\n");
    char *v = record_get(data, len, "subject", 0);
    assert_string_equal(v, "line1\r\nInjected: yes 100% 社外秘");
    free(v);
    v = record_get(data, len, "rcpt", 1);
    assert_string_equal(v, "b@example.com");
    free(v);
    assert_null(record_get(data, len, "rcpt", 2));
    assert_null(record_get(data, len, "queue", 0)); /* a prefix is not a name */
    v = record_get(data, len, "empty", 0);
    assert_string_equal(v, "");
    free(v);
    assert_null(record_get("v=2\nx=1\n", 8, "x", 0)); /* unknown version */
    record_free(r);
    record_free(NULL);
}

static const struct {
    const char *data;
    int want;
} versions[] = {
    {"v=1\nx=1\n", 1}, {"v=1\n", 1}, {"v=2\nx=1\n", 2}, {"v=12\n", 12},
    {"v=1", -1},       {"v=\n", -1}, {"v=x\n", -1},     {"v=01\n", -1},
    {"x=1\n", -1},     {"", -1},     {"v=1 \n", -1},
};

static void test_version(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(versions) / sizeof(*versions); i++) {
        int got = record_version(versions[i].data, strlen(versions[i].data));
        if (got != versions[i].want)
            fail_msg("record_version(\"%s\"): got %d, want %d", versions[i].data, got,
                     versions[i].want);
    }
}

/* record_next() sees what record_get() sees, in order, each field once. */
static const struct {
    const char *data;
    const char *want; /* name=value; name=value; ... as decoded */
} walks[] = {
    {"v=1\na=1\nb=x%0Dy%25\na=2\n", "a=1;b=x\ry%;a=2;"},
    {"v=1\nempty=\nno equals\n=novalue\nlast=z", "empty=;=novalue;last=z;"},
    {"v=1\n", ""},
    {"v=2\na=1\n", ""}, /* not version 1: no fields for this reader */
    {"a=1\n", ""},
};

static void test_next(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(walks) / sizeof(*walks); i++) {
        char got[256] = "";
        size_t pos = 0, nlen, o = 0;
        const char *name;
        char *value;
        int rc;
        while ((rc = record_next(walks[i].data, strlen(walks[i].data), &pos, &name, &nlen,
                                 &value)) == 1) {
            o += (size_t)snprintf(got + o, sizeof(got) - o, "%.*s=%s;", (int)nlen, name,
                                  value);
            free(value);
        }
        assert_int_equal(rc, 0);
        if (strcmp(got, walks[i].want) != 0)
            fail_msg("walk %zu: got \"%s\", want \"%s\"", i, got, walks[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
