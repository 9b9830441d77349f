/*
 * preflight - what a daemon needs from the file system, checked before it
 * starts work: by the daemon itself while still root, and by "sendwatch
 * check", with the same code, so a passing check means a clean start.
 *
 * Directories the daemon uses after it drops to run_user (state_dir,
 * temp_dir, quarantine_dir, the directories of its socket and pid file)
 * must exist and be usable by run_user; the question is asked of the
 * kernel with run_user's rights (privilege_user_can), so it is exact.
 * Files the daemon keeps in memory from the start (notice templates, the
 * link key) are loaded here, as root: the loaders are the checks.  Every
 * file read as root goes through preflight_guard: what run_user could
 * change is refused.
 *
 * Both check CONFIG_PATH (the file CFG came from) with preflight_guard.
 * Every problem goes to REPORT(CTX, fatal, text) as one line naming the
 * setting and the path; the functions return the number of fatal ones.
 * Should root be lost on the way (privilege_as_user), that is the last
 * problem reported: the caller must exit.
 * Never logs, never exits.
 */
#ifndef SENDWATCH_PREFLIGHT_H
#define SENDWATCH_PREFLIGHT_H

#include <stdbool.h>

#include "config.h"
#include "admins.h"
#include "files.h"
#include "notice.h"
#include "token.h"

typedef void (*preflight_report)(void *ctx, bool fatal, const char *text);

/*
 * The files guard (files.h) for what a daemon reads as root: refuses PATH
 * when run_user owns, or may write to, the file or any directory on its
 * real path (a sticky directory such as /tmp only when run_user owns the
 * entry below it) - else a compromised daemon could swap in a rule that
 * names /etc/shadow as a keyword list, or a symlink to it.  CTX is the
 * struct config.  Only when root: otherwise files are read with the
 * daemon's own rights and nothing is refused.  0, -1 with ERR, -2 when
 * root could not be regained (exit).
 */
int preflight_guard(void *ctx, const char *path, char *err, size_t errlen);

/*
 * A files set (files.h) guarded by preflight_guard for CFG, after
 * CONFIG_PATH (already read; NULL: none) passed the same guard.  NULL with
 * ERR.  The caller frees it; CFG must outlive it.
 */
struct files *preflight_files(const struct config *cfg, const char *config_path,
                              char *err, size_t errlen);

/*
 * sendwatch-milter: run_user, state_dir, temp_dir, quarantine_dir, the
 * directory of a unix milter_socket and of PIDFILE (the -p option; NULL:
 * milter_pid_file); and web_key_file, from which the key that seals zip
 * passwords at rest is derived (secret.h), loaded into *KEY (NULL:
 * checked only).  (Config and rules go through preflight_files.)
 */
int preflight_milter(const struct config *cfg, const char *config_path,
                     const char *pidfile, preflight_report report, void *ctx,
                     struct token_key *key);

/*
 * sendwatch-holdd: run_user, state_dir, the directories of holdd_socket and
 * PIDFILE (the -p option; NULL: holdd_pid_file), postfix_config_dir/main.cf,
 * sendmail_path, the notice templates and web_key_file (owner root or
 * run_user, mode 0600 or stricter).  What it loaded goes to *TEMPLATES
 * (the caller frees it) and *KEY when they are not NULL.
 */
int preflight_holdd(const struct config *cfg, const char *config_path,
                    const char *pidfile, preflight_report report, void *ctx,
                    struct notice_templates **templates, struct token_key *key);

/* What sendwatch-web reads as root (the caller frees the strings and the list). */
struct preflight_web {
    struct token_key key; /* web_key_file */
    struct admins admins; /* admins_file (empty when there is none yet) */
    char *tls_cert;       /* web_tls_cert, PEM; NULL without TLS */
    char *tls_key;        /* web_tls_key, PEM; NULL without TLS */
};

/*
 * sendwatch-web: run_user, state_dir, quarantine_dir, temp_dir, the
 * directories of holdd_socket and PIDFILE (the -p option; NULL:
 * web_pid_file), web_key_file, admins_file (mode 0600, owner root or
 * run_user; missing or empty is a warning: nobody can sign in yet) and
 * the TLS files when set.  What it read goes to *OUT (NULL: checked only).
 */
int preflight_web(const struct config *cfg, const char *config_path, const char *pidfile,
                  preflight_report report, void *ctx, struct preflight_web *out);

/* admins_file read again through FS (the web's root loader, on reload). */
int preflight_web_admins(struct files *fs, const struct config *cfg, struct admins *out,
                         char *err, size_t errlen);

#endif
