/* Unit tests for rules.c: parse errors, each condition and matcher, the verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "view_test_support.h"

static struct view *view_of(const char *message)
{
    char err[256];
    struct spool *sp = spool_new(1 << 20, "/tmp");
    assert_int_equal(spool_write(sp, message, strlen(message), err, sizeof(err)), 0);
    struct view *v = view_build(sp, &limits, err, sizeof(err));
    spool_free(sp);
    if (v == NULL)
        fail_msg("view_build: %s", err);
    return v;
}

/* The names of the rules V matched, as a comma list, into GOT. */
static void matched_names(const struct rules_verdict *v, char *got, size_t size)
{
    got[0] = '\0';
    for (size_t j = 0; j < v->nmatched; j++)
        snprintf(got + strlen(got), size - strlen(got), "%s%s", j ? "," : "",
                 v->matched[j]);
}

static struct rules *parse_ok(const char *text)
{
    char err[512] = "";
    struct rules *rs =
        rules_parse(text, strlen(text), "t.rules", "/tmp", err, sizeof(err));
    if (rs == NULL)
        fail_msg("rules did not parse: %s\n%s", err, text);
    return rs;
}

static const struct {
    const char *text, *want;
} bad[] = {
    {"match body keywords \"x\"\n",
     "t.rules:1:1: expected \"rule NAME\" (lines inside a rule are indented)"},
    {"rule a\n    action deliver\nrule a\n    action deliver\n",
     "t.rules:3:6: rule a is defined twice"},
    {"rule a b\n", "t.rules:1:8: expected: rule NAME"},
    {"rule a\n    match body keywords\n",
     "t.rules:2:16: keywords must be \"quoted\" strings"},
    {"rule a\n    match body keywords secret\n",
     "t.rules:2:25: keywords must be \"quoted\" strings"},
    {"rule a\n    match bdy keywords \"x\"\n",
     "t.rules:2:11: unknown field \"bdy\" (expected subject, body, attachment-name, "
     "attachment-text, header:NAME or any)"},
    {"rule a\n    match body regex /a(b/\n",
     "t.rules:2:26: bad regex: missing closing parenthesis"},
    {"rule a\n    match body regex /ab/q\n",
     "t.rules:2:22: unknown regex flag 'q' (expected i, m, s or x)"},
    {"rule a\n    match body regex /ab\n", "t.rules:2:22: unterminated regex"},
    {"rule a\n    match body keywords \"ab\n", "t.rules:2:25: unterminated string"},
    {"rule a\n    match body keywords \"x\" validate luhn\n",
     "t.rules:2:29: validate works with regex matchers only"},
    {"rule a\n    match body regex /\\d+/ validate crc\n",
     "t.rules:2:37: unknown validator \"crc\" (expected luhn or mynumber)"},
    {"rule a\n    match body regex /\\d+/ count 0\n",
     "t.rules:2:34: count must be a number from 1 to 100000"},
    {"rule a\n    match body regex /\\d+/ count +5\n",
     "t.rules:2:34: count must be a number from 1 to 100000"},
    {"rule a\n    direction outward\n",
     "t.rules:2:15: expected: direction internal|external"},
    {"rule a\n    size > 10q\n", "t.rules:2:12: bad size \"10q\": expected bytes, "
                                 "optionally with a k, m or g suffix; "
                                 "'q' at column 3 is not a suffix"},
    {"rule a\n    size > 5kb\n", "t.rules:2:12: bad size \"5kb\": expected bytes, "
                                 "optionally with a k, m or g suffix; "
                                 "'b' at column 3 follows the suffix"},
    {"rule a\n    size > 99999999999999999999\n",
     "t.rules:2:12: bad size \"99999999999999999999\": expected bytes, optionally with a "
     "k, m or g suffix; the number is too large"},
    {"rule a\n    attachment-count >= 1x\n",
     "t.rules:2:25: bad number \"1x\" (expected 0 to 999999999)"},
    {"rule a\n    colour red\n", "t.rules:2:5: unknown condition \"colour\""},
    {"rule a\n    encrypted-message yes\n",
     "t.rules:2:23: encrypted-message takes no arguments"},
    {"rule a\n    partial-messages\n",
     "t.rules:2:5: unknown condition \"partial-messages\""},
    {"rule a\n    match body keywords \"x\"\n", "t.rules:1:1: rule a has no action"},
    {"rule a\n    action deliver\n    action discard\n",
     "t.rules:3:12: conflicting actions: only one of deliver, discard, reject, tempfail "
     "and "
     "hold per rule"},
    {"rule a\n    action forward audit@example.com\n    action reject \"no\"\n",
     "t.rules:1:1: rule a: forward cannot be combined with discard, reject or tempfail "
     "(nothing would be sent)"},
    {"rule a\n    action encrypt\n    action discard\n",
     "t.rules:1:1: rule a: encrypt cannot be combined with discard, reject or tempfail "
     "(nothing would be sent)"},
    {"rule a\n    action encrypt now\n",
     "t.rules:2:20: action encrypt takes no argument"},
    {"rule a\n    action forward not-an-address\n",
     "t.rules:2:20: bad address \"not-an-address\": expected local-part@domain; there is "
     "no '@'"},
    {"rule a\n    action forward a@b@example.com\n",
     "t.rules:2:20: bad address \"a@b@example.com\": expected local-part@domain; '@' at "
     "column 4 is a second '@'"},
    {"rule a\n    action forward audit@exa!mple.com\n",
     "t.rules:2:20: bad address \"audit@exa!mple.com\": expected local-part@domain; "
     "'!' at column 10 is not allowed"},
    {"rule a\n    action store ../etc\n", "t.rules:2:18: bad folder name \"../etc\": "
                                          "expected letters, digits, '.', '_' or '-'; "
                                          "'/' at column 3 is not allowed"},
    {"rule a\n    action store .cur\n",
     "t.rules:2:18: bad folder name \".cur\": it must not start with '.'"},
    {"rule a\n    action store "
     "a123456789b123456789c123456789d123456789e123456789f123456789g1234\n",
     "t.rules:2:18: bad folder name "
     "\"a123456789b123456789c123456789d123456789e123456789f123456789g1234\": longer than "
     "64 characters"},
    {"rule a\n    action reject unquoted\n",
     "t.rules:2:19: reject text must be a \"quoted\" string"},
    {"rule a\n    action hold 2h\n",
     "t.rules:2:17: hold 2h is 7200 seconds; a hold lasts from 1m to 60m"},
    /* 2d and 10x used to load as 120 s and 600 s (an unknown unit meant minutes). */
    {"rule a\n    action hold 2d\n",
     "t.rules:2:17: hold 2d is 172800 seconds; a hold lasts from 1m to 60m"},
    {"rule a\n    action hold 10x\n",
     "t.rules:2:17: bad duration \"10x\": expected a number and a unit s, m, h or d; 'x' "
     "at column 3 is not a unit"},
    {"rule a\n    action hold 0m\n",
     "t.rules:2:17: hold 0m is 0 seconds; a hold lasts from 1m to 60m"},
    {"rule a\n    action hold 59s\n",
     "t.rules:2:17: hold 59s is 59 seconds; a hold lasts from 1m to 60m"},
    {"rule a\n    action hold 61m\n",
     "t.rules:2:17: hold 61m is 3660 seconds; a hold lasts from 1m to 60m"},
    {"rule a\n    action hold 10\n",
     "t.rules:2:17: bad duration \"10\": expected a number and a unit s, m, h or d; the "
     "unit is missing"},
    {"rule a\n    action hold 10min\n",
     "t.rules:2:17: bad duration \"10min\": expected a number and a unit s, m, h or d; "
     "'i' at column 4 follows the unit"},
    {"rule a\n    action explode\n", "t.rules:2:12: unknown action \"explode\""},
    {"    action deliver\n", "t.rules:1:5: indented line outside a rule"},
    {"rule a\n    match body keywords-file /nonexistent/kw.txt\n",
     "t.rules:2:30: keywords file /nonexistent/kw.txt: cannot open: No such file or "
     "directory"},
    {"rule 社外秘\n",
     "t.rules:1:6: bad rule name \"社外秘\": expected letters, digits, '.', "
     "'_' or '-'; byte 0xe7 at column 1 is not allowed"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[512] = "";
        struct rules *rs = rules_parse(bad[i].text, strlen(bad[i].text), "t.rules",
                                       "/tmp", err, sizeof(err));
        if (rs != NULL || strcmp(err, bad[i].want) != 0)
            fail_msg("case %zu: got %s \"%s\",\n want error \"%s\"", i,
                     rs ? "rules" : "error", err, bad[i].want);
    }
}

