/* Unit tests for token.c: signed links cannot be forged, altered or reused late. */
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

#include "config.h"
#include "token.h"
#include "token_forge.h"

static char dir[] = "/tmp/token_test.XXXXXX";
static char path[256];
static struct token_key key;
static char err[512];

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/web.key", dir);
    if (token_key_create(path, err, sizeof(err)) != 0)
        return -1;
    return token_key_load(path, &key, err, sizeof(err));
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(dir);
}

static const struct token sample = {"mx1", "4fRbNh1Cz5zJ4Mk", "release", 2000000000, ""};

static void test_round_trip(void **state)
{
    (void)state;
    char text[TOKEN_MAX];
    struct token got;
    assert_int_equal(token_make(&key, &sample, text, sizeof(text)), 0);
    assert_int_equal(strncmp(text, "v1.mx1.4fRbNh1Cz5zJ4Mk.release.2000000000.", 42), 0);
    assert_int_equal(token_verify(&key, text, 1999999999, &got), TOKEN_OK);
    assert_string_equal(got.queue_id, "4fRbNh1Cz5zJ4Mk");
    assert_string_equal(got.action, "release");
    assert_string_equal(got.node, "mx1");
    assert_int_equal(got.expiry, 2000000000);
    assert_int_equal(token_verify(&key, text, 2000000001, &got), TOKEN_EXPIRED);
}

/* A user's token carries the address (base64url) and nothing else. */
static void test_user_token(void **state)
{
    (void)state;
    char text[TOKEN_MAX];
    struct token t = {.node = "mx1",
                      .action = "signin",
                      .expiry = 2000000000,
                      .address = "taro.yamada+x@corp.example"},
                 got;
    assert_int_equal(token_make(&key, &t, text, sizeof(text)), 0);
    assert_null(strchr(text, '@'));
    assert_null(strchr(text, '+'));
    assert_int_equal(token_verify(&key, text, 1999999999, &got), TOKEN_OK);
    assert_string_equal(got.address, "taro.yamada+x@corp.example");
    assert_string_equal(got.action, "signin");
    assert_string_equal(got.queue_id, "");
    /* a user's action with a queue ID, or a message's with an address: refused */
    struct token bad = t;
    snprintf(bad.queue_id, sizeof(bad.queue_id), "4fRbNh1Cz5zJ4Mk");
    assert_int_equal(token_make(&key, &bad, text, sizeof(text)), -1);
    bad = sample;
    snprintf(bad.address, sizeof(bad.address), "a@b.example");
    assert_int_equal(token_make(&key, &bad, text, sizeof(text)), -1);
    /* a center link for another address needs its own signature */
    t.action[0] = '\0';
    snprintf(t.action, sizeof(t.action), "center");
    assert_int_equal(token_make(&key, &t, text, sizeof(text)), 0);
    char *at = strstr(text, ".center.");
    assert_non_null(at);
    at[-1] = at[-1] == 'A' ? 'B' : 'A';
    assert_int_not_equal(token_verify(&key, text, 0, &got), TOKEN_OK);
}

/* Every single changed byte is refused; none is ever taken as valid. */
static void test_any_changed_byte(void **state)
{
    (void)state;
    char text[TOKEN_MAX];
    struct token got;
    assert_int_equal(token_make(&key, &sample, text, sizeof(text)), 0);
    for (size_t i = 0; i < strlen(text); i++) {
        char forged[TOKEN_MAX];
        strcpy(forged, text);
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        enum token_status s = token_verify(&key, forged, 0, &got);
        if (s == TOKEN_OK)
            fail_msg("byte %zu changed: still valid", i);
    }
    text[strlen(text) - 1] = '\0'; /* a truncated signature */
    assert_int_equal(token_verify(&key, text, 0, &got), TOKEN_BAD_SIGNATURE);
}

/* Another queue ID, action or expiry needs its own signature; another key fails. */
static void test_fields_are_bound(void **state)
{
    (void)state;
    char text[TOKEN_MAX], forged[TOKEN_MAX];
    struct token got;
    assert_int_equal(token_make(&key, &sample, text, sizeof(text)), 0);
    const char *sig = strrchr(text, '.');
    snprintf(forged, sizeof(forged), "v1.mx1.4fRbNh1Cz5zJ4Mm.release.2000000000%s", sig);
    assert_int_equal(token_verify(&key, forged, 0, &got), TOKEN_BAD_SIGNATURE);
    snprintf(forged, sizeof(forged), "v1.mx1.4fRbNh1Cz5zJ4Mk.delete.2000000000%s", sig);
    assert_int_equal(token_verify(&key, forged, 0, &got), TOKEN_BAD_SIGNATURE);
    snprintf(forged, sizeof(forged), "v1.mx1.4fRbNh1Cz5zJ4Mk.release.2100000000%s", sig);
    assert_int_equal(token_verify(&key, forged, 0, &got), TOKEN_BAD_SIGNATURE);
    struct token_key other = key;
    other.bytes[0] ^= 1;
    assert_int_equal(token_verify(&other, text, 0, &got), TOKEN_BAD_SIGNATURE);
    assert_int_equal(token_verify(&key, "hello", 0, &got), TOKEN_MALFORMED);
    assert_int_equal(token_verify(&key, "", 0, &got), TOKEN_MALFORMED);
}

