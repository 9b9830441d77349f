/* Unit tests for log_escape(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "log.h"

static const struct {
    const char *in;
    size_t dstlen;
    const char *want;
} cases[] = {
    {"alice@example.com", 64, "alice@example.com"},
    {"line1\r\nfake: entry", 64, "line1\\x0d\\x0afake: entry"},
    {"back\\slash", 64, "back\\\\slash"},
    {"社外秘 report", 64, "社外秘 report"},
    {"bad \xff\xfe utf8", 64, "bad \\xff\\xfe utf8"},
    {"truncated \xe7\xa4", 64, "truncated \\xe7\\xa4"},
    {"bidi \xe2\x80\xae"
     "txt.exe",
     64, "bidi \\xe2\\x80\\xaetxt.exe"},
    {"c1 \xc2\x85", 64, "c1 \\xc2\\x85"},
    {"abcdefghij", 8, "abcd..."},
    {"社外秘社外秘", 12, "社外..."},
    {"\x1b[31mred", 64, "\\x1b[31mred"},
};

static void test_escape(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[128];
        log_escape(out, cases[i].dstlen, cases[i].in, strlen(cases[i].in));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].want);
        assert_true(strlen(out) < cases[i].dstlen);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_escape)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
