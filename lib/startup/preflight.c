/* preflight - see preflight.h. */
#include "preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "files.h"
#include "privilege.h"

struct preflight {
    const struct config *cfg;
    preflight_report report;
    void *ctx;
    int fatal;
    bool lost_root; /* privilege_as_user could not become root again: stop */
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
    if (p->lost_root)
        return;
    int can = privilege_user_can(p->cfg->run_user, path, mode, why, sizeof(why), err,
                                 sizeof(err));
    p->lost_root = can == -2;
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

/* A file root reads for the daemon (SETTING's PATH): preflight_guard. */
static void check_read_as_root(struct preflight *p, const char *setting, const char *path)
{
    char err[1024];
    if (p->lost_root)
        return;
    int rc = preflight_guard((void *)p->cfg, path, err, sizeof(err));
    p->lost_root = rc == -2;
    if (rc != 0)
        say(p, true, "%s %s", setting, err);
}

/* ------------------------------------------------------------ the guard */

#define GUARD_MAX_DEPTH 64

struct guard_walk {
    char path[PATH_MAX];         /* the real path */
    size_t end[GUARD_MAX_DEPTH]; /* the length of each prefix, the whole path first */
    struct stat st[GUARD_MAX_DEPTH];
    size_t n;
    uid_t uid;       /* run_user's */
    size_t bad;      /* the prefix run_user controls, or n */
    const char *how; /* "owns" or "may write to" */
};

/* Runs as run_user (privilege_as_user): which prefix could run_user change? */
static int guard_probe(void *ctx)
{
    struct guard_walk *w = ctx;
    char prefix[PATH_MAX];
    for (size_t i = 0; i < w->n; i++) {
        memcpy(prefix, w->path, w->end[i]);
        prefix[w->end[i]] = '\0';
        bool dir = S_ISDIR(w->st[i].st_mode);
        if (w->st[i].st_uid == w->uid) {
            w->bad = i;
            w->how = "owns";
            return 0;
        }
        if (faccessat(AT_FDCWD, prefix, dir ? W_OK | X_OK : W_OK, AT_EACCESS) != 0)
            continue;
        /* A sticky directory (/tmp) lets run_user replace only its own entries. */
        if (dir && (w->st[i].st_mode & S_ISVTX) && i > 0 && w->st[i - 1].st_uid != w->uid)
            continue;
        w->bad = i;
        w->how = "may write to";
        return 0;
    }
    return 0;
}

int preflight_guard(void *ctx, const char *path, char *err, size_t errlen)
{
    const struct config *cfg = ctx;
    struct guard_walk *w;
    gid_t gid;
    int rc = -1;
    if (geteuid() != 0)
        return 0; /* not root: the files are read with the daemon's own rights */
    if ((w = calloc(1, sizeof(*w))) == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    if (realpath(path, w->path) == NULL) {
        free(w);
        return 0; /* reading it says why */
    }
    for (size_t len = strlen(w->path); w->n < GUARD_MAX_DEPTH;) {
        w->end[w->n] = len ? len : 1;
        char saved = w->path[w->end[w->n]];
        w->path[w->end[w->n]] = '\0';
        int st = lstat(w->path, &w->st[w->n]);
        w->path[w->end[w->n]] = saved;
        if (st != 0) {
            errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
            goto done;
        }
        w->n++;
        if (len <= 1)
            break;
        while (len > 1 && w->path[len - 1] != '/')
            len--;
        if (len > 1)
            len--; /* the slash before the last component */
    }
    w->bad = w->n;
    if (privilege_lookup(cfg->run_user, &w->uid, &gid, err, errlen) != 0)
        goto done;
    if (w->uid == 0) {
        rc = 0; /* no lesser user to guard against (the start refuses it anyway) */
        goto done;
    }
    int as = privilege_as_user(cfg->run_user, NULL, guard_probe, w, err, errlen);
    if (as != 0) {
        rc = as;
        goto done;
    }
    if (w->bad < w->n) {
        errbuf_set(
            err, errlen,
            "%s: refused: run_user %s %s %.*s, so a compromised daemon could change "
            "what root reads for it (make it root's alone)",
            path, cfg->run_user, w->how, (int)w->end[w->bad], w->path);
        goto done;
    }
    rc = 0;
done:
    free(w);
    return rc;
}

struct files *preflight_files(const struct config *cfg, const char *config_path,
                              char *err, size_t errlen)
{
    struct files *fs = files_new();
    if (fs == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    if (config_path != NULL &&
        preflight_guard((void *)cfg, config_path, err, errlen) != 0) {
        files_free(fs);
        return NULL;
    }
    files_set_guard(fs, preflight_guard, (void *)cfg);
    return fs;
}

/* SETTING's PATH: a program root will run - executable, and out of run_user's reach. */
static void check_root_program(struct preflight *p, const char *setting, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || access(path, X_OK) != 0)
        say(p, true, "%s %s: %s", setting, path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        say(p, true, "%s %s: not a file", setting, path);
    else
        check_read_as_root(p, setting, path);
}

static void check_key(struct preflight *p, struct token_key *out)
{
    struct token_key key;
    char err[768];
    uid_t uid = geteuid();
    gid_t gid;
    if (p->lost_root)
        return;
    if (geteuid() == 0 &&
        privilege_lookup(p->cfg->run_user, &uid, &gid, err, sizeof(err)) != 0)
        uid = 0;
    check_read_as_root(p, "web_key_file", p->cfg->web_key_file);
    if (token_key_load_owned(p->cfg->web_key_file, uid, &key, err, sizeof(err)) != 0) {
        say(p, true, "%s", err);
        return;
    }
    if (out != NULL)
        *out = key;
    OPENSSL_cleanse(&key, sizeof(key));
}

int preflight_milter(const struct config *cfg, const char *config_path,
                     const char *pidfile, preflight_report report, void *ctx,
                     struct token_key *key)
{
    struct preflight p = {cfg, report, ctx, 0, false};
    if (!check_run_user(&p))
        return p.fatal;
    check_read_as_root(&p, "config", config_path);
    check_dir(&p, "state_dir", cfg->state_dir, R_OK | W_OK | X_OK);
    check_dir(&p, "temp_dir", cfg->temp_dir, W_OK | X_OK);
    check_dir(&p, "quarantine_dir", cfg->quarantine_dir, W_OK | X_OK);
    if (strncmp(cfg->milter_socket, "unix:", 5) == 0 ||
        strncmp(cfg->milter_socket, "local:", 6) == 0)
        check_parent(&p, "milter_socket", strchr(cfg->milter_socket, ':') + 1);
    check_parent(&p, pidfile ? "-p" : "milter_pid_file",
                 pidfile ? pidfile : cfg->milter_pid_file);
    check_key(&p, key);
    return p.fatal;
}

int preflight_holdd(const struct config *cfg, const char *config_path,
                    const char *pidfile, preflight_report report, void *ctx,
                    struct notice_templates **templates, struct token_key *key)
{
    struct preflight p = {cfg, report, ctx, 0, false};
    char path[PATH_MAX], err[1024];
    if (!check_run_user(&p))
        return p.fatal;
    check_read_as_root(&p, "config", config_path);
    check_dir(&p, "state_dir", cfg->state_dir, R_OK | W_OK | X_OK);
    check_parent(&p, "holdd_socket", cfg->holdd_socket);
    check_parent(&p, pidfile ? "-p" : "holdd_pid_file",
                 pidfile ? pidfile : cfg->holdd_pid_file);
    if (p.lost_root)
        return p.fatal;
    snprintf(path, sizeof(path), "%s/main.cf", cfg->postfix_config_dir);
    if (access(path, R_OK) != 0)
        say(&p, true, "postfix_config_dir %s: no readable main.cf: %s",
            cfg->postfix_config_dir, strerror(errno));
    /* Both run as root (the helper, and sendmail under it): nothing run_user
     * could change. */
    check_root_program(&p, "sendmail_path", cfg->sendmail_path);
    check_root_program(&p, "holdd_helper", cfg->holdd_helper);
    /* The helper runs it as root, with Postfix's config in its hands. */
    if (cfg->auto_bypass)
        check_root_program(&p, "bypass_command", cfg->bypass_command);

    struct files *fs = preflight_files(cfg, NULL, err, sizeof(err));
    struct notice_templates *ts =
        fs ? notice_templates_load(fs, cfg->notice_template_dir, err, sizeof(err)) : NULL;
    if (ts == NULL)
        say(&p, true, "%s", err);
    files_free(fs);
    check_key(&p, key);
    if (templates != NULL && p.fatal == 0)
        *templates = ts;
    else
        notice_templates_free(ts);
    return p.fatal;
}

/* The owner a secret file may have besides root: run_user (ourselves when not root). */
static uid_t secret_owner(const struct preflight *p)
{
    uid_t uid = geteuid();
    gid_t gid;
    char err[256];
    if (uid == 0 && privilege_lookup(p->cfg->run_user, &uid, &gid, err, sizeof(err)) != 0)
        uid = 0;
    return uid;
}

/* SETTING's file PATH read whole (through FS, guarded) into a malloc'ed copy. */
static char *read_whole(struct preflight *p, struct files *fs, const char *setting,
                        const char *path)
{
    const char *data;
    size_t len;
    char err[768];
    if (files_read(fs, path, &data, &len, err, sizeof(err)) != 0) {
        say(p, true, "%s: %s", setting, err);
        return NULL;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        say(p, true, "%s: out of memory", setting);
        return NULL;
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    return copy;
}

int preflight_web(const struct config *cfg, const char *config_path, const char *pidfile,
                  preflight_report report, void *ctx, struct preflight_web *out)
{
    struct preflight p = {cfg, report, ctx, 0, false};
    char err[1024];
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (!check_run_user(&p))
        return p.fatal;
    check_read_as_root(&p, "config", config_path);
    check_dir(&p, "state_dir", cfg->state_dir, R_OK | W_OK | X_OK);
    check_dir(&p, "quarantine_dir", cfg->quarantine_dir, R_OK | W_OK | X_OK);
    check_dir(&p, "temp_dir", cfg->temp_dir, R_OK | W_OK | X_OK);
    check_parent(&p, "holdd_socket", cfg->holdd_socket);
    check_parent(&p, pidfile ? "-p" : "web_pid_file",
                 pidfile ? pidfile : cfg->web_pid_file);
    if (p.lost_root)
        return p.fatal;
    if ((cfg->web_tls_cert[0] == '\0') != (cfg->web_tls_key[0] == '\0'))
        say(&p, true, "web_tls_cert and web_tls_key: give both, or neither");
    struct token_key key;
    check_key(&p, &key);
    struct files *fs = preflight_files(cfg, NULL, err, sizeof(err));
    if (fs == NULL) {
        say(&p, true, "%s", err);
        return p.fatal;
    }
    struct admins admins = {0};
    bool missing = false;
    check_read_as_root(&p, "admins_file", cfg->admins_file);
    if (admins_load(fs, cfg->admins_file, secret_owner(&p), &admins, &missing, err,
                    sizeof(err)) != 0)
        say(&p, true, "%s", err);
    else if (missing || admins.n == 0)
        say(&p, false,
            "admins_file %s: no admins yet: nobody can sign in to the admin console "
            "(sendwatch admin add NAME --role admin)",
            cfg->admins_file);
    char *cert = NULL, *tls_key = NULL;
    if (cfg->web_tls_cert[0] != '\0' && cfg->web_tls_key[0] != '\0') {
        struct stat st;
        cert = read_whole(&p, fs, "web_tls_cert", cfg->web_tls_cert);
        if (stat(cfg->web_tls_key, &st) == 0 && (st.st_mode & 077) != 0)
            say(&p, true, "web_tls_key %s: others may read it (chmod 600)",
                cfg->web_tls_key);
        else
            tls_key = read_whole(&p, fs, "web_tls_key", cfg->web_tls_key);
    }
    files_free(fs);
    if (out != NULL && p.fatal == 0) {
        out->key = key;
        out->admins = admins;
        out->tls_cert = cert;
        out->tls_key = tls_key;
    } else {
        admins_free(&admins);
        free(cert);
        if (tls_key != NULL)
            OPENSSL_clear_free(tls_key, strlen(tls_key));
    }
    OPENSSL_cleanse(&key, sizeof(key));
    return p.fatal;
}

int preflight_web_admins(struct files *fs, const struct config *cfg, struct admins *out,
                         char *err, size_t errlen)
{
    struct preflight p = {cfg, NULL, NULL, 0, false};
    return admins_load(fs, cfg->admins_file, secret_owner(&p), out, NULL, err, errlen);
}
