/*
 * admins - the admin console's accounts (admins_file) and their roles.
 *
 * The file has one account per line, "NAME:ROLE:HASH", and "#" comments:
 *   NAME  letters, digits, '.', '_', '-' (1 to 64)
 *   ROLE  admin (everything, settings and admins too), operator (the held
 *         queue: list, release, delete, reschedule), auditor (the
 *         quarantine, read-only)
 *   HASH  $scrypt$ln=LOG2N,r=R,p=P$SALT$KEY, SALT and KEY base64: scrypt
 *         through OpenSSL's EVP_KDF, never the password itself.
 * It holds secrets: mode 0600, owned by root or run_user.  sendwatch-web
 * reads it as root before it drops privileges (and again, through its
 * root loader, when "sendwatch admin" changes it); "sendwatch admin"
 * rewrites it whole, atomically (a new file renamed over the old).
 *
 * Ownership: struct admins owns its entries (admins_free).  Checking a
 * password costs a scrypt run on purpose (about 16 MB, tens of ms), and
 * the same for a name that does not exist, so the time does not tell;
 * checks run one at a time (a burst of logins queues, its memory does not
 * add up).  Thread-safe.  Never logs.
 */
#ifndef SENDWATCH_ADMINS_H
#define SENDWATCH_ADMINS_H

#include <stdbool.h>
#include <stddef.h>

#include "files.h"

enum admin_role { ADMIN_ROLE_ADMIN, ADMIN_ROLE_OPERATOR, ADMIN_ROLE_AUDITOR };

#define ADMIN_NAME_MAX     64
#define ADMIN_HASH_MAX     160
#define ADMIN_PASSWORD_MIN 10 /* characters (bytes) a new password needs at least */
#define ADMIN_PASSWORD_MAX 1024

struct admin {
    char name[ADMIN_NAME_MAX + 1];
    enum admin_role role;
    char hash[ADMIN_HASH_MAX];
};

struct admins {
    struct admin *list;
    size_t n;
};

/* "admin", "operator", "auditor"; parse: false for anything else. */
const char *admin_role_name(enum admin_role role);
bool admin_role_parse(const char *name, enum admin_role *role);

/* Whether NAME is a usable account name. */
bool admin_name_valid(const char *name);

/*
 * Parses the file's TEXT (LEN bytes; PATH for messages) into *OUT (empty
 * first).  0, or -1 with ERR ("PATH:LINE: why").
 */
int admins_parse(const char *text, size_t len, const char *path, struct admins *out,
                 char *err, size_t errlen);

/*
 * Reads PATH through FS (files.h: as root, guarded) and parses it.  A file
 * that others may read, or that a user other than root or OWNER owns, is
 * refused.  A missing file is an empty list (no admin can log in yet):
 * *MISSING says so when not NULL.  0, or -1 with ERR.
 */
int admins_load(struct files *fs, const char *path, unsigned owner, struct admins *out,
                bool *missing, char *err, size_t errlen);

void admins_free(struct admins *a);

/* NAME's account, or NULL. */
const struct admin *admins_find(const struct admins *a, const char *name);

/* A new scrypt hash of PASSWORD (fresh salt) into OUT (ADMIN_HASH_MAX).  0, or -1. */
int admin_hash_password(const char *password, char *out, size_t outlen, char *err,
                        size_t errlen);

/*
 * Whether PASSWORD matches HASH (compared in constant time).  A NULL
 * HASH (no such account) runs the same work against a dummy and is false.
 */
bool admin_password_matches(const char *hash, const char *password);

/*
 * Writes A to PATH as the file above: a new file beside it (mode 0600,
 * O_EXCL|O_NOFOLLOW), synced, renamed over PATH.  0, or -1 with ERR.
 */
int admins_write(const char *path, const struct admins *a, char *err, size_t errlen);

/* Adds or replaces NAME in A (copies the strings).  0, or -1 when out of memory. */
int admins_set(struct admins *a, const char *name, enum admin_role role,
               const char *hash);

/* Removes NAME from A; false when it was not there. */
bool admins_remove(struct admins *a, const char *name);

#endif
