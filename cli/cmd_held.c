/*
 * sendwatch held list [--json] | show ID | release ID | delete ID |
 *                reschedule ID WHEN
 *
 * list and show read the hold records; release, delete and reschedule
 * write a durable request that sendwatch-holdd carries out (and records
 * in the hold record), then wake holdd.  WHEN is "now", "+N" with a unit
 * s, m, h or d, or seconds since the epoch (parse_when).  Run as root it
 * first becomes run_user, so LMDB's files keep belonging to the daemons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "hold.h"
#include "json.h"
#include "log.h"
#include "parse.h"
#include "queueid.h"
#include "record.h"
#include "store.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: sendwatch [-c FILE] held list [--json]\n"
            "       sendwatch [-c FILE] held show QUEUE_ID\n"
            "       sendwatch [-c FILE] held release|delete QUEUE_ID\n"
            "       sendwatch [-c FILE] held reschedule QUEUE_ID WHEN\n"
            "WHEN: now, +N and a unit s, m, h or d (+90s, +10m, +2h, +1d) from now,\n"
            "      or seconds since the epoch;\n"
            "QUEUE_ID - for release, delete and reschedule: IDs on standard input\n");
    return 2;
}

static const struct {
    const char *name;
    bool many;
} fields[] = {{"queue_id", false},    {"state", false},           {"sender", false},
              {"recipient", true},    {"subject", false},         {"size", false},
              {"attachment", true},   {"created", false},         {"deadline", false},
              {"outcome", false},     {"outcome_time", false},    {"attempts", false},
              {"notice_sent", false}, {"notice_attempts", false}, {"notice_error", false},
              {"notice_retry", false}};

static void print_json(const char *data, size_t len, bool *first)
{
    json_sep(stdout, first);
    fputc('{', stdout);
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
        if (i)
            fputc(',', stdout);
        json_key(stdout, fields[i].name);
        if (!fields[i].many) {
            char *v = record_get(data, len, fields[i].name, 0);
            json_string(stdout, v);
            free(v);
            continue;
        }
        fputc('[', stdout);
        bool f = true;
        char *v;
        for (size_t j = 0; (v = record_get(data, len, fields[i].name, j)) != NULL; j++) {
            json_sep(stdout, &f);
            json_string(stdout, v);
            free(v);
        }
        fputc(']', stdout);
    }
    fputc('}', stdout);
}

/* One field per line; values come from mail, so control bytes are shown escaped. */
static void print_text(const char *data, size_t len)
{
    char shown[1200];
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
        char *v;
        for (size_t j = 0; (v = record_get(data, len, fields[i].name, j)) != NULL; j++) {
            printf("%-13s %s\n", fields[i].name,
                   log_escape(shown, sizeof(shown), v, strlen(v)));
            free(v);
            if (!fields[i].many)
                break;
        }
    }
}

struct list_state {
    bool json, first;
    size_t count;
};

static int list_one(void *ctx, const char *key, size_t key_len, const void *value,
                    size_t len)
{
    struct list_state *st = ctx;
    (void)key;
    (void)key_len;
    st->count++;
    if (st->json) {
        print_json(value, len, &st->first);
        return 0;
    }
    char *qid = record_get(value, len, "queue_id", 0),
         *state = record_get(value, len, "state", 0);
    char *deadline = record_get(value, len, "deadline", 0);
    char *sender = record_get(value, len, "sender", 0),
         *subject = record_get(value, len, "subject", 0);
    char a[600], b[600], when[32] = "?";
    if (deadline != NULL) {
        time_t t = (time_t)strtoll(deadline, NULL, 10);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    }
    const char *s = sender ? sender : "", *subj = subject ? subject : "";
    printf("%s %s until %s from=<%s> subject=%s\n", qid ? qid : "?", state ? state : "?",
           when, log_escape(a, sizeof(a), s, strlen(s)),
           log_escape(b, sizeof(b), subj, strlen(subj)));
    free(qid);
    free(state);
    free(deadline);
    free(sender);
    free(subject);
    return 0;
}

/* "-" for the ID: queue IDs on standard input, one per line, all in one transaction. */
static int request_from_stdin(struct store *store, const struct config *cfg,
                              enum hold_action action, const char *verb, time_t when)
{
    char line[128], err[1024];
    const char **ids = NULL;
    size_t n = 0, cap = 0;
    int status = 1;
    while (fgets(line, sizeof(line), stdin) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        if (queueid_classify(line) == QUEUEID_INVALID) {
            fprintf(stderr, "sendwatch: \"%s\" is not a Postfix queue ID\n", line);
            status = 2;
            goto done;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            const char **grown = realloc(ids, cap * sizeof(*ids));
            if (grown == NULL)
                goto done;
            ids = grown;
        }
        if ((ids[n] = strdup(line)) == NULL)
            goto done;
        n++;
    }
    if (hold_request_many(store, cfg->holdd_socket, action, ids, n, when, "cli", err,
                          sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
        goto done;
    }
    printf("%zu message(s): %s requested; sendwatch-holdd carries it out\n", n, verb);
    status = 0;
done:
    for (size_t i = 0; i < n; i++)
        free((char *)ids[i]);
    free(ids);
    return status;
}

int command_held(const char *config_path, int argc, char **argv)
{
    char err[1024];
    if (argc < 2)
        return usage();
    const char *verb = argv[1];
    bool list = strcmp(verb, "list") == 0, show = strcmp(verb, "show") == 0;
    enum hold_action action;
    bool act = hold_action_parse(verb, &action);
    time_t when = time(NULL);
    if (list ? (argc > 3 || (argc == 3 && strcmp(argv[2], "--json") != 0))
             : !(show || act) || argc != (act && action == HOLD_RESCHEDULE ? 4 : 3))
        return usage();
    bool from_stdin = act && strcmp(argv[2], "-") == 0;
    if (!list && !from_stdin && queueid_classify(argv[2]) == QUEUEID_INVALID) {
        fprintf(stderr, "sendwatch: \"%s\" is not a Postfix queue ID\n", argv[2]);
        return 2;
    }
    if (act && action == HOLD_RESCHEDULE &&
        parse_when(argv[3], time(NULL), &when, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: bad time \"%s\": %s\n", argv[3], err);
        return 2;
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    int status = 1;
    struct store *store = commands_open_store(cfg, !act);
    if (store == NULL)
        goto done;
    if (list) {
        struct list_state st = {.json = argc == 3, .first = true};
        if (st.json)
            fputc('[', stdout);
        if (store_foreach(store, STORE_HELD, list_one, &st, err, sizeof(err)) != 0)
            fprintf(stderr, "sendwatch: %s\n", err);
        else
            status = 0;
        if (st.json)
            fputs("]\n", stdout);
        else if (status == 0 && st.count == 0)
            printf("no held mail\n");
        goto done;
    }
    if (from_stdin) {
        status = request_from_stdin(store, cfg, action, verb, when);
        goto done;
    }
    char *data = NULL;
    size_t len = 0;
    int found = store_get(store, STORE_HELD, argv[2], &data, &len, err, sizeof(err));
    if (found < 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
    } else if (found == 0) {
        fprintf(stderr, "sendwatch: %s: no such held message\n", argv[2]);
    } else if (show) {
        print_text(data, len);
        status = 0;
    } else if (hold_request(store, cfg->holdd_socket, action, argv[2], when, "cli", err,
                            sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
    } else {
        printf("%s: %s requested; sendwatch-holdd carries it out\n", argv[2], verb);
        status = 0;
    }
    free(data);
done:
    store_close(store);
    config_free(cfg);
    return status;
}
