/* notice_mark - see notice_mark.h. */
#include "notice_mark.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

#define RCPTS_MAX 1000

struct notice_mark_body {
    EVP_MD_CTX *md;
    size_t pending_lf; /* line ends held back: dropped if nothing follows */
    bool finished;
    unsigned char digest[32];
};

struct notice_mark_body *notice_mark_body_new(void)
{
    struct notice_mark_body *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->md = EVP_MD_CTX_new();
    if (b->md == NULL || EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1) {
        notice_mark_body_free(b);
        return NULL;
    }
    return b;
}

void notice_mark_body_free(struct notice_mark_body *b)
{
    if (b == NULL)
        return;
    EVP_MD_CTX_free(b->md);
    free(b);
}

int notice_mark_body_add(struct notice_mark_body *b, const void *data, size_t len)
{
    char lf[64];
    const char *p = data, *end = p + len;
    if (b->finished)
        return -1;
    memset(lf, '\n', sizeof(lf));
    while (p < end) {
        if (*p == '\r') {
            p++;
            continue;
        }
        if (*p == '\n') {
            b->pending_lf++;
            p++;
            continue;
        }
        /* A run of ordinary bytes: the held line ends first, then the run. */
        const char *run = p;
        while (p < end && *p != '\r' && *p != '\n')
            p++;
        for (; b->pending_lf > 0;) {
            size_t k = b->pending_lf < sizeof(lf) ? b->pending_lf : sizeof(lf);
            if (EVP_DigestUpdate(b->md, lf, k) != 1)
                return -1;
            b->pending_lf -= k;
        }
        if (EVP_DigestUpdate(b->md, run, (size_t)(p - run)) != 1)
            return -1;
    }
    return 0;
}

static int body_finish(struct notice_mark_body *b)
{
    if (b->finished)
        return 0;
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(b->md, b->digest, &n) != 1 || n != sizeof(b->digest))
        return -1;
    b->finished = true;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* S ASCII-lowercased and cut to 511 bytes (longer than any addr-spec), malloc'ed. */
static char *address_key(const char *s)
{
    size_t n = strnlen(s, 511);
    char *low = malloc(n + 1);
    if (low == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    low[n] = '\0';
    return low;
}

/* Adds S and a line end to the MAC. */
static int mac_add_line(EVP_MAC_CTX *mac, const char *s)
{
    return EVP_MAC_update(mac, (const unsigned char *)s, strlen(s)) == 1 &&
                   EVP_MAC_update(mac, (const unsigned char *)"\n", 1) == 1
               ? 0
               : -1;
}

/* The MAC of the recipients and body digest at WHEN into OUT (32 bytes). */
static int mark_mac(const struct secret_key *key, time_t when, const char *const *rcpts,
                    size_t n, const unsigned char digest[32], unsigned char out[32])
{
    if (n > RCPTS_MAX)
        return -1;
    /* Lowercased, then sorted: the order and case Postfix passes them in
     * do not matter. */
    char **sorted = calloc(n ? n : 1, sizeof(*sorted));
    EVP_MAC *hmac = NULL;
    EVP_MAC_CTX *mac = NULL;
    int rc = -1;
    if (sorted == NULL)
        goto done;
    for (size_t i = 0; i < n; i++)
        if ((sorted[i] = address_key(rcpts[i])) == NULL)
            goto done;
    qsort(sorted, n, sizeof(*sorted), cmp_str);
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    char head[64];
    int len =
        snprintf(head, sizeof(head), "sendwatch notice v1\n%lld\n", (long long)when);
    size_t outlen = 0;
    if (mac == NULL || EVP_MAC_init(mac, key->bytes, sizeof(key->bytes), params) != 1 ||
        EVP_MAC_update(mac, (unsigned char *)head, (size_t)len) != 1)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (mac_add_line(mac, sorted[i]) != 0)
            goto done;
    if (EVP_MAC_update(mac, digest, 32) == 1 &&
        EVP_MAC_final(mac, out, &outlen, 32) == 1 && outlen == 32)
        rc = 0;
done:
    EVP_MAC_CTX_free(mac);
    EVP_MAC_free(hmac);
    for (size_t i = 0; sorted != NULL && i < n; i++)
        free(sorted[i]);
    free(sorted);
    return rc;
}

int notice_mark_sign(const struct secret_key *key, time_t when, const char *const *rcpts,
                     size_t n, const char *body, size_t len, char *out)
{
    struct notice_mark_body *b = notice_mark_body_new();
    unsigned char mac[32];
    int rc = -1;
    if (b != NULL && notice_mark_body_add(b, body, len) == 0 && body_finish(b) == 0 &&
        mark_mac(key, when, rcpts, n, b->digest, mac) == 0) {
        char text[64];
        token_base64url(mac, sizeof(mac), text);
        snprintf(out, NOTICE_MARK_MAX, "v1 t=%lld mac=%s", (long long)when, text);
        rc = 0;
    }
    notice_mark_body_free(b);
    return rc;
}

enum notice_mark_check notice_mark_check(const struct secret_key *key, const char *value,
                                         time_t now, const char *const *rcpts, size_t n,
                                         struct notice_mark_body *body)
{
    while (*value == ' ' || *value == '\t')
        value++;
    long long when;
    char given[64];
    int used = 0;
    if (sscanf(value, "v1 t=%18lld mac=%63[A-Za-z0-9_-]%n", &when, given, &used) != 2 ||
        value[used + strspn(value + used, " \t\r\n")] != '\0' || strlen(given) != 43)
        return NOTICE_MARK_MALFORMED;
    if (when > (long long)now + NOTICE_MARK_SKEW ||
        when < (long long)now - NOTICE_MARK_MAX_AGE)
        return NOTICE_MARK_STALE;
    unsigned char mac[32];
    char expected[64];
    if (body_finish(body) != 0 ||
        mark_mac(key, (time_t)when, rcpts, n, body->digest, mac) != 0)
        return NOTICE_MARK_FORGED; /* cannot tell: never exempt */
    token_base64url(mac, sizeof(mac), expected);
    return CRYPTO_memcmp(expected, given, 43) == 0 ? NOTICE_MARK_GOOD
                                                   : NOTICE_MARK_FORGED;
}

const char *notice_mark_check_text(enum notice_mark_check c)
{
    switch (c) {
    case NOTICE_MARK_GOOD:
        return "good";
    case NOTICE_MARK_MALFORMED:
        return "malformed";
    case NOTICE_MARK_FORGED:
        return "forged or for another message";
    case NOTICE_MARK_STALE:
        return "stale";
    }
    return "?";
}
