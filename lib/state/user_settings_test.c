/* Unit tests for user_settings.c: keys, checks, and the policy a sender gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "user_settings.h"

static char dir[] = "/tmp/user_settings_test.XXXXXX";
static char err[512];

static void test_keys(void **state)
{
    (void)state;
    char key[64];
    assert_true(user_settings_key("Alice@Corp.Example", key, sizeof(key)));
    assert_string_equal(key, "alice@corp.example");
    assert_false(user_settings_key("no-at-sign", key, sizeof(key)));
    assert_false(user_settings_key("", key, sizeof(key)));
    assert_false(user_settings_key("a b@corp.example", key, sizeof(key)));
    assert_false(user_settings_key("a\x7f@corp.example", key, sizeof(key)));
    assert_false(user_settings_key("a-very-long-address@corp.example", key, 10));
}

static const struct {
    const char *name, *value, *want; /* want NULL: accepted */
} checks[] = {
    {"hold_enable", "yes", NULL},
    {"hold_enable", "no", NULL},
    {"hold_enable", "YES", "hold_enable must be yes or no"},
    {"hold_minutes", "1", NULL},
    {"hold_minutes", "60", NULL},
    {"hold_minutes", "0", "hold_minutes must be a number from 1 to 60"},
    {"hold_minutes", "61", "hold_minutes must be a number from 1 to 60"},
    {"hold_minutes", "10m", "hold_minutes must be a number from 1 to 60"},
    {"hold_minutes", "-5", "hold_minutes must be a number from 1 to 60"},
    {"encrypt_enable", "no", NULL},
    {"encrypt_enable", "1", "encrypt_enable must be yes or no"},
    {"password_notice_to", "both", NULL},
    {"password_notice_to", "recipients", NULL},
    {"password_notice_to", "everyone",
     "password_notice_to must be sender, recipients or both"},
    /* Only the sealed form (secret.h) is a zip_password: never the password. */
    {"zip_password", "s1.AAAABBBBCCCC+/==", NULL},
    {"zip_password", "hunter22",
     "zip_password must be set with \"sendwatch user password\", which seals it"},
    {"zip_password", "s1.a b",
     "zip_password must be set with \"sendwatch user password\", "
     "which seals it"},
    {"zip_password_hint", "いつもの合言葉", NULL},
    {"zip_password_hint", "",
     "zip_password_hint must be 1 to 100 bytes of text, one line"},
    {"zip_password_hint", "a\nb",
     "zip_password_hint must be 1 to 100 bytes of text, one line"},
    {"language", "ja", NULL},
    {"language", "fr", "language must be ja or en"},
    {"colour", "blue",
     "unknown setting \"colour\" (hold_enable, hold_minutes, encrypt_enable, "
     "password_notice_to, zip_password, zip_password_hint, language)"},
};

static void test_checks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(checks) / sizeof(*checks); i++) {
        err[0] = '\0';
        int rc = user_settings_check(checks[i].name, checks[i].value, err, sizeof(err));
        if (checks[i].want == NULL && rc != 0)
            fail_msg("%s=%s: got %s, want accepted", checks[i].name, checks[i].value,
                     err);
        if (checks[i].want != NULL && (rc == 0 || strcmp(err, checks[i].want) != 0))
            fail_msg("%s=%s: got %s, want %s", checks[i].name, checks[i].value,
                     rc == 0 ? "accepted" : err, checks[i].want);
    }
}

/* Stored settings count only where allowed; values edited by hand into nonsense are
 * ignored, setting by setting. */
