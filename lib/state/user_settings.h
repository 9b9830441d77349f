/*
 * user_settings - a sender's own settings, where the admin allows them
 * (user_settings_allowed = yes), and the owner of their records.
 *
 * Kept in LMDB ("users", keyed by the lower-case address) as a record
 * (record module) with any of: hold_enable (yes|no), hold_minutes (1-60),
 * encrypt_enable (yes|no: the sender's encrypt_attachments),
 * password_notice_to (sender|recipients|both), zip_password (sealed, see
 * secret.h), zip_password_hint (1 to 100 bytes of text) and language
 * (ja|en: the notices the user gets, and the web's pages).
 * Only this module reads or writes those records: callers see a struct
 * user_settings.  A setting a user has not made falls back to the admin's.
 * The admin's hold_scope and the rules' hold actions always apply.
 *
 * Robustness: a record of another record version (a newer sendwatch wrote
 * it) or without its v= line (damaged) is not read: get reports it and
 * returns no settings, foreach skips and counts it; put refuses to
 * overwrite one of another version and replaces a damaged one.  A stored
 * value this version refuses (edited by hand) is ignored, that setting
 * falling back to the admin's, and reported in the ignored mask.  Fields
 * this version does not know are kept by put.
 *
 * Ownership: struct user_settings is a plain value (it points to
 * nothing); addresses are borrowed, and the one handed to a foreach
 * callback is valid during that call only.  Thread-safe (so is the store).
 * Never logs: errors are a return value and one line in the caller's ERR.
 */
#ifndef SENDWATCH_USER_SETTINGS_H
#define SENDWATCH_USER_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "store.h"

/* The settings, as bits of a mask (the order "sendwatch user show" lists them in). */
enum user_setting {
    USER_SETTING_HOLD_ENABLE = 1u << 0,
    USER_SETTING_HOLD_MINUTES = 1u << 1,
    USER_SETTING_ENCRYPT_ENABLE = 1u << 2,
    USER_SETTING_PASSWORD_NOTICE_TO = 1u << 3,
    USER_SETTING_ZIP_PASSWORD = 1u << 4,
    USER_SETTING_ZIP_PASSWORD_HINT = 1u << 5,
    USER_SETTING_LANGUAGE = 1u << 6, /* of the notices to the user and of the web */
};
#define USER_SETTINGS_ALL 0x7fu

/* The longest value of a setting, NUL included (a sealed zip password). */
#define USER_SETTING_VALUE_MAX 160

/* A sender's own settings. */
struct user_settings {
    unsigned set;     /* the USER_SETTING_* the user has made; the rest are the admin's */
    bool hold_enable; /* when set has USER_SETTING_HOLD_ENABLE */
    unsigned hold_minutes;       /* 1-60, when set has USER_SETTING_HOLD_MINUTES */
    bool encrypt_enable;         /* when set has USER_SETTING_ENCRYPT_ENABLE */
    char password_notice_to[12]; /* "sender", "recipients", "both" (..._NOTICE_TO) */
    /* The sender's own zip password, sealed under the key file for this
     * address (secret.h: "s1." and base64; "sendwatch user password" seals
     * it - a sealed value set by hand opens for its own address only), and
     * the hint the password notice carries instead of it. */
    char zip_password[USER_SETTING_VALUE_MAX];
    char zip_password_hint[104];
    char language[3]; /* "ja" or "en" (USER_SETTING_LANGUAGE) */
    /* What get and foreach could not read (put ignores both): */
    unsigned ignored; /* USER_SETTING_* stored with a value refused (edited by hand) */
    bool unreadable;  /* get: the stored record is of another version or damaged */
};

/*
 * ADDRESS's settings into *OUT: 1 when a record was found (OUT may still
 * have none set: see ignored and unreadable), 0 when the user has made
 * none (also for an address that cannot have settings: "" or no '@'), -1
 * with ERR (a store error: the caller fails closed).
 */
int user_settings_get(struct store *st, const char *address, struct user_settings *out,
                      char *err, size_t errlen);

