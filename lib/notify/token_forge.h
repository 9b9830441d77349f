/*
 * token_forge - for tests and fuzzing only: signs any payload the way
 * token.c signs a token (HMAC-SHA256 under the key, base64url without
 * padding), as a forger who holds the key would.  token_verify() must still
 * check every field of such a token.  Written apart from token.c on purpose,
 * so that a test of token.c does not trust token.c's own signer.  Not
 * linked into any program.
 */
#ifndef SENDWATCH_TOKEN_FORGE_H
#define SENDWATCH_TOKEN_FORGE_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "token.h"

/* "PAYLOAD.SIGNATURE" into OUT (OUTLEN bytes, truncated when short). */
static inline void token_forge(const struct token_key *key, const char *payload,
                               char *out, size_t outlen)
{
    unsigned char mac[EVP_MAX_MD_SIZE], b64[2 * EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;

    HMAC(EVP_sha256(), key->bytes, (int)key->len, (const unsigned char *)payload,
         strlen(payload), mac, &maclen);
    int n = EVP_EncodeBlock(b64, mac, (int)maclen);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++)
        if (b64[i] == '+')
            b64[i] = '-';
        else if (b64[i] == '/')
            b64[i] = '_';
    snprintf(out, outlen, "%s.%.*s", payload, n, (const char *)b64);
}

#endif
