/* admins - see admins.h. */
#include "admins.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "fdio.h"

/* The cost of a new hash: N = 2^14, r = 8, p = 1 (16 MB, tens of ms). */
#define SCRYPT_LOG2N 14
#define SCRYPT_R     8
#define SCRYPT_P     1
#define SALT_LEN     16
#define KEY_LEN      32

static const char *const role_names[] = {"admin", "operator", "auditor"};

const char *admin_role_name(enum admin_role role)
{
    return (unsigned)role < 3 ? role_names[role] : "?";
}

bool admin_role_parse(const char *name, enum admin_role *role)
{
    for (unsigned i = 0; name != NULL && i < 3; i++)
        if (strcmp(name, role_names[i]) == 0) {
            *role = (enum admin_role)i;
            return true;
        }
    return false;
}

bool admin_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > ADMIN_NAME_MAX || name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || strchr("._-", name[i])))
            return false;
    return true;
}

/* scrypt of PASSWORD with SALT at the cost given into KEY.  0, or -1. */
static int scrypt(const char *password, const unsigned char *salt, size_t saltlen,
                  unsigned log2n, unsigned r, unsigned p, unsigned char *key,
                  size_t keylen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    uint64_t n = (uint64_t)1 << log2n;
    uint32_t rr = r, pp = p;
    uint64_t maxmem = (uint64_t)128 * r * (n + p + 2) + (1u << 20);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
                                          strlen(password)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &rr),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &pp),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    int rc = ctx != NULL && EVP_KDF_derive(ctx, key, keylen, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rc;
}

int admin_hash_password(const char *password, char *out, size_t outlen, char *err,
                        size_t errlen)
{
    unsigned char salt[SALT_LEN], key[KEY_LEN];
    unsigned char salt64[4 * SALT_LEN / 3 + 4], key64[4 * KEY_LEN / 3 + 4];
    if (RAND_bytes(salt, sizeof(salt)) != 1 ||
        scrypt(password, salt, sizeof(salt), SCRYPT_LOG2N, SCRYPT_R, SCRYPT_P, key,
               sizeof(key)) != 0) {
        errbuf_set(err, errlen, "cannot hash the password (OpenSSL scrypt)");
        return -1;
    }
    EVP_EncodeBlock(salt64, salt, sizeof(salt));
    EVP_EncodeBlock(key64, key, sizeof(key));
    OPENSSL_cleanse(key, sizeof(key));
    int n = snprintf(out, outlen, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", SCRYPT_LOG2N, SCRYPT_R,
                     SCRYPT_P, salt64, key64);
    if (n < 0 || (size_t)n >= outlen) {
        errbuf_set(err, errlen, "the hash does not fit");
        return -1;
    }
    return 0;
}

/* Decodes standard base64 TEXT (with padding) into OUT; its length, or -1. */
static int unbase64(const char *text, size_t n, unsigned char *out, size_t outlen)
{
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > outlen)
        return -1;
    int got = EVP_DecodeBlock(out, (const unsigned char *)text, (int)n);
    if (got < 0)
        return -1;
    for (size_t i = n; i > 0 && text[i - 1] == '='; i--)
        got--;
    return got;
}

/* Splits HASH into its cost, salt and key; false when it is not ours. */
static bool parse_hash(const char *hash, unsigned *log2n, unsigned *r, unsigned *p,
                       unsigned char *salt, size_t *saltlen, unsigned char *key,
                       size_t *keylen)
{
    int used = 0;
    if (sscanf(hash, "$scrypt$ln=%u,r=%u,p=%u$%n", log2n, r, p, &used) != 3 || used == 0)
        return false;
    if (*log2n < 10 || *log2n > 20 || *r < 1 || *r > 32 || *p < 1 || *p > 16)
        return false;
    const char *s = hash + used, *dollar = strchr(s, '$');
    if (dollar == NULL)
        return false;
    int sl = unbase64(s, (size_t)(dollar - s), salt, *saltlen);
    int kl = unbase64(dollar + 1, strlen(dollar + 1), key, *keylen);
    if (sl < 8 || kl < 16)
        return false;
    *saltlen = (size_t)sl;
    *keylen = (size_t)kl;
    return true;
}

/*
 * One check at a time: each takes a 16 MB scrypt buffer, and logins are
 * rare - a burst of them waits here instead of multiplying the memory.
 */
static pthread_mutex_t scrypt_lock = PTHREAD_MUTEX_INITIALIZER;

bool admin_password_matches(const char *hash, const char *password)
{
    unsigned log2n, r, p;
    unsigned char salt[64], want[64], got[64];
    size_t saltlen = sizeof(salt), keylen = sizeof(want);
    bool real =
        hash != NULL && parse_hash(hash, &log2n, &r, &p, salt, &saltlen, want, &keylen);
    if (!real) {
        /* The same work for a name that does not exist (or a damaged line). */
        log2n = SCRYPT_LOG2N, r = SCRYPT_R, p = SCRYPT_P;
        saltlen = SALT_LEN, keylen = KEY_LEN;
        memset(salt, 0x5a, saltlen);
        memset(want, 0, keylen);
    }
    pthread_mutex_lock(&scrypt_lock);
    bool match = scrypt(password, salt, saltlen, log2n, r, p, got, keylen) == 0 &&
                 CRYPTO_memcmp(got, want, keylen) == 0;
    pthread_mutex_unlock(&scrypt_lock);
    OPENSSL_cleanse(got, sizeof(got));
    return real && match;
}

