/* token - see token.h. */
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "fdio.h"
#include "parse.h"
#include "queueid.h"

int token_key_load(const char *path, struct token_key *key, char *err, size_t errlen)
{
    return token_key_load_owned(path, geteuid(), key, err, errlen);
}

int token_key_load_owned(const char *path, uid_t owner, struct token_key *key, char *err,
                         size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    char text[2 * TOKEN_KEY_MAX + 8];

    if (fd < 0) {
        errbuf_set(err, errlen, "web_key_file %s: %s%s", path, strerror(errno),
                   errno == ENOENT ? " (make one with \"sendwatch key new\")" : "");
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        close(fd);
        errbuf_set(err, errlen,
                   "web_key_file %s: must be a regular file that only its owner can read "
                   "(chmod 600)",
                   path);
        return -1;
    }
    if (st.st_uid != 0 && st.st_uid != owner) {
        close(fd);
        errbuf_set(
            err, errlen,
            "web_key_file %s: owned by uid %ld; it must belong to root or run_user", path,
            (long)st.st_uid);
        return -1;
    }
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0) {
        errbuf_set(err, errlen, "web_key_file %s: %s", path, strerror(errno));
        return -1;
    }
    text[n] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
    long len = 0;
    unsigned char *bytes = OPENSSL_hexstr2buf(text, &len);
    OPENSSL_cleanse(text, sizeof(text));
    if (bytes == NULL || len < TOKEN_KEY_MIN || len > TOKEN_KEY_MAX) {
        OPENSSL_free(bytes);
        errbuf_set(err, errlen,
                   "web_key_file %s: expected %d to %d bytes in hex (make one with "
                   "\"sendwatch key new\")",
                   path, TOKEN_KEY_MIN, TOKEN_KEY_MAX);
        return -1;
    }
    memcpy(key->bytes, bytes, (size_t)len);
    key->len = (size_t)len;
    OPENSSL_clear_free(bytes, (size_t)len);
    return 0;
}

int token_key_create(const char *path, char *err, size_t errlen)
{
    unsigned char bytes[TOKEN_KEY_MIN];
    char hex[2 * TOKEN_KEY_MIN + 2];
    static const char digits[] = "0123456789abcdef";

    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
        errbuf_set(err, errlen, "no random bytes from OpenSSL");
        return -1;
    }
    for (size_t i = 0; i < sizeof(bytes); i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * sizeof(bytes)] = '\n';
    OPENSSL_cleanse(bytes, sizeof(bytes));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc =
        fdio_write_all(fd, hex, 2 * sizeof(bytes) + 1) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (rc != 0)
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    close(fd);
    OPENSSL_cleanse(hex, sizeof(hex));
    return rc;
}

bool token_action_is_user(const char *action)
{
    return strcmp(action, "signin") == 0 || strcmp(action, "center") == 0;
}

static bool valid_fields(const struct token *t)
{
    /* The node name as the config takes it (one DNS label: no '.', which splits). */
    if (memchr(t->node, '\0', sizeof(t->node)) == NULL ||
        parse_node_name(t->node, NULL, 0) != 0 || t->expiry <= 0 ||
        memchr(t->address, '\0', sizeof(t->address)) == NULL)
        return false;
    if (token_action_is_user(t->action))
        return t->queue_id[0] == '\0' && parse_addr_spec(t->address, 0, NULL, 0) == 0;
    return queueid_classify(t->queue_id) != QUEUEID_INVALID && t->address[0] == '\0' &&
           (strcmp(t->action, "release") == 0 || strcmp(t->action, "delete") == 0);
}

void token_base64url(const unsigned char *in, size_t len, char *out)
{
    unsigned char b64[4 * TOKEN_MAX / 3 + 8];
    int n = EVP_EncodeBlock(b64, in, (int)len);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++)
        out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
    out[n] = '\0';
}

