/*
 * password - the password of one sealed zip: fresh from OpenSSL's CSPRNG
 * (RAND_bytes), drawn without bias (rejection sampling) from an alphabet
 * without the characters people misread when they copy a password from a
 * notice: no 0/O/o, 1/l/I, no symbols a mail client might wrap or quote.
 *
 * Thread-safe.  Nothing is logged: a password is never written anywhere
 * but the notice it is sent in.
 */
#ifndef SENDWATCH_PASSWORD_H
#define SENDWATCH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

/* Shortest and longest password_length allowed. */
#define PASSWORD_MIN 8
#define PASSWORD_MAX 64

/* The characters a password is made of (NUL-terminated). */
extern const char password_alphabet[];

/*
 * Writes a password of LEN characters (PASSWORD_MIN..PASSWORD_MAX) and a
 * NUL into OUT (LEN + 1 bytes).  Returns 0, or -1 when LEN is out of range
 * or the CSPRNG fails (then OUT holds "").
 */
int password_new(char *out, size_t len);

/*
 * Whether S may be a sender's own zip password: PASSWORD_MIN to
 * PASSWORD_MAX printable ASCII characters, no spaces - the bytes ZipCrypto
 * and every unzip tool agree on, whatever the locale.
 */
bool password_acceptable(const char *s);

/* Overwrites LEN bytes at P so that the compiler cannot drop it (OPENSSL_cleanse). */
void password_wipe(void *p, size_t len);

#endif
