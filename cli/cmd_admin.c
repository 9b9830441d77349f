/*
 * sendwatch admin list
 * sendwatch admin add NAME --role admin|operator|auditor   (password on stdin)
 * sendwatch admin passwd NAME                               (password on stdin)
 * sendwatch admin role NAME ROLE
 * sendwatch admin remove NAME
 *
 * The web console's accounts in admins_file (admins.h): the password is
 * read from standard input (never the command line, where ps shows it),
 * kept only as a scrypt hash, and the file is rewritten whole (0600).
 * Then, as run_user, the change is written to the audit log and the
 * running sendwatch-web is told to read the file again (SIGHUP): a
 * removed admin is signed out at once, a changed role counts at once.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admins.h"
#include "audit.h"
#include "commands.h"
#include "privilege.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: sendwatch [-c FILE] admin list\n"
            "       sendwatch [-c FILE] admin add NAME --role admin|operator|auditor\n"
            "       sendwatch [-c FILE] admin passwd NAME\n"
            "       sendwatch [-c FILE] admin role NAME admin|operator|auditor\n"
            "       sendwatch [-c FILE] admin remove NAME\n"
            "(a password is read from standard input)\n");
    return 2;
}

/* A new password from standard input, hashed into HASH.  0, or -1 (said). */
static int new_password_hash(char *hash, size_t len)
{
    char password[ADMIN_PASSWORD_MAX + 2], err[256];
    size_t n = commands_read_secret("new password: ", password, sizeof(password));
    int rc = -1;
    if (n < ADMIN_PASSWORD_MIN || n > ADMIN_PASSWORD_MAX)
        fprintf(stderr,
                "sendwatch: an admin's password is %d to %d bytes, on one line of "
                "standard input\n",
                ADMIN_PASSWORD_MIN, ADMIN_PASSWORD_MAX);
    else if (admin_hash_password(password, hash, len, err, sizeof(err)) != 0)
        fprintf(stderr, "sendwatch: %s\n", err);
    else
        rc = 0;
    OPENSSL_cleanse(password, sizeof(password));
    return rc;
}

/* As run_user: the audit line, and SIGHUP to the running web (if any). */
static void after_change(const struct config *cfg, const char *action, const char *name,
                         const char *result)
{
    char err[512], who[64];
    uid_t uid = getuid();
    snprintf(who, sizeof(who), "cli:uid %ld", (long)uid);
    if (privilege_drop(cfg->run_user, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
        return;
    }
    struct store *st = commands_open_store(cfg, false);
    struct audit_entry e = {
        .who = who, .action = action, .target = name, .from = "", .result = result};
    if (st != NULL && audit_add_stored(st, &e, err, sizeof(err)) != 0)
        fprintf(stderr, "sendwatch: audit log: %s\n", err);
    store_close(st);
    if (access(cfg->web_pid_file, F_OK) != 0) {
        printf("sendwatch-web is not running (no %s): it reads %s when it starts\n",
               cfg->web_pid_file, cfg->admins_file);
        return;
    }
    long pid = commands_daemon_pid(cfg->web_pid_file, "sendwatch-web");
    if (pid > 0 && kill((pid_t)pid, SIGHUP) == 0)
        printf("sendwatch-web (pid %ld) told to read %s again\n", pid, cfg->admins_file);
    else if (pid > 0)
        fprintf(stderr, "sendwatch: cannot signal process %ld: %s\n", pid,
                strerror(errno));
}

int command_admin(const char *config_path, int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *op = argv[1], *name = argc > 2 ? argv[2] : NULL;
    enum admin_role role = ADMIN_ROLE_ADMIN;
    bool list = strcmp(op, "list") == 0 && argc == 2;
    bool add = strcmp(op, "add") == 0 && argc == 5 && strcmp(argv[3], "--role") == 0 &&
               admin_role_parse(argv[4], &role);
    bool passwd = strcmp(op, "passwd") == 0 && argc == 3;
    bool set_role =
        strcmp(op, "role") == 0 && argc == 4 && admin_role_parse(argv[3], &role);
    bool remove = strcmp(op, "remove") == 0 && argc == 3;
    if (!list && !add && !passwd && !set_role && !remove)
        return usage();
    if (name != NULL && !admin_name_valid(name)) {
        fprintf(stderr,
                "sendwatch: \"%s\" is not an admin name (letters, digits, '.', '_', '-'; "
                "at most %d)\n",
                name, ADMIN_NAME_MAX);
        return 2;
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    char err[1024];
    uid_t owner = geteuid();
    gid_t group;
    if (privilege_lookup(cfg->run_user, &owner, &group, err, sizeof(err)) != 0)
        owner = geteuid();
    struct files *fs = files_new();
    struct admins a;
    int status = 1;
    if (fs == NULL ||
        admins_load(fs, cfg->admins_file, owner, &a, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", fs ? err : "out of memory");
        files_free(fs);
        config_free(cfg);
        return 1;
    }
    files_free(fs);
    if (list) {
        for (size_t i = 0; i < a.n; i++)
            printf("%s %s\n", a.list[i].name, admin_role_name(a.list[i].role));
        admins_free(&a);
        config_free(cfg);
        return 0;
    }
    const struct admin *found = admins_find(&a, name);
    char hash[ADMIN_HASH_MAX], what[64];
    snprintf(what, sizeof(what), "admin-%s", op);
    if (add && found != NULL) {
        fprintf(stderr, "sendwatch: %s is an admin already (passwd or role change it)\n",
                name);
    } else if (!add && found == NULL) {
        fprintf(stderr, "sendwatch: %s is not in %s\n", name, cfg->admins_file);
    } else if (remove) {
        admins_remove(&a, name);
        status = 0;
    } else if (set_role) {
        snprintf(hash, sizeof(hash), "%s", found->hash);
        status = admins_set(&a, name, role, hash) == 0 ? 0 : 1;
    } else if (new_password_hash(hash, sizeof(hash)) == 0) {
        if (passwd)
            role = found->role;
        status = admins_set(&a, name, role, hash) == 0 ? 0 : 1;
    }
    if (status == 0 && admins_write(cfg->admins_file, &a, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
        status = 1;
    }
    if (status == 0) {
        printf("%s: %s%s%s\n", name,
               add      ? "added as "
               : passwd ? "password changed"
               : remove ? "removed"
                        : "role now ",
               add || set_role ? admin_role_name(role) : "", "");
        char result[64];
        snprintf(result, sizeof(result), "ok%s%s", add || set_role ? ": " : "",
                 add || set_role ? admin_role_name(role) : "");
        after_change(cfg, what, name, result);
    }
    OPENSSL_cleanse(hash, sizeof(hash));
    admins_free(&a);
    config_free(cfg);
    return status;
}
