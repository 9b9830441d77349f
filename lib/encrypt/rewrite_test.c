/*
 * Unit tests for rewrite.c: the chosen attachments leave in one zip that
 * 7-Zip opens with the password, giving back their bytes under their
 * decoded names; every other byte of the message is as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gmime/gmime.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rewrite.h"

extern char **environ;

static char workdir[] = "/tmp/rewrite-test-XXXXXX";

/* base64 of "name,card\r\n1,4111 1111 1111 1111\r\n" and of 12 bytes of "JPEG". */
#define CSV_B64  "bmFtZSxjYXJkDQoxLDQxMTEgMTExMSAxMTExIDExMTENCg=="
#define CSV_TEXT "name,card\r\n1,4111 1111 1111 1111\r\n"
#define JPG_B64  "/9j/4AAQSkZJRgABAQ=="

/* A message with a body, a CSV (RFC 2231 name), a JPEG (RFC 2047 name) and a PDF, in
 * lines ending with NL. */
static char *sample(const char *nl)
{
    const char *lines[] = {
        "From: <alice@corp.example>",
        "To: <bob@partner.example>",
        "Subject: =?UTF-8?B?6KaL56mN?=",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"=_outer\"",
        "",
        "This is a multi-part message in MIME format.",
        "--=_outer",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "see attached",
        "--=_outer",
        "Content-Type: text/csv",
        "Content-Disposition: attachment;",
        " filename*=UTF-8''%E9%A1%A7%E5%AE%A2%E3%83%AA%E3%82%B9%E3%83%88.csv",
        "Content-Transfer-Encoding: base64",
        "",
        CSV_B64,
        "--=_outer",
        "Content-Type: image/jpeg; name=\"=?UTF-8?B?5YaZ55yfLmpwZw==?=\"",
        "Content-Disposition: attachment; filename=\"=?UTF-8?B?5YaZ55yfLmpwZw==?=\"",
        "Content-Transfer-Encoding: base64",
        "",
        JPG_B64,
        "--=_outer",
        "Content-Type: application/pdf; name=\"keep.pdf\"",
        "Content-Transfer-Encoding: base64",
        "",
        "JVBERi0xLjcKJSVFT0YK",
        "--=_outer--",
        "epilogue",
        NULL,
    };
    GString *s = g_string_new(NULL);
    for (size_t i = 0; lines[i]; i++)
        g_string_append_printf(s, "%s%s", lines[i], nl);
    return g_string_free(s, FALSE);
}

static struct spool *spool_of(const char *text)
{
    char err[256];
    struct spool *sp = spool_new(1 << 20, workdir);
    assert_non_null(sp);
    assert_int_equal(spool_write(sp, text, strlen(text), err, sizeof(err)), 0);
    return sp;
}

/* The spool's bytes as a string (g_free). */
static char *text_of(const struct spool *sp)
{
    size_t n = (size_t)spool_size(sp);
    char *buf = g_malloc(n + 1), err[256];
    assert_int_equal(spool_read_at(sp, 0, buf, n, err, sizeof(err)), (ssize_t)n);
    buf[n] = '\0';
    return buf;
}

/* Chooses the attachments that are not PDFs. */
static bool choose_but_pdf(void *ctx, const struct rewrite_leaf *leaf)
{
    (*(size_t *)ctx)++;
    return leaf->attachment && strcmp(leaf->type, "application/pdf") != 0;
}

static bool choose_none(void *ctx, const struct rewrite_leaf *leaf)
{
    (void)ctx, (void)leaf;
    return false;
}

static bool choose_all(void *ctx, const struct rewrite_leaf *leaf)
{
    (void)ctx, (void)leaf;
    return true;
}

