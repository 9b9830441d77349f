/*
 * admin_pages - the admin console under /admin: sign-in, the held queue,
 * the audit log, rule status and settings, and the routes of every page
 * (the quarantine's are in admin_quarantine.c).  What a role may open:
 *   admin     everything
 *   operator  the held queue (list, release, delete, reschedule)
 *   auditor   the quarantine, read-only
 * Any other page is 403 for that role - the pages check, not the menu.
 */
#include <ctype.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "audit.h"
#include "hold.h"
#include "admin.h"
#include "html.h"
#include "log.h"
#include "queueid.h"
#include "status.h"
#include "timefmt.h"

/* Whether the signed-in admin may open a page that needs NEED; else a 403 or the login.
 */
bool admin_allowed(struct request *r, struct page *p, unsigned need)
{
    if (r->session.kind != SESSION_ADMIN) {
        page_redirect(p, "/admin/login");
        return false;
    }
    enum admin_role role = r->session.role;
    bool ok = role == ADMIN_ROLE_ADMIN ||
              (need == NEED_HELD && role == ADMIN_ROLE_OPERATOR) ||
              (need == NEED_QUARANTINE && role == ADMIN_ROLE_AUDITOR);
    if (!ok)
        error_page(r, p, MHD_HTTP_FORBIDDEN,
                   L(r, "Not for your role", "権限がありません"),
                   L(r, "Your role may not open this page.",
                     "あなたのロールではこのページを開けません。"));
    return ok;
}

void admin_form_refused(struct request *r, struct page *p)
{
    error_page(r, p, MHD_HTTP_FORBIDDEN,
               L(r, "Form refused", "フォームを受け付けられません"),
               L(r,
                 "This form did not come from this console, or your sign-in has ended. "
                 "Nothing was done.",
                 "このフォームはこの画面から送られたものではないか、サインインが終了して"
                 "います。何も実行していません。"));
}

/* A form's POST by an admin whose role may send it; else a 403 or the login. */
bool admin_form(struct request *r, struct page *p, unsigned need)
{
    if (!admin_allowed(r, p, need))
        return false;
    if (!r->post || !csrf_valid(r, NULL)) {
        admin_form_refused(r, p);
        return false;
    }
    return true;
}

static void audit_self(struct request *r, const char *action, const char *target,
                       const char *result)
{
    char who[300];
    snprintf(who, sizeof(who), "admin:%s", r->session.name);
    web_audit(r, who, action, target, result);
}

/* ---- sign-in ---- */

static void login_form(struct request *r, struct page *p, const char *problem)
{
    html_begin(r, p, L(r, "Admin console sign-in", "管理コンソール サインイン"));
    if (problem != NULL)
        html_printf(p, "<p class=\"notice bad\" id=\"problem\">%s</p>", problem);
    html_printf(p, "<form method=\"post\" action=\"/admin/login\">");
    html_csrf(r, p, NULL);
    html_printf(p,
                "<label>%s <input type=\"text\" name=\"name\" id=\"name\" "
                "autocomplete=\"username\" required></label>"
                "<label>%s <input type=\"password\" name=\"password\" id=\"password\" "
                "autocomplete=\"current-password\" required></label>"
                "<button id=\"login\">%s</button></form>",
                L(r, "Name", "名前"), L(r, "Password", "パスワード"),
                L(r, "Sign in", "サインイン"));
    html_end(r, p);
}

