/* usersettings - see usersettings.h. */
#include "usersettings.h"

#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "parse.h"
#include "record.h"

bool user_key(const char *address, char *key, size_t len)
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

int user_setting_check(const char *name, const char *value, char *err, size_t errlen)
{
    if (strcmp(name, "hold_enable") == 0) {
        if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
            errbuf_set(err, errlen, "hold_enable must be yes or no");
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
    errbuf_set(err, errlen, "unknown setting \"%s\" (hold_enable, hold_minutes)", name);
    return -1;
}

int user_hold_policy(const struct config *cfg, struct store *st, const char *sender,
                     struct user_hold *out, char *err, size_t errlen)
{
    char key[330], *data = NULL;
    size_t len = 0;

    out->enable = cfg->hold_enable;
    out->minutes = cfg->hold_minutes;
    out->from_user = false;
    if (!cfg->user_settings_allowed || st == NULL || !user_key(sender, key, sizeof(key)))
        return 0;
    int found = store_get(st, STORE_USERS, key, &data, &len, err, errlen);
    if (found <= 0)
        return found;
    char *enable = record_get(data, len, "hold_enable", 0);
    char *minutes = record_get(data, len, "hold_minutes", 0);
    char ignored[64];
    /* Values were checked when set; a bad one (edited by hand) is ignored. */
    if (enable != NULL &&
        user_setting_check("hold_enable", enable, ignored, sizeof(ignored)) == 0) {
        out->enable = strcmp(enable, "yes") == 0;
        out->from_user = true;
    }
    if (minutes != NULL &&
        user_setting_check("hold_minutes", minutes, ignored, sizeof(ignored)) == 0) {
        out->minutes = (unsigned)strtoul(minutes, NULL, 10);
        out->from_user = true;
    }
    free(enable);
    free(minutes);
    free(data);
    return 0;
}
