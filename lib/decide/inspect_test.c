/*
 * Unit tests for inspect.c: the whole decision about a message - the rules'
 * verdict with the hold policy and the sender's own settings laid over it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "inspect.h"
#include "record.h"
#include "user_settings.h"

static char dir[] = "/tmp/inspect_test.XXXXXX";
static struct store *users;
static struct rules *rules;
static char err[1024];

static const char rules_text[] = "rule seal\n"
                                 "    match subject keywords \"sealme\"\n"
                                 "    action encrypt\n"
                                 "rule rule-hold\n"
                                 "    match subject keywords \"holdme\"\n"
                                 "    action hold 20m\n"
                                 "rule no-cards\n"
                                 "    match body keywords \"4111\"\n"
                                 "    action reject \"no\"\n"
                                 "rule drop\n"
                                 "    match body keywords \"dropme\"\n"
                                 "    action discard\n";

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    users = store_open(dir, 1 << 20, false, err, sizeof(err));
    rules = rules_parse(rules_text, strlen(rules_text), "t.rules", dir, err, sizeof(err));
    if (users == NULL || rules == NULL)
        return -1;
    /* carol turned her hold off; erin wants 45 minutes; frank wants his mail
     * encrypted, the password to everyone; gina wants no encryption. */
    const char *who[] = {"carol@corp.example", "erin@corp.example", "frank@corp.example",
                         "frank@corp.example", "gina@corp.example"};
    const char *name[] = {"hold_enable", "hold_minutes", "encrypt_enable",
                          "password_notice_to", "encrypt_enable"};
    const char *value[] = {"no", "45", "yes", "both", "no"};
    for (size_t i = 0; i < 5; i++) {
        if (i == 3)
            continue; /* frank's second setting joins his first record below */
        struct record *r = record_new();
        char key[128];
        size_t len;
        if (r == NULL || record_add(r, name[i], value[i]) != 0 ||
            (i == 2 && record_add(r, name[3], value[3]) != 0) ||
            !user_settings_key(who[i], key, sizeof(key)))
            return -1;
        const char *bytes = record_bytes(r, &len);
        int rc = store_put(users, STORE_USERS, key, bytes, len, err, sizeof(err));
        record_free(r);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_close(users);
    rules_free(rules);
    char path[128];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    unlink(path);
    return rmdir(dir);
}