static void login(struct request *r, struct page *p)
{
    if (!r->post) {
        if (r->session.kind == SESSION_ADMIN) {
            page_redirect(p, "/admin");
            return;
        }
        login_form(r, p, NULL);
        return;
    }
    if (!csrf_valid(r, NULL)) {
        admin_form_refused(r, p);
        return;
    }
    const char *name = request_field(r, "name"), *password = request_field(r, "password");
    if (name == NULL || password == NULL || strlen(name) > ADMIN_NAME_MAX ||
        strlen(password) > ADMIN_PASSWORD_MAX) {
        p->status = MHD_HTTP_BAD_REQUEST;
        login_form(
            r, p,
            L(r, "Enter a name and a password.", "名前とパスワードを入力してください。"));
        return;
    }
    char by_name[300], by_ip[100];
    long wait_name, wait_ip;
    snprintf(by_name, sizeof(by_name), "login:%s", name);
    throttle_client_key(r, "ip:", by_ip, sizeof(by_ip));
    bool may_name = throttle_allows(r->w, by_name, &wait_name),
         may_ip = throttle_allows(r->w, by_ip, &wait_ip);
    if (!may_name || !may_ip) {
        /* Logged, not written to the store: a client hammering the form
         * must not be able to fill it. */
        char shown[300];
        log_warning("login of admin:%s from %s refused: throttled",
                    log_escape(shown, sizeof(shown), name, strlen(name)), r->from);
        p->status = MHD_HTTP_TOO_MANY_REQUESTS;
        login_form(r, p,
                   L(r, "Too many failed sign-ins. Wait a while and try again.",
                     "サインインの失敗が続いたため、しばらく受け付けません。時間をおいて"
                     "やり直してください。"));
        return;
    }
    /* The hash is copied out of the list: scrypt runs without the lock. */
    char hash[ADMIN_HASH_MAX];
    bool known = false;
    pthread_rwlock_rdlock(&r->w->admins_lock);
    const struct admin *a = admins_find(&r->w->admins, name);
    if (a != NULL) {
        memcpy(hash, a->hash, sizeof(hash));
        known = true;
    }
    pthread_rwlock_unlock(&r->w->admins_lock);
    bool ok = admin_password_matches(known ? hash : NULL, password);
    char who[300];
    snprintf(who, sizeof(who), "admin:%s", name);
    if (!ok) {
        throttle_failed(r->w, by_name);
        throttle_failed(r->w, by_ip);
        web_audit(r, who, "login", "", "refused: wrong name or password");
        p->status = MHD_HTTP_UNAUTHORIZED;
        login_form(r, p,
                   L(r, "Wrong name or password.", "名前またはパスワードが違います。"));
        return;
    }
    char id[64];
    if (session_start(r->w, SESSION_ADMIN, name, r->from, id) != 0) {
        error_page(r, p, MHD_HTTP_SERVICE_UNAVAILABLE,
                   L(r, "Not signed in", "サインインできません"),
                   L(r, "No session could be started. Try again.",
                     "セッションを開始できませんでした。"));
        return;
    }
    throttle_clear(r->w, by_name);
    web_audit(r, who, "login", "", "ok");
    page_cookie(r, p, "sw_session", id, (long)r->w->cfg->web_session_minutes * 60 * 48);
    page_redirect(p, "/admin");
}

static void logout(struct request *r, struct page *p)
{
    if (r->session.kind != SESSION_ADMIN) {
        page_redirect(p, "/admin/login");
        return;
    }
    if (!r->post || !csrf_valid(r, NULL)) {
        admin_form_refused(r, p);
        return;
    }
    audit_self(r, "logout", "", "ok");
    session_end(r->w, r->session.id);
    page_cookie(r, p, "sw_session", "", 0);
    page_redirect(p, "/admin/login");
}

/* ---- the held queue ---- */

struct held_row {
    char queue_id[64];
    char *sender, *subject, *first_rcpt;
    size_t nrcpt;
    bool external;
    time_t created, deadline, outcome_time;
    enum hold_state state;
    bool requested;
};

struct held_list {
    struct request *r;
    const char *state; /* "held", "released", "deleted", "all" */
    const char *q;     /* text to find in sender, recipients, subject */
    struct held_row *rows;
    size_t n, cap;
    bool failed;
};

/* Whether NEEDLE occurs in HAY, ignoring ASCII case. */
bool text_contains(const char *hay, const char *needle)
{
    return needle[0] == '\0' || strcasestr(hay, needle) != NULL;
}

