/* user_settings - see user_settings.h. */
#include "user_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "parse.h"
#include "record.h"

bool user_settings_key(const char *address, char *key, size_t len)
{
    size_t n = strlen(address);
    if (n == 0 || n >= len || strchr(address, '@') == NULL)
        return false;
    for (size_t i = 0; i <= n; i++) {
        char c = address[i];
        if (c != '\0' && ((unsigned char)c <= 0x20 || c == 0x7f))
            return false;
        key[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    return true;
}

/* The settings: bit and record name, in the order they are listed. */
static const struct {
    enum user_setting bit;
    const char *name;
} user_settings_table[] = {
    {USER_SETTING_HOLD_ENABLE, "hold_enable"},
    {USER_SETTING_HOLD_MINUTES, "hold_minutes"},
    {USER_SETTING_ENCRYPT_ENABLE, "encrypt_enable"},
    {USER_SETTING_PASSWORD_NOTICE_TO, "password_notice_to"},
    {USER_SETTING_ZIP_PASSWORD, "zip_password"},
    {USER_SETTING_ZIP_PASSWORD_HINT, "zip_password_hint"},
    {USER_SETTING_LANGUAGE, "language"},
};
#define USER_NSETTINGS (sizeof(user_settings_table) / sizeof(*user_settings_table))

/* The longest key user_settings_key() makes, NUL included. */
#define USER_KEY_MAX 330

static void user_setting_unknown(char *err, size_t errlen, const char *name)
{
    errbuf_set(err, errlen,
               "unknown setting \"%s\" (hold_enable, hold_minutes, encrypt_enable, "
               "password_notice_to, zip_password, zip_password_hint, language)",
               name);
}

int user_settings_check(const char *name, const char *value, char *err, size_t errlen)
{
    if (strcmp(name, "hold_enable") == 0 || strcmp(name, "encrypt_enable") == 0) {
        if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
            errbuf_set(err, errlen, "%s must be yes or no", name);
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "zip_password") == 0) {
        /* Its sealed form only (secret.h): the plain password never gets here. */
        size_t n = strlen(value);
        bool ok = n > 3 && n < USER_SETTING_VALUE_MAX && strncmp(value, "s1.", 3) == 0;
        for (size_t i = 3; ok && i < n; i++)
            ok = strchr(
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
                     value[i]) != NULL;
        if (!ok) {
            errbuf_set(err, errlen,
                       "zip_password must be set with \"sendwatch user "
                       "password\", which seals it");
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "zip_password_hint") == 0) {
        size_t n = strlen(value);
        bool ok = n >= 1 && n <= 100;
        for (size_t i = 0; ok && i < n; i++)
            ok = (unsigned char)value[i] >= 0x20 && value[i] != 0x7f;
        if (!ok) {
            errbuf_set(err, errlen,
                       "zip_password_hint must be 1 to 100 bytes of text, one line");
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "password_notice_to") == 0) {
        if (strcmp(value, "sender") != 0 && strcmp(value, "recipients") != 0 &&
            strcmp(value, "both") != 0) {
            errbuf_set(err, errlen,
                       "password_notice_to must be sender, recipients or both");
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "language") == 0) {
        if (strcmp(value, "ja") != 0 && strcmp(value, "en") != 0) {
            errbuf_set(err, errlen, "language must be ja or en");
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "hold_minutes") == 0) {
        unsigned long long m;
        if (parse_number(value, &m, NULL, 0) != 0 || m < 1 || m > 60) {
            errbuf_set(err, errlen, "hold_minutes must be a number from 1 to 60");
            return -1;
        }
        return 0;
    }
    user_setting_unknown(err, errlen, name);
    return -1;
}

int user_settings_parse(struct user_settings *s, const char *name, const char *value,
                        char *err, size_t errlen)
{
    unsigned bit = 0;

    for (size_t i = 0; i < USER_NSETTINGS; i++)
        if (strcmp(name, user_settings_table[i].name) == 0)
            bit = user_settings_table[i].bit;
    if (value == NULL) {
        if (bit == 0) {
            user_setting_unknown(err, errlen, name);
            return -1;
        }
        s->set &= ~bit;
        return (int)bit;
    }
    if (user_settings_check(name, value, err, errlen) != 0)
        return -1;
    if (bit == USER_SETTING_HOLD_ENABLE)
        s->hold_enable = strcmp(value, "yes") == 0;
    else if (bit == USER_SETTING_HOLD_MINUTES)
        s->hold_minutes = (unsigned)strtoul(value, NULL, 10);
    else if (bit == USER_SETTING_ENCRYPT_ENABLE)
        s->encrypt_enable = strcmp(value, "yes") == 0;
    else if (bit == USER_SETTING_PASSWORD_NOTICE_TO)
        snprintf(s->password_notice_to, sizeof(s->password_notice_to), "%s", value);
    else if (bit == USER_SETTING_ZIP_PASSWORD)
        snprintf(s->zip_password, sizeof(s->zip_password), "%s", value);
    else if (bit == USER_SETTING_LANGUAGE)
        snprintf(s->language, sizeof(s->language), "%s", value);
    else
        snprintf(s->zip_password_hint, sizeof(s->zip_password_hint), "%s", value);
    s->set |= bit;
    return (int)bit;
}

const char *user_settings_name(enum user_setting setting)
{
    for (size_t i = 0; i < USER_NSETTINGS; i++)
        if (user_settings_table[i].bit == setting)
            return user_settings_table[i].name;
    return NULL;
}

const char *user_settings_value(const struct user_settings *s, enum user_setting setting,
                                char *buf, size_t len)
{
    if ((s->set & setting) == 0)
        return NULL;
    if (setting == USER_SETTING_HOLD_ENABLE)
        snprintf(buf, len, "%s", s->hold_enable ? "yes" : "no");
    else if (setting == USER_SETTING_HOLD_MINUTES)
        snprintf(buf, len, "%u", s->hold_minutes);
    else if (setting == USER_SETTING_ENCRYPT_ENABLE)
        snprintf(buf, len, "%s", s->encrypt_enable ? "yes" : "no");
    else if (setting == USER_SETTING_PASSWORD_NOTICE_TO)
        snprintf(buf, len, "%s", s->password_notice_to);
    else if (setting == USER_SETTING_ZIP_PASSWORD)
        snprintf(buf, len, "%s", s->zip_password);
    else if (setting == USER_SETTING_ZIP_PASSWORD_HINT)
        snprintf(buf, len, "%s", s->zip_password_hint);
    else if (setting == USER_SETTING_LANGUAGE)
        snprintf(buf, len, "%s", s->language);
    else
        return NULL;
    return buf;
}

/*
 * Decodes a stored record into OUT.  The first value of a setting counts;
 * one user_settings_parse() refuses is ignored (and noted).  0, or -1 when
 * out of memory.
 */
static int user_settings_decode(const char *data, size_t len, struct user_settings *out)
{
    const char *name;
    size_t pos = 0, nlen;
    unsigned seen = 0;
    char *value, ignored[128];
    int rc;

    memset(out, 0, sizeof(*out));
    if (record_version(data, len) != RECORD_VERSION) {
        out->unreadable = true;
        return 0;
    }
    while ((rc = record_next(data, len, &pos, &name, &nlen, &value)) == 1) {
        for (size_t i = 0; i < USER_NSETTINGS; i++) {
            const char *want = user_settings_table[i].name;
            unsigned bit = user_settings_table[i].bit;
            if ((seen & bit) != 0 || strlen(want) != nlen ||
                memcmp(name, want, nlen) != 0)
                continue;
            seen |= bit;
            if (user_settings_parse(out, want, value, ignored, sizeof(ignored)) < 0)
                out->ignored |= bit;
        }
        free(value);
    }
    return rc;
}

int user_settings_get(struct store *st, const char *address, struct user_settings *out,
                      char *err, size_t errlen)
{
    char key[USER_KEY_MAX], *data = NULL;
    size_t len = 0;

    memset(out, 0, sizeof(*out));
    if (!user_settings_key(address, key, sizeof(key)))
        return 0;
    int found = store_get(st, STORE_USERS, key, &data, &len, err, errlen);
    if (found <= 0)
        return found;
    int rc = user_settings_decode(data, len, out);
    free(data);
    if (rc < 0) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    return 1;
}

int user_settings_put_in(struct store_txn *t, const char *address,
                         const struct user_settings *s, unsigned which, char *err,
                         size_t errlen)
{
    char key[USER_KEY_MAX], values[USER_NSETTINGS][USER_SETTING_VALUE_MAX];
    const char *drop[USER_NSETTINGS + 1];
    size_t ndrop = 0;

    if (!user_settings_key(address, key, sizeof(key))) {
        errbuf_set(err, errlen, "\"%s\" is not a mail address", address);
        return -1;
    }
    /* Every value is checked before anything is read or written. */
    for (size_t i = 0; i < USER_NSETTINGS; i++) {
        unsigned bit = user_settings_table[i].bit;
        if ((which & bit) == 0)
            continue;
        drop[ndrop++] = user_settings_table[i].name;
        if (user_settings_value(s, bit, values[i], sizeof(values[i])) != NULL &&
            user_settings_check(user_settings_table[i].name, values[i], err, errlen) != 0)
            return -1;
    }
    drop[ndrop] = NULL;

    char *data = NULL;
    size_t len = 0;
    struct record *r = NULL;
    int rc = -1;
    int found = store_txn_get(t, STORE_USERS, key, &data, &len, err, errlen);
    if (found < 0)
        goto out;
    int version = found == 1 ? record_version(data, len) : RECORD_VERSION;
    if (version >= 0 && version != RECORD_VERSION) {
        errbuf_set(err, errlen,
                   "%s: the stored settings are of another record version (%d; this "
                   "sendwatch writes %d): not changed",
                   key, version, RECORD_VERSION);
        goto out;
    }
    /* The old record without the settings being changed: what stays (of a
     * damaged one, nothing). */
    r = found == 1 && version >= 0 ? record_copy_without(data, len, drop) : record_new();
    bool ok = r != NULL;
    for (size_t i = 0; ok && i < USER_NSETTINGS; i++) {
        unsigned bit = user_settings_table[i].bit;
        if ((which & bit) != 0 && (s->set & bit) != 0)
            ok = record_add(r, user_settings_table[i].name, values[i]) == 0;
    }
    if (!ok) {
        errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    size_t rlen = 0;
    const char *bytes = record_bytes(r, &rlen);
    rc = store_txn_put(t, STORE_USERS, key, bytes, rlen, err, errlen);
out:
    record_free(r);
    free(data);
    return rc;
}

int user_settings_put(struct store *st, const char *address,
                      const struct user_settings *s, unsigned which, char *err,
                      size_t errlen)
{
    struct store_txn *t = store_begin(st, err, errlen);
    if (t == NULL)
        return -1;
    if (user_settings_put_in(t, address, s, which, err, errlen) != 0) {
        store_abort(t);
        return -1;
    }
    return store_commit(t, err, errlen); /* frees the transaction either way */
}

struct user_settings_walk {
    int (*fn)(void *ctx, const char *address, const struct user_settings *s);
    void *ctx;
    struct user_settings_skipped *skipped;
    bool no_memory;
};

static int user_settings_visit(void *ctx, const char *key, size_t key_len,
                               const void *value, size_t len)
{
    struct user_settings_walk *w = ctx;
    char address[USER_KEY_MAX], lower[USER_KEY_MAX];
    struct user_settings s;

    /* The key must be what user_settings_key() makes of it: else no sender has it. */
    if (key_len >= sizeof(address) || memchr(key, '\0', key_len) != NULL) {
        w->skipped->invalid++;
        return 0;
    }
    memcpy(address, key, key_len);
    address[key_len] = '\0';
    if (!user_settings_key(address, lower, sizeof(lower)) ||
        strcmp(lower, address) != 0) {
        w->skipped->invalid++;
        return 0;
    }
    if (user_settings_decode(value, len, &s) != 0) {
        w->no_memory = true;
        return 1;
    }
    if (s.unreadable) {
        if (record_version(value, len) < 0)
            w->skipped->invalid++;
        else
            w->skipped->version++;
        return 0;
    }
    return w->fn(w->ctx, address, &s);
}

int user_settings_foreach(struct store *st,
                          int (*fn)(void *ctx, const char *address,
                                    const struct user_settings *s),
                          void *ctx, struct user_settings_skipped *skipped, char *err,
                          size_t errlen)
{
    struct user_settings_skipped ignored;
    struct user_settings_walk w = {
        .fn = fn, .ctx = ctx, .skipped = skipped ? skipped : &ignored};

    memset(w.skipped, 0, sizeof(*w.skipped));
    int rc = store_foreach(st, STORE_USERS, user_settings_visit, &w, err, errlen);
    if (rc == 0 && w.no_memory) {
        errbuf_set(err, errlen, "out of memory");
        rc = -1;
    }
    return rc;
}

int user_settings_policy(const struct config *cfg, struct store *st, const char *sender,
                         struct user_settings_policy *out, char *err, size_t errlen)
{
    struct user_settings s;
    struct user_settings_hold *h = &out->hold;
    struct user_settings_encrypt *e = &out->encrypt;

    memset(out, 0, sizeof(*out));
    h->enable = cfg->hold_enable;
    h->minutes = cfg->hold_minutes;
    e->enable = cfg->encrypt_attachments;
    snprintf(e->notice_to, sizeof(e->notice_to), "%s", cfg->password_notice_to);
    if (!cfg->user_settings_allowed || st == NULL)
        return 0;
    /* Values were checked when set; a bad one (edited by hand) is not in s.set. */
    if (user_settings_get(st, sender, &s, err, errlen) < 0)
        return -1;
    if (s.set & USER_SETTING_HOLD_ENABLE)
        h->enable = s.hold_enable;
    if (s.set & USER_SETTING_HOLD_MINUTES)
        h->minutes = s.hold_minutes;
    h->from_user = (s.set & (USER_SETTING_HOLD_ENABLE | USER_SETTING_HOLD_MINUTES)) != 0;
    if (s.set & USER_SETTING_ENCRYPT_ENABLE)
        e->enable = s.encrypt_enable;
    if (s.set & USER_SETTING_PASSWORD_NOTICE_TO)
        snprintf(e->notice_to, sizeof(e->notice_to), "%s", s.password_notice_to);
    e->from_user =
        (s.set & (USER_SETTING_ENCRYPT_ENABLE | USER_SETTING_PASSWORD_NOTICE_TO)) != 0;
    /* A password of one's own counts only with its hint: the notice carries
     * the hint, and without one the recipient would have nothing. */
    if (cfg->user_password_allowed && (s.set & USER_SETTING_ZIP_PASSWORD) &&
        (s.set & USER_SETTING_ZIP_PASSWORD_HINT)) {
        snprintf(e->zip_password, sizeof(e->zip_password), "%s", s.zip_password);
        snprintf(e->zip_password_hint, sizeof(e->zip_password_hint), "%s",
                 s.zip_password_hint);
    }
    return 0;
}
