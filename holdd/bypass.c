/*
 * bypass - holdd's automatic bypass (auto_bypass = yes): it watches the
 * milter with the probe systemd's watchdog is fed by (a negotiation a
 * worker must answer, probe.h) and, when the milter has not answered for
 * auto_bypass_after seconds - a crash loop, a hang, watchdog kills in a
 * row - has the root helper run sendwatch-bypass on: Postfix then sends
 * mail unchecked instead of deferring it.  Once the milter has answered
 * for auto_bypass_off_after seconds, the bypass goes off again.
 *
 * Only a bypass holdd switched on is switched off by it (status["bypass"]
 * remembers across restarts); an admin's own is left alone.  Each switch
 * is logged, written as one audit line with the record, counted, and
 * mailed to admin_address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "holdd.h"
#include "log.h"
#include "probe.h"
#include "status.h"

#define PROBE_EVERY      5    /* seconds between probes */
#define PROBE_TIMEOUT_MS 3000 /* a worker answers a negotiation in microseconds */
#define HEALTHY_ANSWERS  2    /* answers in a row that end a spell without them */

struct bypass_watch {
    struct bypass_status st; /* as recorded */
    bool loaded;             /* st read from the store */
    time_t next_probe;
    time_t healthy_since; /* 0: not answering (or not probed yet) */
    unsigned answers;     /* probes answered in a row */
    bool refused_said;    /* a switch that failed: said once per spell */
    bool admins_said;     /* the admin's own bypass is on: said once */
};

/* Mails admin_address what happened (through the notice path, signed). */
static void bypass_alert(struct holdd *h, bool on, long seconds, const char *why)
{
    const struct config *cfg = h->cfg;
    char date[64], *text = NULL;
    size_t len = 0;
    time_t now = time(NULL);
    struct tm tm;
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", gmtime_r(&now, &tm));
    FILE *out = open_memstream(&text, &len);
    if (out == NULL)
        return;
    fprintf(
        out,
        "From: %s\nTo: %s\nDate: %s\nAuto-Submitted: auto-generated\n"
        "Subject: [sendwatch] automatic bypass %s on %s\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n",
        cfg->notice_sender, cfg->admin_address, date, on ? "ON" : "OFF", cfg->node_name);
    if (on)
        fprintf(out,
                "sendwatch-milter has not answered for %ld seconds (%s).\n"
                "sendwatch-holdd has run sendwatch-bypass on (auto_bypass = yes):\n"
                "mail now leaves UNCHECKED - no leak prevention, no attachment\n"
                "encryption, no send hold - until the milter answers again for\n"
                "%u seconds and the bypass goes off by itself.\n\n"
                "sendwatch-milter が %ld 秒応答していません（%s）。\n"
                "自動バイパスを有効にしました。メールは検査・暗号化・送信保留なしで\n"
                "送信されます。milter が %u 秒応答し続けると自動で解除されます。\n",
                seconds, why, cfg->auto_bypass_off_after, seconds, why,
                cfg->auto_bypass_off_after);
    else
        fprintf(out,
                "sendwatch-milter has answered for %ld seconds: the automatic bypass\n"
                "is off, and sendwatch checks mail again.\n\n"
                "sendwatch-milter が %ld 秒応答しています。自動バイパスを解除し、\n"
                "メールの検査を再開しました。\n",
                seconds, seconds);
    if (fclose(out) != 0) {
        free(text);
        return;
    }
    const char *rcpts[1] = {cfg->admin_address}, *messages[1] = {text};
    enum helper_result res[1];
    char detail[HELPER_DETAIL_SIZE] = "", err[256];
    if (holdd_submit(h, rcpts, messages, 1, res, detail, err, sizeof(err)) != 0)
        log_error("bypass: cannot mail %s: %s", cfg->admin_address, err);
    else if (res[0] != HELPER_DONE)
        log_error("bypass: cannot mail %s: %s: %s", cfg->admin_address,
                  helper_result_name(res[0]), detail);
    else
        log_info("bypass: %s told", cfg->admin_address);
    free(text);
}