static int collect_held(void *ctx, const struct hold_record *h)
{
    struct held_list *l = ctx;
    if (strcmp(l->state, "all") != 0 && strcmp(l->state, hold_state_name(h->state)) != 0)
        return 0;
    bool match = text_contains(h->sender, l->q) || text_contains(h->subject, l->q) ||
                 text_contains(h->queue_id, l->q);
    for (size_t i = 0; !match && i < h->nrecipients; i++)
        match = text_contains(h->recipients[i], l->q);
    if (!match)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        struct held_row *grown = realloc(l->rows, cap * sizeof(*grown));
        if (grown == NULL) {
            l->failed = true;
            return 1;
        }
        l->rows = grown;
        l->cap = cap;
    }
    struct held_row *row = &l->rows[l->n];
    memset(row, 0, sizeof(*row));
    snprintf(row->queue_id, sizeof(row->queue_id), "%s", h->queue_id);
    row->sender = strdup(h->sender);
    row->subject = strdup(h->subject);
    row->first_rcpt = strdup(h->nrecipients ? h->recipients[0] : "");
    row->nrcpt = h->nrecipients;
    for (size_t i = 0; i < h->nrecipients; i++)
        row->external =
            row->external ||
            !address_is_internal(h->recipients[i],
                                 (const char *const *)l->r->w->cfg->internal_domains);
    row->created = h->created;
    row->deadline = h->deadline;
    row->outcome_time = h->outcome_time;
    row->state = h->state;
    row->requested = h->requested != NULL;
    l->n++;
    if (row->sender == NULL || row->subject == NULL || row->first_rcpt == NULL) {
        l->failed = true;
        return 1;
    }
    return 0;
}

/* Held mail first by deadline (what leaves next); closed mail newest first. */
static int row_order(const void *a, const void *b)
{
    const struct held_row *x = a, *y = b;
    if ((x->state == HOLD_HELD) != (y->state == HOLD_HELD))
        return x->state == HOLD_HELD ? -1 : 1;
    if (x->state == HOLD_HELD)
        return x->deadline < y->deadline ? -1 : x->deadline > y->deadline;
    return x->created > y->created ? -1 : x->created < y->created;
}

size_t admin_page_number(struct request *r)
{
    const char *v = request_arg(r, "page");
    char *end;
    unsigned long n = v ? strtoul(v, &end, 10) : 1;
    return v == NULL || *end != '\0' || n < 1 || n > 1000000 ? 1 : (size_t)n;
}

/* Previous/next links that keep the filters in QUERY (already URL-safe). */
void admin_pager(struct page *p, struct request *r, const char *base, const char *query,
                 size_t page, bool more)
{
    html_printf(p, "<p class=\"pages\">");
    if (page > 1)
        html_printf(p, "<a id=\"prev\" href=\"%s?%spage=%zu\">%s</a>", base, query,
                    page - 1, L(r, "Previous", "前へ"));
    html_printf(p, "<span>%s %zu</span>", L(r, "Page", "ページ"), page);
    if (more)
        html_printf(p, "<a id=\"next\" href=\"%s?%spage=%zu\">%s</a>", base, query,
                    page + 1, L(r, "Next", "次へ"));
    html_printf(p, "</p>");
}

