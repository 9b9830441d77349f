/* preflight - see preflight.h. */
#include "preflight.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "privilege.h"

struct preflight {
    const struct config *cfg;
    preflight_report report;
    void *ctx;
    int fatal;
};

static void say(struct preflight *p, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct preflight *p, bool fatal, const char *fmt, ...)
{
    char text[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    p->fatal += fatal;
    p->report(p->ctx, fatal, text);
}

/* The user the daemon will run as: run_user when root, else ourselves. */
static bool check_run_user(struct preflight *p)
{
    uid_t uid;
    gid_t gid;
    char err[256];
    if (geteuid() != 0)
        return true;
    if (privilege_lookup(p->cfg->run_user, &uid, &gid, err, sizeof(err)) != 0) {
        say(p, true, "run_user: %s (scripts/install-deps or the package creates it)",
            err);
        return false;
    }
    if (uid == 0) {
        say(p, true, "run_user: \"%s\" is root; the daemons refuse to run as root",
            p->cfg->run_user);
        return false;
    }
    return true;
}

static const char *access_words(int mode)
{
    return mode == (R_OK | W_OK | X_OK) ? "read and write in"
           : mode & W_OK                ? "write to"
                                        : "read";
}

/* SETTING's directory PATH exists and run_user may use it with MODE. */
static void check_dir(struct preflight *p, const char *setting, const char *path,
                      int mode)
{
    struct stat st;
    char why[256], err[512];
    if (stat(path, &st) != 0) {
        say(p, true, "%s %s: %s", setting, path, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        say(p, true, "%s %s: not a directory", setting, path);
        return;
    }
    int can = privilege_user_can(p->cfg->run_user, path, mode, why, sizeof(why), err,
                                 sizeof(err));
    if (can < 0)
        say(p, true, "%s %s: %s", setting, path, err);
    else if (can == 0)
        say(p, true, "%s %s: %s cannot %s it: %s", setting, path,
            geteuid() == 0 ? p->cfg->run_user : "this user", access_words(mode), why);
}

/* The directory that will hold SETTING's file PATH (socket, pid file). */
static void check_parent(struct preflight *p, const char *setting, const char *path)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", path);
    char what[128];
    snprintf(what, sizeof(what), "%s: the directory of", setting);
    check_dir(p, what, dirname(copy), W_OK | X_OK);
}

/* Policy files that run_user (a compromised daemon) could rewrite: warn. */
static void warn_if_user_writes(struct preflight *p, const char *setting,
                                const char *path)
{
    char why[256], err[512];
    if (geteuid() != 0)
        return; /* the daemons run as ourselves: nothing to compare with */
    if (privilege_user_can(p->cfg->run_user, path, W_OK, why, sizeof(why), err,
                           sizeof(err)) == 1)
        say(p, false,
            "%s %s: run_user %s can write to it, so a compromised daemon could change "
            "the policy it enforces (make it root's)",
            setting, path, p->cfg->run_user);
}

int preflight_milter(const struct config *cfg, const char *pidfile,
                     preflight_report report, void *ctx)
{
    struct preflight p = {cfg, report, ctx, 0};
    if (!check_run_user(&p))
        return p.fatal;
    check_dir(&p, "state_dir", cfg->state_dir, R_OK | W_OK | X_OK);
    check_dir(&p, "temp_dir", cfg->temp_dir, W_OK | X_OK);
    check_dir(&p, "quarantine_dir", cfg->quarantine_dir, W_OK | X_OK);
    if (strncmp(cfg->milter_socket, "unix:", 5) == 0 ||
        strncmp(cfg->milter_socket, "local:", 6) == 0)
        check_parent(&p, "milter_socket", strchr(cfg->milter_socket, ':') + 1);
    check_parent(&p, pidfile ? "-p" : "milter_pid_file",
                 pidfile ? pidfile : cfg->milter_pid_file);
    warn_if_user_writes(&p, "rules_dir", cfg->rules_dir);
    return p.fatal;
}

static void check_key(struct preflight *p, struct token_key *out)
{
    struct token_key key;
    char err[768];
    struct stat st;
    uid_t uid = geteuid();
    gid_t gid;
    if (token_key_load(p->cfg->web_key_file, &key, err, sizeof(err)) != 0) {
        say(p, true, "%s%s", err,
            errno == ENOENT ? " (make one with \"sendwatch key new\")" : "");
        return;
    }
    if (geteuid() == 0 &&
        privilege_lookup(p->cfg->run_user, &uid, &gid, err, sizeof(err)) != 0)
        uid = 0;
    if (stat(p->cfg->web_key_file, &st) == 0 && st.st_uid != 0 && st.st_uid != uid)
        say(p, true, "web_key_file %s: owned by uid %ld; it must belong to root or %s",
            p->cfg->web_key_file, (long)st.st_uid, p->cfg->run_user);
    else if (out != NULL)
        *out = key;
    OPENSSL_cleanse(&key, sizeof(key));
}

int preflight_holdd(const struct config *cfg, const char *pidfile,
                    preflight_report report, void *ctx,
                    struct notice_templates **templates, struct token_key *key)
{
    struct preflight p = {cfg, report, ctx, 0};
    char path[PATH_MAX], err[1024];
    if (!check_run_user(&p))
        return p.fatal;
    check_dir(&p, "state_dir", cfg->state_dir, R_OK | W_OK | X_OK);
    check_parent(&p, "holdd_socket", cfg->holdd_socket);
    check_parent(&p, pidfile ? "-p" : "holdd_pid_file",
                 pidfile ? pidfile : cfg->holdd_pid_file);
    snprintf(path, sizeof(path), "%s/main.cf", cfg->postfix_config_dir);
    if (access(path, R_OK) != 0)
        say(&p, true, "postfix_config_dir %s: no readable main.cf: %s",
            cfg->postfix_config_dir, strerror(errno));
    struct stat st;
    if (stat(cfg->sendmail_path, &st) != 0 || access(cfg->sendmail_path, X_OK) != 0)
        say(&p, true, "sendmail_path %s: %s", cfg->sendmail_path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        say(&p, true, "sendmail_path %s: not a file", cfg->sendmail_path);

    struct files *fs = files_new();
    struct notice_templates *ts =
        fs ? notice_templates_load(fs, cfg->notice_template_dir, err, sizeof(err)) : NULL;
    files_free(fs);
    if (ts == NULL)
        say(&p, true, "%s", fs ? err : "out of memory");
    warn_if_user_writes(&p, "notice_template_dir", cfg->notice_template_dir);
    check_key(&p, key);
    if (templates != NULL && p.fatal == 0)
        *templates = ts;
    else
        notice_templates_free(ts);
    return p.fatal;
}
