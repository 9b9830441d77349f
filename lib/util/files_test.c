/* Unit tests for files.c: what root read is what the dropped process sees, and nothing
 * more. */
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

#include "files.h"

static char dir[] = "/tmp/files_test.XXXXXX";
static char err[512];

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    write_file("b.rules", "rule b\n");
    write_file("a.rules", "rule a\n");
    write_file(".hidden.rules", "no\n");
    write_file("notes.txt", "not a rule file\n");
    write_file("empty.rules", "");
    char fifo[512];
    snprintf(fifo, sizeof(fifo), "%s/fifo.rules", dir);
    return mkfifo(fifo, 0600);
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"b.rules",   "a.rules",     ".hidden.rules",
                           "notes.txt", "empty.rules", "fifo.rules"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

static void path_of(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* Listing: the suffix's names, no dot files, in byte order. */
static void test_list_sorted_filtered(void **state)
{
    (void)state;
    struct files *fs = files_new();
    const char *const *names;
    size_t n;
    assert_int_equal(files_list(fs, dir, ".rules", &names, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 4);
    assert_string_equal(names[0], "a.rules");
    assert_string_equal(names[1], "b.rules");
    assert_string_equal(names[2], "empty.rules");
    assert_string_equal(names[3], "fifo.rules");
    /* Nothing that ends so: an empty list, not an error. */
    assert_int_equal(files_list(fs, dir, ".none", &names, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_null(names[0]);
    files_free(fs);
}

static void test_read_and_errors(void **state)
{
    (void)state;
    struct files *fs = files_new();
    char path[512], want[600];
    const char *data;
    size_t len;
    path_of(path, sizeof(path), "a.rules");
    assert_int_equal(files_read(fs, path, &data, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 7);
    assert_string_equal(data, "rule a\n");
    path_of(path, sizeof(path), "empty.rules");
    assert_int_equal(files_read(fs, path, &data, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    /* A FIFO neither hangs nor passes for a file. */
    path_of(path, sizeof(path), "fifo.rules");
    assert_int_equal(files_read(fs, path, &data, &len, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: not a regular file", path);
    assert_string_equal(err, want);
    path_of(path, sizeof(path), "missing.rules");
    assert_int_equal(files_read(fs, path, &data, &len, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
    assert_string_equal(err, want);
    /* A directory is not a file either. */
    assert_int_equal(files_read(fs, dir, &data, &len, err, sizeof(err)), -1);
    files_free(fs);
}

/* Encoded and decoded, the set answers the same - and only that. */
static void test_round_trip_is_sealed(void **state)
{
    (void)state;
    struct files *fs = files_new();
    char a[512], b[512], want[600];
    const char *data;
    const char *const *names;
    size_t len, n;
    path_of(a, sizeof(a), "a.rules");
    path_of(b, sizeof(b), "b.rules");
    assert_int_equal(files_list(fs, dir, ".rules", &names, &n, err, sizeof(err)), 0);
    assert_int_equal(files_read(fs, a, &data, &len, err, sizeof(err)), 0);
    struct buf wire = {0};
    assert_int_equal(files_encode(fs, &wire), 0);
    files_free(fs);

    struct files *sealed = files_decode(wire.data, wire.len, err, sizeof(err));
    assert_non_null(sealed);
    assert_true(files_sealed(sealed));
    assert_int_equal(files_read(sealed, a, &data, &len, err, sizeof(err)), 0);
    assert_string_equal(data, "rule a\n");
    assert_int_equal(files_list(sealed, dir, ".rules", &names, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 4);
    assert_string_equal(names[1], "b.rules");
    /* b.rules exists on disk, but root did not read it: no way round that. */
    assert_int_equal(files_read(sealed, b, &data, &len, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: was not read while loading as root", b);
    assert_string_equal(err, want);
    assert_int_equal(files_list(sealed, dir, ".txt", &names, &n, err, sizeof(err)), -1);
    files_free(sealed);

    /* Every truncation and a wrong magic are refused, never half-read. */
    for (size_t cut = 0; cut < wire.len; cut++) {
        assert_null(files_decode(wire.data, cut, err, sizeof(err)));
        assert_string_equal(err, "the loaded files came back malformed");
    }
    wire.data[0] = 'X';
    assert_null(files_decode(wire.data, wire.len, err, sizeof(err)));
    buf_free(&wire);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_sorted_filtered),
        cmocka_unit_test(test_read_and_errors),
        cmocka_unit_test(test_round_trip_is_sealed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
