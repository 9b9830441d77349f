/* daemon_args - see daemon_args.h. */
#include "daemon_args.h"

#include <stdio.h>
#include <unistd.h>

static void usage(FILE *out, const char *program, const char *pid_setting)
{
    fprintf(out,
            "usage: %s [-f] [-c CONFIG] [-p PIDFILE]\n"
            "  -c CONFIG   config file (default " SENDWATCH_DEFAULT_CONFIG ")\n"
            "  -f          stay in the foreground and log to standard error\n"
            "  -p PIDFILE  write the process ID here, not to %s\n",
            program, pid_setting);
}

int daemon_args_parse(int argc, char **argv, const char *program, const char *pid_setting,
                      struct daemon_args *args)
{
    int opt;

    *args = (struct daemon_args){.config_path = SENDWATCH_DEFAULT_CONFIG};
    while ((opt = getopt(argc, argv, "c:fhp:")) != -1) {
        switch (opt) {
        case 'c':
            args->config_path = optarg;
            break;
        case 'f':
            args->foreground = true;
            break;
        case 'p':
            args->pidfile = optarg;
            break;
        case 'h':
            usage(stdout, program, pid_setting);
            return 0;
        default:
            usage(stderr, program, pid_setting);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr, program, pid_setting);
        return 2;
    }
    return -1;
}
