/*
 * sendwatch - the admin's command line.
 *
 *   sendwatch [-c FILE] check                 validate config and rules
 *   sendwatch [-c FILE] config                print the effective settings
 *   sendwatch [-c FILE] test MESSAGE.eml ...  what the rules make of a message
 *   sendwatch [-c FILE] reload                make the milter load the rules anew
 *   sendwatch [-c FILE] quarantine list       the stored copies
 *   sendwatch [-c FILE] held ...              held mail: list, show, release, delete,
 *                                             reschedule (carried out by holdd)
 *   sendwatch [-c FILE] audit                 the audit log, newest first
 *   (and key, token, admin, user: see the table below)
 *
 * main() only parses the global options and dispatches to a command.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "timefmt.h"
#include "policy.h"
#include "preflight.h"
#include "privilege.h"
#include "rules.h"

struct config *commands_load_config(const char *config_path)
{
    char err[1024];
    struct config *cfg = config_load(config_path, err, sizeof(err));

    if (cfg == NULL) {
        fprintf(stderr, "sendwatch: %s\n", err);
        return NULL;
    }
    /* Times people read are in the site's zone; an unknown zone is an error
     * here as in the daemons ("sendwatch check" says so). */
    if (timefmt_use_zone(cfg->time_zone, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

size_t commands_read_secret(const char *prompt, char *out, size_t len)
{
    struct termios saved, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        fputs(prompt, stderr);
    }
    size_t n = 0;
    char c;
    while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n' && n + 1 < len)
        out[n++] = c;
    while (n > 0 && out[n - 1] == '\r')
        n--;
    out[n] = '\0';
    c = '\0';
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    return n;
}

long commands_daemon_pid(const char *path, const char *program)
{
    FILE *fp = fopen(path, "re");
    long pid = 0;
    char comm[64] = "", proc[64];

    if (fp == NULL) {
        fprintf(stderr, "sendwatch: %s: cannot open: %s (is %s running?)\n", path,
                strerror(errno), program);
        return 0;
    }
    if (fscanf(fp, "%ld", &pid) != 1 || pid <= 1) {
        fprintf(stderr, "sendwatch: %s: no process ID in it\n", path);
        fclose(fp);
        return 0;
    }
    fclose(fp);
    /* A stale file may name a PID that another program now has; the kernel
     * keeps 15 characters of a program's name. */
    snprintf(proc, sizeof(proc), "/proc/%ld/comm", pid);
    fp = fopen(proc, "re");
    comm[0] = '\0';
    if (fp == NULL || fgets(comm, sizeof(comm), fp) == NULL ||
        strncmp(comm, program, strlen(program) < 15 ? strlen(program) : 15) != 0) {
        fprintf(stderr, "sendwatch: process %ld from %s is not %s\n", pid, path, program);
        if (fp)
            fclose(fp);
        return 0;
    }
    fclose(fp);
    return pid;
}

struct rules *commands_load_rules(const struct config *cfg, char *err, size_t errlen)
{
    struct files *fs = preflight_files(cfg, NULL, err, errlen);
    struct rules *rules = fs ? rules_load_from(fs, cfg->rules_dir, err, errlen) : NULL;
    files_free(fs);
    return rules;
}

struct encrypt_policy *commands_load_policy(const struct config *cfg, char *err,
                                            size_t errlen)
{
    struct files *fs = preflight_files(cfg, NULL, err, errlen);
    struct encrypt_policy *p = fs ? encrypt_policy_new(cfg, fs, err, errlen) : NULL;
    files_free(fs);
    return p;
}

struct store *commands_open_store(const struct config *cfg, bool read_only)
{
    char err[1024];
    struct store *store = NULL;

    if (privilege_drop(cfg->run_user, err, sizeof(err)) != 0 ||
        (store = store_open(cfg->state_dir, cfg->state_map_size, read_only, err,
                            sizeof(err))) == NULL)
        fprintf(stderr, "sendwatch: %s\n", err);
    return store;
}

/* What "check" has said, so a problem both daemons share is said once. */
struct check_report {
    char *said[64];
    size_t nsaid;
};

static void report_to_stderr(void *ctx, bool fatal, const char *text)
{
    struct check_report *r = ctx;
    for (size_t i = 0; i < r->nsaid; i++)
        if (strcmp(r->said[i], text) == 0)
            return;
    if (r->nsaid < sizeof(r->said) / sizeof(*r->said))
        r->said[r->nsaid++] = strdup(text);
    fprintf(stderr, "sendwatch: %s%s\n", fatal ? "" : "warning: ", text);
}

/*
 * Everything the daemons check when they start, with their own code
 * (config, rules, preflight.h): a passing check means a clean start.
 */
int command_check(const char *config_path, int argc, char **argv)
{
    char err[1024];
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: sendwatch [-c FILE] check\n");
        return 2;
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    printf("%s: ok\n", config_path);
    struct rules *rules = commands_load_rules(cfg, err, sizeof(err));
    int status = rules ? 0 : 1;
    if (rules)
        printf("%s: %zu rules ok\n", cfg->rules_dir, rules_count(rules));
    else
        fprintf(stderr, "sendwatch: %s\n", err);
    rules_free(rules);
    struct encrypt_policy *policy = commands_load_policy(cfg, err, sizeof(err));
    if (policy == NULL) {
        fprintf(stderr, "sendwatch: %s\n", err);
        status = 1;
    } else if (cfg->encrypt_domains_file[0] != '\0') {
        printf("%s: ok\n", cfg->encrypt_domains_file);
    }
    encrypt_policy_free(policy);
    struct check_report report = {0};
    if (preflight_milter(cfg, config_path, NULL, report_to_stderr, &report, NULL) == 0)
        printf(
            "sendwatch-milter: would start (directories, socket and pid file places)\n");
    else
        status = 1;
    if (preflight_holdd(cfg, config_path, NULL, report_to_stderr, &report, NULL, NULL) ==
        0)
        printf("sendwatch-holdd: would start (directories, Postfix, sendmail, notice "
               "templates, link key)\n");
    else
        status = 1;
    if (preflight_web(cfg, config_path, NULL, report_to_stderr, &report, NULL) == 0)
        printf("sendwatch-web: would start (directories, link key, admins_file, TLS "
               "files)\n");
    else
        status = 1;
    for (size_t i = 0; i < report.nsaid; i++)
        free(report.said[i]);
    config_free(cfg);
    return status;
}

int command_config(const char *config_path, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: sendwatch [-c FILE] config\n");
        return 2;
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    config_print(cfg, stdout);
    config_free(cfg);
    return 0;
}

static const struct command {
    const char *name;
    const char *summary;
    int (*run)(const char *config_path, int argc, char **argv);
} commands[] = {
    {"check", "validate the config file and the rules", command_check},
    {"config", "print every setting with its effective value", command_config},
    {"test", "MESSAGE.eml [--from A] [--to B]... [--json]: what the rules do with it",
     command_test},
    {"reload", "make the running milter load config and rules anew", command_reload},
    {"quarantine", "list [--json]: the stored copies and why they were stored",
     command_quarantine},
    {"held", "list [--json] | show ID | release ID | delete ID | reschedule ID WHEN",
     command_held},
    {"key", "new: make web_key_file, the key that signs the links in notices",
     command_key},
    {"token", "verify URL: is a link from a notice genuine, and for what", command_token},
    {"admin",
     "list | add NAME --role ROLE | passwd NAME | role NAME ROLE | remove NAME: the "
     "web console's admins (roles: admin, operator, auditor; passwords on stdin)",
     command_admin},
    {"audit", "[--json] [--limit N]: the audit log, newest first (default: 100 lines)",
     command_audit},
    {"user",
     "show ADDRESS | set ADDRESS NAME=VALUE... | password ADDRESS --hint TEXT|--remove: "
     "a sender's own settings",
     command_user},
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
