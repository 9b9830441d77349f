/* Unit tests for helper_checks.c: what the root helper takes, and how it reads Postfix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "helper_checks.h"

static char why[256];

static void test_ids(void **state)
{
    (void)state;
    static struct helper_request r;
    memset(&r, 0, sizeof(r));
    r.nids = 2;
    strcpy(r.ids[0], "4jdDFx4sVjz1bgVs");
    strcpy(r.ids[1], "4jdDFx4ttfz1bgTt");
    assert_true(helper_check_ids(&r, why, sizeof(why)));
    static const char *const bad[] = {
        "7B8C2A1F3D",       /* a short ID: Postfix reuses those */
        "4jdDFx4sVjz1bg/s", /* not the alphabet */
        "",                 /* empty */
        "-d",               /* an option */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        strcpy(r.ids[1], bad[i]);
        if (helper_check_ids(&r, why, sizeof(why)))
            fail_msg("got accepted, want refused: \"%s\"", bad[i]);
    }
    strcpy(r.ids[1], "4jdDFx4ttfz1bgTt");
    memset(r.ids[1], 'A', HELPER_ID_SIZE); /* no NUL in the field */
    assert_false(helper_check_ids(&r, why, sizeof(why)));
    r.nids = HELPER_MAX_IDS + 1;
    assert_false(helper_check_ids(&r, why, sizeof(why)));
}

static const char notice[] = "From: sendwatch@corp.example\n"
                             "To: alice@corp.example\n"
                             "Subject: [Held] plan\n"
                             "Auto-Submitted: auto-generated\n"
                             "\n"
                             "body\n";

static void test_notice(void **state)
{
    (void)state;
    char rcpt[HELPER_ADDR_SIZE] = "alice@corp.example";
    assert_true(helper_check_notice(rcpt, notice, strlen(notice), why, sizeof(why)));
    /* sendmail splits a recipient argument on these: never let one through. */
    static const char *const bad_rcpt[] = {"a,b@corp.example", "a;b@corp.example",
                                           "a:b@corp.example", "(x)a@corp.example",
                                           "-oQ@corp.example", "\"a b\"@corp.example",
                                           "a@b@corp.example", ""};
    for (size_t i = 0; i < sizeof(bad_rcpt) / sizeof(*bad_rcpt); i++) {
        snprintf(rcpt, sizeof(rcpt), "%s", bad_rcpt[i]);
        if (helper_check_notice(rcpt, notice, strlen(notice), why, sizeof(why)))
            fail_msg("got accepted, want refused: recipient \"%s\"", bad_rcpt[i]);
    }
    snprintf(rcpt, sizeof(rcpt), "alice@corp.example");
    /* Not a notice: no Auto-Submitted in the header (only in the body). */
    static const char plain[] = "From: x@corp.example\nSubject: s\n\nAuto-Submitted: "
                                "auto-generated\n";
    assert_false(helper_check_notice(rcpt, plain, strlen(plain), why, sizeof(why)));
    assert_string_equal(why, "not a notice: no Auto-Submitted: auto-generated header");
    /* No blank line: no header block at all. */
    static const char headless[] = "Auto-Submitted: auto-generated\n";
    assert_false(helper_check_notice(rcpt, headless, strlen(headless), why, sizeof(why)));
    assert_false(helper_check_notice(rcpt, notice, 0, why, sizeof(why)));
    char with_nul[sizeof(notice)];
    memcpy(with_nul, notice, sizeof(notice));
    with_nul[3] = '\0';
    assert_false(
        helper_check_notice(rcpt, with_nul, sizeof(notice) - 1, why, sizeof(why)));
}

static void test_postsuper_report(void **state)
{
    (void)state;
    static const char report[] = "postsuper: 4jdDFx4sVjz1bgVs: released from hold\n"
                                 "postsuper: 4jdDFx4ttfz1bgTt: removed\n"
                                 "postsuper: Released from hold: 1 message\n";
    assert_true(helper_report_moved(report, "4jdDFx4sVjz1bgVs", true));
    assert_false(helper_report_moved(report, "4jdDFx4sVjz1bgVs", false));
    assert_true(helper_report_moved(report, "4jdDFx4ttfz1bgTt", false));
    assert_false(helper_report_moved(report, "4jdDFx4ttfz1bgT", false)); /* a prefix */
    assert_false(helper_report_moved(report, "4jdDFx4ttfz1bgTtX", false));
    assert_false(helper_report_moved("", "4jdDFx4sVjz1bgVs", true));
    assert_false(helper_report_moved(NULL, "4jdDFx4sVjz1bgVs", true));
}

static void test_marker(void **state)
{
    (void)state;
    static const char headers[] =
        "Received: from client\n\tby mx with ESMTP id 4jdDFx4sVjz1bgVs\n"
        "Subject: plan\n"
        "X-Sendwatch-Hold:4jdDFx4sVjz1bgVs\n"
        "Received: from client\n"
        "X-Sendwatch-Hold: 4jdDFx4ttfz1bgTt\n";
    assert_true(helper_headers_marked(headers, "4jdDFx4sVjz1bgVs"));
    assert_true(helper_headers_marked(headers, "4jdDFx4ttfz1bgTt"));
    /* The ID must be the whole value: not a prefix, not another message's. */
    assert_false(helper_headers_marked(headers, "4jdDFx4sVjz1bgV"));
    assert_false(helper_headers_marked(headers, "4jdAAAAAAAz1bgVs"));
    assert_false(helper_headers_marked("Subject: X-Sendwatch-Hold:4jdDFx4sVjz1bgVs\n",
                                       "4jdDFx4sVjz1bgVs"));
}

