/*
 * Unit tests for policy.c and encrypt.c: who gets encrypted mail (scope,
 * rules, the domain table, recipients under different actions), which
 * attachments are sealed, the zip's name, and what happens to an
 * attachment that is an encrypted archive already.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "encrypt.h"
#include "files.h"
#include "policy.h"
#include "seal.h"
#include "view.h"

static char workdir[] = "/tmp/policy-test-XXXXXX";

/* A policy from config TEXT (plus internal_domains and temp_dir); the config in *CFG. */
static struct encrypt_policy *policy_of(const char *text, struct config **cfg)
{
    char err[512];
    gchar *all = g_strdup_printf("internal_domains = corp.example\ntemp_dir = %s\n%s",
                                 workdir, text);
    *cfg = config_parse(all, strlen(all), "t.conf", err, sizeof(err));
    g_free(all);
    if (*cfg == NULL)
        fail_msg("%s", err);
    struct files *fs = files_new();
    struct encrypt_policy *p = encrypt_policy_new(*cfg, fs, err, sizeof(err));
    files_free(fs);
    if (p == NULL)
        fail_msg("%s", err);
    return p;
}

static void test_who_gets_it_encrypted(void **state)
{
    (void)state;
    gchar *table = g_build_filename(workdir, "domains", NULL);
    assert_true(g_file_set_contents(table,
                                    "partner.example none\n"
                                    "secure.partner.example encrypt\n"
                                    "corp.example encrypt\n",
                                    -1, NULL));
    gchar *conf = g_strdup_printf("encrypt_attachments = yes\n"
                                  "encrypt_domains_file = %s\n",
                                  table);
    struct config *cfg;
    struct encrypt_policy *p = policy_of(conf, &cfg);
    struct encrypt_decision d;
    const char *internal[] = {"bob@corp.example"};
    const char *internal_sub[] = {"carol@corp.example"};
    const char *external[] = {"eve@other.example"};
    const char *partner[] = {"pat@partner.example"};
    const char *secure[] = {"sam@secure.partner.example"};
    const char *mixed[] = {"pat@partner.example", "eve@other.example"};
    const char *routed[] = {"pat%partner.example@other.example"};

    encrypt_decide(p, false, true, true, external, 1, &d);
    assert_true(d.encrypt);
    assert_int_equal(d.source, ENCRYPT_SOURCE_POLICY);
    /* The table lists the internal domain "encrypt": it counts even when internal. */
    encrypt_decide(p, false, true, true, internal, 1, &d);
    assert_true(d.encrypt);
    encrypt_decide(p, false, true, true, partner, 1, &d);
    assert_false(d.encrypt);
    assert_non_null(strstr(d.why, "exempted"));
    encrypt_decide(p, false, true, true, secure, 1, &d);
    assert_true(d.encrypt);
    /* Recipients under different actions: the strictest for all, and said. */
    encrypt_decide(p, false, true, true, mixed, 2, &d);
    assert_true(d.encrypt);
    assert_int_equal(d.exempted, 1);
    assert_non_null(strstr(d.why, "strictest"));
    /* An address that may route elsewhere is never exempted. */
    encrypt_decide(p, false, true, true, routed, 1, &d);
    assert_true(d.encrypt);
    /* Off: nothing, unless a rule asks; a rule ignores encrypt_scope but not the table.
     */
    encrypt_decide(p, false, false, false, external, 1, &d);
    assert_false(d.encrypt);
    encrypt_decide(p, true, false, false, partner, 1, &d);
    assert_false(d.encrypt);
    encrypt_decide(p, true, false, false, external, 1, &d);
    assert_true(d.encrypt);
    assert_int_equal(d.source, ENCRYPT_SOURCE_RULE);
    /* A sender who turned it off: the table's "encrypt" lines still bind, the
     * policy's scope does not. */
    encrypt_decide(p, false, false, true, secure, 1, &d);
    assert_true(d.encrypt);
    assert_non_null(strstr(d.why, "turned off for this sender, but"));
    encrypt_decide(p, false, false, true, external, 1, &d);
    assert_false(d.encrypt);
    encrypt_policy_free(p);
    config_free(cfg);

    /* Without a table, scope external leaves internal mail alone; scope all does not. */
    p = policy_of("encrypt_attachments = yes\n", &cfg);
    encrypt_decide(p, false, true, true, internal_sub, 1, &d);
    assert_false(d.encrypt);
    assert_non_null(strstr(d.why, "internal"));
    encrypt_decide(p, true, false, false, internal_sub, 1, &d);
    assert_true(d.encrypt);
    encrypt_policy_free(p);
    config_free(cfg);
    p = policy_of("encrypt_attachments = yes\nencrypt_scope = all\n", &cfg);
    encrypt_decide(p, false, true, true, internal_sub, 1, &d);
    assert_true(d.encrypt);
    encrypt_policy_free(p);
    config_free(cfg);

    /* A bad table is an error naming the setting and the line. */
    assert_true(g_file_set_contents(table, "partner.example maybe\n", -1, NULL));
    char err[512];
    gchar *all = g_strdup_printf("encrypt_domains_file = %s\n", table);
    cfg = config_parse(all, strlen(all), "t.conf", err, sizeof(err));
    assert_non_null(cfg);
    struct files *fs = files_new();
    assert_null(encrypt_policy_new(cfg, fs, err, sizeof(err)));
    assert_non_null(strstr(err, "encrypt_domains_file: "));
    assert_non_null(strstr(err, ":1: "));
    files_free(fs);
    config_free(cfg);
    g_free(all);
    unlink(table);
    g_free(table);
    g_free(conf);
}