static void test_policy(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    struct store *st = store_open(dir, 1 << 20, false, err, sizeof(err));
    assert_non_null(st);
    struct record *r = record_new();
    assert_int_equal(record_add(r, "hold_enable", "yes"), 0);
    assert_int_equal(record_add(r, "hold_minutes", "999"), 0); /* not valid: ignored */
    size_t len;
    const char *bytes = record_bytes(r, &len);
    assert_int_equal(
        store_put(st, STORE_USERS, "bob@corp.example", bytes, len, err, sizeof(err)), 0);
    record_free(r);

    static const char allowed[] = "user_settings_allowed = yes\nhold_minutes = 7\n";
    static const char denied[] = "hold_minutes = 7\n";
    struct config *yes =
        config_parse(allowed, strlen(allowed), "a.conf", err, sizeof(err));
    struct config *no = config_parse(denied, strlen(denied), "d.conf", err, sizeof(err));
    assert_non_null(yes);
    assert_non_null(no);
    struct user_settings_policy p;
    const struct user_settings_hold *h = &p.hold;
    assert_int_equal(
        user_settings_policy(yes, st, "Bob@corp.example", &p, err, sizeof(err)), 0);
    assert_true(h->enable);
    assert_int_equal(h->minutes, 7);
    assert_true(h->from_user);
    assert_int_equal(
        user_settings_policy(no, st, "bob@corp.example", &p, err, sizeof(err)), 0);
    assert_false(h->enable);
    assert_false(h->from_user);
    assert_int_equal(
        user_settings_policy(yes, st, "nobody@corp.example", &p, err, sizeof(err)), 0);
    assert_false(h->enable);
    assert_false(h->from_user);
    assert_false(p.encrypt.enable);
    assert_false(p.encrypt.from_user);
    assert_string_equal(p.encrypt.notice_to, "sender");
    config_free(yes);
    config_free(no);
    store_close(st);
    char path[128];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

/* A store of its own for one test, and its removal. */
static struct store *open_store(char *path)
{
    if (mkdtemp(path) == NULL)
        fail_msg("mkdtemp %s failed", path);
    struct store *st = store_open(path, 1 << 20, false, err, sizeof(err));
    if (st == NULL)
        fail_msg("store_open: %s", err);
    return st;
}

static void close_store(struct store *st, const char *path)
{
    char file[128];
    store_close(st);
    snprintf(file, sizeof(file), "%s/data.mdb", path);
    unlink(file);
    snprintf(file, sizeof(file), "%s/lock.mdb", path);
    unlink(file);
    rmdir(path);
}

/* The settings as one line, for "got X, want Y". */
static const char *show(const struct user_settings *s, char *buf, size_t len)
{
    char v[16];
    const char *e = user_settings_value(s, USER_SETTING_HOLD_ENABLE, v, sizeof(v));
    int n = snprintf(buf, len, "hold_enable=%s", e ? e : "-");
    const char *m = user_settings_value(s, USER_SETTING_HOLD_MINUTES, v, sizeof(v));
    snprintf(buf + n, len - (size_t)n, " hold_minutes=%s ignored=%u%s", m ? m : "-",
             s->ignored, s->unreadable ? " unreadable" : "");
    return buf;
}

static void want_settings(struct store *st, const char *address, const char *want)
{
    struct user_settings s;
    char got[128];
    if (user_settings_get(st, address, &s, err, sizeof(err)) < 0)
        fail_msg("get %s: got %s, want %s", address, err, want);
    if (strcmp(show(&s, got, sizeof(got)), want) != 0)
        fail_msg("get %s: got %s, want %s", address, got, want);
}

/* Steps of put and what get then says; each step works on the state the last left. */
static const struct {
    const char *address;
    const char *const *set; /* NAME=VALUE (VALUE "default": back to the admin's) */
    const char *want;
} steps[] = {
    {"Carol@Corp.Example",
     (const char *const[]){"hold_enable=yes", "hold_minutes=5", NULL},
     "hold_enable=yes hold_minutes=5 ignored=0"},
    {"carol@corp.example", (const char *const[]){"hold_minutes=60", NULL},
     "hold_enable=yes hold_minutes=60 ignored=0"},
    {"carol@corp.example", (const char *const[]){"hold_enable=default", NULL},
     "hold_enable=- hold_minutes=60 ignored=0"},
    {"carol@corp.example",
     (const char *const[]){"hold_enable=no", "hold_minutes=default", NULL},
     "hold_enable=no hold_minutes=- ignored=0"},
    {"alice@corp.example", (const char *const[]){"hold_minutes=1", NULL},
     "hold_enable=- hold_minutes=1 ignored=0"},
};

struct seen {
    size_t n;
    char lines[4][200];
};

static int collect(void *ctx, const char *address, const struct user_settings *s)
{
    struct seen *seen = ctx;
    char buf[128];
    if (seen->n < 4)
        snprintf(seen->lines[seen->n], sizeof(seen->lines[0]), "%s %s", address,
                 show(s, buf, sizeof(buf)));
    seen->n++;
    return 0;
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[] = "/tmp/user_settings_test.XXXXXX";
    struct store *st = open_store(path);
    want_settings(st, "carol@corp.example", "hold_enable=- hold_minutes=- ignored=0");
    for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
        struct user_settings s = {0};
        unsigned which = 0;
        for (size_t j = 0; steps[i].set[j] != NULL; j++) {
            char name[64];
            const char *eq = strchr(steps[i].set[j], '=');
            snprintf(name, sizeof(name), "%.*s", (int)(eq - steps[i].set[j]),
                     steps[i].set[j]);
            int bit = user_settings_parse(
                &s, name, strcmp(eq + 1, "default") ? eq + 1 : NULL, err, sizeof(err));
            if (bit < 0)
                fail_msg("step %zu: parse %s: got %s, want a setting", i, steps[i].set[j],
                         err);
            which |= (unsigned)bit;
        }
        if (user_settings_put(st, steps[i].address, &s, which, err, sizeof(err)) != 0)
            fail_msg("step %zu: put: got %s, want success", i, err);
        want_settings(st, steps[i].address, steps[i].want);
    }
    /* Every user, in address order, under the lower-case key. */
    struct seen seen = {0};
    struct user_settings_skipped skipped = {9, 9};
    assert_int_equal(
        user_settings_foreach(st, collect, &seen, &skipped, err, sizeof(err)), 0);
    static const char *const want[] = {
        "alice@corp.example hold_enable=- hold_minutes=1 ignored=0",
        "carol@corp.example hold_enable=no hold_minutes=- ignored=0",
    };
    if (seen.n != 2 || skipped.version != 0 || skipped.invalid != 0)
        fail_msg("foreach: got %zu users, %zu+%zu skipped, want 2, 0+0", seen.n,
                 skipped.version, skipped.invalid);
    for (size_t i = 0; i < 2; i++)
        if (strcmp(seen.lines[i], want[i]) != 0)
            fail_msg("foreach %zu: got %s, want %s", i, seen.lines[i], want[i]);
    close_store(st, path);
}

