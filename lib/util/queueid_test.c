/* Unit tests for queueid.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "queueid.h"

static const struct {
    const char *id;
    enum queueid_kind want;
} cases[] = {
    {"3F2A1B0C9D", QUEUEID_SHORT},
    {"ABCDE1", QUEUEID_SHORT},
    {"4fRbNh1Cz5zJ4Mk", QUEUEID_LONG}, /* time part may itself hold a z */
    {"4fRbNh1CzlzJ4Mk", QUEUEID_LONG},
    {"4dVJrZ3b1NzbSkP", QUEUEID_LONG},
    {"3F2A1", QUEUEID_INVALID},           /* too short for a short ID */
    {"3f2a1b0c9d", QUEUEID_INVALID},      /* short IDs are upper case */
    {"4fRbNh1CzA", QUEUEID_INVALID},      /* vowel, no separator */
    {"4fRbNh1Czz", QUEUEID_INVALID},      /* empty inode part */
    {"4fRbNhzJ4M", QUEUEID_INVALID},      /* time part shorter than 10 */
    {"4fRbNh1Cz5zJ4Ma", QUEUEID_INVALID}, /* vowel in inode part */
    {"4fRbNh1Cz5zJ4M/", QUEUEID_INVALID},
    {"../../etc/passwd", QUEUEID_INVALID},
    {"-d", QUEUEID_INVALID},
    {"ALL", QUEUEID_INVALID},
    {"", QUEUEID_INVALID},
    {"3F2A1B0C9D\n", QUEUEID_INVALID},
    {"4fRbNh1Cz5zJ4Mk 4fRbNh1Cz5zJ4Mk", QUEUEID_INVALID},
    {"4fRbNh1Cz5bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbzJ4Mk", QUEUEID_INVALID}, /* > max */
};

static void test_classify(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum queueid_kind got = queueid_classify(cases[i].id);
        if (got != cases[i].want)
            fail_msg("queueid_classify(\"%s\"): got %d, want %d", cases[i].id, got,
                     cases[i].want);
    }
    assert_false(queueid_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_classify)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
