/* secret - see secret.h. */
#include "secret.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <string.h>

#include "errbuf.h"

#define SECRET_PREFIX "s1."
#define NONCE_LEN     12
#define TAG_LEN       16
#define RAW_MAX       (NONCE_LEN + SECRET_PLAIN_MAX + TAG_LEN)

int secret_key_derive(const struct token_key *key, struct secret_key *derived)
{
    return secret_key_derive_for(key, "sendwatch secret v1", derived);
}

int secret_key_derive_for(const struct token_key *key, const char *info,
                          struct secret_key *derived)
{
    unsigned char *out = derived->bytes;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key->bytes,
                                          key->len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                          strlen(info)),
        OSSL_PARAM_construct_end(),
    };
    int rc = ctx != NULL && EVP_KDF_derive(ctx, out, 32, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rc;
}

bool secret_is_sealed(const char *text)
{
    size_t n = strlen(text), prefix = sizeof(SECRET_PREFIX) - 1;
    if (n <= prefix || n >= SECRET_TEXT_MAX ||
        strncmp(text, SECRET_PREFIX, prefix) != 0 || (n - prefix) % 4 != 0)
        return false;
    /* Canonical base64: '=' only as the last one or two characters. */
    size_t pad = 0;
    while (pad < 3 && n - pad > prefix && text[n - pad - 1] == '=')
        pad++;
    if (pad > 2)
        return false;
    for (const char *c = text + prefix; c < text + n - pad; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
              (*c >= '0' && *c <= '9') || *c == '+' || *c == '/'))
            return false;
    return true;
}

int secret_seal(const struct secret_key *key, const char *context, const char *plain,
                char *out, size_t outlen, char *err, size_t errlen)
{
    size_t n = strlen(plain);
    unsigned char raw[RAW_MAX];
    int len = 0, fin = 0, aad = 0, rc = -1;
    EVP_CIPHER_CTX *c = NULL;

    if (n == 0 || n > SECRET_PLAIN_MAX || outlen < SECRET_TEXT_MAX) {
        errbuf_set(err, errlen, "a secret is 1 to %d bytes", SECRET_PLAIN_MAX);
        return -1;
    }
    if (RAND_bytes(raw, NONCE_LEN) != 1 || (c = EVP_CIPHER_CTX_new()) == NULL ||
        EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key->bytes, raw) != 1 ||
        EVP_EncryptUpdate(c, NULL, &aad, (const unsigned char *)context,
                          (int)strlen(context)) != 1 ||
        EVP_EncryptUpdate(c, raw + NONCE_LEN, &len, (const unsigned char *)plain,
                          (int)n) != 1 ||
        EVP_EncryptFinal_ex(c, raw + NONCE_LEN + len, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
                            raw + NONCE_LEN + len + fin) != 1) {
        errbuf_set(err, errlen, "cannot seal the secret (OpenSSL)");
        goto done;
    }
    size_t total = NONCE_LEN + (size_t)len + (size_t)fin + TAG_LEN;
    memcpy(out, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1);
    EVP_EncodeBlock((unsigned char *)out + sizeof(SECRET_PREFIX) - 1, raw, (int)total);
    rc = 0;
done:
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(raw, sizeof(raw));
    return rc;
}

int secret_open(const struct secret_key *key, const char *context, const char *text,
                char *out, size_t outlen, char *err, size_t errlen)
{
    unsigned char raw[RAW_MAX + 4], plain[SECRET_PLAIN_MAX + 16];
    int len = 0, fin = 0, aad = 0, rc = -1;
    EVP_CIPHER_CTX *c = NULL;

    if (!secret_is_sealed(text) || outlen <= SECRET_PLAIN_MAX) {
        errbuf_set(err, errlen, "not a sealed secret");
        return -1;
    }
    const char *b64 = text + sizeof(SECRET_PREFIX) - 1;
    size_t b64len = strlen(b64);
    if (b64len / 4 * 3 > sizeof(raw)) {
        errbuf_set(err, errlen, "not a sealed secret");
        return -1;
    }
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64len);
    /* EVP_DecodeBlock counts the padding's zero bytes: take them off. */
    for (size_t i = b64len; n > 0 && i > 0 && b64[i - 1] == '='; i--)
        n--;
    if (n < NONCE_LEN + 1 + TAG_LEN || n > RAW_MAX) {
        errbuf_set(err, errlen, "not a sealed secret");
        goto done;
    }
    int ctlen = n - NONCE_LEN - TAG_LEN;
    if ((c = EVP_CIPHER_CTX_new()) == NULL ||
        EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key->bytes, raw) != 1 ||
        EVP_DecryptUpdate(c, NULL, &aad, (const unsigned char *)context,
                          (int)strlen(context)) != 1 ||
        EVP_DecryptUpdate(c, plain, &len, raw + NONCE_LEN, ctlen) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, raw + NONCE_LEN + ctlen) !=
            1 ||
        EVP_DecryptFinal_ex(c, plain + len, &fin) != 1) {
        errbuf_set(err, errlen,
                   "made with another key or for another address, or changed");
        goto done;
    }
    size_t plen = (size_t)len + (size_t)fin;
    if (plen == 0 || plen > SECRET_PLAIN_MAX || memchr(plain, '\0', plen) != NULL) {
        errbuf_set(err, errlen, "not a sealed secret");
        goto done;
    }
    memcpy(out, plain, plen);
    out[plen] = '\0';
    rc = 0;
done:
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(plain, sizeof(plain));
    return rc;
}
