/* Unit tests for usersettings.c: keys, checks, and the policy a sender gets. */
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
#include "usersettings.h"

static char dir[] = "/tmp/usersettings_test.XXXXXX";
static char err[512];

static void test_keys(void **state)
{
    (void)state;
    char key[64];
    assert_true(user_key("Alice@Corp.Example", key, sizeof(key)));
    assert_string_equal(key, "alice@corp.example");
    assert_false(user_key("no-at-sign", key, sizeof(key)));
    assert_false(user_key("", key, sizeof(key)));
    assert_false(user_key("a b@corp.example", key, sizeof(key)));
    assert_false(user_key("a\x7f@corp.example", key, sizeof(key)));
    assert_false(user_key("a-very-long-address@corp.example", key, 10));
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
    {"language", "ja", "unknown setting \"language\" (hold_enable, hold_minutes)"},
};

static void test_checks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(checks) / sizeof(*checks); i++) {
        err[0] = '\0';
        int rc = user_setting_check(checks[i].name, checks[i].value, err, sizeof(err));
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
    struct user_hold h;
    assert_int_equal(user_hold_policy(yes, st, "Bob@corp.example", &h, err, sizeof(err)),
                     0);
    assert_true(h.enable);
    assert_int_equal(h.minutes, 7);
    assert_true(h.from_user);
    assert_int_equal(user_hold_policy(no, st, "bob@corp.example", &h, err, sizeof(err)),
                     0);
    assert_false(h.enable);
    assert_false(h.from_user);
    assert_int_equal(
        user_hold_policy(yes, st, "nobody@corp.example", &h, err, sizeof(err)), 0);
    assert_false(h.enable);
    assert_false(h.from_user);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
