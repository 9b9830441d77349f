/*
 * sendwatch - the admin's command line.
 *
 *   sendwatch [-c FILE] check     validate the config; exit 1 with FILE:LINE: why
 *   sendwatch [-c FILE] config    print the effective settings
 *
 * main() only parses the global options and dispatches to a command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(const char *config_path, int argc, char **argv);
};

static struct config *load_or_complain(const char *config_path)
{
    char err[1024];
    struct config *cfg = config_load(config_path, err, sizeof(err));

    if (cfg == NULL)
        fprintf(stderr, "sendwatch: %s\n", err);
    return cfg;
}

static int command_check(const char *config_path, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: sendwatch [-c FILE] check\n");
        return 2;
    }
    struct config *cfg = load_or_complain(config_path);
    if (cfg == NULL)
        return 1;
    printf("%s: ok\n", config_path);
    config_free(cfg);
    return 0;
}

static int command_config(const char *config_path, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: sendwatch [-c FILE] config\n");
        return 2;
    }
    struct config *cfg = load_or_complain(config_path);
    if (cfg == NULL)
        return 1;
    config_print(cfg, stdout);
    config_free(cfg);
    return 0;
}

static const struct command commands[] = {
    {"check", "validate the config file", command_check},
    {"config", "print every setting with its effective value", command_config},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: sendwatch [-c FILE] COMMAND [ARGS]\n"
                 "  -c FILE   config file (default " SENDWATCH_DEFAULT_CONFIG ")\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    const char *config_path = SENDWATCH_DEFAULT_CONFIG;
    int opt;

    /* "+": stop at the command, whose own options are its business. */
    while ((opt = getopt(argc, argv, "+c:hV")) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("sendwatch %s\n", SENDWATCH_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[optind], commands[i].name) == 0)
            return commands[i].run(config_path, argc - optind, argv + optind);
    fprintf(stderr, "sendwatch: unknown command \"%s\"\n", argv[optind]);
    usage(stderr);
    return 2;
}
