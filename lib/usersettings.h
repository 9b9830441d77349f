/*
 * usersettings - a sender's own hold settings, where the admin allows them
 * (user_settings_allowed = yes).
 *
 * Kept in LMDB ("users", keyed by the lower-case address) as a record with
 * any of: hold_enable (yes|no), hold_minutes (1-60).  A setting a user has
 * not made falls back to the admin's.  The admin's hold_scope and the
 * rules' hold actions always apply.
 */
#ifndef SENDWATCH_USERSETTINGS_H
#define SENDWATCH_USERSETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "store.h"

struct user_hold {
    bool enable;
    unsigned minutes;
    bool from_user; /* the sender's own settings decided (not the admin's) */
};

/*
 * The hold policy for SENDER: the admin's, with the user's own settings
 * over it when CFG allows them (ST may be NULL: the admin's alone).
 * 0, or -1 with ERR (a store error: the caller fails closed).
 */
int user_hold_policy(const struct config *cfg, struct store *st, const char *sender,
                     struct user_hold *out, char *err, size_t errlen);

/*
 * Checks NAME=VALUE as a user setting: 0, or -1 with ERR ("unknown
 * setting", "hold_minutes must be 1 to 60").
 */
int user_setting_check(const char *name, const char *value, char *err, size_t errlen);

/* The users key of ADDRESS (lower case) into KEY; false when ADDRESS is unusable. */
bool user_key(const char *address, char *key, size_t len);

#endif
