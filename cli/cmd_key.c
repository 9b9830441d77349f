/*
 * sendwatch key new: makes web_key_file (the HMAC key of notice links),
 * mode 0600, owned by whoever runs it - root, normally: holdd and the web
 * read it while still root, before they drop privileges.  It is created
 * exclusively and without following a symlink, and never chown'ed by name.
 * An existing key is never replaced: links already sent would stop working.
 *
 * sendwatch token verify URL|TOKEN: says whether a link is genuine, for
 * which message and action, and until when - or why not.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "timefmt.h"
#include "token.h"

int command_key(const char *config_path, int argc, char **argv)
{
    char err[1024];
    if (argc != 2 || strcmp(argv[1], "new") != 0) {
        fprintf(stderr, "usage: sendwatch [-c FILE] key new\n");
        return 2;
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    int status = 1;
    if (token_key_create(cfg->web_key_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s%s\n", err,
                errno == EEXIST ? " (a key exists; remove it first to replace it)" : "");
    } else {
        printf("%s: new key\n", cfg->web_key_file);
        status = 0;
    }
    config_free(cfg);
    return status;
}

int command_token(const char *config_path, int argc, char **argv)
{
    char err[1024];
    if (argc != 3 || strcmp(argv[1], "verify") != 0) {
        fprintf(stderr, "usage: sendwatch [-c FILE] token verify URL\n");
        return 2;
    }
    /* A link ends with the token; a bare token is fine too. */
    const char *text = argv[2];
    const char *slash = strrchr(text, '/');
    if (slash != NULL)
        text = slash + 1;
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    struct token_key key;
    int status = 1;
    if (token_key_load(cfg->web_key_file, &key, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
    } else {
        struct token t;
        enum token_status s = token_verify(&key, text, time(NULL), &t);
        if (s == TOKEN_OK) {
            char when[TIMEFMT_MAX];
            timefmt_local(t.expiry, when, sizeof(when));
            if (token_action_is_user(t.action))
                printf("valid: address=%s action=%s node=%s expires=%s\n", t.address,
                       t.action, t.node, when);
            else
                printf("valid: queue_id=%s action=%s node=%s expires=%s\n", t.queue_id,
                       t.action, t.node, when);
            status = 0;
        } else {
            printf("invalid: %s\n", token_status_text(s));
        }
    }
    config_free(cfg);
    return status;
}
