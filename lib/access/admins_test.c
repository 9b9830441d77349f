/* Unit tests for admins.c: hashes, the file, roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admins.h"

static void test_hash_and_check(void **state)
{
    (void)state;
    char hash[ADMIN_HASH_MAX], again[ADMIN_HASH_MAX], err[256];
    assert_int_equal(
        admin_hash_password("correct horse", hash, sizeof(hash), err, sizeof(err)), 0);
    assert_int_equal(strncmp(hash, "$scrypt$ln=14,r=8,p=1$", 22), 0);
    assert_null(strstr(hash, "correct"));
    assert_true(admin_password_matches(hash, "correct horse"));
    assert_false(admin_password_matches(hash, "correct horsE"));
    assert_false(admin_password_matches(hash, ""));
    assert_false(admin_password_matches(NULL, "correct horse"));
    assert_false(admin_password_matches("$scrypt$garbage", "correct horse"));
    /* a fresh salt each time */
    assert_int_equal(
        admin_hash_password("correct horse", again, sizeof(again), err, sizeof(err)), 0);
    assert_string_not_equal(hash, again);
}

static void test_parse(void **state)
{
    (void)state;
    char hash[ADMIN_HASH_MAX], err[256], text[1024];
    struct admins a;
    assert_int_equal(
        admin_hash_password("pw-0123456789", hash, sizeof(hash), err, sizeof(err)), 0);
    snprintf(text, sizeof(text), "# admins\n\nalice:admin:%s\nbob.s:auditor:%s\r\n", hash,
             hash);
    assert_int_equal(admins_parse(text, strlen(text), "f", &a, err, sizeof(err)), 0);
    assert_int_equal(a.n, 2);
    assert_int_equal(admins_find(&a, "alice")->role, ADMIN_ROLE_ADMIN);
    assert_int_equal(admins_find(&a, "bob.s")->role, ADMIN_ROLE_AUDITOR);
    assert_null(admins_find(&a, "carol"));
    admins_free(&a);

    static const char *const bad[] = {
        "alice:root:$scrypt$ln=14,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "alice:admin:plaintext\n",
        "al/ice:admin:x\n",
        "alice\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(admins_parse(bad[i], strlen(bad[i]), "f", &a, err, sizeof(err)),
                         -1);
        assert_int_equal(strncmp(err, "f:1: ", 5), 0);
    }
    snprintf(text, sizeof(text), "alice:admin:%s\nalice:auditor:%s\n", hash, hash);
    assert_int_equal(admins_parse(text, strlen(text), "f", &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "twice"));
}

static void test_write_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/admins_testXXXXXX", path[256], hash[ADMIN_HASH_MAX], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/admins", dir);
    struct admins a = {0}, b;
    assert_int_equal(
        admin_hash_password("pw-0123456789", hash, sizeof(hash), err, sizeof(err)), 0);
    assert_int_equal(admins_set(&a, "ops", ADMIN_ROLE_OPERATOR, hash), 0);
    assert_int_equal(admins_set(&a, "root-ish", ADMIN_ROLE_ADMIN, hash), 0);
    assert_int_equal(admins_set(&a, "ops", ADMIN_ROLE_AUDITOR, hash), 0); /* replaced */
    assert_int_equal(a.n, 2);
    assert_int_equal(admins_write(path, &a, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    struct files *fs = files_new();
    bool missing = true;
    assert_int_equal(admins_load(fs, path, getuid(), &b, &missing, err, sizeof(err)), 0);
    assert_false(missing);
    assert_int_equal(b.n, 2);
    assert_int_equal(admins_find(&b, "ops")->role, ADMIN_ROLE_AUDITOR);
    assert_true(admin_password_matches(admins_find(&b, "ops")->hash, "pw-0123456789"));
    admins_free(&b);
    files_free(fs);
    assert_true(admins_remove(&a, "ops"));
    assert_false(admins_remove(&a, "ops"));
    assert_int_equal(a.n, 1);
    admins_free(&a);
    /* readable by others: refused */
    chmod(path, 0644);
    fs = files_new();
    assert_int_equal(admins_load(fs, path, getuid(), &b, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "chmod 600"));
    files_free(fs);
    unlink(path);
    /* missing: an empty list, said so */
    fs = files_new();
    assert_int_equal(admins_load(fs, path, getuid(), &b, &missing, err, sizeof(err)), 0);
    assert_true(missing);
    assert_int_equal(b.n, 0);
    files_free(fs);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_and_check),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_write_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
