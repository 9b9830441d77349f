/* Unit tests for spool.c: memory path, spill path, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

static char temp_dir[] = "/tmp/spool_test.XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(temp_dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(temp_dir);
}

/* Counts names in temp_dir: a spill file must never have one. */
static int count_names(void)
{
    DIR *d = opendir(temp_dir);
    struct dirent *e;
    int n = 0;

    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void check_content(struct spool *sp, const unsigned char *want, size_t len)
{
    unsigned char *got = malloc(len + 1);
    size_t off = 0;
    char err[256];

    assert_int_equal(spool_size(sp), len);
    while (off < len) {
        ssize_t n = spool_read_at(sp, off, got + off, 7777, err, sizeof(err));
        if (n <= 0)
            fail_msg("read at %zu: got %zd (%s), want data", off, n, err);
        off += (size_t)n;
    }
    assert_int_equal(spool_read_at(sp, len, got, 1, err, sizeof(err)), 0);
    assert_memory_equal(got, want, len);
    free(got);
}

static void test_memory_then_spill(void **state)
{
    const size_t limit = 100000, total = 350000;
    unsigned char *data = malloc(total);
    char err[256];
    (void)state;

    for (size_t i = 0; i < total; i++)
        data[i] = (unsigned char)(i * 7 + i / 251);
    struct spool *sp = spool_new(limit, temp_dir);
    assert_non_null(sp);

    /* Write in milter-sized pieces; stay in memory up to the limit. */
    size_t off = 0;
    while (off < total) {
        size_t n = total - off < 65535 ? total - off : 65535;
        assert_int_equal(spool_write(sp, data + off, n, err, sizeof(err)), 0);
        off += n;
        if (off <= limit)
            assert_false(spool_spilled(sp));
        else
            assert_true(spool_spilled(sp));
    }
    assert_int_equal(count_names(), 0);
    check_content(sp, data, total);

    /* Reset: the next message starts in memory again. */
    spool_reset(sp);
    assert_false(spool_spilled(sp));
    assert_int_equal(spool_write(sp, "hello", 5, err, sizeof(err)), 0);
    check_content(sp, (const unsigned char *)"hello", 5);
    spool_free(sp);
    spool_free(NULL);
    free(data);
}

static void test_zero_limit_spills_at_once(void **state)
{
    char err[256];
    (void)state;
    struct spool *sp = spool_new(0, temp_dir);
    assert_int_equal(spool_write(sp, "", 0, err, sizeof(err)), 0);
    assert_false(spool_spilled(sp));
    assert_int_equal(spool_write(sp, "x", 1, err, sizeof(err)), 0);
    assert_true(spool_spilled(sp));
    check_content(sp, (const unsigned char *)"x", 1);
    spool_free(sp);
}

/* A size hint: memory taken at once within the limit, a file at once past it. */
static void test_expect(void **state)
{
    char err[256] = "";
    unsigned char data[3000];
    (void)state;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7);

    struct spool *sp = spool_new(4096, temp_dir);
    assert_int_equal(spool_expect(sp, 2000, err, sizeof(err)), 0);
    assert_false(spool_spilled(sp));
    /* A hint too small is harmless: the spool still grows. */
    for (size_t off = 0; off < sizeof(data); off += 1000)
        assert_int_equal(spool_write(sp, data + off, 1000, err, sizeof(err)), 0);
    assert_false(spool_spilled(sp));
    check_content(sp, data, sizeof(data));
    spool_free(sp);

    sp = spool_new(1024, temp_dir);
    assert_int_equal(spool_expect(sp, 3000, err, sizeof(err)), 0);
    assert_true(spool_spilled(sp)); /* before a byte was written */
    assert_int_equal(spool_write(sp, data, sizeof(data), err, sizeof(err)), 0);
    check_content(sp, data, sizeof(data));
    assert_int_equal(count_names(), 0);
    spool_free(sp);

    sp = spool_new(4, "/nonexistent/sendwatch");
    assert_int_equal(spool_expect(sp, 5, err, sizeof(err)), -1);
    assert_string_equal(
        err, "cannot create spill file in /nonexistent/sendwatch: No such file "
             "or directory");
    assert_int_equal(spool_write(sp, "1", 1, err, sizeof(err)), -1);
    spool_free(sp);
}