/* VALUE percent-encoded into OUT, for a query string. */
const char *admin_url_encode(const char *value, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)value; *c && o + 4 < len; c++) {
        if (isalnum(*c) || strchr("-._~@", *c))
            out[o++] = (char)*c;
        else {
            out[o++] = '%';
            out[o++] = hex[*c >> 4];
            out[o++] = hex[*c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

static void held_actions(struct request *r, struct page *p)
{
    if (!csrf_valid(r, NULL)) {
        admin_form_refused(r, p);
        return;
    }
    const char *action = request_field(r, "action"), *ids[FORM_MAX_FIELDS];
    size_t n = request_fields(r, "id", ids, FORM_MAX_FIELDS);
    enum hold_action a;
    if (action == NULL || !hold_action_parse(action, &a) || n == 0) {
        error_page(
            r, p, MHD_HTTP_BAD_REQUEST, L(r, "Nothing chosen", "選択されていません"),
            L(r, "Choose messages and an action.", "メールと操作を選んでください。"));
        return;
    }
    time_t when = 0;
    if (a == HOLD_RESCHEDULE) {
        const char *m = request_field(r, "minutes");
        char *end;
        long minutes = m ? strtol(m, &end, 10) : -1;
        if (m == NULL || *end != '\0' || minutes < 0 || minutes > 60 * 24 * 7) {
            error_page(r, p, MHD_HTTP_BAD_REQUEST, L(r, "Bad time", "時間が不正です"),
                       L(r, "Give the minutes from now, 0 to 10080.",
                         "今からの分数を 0〜10080 で指定してください。"));
            return;
        }
        when = time(NULL) + minutes * 60;
    }
    for (size_t i = 0; i < n; i++)
        if (queueid_classify(ids[i]) != QUEUEID_LONG) {
            error_page(r, p, MHD_HTTP_BAD_REQUEST,
                       L(r, "Bad queue ID", "キューIDが不正です"),
                       L(r, "Only Postfix's long queue IDs can be acted on.",
                         "操作できるのは Postfix の長いキューIDだけです。"));
            return;
        }
    char who[300], by[300], err[512];
    snprintf(who, sizeof(who), "admin:%s", r->session.name);
    snprintf(by, sizeof(by), "web:admin:%s", r->session.name);
    struct store_txn *t = store_begin(r->w->store, err, sizeof(err));
    int rc = t ? 0 : -1;
    size_t queued = 0;
    static __thread const char *results[FORM_MAX_FIELDS];
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *result = "ok";
        if (a == HOLD_RESCHEDULE) {
            rc = hold_request_in(t, a, ids[i], when, by, err, sizeof(err));
            queued++;
        } else {
            struct hold_record h = {0};
            int once =
                hold_request_once(t, a, ids[i], by, time(NULL), &h, err, sizeof(err));
            hold_record_clear(&h);
            rc = once < 0 ? -1 : 0;
            result = web_once_result(once);
            queued += once == HOLD_ONCE_QUEUED;
        }
        struct audit_entry e = {.who = who,
                                .action = action,
                                .target = ids[i],
                                .from = r->from,
                                .result = result};
        if (rc == 0)
            rc = audit_add(t, &e, err, sizeof(err));
        results[i] = result;
    }
    if (rc == 0 && store_commit(t, err, sizeof(err)) != 0) /* it freed T */
        rc = -1;
    else if (rc != 0 && t != NULL)
        store_abort(t);
    for (size_t i = 0; rc == 0 && i < n; i++)
        log_info("audit: %s from %s: %s %s: %s", who, r->from, action, ids[i],
                 results[i]);
    if (rc != 0) {
        log_error("held queue: %s by %s: %s", action, who, err);
        error_page(r, p, MHD_HTTP_SERVICE_UNAVAILABLE,
                   L(r, "Not done", "実行できませんでした"),
                   L(r, "The requests could not be recorded; nothing was done.",
                     "要求を記録できませんでした。何も実行していません。"));
        return;
    }
    hold_wake(r->w->cfg->holdd_socket);
    char location[64];
    snprintf(location, sizeof(location), "/admin/held?done=%zu", queued);
    page_redirect(p, location);
}

static void held(struct request *r, struct page *p)
{
    if (!admin_allowed(r, p, NEED_HELD))
        return;
    if (r->post) {
        held_actions(r, p);
        return;
    }
    const char *state = request_arg(r, "state"), *q = request_arg(r, "q");
    enum hold_state s;
    if (state == NULL || (strcmp(state, "all") != 0 && !hold_state_parse(state, &s)))
        state = "held";
    if (q == NULL || strlen(q) > 200)
        q = "";
    struct held_list l = {.r = r, .state = state, .q = q};
    char err[512];
    size_t skipped = 0;
    if (hold_foreach(r->w->store, collect_held, &l, &skipped, err, sizeof(err)) != 0 ||
        l.failed) {
        log_error("held queue: %s", l.failed ? "out of memory" : err);
        p->failed = true;
    }
    qsort(l.rows, l.n, sizeof(*l.rows), row_order);
    size_t page = admin_page_number(r), first = (page - 1) * PAGE_ROWS;
    html_begin(r, p, L(r, "Held mail", "保留メール"));
    const char *done = request_arg(r, "done");
    if (done != NULL)
        html_printf(p, "<p class=\"notice good\" id=\"done\">%s %s</p>",
                    L(r, "Requests queued:", "受け付けた要求:"), done);
    html_printf(p,
                "<form class=\"filters\" method=\"get\" action=\"/admin/held\">"
                "<label>%s <select name=\"state\">",
                L(r, "State", "状態"));
    static const char *const states[] = {"held", "released", "deleted", "gone", "all"};
    for (size_t i = 0; i < 5; i++)
        html_printf(p, "<option value=\"%s\"%r>%s</option>", states[i],
                    strcmp(state, states[i]) == 0 ? " selected" : "", states[i]);
    html_printf(
        p,
        "</select></label><label>%s <input type=\"text\" name=\"q\" value=\"%s\"></label>"
        "<button>%s</button></form>",
        L(r, "Sender, recipient, subject or queue ID", "差出人・宛先・件名・キューID"), q,
        L(r, "Filter", "絞り込み"));
    html_printf(p, "<p id=\"count\">%zu %s</p>", l.n, L(r, "messages", "件"));
    html_printf(p, "<form method=\"post\" action=\"/admin/held\">");
    html_csrf(r, p, NULL);
    html_printf(p,
                "<table id=\"held\"><thead><tr><th></th><th>%s</th><th>%s</th><th>%s</th>"
                "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
                L(r, "Queue ID", "キューID"), L(r, "From", "差出人"), L(r, "To", "宛先"),
                L(r, "Subject", "件名"), L(r, "Sends at", "送信予定"),
                L(r, "State", "状態"));
    for (size_t i = first; i < l.n && i < first + PAGE_ROWS; i++) {
        struct held_row *row = &l.rows[i];
        html_printf(p, "<tr><td>");
        if (row->state == HOLD_HELD)
            html_printf(p, "<input type=\"checkbox\" name=\"id\" value=\"%s\">",
                        row->queue_id);
        html_printf(p, "</td><td>%s</td><td>%s</td><td>%s", row->queue_id, row->sender,
                    row->first_rcpt);
        if (row->nrcpt > 1)
            html_printf(p, " +%zu", row->nrcpt - 1);
        if (row->external)
            html_printf(p, " <span class=\"external\">%s</span>",
                        L(r, "(external)", "（社外）"));
        html_printf(p, "</td><td class=\"subject\">%s</td><td>", row->subject);
        html_time(p, row->deadline);
        html_printf(p, "</td><td>%s%s</td></tr>", hold_state_name(row->state),
                    row->requested && row->state == HOLD_HELD
                        ? L(r, " (asked)", "（要求済み）")
                        : "");
    }
    html_printf(p, "</tbody></table>");
    html_printf(p,
                "<p><button name=\"action\" value=\"release\" class=\"release\" "
                "id=\"release\">%s</button><button name=\"action\" value=\"delete\" "
                "class=\"delete\" id=\"delete\">%s</button> <label class=\"inline\">%s "
                "<input type=\"number\" name=\"minutes\" value=\"10\" min=\"0\" "
                "max=\"10080\"></label><button name=\"action\" value=\"reschedule\" "
                "id=\"reschedule\">%s</button></p></form>",
                L(r, "Send now", "今すぐ送信"), L(r, "Delete", "削除"),
                L(r, "minutes from now:", "今から（分）:"),
                L(r, "Reschedule", "送信時刻を変更"));
    char qs[700], enc[600];
    snprintf(qs, sizeof(qs), "state=%s&q=%s&", state,
             admin_url_encode(q, enc, sizeof(enc)));
    admin_pager(p, r, "/admin/held", qs, page, first + PAGE_ROWS < l.n);
    if (skipped)
        html_printf(p, "<p class=\"notice bad\">%zu %s</p>", skipped,
                    L(r, "records of another version were skipped.",
                      "件の別バージョンの記録を読み飛ばしました。"));
    html_end(r, p);
    for (size_t i = 0; i < l.n; i++) {
        free(l.rows[i].sender);
        free(l.rows[i].subject);
        free(l.rows[i].first_rcpt);
    }
    free(l.rows);
#ifdef __GLIBC__
    /* A long listing is the web's one large allocation: give it back
     * (glibc keeps freed memory in the thread's arena otherwise). */
    if (l.n > 1000)
        malloc_trim(0);
#endif
}

/* ---- audit log, rules, settings ---- */

struct audit_rows {
    struct request *r;
    struct page *p;
    size_t n;
};

static int audit_row(void *ctx, const struct audit_entry *e)
{
    struct audit_rows *a = ctx;
    if (a->n++ == PAGE_ROWS)
        return 1; /* one more than a page: there is a next one */
    html_printf(a->p, "<tr><td>");
    html_time(a->p, e->time);
    html_printf(a->p, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
                e->who, e->action, e->target, e->from, e->result);
    return 0;
}

static void audit_log(struct request *r, struct page *p)
{
    if (!admin_allowed(r, p, NEED_ADMIN))
        return;
    size_t page = admin_page_number(r);
    html_begin(r, p, L(r, "Audit log", "監査ログ"));
    html_printf(
        p,
        "<table id=\"audit\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
        "<th>%s</th><th>%s</th></tr></thead><tbody>",
        L(r, "When", "日時"), L(r, "Who", "誰が"), L(r, "What", "操作"),
        L(r, "On", "対象"), L(r, "From", "接続元"), L(r, "Result", "結果"));
    struct audit_rows a = {r, p, 0};
    char err[512];
    if (audit_foreach_newest(r->w->store, (page - 1) * PAGE_ROWS, audit_row, &a, err,
                             sizeof(err)) != 0)
        log_error("audit log: %s", err);
    html_printf(p, "</tbody></table>");
    admin_pager(p, r, "/admin/audit", "", page, a.n > PAGE_ROWS);
    html_end(r, p);
}

static void rules_status(struct request *r, struct page *p)
{
    if (!admin_allowed(r, p, NEED_ADMIN))
        return;
    struct rules_status s;
    char err[512];
    int found = status_rules_get(r->w->store, &s, err, sizeof(err));
    html_begin(r, p, L(r, "Rule status", "ルールの状態"));
    if (found <= 0) {
        html_printf(p, "<p class=\"notice bad\">%s</p>",
                    found < 0 ? err
                              : L(r, "The milter has not reported its rules yet.",
                                  "milter はまだルールの状態を報告していません。"));
        html_end(r, p);
        return;
    }
    html_printf(p,
                "<dl class=\"facts\" id=\"status\"><dt>%s</dt><dd id=\"result\">%s</dd>",
                L(r, "Last load", "最後の読み込み"),
                s.ok ? L(r, "ok", "成功") : L(r, "failed", "失敗"));
    html_printf(p, "<dt>%s</dt><dd>", L(r, "Tried", "実行日時"));
    html_time(p, s.time);
    html_printf(p, "</dd><dt>%s</dt><dd id=\"count\">%lld</dd><dt>%s</dt><dd>",
                L(r, "Rules in force", "適用中のルール数"), (long long)s.rules,
                L(r, "Loaded", "読み込み日時"));
    html_time(p, s.loaded);
    html_printf(p, "</dd><dt>%s</dt><dd>%s</dd>", L(r, "Directory", "ディレクトリ"),
                s.dir);
    html_printf(p, "<dt>%s</dt><dd><ol id=\"rule-names\">", L(r, "Rules", "ルール"));
    for (size_t i = 0; i < s.nnames; i++)
        html_printf(p, "<li>%s</li>", s.names[i]);
    html_printf(p, "</ol></dd>");
    if (!s.ok)
        html_printf(p, "<dt>%s</dt><dd class=\"external\" id=\"error\">%s</dd>",
                    L(r, "Error (the rules before it stay in force)",
                      "エラー（以前のルールが適用されたままです）"),
                    s.error);
    html_printf(p, "</dl>");
    html_end(r, p);
    status_rules_clear(&s);
}

static void settings(struct request *r, struct page *p)
{
    if (!admin_allowed(r, p, NEED_ADMIN))
        return;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out != NULL) {
        config_print(r->w->cfg, out);
        fclose(out);
    }
    html_begin(r, p, L(r, "Settings", "設定"));
    html_printf(p,
                "<h2>%s</h2><table id=\"admins\"><thead><tr><th>%s</th><th>%s</th></tr>"
                "</thead><tbody>",
                L(r, "Admins", "管理者"), L(r, "Name", "名前"), L(r, "Role", "ロール"));
    pthread_rwlock_rdlock(&r->w->admins_lock);
    for (size_t i = 0; i < r->w->admins.n; i++)
        html_printf(p, "<tr><td>%s</td><td>%s</td></tr>", r->w->admins.list[i].name,
                    admin_role_name(r->w->admins.list[i].role));
    pthread_rwlock_unlock(&r->w->admins_lock);
    html_printf(
        p,
        "</tbody></table><p>%s</p><h2>%s</h2><pre class=\"text\" id=\"config\">%s</pre>",
        L(r, "Admins are managed with \"sendwatch admin\".",
          "管理者は「sendwatch admin」で管理します。"),
        L(r, "Configuration in force", "適用中の設定"), text ? text : "");
    free(text);
    html_end(r, p);
}

void admin_page(struct request *r, struct page *p, const char *path)
{
    if (strcmp(path, "/admin/login") == 0) {
        login(r, p);
        return;
    }
    if (strcmp(path, "/admin/logout") == 0) {
        logout(r, p);
        return;
    }
    if (strcmp(path, "/admin") == 0 || strcmp(path, "/admin/") == 0) {
        if (r->session.kind != SESSION_ADMIN)
            page_redirect(p, "/admin/login");
        else
            page_redirect(p, r->session.role == ADMIN_ROLE_AUDITOR ? "/admin/quarantine"
                                                                   : "/admin/held");
        return;
    }
    /* Pages that only show refuse a POST; forms post where they change. */
    static const struct {
        const char *path;
        void (*fn)(struct request *, struct page *);
        bool post;
    } routes[] = {
        {"/admin/held", held, true},
        {"/admin/quarantine", admin_quarantine, false},
        {"/admin/quarantine/view", admin_quarantine_view, false},
        {"/admin/quarantine/delete", admin_quarantine_delete, true},
        {"/admin/quarantine/deliver", admin_quarantine_deliver, true},
        {"/admin/audit", audit_log, false},
        {"/admin/rules", rules_status, false},
        {"/admin/settings", settings, false},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (strcmp(path, routes[i].path) == 0) {
            if (r->post && !routes[i].post) {
                error_page(r, p, MHD_HTTP_METHOD_NOT_ALLOWED,
                           L(r, "Not a form", "フォームではありません"),
                           L(r, "This page only shows.", "このページは表示専用です。"));
                return;
            }
            routes[i].fn(r, p);
            return;
        }
    error_page(r, p, MHD_HTTP_NOT_FOUND, L(r, "No such page", "ページがありません"),
               L(r, "There is no such page.", "そのようなページはありません。"));
}
