/* Unit tests for quarantine.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "quarantine.h"

static char dir[] = "/tmp/quarantine_test.XXXXXX";

static void test_store_maildir(void **state)
{
    char name[256], err[256] = "", path[1024], got[256] = "";
    (void)state;
    struct spool *sp = spool_new(1 << 16, "/tmp");
    const char msg[] = "Subject: s\r\n\r\nbody\r\n";
    assert_int_equal(spool_write(sp, msg, strlen(msg), err, sizeof(err)), 0);
    assert_int_equal(quarantine_store(dir, "secret", "X-Sendwatch-Rules: a\r\n", sp, name,
                                      sizeof(name), err, sizeof(err)),
                     0);
    snprintf(path, sizeof(path), "%s/secret/new/%s", dir, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(got, 1, sizeof(got) - 1, fp);
    fclose(fp);
    got[n] = '\0';
    assert_string_equal(got, "X-Sendwatch-Rules: a\r\nSubject: s\r\n\r\nbody\r\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/secret", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/secret/cur", dir);
    assert_int_equal(stat(path, &st), 0); /* a complete Maildir */

    /* Two copies never share a name. */
    char second[256];
    assert_int_equal(
        quarantine_store(dir, "secret", "", sp, second, sizeof(second), err, sizeof(err)),
        0);
    assert_string_not_equal(name, second);

    /* A folder that cannot be made is an error with the path. */
    char file_as_dir[1024];
    snprintf(file_as_dir, sizeof(file_as_dir), "%s/secret/new/%s", dir, name);
    assert_int_equal(quarantine_store(file_as_dir, "x", "", sp, second, sizeof(second),
                                      err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "cannot create"));
    spool_free(sp);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_store_maildir)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