/* Writes the record and its audit line in one transaction.  0, or -1 (logged). */
static int bypass_record(struct holdd *h, struct bypass_watch *w, const char *action,
                         const char *result)
{
    char err[512];
    struct store_txn *t = store_begin(h->store, err, sizeof(err));
    struct audit_entry e = {.time = time(NULL),
                            .who = "sendwatch-holdd",
                            .action = action,
                            .target = h->cfg->postfix_config_dir,
                            .from = "auto_bypass",
                            .result = result};
    if (t == NULL || status_bypass_put(h->store, t, &w->st, err, sizeof(err)) != 0 ||
        audit_add(t, &e, err, sizeof(err)) != 0) {
        if (t != NULL)
            store_abort(t);
        log_error("bypass: cannot record \"%s\": %s", action, err);
        return -1;
    }
    if (store_commit(t, err, sizeof(err)) != 0) {
        log_error("bypass: cannot record \"%s\": %s", action, err);
        return -1;
    }
    return 0;
}

/* Asks the helper for ACTION.  The result, or HELPER_FAILED with DETAIL. */
static enum helper_result bypass_ask(struct holdd *h, enum helper_bypass action,
                                     char *detail)
{
    enum helper_result res = HELPER_FAILED;
    char err[256];
    if (helper_bypass(h->helper, action, &res, detail, err, sizeof(err)) != 0) {
        snprintf(detail, HELPER_DETAIL_SIZE, "%.*s", HELPER_DETAIL_SIZE - 1, err);
        return HELPER_FAILED;
    }
    return res;
}

static void bypass_switch_on(struct holdd *h, struct bypass_watch *w, time_t now,
                             const char *why)
{
    char detail[HELPER_DETAIL_SIZE] = "";
    long seconds = (long)(now - w->st.unhealthy_since);
    /* The admin's own bypass is theirs: never taken over, never undone. */
    if (bypass_ask(h, HELPER_BYPASS_STATUS, detail) == HELPER_DONE) {
        if (!w->admins_said)
            log_warning("bypass: the milter has not answered for %ld s, and a bypass is "
                        "already on (an admin's): left as it is",
                        seconds);
        w->admins_said = true;
        return;
    }
    /* Recorded as ours before it is done: should holdd die in between, the
     * next start asks the bypass's status and settles the record, and never
     * mistakes its own bypass for an admin's. */
    char err[256];
    w->st.on = true;
    w->st.changed = now;
    if (status_bypass_put(h->store, NULL, &w->st, err, sizeof(err)) != 0) {
        w->st.on = false;
        log_error("bypass: not switched on: cannot record it first: %s", err);
        return;
    }
    if (bypass_ask(h, HELPER_BYPASS_ON, detail) != HELPER_DONE) {
        if (!w->refused_said)
            log_error("bypass: cannot switch on: %s", detail);
        w->refused_said = true;
        w->st.on = false;
        if (status_bypass_put(h->store, NULL, &w->st, err, sizeof(err)) != 0)
            log_error("bypass: cannot record that it is off: %s", err);
        return;
    }
    w->refused_said = false;
    snprintf(w->st.why, sizeof(w->st.why), "%s", why);
    char result[400];
    snprintf(result, sizeof(result), "the milter did not answer for %ld s: %s", seconds,
             why);
    log_error("bypass: ON - the milter has not answered for %ld s (%s): mail now leaves "
              "UNCHECKED until it answers for %u s",
              seconds, why, h->cfg->auto_bypass_off_after);
    bypass_record(h, w, "bypass on (automatic)", result);
    metrics_add(h->metrics, MC_BYPASS_ON, 1);
    bypass_alert(h, true, seconds, why);
}

static void bypass_switch_off(struct holdd *h, struct bypass_watch *w, time_t now)
{
    char detail[HELPER_DETAIL_SIZE] = "";
    long seconds = (long)(now - w->healthy_since);
    enum helper_result res = bypass_ask(h, HELPER_BYPASS_OFF, detail);
    if (res != HELPER_DONE) {
        /* Already off (an admin switched it off by hand): nothing to undo. */
        if (bypass_ask(h, HELPER_BYPASS_STATUS, detail) != HELPER_NOT_MOVED) {
            if (!w->refused_said)
                log_error("bypass: cannot switch off: %s", detail);
            w->refused_said = true;
            return;
        }
        log_warning("bypass: it was switched off by other means already");
    }
    w->refused_said = false;
    w->st.on = false;
    w->st.changed = now;
    char result[200];
    snprintf(result, sizeof(result), "the milter answered for %ld s", seconds);
    log_warning("bypass: OFF - the milter has answered for %ld s: mail is checked again",
                seconds);
    bypass_record(h, w, "bypass off (automatic)", result);
    metrics_add(h->metrics, MC_BYPASS_OFF, 1);
    bypass_alert(h, false, seconds, "");
}