/* Decodes base64url without padding TEXT into OUT (LEN bytes, NUL-terminated). */
static bool unbase64url(const char *text, char *out, size_t len)
{
    size_t n = strlen(text);
    unsigned char b64[TOKEN_MAX + 4], raw[TOKEN_MAX];
    if (n == 0 || n % 4 == 1 || n + 3 >= sizeof(b64))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
        b64[i] = c == '-' ? '+' : c == '_' ? '/' : (unsigned char)c;
    }
    size_t pad = (4 - n % 4) % 4;
    memset(b64 + n, '=', pad);
    int got = EVP_DecodeBlock(raw, b64, (int)(n + pad));
    if (got < 0)
        return false;
    got -= (int)pad; /* EVP_DecodeBlock counts the padding as zero bytes */
    if (got <= 0 || (size_t)got >= len || memchr(raw, '\0', (size_t)got) != NULL)
        return false;
    memcpy(out, raw, (size_t)got);
    out[got] = '\0';
    return true;
}

/* base64url without padding of the HMAC of PAYLOAD into OUT. */
static void sign(const struct token_key *key, const char *payload, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;

    HMAC(EVP_sha256(), key->bytes, (int)key->len, (const unsigned char *)payload,
         strlen(payload), mac, &maclen);
    token_base64url(mac, maclen, out);
}

int token_make(const struct token_key *key, const struct token *t, char *out,
               size_t outlen)
{
    char payload[TOKEN_MAX], signature[64];
    if (!valid_fields(t))
        return -1;
    char subject[4 * sizeof(t->address) / 3 + 4];
    if (token_action_is_user(t->action))
        token_base64url((const unsigned char *)t->address, strlen(t->address), subject);
    else
        snprintf(subject, sizeof(subject), "%s", t->queue_id);
    int n = snprintf(payload, sizeof(payload), "v1.%s.%s.%s.%lld", t->node, subject,
                     t->action, (long long)t->expiry);
    if (n < 0 || (size_t)n >= sizeof(payload))
        return -1;
    sign(key, payload, signature);
    n = snprintf(out, outlen, "%s.%s", payload, signature);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

enum token_status token_verify(const struct token_key *key, const char *text, time_t now,
                               struct token *t)
{
    char copy[TOKEN_MAX], expected[64];
    if (strlen(text) >= sizeof(copy))
        return TOKEN_MALFORMED;
    strcpy(copy, text);
    char *dot = strrchr(copy, '.');
    if (dot == NULL || strncmp(copy, "v1.", 3) != 0)
        return TOKEN_MALFORMED;
    *dot = '\0';
    const char *signature = dot + 1;
    /* The signature first: no field is believed before it checks out. */
    sign(key, copy, expected);
    if (strlen(signature) != strlen(expected) ||
        CRYPTO_memcmp(signature, expected, strlen(expected)) != 0)
        return TOKEN_BAD_SIGNATURE;
    struct token parsed = {0};
    char *save = NULL, *part[5];
    int n = 0;
    for (char *p = strtok_r(copy, ".", &save); p && n < 5; p = strtok_r(NULL, ".", &save))
        part[n++] = p;
    if (n != 5 || strtok_r(NULL, ".", &save) != NULL ||
        strlen(part[1]) >= sizeof(parsed.node) ||
        strlen(part[3]) >= sizeof(parsed.action))
        return TOKEN_MALFORMED;
    strcpy(parsed.node, part[1]);
    strcpy(parsed.action, part[3]);
    if (token_action_is_user(parsed.action)) {
        if (!unbase64url(part[2], parsed.address, sizeof(parsed.address)))
            return TOKEN_MALFORMED;
    } else {
        if (strlen(part[2]) >= sizeof(parsed.queue_id))
            return TOKEN_MALFORMED;
        strcpy(parsed.queue_id, part[2]);
    }
    char *end;
    errno = 0;
    parsed.expiry = (time_t)strtoll(part[4], &end, 10);
    if (errno != 0 || *end != '\0' || !valid_fields(&parsed))
        return TOKEN_MALFORMED;
    if (now > parsed.expiry)
        return TOKEN_EXPIRED;
    *t = parsed;
    return TOKEN_OK;
}

const char *token_status_text(enum token_status s)
{
    switch (s) {
    case TOKEN_OK:
        return "valid";
    case TOKEN_MALFORMED:
        return "not a sendwatch token";
    case TOKEN_BAD_SIGNATURE:
        return "bad signature (changed, or made with another key)";
    case TOKEN_EXPIRED:
        return "expired";
    }
    return "?";
}
