/* Unit tests for normalize.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

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
    /* Controls a client shows as nothing: DEL, ESC, a C1 (U+0085), BEL. */
    {"CONFI\x7f"
     "DEN\x1bTI\xc2\x85"
     "AL\a!",
     "CONFIDENTIAL!"},
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
        /* Handed over: the same result; unchanged text is kept, not copied. */
        char *in = strdup(cases[i].in);
        assert_int_equal(normalize_text_owned(in, strlen(in), &out, &len), 0);
        if (strcmp(out, cases[i].want) != 0 || len != strlen(cases[i].want))
            fail_msg("case %zu owned: got \"%s\", want \"%s\"", i, out, cases[i].want);
        if (strcmp(cases[i].in, cases[i].want) == 0)
            assert_ptr_equal(out, in);
        free(out);
    }
}

/* A NUL inside a keyword, in the body of a mail: dropped. */
static void test_nul_dropped(void **state)
{
    static const char in[] = "\xe7\xa4\xbe\0\xe5\xa4\x96\xe7\xa7\x98 CONFI\0DENTIAL";
    char *out;
    size_t len;
    (void)state;
    assert_int_equal(normalize_text(in, sizeof(in) - 1, &out, &len), 0);
    assert_int_equal(len, strlen(out));
    assert_string_equal(out, "社外秘 CONFIDENTIAL");
    free(out);
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

/* The fast path must equal utf8proc on the whole text, for any mix. */
static void test_matches_utf8proc_on_random_mixes(void **state)
{
    static const char *const palette[] = {
        "a",
        "e",
        " ",
        "\n",
        "Z",
        "1",
        "か",
        "カ",
        "社",
        "、",
        "ー",       /* stable */
        "\xcc\x81", /* U+0301 combining acute */
        "\xe3\x82\x99",
        "\xe3\x82\x9a", /* U+3099/309A voice marks */
        "ｶ",
        "ﾞ",
        "ﾟ",
        "Ａ",
        "①",
        "㈱",
        "\xe2\x80\x8b",
        "\xc2\xad", /* compat, ignorable */
        "é",
        "Å",
        "\xef\xbc\x81",
        "ヴ",
        "ゔ",
        "\xea\xb0\x80", /* precomposed, Hangul */
        "\xe1\x84\x80",
        "\xe1\x85\xa1", /* Hangul L, V jamo */
    };
    const size_t npal = sizeof(palette) / sizeof(palette[0]);
    unsigned seed = 2026;
    (void)state;

    for (int round = 0; round < 3000; round++) {
        char text[1024];
        size_t len = 0;
        int count = 1 + round % 40;
        for (int i = 0; i < count; i++) {
            seed = seed * 1103515245 + 12345;
            const char *piece = palette[(seed >> 16) % npal];
            memcpy(text + len, piece, strlen(piece));
            len += strlen(piece);
        }
        char *fast;
        size_t fast_len;
        assert_int_equal(normalize_text(text, len, &fast, &fast_len), 0);
        utf8proc_uint8_t *ref = NULL;
        utf8proc_ssize_t ref_len = utf8proc_map(
            (const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, &ref,
            UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_IGNORE);
        assert_true(ref_len >= 0);
        if ((size_t)ref_len != fast_len || memcmp(ref, fast, fast_len) != 0)
            fail_msg("round %d: \"%.*s\": got \"%s\", want \"%s\"", round, (int)len, text,
                     fast, (const char *)ref);
        free(ref);
        free(fast);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_nul_dropped),
        cmocka_unit_test(test_invalid_utf8_is_refused),
        cmocka_unit_test(test_large_text_in_pieces),
        cmocka_unit_test(test_matches_utf8proc_on_random_mixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
