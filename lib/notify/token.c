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

static bool valid_fields(const struct token *t)
{
    /* The node name as the config takes it (one DNS label: no '.', which splits). */
    return memchr(t->node, '\0', sizeof(t->node)) != NULL &&
           parse_node_name(t->node, NULL, 0) == 0 &&
           queueid_classify(t->queue_id) != QUEUEID_INVALID &&
           (strcmp(t->action, "release") == 0 || strcmp(t->action, "delete") == 0) &&
           t->expiry > 0;
}

/* base64url without padding of the HMAC of PAYLOAD into OUT. */
static void sign(const struct token_key *key, const char *payload, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    unsigned char b64[2 * EVP_MAX_MD_SIZE];

    HMAC(EVP_sha256(), key->bytes, (int)key->len, (const unsigned char *)payload,
         strlen(payload), mac, &maclen);
    int n = EVP_EncodeBlock(b64, mac, (int)maclen);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++)
        out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
    out[n] = '\0';
}

int token_make(const struct token_key *key, const struct token *t, char *out,
               size_t outlen)
{
    char payload[TOKEN_MAX], signature[64];
    if (!valid_fields(t))
        return -1;
    int n = snprintf(payload, sizeof(payload), "v1.%s.%s.%s.%lld", t->node, t->queue_id,
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
        strlen(part[2]) >= sizeof(parsed.queue_id) ||
        strlen(part[3]) >= sizeof(parsed.action))
        return TOKEN_MALFORMED;
    strcpy(parsed.node, part[1]);
    strcpy(parsed.queue_id, part[2]);
    strcpy(parsed.action, part[3]);
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
