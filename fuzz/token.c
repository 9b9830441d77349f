/*
 * fuzz_token - the signed links of lib/notify/token.c.  Each input is
 * used three ways:
 *  1. as a link's token, verified under a fixed key: it may never pass
 *     (the fuzzer has no key);
 *  2. as a payload that the target signs with the key itself, so that
 *     verification gets past the signature to the field parsing
 *     (strtok_r on '.', lengths, the node name, queue ID, action and
 *     expiry checks); a token that passes must carry valid fields, and
 *     the token made again from them must pass with the same fields;
 *  3. as fields, one a line (node, queue ID, action, expiry): a token that
 *     token_make() accepts must verify to the same fields, expire one
 *     second after its expiry, and fail under another key.
 * Seeds: tokens and fields of token_test.c (fuzz/make-corpus).
 */
#include <string.h>

#include "fuzz.h"
#include "queueid.h"
#include "token.h"
#include "token_forge.h"

static struct token_key key, other_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    key.len = other_key.len = TOKEN_KEY_MIN;
    for (size_t i = 0; i < TOKEN_KEY_MIN; i++) {
        key.bytes[i] = (unsigned char)(i * 7 + 1);
        other_key.bytes[i] = (unsigned char)(i * 7 + 2);
    }
    return 0;
}

static bool same_token(const struct token *a, const struct token *b)
{
    return strcmp(a->node, b->node) == 0 && strcmp(a->queue_id, b->queue_id) == 0 &&
           strcmp(a->action, b->action) == 0 && a->expiry == b->expiry &&
           strcmp(a->address, b->address) == 0;
}

/* Checks the fields of a token that verified. */
static void check_fields(const struct token *t, time_t now)
{
    char again[TOKEN_MAX];
    struct token t2;

    FUZZ_CHECK(memchr(t->node, '\0', sizeof(t->node)) != NULL &&
                   parse_node_name(t->node, NULL, 0) == 0,
               "node");
    if (token_action_is_user(t->action)) {
        FUZZ_CHECK(t->queue_id[0] == '\0', "queue ID %s in a user's token", t->queue_id);
        FUZZ_CHECK(parse_addr_spec(t->address, 0, NULL, 0) == 0, "address %s",
                   t->address);
    } else {
        FUZZ_CHECK(queueid_valid(t->queue_id), "queue ID %s", t->queue_id);
        FUZZ_CHECK(strcmp(t->action, "release") == 0 || strcmp(t->action, "delete") == 0,
                   "action %s", t->action);
        FUZZ_CHECK(t->address[0] == '\0', "address %s in a message's token", t->address);
    }
    FUZZ_CHECK(t->expiry >= now, "expired %lld", (long long)t->expiry);
    FUZZ_CHECK(token_make(&key, t, again, sizeof(again)) == 0, "cannot make it again");
    FUZZ_CHECK(token_verify(&key, again, now, &t2) == TOKEN_OK && same_token(t, &t2),
               "made again: %s", again);
}

/* True when TEXT is PAYLOAD.SIGNATURE with the key's signature. */
static bool signed_with_key(const char *text)
{
    char payload[2 * TOKEN_MAX], want[4 * TOKEN_MAX];
    const char *dot = strrchr(text, '.');

    if (dot == NULL)
        return false;
    snprintf(payload, sizeof(payload), "%.*s", (int)(dot - text), text);
    token_forge(&key, payload, want, sizeof(want));
    return strcmp(text, want) == 0;
}

/* Use 2: PAYLOAD signed with the key as token.c does. */
static void verify_signed(const char *payload, time_t now)
{
    char text[4 * TOKEN_MAX];
    struct token t;

    token_forge(&key, payload, text, sizeof(text));
    if (token_verify(&key, text, now, &t) == TOKEN_OK)
        check_fields(&t, now);
}

/* Use 3: the fields in TEXT, one a line. */
static void make_from_fields(char *text)
{
    struct token t = {0}, got;
    char made[TOKEN_MAX];
    char *save = NULL;
    const char *node = strtok_r(text, "\n", &save);
    const char *qid = strtok_r(NULL, "\n", &save);
    const char *action = strtok_r(NULL, "\n", &save);
    const char *expiry = strtok_r(NULL, "\n", &save);

    if (expiry == NULL)
        return;
    snprintf(t.node, sizeof(t.node), "%s", node);
    snprintf(t.queue_id, sizeof(t.queue_id), "%s", qid);
    snprintf(t.action, sizeof(t.action), "%s", action);
    t.expiry = (time_t)strtoll(expiry, NULL, 10);
    if (token_make(&key, &t, made, sizeof(made)) != 0)
        return;
    FUZZ_CHECK(token_verify(&key, made, t.expiry, &got) == TOKEN_OK &&
                   same_token(&t, &got),
               "made %s does not verify", made);
    check_fields(&got, t.expiry);
    if (t.expiry < (time_t)INT64_MAX)
        FUZZ_CHECK(token_verify(&key, made, t.expiry + 1, &got) == TOKEN_EXPIRED,
                   "made %s does not expire", made);
    FUZZ_CHECK(token_verify(&other_key, made, t.expiry, &got) == TOKEN_BAD_SIGNATURE,
               "made %s passes under another key", made);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const time_t now = 1700000000;
    char text[2 * TOKEN_MAX];
    struct token t;

    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    enum token_status s = token_verify(&key, text, now, &t);
    FUZZ_CHECK(s == TOKEN_MALFORMED || s == TOKEN_BAD_SIGNATURE || signed_with_key(text),
               "an unsigned token got status %d", (int)s);
    if (s == TOKEN_OK)
        check_fields(&t, now);
    FUZZ_CHECK(token_status_text(s) != NULL, "status text");
    if (strlen(text) < TOKEN_MAX)
        verify_signed(text, now);
    make_from_fields(text);
    return 0;
}