int admins_set(struct admins *a, const char *name, enum admin_role role, const char *hash)
{
    struct admin *e = (struct admin *)admins_find(a, name);
    if (e == NULL) {
        struct admin *grown = realloc(a->list, (a->n + 1) * sizeof(*grown));
        if (grown == NULL)
            return -1;
        a->list = grown;
        e = &a->list[a->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->name, sizeof(e->name), "%s", name);
    }
    e->role = role;
    snprintf(e->hash, sizeof(e->hash), "%s", hash);
    return 0;
}

bool admins_remove(struct admins *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->list[i].name, name) == 0) {
            OPENSSL_cleanse(&a->list[i], sizeof(a->list[i]));
            memmove(&a->list[i], &a->list[i + 1], (a->n - i - 1) * sizeof(a->list[0]));
            a->n--;
            return true;
        }
    return false;
}

const struct admin *admins_find(const struct admins *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->list[i].name, name) == 0)
            return &a->list[i];
    return NULL;
}

void admins_free(struct admins *a)
{
    if (a->list != NULL)
        OPENSSL_cleanse(a->list, a->n * sizeof(a->list[0]));
    free(a->list);
    a->list = NULL;
    a->n = 0;
}

int admins_parse(const char *text, size_t len, const char *path, struct admins *out,
                 char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    size_t lineno = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char line[512];
        lineno++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n >= sizeof(line)) {
            errbuf_set(err, errlen, "%s:%zu: line too long", path, lineno);
            goto bad;
        }
        memcpy(line, p, n);
        line[n] = '\0';
        p = nl ? nl + 1 : end;
        if (line[0] == '\0' || line[0] == '#')
            continue;
        char *role = strchr(line, ':'), *hash = role ? strchr(role + 1, ':') : NULL;
        if (hash == NULL) {
            errbuf_set(err, errlen, "%s:%zu: expected NAME:ROLE:HASH", path, lineno);
            goto bad;
        }
        *role++ = '\0';
        *hash++ = '\0';
        enum admin_role r;
        unsigned l2, rr, pp;
        unsigned char salt[64], key[64];
        size_t sl = sizeof(salt), kl = sizeof(key);
        if (!admin_name_valid(line)) {
            errbuf_set(err, errlen, "%s:%zu: bad account name", path, lineno);
            goto bad;
        }
        if (!admin_role_parse(role, &r)) {
            errbuf_set(err, errlen,
                       "%s:%zu: %s: unknown role (expected admin, operator or auditor)",
                       path, lineno, line);
            goto bad;
        }
        if (strlen(hash) >= ADMIN_HASH_MAX ||
            !parse_hash(hash, &l2, &rr, &pp, salt, &sl, key, &kl)) {
            errbuf_set(err, errlen,
                       "%s:%zu: %s: not a scrypt hash (set it with \"sendwatch admin "
                       "passwd\")",
                       path, lineno, line);
            goto bad;
        }
        if (admins_find(out, line) != NULL) {
            errbuf_set(err, errlen, "%s:%zu: %s is listed twice", path, lineno, line);
            goto bad;
        }
        if (admins_set(out, line, r, hash) != 0) {
            errbuf_set(err, errlen, "out of memory");
            goto bad;
        }
    }
    return 0;
bad:
    admins_free(out);
    return -1;
}

int admins_load(struct files *fs, const char *path, unsigned owner, struct admins *out,
                bool *missing, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (missing != NULL)
        *missing = false;
    struct stat st;
    if (!files_sealed(fs)) {
        if (lstat(path, &st) != 0) {
            if (errno == ENOENT) {
                if (missing != NULL)
                    *missing = true;
                return 0;
            }
            errbuf_set(err, errlen, "admins_file %s: %s", path, strerror(errno));
            return -1;
        }
        if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
            (st.st_uid != 0 && st.st_uid != owner)) {
            errbuf_set(err, errlen,
                       "admins_file %s: must be a regular file of root or run_user that "
                       "only its owner can read (chmod 600)",
                       path);
            return -1;
        }
    }
    const char *data;
    size_t len;
    char why[512];
    if (files_read(fs, path, &data, &len, why, sizeof(why)) != 0) {
        errbuf_set(err, errlen, "admins_file: %s", why);
        return -1;
    }
    return admins_parse(data, len, path, out, err, errlen);
}

int admins_write(const char *path, const struct admins *a, char *err, size_t errlen)
{
    char tmp[1100];
    snprintf(tmp, sizeof(tmp), "%s.new.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        errbuf_set(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    static const char head[] =
        "# sendwatch admins: NAME:ROLE:HASH (see sendwatch(8), \"sendwatch admin\")\n";
    int rc = fdio_write_all(fd, head, sizeof(head) - 1);
    for (size_t i = 0; rc == 0 && i < a->n; i++) {
        char line[ADMIN_NAME_MAX + ADMIN_HASH_MAX + 32];
        int n = snprintf(line, sizeof(line), "%s:%s:%s\n", a->list[i].name,
                         admin_role_name(a->list[i].role), a->list[i].hash);
        rc = fdio_write_all(fd, line, (size_t)n);
    }
    if (rc == 0)
        rc = fsync(fd);
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return rc;
}
