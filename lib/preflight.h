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
 * link key) are loaded here, as root: the loaders are the checks.
 * Writable-by-run_user rules or config only warn: a compromised daemon
 * could then change the policy it enforces.
 *
 * Every problem goes to REPORT(CTX, fatal, text) as one line naming the
 * setting and the path; the functions return the number of fatal ones.
 * Never logs, never exits.
 */
#ifndef SENDWATCH_PREFLIGHT_H
#define SENDWATCH_PREFLIGHT_H

#include <stdbool.h>

#include "config.h"
#include "notice.h"
#include "token.h"

typedef void (*preflight_report)(void *ctx, bool fatal, const char *text);

/*
 * sendwatch-milter: run_user, state_dir, temp_dir, quarantine_dir, the
 * directory of a unix milter_socket and of PIDFILE (NULL:
 * milter_pid_file); rules_dir not writable by run_user.
 */
int preflight_milter(const struct config *cfg, const char *pidfile,
                     preflight_report report, void *ctx);

/*
 * sendwatch-holdd: run_user, state_dir, the directories of holdd_socket and
 * PIDFILE (NULL: holdd_pid_file), postfix_config_dir/main.cf,
 * sendmail_path, the notice templates and web_key_file (owner root or
 * run_user, mode 0600 or stricter).  What it loaded goes to *TEMPLATES
 * (the caller frees it) and *KEY when they are not NULL.
 */
int preflight_holdd(const struct config *cfg, const char *pidfile,
                    preflight_report report, void *ctx,
                    struct notice_templates **templates, struct token_key *key);

#endif
