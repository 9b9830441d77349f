/*
 * sendwatch quarantine list [--json]: the index of stored copies, oldest
 * first, from the LMDB environment in state_dir.  Run as root it first
 * becomes run_user, so LMDB's files keep belonging to the daemons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "json.h"
#include "timefmt.h"
#include "log.h"
#include "quarantine.h"
#include "store.h"

struct list_state {
    bool json, first;
    size_t count;
};

static void print_list_json(FILE *out, const char *name, const char *const *values,
                            size_t n)
{
    bool first = true;

    json_key(out, name);
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        json_sep(out, &first);
        json_string(out, values[i]);
    }
    fputc(']', out);
}

static void print_string_json(FILE *out, const char *name, const char *value)
{
    json_key(out, name);
    json_string(out, value);
}

static int list_one(void *ctx, const struct quarantine_entry *e)
{
    struct list_state *st = ctx;
    char time[32];
    struct tm tm;

    st->count++;
    strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&e->time, &tm));
    if (st->json) {
        json_sep(stdout, &st->first);
        fputc('{', stdout);
        print_string_json(stdout, "time", time);
        fputc(',', stdout);
        print_string_json(stdout, "queue_id", e->queue_id);
        fputc(',', stdout);
        print_string_json(stdout, "folder", e->folder);
        fputc(',', stdout);
        print_string_json(stdout, "file", e->file);
        fputc(',', stdout);
        print_string_json(stdout, "sender", e->sender);
        fputc(',', stdout);
        print_list_json(stdout, "rcpt", e->recipients, e->nrecipients);
        fputc(',', stdout);
        print_string_json(stdout, "subject", e->subject);
        fputc(',', stdout);
        print_list_json(stdout, "rule", e->rules, e->nrules);
        fputc(',', stdout);
        print_list_json(stdout, "match", e->matches, e->nmatches);
        fputc('}', stdout);
        return 0;
    }
    /* Values come from mail: control bytes (ESC...) are shown escaped. */
    char a[600], b[600], c[1200], local[TIMEFMT_MAX];
    printf("%s %s %s/%s from=<%s> subject=%s\n",
           timefmt_local(e->time, local, sizeof(local)), e->queue_id, e->folder, e->file,
           log_escape(a, sizeof(a), e->sender, strlen(e->sender)),
           log_escape(b, sizeof(b), e->subject, strlen(e->subject)));
    for (size_t i = 0; i < e->nrules; i++)
        printf("    rule %s\n", e->rules[i]);
    for (size_t i = 0; i < e->nmatches; i++)
        printf("    match %s\n",
               log_escape(c, sizeof(c), e->matches[i], strlen(e->matches[i])));
    return 0;
}

int command_quarantine(const char *config_path, int argc, char **argv)
{
    struct list_state st = {.first = true};
    struct quarantine_skipped skipped;
    char err[1024];

    if (argc < 2 || strcmp(argv[1], "list") != 0 || argc > 3 ||
        (argc == 3 && strcmp(argv[2], "--json") != 0)) {
        fprintf(stderr, "usage: sendwatch [-c FILE] quarantine list [--json]\n");
        return 2;
    }
    st.json = argc == 3;
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    struct store *store = commands_open_store(cfg, true);
    int status = 1;
    if (store != NULL) {
        if (st.json)
            fputc('[', stdout);
        if (quarantine_entry_foreach(store, QUARANTINE_OLDEST_FIRST, list_one, &st,
                                     &skipped, err, sizeof(err)) != 0)
            fprintf(stderr, "sendwatch: %s\n", err);
        else
            status = 0;
        if (st.json)
            fputs("]\n", stdout);
        else if (status == 0 && st.count == 0)
            printf("no stored copies\n");
        /* On stderr: the listing itself stays what scripts parse. */
        if (status == 0 && skipped.version > 0)
            fprintf(stderr,
                    "sendwatch: %zu index entr%s skipped: written by a newer sendwatch "
                    "(another record version)\n",
                    skipped.version, skipped.version == 1 ? "y" : "ies");
        if (status == 0 && skipped.incomplete > 0)
            fprintf(stderr,
                    "sendwatch: %zu index entr%s skipped: incomplete or damaged\n",
                    skipped.incomplete, skipped.incomplete == 1 ? "y" : "ies");
        store_close(store);
    }
    config_free(cfg);
    return status;
}