static const struct {
    const char *config; /* extra sendwatch.conf lines */
    const char *sender, *rcpt, *subject, *body;
    const char *want_actions;
    unsigned want_seconds;
    enum inspect_hold_source want_source;
} cases[] = {
    /* No policy: only a rule holds. */
    {"", "alice@corp.example", "bob@partner.example", "plain", "hi", "deliver", 0,
     INSPECT_HOLD_NONE},
    {"", "alice@corp.example", "bob@partner.example", "holdme", "hi", "hold:1200s", 1200,
     INSPECT_HOLD_RULE},
    /* The policy holds external mail only, unless the scope is all. */
    {"hold_enable = yes\nhold_minutes = 15\n", "alice@corp.example",
     "bob@partner.example", "plain", "hi", "hold:900s", 900, INSPECT_HOLD_POLICY},
    {"hold_enable = yes\nhold_minutes = 15\n", "alice@corp.example", "dave@corp.example",
     "plain", "hi", "deliver", 0, INSPECT_HOLD_NONE},
    {"hold_enable = yes\nhold_scope = all\nhold_minutes = 15\n", "alice@corp.example",
     "dave@corp.example", "plain", "hi", "hold:900s", 900, INSPECT_HOLD_POLICY},
    /* The longer of rule and policy wins. */
    {"hold_enable = yes\nhold_minutes = 15\n", "alice@corp.example",
     "bob@partner.example", "holdme", "hi", "hold:1200s", 1200, INSPECT_HOLD_RULE},
    {"hold_enable = yes\nhold_minutes = 30\n", "alice@corp.example",
     "bob@partner.example", "holdme", "hi", "hold:1800s", 1800, INSPECT_HOLD_POLICY},
    /* Refused or discarded mail never waits. */
    {"hold_enable = yes\nhold_scope = all\n", "alice@corp.example", "bob@partner.example",
     "holdme", "card 4111", "reject", 0, INSPECT_HOLD_NONE},
    {"hold_enable = yes\nhold_scope = all\n", "alice@corp.example", "bob@partner.example",
     "plain", "dropme", "discard", 0, INSPECT_HOLD_NONE},
    /* The sender's own settings, only where the admin allows them. */
    {"hold_enable = yes\nhold_minutes = 15\n", "carol@corp.example",
     "bob@partner.example", "plain", "hi", "hold:900s", 900, INSPECT_HOLD_POLICY},
    {"hold_enable = yes\nhold_minutes = 15\nuser_settings_allowed = yes\n",
     "carol@corp.example", "bob@partner.example", "plain", "hi", "deliver", 0,
     INSPECT_HOLD_NONE},
    {"hold_enable = yes\nhold_minutes = 15\nuser_settings_allowed = yes\n",
     "CAROL@corp.example", "bob@partner.example", "holdme", "hi", "hold:1200s", 1200,
     INSPECT_HOLD_RULE},
    {"user_settings_allowed = yes\nhold_enable = yes\n", "erin@corp.example",
     "bob@partner.example", "plain", "hi", "hold:2700s", 2700, INSPECT_HOLD_SENDER},
    /* Encryption: the policy for external mail, a rule for any; never for what is
     * refused or discarded. */
    {"encrypt_attachments = yes\n", "alice@corp.example", "bob@partner.example", "plain",
     "hi", "encrypt deliver", 0, INSPECT_HOLD_NONE},
    {"encrypt_attachments = yes\n", "alice@corp.example", "dave@corp.example", "plain",
     "hi", "deliver", 0, INSPECT_HOLD_NONE},
    {"", "alice@corp.example", "dave@corp.example", "sealme", "hi", "encrypt deliver", 0,
     INSPECT_HOLD_NONE},
    {"encrypt_attachments = yes\nhold_enable = yes\n", "alice@corp.example",
     "bob@partner.example", "plain", "hi", "encrypt hold:600s", 600, INSPECT_HOLD_POLICY},
    {"encrypt_attachments = yes\n", "alice@corp.example", "bob@partner.example", "plain",
     "card 4111", "reject", 0, INSPECT_HOLD_NONE},
    /* The sender's own encrypt_enable, only where allowed. */
    {"user_settings_allowed = yes\n", "frank@corp.example", "bob@partner.example",
     "plain", "hi", "encrypt deliver", 0, INSPECT_HOLD_NONE},
    {"", "frank@corp.example", "bob@partner.example", "plain", "hi", "deliver", 0,
     INSPECT_HOLD_NONE},
    {"encrypt_attachments = yes\nuser_settings_allowed = yes\n", "gina@corp.example",
     "bob@partner.example", "plain", "hi", "deliver", 0, INSPECT_HOLD_NONE},
    {"encrypt_attachments = yes\n", "gina@corp.example", "bob@partner.example", "plain",
     "hi", "encrypt deliver", 0, INSPECT_HOLD_NONE},
    /* A rule's encrypt is the admin's: the sender cannot turn it off. */
    {"user_settings_allowed = yes\n", "gina@corp.example", "bob@partner.example",
     "sealme", "hi", "encrypt deliver", 0, INSPECT_HOLD_NONE},
};

