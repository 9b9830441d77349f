/*
 * token - the signed links in notices ("send now", "delete").
 *
 * A token says which message (queue ID), what to do with it (action),
 * which node holds it, and until when the link works, and carries an
 * HMAC-SHA256 over all of that under the key in web_key_file:
 *   v1.NODE.QUEUE_ID.ACTION.EXPIRY.SIGNATURE
 * (EXPIRY in seconds since the epoch, SIGNATURE base64url without
 * padding).  Every part is from a restricted alphabet, so a token needs no
 * escaping in a URL: NODE is what parse_node_name() accepts - exactly the
 * config's node_name -, QUEUE_ID what queueid_classify() accepts.
 * Verification recomputes the HMAC and compares it in constant time
 * before it believes any field.  The key file must be
 * readable by its owner only (0600 or stricter): anyone who reads it can
 * release or delete mail.
 */
#ifndef SENDWATCH_TOKEN_H
#define SENDWATCH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "parse.h"

/* The link's path below web_base_url: /n/NODE/hold/TOKEN, /n/NODE/me/TOKEN. */
#define TOKEN_KEY_MIN 32 /* bytes of key at the least */
#define TOKEN_KEY_MAX 128
#define TOKEN_MAX     512 /* room for a token with its NUL */

struct token_key {
    unsigned char bytes[TOKEN_KEY_MAX];
    size_t len;
};

/*
 * Reads the key (hex) from PATH, refusing a file that others could read.
 * 0, or -1 with ERR.
 */
int token_key_load(const char *path, struct token_key *key, char *err, size_t errlen);

/* The same, and the file must belong to root or to OWNER (run_user). */
int token_key_load_owned(const char *path, uid_t owner, struct token_key *key, char *err,
                         size_t errlen);

/*
 * Writes a new random key (hex, TOKEN_KEY_MIN bytes) to PATH, mode 0600,
 * created exclusively (an existing key is never overwritten).  0, or -1
 * with ERR.
 */
int token_key_create(const char *path, char *err, size_t errlen);

/*
 * The actions: "release" and "delete" act on one held message (QUEUE_ID);
 * "signin" (a one-time sign-in link mailed on request) and "center" (the
 * filter center link in notices) open a user's own pages (ADDRESS, which
 * goes into the token as base64url, so it needs no escaping either).
 */
struct token {
    char node[PARSE_NODE_NAME_MAX + 1]; /* parse_node_name(): the config's node_name */
    char queue_id[64];                  /* release, delete; "" otherwise */
    char action[16];                    /* "release", "delete", "signin", "center" */
    time_t expiry;
    char address[256]; /* signin, center: the user (parse_addr_spec); "" otherwise */
};

/* Whether ACTION is one of a user's own (signin, center) rather than a message's. */
bool token_action_is_user(const char *action);

/* Makes the token for T into OUT (TOKEN_MAX bytes).  0, or -1 on bad fields. */
int token_make(const struct token_key *key, const struct token *t, char *out,
               size_t outlen);

enum token_status {
    TOKEN_OK,
    TOKEN_MALFORMED,     /* not a token at all */
    TOKEN_BAD_SIGNATURE, /* changed, or signed with another key */
    TOKEN_EXPIRED,
};

/* Checks TEXT at time NOW; on TOKEN_OK fills *T. */
enum token_status token_verify(const struct token_key *key, const char *text, time_t now,
                               struct token *t);

const char *token_status_text(enum token_status s);

/*
 * LEN bytes of IN (at most TOKEN_MAX) as base64url without padding, the
 * alphabet of tokens, into OUT (room for 4/3 LEN + 4).
 */
void token_base64url(const unsigned char *in, size_t len, char *out);

#endif
