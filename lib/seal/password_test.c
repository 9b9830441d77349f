/* Unit tests for password.c: length, alphabet, no look-alikes, no two alike, no bias. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "password.h"

static void test_length_and_alphabet(void **state)
{
    (void)state;
    char pw[PASSWORD_MAX + 1];

    for (size_t len = PASSWORD_MIN; len <= PASSWORD_MAX; len++) {
        assert_int_equal(password_new(pw, len), 0);
        assert_int_equal(strlen(pw), len);
        assert_int_equal(strspn(pw, password_alphabet), len);
    }
    assert_null(strpbrk(password_alphabet, "0O1lIo"));
    assert_int_equal(password_new(pw, PASSWORD_MIN - 1), -1);
    assert_string_equal(pw, "");
    assert_int_equal(password_new(pw, PASSWORD_MAX + 1), -1);
}

/* 20,000 passwords of 16: none twice, and every character drawn about equally
 * often: each within 10% of the mean of 5,714 draws (the noise is 1.3%).  A
 * byte taken modulo 56 without rejection would leave 24 characters 12.5%
 * under it. */
static void test_fresh_and_unbiased(void **state)
{
    (void)state;
    enum { COUNT = 20000, LEN = 16 };
    static char seen[COUNT][LEN + 1];
    size_t n = strlen(password_alphabet), counts[256] = {0};

    for (size_t i = 0; i < COUNT; i++) {
        assert_int_equal(password_new(seen[i], LEN), 0);
        for (size_t k = 0; k < LEN; k++)
            counts[(unsigned char)seen[i][k]]++;
    }
    for (size_t i = 1; i < COUNT; i++)
        for (size_t j = 0; j < i; j += 997) /* a sample of pairs: 16 chars never meet */
            assert_string_not_equal(seen[i], seen[j]);
    double mean = (double)COUNT * LEN / (double)n;
    for (size_t k = 0; k < n; k++) {
        double c = (double)counts[(unsigned char)password_alphabet[k]];
        if (c < mean * 0.9 || c > mean * 1.1)
            fail_msg("'%c' drawn %.0f times, mean %.0f", password_alphabet[k], c, mean);
    }
}

/* A sender's own password: 8-64 printable ASCII characters, no spaces. */
static void test_acceptable(void **state)
{
    (void)state;
    assert_true(password_acceptable("Secret-123"));
    assert_true(password_acceptable("12345678"));
    assert_false(password_acceptable("1234567"));
    assert_false(password_acceptable("with space here"));
    assert_false(password_acceptable("パスワードです"));
    assert_false(password_acceptable("tab\there-xyz"));
    char long_one[66];
    memset(long_one, 'a', 65);
    long_one[65] = '\0';
    assert_false(password_acceptable(long_one));
    long_one[64] = '\0';
    assert_true(password_acceptable(long_one));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_and_alphabet),
        cmocka_unit_test(test_fresh_and_unbiased),
        cmocka_unit_test(test_acceptable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
