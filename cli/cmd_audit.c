/*
 * sendwatch audit [--json] [--limit N]: the audit log, newest first - who
 * changed what, when, from where, with what result (the web's changes,
 * the admin accounts, holdd's automatic bypass).  The same lines as the
 * console's audit page, for auditors and scripts on the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "commands.h"
#include "json.h"
#include "log.h"
#include "timefmt.h"

struct audit_list {
    bool json, first;
    size_t left, count;
};

static int print_one(void *ctx, const struct audit_entry *e)
{
    struct audit_list *l = ctx;
    if (l->left == 0)
        return 1;
    l->left--;
    l->count++;
    const char *fields[][2] = {{"who", e->who},
                               {"action", e->action},
                               {"target", e->target},
                               {"from", e->from},
                               {"result", e->result}};
    if (l->json) {
        char when[32];
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&e->time, &tm));
        json_sep(stdout, &l->first);
        fputc('{', stdout);
        json_key(stdout, "time");
        json_string(stdout, when);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            fputc(',', stdout);
            json_key(stdout, fields[i][0]);
            json_string(stdout, fields[i][1] ? fields[i][1] : "");
        }
        fputc('}', stdout);
        return 0;
    }
    char local[TIMEFMT_MAX];
    printf("%s", timefmt_local(e->time, local, sizeof(local)));
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        /* Values may come from the web's clients: control bytes escaped. */
        char shown[1200];
        const char *v = fields[i][1] ? fields[i][1] : "";
        printf(" %s=%s", fields[i][0], log_escape(shown, sizeof(shown), v, strlen(v)));
    }
    putchar('\n');
    return 0;
}

int command_audit(const char *config_path, int argc, char **argv)
{
    struct audit_list l = {.first = true, .left = 100};
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--json") == 0) {
            l.json = true;
        } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
                   (l.left = strtoul(argv[i + 1], &end, 10)) > 0 && *end == '\0') {
            i++;
        } else {
            fprintf(stderr, "usage: sendwatch [-c FILE] audit [--json] [--limit N]\n");
            return 2;
        }
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    char err[1024];
    int status = 1;
    struct store *store = commands_open_store(cfg, true);
    if (store != NULL) {
        if (l.json)
            fputc('[', stdout);
        if (audit_foreach_newest(store, 0, print_one, &l, err, sizeof(err)) != 0)
            fprintf(stderr, "sendwatch: %s\n", err);
        else
            status = 0;
        if (l.json)
            fputs("]\n", stdout);
        else if (status == 0 && l.count == 0)
            printf("the audit log is empty\n");
        store_close(store);
    }
    config_free(cfg);
    return status;
}
