/*
 * Unit tests for prefilter.c: what it covers, and that it never rules out
 * a regex PCRE2 finds a match for (the one property that matters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"

static const struct {
    const char *pattern, *flags;
    bool covered;
} offers[] = {
    {"\\b(?:\\d[ -]?){12,18}\\d\\b", "", true},
    {"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}", "", true},
    {"\\b[a-z0-9-]+\\.corp\\.example\\.co\\.jp\\b", "i", true},
    {"(?:普通|当座)預金\\s*\\d{7}", "", true},
    {"運転免許証番号\\s*[:：]?\\s*\\d{12}", "", true},
    {"^(?:Fwd?|転送)\\s*:", "m", true},
    {"^(?:Fwd?|転送)\\s*:", "im", false}, /* PCRE2 alone: see prefilter.h */
    {"secret.{0,10}plan", "s", true},
    {"社外秘", "i", false}, /* caseless non-ASCII: PCRE2 folds more */
    {"(?i:ｃｏｎｆｉｄｅｎｔｉａｌ)", "", false}, /* the same, inline */
    {"a b c # spaced", "x", false},               /* extended syntax */
    {"x*", "", false},                            /* matches the empty string */
    {"(a)\\1", "", true},                         /* back reference: a superset is fine */
    /* Word boundaries are dropped for the prefilter; these must not be. */
    {"x[\\b]y", "", true},      /* in a class, \b is a backspace */
    {"\\\\b\\d", "", true},     /* an escaped backslash, then b */
    {"[]\\b]a\\Bb", "", true},  /* ] first in a class is literal */
    {"\\Q\\b\\E\\d", "", true}, /* quoted: left as it is */
};
#define NOFFERS (sizeof(offers) / sizeof(offers[0]))

static struct prefilter *build(void)
{
    struct prefilter *pf = prefilter_new(NOFFERS);
    assert_non_null(pf);
    for (size_t i = 0; i < NOFFERS; i++)
        assert_int_equal(
            prefilter_add(pf, (unsigned)i, offers[i].pattern, offers[i].flags), 0);
    assert_int_equal(prefilter_build(pf), 0);
    return pf;
}

static void test_coverage(void **state)
{
    (void)state;
    struct prefilter *pf = build();
    size_t covered = 0;
    for (size_t i = 0; i < NOFFERS; i++) {
        if (prefilter_covers(pf, (unsigned)i) != offers[i].covered)
            fail_msg("/%s/%s: covered should be %d", offers[i].pattern, offers[i].flags,
                     offers[i].covered);
        covered += offers[i].covered;
    }
    assert_int_equal(prefilter_count(pf), covered);
    prefilter_free(pf);
}

static void test_rules_out_and_keeps(void **state)
{
    (void)state;
    struct prefilter *pf = build();
    struct prefilter_scratch *s = prefilter_scratch_new(pf);
    assert_non_null(s);
    bool maybe[NOFFERS] = {0};
    const char *text = "口座: 普通預金 1234567\nmail ops@mx.corp.example.co.jp now";
    assert_int_equal(prefilter_scan(pf, s, text, strlen(text), maybe), 0);
    assert_false(maybe[0]); /* no card number */
    assert_true(maybe[1]);
    assert_true(maybe[2]);
    assert_true(maybe[3]);
    assert_false(maybe[4]);
    assert_false(maybe[5]);
    prefilter_scratch_free(s);
    prefilter_free(pf);
}

/* Random texts from pieces the patterns care about: every PCRE2 match must be a "maybe".
 */
static void test_never_rules_out_a_match(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "4111",     "1111", " ",    "-",    "0",       "12",
        "@",        "a.b",  "corp", ".",    "example", "co",
        "jp",       "CORP", "普通", "当座", "預金",    "運転免許証番号",
        "：",       ":",    "\n",   "Fwd",  "転送",    "secret",
        "plan",     "x",    "a",    "aa",   "社外秘",  "\t",
        "ｃｏｎｆ", "Z",    "é",    "\b",   "\\",      "\\b",
        "y",        "]",    "b",    "ab",   "\\b7"};
    struct prefilter *pf = build();
    struct prefilter_scratch *s = prefilter_scratch_new(pf);
    pcre2_code *re[NOFFERS];
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    for (size_t i = 0; i < NOFFERS; i++) {
        uint32_t options = PCRE2_UTF;
        for (const char *f = offers[i].flags; *f; f++)
            options |= *f == 'i'   ? PCRE2_CASELESS
                       : *f == 'm' ? PCRE2_MULTILINE
                       : *f == 's' ? PCRE2_DOTALL
                                   : PCRE2_EXTENDED;
        int code;
        PCRE2_SIZE offset;
        re[i] = pcre2_compile((PCRE2_SPTR)offers[i].pattern, PCRE2_ZERO_TERMINATED,
                              options, &code, &offset, NULL);
        assert_non_null(re[i]);
    }
    srand(11);
    size_t matches = 0;
    for (int round = 0; round < 20000; round++) {
        char text[512] = "";
        size_t len = 0;
        for (int k = rand() % 40; k > 0; k--) {
            const char *p = pieces[rand() % (int)(sizeof(pieces) / sizeof(*pieces))];
            if (len + strlen(p) >= sizeof(text))
                break;
            memcpy(text + len, p, strlen(p) + 1);
            len += strlen(p);
        }
        bool maybe[NOFFERS] = {0};
        assert_int_equal(prefilter_scan(pf, s, text, len, maybe), 0);
        for (size_t i = 0; i < NOFFERS; i++) {
            if (!prefilter_covers(pf, (unsigned)i))
                continue;
            if (pcre2_match(re[i], (PCRE2_SPTR)text, len, 0, 0, md, NULL) >= 0) {
                matches++;
                if (!maybe[i])
                    fail_msg("/%s/%s matches \"%s\" but was ruled out", offers[i].pattern,
                             offers[i].flags, text);
            }
        }
    }
    assert_true(matches > 1000); /* the texts did exercise the patterns */
    for (size_t i = 0; i < NOFFERS; i++)
        pcre2_code_free(re[i]);
    pcre2_match_data_free(md);
    prefilter_scratch_free(s);
    prefilter_free(pf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_rules_out_and_keeps),
        cmocka_unit_test(test_never_rules_out_a_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
