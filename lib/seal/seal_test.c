/*
 * Unit tests for seal.c, judged by real clients: 7-Zip (7zz) extracts every
 * zip made here with its password and gives back the same bytes under the
 * same names - UTF-8 ones flagged as such, CP932 ones not (7-Zip for Linux
 * lists and writes names without the flag as their raw bytes, whatever
 * -mcp says: they must be the name's CP932 bytes); Info-ZIP's unzip opens
 * the ZipCrypto ones; a wrong password opens nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <iconv.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "password.h"
#include "seal.h"

extern char **environ;

static char workdir[] = "/tmp/seal-test-XXXXXX";

/* Runs ARGV with its output in OUT (a path, or NULL: /dev/null); its exit status. */
static int run(char *const argv[], const char *out)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The whole of file PATH, malloc'ed, in *LEN; NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&buf, &cap);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    *len = cap;
    return buf;
}

static struct spool *spool_of(const void *data, size_t len)
{
    char err[256];
    struct spool *sp = spool_new(1 << 16, workdir);
    assert_non_null(sp);
    assert_int_equal(spool_write(sp, data, len, err, sizeof(err)), 0);
    return sp;
}

/* The files each zip holds: a CSV that deflates, a "photo" that does not, and a
 * name CP932 cannot write (an emoji). */
static const struct {
    const char *name;
    bool compress;
    bool utf8_in_cp932; /* written in UTF-8 even when CP932 is asked for */
} files[] = {
    {"社外秘リスト.csv", true, false},
    {"写真 2026.jpg", false, false},
    {"memo \xf0\x9f\x93\x9d.txt", true, true}, /* CP932 has no emoji */
    {"ﾃｽ.txt", true, true}, /* its CP932 bytes (C3 BD) read as UTF-8: libzip says no */
};
#define NFILES (sizeof(files) / sizeof(*files))

static unsigned char *contents[NFILES];
static size_t lengths[NFILES];

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(workdir) == NULL)
        return -1;
    FILE *csv = open_memstream((char **)&contents[0], &lengths[0]);
    for (int i = 0; i < 2000; i++)
        fprintf(csv, "%d,山田 太郎,4111 1111 1111 1111\r\n", i);
    fclose(csv);
    lengths[1] = 300000;
    contents[1] = malloc(lengths[1]);
    for (size_t i = 0; i < lengths[1]; i++)
        contents[1][i] = (unsigned char)((i * 2654435761u) >> 13);
    contents[2] = (unsigned char *)strdup("note\n");
    lengths[2] = 5;
    contents[3] = (unsigned char *)strdup("half-width katakana\n");
    lengths[3] = 20;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < NFILES; i++)
        free(contents[i]);
    if (getenv("SEAL_TEST_KEEP") != NULL) { /* to look at what 7-Zip was given */
        fprintf(stderr, "kept: %s\n", workdir);
        return 0;
    }
    char *argv[] = {"rm", "-rf", workdir, NULL};
    return run(argv, NULL);
}

/* Makes a zip of FILES with METHOD and NAMES under PW at ZIP_PATH. */
static void make_zip(enum seal_method method, enum seal_names names, const char *pw,
                     const char *zip_path)
{
    char err[256];
    struct spool *spools[NFILES];
    struct seal *s = seal_new(method, names, pw, workdir, err, sizeof(err));
    if (s == NULL)
        fail_msg("seal_new: %s", err);
    for (size_t i = 0; i < NFILES; i++) {
        spools[i] = spool_of(contents[i], lengths[i]);
        /* 2026-01-02 03:04:06 local time: even seconds survive DOS time. */
        struct tm tm = {.tm_year = 126,
                        .tm_mon = 0,
                        .tm_mday = 2,
                        .tm_hour = 3,
                        .tm_min = 4,
                        .tm_sec = 6,
                        .tm_isdst = -1};
        if (seal_add(s, files[i].name, mktime(&tm), spools[i], files[i].compress, err,
                     sizeof(err)) != 0)
            fail_msg("seal_add %s: %s", files[i].name, err);
    }
    int fd;
    uint64_t size;
    if (seal_finish(s, &fd, &size, err, sizeof(err)) != 0)
        fail_msg("seal_finish: %s", err);
    assert_int_equal(seal_names_kept_utf8(s), names == SEAL_NAMES_CP932 ? 2 : 0);
    seal_free(s);
    for (size_t i = 0; i < NFILES; i++)
        spool_free(spools[i]);
    /* The zip has no name left in the work directory: only the spools' files. */
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_nlink, 0);
    assert_int_equal((uint64_t)st.st_size, size);
    int out = open(zip_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    close(out);
    close(fd);
}

/* The bytes file I's name is written as under NAMES, in OUT: its CP932 form when
 * CP932 is asked for and has every character, else UTF-8. */
