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
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "hold.h"
#include "json.h"
#include "log.h"
#include "timefmt.h"
#include "parse.h"
#include "queueid.h"
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

/* One field of a hold record as text (NULL: not recorded), for list/show. */
struct shown_field {
    const char *name;
    const char *value;         /* a single value, or NULL */
    const char *const *values; /* several (recipients, attachments) */
    size_t nvalues;
    bool many;
};

/* Numbers as text, or NULL for "not recorded" (0) where the field is optional. */
static const char *number(char *buf, size_t len, long long n, bool optional)
{
    if (optional && n == 0)
        return NULL;
    snprintf(buf, len, "%lld", n);
    return buf;
}

/* A time: seconds (JSON, stored) or, for people, in time_zone with the zone named. */
static const char *when(char *buf, size_t len, time_t t, bool optional, bool human)
{
    if (!human || t == 0)
        return number(buf, len, t, optional);
    return timefmt_local(t, buf, len);
}

/* The fields of R in the order list --json and show print them (HUMAN: times local). */
static size_t record_fields(const struct hold_record *r, struct shown_field *f,
                            char num[][TIMEFMT_MAX], bool human)
{
    size_t n = 0;
#define ONE(nm, v) f[n++] = (struct shown_field){nm, (v), NULL, 0, false}
#define MANY(nm, vs, c)                                                                  \
    f[n++] = (struct shown_field)                                                        \
    {                                                                                    \
        nm, NULL, (const char *const *)(vs), (c), true                                   \
    }
    ONE("queue_id", r->queue_id);
    ONE("state", hold_state_name(r->state));
    ONE("sender", r->sender);
    MANY("recipient", r->recipients, r->nrecipients);
    ONE("subject", r->subject);
    ONE("size", number(num[0], TIMEFMT_MAX, (long long)r->size, false));
    MANY("attachment", r->attachments, r->nattachments);
    ONE("created", when(num[1], TIMEFMT_MAX, r->created, false, human));
    ONE("deadline", when(num[2], TIMEFMT_MAX, r->deadline, false, human));
    ONE("due", when(num[9], TIMEFMT_MAX, r->due, true, human));
    ONE("queued", when(num[8], TIMEFMT_MAX, r->queued, true, human));
    ONE("outcome", r->outcome);
    ONE("outcome_time", when(num[3], TIMEFMT_MAX, r->outcome_time, true, human));
    ONE("attempts", number(num[4], TIMEFMT_MAX, r->attempts, true));
    ONE("retry", r->retry);
    ONE("retry_by", r->retry_by);
    ONE("notice_sent", when(num[5], TIMEFMT_MAX, r->notice_sent, true, human));
    ONE("notice_attempts", number(num[6], TIMEFMT_MAX, r->notice_attempts, true));
    ONE("notice_error", r->notice_error);
    ONE("notice_retry", when(num[7], TIMEFMT_MAX, r->notice_retry, true, human));
    ONE("requested", r->requested);
    ONE("requested_by", r->requested_by);
    ONE("requested_time", when(num[10], TIMEFMT_MAX, r->requested_time, true, human));
#undef ONE
#undef MANY
    return n;
}

static void print_json(const struct hold_record *r, bool *first)
{
    struct shown_field f[28];
    char num[11][TIMEFMT_MAX];
    size_t n = record_fields(r, f, num, false);
    json_sep(stdout, first);
    fputc('{', stdout);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', stdout);
        json_key(stdout, f[i].name);
        if (!f[i].many) {
            json_string(stdout, f[i].value);
            continue;
        }
        fputc('[', stdout);
        bool fv = true;
        for (size_t j = 0; j < f[i].nvalues; j++) {
            json_sep(stdout, &fv);
            json_string(stdout, f[i].values[j]);
        }
        fputc(']', stdout);
    }
    fputc('}', stdout);
}

/* One field per line; values come from mail, so control bytes are shown escaped. */
static void print_text(const struct hold_record *r)
{
    struct shown_field f[28];
    char num[11][TIMEFMT_MAX], shown[1200];
    size_t n = record_fields(r, f, num, true);
    for (size_t i = 0; i < n; i++) {
        if (!f[i].many && f[i].value != NULL)
            printf("%-13s %s\n", f[i].name,
                   log_escape(shown, sizeof(shown), f[i].value, strlen(f[i].value)));
        for (size_t j = 0; f[i].many && j < f[i].nvalues; j++)
            printf(
                "%-13s %s\n", f[i].name,
                log_escape(shown, sizeof(shown), f[i].values[j], strlen(f[i].values[j])));
    }
}