/* Values put refuses, and what is stored afterwards: nothing new. */
static void test_put_refuses(void **state)
{
    (void)state;
    char path[] = "/tmp/user_settings_test.XXXXXX";
    struct store *st = open_store(path);
    struct user_settings good = {.set = USER_SETTINGS_ALL,
                                 .hold_enable = true,
                                 .hold_minutes = 9,
                                 .encrypt_enable = true,
                                 .password_notice_to = "both",
                                 .zip_password = "s1.AAAA",
                                 .zip_password_hint = "h",
                                 .language = "en"};
    assert_int_equal(user_settings_put(st, "dave@corp.example", &good, USER_SETTINGS_ALL,
                                       err, sizeof(err)),
                     0);
    static const struct {
        const char *address;
        struct user_settings s;
        unsigned which;
        const char *want;
    } cases[] = {
        {"dave@corp.example",
         {.set = USER_SETTING_HOLD_MINUTES, .hold_minutes = 0},
         USER_SETTINGS_ALL,
         "hold_minutes must be a number from 1 to 60"},
        {"dave@corp.example",
         {.set = USER_SETTINGS_ALL, .hold_enable = false, .hold_minutes = 61},
         USER_SETTING_HOLD_MINUTES,
         "hold_minutes must be a number from 1 to 60"},
        {"no-at-sign",
         {.set = USER_SETTING_HOLD_ENABLE},
         USER_SETTINGS_ALL,
         "\"no-at-sign\" is not a mail address"},
        {"", {0}, USER_SETTINGS_ALL, "\"\" is not a mail address"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        err[0] = '\0';
        int rc = user_settings_put(st, cases[i].address, &cases[i].s, cases[i].which, err,
                                   sizeof(err));
        if (rc != -1 || strcmp(err, cases[i].want) != 0)
            fail_msg("case %zu: got %d (%s), want -1 (%s)", i, rc, err, cases[i].want);
        want_settings(st, "dave@corp.example",
                      "hold_enable=yes hold_minutes=9 ignored=0");
    }

    /* The parser refuses what the check refuses, in the check's words. */
    static const struct {
        const char *name, *value, *want;
    } parses[] = {
        {"hold_minutes", "61", "hold_minutes must be a number from 1 to 60"},
        {"hold_enable", "on", "hold_enable must be yes or no"},
        {"color", "blue",
         "unknown setting \"color\" (hold_enable, hold_minutes, encrypt_enable, "
         "password_notice_to, zip_password, zip_password_hint, language)"},
        {"color", NULL,
         "unknown setting \"color\" (hold_enable, hold_minutes, encrypt_enable, "
         "password_notice_to, zip_password, zip_password_hint, language)"},
    };
    for (size_t i = 0; i < sizeof(parses) / sizeof(*parses); i++) {
        struct user_settings s = {0};
        err[0] = '\0';
        int rc =
            user_settings_parse(&s, parses[i].name, parses[i].value, err, sizeof(err));
        if (rc != -1 || s.set != 0 || strcmp(err, parses[i].want) != 0)
            fail_msg("parse %s=%s: got %d (%s), want -1 (%s)", parses[i].name,
                     parses[i].value ? parses[i].value : "(default)", rc, err,
                     parses[i].want);
    }

    /* A record a newer sendwatch wrote is neither read nor overwritten. */
    static const char newer[] = "v=2\nhold_enable=yes\nhold_minutes=5\n";
    assert_int_equal(store_put(st, STORE_USERS, "erin@corp.example", newer, strlen(newer),
                               err, sizeof(err)),
                     0);
    want_settings(st, "erin@corp.example",
                  "hold_enable=- hold_minutes=- ignored=0 unreadable");
    assert_int_equal(user_settings_put(st, "erin@corp.example", &good, USER_SETTINGS_ALL,
                                       err, sizeof(err)),
                     -1);
    assert_string_equal(err,
                        "erin@corp.example: the stored settings are of another record "
                        "version (2; this sendwatch writes 1): not changed");
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(
        store_get(st, STORE_USERS, "erin@corp.example", &data, &len, err, sizeof(err)),
        1);
    assert_string_equal(data, newer);
    free(data);

    /* A damaged one (no v= line) is replaced. */
    static const char damaged[] = "hold_enable=yes\n";
    assert_int_equal(store_put(st, STORE_USERS, "erin@corp.example", damaged,
                               strlen(damaged), err, sizeof(err)),
                     0);
    want_settings(st, "erin@corp.example",
                  "hold_enable=- hold_minutes=- ignored=0 unreadable");
    assert_int_equal(user_settings_put(st, "erin@corp.example", &good, USER_SETTINGS_ALL,
                                       err, sizeof(err)),
                     0);
    want_settings(st, "erin@corp.example", "hold_enable=yes hold_minutes=9 ignored=0");
    close_store(st, path);
}

/* Records edited by hand: what get makes of them, setting by setting. */
static const struct {
    const char *record, *want;
} edited[] = {
    {"v=1\nhold_enable=YES\nhold_minutes=5\n", "hold_enable=- hold_minutes=5 ignored=1"},
    {"v=1\nhold_enable=no\nhold_minutes=999\n",
     "hold_enable=no hold_minutes=- ignored=2"},
    {"v=1\nhold_minutes=\n", "hold_enable=- hold_minutes=- ignored=2"},
    {"v=1\nhold_minutes=7\nhold_minutes=abc\n", "hold_enable=- hold_minutes=7 ignored=0"},
    {"v=1\nhold_minutes=abc\nhold_minutes=7\n", "hold_enable=- hold_minutes=- ignored=2"},
    {"v=1\ncolor=blue\nno equals sign\nhold_enable=yes\n",
     "hold_enable=yes hold_minutes=- ignored=0"},
    {"v=1\n", "hold_enable=- hold_minutes=- ignored=0"},
    {"", "hold_enable=- hold_minutes=- ignored=0 unreadable"},
    {"hold_enable=yes\n", "hold_enable=- hold_minutes=- ignored=0 unreadable"},
    {"v=3\nhold_enable=yes\n", "hold_enable=- hold_minutes=- ignored=0 unreadable"},
};

static void test_hand_edited(void **state)
{
    (void)state;
    char path[] = "/tmp/user_settings_test.XXXXXX";
    struct store *st = open_store(path);
    for (size_t i = 0; i < sizeof(edited) / sizeof(*edited); i++) {
        assert_int_equal(store_put(st, STORE_USERS, "frank@corp.example",
                                   edited[i].record, strlen(edited[i].record), err,
                                   sizeof(err)),
                         0);
        struct user_settings s;
        char got[128];
        assert_int_equal(
            user_settings_get(st, "frank@corp.example", &s, err, sizeof(err)), 1);
        if (strcmp(show(&s, got, sizeof(got)), edited[i].want) != 0)
            fail_msg("record %zu: got %s, want %s", i, got, edited[i].want);
    }

    /* put changes what it is asked to and keeps the rest, unknown fields too. */
    static const char kept[] = "v=1\ncolor=blue\nhold_minutes=999\n";
    assert_int_equal(store_put(st, STORE_USERS, "frank@corp.example", kept, strlen(kept),
                               err, sizeof(err)),
                     0);
    struct user_settings s = {.set = USER_SETTING_HOLD_ENABLE, .hold_enable = true};
    assert_int_equal(user_settings_put(st, "frank@corp.example", &s,
                                       USER_SETTING_HOLD_ENABLE, err, sizeof(err)),
                     0);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(
        store_get(st, STORE_USERS, "frank@corp.example", &data, &len, err, sizeof(err)),
        1);
    assert_string_equal(data, "v=1\ncolor=blue\nhold_minutes=999\nhold_enable=yes\n");
    free(data);

    /* foreach skips records it cannot read, and keys no sender has. */
    static const char newer[] = "v=2\nhold_enable=yes\n",
                      fine[] = "v=1\nhold_enable=no\n";
    assert_int_equal(store_put(st, STORE_USERS, "gina@corp.example", newer, strlen(newer),
                               err, sizeof(err)),
                     0);
    assert_int_equal(store_put(st, STORE_USERS, "Upper@corp.example", fine, strlen(fine),
                               err, sizeof(err)),
                     0);
    assert_int_equal(
        store_put(st, STORE_USERS, "no-at-sign", fine, strlen(fine), err, sizeof(err)),
        0);
    assert_int_equal(
        store_put(st, STORE_USERS, "hal@corp.example", "garbage", 7, err, sizeof(err)),
        0);
    struct seen seen = {0};
    struct user_settings_skipped skipped;
    assert_int_equal(
        user_settings_foreach(st, collect, &seen, &skipped, err, sizeof(err)), 0);
    if (seen.n != 1 || skipped.version != 1 || skipped.invalid != 3)
        fail_msg(
            "foreach: got %zu users, %zu of another version, %zu invalid; want 1, 1, 3",
            seen.n, skipped.version, skipped.invalid);
    assert_string_equal(seen.lines[0],
                        "frank@corp.example hold_enable=yes hold_minutes=- ignored=2");
    close_store(st, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_policy),      cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_put_refuses), cmocka_unit_test(test_hand_edited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