static void written_name(size_t i, enum seal_names names, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", files[i].name);
    if (names != SEAL_NAMES_CP932 || files[i].utf8_in_cp932)
        return;
    iconv_t cd = iconv_open("CP932", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    char *in = (char *)files[i].name, *o = out;
    size_t inleft = strlen(in), outleft = outlen - 1;
    if (iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1)
        *o = '\0';
    else
        snprintf(out, outlen, "%s", files[i].name); /* kept in UTF-8 */
    iconv_close(cd);
}

/* Checks that DIR holds every file under its name (as NAMES writes it) with its bytes. */
static void check_extracted(const char *dir, enum seal_names names, bool all_names)
{
    for (size_t i = 0; i < NFILES; i++) {
        char path[512], name[256];
        size_t len;
        written_name(i, names, name, sizeof(name));
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        char *got = slurp(path, &len);
        if (!all_names && got == NULL)
            continue;
        if (got == NULL || len != lengths[i] || memcmp(got, contents[i], len) != 0)
            fail_msg("%s: %s", path, got ? "other bytes" : "missing");
        free(got);
    }
}

static void test_aes_and_zipcrypto_open_in_7zip(void **state)
{
    (void)state;
    static const struct {
        enum seal_method method;
        enum seal_names names;
        const char *tag, *listing_method;
    } kinds[] = {
        {SEAL_AES256, SEAL_NAMES_UTF8, "aes-utf8", "AES-256"},
        {SEAL_AES256, SEAL_NAMES_CP932, "aes-cp932", "AES-256"},
        {SEAL_ZIPCRYPTO, SEAL_NAMES_UTF8, "zc-utf8", "ZipCrypto"},
        {SEAL_ZIPCRYPTO, SEAL_NAMES_CP932, "zc-cp932", "ZipCrypto"},
    };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
        char pw[17], zip[256], dir[256], opt_p[64], opt_o[300], listing[300];
        assert_int_equal(password_new(pw, 16), 0);
        snprintf(zip, sizeof(zip), "%s/%s.zip", workdir, kinds[k].tag);
        snprintf(dir, sizeof(dir), "%s/%s.out", workdir, kinds[k].tag);
        snprintf(listing, sizeof(listing), "%s/%s.list", workdir, kinds[k].tag);
        snprintf(opt_p, sizeof(opt_p), "-p%s", pw);
        snprintf(opt_o, sizeof(opt_o), "-o%s", dir);
        make_zip(kinds[k].method, kinds[k].names, pw, zip);
        char *cp = kinds[k].names == SEAL_NAMES_CP932 ? "-mcp=932" : "-mcp=65001";
        char csv[256], want[300];
        written_name(0, kinds[k].names, csv, sizeof(csv));

        /* The wrong password opens nothing; the right one everything. */
        char *wrong[] = {"7zz", "t", "-pWrongPassword2", zip, NULL};
        assert_int_not_equal(run(wrong, NULL), 0);
        char *x[] = {"7zz", "x", "-y", opt_p, opt_o, cp, zip, NULL};
        if (run(x, NULL) != 0)
            fail_msg("%s: 7zz x failed", kinds[k].tag);
        check_extracted(dir, kinds[k].names, true);

        /* What 7-Zip lists: names, methods (deflated or stored), times. */
        char *l[] = {"7zz", "l", "-slt", opt_p, cp, zip, NULL};
        assert_int_equal(run(l, listing), 0);
        size_t len;
        char *text = slurp(listing, &len);
        assert_non_null(text);
        snprintf(want, sizeof(want), "Method = %s Deflate", kinds[k].listing_method);
        assert_non_null(strstr(text, want));
        snprintf(want, sizeof(want), "Method = %s Store", kinds[k].listing_method);
        assert_non_null(strstr(text, want));
        snprintf(want, sizeof(want), "Path = %s\n", csv);
        assert_non_null(strstr(text, want));
        assert_non_null(strstr(text, "Modified = 2026-01-02 03:04:06"));
        free(text);

        if (kinds[k].method == SEAL_ZIPCRYPTO && kinds[k].names == SEAL_NAMES_UTF8) {
            char udir[300];
            snprintf(udir, sizeof(udir), "%s.unzip", dir);
            char *u[] = {"unzip", "-q", "-P", pw, "-d", udir, zip, NULL};
            assert_int_equal(run(u, NULL), 0);
            check_extracted(udir, kinds[k].names, false);
        }
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    char err[256];
    struct spool *sp = spool_of("x", 1);

    assert_null(seal_new(SEAL_AES256, SEAL_NAMES_UTF8, "pw", "/nonexistent/dir", err,
                         sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/dir"));
    struct seal *s =
        seal_new(SEAL_AES256, SEAL_NAMES_UTF8, "Pa55word", workdir, err, sizeof(err));
    assert_non_null(s);
    static const char *const bad[] = {
        "",        ".",        "..",       "../../etc/passwd",
        "a/b.txt", "a\\b.txt", "a\nb.txt", "a\x7f.txt"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(seal_add(s, bad[i], 0, sp, true, err, sizeof(err)), -1);
    assert_int_equal(seal_add(s, "a.txt", 0, sp, true, err, sizeof(err)), 0);
    assert_int_equal(seal_add(s, "a.txt", 0, sp, true, err, sizeof(err)), -1);
    seal_free(s); /* never finished: its file goes too */

    /* A zip of nothing is refused, not written empty. */
    s = seal_new(SEAL_AES256, SEAL_NAMES_UTF8, "Pa55word", workdir, err, sizeof(err));
    int fd;
    uint64_t size;
    assert_int_equal(seal_finish(s, &fd, &size, err, sizeof(err)), -1);
    assert_string_equal(err, "a zip with no file in it");
    assert_int_equal(fd, -1);
    seal_free(s);
    spool_free(sp);

    char *argv[] = {"sh", "-c", "ls \"$0\" | grep -c '^seal-' ", workdir, NULL};
    char count[300];
    snprintf(count, sizeof(count), "%s/count", workdir);
    run(argv, count);
    size_t len;
    char *text = slurp(count, &len);
    assert_string_equal(text, "0\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aes_and_zipcrypto_open_in_7zip),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
