/* Unit tests for charset.c: real encoded samples, honest and lying labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "charset.h"

struct charset_case {
    const char *label;
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *want;
    unsigned want_flags;
};

static const struct charset_case cases[] = {
    /* Honest labels. */
    {"us-ascii", "plain text", 0, "plain text", 0},
    {"ISO-2022-JP", "\x1b$B<R30Hk$N;qNA$G$9\x1b(B", 0, "社外秘の資料です", 0},
    {"iso-2022-jp", "\x1b(I<,6^2K\x1b(B", 0, "ｼｬｶﾞｲﾋ", 0},
    /* Outlook's NEC row 13 (①, ㈱, Ⅲ) and an NEC-selected IBM extension
     * (纊, row 89): plain ISO-2022-JP conversion loses these and the line. */
    {"ISO-2022-JP", "\x1b$B-!-j-7<R30Hky!\x1b(B end", 0, "①㈱Ⅲ社外秘纊 end", 0},
    {"Shift_JIS", "\x8e\xd0\x8aO\x94\xe9\x87@\x82\xc5\x82\xb7", 0, "社外秘①です", 0},
    {"shift_jis", "\xbc\xac\xb6\xde\xb2\xcb", 0, "ｼｬｶﾞｲﾋ", 0},
    {"EUC-JP", "\xbc\xd2\xb3\xb0\xc8\xeb\xa4\xce\xbb\xf1\xce\xc1", 0, "社外秘の資料", 0},
    {"UTF-8", "\xe6\xa9\x9f\xe5\xaf\x86", 0, "機密", 0},
    {"ISO-8859-1", "caf\xe9 cr\xe8me", 0, "café crème", 0},
    {"windows-1252", "\x93quoted\x94", 0, "“quoted”", 0},
    /* Lying labels must not hide text. */
    {"ISO-8859-1", "\x8e\xd0\x8aO\x94\xe9\x87@\x82\xc5\x82\xb7", 0, "社外秘①です",
     CHARSET_RELABELED},
    {"iso-8859-1", "\xe6\xa9\x9f\xe5\xaf\x86", 0, "機密", CHARSET_RELABELED},
    {"us-ascii", "\xe6\xa9\x9f\xe5\xaf\x86", 0, "機密", CHARSET_RELABELED},
    {NULL, "\xe6\xa9\x9f\xe5\xaf\x86", 0, "機密", CHARSET_RELABELED},
    {"UTF-8", "\x8e\xd0\x8aO\x94\xe9", 0, "社外秘", CHARSET_RELABELED},
    {"us-ascii", "\x1b$B<R30Hk\x1b(B", 0, "社外秘", CHARSET_RELABELED},
    {"ISO-2022-JP", "\x8e\xd0\x8aO\x94\xe9", 0, "社外秘", CHARSET_RELABELED},
    {"x-no-such-charset", "\xe6\xa9\x9f\xe5\xaf\x86", 0, "機密", CHARSET_RELABELED},
    {"us-ascii", "caf\xe9", 0, "café", CHARSET_RELABELED},
    /* Nearly UTF-8 or Shift_JIS: one stray byte must not turn the rest into
     * windows-1252 mojibake.  But Latin-1 stays windows-1252. */
    {NULL,
     "\xe7\xa4\xbe\xe5\xa4\x96\xe7\xa7\x98\xff\xe3\x81\xae\xe8\xb3\x87\xe6\x96\x99"
     "\xe3\x81\xa7\xe3\x81\x99",
     0, "社外秘\xef\xbf\xbdの資料です", CHARSET_RELABELED | CHARSET_REPLACED},
    {"us-ascii", "\x8e\xd0\x8aO\x94\xe9\xff\x82\xcc\x8e\x91\x97\xbf\x82\xc5\x82\xb7", 0,
     "社外秘\xef\xbf\xbdの資料です", CHARSET_RELABELED | CHARSET_REPLACED},
    {NULL,
     "caf\xe9 cr\xe8me br\xfbl\xe9"
     "e",
     0, "café crème brûlée", CHARSET_RELABELED},
    /* Bytes nothing reads: kept readable around U+FFFD, always valid UTF-8. */
    {"UTF-8", "ok \xff\xfe ok", 0, "ok \xef\xbf\xbd\xef\xbf\xbd ok", CHARSET_REPLACED},
    /* glibc's iconv passes these through from "UTF-8" (past U+10FFFF);
     * found by fuzz_charset. */
    {"UTF-8", "ok \xf6\x9a\xa4\x96 ok", 0,
     "ok \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok", CHARSET_REPLACED},
    {"ISO-10646/UTF8/", "ok \xf6\x9a\xa4\x96 ok", 0,
     "ok \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok", CHARSET_REPLACED},
    {"UTF-8", "", 0, "", 0},
    {"us-ascii", "nul\0byte", 8, "nul\0byte", 0},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct charset_case *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        size_t want_len = c->len ? c->len : strlen(c->want);
        struct charset_result r;

        assert_int_equal(charset_to_utf8(c->label, c->in, len, &r), 0);
        if (r.len != want_len || memcmp(r.text, c->want, want_len) != 0 ||
            r.flags != c->want_flags)
            fail_msg("case %zu (%s): got \"%s\" flags %u via %s, want \"%s\" flags %u", i,
                     c->label ? c->label : "(none)", r.text, r.flags, r.used, c->want,
                     c->want_flags);
        assert_int_equal(r.text[r.len], '\0');
        free(r.text);

        /* Handed over: the same result (ASCII and valid UTF-8 without a copy). */
        char *in = malloc(len + 1);
        memcpy(in, c->in, len);
        in[len] = '\0';
        assert_int_equal(charset_to_utf8_owned(c->label, in, len, &r), 0);
        if (r.len != want_len || memcmp(r.text, c->want, want_len) != 0 ||
            r.flags != c->want_flags)
            fail_msg("case %zu owned: got \"%s\" flags %u", i, r.text, r.flags);
        if (strcmp(r.used, "US-ASCII") == 0 || (strcmp(r.used, "UTF-8") == 0 && !r.flags))
            assert_ptr_equal(r.text, in);
        assert_int_equal(r.text[r.len], '\0');
        free(r.text);
    }
}