static const char message[] =
    "From: alice@corp.example.co.jp\r\n"
    "To: bob@partner.example.com\r\n"
    "Subject: =?UTF-8?B?44CQ56S+5aSW56eY44CR6KaL56mN?=\r\n" /* 【社外秘】見積 */
    "X-Project: apollo\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "\r\n"
    "Cards: 4111 1111 1111 1111 and 4012-8888-8888-1881, fake 4111 1111 1111 1112.\r\n"
    "My Number 123456789018, not 123456789012.  ＣＯＮＦＩＤＥＮＴＩＡＬ.\r\n"
    "--b\r\n"
    "Content-Type: text/csv; name=\"customers.csv\"\r\n"
    "Content-Disposition: attachment; filename=\"customers.csv\"\r\n"
    "\r\n"
    "name,mail\r\nyamada,yamada@example.jp\r\n"
    "--b--\r\n";

struct eval_case {
    const char *rules;
    const char *sender;
    const char *rcpt;
    const char *want_matched; /* comma list, "" for none */
};

static const struct eval_case eval_cases[] = {
    /* Keywords, NFKC on both sides, ASCII case folded. */
    {"rule k\n    match subject keywords \"社外秘\"\n    action deliver\n", NULL, NULL,
     "k"},
    {"rule k\n    match body keywords \"Ｃonfidential\"\n    action deliver\n", NULL,
     NULL, "k"},
    {"rule k\n    match subject keywords \"confidential\"\n    action deliver\n", NULL,
     NULL, ""},
    /* Regex with validators and counts. */
    {"rule c\n    match body regex /(?:\\d[ -]?){15}\\d/ validate luhn count 2\n"
     "    action deliver\n",
     NULL, NULL, "c"},
    {"rule c\n    match body regex /(?:\\d[ -]?){15}\\d/ validate luhn count 3\n"
     "    action deliver\n",
     NULL, NULL, ""},
    {"rule m\n    match body regex /\\b\\d{12}\\b/ validate mynumber\n    action "
     "deliver\n",
     NULL, NULL, "m"},
    {"rule m\n    match body regex /\\b\\d{12}\\b/ validate mynumber count 2\n"
     "    action deliver\n",
     NULL, NULL, ""},
    /* Fields: header:NAME, attachment-name, attachment-text, any. */
    {"rule h\n    match header:x-project keywords \"apollo\"\n    action deliver\n", NULL,
     NULL, "h"},
    {"rule h\n    match header:subject keywords \"apollo\"\n    action deliver\n", NULL,
     NULL, ""},
    {"rule n\n    match attachment-name regex /\\.csv$/\n    action deliver\n", NULL,
     NULL, "n"},
    {"rule t\n    match attachment-text regex /[\\w.]+@[\\w.]+/ \n    action deliver\n",
     NULL, NULL, "t"},
    {"rule t\n    match body keywords \"yamada@example.jp\"\n    action deliver\n", NULL,
     NULL, ""},
    {"rule t\n    match any keywords \"yamada@example.jp\"\n    action deliver\n", NULL,
     NULL, "t"},
    /* Conditions. */
    {"rule d\n    direction external\n    action deliver\n", NULL, NULL, "d"},
    {"rule d\n    direction external\n    action deliver\n", NULL,
     "carol@corp.example.co.jp", ""},
    {"rule d\n    direction internal\n    action deliver\n", NULL,
     "carol@sub.corp.example.co.jp", "d"},
    {"rule s\n    sender *@corp.example.co.jp\n    action deliver\n", NULL, NULL, "s"},
    {"rule s\n    not sender @corp.example.co.jp\n    action deliver\n", NULL, NULL, ""},
    {"rule s\n    recipient bob@*\n    action deliver\n", NULL, NULL, "s"},
    /* A percent hack, a bang path, a dequoted '@' or a source route routes
     * elsewhere than the last '@' says: a pattern matches either reading,
     * and under "not" both must match (fail closed both ways). */
    {"rule r\n    recipient @evil.example\n    action deliver\n", NULL,
     "bob%evil.example@corp.example.co.jp", "r"},
    {"rule r\n    recipient *@evil.example\n    action deliver\n", NULL,
     "evil.example!bob@corp.example.co.jp", "r"},
    {"rule r\n    not recipient *@corp.example.co.jp\n    action deliver\n", NULL,
     "bob%evil.example@corp.example.co.jp", "r"},
    {"rule r\n    not recipient @corp.example.co.jp\n    action deliver\n", NULL,
     "\"bob@evil.example\"@corp.example.co.jp", "r"},
    {"rule r\n    recipient *@corp.example.co.jp\n    action deliver\n", NULL,
     "bob%evil.example@corp.example.co.jp", "r"},
    {"rule r\n    not recipient *@corp.example.co.jp\n    action deliver\n", NULL,
     "bob@corp.example.co.jp", ""},
    {"rule r\n    not recipient @corp.example.co.jp\n    action deliver\n", NULL,
     "@relay.example:bob@corp.example.co.jp", ""},
    {"rule s\n    not sender @corp.example.co.jp\n    action deliver\n",
     "alice%evil.example@corp.example.co.jp", NULL, "s"},
    {"rule z\n    size > 100\n    action deliver\n", NULL, NULL, "z"},
    {"rule z\n    size > 1m\n    action deliver\n", NULL, NULL, ""},
    {"rule a\n    attachment-type text/*\n    attachment-count = 1\n    action deliver\n",
     NULL, NULL, "a"},
    {"rule a\n    attachment-name *.xlsx\n    action deliver\n", NULL, NULL, ""},
    {"rule f\n    malformed\n    action deliver\n", NULL, NULL, ""},
    {"rule f\n    not malformed\n    action deliver\n", NULL, NULL, "f"},
    /* require all / any. */
    {"rule r\n    match body keywords \"nothing-here\"\n    match subject keywords "
     "\"見積\"\n"
     "    action deliver\n",
     NULL, NULL, "r"},
    {"rule r\n    require all\n    match body keywords \"nothing-here\"\n"
     "    match subject keywords \"見積\"\n    action deliver\n",
     NULL, NULL, ""},
    /* Twin regexes (same pattern, validator and fields) share one scan but
     * keep their own counts. */
    {"rule t1\n    match body regex /(?:\\d[ -]?){15}\\d/ validate luhn\n    action "
     "deliver\n"
     "rule t2\n    match body regex /(?:\\d[ -]?){15}\\d/ validate luhn count 3\n"
     "    action deliver\n",
     NULL, NULL, "t1"},
    {"rule t1\n    match body regex /(?:\\d[ -]?){15}\\d/ validate luhn count 2\n"
     "    action deliver\n"
     "rule t2\n    match body regex /(?:\\d[ -]?){15}\\d/ validate luhn\n    action "
     "deliver\n",
     NULL, NULL, "t1,t2"},
    {"rule t1\n    direction internal\n    match body regex /\\d{12}/\n    action "
     "deliver\n"
     "rule t2\n    match body regex /\\d{12}/\n    action deliver\n",
     NULL, NULL, "t2"},
    /* Several rules: order kept. */
    {"rule one\n    match subject keywords \"見積\"\n    action deliver\n"
     "rule two\n    size > 10\n    action store audit\n",
     NULL, NULL, "one,two"},
};

