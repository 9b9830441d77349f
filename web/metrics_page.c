/* metrics_page - see metrics_page.h. */
#include "metrics_page.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "metrics.h"
#include "status.h"

struct out {
    struct buf *b;
    int failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line) || buf_append(o->b, line, (size_t)n) != 0)
        o->failed = 1;
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* S as a label value: backslash, double quote and line feed escaped. */
static const char *label(const char *s, char *out, size_t len)
{
    size_t o = 0;
    for (; *s && o + 3 < len; s++) {
        if (*s == '\\' || *s == '"') {
            out[o++] = '\\';
            out[o++] = *s;
        } else if (*s == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
    return out;
}

static unsigned long long load(const _Atomic uint64_t *v)
{
    return (unsigned long long)atomic_load_explicit(v, memory_order_relaxed);
}

static const struct {
    enum metrics_counter c;
    const char *value;
} verdicts[] = {{MC_VERDICT_ACCEPT, "accept"}, {MC_VERDICT_REJECT, "reject"},
                {MC_VERDICT_DEFER, "defer"},   {MC_VERDICT_DISCARD, "discard"},
                {MC_VERDICT_HOLD, "hold"},     {MC_VERDICT_ENCRYPT, "encrypt"},
                {MC_VERDICT_STORE, "store"},   {MC_VERDICT_FORWARD, "forward"}},
  tempfails[] = {
      {MC_TEMPFAIL_MEMORY, "memory"},         {MC_TEMPFAIL_SPOOL, "spool"},
      {MC_TEMPFAIL_INSPECT, "inspect"},       {MC_TEMPFAIL_RULE, "rule"},
      {MC_TEMPFAIL_STATE, "state"},           {MC_TEMPFAIL_ENCRYPT, "encrypt"},
      {MC_TEMPFAIL_RECIPIENTS, "recipients"}, {MC_TEMPFAIL_HEADERS, "headers"},
      {MC_TEMPFAIL_QUEUE_ID, "queue_id"},     {MC_TEMPFAIL_PROTOCOL, "protocol"}};

static void histogram(struct out *o, const char *name, const char *help,
                      const struct metrics_shared *d, enum metrics_histogram h)
{
    family(o, name, "histogram", help);
    const double *bounds = metrics_bounds(h);
    unsigned long long cumulative = 0;
    const struct metrics_histogram_data *hd = d ? &d->histogram[h] : NULL;
    for (size_t b = 0; b <= METRICS_BUCKETS; b++) {
        cumulative += hd ? load(&hd->bucket[b]) : 0;
        if (b < METRICS_BUCKETS)
            put(o, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[b], cumulative);
        else
            put(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, cumulative);
    }
    put(o, "%s_sum %.6f\n", name, hd ? (double)load(&hd->sum_us) / 1e6 : 0.0);
    /* The count is the last bucket's, so a scrape between two updates of
     * one observation is still consistent. */
    put(o, "%s_count %llu\n", name, cumulative);
}

static void counter(struct out *o, const char *name, const char *help,
                    const struct metrics_shared *d, enum metrics_counter c)
{
    family(o, name, "counter", help);
    put(o, "%s %llu\n", name, d ? load(&d->counter[c]) : 0ULL);
}

static void milter_part(struct out *o, const struct metrics_shared *d)
{
    counter(o, "sendwatch_messages_inspected_total",
            "Messages the milter inspected (its own notices excluded).", d, MC_INSPECTED);
    counter(o, "sendwatch_own_messages_total",
            "sendwatch's own messages (signed X-Sendwatch-Origin) passed uninspected.", d,
            MC_OWN_MESSAGES);
    counter(o, "sendwatch_origin_headers_refused_total",
            "Messages with an X-Sendwatch-Origin header that was not good: removed, "
            "inspected.",
            d, MC_MARKS_REFUSED);
    family(o, "sendwatch_verdicts_total", "counter",
           "What the milter did with the messages it inspected, by action.");
    for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
        put(o, "sendwatch_verdicts_total{action=\"%s\"} %llu\n", verdicts[i].value,
            d ? load(&d->counter[verdicts[i].c]) : 0ULL);
    family(o, "sendwatch_tempfails_total", "counter",
           "Temporary failures the milter answered, by cause.");
    for (size_t i = 0; i < sizeof(tempfails) / sizeof(tempfails[0]); i++)
        put(o, "sendwatch_tempfails_total{cause=\"%s\"} %llu\n", tempfails[i].value,
            d ? load(&d->counter[tempfails[i].c]) : 0ULL);
    family(o, "sendwatch_rule_hits_total", "counter",
           "Messages each rule matched (\"(other)\": rules beyond the counters' slots).");
    for (size_t i = 0; d != NULL && i < METRICS_RULE_SLOTS; i++) {
        if (atomic_load_explicit(&d->rule[i].used, memory_order_acquire) == 0)
            break;
        char name[METRICS_RULE_NAME], shown[2 * METRICS_RULE_NAME];
        memcpy(name, d->rule[i].name, sizeof(name));
        name[sizeof(name) - 1] = '\0';
        put(o, "sendwatch_rule_hits_total{rule=\"%s\"} %llu\n",
            label(name, shown, sizeof(shown)), load(&d->rule[i].hits));
    }
    family(
        o, "sendwatch_rule_slots_full", "gauge",
        "1 when more rules hit than there are counters: the rest count as \"(other)\".");
    put(o, "sendwatch_rule_slots_full %u\n", d ? atomic_load(&d->rule_slots_full) : 0);
    histogram(o, "sendwatch_inspection_seconds",
              "Time from the end of a message to the milter's verdict.", d,
              MH_INSPECTION);
}

static void holdd_part(struct out *o, const struct metrics_shared *d)
{
    counter(o, "sendwatch_released_total",
            "Held messages released (deadline, send now, console).", d, MC_RELEASED);
    counter(o, "sendwatch_hold_deleted_total",
            "Held messages deleted at the sender's or an admin's request.", d,
            MC_HOLD_DELETED);
    histogram(o, "sendwatch_release_lateness_seconds",
              "How long after its deadline a held message was released.", d, MH_LATENESS);
    counter(o, "sendwatch_notices_sent_total",
            "Notices and alerts sendwatch-holdd handed to sendmail.", d, MC_NOTICES_SENT);
    counter(o, "sendwatch_notices_failed_total",
            "Notices sendmail refused (each is retried later).", d, MC_NOTICES_FAILED);
    family(o, "sendwatch_bypass_switches_total", "counter",
           "Automatic bypass switches, by direction.");
    put(o, "sendwatch_bypass_switches_total{direction=\"on\"} %llu\n",
        d ? load(&d->counter[MC_BYPASS_ON]) : 0ULL);
    put(o, "sendwatch_bypass_switches_total{direction=\"off\"} %llu\n",
        d ? load(&d->counter[MC_BYPASS_OFF]) : 0ULL);
}

int metrics_page(const struct config *cfg, struct store *store, struct buf *b)
{
    struct out o = {b, 0};
    char err[512];
    struct metrics *m[2] = {
        metrics_open_reader(cfg->state_dir, "milter", err, sizeof(err)),
        metrics_open_reader(cfg->state_dir, "holdd", err, sizeof(err))};
    const struct metrics_shared *d[2] = {m[0] ? metrics_data(m[0]) : NULL,
                                         m[1] ? metrics_data(m[1]) : NULL};
    size_t held = 0, outbox = 0;
    bool held_ok = store_count(store, STORE_DUE, &held, err, sizeof(err)) == 0;
    bool outbox_ok = store_count(store, STORE_OUTBOX, &outbox, err, sizeof(err)) == 0;
    struct rules_status rs;
    int rules = status_rules_get(store, &rs, err, sizeof(err));
    struct bypass_status bs;
    int bypass_auto = status_bypass_get(store, &bs, err, sizeof(err));
    char saved[4200];
    struct stat st;
    snprintf(saved, sizeof(saved), "%s/sendwatch_bypass.saved", cfg->postfix_config_dir);
    int bypass_on = stat(saved, &st) == 0 ? 1 : errno == ENOENT ? 0 : -1;
    if (bypass_on == 0) { /* sendwatch-bypass between its two steps is on too */
        strncat(saved, ".new", sizeof(saved) - strlen(saved) - 1);
        bypass_on = stat(saved, &st) == 0 ? 1 : errno == ENOENT ? 0 : -1;
    }

    family(
        &o, "sendwatch_metrics_readable", "gauge",
        "1 when the source could be read for this scrape; 0: its numbers are missing.");
    put(&o, "sendwatch_metrics_readable{source=\"milter\"} %d\n", d[0] != NULL);
    put(&o, "sendwatch_metrics_readable{source=\"holdd\"} %d\n", d[1] != NULL);
    put(&o, "sendwatch_metrics_readable{source=\"store\"} %d\n",
        held_ok && outbox_ok && rules >= 0 && bypass_auto >= 0);
    put(&o, "sendwatch_metrics_readable{source=\"bypass\"} %d\n", bypass_on >= 0);
    family(&o, "sendwatch_daemon_start_time_seconds", "gauge",
           "When each daemon last started (from its counters file).");
    for (int i = 0; i < 2; i++)
        if (d[i] != NULL)
            put(&o, "sendwatch_daemon_start_time_seconds{daemon=\"%s\"} %lld\n",
                i == 0 ? "milter" : "holdd", (long long)atomic_load(&d[i]->started));
    milter_part(&o, d[0]);
    holdd_part(&o, d[1]);
    family(&o, "sendwatch_held_messages", "gauge",
           "Messages held now, waiting for their deadline or a click.");
    put(&o, "sendwatch_held_messages %zu\n", held);
    family(&o, "sendwatch_outbox_messages", "gauge", "Notices waiting to be sent.");
    put(&o, "sendwatch_outbox_messages %zu\n", outbox);
    family(&o, "sendwatch_bypass_active", "gauge",
           "1 while sendwatch is bypassed (sendwatch-bypass on): mail leaves unchecked.");
    put(&o, "sendwatch_bypass_active %d\n", bypass_on > 0);
    family(&o, "sendwatch_bypass_automatic", "gauge",
           "1 while a bypass sendwatch-holdd switched on automatically is in force.");
    put(&o, "sendwatch_bypass_automatic %d\n", bypass_auto > 0 && bs.on);
    family(&o, "sendwatch_rules_last_reload_time_seconds", "gauge",
           "When the milter last loaded or reloaded its rules.");
    put(&o, "sendwatch_rules_last_reload_time_seconds %lld\n",
        rules > 0 ? (long long)rs.time : 0LL);
    family(&o, "sendwatch_rules_last_reload_success", "gauge",
           "1 when the last load or reload of the rules worked (0: the old rules stay).");
    put(&o, "sendwatch_rules_last_reload_success %d\n", rules > 0 && rs.ok);
    family(&o, "sendwatch_rules_loaded", "gauge", "Rules in force.");
    put(&o, "sendwatch_rules_loaded %lu\n", rules > 0 ? rs.rules : 0UL);
    if (rules > 0)
        status_rules_clear(&rs);
    metrics_close(m[0]);
    metrics_close(m[1]);
    return o.failed ? -1 : 0;
}
