/* Unit tests for secret.c: a secret opens under its key only, unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "secret.h"

static struct secret_key key_of(unsigned char fill)
{
    struct token_key k = {.len = TOKEN_KEY_MIN};
    struct secret_key out;
    memset(k.bytes, fill, k.len);
    assert_int_equal(secret_key_derive(&k, &out), 0);
    /* Derived, not the file's bytes themselves. */
    assert_memory_not_equal(out.bytes, k.bytes, sizeof(out.bytes));
    return out;
}

static void test_round_trip_and_refusals(void **state)
{
    (void)state;
    struct secret_key k = key_of(7), other = key_of(8);
    const char *me = "alice@corp.example";
    char sealed[SECRET_TEXT_MAX], again[SECRET_TEXT_MAX], out[SECRET_PLAIN_MAX + 1];
    char err[256];
    const char *plain = "Tokyo-2026!pass";

    assert_int_equal(secret_seal(&k, me, plain, sealed, sizeof(sealed), err, sizeof(err)),
                     0);
    assert_true(secret_is_sealed(sealed));
    assert_null(strstr(sealed, plain));
    assert_int_equal(secret_open(&k, me, sealed, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, plain);
    /* A fresh nonce each time: the same secret never seals the same. */
    assert_int_equal(secret_seal(&k, me, plain, again, sizeof(again), err, sizeof(err)),
                     0);
    assert_string_not_equal(sealed, again);
    /* Another key, or one changed character anywhere: refused. */
    assert_int_equal(secret_open(&other, me, sealed, out, sizeof(out), err, sizeof(err)),
                     -1);
    assert_string_equal(err, "made with another key or for another address, or changed");
    /* Copied to another address: refused there. */
    assert_int_equal(secret_open(&k, "mallory@corp.example", sealed, out, sizeof(out),
                                 err, sizeof(err)),
                     -1);
    for (size_t i = 3; i < strlen(sealed) - 2; i += 7) {
        char forged[SECRET_TEXT_MAX];
        strcpy(forged, sealed);
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        assert_int_equal(secret_open(&k, me, forged, out, sizeof(out), err, sizeof(err)),
                         -1);
    }
    /* Not sealed at all; too long to seal; empty. */
    assert_false(secret_is_sealed("hunter2"));
    assert_false(secret_is_sealed("s1.abc"));
    assert_false(secret_is_sealed("s1.AB=A")); /* '=' only at the end */
    assert_false(secret_is_sealed("s1.A===")); /* at most two */
    assert_int_equal(secret_open(&k, me, "s1.AAAA", out, sizeof(out), err, sizeof(err)),
                     -1);
    char long_plain[SECRET_PLAIN_MAX + 2];
    memset(long_plain, 'x', sizeof(long_plain) - 1);
    long_plain[sizeof(long_plain) - 1] = '\0';
    assert_int_equal(
        secret_seal(&k, me, long_plain, sealed, sizeof(sealed), err, sizeof(err)), -1);
    assert_int_equal(secret_seal(&k, me, "", sealed, sizeof(sealed), err, sizeof(err)),
                     -1);
    /* The longest secret fits the text form. */
    long_plain[SECRET_PLAIN_MAX] = '\0';
    assert_int_equal(
        secret_seal(&k, me, long_plain, sealed, sizeof(sealed), err, sizeof(err)), 0);
    assert_int_equal(secret_open(&k, me, sealed, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, long_plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