static void test_targets(void **state)
{
    (void)state;
    struct config *cfg;
    struct encrypt_policy *p = policy_of("encrypt_targets = documents, .PNG dat\n", &cfg);
    assert_true(encrypt_policy_targets(p, "見積書.XLSX", "application/octet-stream"));
    assert_true(encrypt_policy_targets(p, "a.csv. ", NULL));
    assert_true(encrypt_policy_targets(p, NULL, "application/pdf"));
    assert_true(encrypt_policy_targets(p, "photo.png", "image/png"));
    assert_true(encrypt_policy_targets(p, "x.dat", NULL));
    assert_false(encrypt_policy_targets(p, "photo.jpg", "image/jpeg"));
    assert_false(encrypt_policy_targets(p, "a.zip", "application/zip"));
    assert_false(encrypt_policy_targets(p, "noext", NULL));
    encrypt_policy_free(p);
    config_free(cfg);
    p = policy_of("encrypt_targets = archives\n", &cfg);
    assert_true(encrypt_policy_targets(p, "a.7z", NULL));
    assert_true(encrypt_policy_targets(p, NULL, "application/x-7z-compressed"));
    assert_false(encrypt_policy_targets(p, "a.docx", NULL));
    encrypt_policy_free(p);
    config_free(cfg);
    p = policy_of("", &cfg);
    assert_true(encrypt_policy_targets(p, "anything.bin", NULL));
    encrypt_policy_free(p);
    config_free(cfg);

    /* Bad words are refused when the config loads. */
    char err[512];
    assert_null(
        config_parse("encrypt_targets = documents, ../x\n", 33, "t", err, sizeof(err)));
    assert_non_null(strstr(err, "t:1: bad value for encrypt_targets"));
    assert_null(config_parse("encrypt_targets = ,\n", 20, "t", err, sizeof(err)));
    assert_null(
        config_parse("encrypt_zip_name = {name}.zip\n", 30, "t", err, sizeof(err)));
    assert_non_null(strstr(err, "unknown placeholder"));
    assert_null(config_parse("encrypt_zip_name = a/b.zip\n", 27, "t", err, sizeof(err)));
}

static void test_zip_name(void **state)
{
    (void)state;
    char out[64];
    time_t t = 1764460800; /* 2025-11-30 00:00:00 UTC */
    setenv("TZ", "UTC", 1);
    tzset();
    encrypt_zip_name("{first}.zip", "見積書.xlsx", "4dWxyz", t, out, sizeof(out));
    assert_string_equal(out, "見積書.zip");
    encrypt_zip_name("{first}.zip", NULL, "4dWxyz", t, out, sizeof(out));
    assert_string_equal(out, "attachments.zip");
    encrypt_zip_name("{first}.zip", "a/b\x01.tar.gz", "q", t, out, sizeof(out));
    assert_string_equal(out, "a_b_.tar.zip");
    encrypt_zip_name("mail-{date}-{queue_id}.zip", "x", "4dWxyz", t, out, sizeof(out));
    assert_string_equal(out, "mail-20251130-4dWxyz.zip");
    /* Cut short, never inside a character. */
    encrypt_zip_name("{first}", "ああああ", "q", t, out, 8);
    assert_string_equal(out, "ああ");
}

