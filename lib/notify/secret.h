/*
 * secret - a short secret kept at rest under the site's key file
 * (web_key_file, token.h): a sender's own zip password in the state
 * store.  AES-256-GCM (OpenSSL) under a key derived from the file's with
 * HKDF-SHA256 (info "sendwatch secret v1"), so the link-signing key is
 * never used as a cipher key itself; a fresh 96-bit nonce per secret.
 * Text form: "s1." and base64 (OpenSSL's) of nonce, ciphertext and tag -
 * no '=' padding problems, no control characters, safe in a record.
 *
 * A secret sealed under one key opens under that key only; a changed
 * byte anywhere is refused (the tag).  Thread-safe; never logs; the
 * plaintext is wiped from every buffer of ours.
 */
#ifndef SENDWATCH_SECRET_H
#define SENDWATCH_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "token.h"

#define SECRET_PLAIN_MAX 64  /* bytes of a secret at the most */
#define SECRET_TEXT_MAX  160 /* its sealed text, NUL included */

/*
 * Seals PLAIN (1 to SECRET_PLAIN_MAX bytes, NUL-terminated) into OUT
 * (OUTLEN >= SECRET_TEXT_MAX).  0, or -1 with ERR.
 */
int secret_seal(const struct token_key *key, const char *plain, char *out, size_t outlen,
                char *err, size_t errlen);

/*
 * Opens TEXT into OUT (OUTLEN > SECRET_PLAIN_MAX).  0, or -1 with ERR
 * ("not a sealed secret", "made with another key, or changed").
 */
int secret_open(const struct token_key *key, const char *text, char *out, size_t outlen,
                char *err, size_t errlen);

/* Whether TEXT has the form of a sealed secret (not whether it opens). */
bool secret_is_sealed(const char *text);

#endif
