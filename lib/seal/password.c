/* password - see password.h. */
#include "password.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

/* 56 characters: A-Z and a-z without I O l o, and 2-9. */
const char password_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
                                 "abcdefghijkmnpqrstuvwxyz"
                                 "23456789";

int password_new(char *out, size_t len)
{
    const size_t n = sizeof(password_alphabet) - 1;
    /* Bytes at or past the largest multiple of N would favour the first
     * characters: they are drawn again. */
    const unsigned limit = 256 - 256 % n;
    unsigned char random[64];
    size_t have = 0, used = 0;

    out[0] = '\0';
    if (len < PASSWORD_MIN || len > PASSWORD_MAX)
        return -1;
    for (size_t i = 0; i < len;) {
        if (used == have) {
            if (RAND_bytes(random, sizeof(random)) != 1) {
                OPENSSL_cleanse(out, len);
                out[0] = '\0';
                return -1;
            }
            have = sizeof(random);
            used = 0;
        }
        unsigned char r = random[used++];
        if (r < limit)
            out[i++] = password_alphabet[r % n];
    }
    out[len] = '\0';
    OPENSSL_cleanse(random, sizeof(random));
    return 0;
}

void password_wipe(void *p, size_t len)
{
    OPENSSL_cleanse(p, len);
}

bool password_acceptable(const char *s)
{
    size_t n = strlen(s);
    bool ok = n >= PASSWORD_MIN && n <= PASSWORD_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] > 0x20 && s[i] < 0x7f;
    return ok;
}
