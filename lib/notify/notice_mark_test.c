/* notice_mark_test - the signed header of sendwatch's own messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "notice_mark.h"

static const struct secret_key key = {.bytes = "0123456789abcdef0123456789abcdef"};
static const struct secret_key other_key = {.bytes = "fedcba9876543210fedcba9876543210"};
static const char *const rcpts[] = {"Alice@Example.COM", "bob@example.net"};
static const char body[] = "Hello,\nyour mail is held.\n\n";

static enum notice_mark_check check_chunks(const struct secret_key *k, const char *value,
                                           time_t now, const char *const *r, size_t n,
                                           const char *text, size_t chunk)
{
    struct notice_mark_body *b = notice_mark_body_new();
    assert_non_null(b);
    size_t len = strlen(text);
    for (size_t off = 0; off < len; off += chunk)
        assert_int_equal(
            notice_mark_body_add(b, text + off, len - off < chunk ? len - off : chunk),
            0);
    enum notice_mark_check c = notice_mark_check(k, value, now, r, n, b);
    notice_mark_body_free(b);
    return c;
}

static void signed_then_checked(void **state)
{
    (void)state;
    char mark[NOTICE_MARK_MAX];
    assert_int_equal(notice_mark_sign(&key, 1000000, rcpts, 2, body, strlen(body), mark),
                     0);
    assert_true(strncmp(mark, "v1 t=1000000 mac=", 17) == 0);
    assert_int_equal(strlen(mark), 17 + 43);
    char value[NOTICE_MARK_MAX + 2];
    snprintf(value, sizeof(value), " %s", mark); /* as libmilter gives it */
    /* CRLF, in any chunking, recipients in any order and case. */
    const char *crlf = "Hello,\r\nyour mail is held.\r\n";
    const char *const swapped[] = {"BOB@example.net", "alice@example.com"};
    for (size_t chunk = 1; chunk < 40; chunk += 7)
        assert_int_equal(check_chunks(&key, value, 1000060, swapped, 2, crlf, chunk),
                         NOTICE_MARK_GOOD);
}

static void anything_else_fails(void **state)
{
    (void)state;
    char mark[NOTICE_MARK_MAX];
    assert_int_equal(notice_mark_sign(&key, 1000000, rcpts, 2, body, strlen(body), mark),
                     0);
    /* Another body, recipient set, key. */
    assert_int_equal(
        check_chunks(&key, mark, 1000000, rcpts, 2, "Hello,\nyour mail is gone.\n", 5),
        NOTICE_MARK_FORGED);
    const char *const more[] = {"alice@example.com", "bob@example.net",
                                "eve@evil.example"};
    assert_int_equal(check_chunks(&key, mark, 1000000, more, 3, body, 9),
                     NOTICE_MARK_FORGED);
    assert_int_equal(check_chunks(&key, mark, 1000000, rcpts, 1, body, 9),
                     NOTICE_MARK_FORGED);
    assert_int_equal(check_chunks(&other_key, mark, 1000000, rcpts, 2, body, 9),
                     NOTICE_MARK_FORGED);
    /* A changed time is another MAC. */
    char moved[NOTICE_MARK_MAX];
    snprintf(moved, sizeof(moved), "v1 t=1000001%s", mark + strlen("v1 t=1000000"));
    assert_int_equal(check_chunks(&key, moved, 1000000, rcpts, 2, body, 9),
                     NOTICE_MARK_FORGED);
    /* Too old, from the future. */
    assert_int_equal(
        check_chunks(&key, mark, 1000000 + NOTICE_MARK_MAX_AGE + 1, rcpts, 2, body, 9),
        NOTICE_MARK_STALE);
    assert_int_equal(
        check_chunks(&key, mark, 1000000 - NOTICE_MARK_SKEW - 1, rcpts, 2, body, 9),
        NOTICE_MARK_STALE);
}

static void malformed_values(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "yes",
        "v2 t=1000000 mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1 t=1000000 mac=short",
        "v1 t=1000000 mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA junk",
        "v1 t=x mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1 mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(check_chunks(&key, bad[i], 1000000, rcpts, 2, body, 9),
                         NOTICE_MARK_MALFORMED);
    /* Well formed, but nobody's. */
    assert_int_equal(
        check_chunks(&key, "v1 t=1000000 mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                     1000000, rcpts, 2, body, 9),
        NOTICE_MARK_FORGED);
}

static void derived_key_differs(void **state)
{
    (void)state;
    struct token_key file = {.len = 32};
    memcpy(file.bytes, "0123456789abcdef0123456789abcdef", 32);
    struct secret_key a, b;
    assert_int_equal(secret_key_derive_for(&file, NOTICE_MARK_INFO, &a), 0);
    assert_int_equal(secret_key_derive(&file, &b), 0);
    assert_memory_not_equal(a.bytes, b.bytes, 32);
    assert_memory_not_equal(a.bytes, file.bytes, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signed_then_checked),
        cmocka_unit_test(anything_else_fails),
        cmocka_unit_test(malformed_values),
        cmocka_unit_test(derived_key_differs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