static void test_evaluate(void **state)
{
    static const char *const internal[] = {"corp.example.co.jp", ".corp.example.co.jp",
                                           NULL};
    (void)state;
    struct view *view = view_of(message);
    for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
        const struct eval_case *c = &eval_cases[i];
        struct rules *rs = parse_ok(c->rules);
        const char *rcpt = c->rcpt ? c->rcpt : "bob@partner.example.com";
        struct rules_envelope env = {.sender = c->sender ? c->sender
                                                         : "alice@corp.example.co.jp",
                                     .recipients = &rcpt,
                                     .nrecipients = 1,
                                     .size = 900,
                                     .internal_domains = internal};
        struct rules_verdict v;
        assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
        char got[256];
        matched_names(&v, got, sizeof(got));
        if (strcmp(got, c->want_matched) != 0 || v.error[0] != '\0')
            fail_msg("case %zu: got matched \"%s\" (error \"%s\"), want \"%s\"\n%s", i,
                     got, v.error, c->want_matched, c->rules);
        rules_verdict_free(&v);
        rules_free(rs);
    }
    view_free(view);
}

/* The verdict across rules: reject > tempfail; no deliver anywhere = no delivery. */
static void test_verdict(void **state)
{
    (void)state;
    struct view *view = view_of(message);
    const char *rcpt = "bob@partner.example.com";
    struct rules_envelope env = {.sender = "alice@corp.example.co.jp",
                                 .recipients = &rcpt,
                                 .nrecipients = 1,
                                 .size = 900};
    struct rules_verdict v;

    /* store + deliver, forward + deliver (BCC): the original recipients get it. */
    struct rules *rs = parse_ok("rule a\n    match subject keywords \"社外秘\"\n"
                                "    action store secret\n    action deliver\n"
                                "rule b\n    match body keywords \"confidential\"\n"
                                "    action forward audit@corp.example.co.jp\n"
                                "    action deliver\n");
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_true(v.deliver_original);
    assert_int_equal(v.nstore, 1);
    assert_string_equal(v.store[0], "secret");
    assert_int_equal(v.nforward, 1);
    assert_string_equal(v.forward[0], "audit@corp.example.co.jp");
    assert_null(v.reject_text);
    /* Snippets name the rule and field, with context, on one line. */
    assert_true(v.nhits >= 2);
    assert_string_equal(v.hits[0].rule, "a");
    assert_int_equal(v.hits[0].field, VIEW_SUBJECT);
    assert_non_null(strstr(v.hits[0].snippet, "社外秘"));
    rules_verdict_free(&v);
    rules_free(rs);

    /* store alone quarantines; forward alone redirects. */
    rs = parse_ok("rule q\n    size > 1\n    action store held\n"
                  "rule f\n    size > 1\n    action forward boss@corp.example.co.jp\n");
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_false(v.deliver_original);
    assert_int_equal(v.nforward, 1);
    rules_verdict_free(&v);
    rules_free(rs);

    /* reject wins over everything, keeps its text; hold is then moot. */
    rs = parse_ok(
        "rule h\n    size > 1\n    action hold 10m\n"
        "rule t\n    size > 1\n    action tempfail\n"
        "rule r\n    size > 1\n    action reject \"Confidential mail may not leave\"\n");
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_string_equal(v.reject_text, "Confidential mail may not leave");
    assert_true(v.tempfail);
    assert_int_equal(v.hold_seconds, 0);
    rules_verdict_free(&v);
    rules_free(rs);

    /* encrypt alone delivers, sealed; with store alone it quarantines; it joins a hold.
     */
    rs = parse_ok("rule e\n    match subject keywords \"社外秘\"\n    action encrypt\n"
                  "rule n\n    size > 1\n    action hold 5m\n");
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_true(v.encrypt);
    assert_true(v.deliver_original);
    assert_int_equal(v.hold_seconds, 300);
    rules_verdict_free(&v);
    rules_free(rs);
    rs = parse_ok("rule e\n    size > 1\n    action encrypt\n    action store s\n");
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_true(v.encrypt);
    assert_false(v.deliver_original); /* store without deliver still quarantines */
    rules_verdict_free(&v);
    rules_free(rs);
    rs = parse_ok("rule e\n    size > 1\n    action encrypt\n    action store s\n"
                  "    action deliver\n");
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_true(v.encrypt);
    assert_true(v.deliver_original);
    rules_verdict_free(&v);
    rules_free(rs);
    rs = parse_ok("rule e\n    size > 1000000\n    action encrypt\n");
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_false(v.encrypt);
    rules_verdict_free(&v);
    rules_free(rs);

    /* The longest hold wins. */
    rs = parse_ok("rule h1\n    size > 1\n    action hold 5m\n"
                  "rule h2\n    size > 1\n    action hold 20m\n");
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_int_equal(v.hold_seconds, 1200);
    assert_true(v.deliver_original);
    rules_verdict_free(&v);
    rules_free(rs);

    /* Every unit reads the same as anywhere else; 1m and 60m are the bounds. */
    static const struct {
        const char *duration;
        unsigned want;
    } holds[] = {{"60s", 60}, {"90s", 90}, {"1m", 60}, {"60m", 3600}, {"1h", 3600}};
    for (size_t i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
        char text[64];
        snprintf(text, sizeof(text), "rule h\n    size > 1\n    action hold %s\n",
                 holds[i].duration);
        rs = parse_ok(text);
        assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
        if (v.hold_seconds != holds[i].want)
            fail_msg("hold %s: got %u seconds, want %u", holds[i].duration,
                     v.hold_seconds, holds[i].want);
        rules_verdict_free(&v);
        rules_free(rs);
    }
    view_free(view);
}