/* base64 of an AES zip holding "secret.txt", made by seal itself. */
static gchar *encrypted_zip_b64(void)
{
    char err[256];
    struct spool *data = spool_new(1 << 20, workdir);
    assert_int_equal(spool_write(data, "top secret\n", 11, err, sizeof(err)), 0);
    struct seal *s = seal_new(SEAL_AES256, SEAL_NAMES_UTF8, "pw-of-the-sender", workdir,
                              err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(seal_add(s, "secret.txt", 0, data, true, err, sizeof(err)), 0);
    int fd;
    uint64_t size;
    assert_int_equal(seal_finish(s, &fd, &size, err, sizeof(err)), 0);
    seal_free(s);
    spool_free(data);
    guchar *bytes = g_malloc(size);
    assert_int_equal(pread(fd, bytes, size, 0), (ssize_t)size);
    close(fd);
    gchar *b64 = g_base64_encode(bytes, size);
    g_free(bytes);
    return b64;
}

/* A message with a CSV and the encrypted zip "locked.zip". */
static struct spool *message_with_locked_zip(void)
{
    gchar *zip = encrypted_zip_b64();
    gchar *text = g_strdup_printf(
        "From: <alice@corp.example>\r\nTo: <eve@other.example>\r\nSubject: s\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        "--b\r\nContent-Type: text/csv; name=list.csv\r\n\r\n1,2\r\n"
        "--b\r\nContent-Type: application/zip; name=locked.zip\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n",
        zip);
    char err[256];
    struct spool *sp = spool_new(1 << 20, workdir);
    assert_int_equal(spool_write(sp, text, strlen(text), err, sizeof(err)), 0);
    g_free(zip);
    g_free(text);
    return sp;
}

static void test_already_encrypted(void **state)
{
    (void)state;
    static const struct {
        const char *setting;
        enum encrypt_outcome want;
        size_t files, left;
    } cases[] = {
        {"leave", ENCRYPT_DONE, 1, 1},
        {"seal", ENCRYPT_DONE, 2, 0},
        {"reject", ENCRYPT_REFUSED, 0, 0},
    };
    struct spool *message = message_with_locked_zip();
    char err[512];
    struct view_limits limits = {5, 100, 1 << 20, 100, 1 << 20, 1 << 20, workdir};
    struct view *view = view_build(message, &limits, err, sizeof(err));
    assert_non_null(view);
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        gchar *conf =
            g_strdup_printf("encrypt_already_encrypted = %s\n", cases[i].setting);
        struct config *cfg;
        struct encrypt_policy *p = policy_of(conf, &cfg);
        struct spool *body = spool_new(1 << 20, workdir);
        struct encrypt_request req = {.queue_id = "4dWxyz", .now = 0};
        struct encrypt_result r;
        enum encrypt_outcome got =
            encrypt_message(p, view, message, &req, body, &r, err, sizeof(err));
        if (got != cases[i].want)
            fail_msg("%s: %d, want %d (%s)", cases[i].setting, got, cases[i].want, err);
        if (got == ENCRYPT_DONE) {
            assert_int_equal(r.nfiles, cases[i].files);
            assert_int_equal(r.nleft, cases[i].left);
            assert_string_equal(r.files[0], "list.csv");
            assert_string_equal(r.zip_name, "list.zip");
            assert_int_equal(strlen(r.password), 12);
            assert_true(spool_size(body) > 0);
        } else {
            assert_non_null(strstr(err, "locked.zip"));
        }
        encrypt_result_clear(&r);
        assert_int_equal(r.password[0], '\0');
        spool_free(body);
        encrypt_policy_free(p);
        config_free(cfg);
        g_free(conf);
    }
    view_free(view);
    spool_free(message);
}

/* A single-part message that is an attachment is refused, not retried. */
static void test_single_part_refused(void **state)
{
    (void)state;
    const char *text = "From: <a@corp.example>\r\nContent-Type: text/csv; name=a.csv\r\n"
                       "Content-Disposition: attachment\r\n\r\n1,2\r\n";
    char err[512];
    struct spool *message = spool_new(1 << 20, workdir),
                 *body = spool_new(1 << 20, workdir);
    assert_int_equal(spool_write(message, text, strlen(text), err, sizeof(err)), 0);
    struct view_limits limits = {5, 100, 1 << 20, 100, 1 << 20, 1 << 20, workdir};
    struct view *view = view_build(message, &limits, err, sizeof(err));
    struct config *cfg;
    struct encrypt_policy *p = policy_of("", &cfg);
    struct encrypt_request req = {.queue_id = "q", .now = 0};
    struct encrypt_result r;
    assert_int_equal(encrypt_message(p, view, message, &req, body, &r, err, sizeof(err)),
                     ENCRYPT_REFUSED);
    assert_non_null(strstr(err, "no multipart"));
    encrypt_result_clear(&r);
    encrypt_policy_free(p);
    config_free(cfg);
    view_free(view);
    spool_free(message);
    spool_free(body);
}

static int setup(void **state)
{
    (void)state;
    view_init();
    return mkdtemp(workdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(workdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_who_gets_it_encrypted),
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_zip_name),
        cmocka_unit_test(test_already_encrypted),
        cmocka_unit_test(test_single_part_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
