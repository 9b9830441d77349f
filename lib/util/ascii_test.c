/* Unit tests for ascii.c: the word-at-a-time scans against byte-by-byte ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ascii.h"

static size_t slow_span(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

static size_t slow_printable_span(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\t' || p[i] == '\n' ||
                     p[i] == '\r'))
        i++;
    return i;
}

/* Every byte value at every position of the word and of the tail. */
static void test_each_byte_each_position(void **state)
{
    (void)state;
    unsigned char text[27];
    for (unsigned c = 0; c < 256; c++)
        for (size_t at = 0; at < sizeof(text); at++) {
            memset(text, 'a', sizeof(text));
            text[at] = (unsigned char)c;
            for (size_t off = 0; off < 4; off++) { /* unaligned starts too */
                const char *p = (const char *)text + off;
                size_t n = sizeof(text) - off;
                assert_int_equal(ascii_span(p, n), slow_span(text + off, n));
                assert_int_equal(ascii_printable_span(p, n),
                                 slow_printable_span(text + off, n));
            }
        }
}

/* Random mixes weighted to the edges (0x1f, 0x20, 0x7e, 0x7f, 0x80). */
static void test_random_mixes(void **state)
{
    (void)state;
    static const unsigned char edges[] = {0x00, 0x09, 0x0a, 0x0d, 0x1f, 0x20,
                                          'x',  0x7e, 0x7f, 0x80, 0xe3, 0xff};
    unsigned char text[64];
    srand(7);
    for (int round = 0; round < 200000; round++) {
        size_t n = (size_t)(rand() % (int)sizeof(text));
        for (size_t i = 0; i < n; i++)
            text[i] = rand() % 8 ? (unsigned char)(' ' + rand() % 95)
                                 : edges[rand() % (int)sizeof(edges)];
        assert_int_equal(ascii_span((const char *)text, n), slow_span(text, n));
        assert_int_equal(ascii_printable_span((const char *)text, n),
                         slow_printable_span(text, n));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_byte_each_position),
        cmocka_unit_test(test_random_mixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
