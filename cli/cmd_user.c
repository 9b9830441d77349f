/*
 * sendwatch user show ADDRESS
 * sendwatch user set ADDRESS NAME=VALUE...   (hold_enable=yes|no, hold_minutes=1-60;
 *                                             NAME=default removes the user's own value)
 *
 * A sender's own hold settings, in LMDB ("users").  They count only with
 * user_settings_allowed = yes.  Run as root it first becomes run_user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "record.h"
#include "store.h"
#include "usersettings.h"

static const char *const names[] = {"hold_enable", "hold_minutes", NULL};

static int usage(void)
{
    fprintf(stderr, "usage: sendwatch [-c FILE] user show ADDRESS\n"
                    "       sendwatch [-c FILE] user set ADDRESS NAME=VALUE...\n"
                    "NAME: hold_enable (yes|no), hold_minutes (1-60); VALUE default: the "
                    "admin's\n");
    return 2;
}

int command_user(const char *config_path, int argc, char **argv)
{
    char err[1024], key[330];
    if (argc < 3)
        return usage();
    bool show = strcmp(argv[1], "show") == 0, set = strcmp(argv[1], "set") == 0;
    if ((!show && !set) || (show && argc != 3) || (set && argc < 4))
        return usage();
    if (!user_key(argv[2], key, sizeof(key))) {
        fprintf(stderr, "sendwatch: \"%s\" is not a mail address\n", argv[2]);
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL)
            return usage();
        *eq = '\0';
        if (strcmp(eq + 1, "default") != 0 &&
            user_setting_check(argv[i], eq + 1, err, sizeof(err)) != 0) {
            fprintf(stderr, "sendwatch: %s\n", err);
            return 2;
        }
        bool known = false;
        for (size_t j = 0; names[j] != NULL; j++)
            known = known || strcmp(argv[i], names[j]) == 0;
        if (!known) {
            fprintf(stderr, "sendwatch: unknown setting \"%s\" (hold_enable, hold_minutes)\n",
                    argv[i]);
            return 2;
        }
        *eq = '=';
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    int status = 1;
    char *data = NULL;
    size_t len = 0;
    struct store *store = commands_open_store(cfg, show);
    if (store == NULL)
        goto done;
    if (show) {
        struct user_hold policy;
        if (store_get(store, STORE_USERS, key, &data, &len, err, sizeof(err)) < 0 ||
            user_hold_policy(cfg, store, key, &policy, err, sizeof(err)) != 0) {
            fprintf(stderr, "sendwatch: %s\n", err);
            goto done;
        }
        for (size_t j = 0; names[j] != NULL; j++) {
            char *v = data ? record_get(data, len, names[j], 0) : NULL;
            printf("%-13s %s\n", names[j], v ? v : "(the admin's)");
            free(v);
        }
        printf("in effect:    hold %s, %u minutes%s\n", policy.enable ? "on" : "off",
               policy.minutes,
               cfg->user_settings_allowed ? "" : " (user_settings_allowed = no: the admin's)");
        status = 0;
        goto done;
    }
    /* set: the old values, then the new ones over them, in one transaction. */
    struct store_txn *t = store_begin(store, err, sizeof(err));
    int found = t ? store_txn_get(t, STORE_USERS, key, &data, &len, err, sizeof(err)) : -1;
    struct record *r = found < 0 ? NULL
                       : found == 1 ? record_copy_without(data, len, names)
                                    : record_new();
    for (size_t j = 0; r != NULL && names[j] != NULL; j++) {
        char *value = found == 1 ? record_get(data, len, names[j], 0) : NULL;
        for (int i = 3; i < argc; i++)
            if (strncmp(argv[i], names[j], strlen(names[j])) == 0 &&
                argv[i][strlen(names[j])] == '=') {
                free(value);
                const char *v = argv[i] + strlen(names[j]) + 1;
                value = strcmp(v, "default") == 0 ? NULL : strdup(v);
            }
        if (value != NULL && record_add(r, names[j], value) != 0) {
            record_free(r);
            r = NULL;
        }
        free(value);
    }
    size_t rlen = 0;
    const char *bytes = r ? record_bytes(r, &rlen) : NULL;
    int rc = -1;
    if (r == NULL && found >= 0)
        snprintf(err, sizeof(err), "out of memory");
    if (r != NULL && store_txn_put(t, STORE_USERS, key, bytes, rlen, err, sizeof(err)) == 0) {
        rc = store_commit(t, err, sizeof(err)); /* frees the transaction either way */
        t = NULL;
    }
    store_abort(t);
    if (rc != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
    } else {
        printf("%s: settings saved%s\n", key,
               cfg->user_settings_allowed ? "" : " (they count once user_settings_allowed = yes)");
        status = 0;
    }
    record_free(r);
done:
    free(data);
    store_close(store);
    config_free(cfg);
    return status;
}
