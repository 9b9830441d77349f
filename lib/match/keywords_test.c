/* Unit tests for keywords.c against a naive search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"

struct hits {
    size_t n;
    unsigned id[64];
    size_t start[64], end[64];
    size_t last_end;
    bool out_of_order; /* a hit ended before the one reported before it */
};

static char err[256];

static void record(void *ctx, unsigned id, size_t start, size_t end)
{
    struct hits *h = ctx;

    if (h->n < 64) {
        h->id[h->n] = id;
        h->start[h->n] = start;
        h->end[h->n] = end;
    }
    if (end < h->last_end)
        h->out_of_order = true;
    h->last_end = end;
    h->n++;
}

/* Scans TEXT with a fresh scratch; the scan must succeed. */
static void scan(const struct keywords *kw, const char *text, size_t len, struct hits *h)
{
    struct keywords_scratch *s = keywords_scratch_new(kw);
    assert_non_null(s);
    assert_int_equal(keywords_scan(kw, s, text, len, record, h), 0);
    keywords_scratch_free(s);
    assert_false(h->out_of_order);
}

static void test_overlapping_and_case(void **state)
{
    struct keywords *kw = keywords_new();
    (void)state;

    assert_int_equal(keywords_add(kw, "he", 2, 1), 0);
    assert_int_equal(keywords_add(kw, "she", 3, 2), 0);
    assert_int_equal(keywords_add(kw, "his", 3, 3), 0);
    assert_int_equal(keywords_add(kw, "HERS", 4, 4), 0);
    assert_int_equal(keywords_add(kw, "社外秘", strlen("社外秘"), 5), 0);
    assert_int_equal(keywords_compile(kw, err, sizeof(err)), 0);
    assert_int_equal(keywords_add(kw, "late", 4, 9), -1); /* compiled: no more */

    struct hits h = {0};
    const char *text = "uSHErs 社外秘!";
    scan(kw, text, strlen(text), &h);
    /* she(1..4) he(2..4) hers(2..6) 社外秘(7..16); the first two end together */
    assert_int_equal(h.n, 4);
    size_t she = h.id[0] == 2 ? 0 : 1, he = 1 - she;
    assert_int_equal(h.id[she], 2);
    assert_int_equal(h.start[she], 1);
    assert_int_equal(h.id[he], 1);
    assert_int_equal(h.start[he], 2);
    assert_int_equal(h.id[2], 4);
    assert_int_equal(h.end[2], 6);
    assert_int_equal(h.id[3], 5);
    assert_int_equal(h.start[3], 7);
    assert_int_equal(h.end[3], 16);
    keywords_free(kw);
}

static void test_same_word_two_ids(void **state)
{
    struct keywords *kw = keywords_new();
    struct hits h = {0};
    (void)state;
    keywords_add(kw, "secret", 6, 1);
    keywords_add(kw, "SECRET", 6, 2);
    assert_int_equal(keywords_compile(kw, err, sizeof(err)), 0);
    scan(kw, "a Secret", 8, &h);
    assert_int_equal(h.n, 2);
    keywords_free(kw);
}

/* Only ASCII letters fold; other bytes (a NUL too) match as written. */
static void test_non_ascii_as_written(void **state)
{
    struct keywords *kw = keywords_new();
    struct hits h = {0};
    (void)state;
    keywords_add(kw, "\xc3\x89t\xc3\xa9", 5, 1); /* Été */
    keywords_add(kw, "a\0b", 3, 2);
    assert_int_equal(keywords_compile(kw, err, sizeof(err)), 0);
    /* "étÉ ÉTé A\0B": only the second word is Été with ASCII case folded */
    scan(kw, "\xc3\xa9t\xc3\x89 \xc3\x89T\xc3\xa9 A\0B", 15, &h);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.id[0], 1);
    assert_int_equal(h.start[0], 6);
    assert_int_equal(h.id[1], 2);
    assert_int_equal(h.start[1], 12);
    keywords_free(kw);
}

static void test_empty_set(void **state)
{
    struct keywords *kw = keywords_new();
    struct hits h = {0};
    (void)state;
    assert_int_equal(keywords_compile(kw, err, sizeof(err)), 0);
    scan(kw, "anything", 8, &h);
    assert_int_equal(h.n, 0);
    keywords_free(kw);
    keywords_free(NULL);
}

/* Many generated keywords against a naive count over a pseudo-random text. */
static void test_against_naive(void **state)
{
    enum { NWORDS = 1000, TEXTLEN = 200000 };
    static char words[NWORDS][12];
    char *text = malloc(TEXTLEN);
    unsigned seed = 12345;
    (void)state;

    struct keywords *kw = keywords_new();
    for (int i = 0; i < NWORDS; i++) {
        int len = 2 + i % 6;
        for (int j = 0; j < len; j++) {
            seed = seed * 1103515245 + 12345;
            words[i][j] = (char)('a' + (seed >> 16) % 4);
        }
        words[i][len] = '\0';
        assert_int_equal(keywords_add(kw, words[i], (size_t)len, (unsigned)i), 0);
    }
    assert_int_equal(keywords_compile(kw, err, sizeof(err)), 0);
    for (int i = 0; i < TEXTLEN; i++) {
        seed = seed * 1103515245 + 12345;
        text[i] = (char)('a' + (seed >> 16) % 5);
    }

    struct hits h = {0};
    scan(kw, text, TEXTLEN, &h);
    size_t naive = 0;
    for (int i = 0; i < NWORDS; i++) {
        size_t len = strlen(words[i]);
        for (size_t p = 0; p + len <= TEXTLEN; p++)
            if (memcmp(text + p, words[i], len) == 0)
                naive++;
    }
    if (h.n != naive)
        fail_msg("got %zu hits, want %zu (naive search)", h.n, naive);
    free(text);
    keywords_free(kw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlapping_and_case),
        cmocka_unit_test(test_same_word_two_ids),
        cmocka_unit_test(test_non_ascii_as_written),
        cmocka_unit_test(test_empty_set),
        cmocka_unit_test(test_against_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