/*
 * The record as holdd left it, checked against the bypass itself: one it
 * recorded as on that is not on (switched off by hand, or holdd died
 * before it came on) is recorded off.  false when the store cannot be read.
 */
static bool bypass_load(struct holdd *h, struct bypass_watch *w)
{
    char err[256], detail[HELPER_DETAIL_SIZE] = "";
    if (status_bypass_get(h->store, &w->st, err, sizeof(err)) < 0) {
        log_error("bypass: cannot read its record: %s", err);
        return false;
    }
    w->st.unhealthy_since = 0; /* counted afresh by this process */
    if (w->st.on && !h->cfg->auto_bypass) {
        log_warning(
            "bypass: holdd switched a bypass on at %lld and auto_bypass is no "
            "longer set: it stays as it is until an admin runs sendwatch-bypass off",
            (long long)w->st.changed);
        return true;
    }
    if (w->st.on && bypass_ask(h, HELPER_BYPASS_STATUS, detail) == HELPER_NOT_MOVED) {
        log_warning("bypass: recorded as switched on by holdd, but it is off: recorded "
                    "off");
        w->st.on = false;
        if (status_bypass_put(h->store, NULL, &w->st, err, sizeof(err)) != 0)
            log_error("bypass: cannot record that it is off: %s", err);
    } else if (w->st.on) {
        log_warning("bypass: on since %lld (switched on automatically): it goes off once "
                    "the milter has answered for %u s",
                    (long long)w->st.changed, h->cfg->auto_bypass_off_after);
    }
    return true;
}

void bypass_watch_turn(struct holdd *h)
{
    struct bypass_watch *w = h->bypass;
    if (w != NULL && !h->cfg->auto_bypass)
        return;
    if (w == NULL) {
        w = h->bypass = calloc(1, sizeof(*w));
        if (w == NULL)
            return;
    }
    time_t now = time(NULL);
    if (!w->loaded) {
        if (!bypass_load(h, w) && h->cfg->auto_bypass)
            return; /* tried again next turn */
        w->loaded = true;
    }
    if (!h->cfg->auto_bypass || now < w->next_probe)
        return;
    w->next_probe = now + PROBE_EVERY;
    char why[256];
    if (probe_milter(h->cfg->milter_socket, PROBE_TIMEOUT_MS, why, sizeof(why)) != 0) {
        w->healthy_since = 0;
        w->answers = 0;
        if (w->st.unhealthy_since == 0) {
            w->st.unhealthy_since = now;
            log_warning("bypass: the milter does not answer on %s: %s%s",
                        h->cfg->milter_socket, why,
                        w->st.on ? "" : " (the bypass goes on if this lasts)");
        }
        if (!w->st.on && now - w->st.unhealthy_since >= (time_t)h->cfg->auto_bypass_after)
            bypass_switch_on(h, w, now, why);
        return;
    }
    /* A milter in a crash loop answers now and then, between two deaths:
     * one answer does not end the spell, two in a row (5 s apart) do. */
    if (++w->answers < HEALTHY_ANSWERS && w->st.unhealthy_since != 0)
        return;
    if (w->st.unhealthy_since != 0)
        log_info("bypass: the milter answers again after %lld s",
                 (long long)(now - w->st.unhealthy_since));
    w->st.unhealthy_since = 0;
    w->admins_said = false;
    if (w->healthy_since == 0)
        w->healthy_since = now;
    if (w->st.on && now - w->healthy_since >= (time_t)h->cfg->auto_bypass_off_after)
        bypass_switch_off(h, w, now);
}

void bypass_watch_free(struct holdd *h)
{
    free(h->bypass);
    h->bypass = NULL;
}
