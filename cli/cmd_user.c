/*
 * sendwatch user show ADDRESS
 * sendwatch user set ADDRESS NAME=VALUE...   (hold_enable=yes|no, hold_minutes=1-60,
 *                                             encrypt_enable=yes|no,
 *                                             password_notice_to=sender|recipients|both,
 *                                             language=ja|en;
 *                                             NAME=default removes the user's own value)
 *
 * sendwatch user password ADDRESS --hint TEXT   (the password on standard input)
 * sendwatch user password ADDRESS --remove
 *
 * A sender's own hold and encryption settings, in LMDB ("users").  A zip
 * password of the sender's own is read from standard input (never from
 * the command line, where ps shows it), sealed under web_key_file
 * (secret.h; the key is read as root, before the drop) and stored with
 * its hint; it counts with user_password_allowed = yes.  They count only with
 * user_settings_allowed = yes.  Run as root it first becomes run_user.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "password.h"
#include "privilege.h"
#include "secret.h"
#include "store.h"
#include "user_settings.h"

static int usage(void)
{
    fprintf(stderr, "usage: sendwatch [-c FILE] user show ADDRESS\n"
                    "       sendwatch [-c FILE] user set ADDRESS NAME=VALUE...\n"
                    "       sendwatch [-c FILE] user password ADDRESS --hint TEXT "
                    "(password on stdin) | --remove\n"
                    "NAME: hold_enable (yes|no), hold_minutes (1-60), encrypt_enable "
                    "(yes|no),\n      password_notice_to (sender|recipients|both), "
                    "language (ja|en); VALUE default: the admin's\n");
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
    struct user_settings_policy policy;
    char err[1024], value[USER_SETTING_VALUE_MAX];

    if (user_settings_get(store, key, &s, err, sizeof(err)) < 0 ||
        user_settings_policy(cfg, store, key, &policy, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
        return 1;
    }
    for (unsigned bit = 1; bit & USER_SETTINGS_ALL; bit <<= 1) {
        const char *v = user_settings_value(&s, bit, value, sizeof(value));
        if (v != NULL && bit == USER_SETTING_ZIP_PASSWORD)
            v = "(set, sealed)"; /* not even its sealed form on a terminal */
        printf("%-13s %s\n", user_settings_name(bit), v ? v : "(the admin's)");
    }
    printf("in effect:    hold %s, %u minutes%s\n", policy.hold.enable ? "on" : "off",
           policy.hold.minutes,
           cfg->user_settings_allowed ? ""
                                      : " (user_settings_allowed = no: the admin's)");
    printf("              encryption %s, password notice to %s%s\n",
           policy.encrypt.enable ? "on" : "off", policy.encrypt.notice_to,
           policy.encrypt.zip_password[0] ? ", the sender's own password" : "");
    report_unread(key, &s);
    return 0;
}

/* Reads the password from standard input and checks it.  0, or -1 (said). */
static int read_password(char *out, size_t len)
{
    size_t n = commands_read_secret("password: ", out, len);
    if (!password_acceptable(out)) {
        /* Printable ASCII only: ZipCrypto and every unzip tool agree on those bytes. */
        fprintf(stderr,
                "sendwatch: %s: a zip password is %d to %d printable ASCII characters, "
                "no spaces, on one line of standard input\n",
                n == 0 ? "no password" : "not a usable password", PASSWORD_MIN,
                PASSWORD_MAX);
        explicit_bzero(out, len);
        return -1;
    }
    return 0;
}

/* "user password ADDRESS --hint TEXT | --remove". */
static int user_password(const char *config_path, const char *key, int argc, char **argv)
{
    struct user_settings change = {0};
    char err[1024], plain[SECRET_PLAIN_MAX + 8];
    bool remove = argc == 4 && strcmp(argv[3], "--remove") == 0;
    if (!remove && (argc != 5 || strcmp(argv[3], "--hint") != 0))
        return usage();
    if (!remove && user_settings_parse(&change, "zip_password_hint", argv[4], err,
                                       sizeof(err)) < 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
        return 2;
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    int status = 1;
    if (!remove) {
        /* The key as the milter accepts it: root's or run_user's, 0600. */
        struct token_key file_key;
        struct secret_key k;
        uid_t owner = geteuid();
        gid_t group;
        err[0] = '\0';
        if (privilege_lookup(cfg->run_user, &owner, &group, err, sizeof(err)) != 0)
            owner = geteuid();
        err[0] = '\0';
        if (token_key_load_owned(cfg->web_key_file, owner, &file_key, err, sizeof(err)) !=
                0 ||
            secret_key_derive(&file_key, &k) != 0) {
            explicit_bzero(&file_key, sizeof(file_key));
            fprintf(stderr, "sendwatch: %s\n", err[0] ? err : "cannot derive the key");
            config_free(cfg);
            return 1;
        }
        explicit_bzero(&file_key, sizeof(file_key));
        char sealed[SECRET_TEXT_MAX];
        int rc = read_password(plain, sizeof(plain));
        if (rc == 0 &&
            secret_seal(&k, key, plain, sealed, sizeof(sealed), err, sizeof(err)) != 0) {
            fprintf(stderr, "sendwatch: %s\n", err);
            rc = -1;
        }
        explicit_bzero(plain, sizeof(plain));
        explicit_bzero(&k, sizeof(k));
        if (rc == 0 &&
            user_settings_parse(&change, "zip_password", sealed, err, sizeof(err)) < 0) {
            fprintf(stderr, "sendwatch: %s\n", err);
            rc = -1;
        }
        if (rc != 0) {
            config_free(cfg);
            return 1;
        }
    }
    struct store *store = commands_open_store(cfg, false);
    if (store != NULL &&
        user_settings_put(store, key, &change,
                          USER_SETTING_ZIP_PASSWORD | USER_SETTING_ZIP_PASSWORD_HINT, err,
                          sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
    } else if (store != NULL) {
        printf("%s: %s%s\n", key,
               remove ? "own zip password removed (a fresh one per message)"
                      : "own zip password saved, sealed under web_key_file; password "
                        "notices carry its hint",
               cfg->user_password_allowed && cfg->user_settings_allowed
                   ? ""
                   : " (it counts once user_settings_allowed and user_password_allowed "
                     "are yes)");
        status = 0;
    }
    store_close(store);
    config_free(cfg);
    return status;
}

int command_user(const char *config_path, int argc, char **argv)
{
    char err[1024], key[330];
    struct user_settings change = {0};
    unsigned which = 0;

    if (argc < 3)
        return usage();
    if (strcmp(argv[1], "password") == 0) {
        if (!user_settings_key(argv[2], key, sizeof(key))) {
            fprintf(stderr, "sendwatch: \"%s\" is not a mail address\n", argv[2]);
            return 2;
        }
        return user_password(config_path, key, argc, argv);
    }
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