/*
 * Changes the settings of ADDRESS named in WHICH (USER_SETTING_* bits) to
 * those of S: one set in S->set is written, one not set is removed (back
 * to the admin's).  Settings not in WHICH stay as stored.  Every value
 * written is checked by user_settings_check() first: one refused, nothing
 * is written.  Read and write are one transaction.  0, or -1 with ERR (not
 * a mail address, a value refused, a stored record of another version, a
 * store error).
 */
int user_settings_put(struct store *st, const char *address,
                      const struct user_settings *s, unsigned which, char *err,
                      size_t errlen);

/* The same in the caller's transaction T (with its audit line); the caller commits. */
int user_settings_put_in(struct store_txn *t, const char *address,
                         const struct user_settings *s, unsigned which, char *err,
                         size_t errlen);

/* What user_settings_foreach() skipped, for the caller to report. */
struct user_settings_skipped {
    size_t version; /* records of another record version */
    size_t
        invalid; /* damaged records (no v= line), keys that are no lower-case address */
};

/*
 * Calls FN with every user's address (the key, lower case) and settings,
 * in address order (FN returns non-zero to stop early).  One read
 * transaction: a consistent snapshot, kept alive while FN runs.  Skipped
 * records are counted into *SKIPPED (zeroed first; may be NULL).  0 (also
 * when FN stopped it), or -1 with ERR.
 */
int user_settings_foreach(struct store *st,
                          int (*fn)(void *ctx, const char *address,
                                    const struct user_settings *s),
                          void *ctx, struct user_settings_skipped *skipped, char *err,
                          size_t errlen);

/*
 * Checks NAME=VALUE as a user setting: 0, or -1 with ERR ("unknown
 * setting", "hold_minutes must be a number from 1 to 60").  The one check
 * of a value, whoever sets it.
 */
int user_settings_check(const char *name, const char *value, char *err, size_t errlen);

/*
 * Parses NAME=VALUE into S, checked by user_settings_check(): sets the
 * setting's bit in S->set and its value; VALUE NULL clears the bit (back to
 * the admin's).  Returns the setting's USER_SETTING_* bit, or -1 with ERR.
 */
int user_settings_parse(struct user_settings *s, const char *name, const char *value,
                        char *err, size_t errlen);

/* The name of SETTING ("hold_enable"), or NULL for a value that is not one. */
const char *user_settings_name(enum user_setting setting);

/*
 * The value of SETTING in S as text ("yes", "5") in BUF (LEN bytes, 16 are
 * enough), or NULL when S does not have it set.
 */
const char *user_settings_value(const struct user_settings *s, enum user_setting setting,
                                char *buf, size_t len);

struct user_settings_hold {
    bool enable;
    unsigned minutes;
    bool from_user; /* the sender's own settings decided (not the admin's) */
};

struct user_settings_encrypt {
    bool enable;        /* encrypt_attachments, the sender's or the admin's */
    char notice_to[12]; /* password_notice_to, the sender's or the admin's */
    bool from_user;     /* the sender's own settings decided either */
    /* With user_password_allowed: the sender's own sealed password and its
     * hint ("" when none, or not allowed). */
    char zip_password[USER_SETTING_VALUE_MAX];
    char zip_password_hint[104];
};

/* What a sender's mail gets: the admin's settings with the sender's own over them. */
struct user_settings_policy {
    struct user_settings_hold hold;
    struct user_settings_encrypt encrypt;
};

/*
 * The hold and encryption policy for SENDER: the admin's (hold_enable,
 * hold_minutes, encrypt_attachments, password_notice_to), with the user's
 * own settings over it when CFG allows them (ST may be NULL: the admin's
 * alone), from one read of the store.  0, or -1 with ERR (a store error:
 * the caller fails closed).
 */
int user_settings_policy(const struct config *cfg, struct store *st, const char *sender,
                         struct user_settings_policy *out, char *err, size_t errlen);

/* The users key of ADDRESS (lower case) into KEY; false when ADDRESS is unusable. */
bool user_settings_key(const char *address, char *key, size_t len);

#endif