/*
 * charset_run_to_utf8(): a text run of a binary file, stray bytes of the
 * binary clinging to it.  Read as the charset that reads nearly all of it
 * (where charset_to_utf8() would read all as windows-1252), and as
 * charset_to_utf8() does otherwise.
 */
static void test_runs(void **state)
{
    static const struct {
        const char *in, *want;
        unsigned want_flags;
    } runs[] = {
        /* Clean: as charset_to_utf8() reads them. */
        {"plain ascii", "plain ascii", 0},
        {"\xe7\xa4\xbe\xe5\xa4\x96\xe7\xa7\x98", "社外秘", CHARSET_RELABELED},
        {"\x8e\xd0\x8aO\x94\xe9", "社外秘", CHARSET_RELABELED},
        {"\x1b$B<R30Hk\x1b(B", "社外秘", CHARSET_RELABELED},
        /* A stray byte at the start or the end: the rest is read. */
        {"\xfd\xe7\xa4\xbe\xe5\xa4\x96\xe7\xa7\x98\xe3\x81\xa7\xe3\x81\x99",
         "\xef\xbf\xbd社外秘です", CHARSET_RELABELED | CHARSET_REPLACED},
        {"\x8e\xd0\x8aO\x94\xe9\x82\xc5\x82\xb7\x81"
         "B\x8c\xda\x8bq\x96\xbc\x95\xeb\xfd",
         "社外秘です。顧客名簿\xef\xbf\xbd", CHARSET_RELABELED | CHARSET_REPLACED},
        /* Several stray bytes before a line of mostly ASCII: the line is read. */
        {"\x80\xfd\xc3(\xa0\xff\xfeid,name,note\r\n1,yamada,\xe7\xa4\xbe\xe5\xa4\x96"
         "\xe7\xa7\x98\r\n",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
         "id,name,note\r\n1,yamada,社外秘\r\n",
         CHARSET_RELABELED | CHARSET_REPLACED},
        {"\x80\xfd\xa0"
         "1,Customer one,4111 1111 1111 1111,\x8e\xd0\x8aO\x94\xe9,tokyo head "
         "office, second floor\r\n",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
         "1,Customer one,4111 1111 1111 1111,社外秘,tokyo head office, second floor\r\n",
         CHARSET_RELABELED | CHARSET_REPLACED},
        /* Nothing reads most of it: windows-1252 as before (CP932 reads a
         * short text of it nearly, but garbled). */
        {"Soci\xe9t\xe9", "Société", CHARSET_RELABELED},
        {"caf\xe9", "café", CHARSET_RELABELED},
        {"caf\xe9 cr\xe8me br\xfbl\xe9"
         "e",
         "café crème brûlée", CHARSET_RELABELED},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(runs) / sizeof(*runs); i++) {
        struct charset_result r;
        assert_int_equal(charset_run_to_utf8(runs[i].in, strlen(runs[i].in), &r), 0);
        if (strcmp(r.text, runs[i].want) != 0 || r.flags != runs[i].want_flags)
            fail_msg("run %zu: got \"%s\" flags %u via %s, want \"%s\" flags %u", i,
                     r.text, r.flags, r.used, runs[i].want, runs[i].want_flags);
        free(r.text);
    }
}

/* Bytes that announce a Unicode encoding form: LEN bytes of IN, WANT_LEN of WANT. */
struct unicode_case {
    const char *label;
    const char *in;
    size_t len;
    const char *want;
    size_t want_len; /* 0: strlen(want) */
    unsigned want_flags;
};