/* The hold directory's layout, as Postfix's mail_queue_dir() makes it. */
static void test_hold_path(void **state)
{
    (void)state;
    char path[128];
    assert_true(helper_hold_path("4jdGGV46gFz1bwJC", 0, path, sizeof(path)));
    assert_string_equal(path, "4jdGGV46gFz1bwJC");
    /* "46gF" is 580489 microseconds: hex 8DB89 (Postfix put this one in deferred/8/). */
    assert_true(helper_hold_path("4jdGGV46gFz1bwJC", 1, path, sizeof(path)));
    assert_string_equal(path, "8/4jdGGV46gFz1bwJC");
    assert_true(helper_hold_path("4jdGGV46gFz1bwJC", 2, path, sizeof(path)));
    assert_string_equal(path, "8/D/4jdGGV46gFz1bwJC");
    /* 'z' is a digit (51) before the separator; the last 'z' separates. */
    assert_true(helper_hold_path("4jdGGV000zz1bwJC", 1, path, sizeof(path)));
    assert_string_equal(path, "0/4jdGGV000zz1bwJC");
    assert_true(helper_hold_path("4jdGGV46gFz1bwJC", 7, path, sizeof(path)));
    assert_string_equal(path, "8/D/B/8/9/_/_/4jdGGV46gFz1bwJC"); /* as dir_forest() */
    assert_false(helper_hold_path("7B8C2A1F3D", 1, path, sizeof(path))); /* short ID */
    assert_false(helper_hold_path("../../etc/passwd", 0, path, sizeof(path)));
    assert_false(helper_hold_path("4jdGGV46gFz1bwJC", 2, path, 10)); /* no room */
}

/* A SUBMIT's notices are counted and sized before a byte of them is read. */
static void test_sizes(void **state)
{
    (void)state;
    static struct helper_request r;
    size_t total = 99;
    memset(&r, 0, sizeof(r));
    r.op = HELPER_RELEASE;
    r.nids = HELPER_MAX_IDS; /* IDs: helper_check_ids judges those */
    assert_true(helper_check_sizes(&r, &total));
    assert_int_equal(total, 0);
    r.op = HELPER_SUBMIT;
    r.nids = HELPER_MAX_NOTICES;
    for (size_t i = 0; i < HELPER_MAX_NOTICES; i++)
        r.notices[i].len = 1000;
    assert_true(helper_check_sizes(&r, &total));
    assert_int_equal(total, 1000 * HELPER_MAX_NOTICES);
    r.notices[3].len = HELPER_MESSAGE_MAX + 1;
    assert_false(helper_check_sizes(&r, &total));
    r.notices[3].len = UINT32_MAX; /* no wrap-around to a small total */
    assert_false(helper_check_sizes(&r, &total));
    r.notices[3].len = HELPER_MESSAGE_MAX;
    assert_true(helper_check_sizes(&r, &total));
    r.nids = HELPER_MAX_NOTICES + 1;
    assert_false(helper_check_sizes(&r, &total));
}

/* DELIVER: strict addresses, 1 to HELPER_DELIVER_RCPTS of them, a message. */
static void test_delivery(void **state)
{
    (void)state;
    static struct helper_delivery d;
    const char msg[] = "From: a@b.example\r\nSubject: s\r\n\r\nbody\r\n";
    memset(&d, 0, sizeof(d));
    snprintf(d.sender, sizeof(d.sender), "carol@corp.example");
    snprintf(d.rcpts[0], sizeof(d.rcpts[0]), "bob@partner.example");
    d.nrcpts = 1;
    d.len = sizeof(msg) - 1;
    assert_true(helper_check_delivery(&d, msg, why, sizeof(why)));
    d.sender[0] = '\0'; /* the null sender */
    assert_true(helper_check_delivery(&d, msg, why, sizeof(why)));
    snprintf(d.sender, sizeof(d.sender), "-oQ/tmp@x"); /* an option, not an address */
    assert_false(helper_check_delivery(&d, msg, why, sizeof(why)));
    snprintf(d.sender, sizeof(d.sender), "carol@corp.example");
    snprintf(d.rcpts[0], sizeof(d.rcpts[0]), "-bi");
    assert_false(helper_check_delivery(&d, msg, why, sizeof(why)));
    assert_non_null(strstr(why, "recipient 0 refused"));
    memset(d.rcpts[0], 'a', HELPER_ADDR_SIZE); /* no NUL in the field */
    assert_false(helper_check_delivery(&d, msg, why, sizeof(why)));
    assert_non_null(strstr(why, "not NUL-terminated"));
    snprintf(d.rcpts[0], sizeof(d.rcpts[0]), "bob@partner.example");
    d.nrcpts = 0;
    assert_false(helper_check_delivery(&d, msg, why, sizeof(why)));
    d.nrcpts = HELPER_DELIVER_RCPTS + 1;
    assert_false(helper_check_delivery(&d, msg, why, sizeof(why)));
    d.nrcpts = 1;
    d.len = 10; /* no end of the header block within it */
    assert_false(helper_check_delivery(&d, msg, why, sizeof(why)));
    struct helper_request r = {.op = HELPER_DELIVER};
    size_t total = 0;
    r.delivery.len = HELPER_DELIVER_MAX + 1;
    assert_false(helper_check_sizes(&r, &total));
    r.delivery.len = 100;
    assert_true(helper_check_sizes(&r, &total));
    assert_int_equal(total, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),      cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_notice),   cmocka_unit_test(test_postsuper_report),
        cmocka_unit_test(test_marker),   cmocka_unit_test(test_hold_path),
        cmocka_unit_test(test_delivery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