static void test_keywords_file_and_dir(void **state)
{
    char dir[] = "/tmp/rules_test.XXXXXX", path[600];
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/words.txt", dir);
    FILE *fp = fopen(path, "w");
    fputs("# customer names\nyamada\n\n  ＳＥＣＲＥＴ-X  \n", fp);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/20-b.rules", dir);
    fp = fopen(path, "w");
    fputs("rule b\n    match any keywords-file words.txt\n    action deliver\n", fp);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/10-a.rules", dir);
    fp = fopen(path, "w");
    fputs("# first by name\nrule a\n    match body keywords \"secret-x\"\n    action "
          "deliver\n",
          fp);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/notes.txt", dir); /* not *.rules: ignored */
    fp = fopen(path, "w");
    fputs("garbage", fp);
    fclose(fp);

    char err[512] = "";
    struct rules *rs = rules_load_dir(dir, err, sizeof(err));
    if (rs == NULL)
        fail_msg("rules_load_dir: %s", err);
    assert_int_equal(rules_count(rs), 2);
    struct view *view = view_of("Subject: x\r\n\r\nplease keep SECRET-X from yamada\r\n");
    const char *rcpt = "x@example.com";
    struct rules_envelope env = {
        .sender = "a@example.com", .recipients = &rcpt, .nrecipients = 1};
    struct rules_verdict v;
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_int_equal(v.nmatched, 2);
    assert_string_equal(v.matched[0], "a");
    assert_string_equal(v.matched[1], "b");
    rules_verdict_free(&v);
    rules_free(rs);
    view_free(view);

    /* A bad file names itself. */
    fp = fopen(path, "w");
    fclose(fp);
    snprintf(path, sizeof(path), "%s/30-c.rules", dir);
    fp = fopen(path, "w");
    fputs("rule c\n    action fly\n", fp);
    fclose(fp);
    assert_null(rules_load_dir(dir, err, sizeof(err)));
    char want[700];
    snprintf(want, sizeof(want), "%s:2:12: unknown action \"fly\"", path);
    assert_string_equal(err, want);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_validators(void **state)
{
    (void)state;
    assert_true(rules_luhn_valid("4111 1111 1111 1111", 19));
    assert_true(rules_luhn_valid("4012-8888-8888-1881", 19));
    assert_false(rules_luhn_valid("4111 1111 1111 1112", 19));
    assert_false(rules_luhn_valid("0000", 4)); /* too short for a card */
    assert_true(rules_mynumber_valid("123456789018", 12));
    assert_false(rules_mynumber_valid("123456789012", 12));
    assert_false(rules_mynumber_valid("12345678901", 11));
}

/* A pattern built to backtrack forever stops at the match limit: fail closed. */
static void test_match_limit(void **state)
{
    (void)state;
    char body[200];
    memset(body, 'a', 60);
    strcpy(body + 60, "!\r\n");
    char msg[300];
    snprintf(msg, sizeof(msg), "Subject: x\r\n\r\n%s", body);
    struct view *view = view_of(msg);
    struct rules *rs =
        /* x: a regex the prefilter leaves to PCRE2 alone (it would rule this
         * one out, correctly, and PCRE2 would never run). */
        parse_ok("rule evil\n    match body regex /(a+)+$/x\n    action deliver\n");
    const char *rcpt = "x@example.com";
    struct rules_envelope env = {
        .sender = "a@example.com", .recipients = &rcpt, .nrecipients = 1};
    struct rules_verdict v;
    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    assert_non_null(strstr(v.error, "rule evil: regex match failed"));
    rules_verdict_free(&v);
    rules_free(rs);
    view_free(view);
}

/*
 * Crafted messages (testdata/view/FILE, made by make_name_samples.py) that
 * used to slip past: each must make its rules match and raise its flags.
 */
struct crafted {
    const char *file;
    const char *rules;
    const char *want_matched; /* comma list, "" for none */
    unsigned want_flags;      /* every one set */
    unsigned not_flags;       /* none set */
    const char *want_name;    /* among some attachment's names, or NULL */
};

/* Rules on a program's name: a condition and a matcher, which see every name. */
#define EXE_RULES                                                                        \
    "rule exe\n    attachment-name *.exe\n    action reject \"no programs\"\n"           \
    "rule exe-text\n    match attachment-name keywords \".exe\"\n    action store x\n"
#define ENCRYPTED_RULES "rule unreadable\n    encrypted-message\n    action hold 10m\n"

static bool has_name(const struct view *v, const char *name)
{
    for (size_t i = 0; i < view_attachment_count(v); i++) {
        const struct view_attachment *a = view_attachment_at(v, i);
        for (size_t j = 0; j < a->nnames; j++)
            if (strcmp(a->names[j], name) == 0)
                return true;
    }
    return false;
}

static void check_crafted(const struct crafted *c)
{
    struct view *view = load(c->file);
    struct rules *rs = parse_ok(c->rules);
    const char *rcpt = "bob@partner.example";
    struct rules_envelope env = {
        .sender = "alice@corp.example", .recipients = &rcpt, .nrecipients = 1};
    struct rules_verdict v;

    assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
    char got[256];
    matched_names(&v, got, sizeof(got));
    unsigned flags = view_flags(view);
    if (strcmp(got, c->want_matched) != 0)
        fail_msg("%s: got matched \"%s\", want \"%s\"", c->file, got, c->want_matched);
    if ((flags & c->want_flags) != c->want_flags || (flags & c->not_flags) != 0)
        fail_msg("%s: got flags %#x, want %#x and not %#x", c->file, flags, c->want_flags,
                 c->not_flags);
    if (c->want_name != NULL && !has_name(view, c->want_name)) {
        for (size_t i = 0; i < view_attachment_count(view); i++)
            for (size_t j = 0; j < view_attachment_at(view, i)->nnames; j++)
                fprintf(stderr, "  attachment %zu name \"%s\"\n", i,
                        view_attachment_at(view, i)->names[j]);
        fail_msg("%s: no attachment named \"%s\"", c->file, c->want_name);
    }
    rules_verdict_free(&v);
    rules_free(rs);
    view_free(view);
}

/* filename*=UTF-8''report.txt%00.exe: the NUL no longer cuts off ".exe". */
static void test_name_rfc2231_nul(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"name_2231_nul.eml", EXE_RULES, "exe,exe-text",
                                    VIEW_SUSPICIOUS_NAME, 0, "report.txt\u2400.exe"});
}