static const struct unicode_case unicode_cases[] = {
    /* Excel's "Unicode Text", Notepad's "Unicode": UTF-16LE with a mark, no label. */
    {NULL,
     "\xff\xfe\x73\x00\x65\x00\x63\x00\x72\x00\x65\x00\x74\x00\x20\x00\x5f\x6a\xc6"
     "\x5b\x0d\x00\x0a\x00",
     24, "secret 機密\r\n", 0, CHARSET_RELABELED},
    {"us-ascii",
     "\xfe\xff\x00\x63\x00\x61\x00\x72\x00\x64\x00\x20\x00\x34\x00\x31\x00\x31\x00"
     "\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31"
     "\x00\x31\x00\x31\x00\x31",
     44, "card 4111111111111111", 0, CHARSET_RELABELED},
    /* No mark: NULs in every other byte, under a label that says otherwise. */
    {"ISO-8859-1",
     "\x6e\x00\x6f\x00\x2c\x00\x6d\x00\x61\x00\x72\x00\x6b\x00\x2c\x00\x3e\x79\x16"
     "\x59\xd8\x79\x0d\x00\x0a\x00\x31\x00\x2c\x00\x34\x00\x31\x00\x31\x00\x31\x00"
     "\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31\x00\x31"
     "\x00\x31\x00\x31\x00\x0d\x00\x0a\x00",
     66, "no,mark,社外秘\r\n1,4111111111111111\r\n", 0, CHARSET_RELABELED},
    {NULL,
     "\x00\x62\x00\x69\x00\x67\x00\x2d\x00\x65\x00\x6e\x00\x64\x00\x69\x00\x61\x00"
     "\x6e\x00\x2c\x00\x6e\x00\x6f\x00\x20\x00\x6d\x00\x61\x00\x72\x00\x6b\x00\x0d"
     "\x00\x0a",
     40, "big-endian,no mark\r\n", 0, CHARSET_RELABELED},
    {NULL,
     "\xff\xfe\x00\x00\x75\x00\x00\x00\x74\x00\x00\x00\x66\x00\x00\x00\x2d\x00\x00"
     "\x00\x33\x00\x00\x00\x32\x00\x00\x00\x20\x00\x00\x00\x5f\x6a\x00\x00\xc6\x5b"
     "\x00\x00",
     40, "utf-32 機密", 0, CHARSET_RELABELED},
    /* A UTF-8 mark under a label that reads anything. */
    {"shift_jis", "\xef\xbb\xbf\xe6\xa9\x9f\xe5\xaf\x86", 9, "機密", 0,
     CHARSET_RELABELED},
    /* A label that says UTF-16 is believed. */
    {"UTF-16LE",
     "\x64\x00\x65\x00\x63\x00\x6c\x00\x61\x00\x72\x00\x65\x00\x64\x00\x20\x00\x5f"
     "\x6a\xc6\x5b",
     22, "declared 機密", 0, 0},
    /* A few NULs are not UTF-16. */
    {NULL, "nul\0byte in text\0and more", 26, "nul\0byte in text\0and more", 26, 0},
};

static void test_unicode_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(unicode_cases) / sizeof(unicode_cases[0]); i++) {
        const struct unicode_case *c = &unicode_cases[i];
        size_t want_len = c->want_len ? c->want_len : strlen(c->want);
        struct charset_result r;

        assert_int_equal(charset_to_utf8(c->label, c->in, c->len, &r), 0);
        if (r.len != want_len || memcmp(r.text, c->want, want_len) != 0 ||
            r.flags != c->want_flags)
            fail_msg(
                "unicode case %zu (%s): got \"%s\" (%zu bytes) flags %u via %s, want "
                "\"%s\" flags %u",
                i, c->label ? c->label : "(none)", r.text, r.len, r.flags, r.used,
                c->want, c->want_flags);
        free(r.text);
    }
}

/* UTF-8 to CP932 exactly (zip names for old Japanese Explorer): what has no form fails.
 */
static void test_from_utf8(void **state)
{
    (void)state;
    char *out;
    size_t len;

    assert_int_equal(charset_from_utf8("CP932", "社外秘リスト.csv", 22, &out, &len), 0);
    assert_int_equal(len, 16);
    assert_memory_equal(out, "\x8e\xd0\x8aO\x94\xe9\x83\x8a\x83X\x83g.csv", 16);
    assert_int_equal(out[len], '\0');
    free(out);
    assert_int_equal(charset_from_utf8("CP932", "memo \xf0\x9f\x93\x9d", 9, &out, &len),
                     1);
    assert_null(out);
    assert_int_equal(charset_from_utf8("CP932", "bad \xff", 5, &out, &len), 1);
    assert_int_equal(charset_from_utf8("NO-SUCH-CHARSET", "a", 1, &out, &len), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases), cmocka_unit_test(test_unicode_forms),
        cmocka_unit_test(test_runs), cmocka_unit_test(test_from_utf8)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