static int run(char *const argv[])
{
    pid_t pid;
    int status;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void rewrite_and_check(const char *nl)
{
    char *original = sample(nl), err[256];
    struct spool *message = spool_of(original), *body = spool_new(1 << 20, workdir);
    struct rewrite_options o = {SEAL_AES256,
                                SEAL_NAMES_UTF8,
                                "Pa55word-test",
                                "添付ファイル.zip",
                                workdir,
                                1 << 20,
                                NULL,
                                NULL};
    struct rewrite_result result;
    size_t offered = 0;

    int rc = rewrite_seal(message, &o, choose_but_pdf, &offered, body, &result, err,
                          sizeof(err));
    if (rc != 0)
        fail_msg("rewrite_seal: %d %s", rc, err);
    assert_int_equal(offered, 4);
    assert_int_equal(result.sealed, 2);
    char *new_body = text_of(body);

    /* Byte-identical outside the chosen parts: preamble and first part, the PDF
     * part with its delimiter, the close delimiter and the epilogue. */
    const char *body_start = strstr(original, "This is a multi-part");
    const char *csv_part = strstr(original, "Content-Type: text/csv");
    const char *pdf_part = strstr(original, "--=_outer")
                               ? strstr(original, "Content-Type: application/pdf")
                               : NULL;
    assert_int_equal(strncmp(new_body, body_start, (size_t)(csv_part - body_start)), 0);
    const char *pdf_delim = pdf_part - strlen("--=_outer") - strlen(nl) * 2;
    assert_non_null(strstr(new_body, pdf_delim));
    assert_null(strstr(new_body, CSV_B64));
    assert_null(strstr(new_body, JPG_B64));
    assert_non_null(strstr(new_body, "Content-Type: application/zip"));

    /* The zip, as a client would take it from the message that leaves. */
    size_t head_len = (size_t)(body_start - original);
    GString *whole = g_string_new_len(original, (gssize)head_len);
    g_string_append(whole, new_body);
    GMimeStream *ms = g_mime_stream_mem_new_with_buffer(whole->str, whole->len);
    GMimeParser *p = g_mime_parser_new_with_stream(ms);
    GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
    assert_non_null(msg);
    GMimeMultipart *mp = GMIME_MULTIPART(g_mime_message_get_mime_part(msg));
    assert_int_equal(g_mime_multipart_get_count(mp), 3);
    GMimePart *zip = GMIME_PART(g_mime_multipart_get_part(mp, 1));
    assert_string_equal(g_mime_part_get_filename(zip), "添付ファイル.zip");
    char zip_path[256], out_dir[300], opt_o[310];
    snprintf(zip_path, sizeof(zip_path), "%s/got-%zu.zip", workdir, strlen(nl));
    snprintf(out_dir, sizeof(out_dir), "%s.out", zip_path);
    snprintf(opt_o, sizeof(opt_o), "-o%s", out_dir);
    FILE *f = fopen(zip_path, "wb");
    GMimeStream *fs = g_mime_stream_file_new(f);
    g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(zip), fs);
    g_object_unref(fs);
    char *x[] = {"7zz", "x", "-y", "-pPa55word-test", opt_o, zip_path, NULL};
    assert_int_equal(run(x), 0);
    char path[400], *got;
    size_t len;
    snprintf(path, sizeof(path), "%s/顧客リスト.csv", out_dir);
    assert_true(g_file_get_contents(path, &got, &len, NULL));
    assert_int_equal(len, strlen(CSV_TEXT));
    assert_memory_equal(got, CSV_TEXT, len);
    g_free(got);
    snprintf(path, sizeof(path), "%s/写真.jpg", out_dir);
    assert_true(g_file_get_contents(path, &got, &len, NULL));
    assert_int_equal(len, 13);
    g_free(got);

    g_object_unref(msg);
    g_object_unref(p);
    g_object_unref(ms);
    g_string_free(whole, TRUE);
    g_free(new_body);
    g_free(original);
    spool_free(message);
    spool_free(body);
}

static void test_crlf(void **state)
{
    (void)state;
    rewrite_and_check("\r\n");
}

static void test_lf(void **state)
{
    (void)state;
    rewrite_and_check("\n");
}

/* Nothing chosen: nothing written.  A message that is one part: refused. */
static void test_nothing_and_refused(void **state)
{
    (void)state;
    char *original = sample("\r\n"), err[256];
    struct spool *message = spool_of(original), *body = spool_new(1 << 20, workdir);
    struct rewrite_options o = {SEAL_AES256, SEAL_NAMES_UTF8, "pw-pw-pw-pw", "a.zip",
                                workdir,     1 << 20,         NULL,          NULL};
    struct rewrite_result result;

    assert_int_equal(
        rewrite_seal(message, &o, choose_none, NULL, body, &result, err, sizeof(err)), 1);
    assert_int_equal(spool_size(body), 0);
    spool_free(message);
    message = spool_of("From: <a@b.example>\r\nContent-Type: text/csv\r\n"
                       "Content-Disposition: attachment; filename=a.csv\r\n\r\n1,2\r\n");
    assert_int_equal(
        rewrite_seal(message, &o, choose_all, NULL, body, &result, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no multipart"));
    assert_true(result.refused);
    assert_int_equal(spool_size(body), 0);
    /* The same message with nothing chosen (plain text mail) is no error. */
    assert_int_equal(
        rewrite_seal(message, &o, choose_none, NULL, body, &result, err, sizeof(err)), 1);
    spool_free(message);
    spool_free(body);
    g_free(original);
}

static int setup(void **state)
{
    (void)state;
    g_mime_init();
    return mkdtemp(workdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *argv[] = {"rm", "-rf", workdir, NULL};
    g_mime_shutdown();
    return run(argv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_lf),
        cmocka_unit_test(test_nothing_and_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