/* name="=?UTF-8?B?...?=" decoding to "report.txt<NUL>.exe". */
static void test_name_rfc2047_nul(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"name_2047_nul.eml", EXE_RULES, "exe,exe-text",
                                    VIEW_SUSPICIOUS_NAME, 0, "report.txt\u2400.exe"});
}

/*
 * name="a.txt" but filename="a.exe", and the other way round (which went
 * through: filename= alone was read): both are names, *.exe sees a.exe.
 */
static void test_name_mismatch(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"name_mismatch.eml", EXE_RULES, "exe,exe-text",
                                    VIEW_SUSPICIOUS_NAME, 0, "a.txt"});
    check_crafted(&(struct crafted){"name_mismatch_reverse.eml", EXE_RULES,
                                    "exe,exe-text", VIEW_SUSPICIOUS_NAME, 0, "a.txt"});
    /* Whichever of the two a rule names, it is found. */
    check_crafted(&(struct crafted){
        "name_mismatch.eml", "rule txt\n    attachment-name a.txt\n    action deliver\n",
        "txt", VIEW_SUSPICIOUS_NAME, 0, "a.exe"});
}

/* SETUP.EXE is caught by *.exe; an upper-case name alone is not suspicious. */
static void test_name_upper_case(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"name_upper.eml", EXE_RULES, "exe,exe-text", 0,
                                    VIEW_SUSPICIOUS_NAME, "SETUP.EXE"});
}

