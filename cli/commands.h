/*
 * commands - the sendwatch subcommands.  Each takes the config path and
 * its own arguments (ARGV[0] is the command name) and returns the exit
 * status: 0 success, 1 failure (said on stderr), 2 usage error.
 */
#ifndef SENDWATCH_CLI_COMMANDS_H
#define SENDWATCH_CLI_COMMANDS_H

#include <stdbool.h>

#include "config.h"
#include "store.h"

int command_check(const char *config_path, int argc, char **argv);
int command_config(const char *config_path, int argc, char **argv);
int command_test(const char *config_path, int argc, char **argv);
int command_reload(const char *config_path, int argc, char **argv);
int command_quarantine(const char *config_path, int argc, char **argv);
int command_held(const char *config_path, int argc, char **argv);
int command_key(const char *config_path, int argc, char **argv);
int command_token(const char *config_path, int argc, char **argv);
int command_user(const char *config_path, int argc, char **argv);
int command_admin(const char *config_path, int argc, char **argv);
int command_audit(const char *config_path, int argc, char **argv);

/*
 * Reads one line of standard input into OUT (LEN bytes, NUL-terminated)
 * byte by byte with read(2), so no stdio buffer keeps a copy; from a
 * terminal it says PROMPT and does not echo.  Returns its length.
 */
size_t commands_read_secret(const char *prompt, char *out, size_t len);

/*
 * The PID in the pid file PATH when that process is PROGRAM (its name in
 * /proc); else 0, said on standard error.
 */
long commands_daemon_pid(const char *path, const char *program);

/* Loads the config, or says why on stderr and returns NULL. */
struct config *commands_load_config(const char *config_path);

/*
 * Loads rules_dir as the daemons do (preflight_files: as root, nothing
 * run_user could have changed).  NULL with ERR.
 */
struct rules;
struct rules *commands_load_rules(const struct config *cfg, char *err, size_t errlen);

/* The encryption policy (its domain table) loaded the same way.  NULL with ERR. */
struct encrypt_policy;
struct encrypt_policy *commands_load_policy(const struct config *cfg, char *err,
                                            size_t errlen);

/*
 * Becomes run_user (when root: LMDB's files keep belonging to the daemons)
 * and opens the state store, or says why on stderr and returns NULL.
 */
struct store *commands_open_store(const struct config *cfg, bool read_only);

#endif
