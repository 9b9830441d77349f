/*
 * secret - a short secret kept at rest under the site's key file
 * (web_key_file, token.h): a sender's own zip password in the state
 * store.  AES-256-GCM (OpenSSL) under a key derived from the file's with
 * HKDF-SHA256 (info "sendwatch secret v1"): the link-signing key is never
 * a cipher key itself, and a process that only opens secrets (the milter)
 * keeps the derived key alone, never the one that signs links.  A fresh
 * 96-bit nonce per secret; the secret is bound to a context (the sender's
 * address, as additional authenticated data), so a sealed value copied to
 * another address does not open there.  Text form: "s1." and base64
 * (OpenSSL's, canonical: '=' only as its last one or two characters) of
 * nonce, ciphertext and tag - no control characters, safe in a record.
 *
 * A secret sealed under one key and context opens under those only; a
 * changed byte anywhere is refused (the tag).  Thread-safe; never logs;
 * the plaintext is wiped from every buffer of ours.
 */
#ifndef SENDWATCH_SECRET_H
#define SENDWATCH_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "token.h"

/* Bytes of a secret at the most: a zip password (64) or a password hint (100). */
#define SECRET_PLAIN_MAX 128
#define SECRET_TEXT_MAX  224 /* its sealed text, NUL included */

/* The cipher key, derived from the key file's (wipe it when done). */
struct secret_key {
    unsigned char bytes[32];
};

/* Derives the cipher key from FILE_KEY into OUT.  0, or -1 (OpenSSL failed). */
int secret_key_derive(const struct token_key *file_key, struct secret_key *out);

/*
 * Derives a key for another purpose, named by INFO (HKDF's info, e.g.
 * "sendwatch notice mark v1"), from FILE_KEY into OUT: each purpose gets a
 * key of its own, and none is the file's.  0, or -1 (OpenSSL failed).
 */
int secret_key_derive_for(const struct token_key *file_key, const char *info,
                          struct secret_key *out);

/*
 * Seals PLAIN (1 to SECRET_PLAIN_MAX bytes, NUL-terminated) for CONTEXT
 * (NUL-terminated, may be "") into OUT (OUTLEN >= SECRET_TEXT_MAX).  0, or
 * -1 with ERR.
 */
int secret_seal(const struct secret_key *key, const char *context, const char *plain,
                char *out, size_t outlen, char *err, size_t errlen);

/*
 * Opens TEXT, sealed for CONTEXT, into OUT (OUTLEN > SECRET_PLAIN_MAX).
 * 0, or -1 with ERR ("not a sealed secret", "made with another key or for
 * another address, or changed").
 */
int secret_open(const struct secret_key *key, const char *context, const char *text,
                char *out, size_t outlen, char *err, size_t errlen);

/* Whether TEXT has the form of a sealed secret (not whether it opens). */
bool secret_is_sealed(const char *text);

#endif
