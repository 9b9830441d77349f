/*
 * sendwatch quarantine list [--json]: the index of stored copies, oldest
 * first, from the LMDB environment in state_dir.  Run as root it first
 * becomes run_user, so LMDB's files keep belonging to the daemons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "log.h"
#include "record.h"
#include "store.h"

struct list_state {
    bool json, first;
    size_t count;
};

static void print_field_json(FILE *out, const char *data, size_t len, const char *name,
                             bool many)
{
    json_key(out, name);
    if (!many) {
        char *v = record_get(data, len, name, 0);
        json_string(out, v);
        free(v);
        return;
    }
    fputc('[', out);
    bool first = true;
    char *v;
    for (size_t i = 0; (v = record_get(data, len, name, i)) != NULL; i++) {
        json_sep(out, &first);
        json_string(out, v);
        free(v);
    }
    fputc(']', out);
}

static int list_one(void *ctx, const char *key, size_t key_len, const void *value,
                    size_t len)
{
    struct list_state *st = ctx;
    const char *data = value;
    (void)key;
    (void)key_len;

    st->count++;
    if (st->json) {
        static const struct {
            const char *name;
            bool many;
        } fields[] = {{"time", false},    {"queue_id", false}, {"folder", false},
                      {"file", false},    {"sender", false},   {"rcpt", true},
                      {"subject", false}, {"rule", true},      {"match", true}};
        json_sep(stdout, &st->first);
        fputc('{', stdout);
        for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
            if (i)
                fputc(',', stdout);
            print_field_json(stdout, data, len, fields[i].name, fields[i].many);
        }
        fputc('}', stdout);
        return 0;
    }
    char *time = record_get(data, len, "time", 0),
         *qid = record_get(data, len, "queue_id", 0);
    char *folder = record_get(data, len, "folder", 0),
         *file = record_get(data, len, "file", 0);
    char *sender = record_get(data, len, "sender", 0);
    char *subject = record_get(data, len, "subject", 0);
    /* Values come from mail: control bytes (ESC...) are shown escaped. */
    char a[600], b[600], c[1200];
    const char *s = sender ? sender : "", *subj = subject ? subject : "";
    printf("%s %s %s/%s from=<%s> subject=%s\n", time ? time : "?", qid ? qid : "?",
           folder ? folder : "?", file ? file : "?",
           log_escape(a, sizeof(a), s, strlen(s)),
           log_escape(b, sizeof(b), subj, strlen(subj)));
    char *v;
    for (size_t i = 0; (v = record_get(data, len, "rule", i)) != NULL; i++) {
        printf("    rule %s\n", v);
        free(v);
    }
    for (size_t i = 0; (v = record_get(data, len, "match", i)) != NULL; i++) {
        printf("    match %s\n", log_escape(c, sizeof(c), v, strlen(v)));
        free(v);
    }
    free(time);
    free(qid);
    free(folder);
    free(file);
    free(sender);
    free(subject);
    return 0;
}

int command_quarantine(const char *config_path, int argc, char **argv)
{
    struct list_state st = {.first = true};
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
        if (store_foreach(store, STORE_QUARANTINE, list_one, &st, err, sizeof(err)) != 0)
            fprintf(stderr, "sendwatch: %s\n", err);
        else
            status = 0;
        if (st.json)
            fputs("]\n", stdout);
        else if (status == 0 && st.count == 0)
            printf("no stored copies\n");
        store_close(store);
    }
    config_free(cfg);
    return status;
}
