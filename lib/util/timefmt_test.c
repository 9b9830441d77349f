/* Unit tests for timefmt.c: the zone named, Tokyo nine hours ahead, bad zones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

#define T0 1796012488 /* 2026-11-30T04:21:28Z */

static void test_tokyo(void **state)
{
    (void)state;
    char err[256], buf[TIMEFMT_MAX];
    assert_int_equal(timefmt_use_zone("Asia/Tokyo", err, sizeof(err)), 0);
    assert_string_equal(timefmt_local(T0, buf, sizeof(buf)), "2026-11-30 13:21:28 JST");
    assert_string_equal(timefmt_local_short(T0, buf, sizeof(buf)),
                        "2026-11-30 13:21 JST");
    assert_string_equal(timefmt_utc(T0, buf, sizeof(buf)), "2026-11-30T04:21:28Z");
}

static void test_utc_and_others(void **state)
{
    (void)state;
    char err[256], buf[TIMEFMT_MAX];
    assert_int_equal(timefmt_use_zone("UTC", err, sizeof(err)), 0);
    assert_string_equal(timefmt_local(T0, buf, sizeof(buf)), "2026-11-30 04:21:28 UTC");
    assert_int_equal(timefmt_use_zone("America/New_York", err, sizeof(err)), 0);
    assert_string_equal(timefmt_local(T0, buf, sizeof(buf)), "2026-11-29 23:21:28 EST");
}

static void test_unknown_zone_refused(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(timefmt_use_zone("Asia/Tokio", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Asia/Tokio"));
    assert_non_null(strstr(err, "no such zone"));
}

static void test_small_buffer(void **state)
{
    (void)state;
    char buf[8];
    timefmt_utc(T0, buf, sizeof(buf)); /* cut, never overrun */
    assert_true(strlen(buf) < sizeof(buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokyo),
        cmocka_unit_test(test_utc_and_others),
        cmocka_unit_test(test_unknown_zone_refused),
        cmocka_unit_test(test_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