/* 社外秘.xlsx in ISO-2022-JP, percent-encoded over RFC 2231 continuations. */
static void test_name_japanese_rfc2231(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){
        "name_ja_2231.eml",
        "rule secret-file\n    attachment-name 社外秘*.xlsx\n    action store secret\n"
        "rule secret-name\n    match attachment-name keywords \"社外秘\"\n"
        "    action store secret\n",
        "secret-file,secret-name", 0, VIEW_SUSPICIOUS_NAME | VIEW_CHARSET_RELABELED,
        "社外秘.xlsx"});
}

/* A control character in a zip entry's name: kept, visible, flagged. */
static void test_name_in_archive(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"name_in_zip.eml", EXE_RULES, "exe,exe-text",
                                    VIEW_SUSPICIOUS_NAME, 0, "notes.txt\u2401.EXE"});
}

/*
 * A file that is neither archive nor text by its head - a PNG's magic,
 * binary bytes, then a CSV of card numbers marked 社外秘 (make_binary_samples.py)
 * - is read for its text runs: a keyword rule and a card rule fire on it,
 * named cards.png or in a zip; a real logo fires nothing and sets no flag.
 */
static void test_binary_text_runs(void **state)
{
    static const char rules[] =
        "rule secret\n    match attachment-text keywords \"社外秘\"\n    action store x\n"
        "rule cards\n    match attachment-text regex /\\b(?:\\d[ -]?){15}\\d\\b/ "
        "validate luhn\n    action reject \"cards\"\n";
    (void)state;
    check_crafted(&(struct crafted){"bin_cards_png.eml", rules, "secret,cards", 0,
                                    VIEW_LIMIT_EXCEEDED | VIEW_MALFORMED, "cards.png"});
    check_crafted(&(struct crafted){"bin_cards_zip.eml", rules, "secret,cards", 0,
                                    VIEW_LIMIT_EXCEEDED | VIEW_MALFORMED, "cards.dat"});
    check_crafted(&(struct crafted){"bin_logo_png.eml", rules, "", 0, ~0u /* no flag */,
                                    "logo.png"});
}

