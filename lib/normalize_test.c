/* Unit tests for normalize.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "normalize.h"

static const struct {
    const char *in, *want;
} cases[] = {
    {"ＣＯＮＦＩＤＥＮＴＩＡＬ", "CONFIDENTIAL"},
    {"ｼｬｶﾞｲﾋ", "シャガイヒ"},
    {"社\xe2\x80\x8b外\xe2\x80\x8d秘", "社外秘"}, /* ZWSP, ZWJ */
    {"con\xc2\xad"
     "fidential",
     "confidential"}, /* soft hyphen */
    {"se\xe2\x80\x8e"
     "cr\xe2\x80\xae"
     "et",
     "secret"}, /* LRM, RLO */
    {"\xef\xbb\xbf"
     "BOM first",
     "BOM first"}, /* BOM */
    {"①②③ ㈱ Ⅲ", "123 (株) III"},
    {"ｶﾌﾞｼｷｶﾞｲｼｬ １２３", "カブシキガイシャ 123"},
    {"e\xcc\x81t\xc3\xa9", "\xc3\xa9t\xc3\xa9"}, /* e + U+0301 -> é */
    {"line1\nline2\ttab", "line1\nline2\ttab"},
    {"", ""},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out;
        size_t len;
        assert_int_equal(normalize_text(cases[i].in, strlen(cases[i].in), &out, &len), 0);
        if (strcmp(out, cases[i].want) != 0 || len != strlen(cases[i].want))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].want);
        free(out);
    }
}

static void test_invalid_utf8_is_refused(void **state)
{
    char *out = NULL;
    size_t len;
    (void)state;
    assert_int_equal(normalize_text("bad \xff", 5, &out, &len), -2);
    assert_null(out);
}

/* Pieces must join seamlessly: a large text equals the sum of its parts. */
static void test_large_text_in_pieces(void **state)
{
    const char unit[] = "ｼｬｶﾞｲﾋ e\xcc\x81 ＡＢＣ 社\xe2\x80\x8b外秘 ";
    const char unit_want[] = "シャガイヒ \xc3\xa9 ABC 社外秘 ";
    const size_t copies = 30000; /* ~1.3 MB: many pieces, some cut without a newline */
    size_t ulen = strlen(unit), wlen = strlen(unit_want);
    char *in = malloc(ulen * copies), *want = malloc(wlen * copies);
    char *out;
    size_t len;
    (void)state;

    for (size_t i = 0; i < copies; i++) {
        memcpy(in + i * ulen, unit, ulen);
        memcpy(want + i * wlen, unit_want, wlen);
    }
    assert_int_equal(normalize_text(in, ulen * copies, &out, &len), 0);
    assert_int_equal(len, wlen * copies);
    assert_memory_equal(out, want, len);
    free(in);
    free(want);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_invalid_utf8_is_refused),
        cmocka_unit_test(test_large_text_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
