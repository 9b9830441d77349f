/* Unit tests for notice.c: templates are checked when loaded, and the notice is built
 * from them. */
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
#include "files.h"
#include "notice.h"

static char dir[] = "/tmp/notice_test.XXXXXX";
static char err[1024];

static const char good_en[] = "Subject: [Held] {subject}\n"
                              "External-Mark: (external)\n"
                              "\n"
                              "Held until {deadline}: {send_now_url}\n"
                              "{recipients}";

static const char good_password[] = "Subject: [Password] {subject}\n"
                                    "External-Mark: (external)\n"
                                    "\n"
                                    "{zip_name} holds\n{files}for\n{recipients}"
                                    "Password: {password}\nsent {sent}\n";

static void write_kind(const char *kind, const char *lang, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.%s.txt", dir, kind, lang);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void write_template(const char *lang, const char *text)
{
    write_kind("hold-notice", lang, text);
}

static struct notice_templates *load(void)
{
    struct files *fs = files_new();
    struct notice_templates *ts = notice_templates_load(fs, dir, err, sizeof(err));
    files_free(fs);
    return ts;
}

static int setup(void **state)
{
    (void)state;
    notice_init();
    if (mkdtemp(dir) == NULL)
        return -1;
    write_kind("password-notice", "ja", good_password);
    write_kind("password-notice", "en", good_password);
    write_kind("signin-notice", "ja", "Subject: s\n\n{signin_url} {expires} {address}\n");
    write_kind("signin-notice", "en", "Subject: s\n\n{signin_url} {expires} {address}\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/hold-notice.ja.txt", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/hold-notice.en.txt", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/password-notice.ja.txt", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/password-notice.en.txt", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/signin-notice.ja.txt", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/signin-notice.en.txt", dir);
    unlink(path);
    return rmdir(dir);
}

/* The shipped templates load. */
static void test_shipped_templates_load(void **state)
{
    (void)state;
    struct files *fs = files_new();
    struct notice_templates *ts =
        notice_templates_load(fs, SENDWATCH_TEMPLATES, err, sizeof(err));
    files_free(fs);
    assert_non_null(ts);
    notice_templates_free(ts);
}

static const struct {
    const char *ja;   /* the ja template; en is good_en */
    const char *want; /* the error after "notice_template_dir: DIR/hold-notice.ja.txt" */
} bad_templates[] = {
    {"Subject: x\n\n{sender} {sendnow_url}\n",
     ":3: unknown placeholder {sendnow_url} (known: {subject} {sender} {recipients} "
     "{attachments} {deadline} {size} {queue_id} {send_now_url} {delete_url} "
     "{center_url})"},
    {"Subject: {subjct}\n\nbody\n", ":1: unknown placeholder {subjct}"},
    {"Subject: x\nBcc: someone@example.com\n\nbody\n",
     ":2: expected a header line (Subject:, External-Mark:, No-Attachments:, "
     "Own-Password:) or the "
     "blank "
     "line before the body"},
    {"Subject: x\nbody without a blank line\n", ": no blank line after its header lines"},
    {"Subject: \xff\n\nbody\n", ": not UTF-8 text"},
};

static void test_bad_templates_are_refused(void **state)
{
    (void)state;
    write_template("en", good_en);
    for (size_t i = 0; i < sizeof(bad_templates) / sizeof(*bad_templates); i++) {
        write_template("ja", bad_templates[i].ja);
        struct notice_templates *ts = load();
        char want[1200];
        snprintf(want, sizeof(want), "notice_template_dir: %s/hold-notice.ja.txt%s", dir,
                 bad_templates[i].want);
        if (ts != NULL)
            fail_msg("case %zu: loaded, want %s", i, want);
        if (strncmp(err, want, strlen(want)) != 0)
            fail_msg("case %zu: got %s, want %s", i, err, want);
    }
    /* Braces that are no placeholder are text. */
    write_template("ja", "Subject: x\n\n{ not one } {} {Upper}\n");
    struct notice_templates *ts = load();
    assert_non_null(ts);
    notice_templates_free(ts);
}

static void test_message_from_templates(void **state)
{
    (void)state;
    write_template("en", good_en);
    write_template("ja", "Subject: [保留] {subject}\n\n{recipients}\n");
    struct notice_templates *ts = load();
    assert_non_null(ts);
    static const char conf[] = "language = en\nnotice_sender = sw@corp.example\n";
    struct config *cfg = config_parse(conf, strlen(conf), "t.conf", err, sizeof(err));
    assert_non_null(cfg);
    const char *rcpts[] = {"bob@partner.example"};
    int external[] = {1};
    struct notice_hold h = {.queue_id = "4fRbNh1Cz5zJ4Mk",
                            .sender = "alice@corp.example",
                            .recipients = rcpts,
                            .external = external,
                            .nrecipients = 1,
                            .subject = "plan\r\nBcc: x@evil.example",
                            .deadline = 2000000000,
                            .send_now_url = "https://x/n/mx1/hold/T",
                            .delete_url = "https://x/n/mx1/hold/U"};
    char *m = notice_hold_message(cfg, ts, &h, err, sizeof(err));
    assert_non_null(m);
    assert_non_null(strstr(m, "Subject: [Held] plan  Bcc: x@evil.example\n"));
    assert_null(strstr(m, "\nBcc:"));
    assert_non_null(strstr(m, "To: alice@corp.example\n"));
    assert_non_null(strstr(m, "From: sw@corp.example\n"));
    free(m);
    config_free(cfg);
    notice_templates_free(ts);
}

static void test_password_message(void **state)
{
    (void)state;
    write_template("en", good_en);
    write_template("ja", good_en);
    /* A hold notice cannot be made to carry a password. */
    write_kind("password-notice", "en", "Subject: x\n\n{send_now_url}\n");
    assert_null(load());
    assert_non_null(strstr(err, "password-notice.en.txt:3: unknown placeholder "
                                "{send_now_url} (known: {subject} {sender} {recipients} "
                                "{zip_name} {files} {password} {hint} {sent} "
                                "{queue_id})"));
    write_kind("password-notice", "en", good_password);
    struct notice_templates *ts = load();
    assert_non_null(ts);
    static const char conf[] = "language = en\nnotice_sender = sw@corp.example\n";
    struct config *cfg = config_parse(conf, strlen(conf), "t.conf", err, sizeof(err));
    const char *rcpts[] = {"bob@partner.example", "carol@corp.example"};
    int external[] = {1, 0};
    const char *files[] = {"見積書.xlsx", "list\r\nBcc: x.csv"};
    struct notice_password p = {.queue_id = "4fRbNh1Cz5zJ4Mk",
                                .to = "bob@partner.example",
                                .sender = "alice@corp.example",
                                .recipients = rcpts,
                                .external = external,
                                .nrecipients = 2,
                                .subject = "見積",
                                .zip_name = "見積書.zip",
                                .files = files,
                                .nfiles = 2,
                                .password = "Xk7pQ2mR9tWz",
                                .sent = 2000000000};
    char *m = notice_password_message(cfg, ts, &p, err, sizeof(err));
    assert_non_null(m);
    assert_non_null(strstr(m, "To: bob@partner.example\n"));
    assert_non_null(strstr(m, "X-Sendwatch-Notice: password\n"));
    assert_non_null(strstr(m, "Subject: [Password] =?"));
    /* The body is base64: decode it to look. */
    const char *b64 = strstr(m, "\n\n");
    assert_non_null(b64);
    gsize n;
    guchar *body = g_base64_decode(b64 + 2, &n);
    gchar *text = g_strndup((const gchar *)body, n);
    assert_non_null(
        strstr(text, "見積書.zip holds\n  見積書.xlsx\n  list  Bcc: x.csv\n"));
    assert_non_null(
        strstr(text, "  bob@partner.example (external)\n  carol@corp.example\n"));
    assert_non_null(strstr(text, "Password: Xk7pQ2mR9tWz\n"));
    g_free(text);
    g_free(body);
    free(m);
    /* The sender's own password: the hint, never a password, and the template's
     * Own-Password text (here the default, absent from the template). */
    p.password = NULL;
    p.hint = "いつもの\r\nBcc: x";
    m = notice_password_message(cfg, ts, &p, err, sizeof(err));
    assert_non_null(m);
    b64 = strstr(m, "\n\n");
    body = g_base64_decode(b64 + 2, &n);
    text = g_strndup((const gchar *)body, n);
    assert_non_null(
        strstr(text, "Password: (the sender's own password; hint: いつもの  Bcc: x)\n"));
    assert_null(strstr(text, "Xk7pQ2mR9tWz"));
    g_free(text);
    g_free(body);
    free(m);
    p.to = "";
    assert_null(notice_password_message(cfg, ts, &p, err, sizeof(err)));
    config_free(cfg);
    notice_templates_free(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_templates_load),
        cmocka_unit_test(test_bad_templates_are_refused),
        cmocka_unit_test(test_message_from_templates),
        cmocka_unit_test(test_password_message),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