/* A glob without * or ? is the name itself: brackets are no character class. */
static void test_name_literal_glob(void **state)
{
    (void)state;
    struct view *view =
        view_of("From: a@corp.example\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                "Content-Type: application/pdf; name=\"Report[1].pdf\"\r\n\r\nx\r\n"
                "--b\r\nContent-Type: application/pdf; name=\"report1.pdf\"\r\n\r\ny\r\n"
                "--b--\r\n");
    static const struct {
        const char *glob;
        bool want;
    } cases[] = {
        {"report[1].pdf", true}, /* fnmatch(3) would match report1.pdf only */
        {"report[12].pdf", false}, {"report?1?.pdf", true}, {"*[1]*", true},
        {"report1.pdf", true},     {"r*t1.pdf", true},      {"*.PDF", true},
        {"report", false},         {"*.pd", false},         {"????????.pdf", false},
        {"?????????????", true}, /* Report[1].pdf: 13 characters */
    };
    const char *rcpt = "b@partner.example";
    struct rules_envelope env = {
        .sender = "a@corp.example", .recipients = &rcpt, .nrecipients = 1};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "rule g\n    attachment-name %s\n    action deliver\n", cases[i].glob);
        struct rules *rs = parse_ok(text);
        struct rules_verdict v;
        assert_int_equal(rules_evaluate(rs, view, &env, &v), 0);
        if ((v.nmatched == 1) != cases[i].want)
            fail_msg("attachment-name %s: got %s, want %s", cases[i].glob,
                     v.nmatched ? "a match" : "none", cases[i].want ? "a match" : "none");
        rules_verdict_free(&v);
        rules_free(rs);
    }
    view_free(view);
}

/* S/MIME enveloped data: application/pkcs7-mime, as RFC 8551 labels it. */
static void test_smime_enveloped(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"kind_smime_enveloped.eml", ENCRYPTED_RULES,
                                    "unreadable", VIEW_ENCRYPTED_MESSAGE,
                                    VIEW_PARTIAL_MESSAGE, NULL});
}

/* The same as openssl smime -encrypt writes it: application/x-pkcs7-mime. */
static void test_smime_x_pkcs7(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"kind_smime_x_pkcs7.eml", ENCRYPTED_RULES,
                                    "unreadable", VIEW_ENCRYPTED_MESSAGE, 0, NULL});
}

/* An S/MIME blob sent on as application/octet-stream: its .p7m name tells. */
static void test_smime_p7m_attachment(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"kind_smime_p7m_attachment.eml", ENCRYPTED_RULES,
                                    "unreadable", VIEW_ENCRYPTED_MESSAGE, 0,
                                    "smime.p7m"});
}

