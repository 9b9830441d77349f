/*
 * daemon_args - the command line every sendwatch daemon takes:
 *   -c CONFIG   config file (default SENDWATCH_DEFAULT_CONFIG)
 *   -f          stay in the foreground and log to standard error
 *   -p PIDFILE  write the process ID here, not to the daemon's setting
 *   -h          usage on standard output
 * One parser, so that the daemons cannot drift apart.  Never exits.
 */
#ifndef SENDWATCH_DAEMON_ARGS_H
#define SENDWATCH_DAEMON_ARGS_H

#include <stdbool.h>

struct daemon_args {
    const char *config_path; /* never NULL */
    const char *pidfile;     /* NULL: the daemon's pid file setting */
    bool foreground;
};

/*
 * Parses ARGV for PROGRAM (its name in the usage line), whose pid file
 * setting is PID_SETTING (for the usage text).  Returns -1 when the daemon
 * should go on, else the status to exit with: 0 after -h (usage printed on
 * standard output), 2 after a bad option or argument (usage on standard
 * error).
 */
int daemon_args_parse(int argc, char **argv, const char *program, const char *pid_setting,
                      struct daemon_args *args);

#endif
