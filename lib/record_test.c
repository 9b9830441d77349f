/* Unit tests for record.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