/* PGP/MIME: multipart/encrypted; protocol="application/pgp-encrypted". */
static void test_pgp_mime(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"kind_pgp_mime.eml", ENCRYPTED_RULES, "unreadable",
                                    VIEW_ENCRYPTED_MESSAGE, 0, NULL});
}

/* Inline OpenPGP: -----BEGIN PGP MESSAGE----- in a text/plain body. */
static void test_pgp_inline(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"kind_pgp_inline.eml", ENCRYPTED_RULES, "unreadable",
                                    VIEW_ENCRYPTED_MESSAGE, 0, NULL});
}

/* Signed is not encrypted: a clear-signed PGP text, an opaque S/MIME signature. */
static void test_signed_is_not_encrypted(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"kind_signed_pgp.eml", ENCRYPTED_RULES, "", 0,
                                    VIEW_ENCRYPTED_MESSAGE, NULL});
    check_crafted(&(struct crafted){"kind_signed_smime.eml", ENCRYPTED_RULES, "", 0,
                                    VIEW_ENCRYPTED_MESSAGE, NULL});
}

/*
 * Opaque signed and compressed S/MIME: a keyword in the signed body and a
 * card number in its CSV attachment make their rules match, and nothing
 * says encrypted.
 */
#define SMIME_RULES                                                                      \
    "rule secret\n    match body keywords \"社外秘\"\n    action store secret\n"      \
    "rule card\n    match attachment-text regex /4111( ?1111){3}/\n    action hold "     \
    "10m\n"                                                                              \
    "rule unreadable\n    encrypted-message\n    action hold 10m\n"

static void test_smime_content_matched(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){"smime_signed.eml", SMIME_RULES, "secret,card", 0,
                                    VIEW_ENCRYPTED_MESSAGE | VIEW_MALFORMED,
                                    "cards.csv"});
    check_crafted(&(struct crafted){"smime_signed_p7m.eml", SMIME_RULES, "secret,card", 0,
                                    VIEW_ENCRYPTED_MESSAGE, "cards.csv"});
    check_crafted(&(struct crafted){"smime_compressed.eml", SMIME_RULES, "secret,card", 0,
                                    VIEW_ENCRYPTED_MESSAGE | VIEW_MALFORMED,
                                    "cards.csv"});
    check_crafted(&(struct crafted){"smime_enveloped.eml", SMIME_RULES, "unreadable",
                                    VIEW_ENCRYPTED_MESSAGE, 0, NULL});
}

/* message/partial: fragment 1 of 2. */
static void test_partial_message(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){
        "kind_partial.eml",
        "rule split\n    partial-message\n    action reject \"send it whole\"\n", "split",
        VIEW_PARTIAL_MESSAGE, VIEW_ENCRYPTED_MESSAGE, NULL});
}

/* message/external-body: the attachment is a link to elsewhere. */
static void test_external_body(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){
        "kind_external_body.eml",
        "rule elsewhere\n    external-body\n    action hold 10m\n", "elsewhere",
        VIEW_EXTERNAL_BODY, VIEW_PARTIAL_MESSAGE | VIEW_ENCRYPTED_MESSAGE, NULL});
}

/* filename*=UTF-8''%E7%A4%BE%00%E5%A4%96%E7%A7%98.txt: the NUL splits no keyword. */
static void test_name_nul_in_keyword(void **state)
{
    (void)state;
    check_crafted(&(struct crafted){
        "name_2231_nul_keyword.eml",
        "rule secret-name\n    match attachment-name keywords \"社外秘\"\n"
        "    action reject \"no\"\n",
        "secret-name", VIEW_SUSPICIOUS_NAME, 0, "社外秘.txt"});
}

static int setup(void **state)
{
    (void)state;
    view_init();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_evaluate),
        cmocka_unit_test(test_verdict),
        cmocka_unit_test(test_keywords_file_and_dir),
        cmocka_unit_test(test_validators),
        cmocka_unit_test(test_match_limit),
        cmocka_unit_test(test_name_rfc2231_nul),
        cmocka_unit_test(test_name_rfc2047_nul),
        cmocka_unit_test(test_name_mismatch),
        cmocka_unit_test(test_name_upper_case),
        cmocka_unit_test(test_name_japanese_rfc2231),
        cmocka_unit_test(test_name_in_archive),
        cmocka_unit_test(test_name_literal_glob),
        cmocka_unit_test(test_smime_enveloped),
        cmocka_unit_test(test_smime_x_pkcs7),
        cmocka_unit_test(test_smime_p7m_attachment),
        cmocka_unit_test(test_pgp_mime),
        cmocka_unit_test(test_pgp_inline),
        cmocka_unit_test(test_signed_is_not_encrypted),
        cmocka_unit_test(test_smime_content_matched),
        cmocka_unit_test(test_partial_message),
        cmocka_unit_test(test_external_body),
        cmocka_unit_test(test_name_nul_in_keyword),
        cmocka_unit_test(test_binary_text_runs),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
