/*
 * sendwatch user show ADDRESS
 * sendwatch user set ADDRESS NAME=VALUE...   (hold_enable=yes|no, hold_minutes=1-60,
 *                                             encrypt_enable=yes|no,
 *                                             password_notice_to=sender|recipients|both;
 *                                             NAME=default removes the user's own value)
 *
 * A sender's own hold and encryption settings, in LMDB ("users").  They count only with
 * user_settings_allowed = yes.  Run as root it first becomes run_user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "store.h"
#include "user_settings.h"

static int usage(void)
{
    fprintf(stderr, "usage: sendwatch [-c FILE] user show ADDRESS\n"
                    "       sendwatch [-c FILE] user set ADDRESS NAME=VALUE...\n"
                    "NAME: hold_enable (yes|no), hold_minutes (1-60), encrypt_enable "
                    "(yes|no),\n      password_notice_to (sender|recipients|both); VALUE "
                    "default: the admin's\n");
    return 2;
}

/* What could not be read of KEY's stored settings, on stderr. */
static void report_unread(const char *key, const struct user_settings *s)
{
    if (s->unreadable)
        fprintf(
            stderr,
            "sendwatch: %s: the stored settings are of another record version (a newer "
            "sendwatch) or damaged: not read\n",
            key);
    for (unsigned bit = 1; bit & USER_SETTINGS_ALL; bit <<= 1)
        if (s->ignored & bit)
            fprintf(stderr, "sendwatch: %s: the stored %s is not valid: ignored\n", key,
                    user_settings_name(bit));
}

static int user_show(const struct config *cfg, struct store *store, const char *key)
{
    struct user_settings s;
    struct user_settings_hold policy;
    char err[1024], value[16];

    if (user_settings_get(store, key, &s, err, sizeof(err)) < 0 ||
        user_settings_hold_policy(cfg, store, key, &policy, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
        return 1;
    }
    for (unsigned bit = 1; bit & USER_SETTINGS_ALL; bit <<= 1) {
        const char *v = user_settings_value(&s, bit, value, sizeof(value));
        printf("%-13s %s\n", user_settings_name(bit), v ? v : "(the admin's)");
    }
    printf("in effect:    hold %s, %u minutes%s\n", policy.enable ? "on" : "off",
           policy.minutes,
           cfg->user_settings_allowed ? ""
                                      : " (user_settings_allowed = no: the admin's)");
    report_unread(key, &s);
    return 0;
}

int command_user(const char *config_path, int argc, char **argv)
{
    char err[1024], key[330];
    struct user_settings change = {0};
    unsigned which = 0;

    if (argc < 3)
        return usage();
    bool show = strcmp(argv[1], "show") == 0, set = strcmp(argv[1], "set") == 0;
    if ((!show && !set) || (show && argc != 3) || (set && argc < 4))
        return usage();
    if (!user_settings_key(argv[2], key, sizeof(key))) {
        fprintf(stderr, "sendwatch: \"%s\" is not a mail address\n", argv[2]);
        return 2;
    }
    /* NAME=default: back to the admin's (the user's own value goes). */
    for (int i = 3; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL)
            return usage();
        *eq = '\0';
        int bit = user_settings_parse(&change, argv[i],
                                      strcmp(eq + 1, "default") == 0 ? NULL : eq + 1, err,
                                      sizeof(err));
        *eq = '=';
        if (bit < 0) {
            fprintf(stderr, "sendwatch: %s\n", err);
            return 2;
        }
        which |= (unsigned)bit;
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    int status = 1;
    struct store *store = commands_open_store(cfg, show);
    if (store == NULL) {
        /* commands_open_store() said why */
    } else if (show) {
        status = user_show(cfg, store, key);
    } else if (user_settings_put(store, key, &change, which, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
    } else {
        printf("%s: settings saved%s\n", key,
               cfg->user_settings_allowed
                   ? ""
                   : " (they count once user_settings_allowed = yes)");
        status = 0;
    }
    store_close(store);
    config_free(cfg);
    return status;
}