static void test_bad_fields_are_not_signed(void **state)
{
    (void)state;
    char text[TOKEN_MAX];
    struct token t = sample;
    strcpy(t.queue_id, "../../etc");
    assert_int_equal(token_make(&key, &t, text, sizeof(text)), -1);
    t = sample;
    strcpy(t.action, "rm");
    assert_int_equal(token_make(&key, &t, text, sizeof(text)), -1);
    t = sample;
    strcpy(t.node, "a.b");
    assert_int_equal(token_make(&key, &t, text, sizeof(text)), -1);
}

#define NODE63 "a123456789b123456789c123456789d123456789e123456789f123456789abc"
static const struct {
    const char *node;
    bool want_ok; /* config, token_make and token_verify alike */
} node_cases[] = {
    {"mx1", true},
    {"MX-1", true},
    {"a", true},
    {"mx-tokyo-02", true},
    {NODE63, true},
    {"mx1.corp", false}, /* config took it before, and then no notice had links */
    {"mx_1", false},
    {"-mx1", false},
    {"mx1-", false},
    {"mx 1", false},
    {"mx/1", false},
    {"mx%2e1", false},
    {"", false},
    {NODE63 "d", false}, /* 64 characters */
};

/* token_make and token_verify take exactly the node names the config takes. */
static void test_node_name_as_config(void **state)
{
    (void)state;
    assert_int_equal(sizeof(((struct token *)0)->node), PARSE_NODE_NAME_MAX + 1);
    for (size_t i = 0; i < sizeof(node_cases) / sizeof(node_cases[0]); i++) {
        const char *node = node_cases[i].node;
        bool want = node_cases[i].want_ok;
        char conf[128], cerr[512] = "", text[TOKEN_MAX], payload[TOKEN_MAX];
        struct token t = sample, got;

        int n = snprintf(conf, sizeof(conf), "node_name = %s\n", node);
        struct config *cfg = config_parse(conf, (size_t)n, "t.conf", cerr, sizeof(cerr));
        if ((cfg != NULL) != want)
            fail_msg("config node_name = \"%s\": got %s (%s), want %s", node,
                     cfg ? "accepted" : "refused", cerr, want ? "accepted" : "refused");
        config_free(cfg);

        /* A name too long for the field is one the config refuses too. */
        if (strlen(node) < sizeof(t.node)) {
            strcpy(t.node, node);
            int rc = token_make(&key, &t, text, sizeof(text));
            if ((rc == 0) != want)
                fail_msg("token_make(node \"%s\"): got %d, want %d", node, rc,
                         want ? 0 : -1);
        } else if (want) {
            fail_msg("node \"%s\": does not fit struct token's node", node);
        }

        snprintf(payload, sizeof(payload), "v1.%s.4fRbNh1Cz5zJ4Mk.release.2000000000",
                 node);
        token_forge(&key, payload, text, sizeof(text));
        enum token_status st = token_verify(&key, text, 0, &got);
        enum token_status want_st = want ? TOKEN_OK : TOKEN_MALFORMED;
        if (st != want_st)
            fail_msg("token_verify(node \"%s\"): got %s, want %s", node,
                     token_status_text(st), token_status_text(want_st));
        if (want && strcmp(got.node, node) != 0)
            fail_msg("token_verify(node \"%s\"): got node \"%s\"", node, got.node);
    }
}

static void test_key_file(void **state)
{
    (void)state;
    struct token_key k;
    /* Never overwritten. */
    assert_int_equal(token_key_create(path, err, sizeof(err)), -1);
    /* Readable by others: refused. */
    chmod(path, 0644);
    assert_int_equal(token_key_load(path, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "chmod 600"));
    chmod(path, 0600);
    assert_int_equal(token_key_load(path, &k, err, sizeof(err)), 0);
    assert_int_equal(k.len, TOKEN_KEY_MIN);
    char shortkey[300];
    snprintf(shortkey, sizeof(shortkey), "%s/short.key", dir);
    FILE *f = fopen(shortkey, "w");
    fputs("abcd\n", f);
    fclose(f);
    chmod(shortkey, 0600);
    assert_int_equal(token_key_load(shortkey, &k, err, sizeof(err)), -1);
    unlink(shortkey);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_user_token),
        cmocka_unit_test(test_any_changed_byte),
        cmocka_unit_test(test_fields_are_bound),
        cmocka_unit_test(test_bad_fields_are_not_signed),
        cmocka_unit_test(test_node_name_as_config),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
