/*
 * sendwatch reload: checks config and rules, then, as run_user, tells the
 * running sendwatch-milter (milter_pid_file) to load them, with SIGUSR1.  Bad
 * rules are reported here and nothing is signalled; the milter checks
 * again itself and keeps its old rules if the new ones fail there.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "policy.h"
#include "privilege.h"
#include "rules.h"

int command_reload(const char *config_path, int argc, char **argv)
{
    char err[1024];
    (void)argv;

    if (argc != 1) {
        fprintf(stderr, "usage: sendwatch [-c FILE] reload\n");
        return 2;
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    struct rules *rules = commands_load_rules(cfg, err, sizeof(err));
    struct encrypt_policy *policy =
        rules != NULL ? commands_load_policy(cfg, err, sizeof(err)) : NULL;
    encrypt_policy_free(policy);
    if (rules != NULL && policy == NULL) {
        rules_free(rules);
        rules = NULL;
    }
    if (rules == NULL) {
        fprintf(stderr,
                "sendwatch: %s\nsendwatch: not reloaded: the milter keeps its rules\n",
                err);
        config_free(cfg);
        return 1;
    }
    int status = 1;
    /* The pid file is run_user's (the milter writes it after its drop): as
     * root we would signal whatever process it names.  As run_user we can
     * signal only run_user's own processes. */
    if (privilege_drop(cfg->run_user, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
        rules_free(rules);
        config_free(cfg);
        return 1;
    }
    long pid = commands_daemon_pid(cfg->milter_pid_file, "sendwatch-milter");
    if (pid > 0) {
        if (kill((pid_t)pid, SIGUSR1) != 0) {
            fprintf(stderr, "sendwatch: cannot signal process %ld: %s\n", pid,
                    strerror(errno));
        } else {
            printf("sendwatch-milter (pid %ld) told to reload %zu rules from %s\n", pid,
                   rules_count(rules), cfg->rules_dir);
            status = 0;
        }
    }
    rules_free(rules);
    config_free(cfg);
    return status;
}