struct list_state {
    bool json, first;
    size_t count;
};

static int list_one(void *ctx, const struct hold_record *r)
{
    struct list_state *st = ctx;
    st->count++;
    if (st->json) {
        print_json(r, &st->first);
        return 0;
    }
    char a[600], b[600], when[TIMEFMT_MAX];
    timefmt_local(r->deadline, when, sizeof(when));
    printf("%s %s until %s from=<%s> subject=%s\n", r->queue_id,
           hold_state_name(r->state), when,
           log_escape(a, sizeof(a), r->sender, strlen(r->sender)),
           log_escape(b, sizeof(b), r->subject, strlen(r->subject)));
    return 0;
}

/*
 * Is ID a queue ID this command may use?  show takes any; release, delete
 * and reschedule (ACT) only long ones: Postfix reuses a short ID as soon
 * as its message leaves the queue, so a request for one could hit
 * another message.  Says why not on stderr.
 */
static bool usable_queue_id(const char *id, bool act)
{
    char shown[200];
    enum queueid_kind kind = queueid_classify(id);

    if (kind == QUEUEID_LONG || (kind == QUEUEID_SHORT && !act))
        return true;
    log_escape(shown, sizeof(shown), id, strlen(id));
    if (kind == QUEUEID_INVALID)
        fprintf(stderr, "sendwatch: \"%s\" is not a Postfix queue ID\n", shown);
    else
        fprintf(stderr,
                "sendwatch: %s: cannot act on a short queue ID (Postfix reuses them; it "
                "needs enable_long_queue_ids = yes)\n",
                shown);
    return false;
}

/* "-" for the ID: queue IDs on standard input, one per line, all in one transaction. */
static int request_from_stdin(struct store *store, const struct config *cfg,
                              enum hold_action action, const char *verb, time_t when,
                              const char *asker)
{
    char line[128], err[1024];
    const char **ids = NULL;
    size_t n = 0, cap = 0;
    int status = 1;
    while (fgets(line, sizeof(line), stdin) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        if (!usable_queue_id(line, true)) {
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
    if (hold_request_many(store, cfg->holdd_socket, action, ids, n, when, asker, err,
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
    if (!list && !from_stdin && !usable_queue_id(argv[2], act))
        return 2;
    if (act && action == HOLD_RESCHEDULE &&
        parse_when(argv[3], time(NULL), &when, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: bad time \"%s\": %s\n", argv[3], err);
        return 2;
    }
    struct config *cfg = commands_load_config(config_path);
    if (cfg == NULL)
        return 1;
    int status = 1;
    /* Who asks, for the hold record's audit trail: the real user, taken before
     * commands_open_store() becomes run_user. */
    char asker[96];
    struct passwd *pw = getpwuid(getuid());
    snprintf(asker, sizeof(asker), "cli:%s", pw ? pw->pw_name : "?");
    struct store *store = commands_open_store(cfg, !act);
    if (store == NULL)
        goto done;
    if (list) {
        struct list_state st = {.json = argc == 3, .first = true};
        if (st.json)
            fputc('[', stdout);
        size_t unreadable = 0;
        if (hold_foreach(store, list_one, &st, &unreadable, err, sizeof(err)) != 0)
            fprintf(stderr, "sendwatch: %s\n", err);
        else
            status = 0;
        if (unreadable > 0)
            fprintf(stderr, "sendwatch: %zu hold record(s) this version cannot read\n",
                    unreadable);
        if (st.json)
            fputs("]\n", stdout);
        else if (status == 0 && st.count == 0)
            printf("no held mail\n");
        goto done;
    }
    if (from_stdin) {
        status = request_from_stdin(store, cfg, action, verb, when, asker);
        goto done;
    }
    struct hold_record r;
    int found = hold_get_stored(store, argv[2], &r, err, sizeof(err));
    if (found < 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
    } else if (found == 0) {
        fprintf(stderr, "sendwatch: %s: no such held message\n", argv[2]);
    } else if (show) {
        print_text(&r);
        status = 0;
    } else if (hold_request(store, cfg->holdd_socket, action, argv[2], when, asker, err,
                            sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
    } else {
        printf("%s: %s requested; sendwatch-holdd carries it out\n", argv[2], verb);
        status = 0;
    }
    if (found == 1)
        hold_record_clear(&r);
done:
    store_close(store);
    config_free(cfg);
    return status;
}
