/* Unit tests for extract.c: what extract_file_text() reads of a file that is no archive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

/* A PNG of one pixel as an encoder writes it: IHDR, IDAT, IEND (69 bytes). */
#define TINY_PNG                                                                         \
    "\x89PNG\r\n\x1a\n"                                                                  \
    "\0\0\0\x0dIHDR\0\0\0\1\0\0\0\1\x08\x02\0\0\0\x90\x77\x53\xde"                       \
    "\0\0\0\x0cIDAT\x78\x9c\x63\xf8\xcf\xc0\0\0\x03\x01\x01\0\xc9\xfe\x92\xef"           \
    "\0\0\0\0IEND\xae\x42\x60\x82"

/* A C string literal and its length, NUL bytes in it included. */
#define BYTES(s) s, sizeof(s) - 1

static const struct {
    const char *what;
    const char *in;
    size_t len;
    size_t max;
    const char *want; /* NULL: nothing read */
    enum extract_text_kind kind;
    bool cut;
} cases[] = {
    {"runs of 4 bytes and more, split at NUL and C0 controls",
     BYTES("\0abc\0abcd\x01xyz\x1f"
           "wxyz"),
     100, "abcd\nwxyz", EXTRACT_TEXT_UTF8, false},
    {"TAB, CR, LF, ESC and DEL stay in a run",
     BYTES("\0ab\x02"
           "cd\tef\r\ngh\x1b(B\x7fij\0"),
     100, "cd\tef\r\ngh\x1b(B\x7fij", EXTRACT_TEXT_UTF8, false},
    {"each run in its own charset: UTF-8, Shift_JIS, ISO-2022-JP; a Shift_JIS run "
     "under 12 bytes and windows-1252 are not told from noise, their ASCII is kept",
     BYTES("\0\xe7\xa4\xbe\xe5\xa4\x96\xe7\xa7\x98\0\x8b\x40\x96\xa7\x8e\x96\x8d\x80\x82"
           "\xcc"
           "\x8e\x91\x97\xbf\0\x8b\x40\x96\xa7\0\x1b$B6KHk\x1b(B\0"
           "caf\xe9 cr\xe8me br\xfbl\xe9"
           "e\0"),
     100, "社外秘\n機密事項の資料\n極秘\nme br", EXTRACT_TEXT_UTF8, false},
    {"noise: 8-bit bytes that read as no charset go, the ASCII in them stays",
     BYTES("\0\xff\xfe\x80\xa0\xfdhello world\xff\x80\xfe\xfd\xa0\0"), 100, "hello world",
     EXTRACT_TEXT_UTF8, false},
    {"a stray byte clinging to a run",
     BYTES("\x01\xfd\xe7\xa4\xbe\xe5\xa4\x96\xe7\xa7\x98\0"), 100, "\xef\xbf\xbd社外秘",
     EXTRACT_TEXT_UTF8, false},
    {"the first MAX bytes only, the cut told", BYTES("\0abcdefghijklmnop"), 10,
     "abcdefghi", EXTRACT_TEXT_UTF8, true},
    {"no run long enough", BYTES("\0ab\0cd\0"), 100, NULL, EXTRACT_TEXT_BYTES, false},
    {"text by its head: as it is", BYTES("name,card\n1,4111\n"), 100,
     "name,card\n1,4111\n", EXTRACT_TEXT_BYTES, false},
    {"text by its head, cut", BYTES("name,card\n1,4111\n"), 9, "name,card",
     EXTRACT_TEXT_BYTES, true},
    {"an exact image: nothing, and nothing cut", BYTES(TINY_PNG), 8, NULL,
     EXTRACT_TEXT_BYTES, false},
    {"empty", BYTES(""), 100, NULL, EXTRACT_TEXT_BYTES, false},
};

static struct spool *spool_of(const void *data, size_t len)
{
    char err[256];
    struct spool *sp = spool_new(1 << 16, "/tmp");
    assert_non_null(sp);
    assert_int_equal(spool_write(sp, data, len, err, sizeof(err)), 0);
    return sp;
}

static void test_file_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct spool *sp = spool_of(cases[i].in, cases[i].len);
        char *text, err[256];
        size_t text_len;
        enum extract_text_kind kind;
        bool cut;
        assert_int_equal(extract_file_text(sp, cases[i].max, &text, &text_len, &kind,
                                           &cut, err, sizeof(err)),
                         0);
        bool ok =
            cut == cases[i].cut &&
            (cases[i].want == NULL ? text == NULL
                                   : text != NULL && kind == cases[i].kind &&
                                         text_len == strlen(cases[i].want) &&
                                         memcmp(text, cases[i].want, text_len) == 0 &&
                                         text[text_len] == '\0');
        if (!ok)
            fail_msg("%s: got \"%s\" kind %d cut %d, want \"%s\" kind %d cut %d",
                     cases[i].what, text ? text : "(none)", kind, cut,
                     cases[i].want ? cases[i].want : "(none)", cases[i].kind,
                     cases[i].cut);
        free(text);
        spool_free(sp);
    }
}

/* The same PNG with bytes after its end is no exact image: its runs are read. */
static void test_image_not_exact(void **state)
{
    (void)state;
    struct spool *sp = spool_of(BYTES(TINY_PNG "\0CONFIDENTIAL"));
    char *text, err[256];
    size_t text_len;
    enum extract_text_kind kind;
    bool cut;
    assert_int_equal(
        extract_file_text(sp, 1000, &text, &text_len, &kind, &cut, err, sizeof(err)), 0);
    assert_non_null(text);
    assert_int_equal(kind, EXTRACT_TEXT_UTF8);
    assert_non_null(strstr(text, "IHDR\n"));
    assert_non_null(strstr(text, "\nCONFIDENTIAL"));
    free(text);
    spool_free(sp);
}

/* A run across the reads of the spool (64 KB each) stays one run. */
static void test_run_across_reads(void **state)
{
    (void)state;
    size_t len = 200000;
    char *data = malloc(len);
    memset(data, 'a', len);
    data[0] = '\0';
    memcpy(data + 65530, "社外秘", 9); /* a character across the first read's end */
    data[len - 1] = '\0';
    struct spool *sp = spool_of(data, len);
    char *text, err[256];
    size_t text_len;
    enum extract_text_kind kind;
    bool cut;
    assert_int_equal(
        extract_file_text(sp, len, &text, &text_len, &kind, &cut, err, sizeof(err)), 0);
    assert_int_equal(kind, EXTRACT_TEXT_UTF8);
    assert_int_equal(text_len, len - 2);
    assert_memory_equal(text, data + 1, len - 2);
    assert_false(cut);
    free(text);
    spool_free(sp);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_text),
        cmocka_unit_test(test_image_not_exact),
        cmocka_unit_test(test_run_across_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