/* Bytes in memory can be handed over; a spilled spool keeps its file. */
static void test_take_memory(void **state)
{
    char err[256] = "";
    size_t len = 99;
    (void)state;
    struct spool *sp = spool_new(16, temp_dir);
    assert_int_equal(spool_write(sp, "hello", 5, err, sizeof(err)), 0);
    char *taken = spool_take_memory(sp, &len);
    assert_non_null(taken);
    assert_int_equal(len, 5);
    assert_string_equal(taken, "hello"); /* NUL-terminated */
    free(taken);
    assert_int_equal(spool_size(sp), 0);
    assert_int_equal(spool_write(sp, "again", 5, err, sizeof(err)), 0);
    check_content(sp, (const unsigned char *)"again", 5);
    assert_int_equal(spool_write(sp, "0123456789abcdef", 16, err, sizeof(err)), 0);
    assert_true(spool_spilled(sp));
    assert_null(spool_take_memory(sp, &len));
    spool_free(sp);
}

static void test_bad_temp_dir(void **state)
{
    char err[256] = "";
    (void)state;
    struct spool *sp = spool_new(4, "/nonexistent/sendwatch");
    assert_int_equal(spool_write(sp, "1234", 4, err, sizeof(err)), 0);
    assert_int_equal(spool_write(sp, "5", 1, err, sizeof(err)), -1);
    assert_string_equal(
        err, "cannot create spill file in /nonexistent/sendwatch: No such file "
             "or directory");
    /* A failed spool refuses further writes rather than keep a gap. */
    assert_int_equal(spool_write(sp, "6", 1, err, sizeof(err)), -1);
    assert_string_equal(err, "spool already failed for this message");
    spool_reset(sp);
    assert_int_equal(spool_write(sp, "abc", 3, err, sizeof(err)), 0);
    spool_free(sp);
}

static void test_write_error(void **state)
{
    char err[256] = "";
    char block[4096];
    struct rlimit old, small = {.rlim_cur = 1000, .rlim_max = RLIM_INFINITY};
    (void)state;

    /* A file size limit makes write() fail the way a full disk does. */
    memset(block, 'x', sizeof(block));
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_max = old.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    struct spool *sp = spool_new(0, temp_dir);
    int rc = spool_write(sp, block, sizeof(block), err, sizeof(err));
    setrlimit(RLIMIT_FSIZE, &old);
    assert_int_equal(rc, -1);
    char want[512];
    snprintf(want, sizeof(want), "cannot write spill file in %s: File too large",
             temp_dir);
    assert_string_equal(err, want);
    spool_free(sp);
}

/* spool_read_full() reads exactly or says the spool ended; spool_copy() copies a range,
 * across the spill file's reads. */
static void test_read_full_and_copy(void **state)
{
    (void)state;
    char err[256], buf[16];
    struct spool *a = spool_new(8, "/tmp"), *b = spool_new(1 << 20, "/tmp");
    assert_non_null(a);
    assert_non_null(b);
    static char data[200000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    assert_int_equal(spool_write(a, data, sizeof(data), err, sizeof(err)), 0);
    assert_int_equal(spool_read_full(a, 26, buf, 5, err, sizeof(err)), 0);
    assert_memory_equal(buf, "abcde", 5);
    assert_int_equal(spool_read_full(a, sizeof(data) - 2, buf, 5, err, sizeof(err)), -1);
    assert_string_equal(err, "the spool ends before its 200003 bytes");
    assert_int_equal(spool_copy(a, 3, sizeof(data) - 1, b, err, sizeof(err)), 0);
    assert_int_equal(spool_size(b), sizeof(data) - 4);
    char *copy = malloc(sizeof(data));
    assert_int_equal(spool_read_full(b, 0, copy, sizeof(data) - 4, err, sizeof(err)), 0);
    assert_memory_equal(copy, data + 3, sizeof(data) - 4);
    assert_int_equal(spool_copy(a, 10, sizeof(data) + 5, b, err, sizeof(err)), -1);
    free(copy);
    spool_free(a);
    spool_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_then_spill),
        cmocka_unit_test(test_zero_limit_spills_at_once),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_take_memory),
        cmocka_unit_test(test_bad_temp_dir),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_read_full_and_copy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