static void test_decision_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char conf[512], message[512], actions[256];
        snprintf(conf, sizeof(conf), "internal_domains = corp.example\n%s",
                 cases[i].config);
        struct config *cfg = config_parse(conf, strlen(conf), "t.conf", err, sizeof(err));
        if (cfg == NULL)
            fail_msg("case %zu: config: %s", i, err);
        snprintf(message, sizeof(message),
                 "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\n%s\r\n", cases[i].sender,
                 cases[i].rcpt, cases[i].subject, cases[i].body);
        struct spool *sp = spool_new(1 << 20, "/tmp");
        assert_int_equal(spool_write(sp, message, strlen(message), err, sizeof(err)), 0);
        struct inspection in;
        const char *rcpts[] = {cases[i].rcpt};
        struct files *fs = files_new();
        struct encrypt_policy *policy = encrypt_policy_new(cfg, fs, err, sizeof(err));
        files_free(fs);
        assert_non_null(policy);
        if (inspect_message(cfg, rules, policy, users, sp, cases[i].sender, rcpts, 1, &in,
                            err, sizeof(err)) != 0)
            fail_msg("case %zu: %s", i, err);
        inspect_describe_actions(&in, actions, sizeof(actions));
        if (strcmp(actions, cases[i].want_actions) != 0 ||
            in.hold_seconds != cases[i].want_seconds ||
            in.hold_source != cases[i].want_source)
            fail_msg("case %zu: got %s, %u s, %s; want %s, %u s, %s", i, actions,
                     in.hold_seconds, inspect_hold_source_name(in.hold_source),
                     cases[i].want_actions, cases[i].want_seconds,
                     inspect_hold_source_name(cases[i].want_source));
        inspect_free(&in);
        encrypt_policy_free(policy);
        spool_free(sp);
        config_free(cfg);
    }
}

/* The sender's settings name themselves as the reason, and who gets the password. */
static void test_sender_encryption_settings(void **state)
{
    (void)state;
    static const char conf[] =
        "user_settings_allowed = yes\ninternal_domains = corp.example\n";
    struct config *cfg = config_parse(conf, strlen(conf), "t.conf", err, sizeof(err));
    assert_non_null(cfg);
    struct files *fs = files_new();
    struct encrypt_policy *policy = encrypt_policy_new(cfg, fs, err, sizeof(err));
    files_free(fs);
    static const char message[] = "Subject: x\r\n\r\nhi\r\n";
    struct spool *sp = spool_new(1 << 20, "/tmp");
    assert_int_equal(spool_write(sp, message, strlen(message), err, sizeof(err)), 0);
    struct inspection in;
    const char *rcpts[] = {"bob@partner.example"};
    assert_int_equal(inspect_message(cfg, rules, policy, users, sp, "frank@corp.example",
                                     rcpts, 1, &in, err, sizeof(err)),
                     0);
    assert_true(in.encryption.encrypt);
    assert_string_equal(encrypt_source_name(in.encryption.source), "sender");
    assert_string_equal(in.password_notice_to, "both");
    inspect_free(&in);
    assert_int_equal(inspect_message(cfg, rules, policy, users, sp, "alice@corp.example",
                                     rcpts, 1, &in, err, sizeof(err)),
                     0);
    assert_false(in.encryption.encrypt);
    assert_string_equal(in.password_notice_to, "sender");
    inspect_free(&in);
    encrypt_policy_free(policy);
    spool_free(sp);
    config_free(cfg);
}

/* Without a store (a bare machine) the admin's policy alone decides. */
static void test_no_store_means_the_admins_policy(void **state)
{
    (void)state;
    static const char conf[] = "hold_enable = yes\nuser_settings_allowed = yes\n";
    struct config *cfg = config_parse(conf, strlen(conf), "t.conf", err, sizeof(err));
    assert_non_null(cfg);
    static const char message[] = "Subject: x\r\n\r\nhi\r\n";
    struct spool *sp = spool_new(1 << 20, "/tmp");
    assert_int_equal(spool_write(sp, message, strlen(message), err, sizeof(err)), 0);
    struct inspection in;
    const char *rcpts[] = {"bob@partner.example"};
    assert_int_equal(inspect_message(cfg, rules, NULL, NULL, sp, "carol@corp.example",
                                     rcpts, 1, &in, err, sizeof(err)),
                     0);
    assert_int_equal(in.hold_seconds, 600);
    assert_int_equal(in.hold_source, INSPECT_HOLD_POLICY);
    inspect_free(&in);
    spool_free(sp);
    config_free(cfg);
}

int main(void)
{
    view_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_table),
        cmocka_unit_test(test_no_store_means_the_admins_policy),
        cmocka_unit_test(test_sender_encryption_settings),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    view_shutdown();
    return rc;
}
