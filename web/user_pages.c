/*
 * user_pages - the filter center: a user's own held, sent and deleted
 * mail, and their own settings (where user_settings_allowed).
 *
 * A user signs in with a link: from any hold notice ("center", valid a
 * week past the hold) or mailed on request from /signin ("signin", once,
 * 15 minutes).  The link's GET shows a button; its POST starts the
 * session (a link scanner's fetch signs nobody in and uses nothing up).
 * /signin answers the same whatever the address, is limited per address
 * and per client, and queues the mail for holdd only for addresses in
 * internal_domains.  A user sees only mail whose envelope sender is their
 * address; anything else is "no such mail", never "not yours".
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "audit.h"
#include "hold.h"
#include "html.h"
#include "log.h"
#include "parse.h"
#include "password.h"
#include "queueid.h"
#include "web_job.h"
#include "timefmt.h"
#include "user_settings.h"

#define MY_MAIL_MAX     500 /* rows of the user's own mail shown, newest first */
#define SIGNIN_PER_ADDR 3   /* mails per address per 15 minutes */
#define SIGNIN_PER_IP   10  /* requests per client per 15 minutes */

static void audit_user(struct request *r, const char *action, const char *target,
                       const char *result)
{
    char who[300];
    snprintf(who, sizeof(who), "user:%s", r->session.name);
    web_audit(r, who, action, target, result);
}

static void form_refused(struct request *r, struct page *p)
{
    error_page(r, p, MHD_HTTP_FORBIDDEN,
               L(r, "Form refused", "フォームを受け付けられません"),
               L(r,
                 "This form did not come from this page, or your sign-in has ended. "
                 "Nothing was done.",
                 "このフォームはこのページから送られたものではないか、サインインが終了し"
                 "ています。何も実行していません。"));
}

/* Lower-cases ADDRESS into OUT: the form users' records are kept under. */
static void lower(const char *address, char *out, size_t len)
{
    size_t i = 0;
    for (; address[i] && i + 1 < len; i++)
        out[i] =
            (char)(address[i] >= 'A' && address[i] <= 'Z' ? address[i] + 32 : address[i]);
    out[i] = '\0';
}

/* ---- signing in ---- */

static void signin_form(struct request *r, struct page *p)
{
    html_begin(r, p,
               L(r, "Sign in to the filter center", "フィルターセンターへのサインイン"));
    html_printf(
        p, "<p>%s</p><form method=\"post\" action=\"/signin\">",
        L(r, "Enter your mail address: a sign-in link will be mailed to it.",
          "メールアドレスを入力してください。サインイン用のリンクをメールで送ります。"));
    html_csrf(r, p, NULL);
    html_printf(
        p,
        "<label>%s <input type=\"email\" name=\"address\" id=\"address\" required "
        "maxlength=\"254\"></label><button id=\"send\">%s</button></form>",
        L(r, "Mail address", "メールアドレス"),
        L(r, "Mail me a sign-in link", "リンクを送る"));
    html_end(r, p);
}

struct signin_add {
    const char *address, *lang;
};

static int signin_add_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct signin_add *a = ctx;
    struct web_job j = {.kind = WEB_JOB_SIGNIN, .created = time(NULL)};
    snprintf(j.address, sizeof(j.address), "%s", a->address);
    snprintf(j.language, sizeof(j.language), "%s", a->lang);
    return web_job_add(t, &j, j.created, err, errlen);
}

static void signin(struct request *r, struct page *p)
{
    if (!r->post) {
        signin_form(r, p);
        return;
    }
    if (!csrf_valid(r, NULL)) {
        form_refused(r, p);
        return;
    }
    const char *given = request_field(r, "address");
    char address[256] = "", why[256];
    if (given != NULL && strlen(given) < sizeof(address))
        lower(given, address, sizeof(address));
    char by_ip[100], by_addr[300];
    throttle_client_key(r, "signin-ip:", by_ip, sizeof(by_ip));
    snprintf(by_addr, sizeof(by_addr), "signin:%s", address);
    bool valid = address[0] && parse_addr_spec(address, 0, why, sizeof(why)) == 0;
    bool ours = valid && address_is_internal(
                             address, (const char *const *)r->w->cfg->internal_domains);
    /* Every request counts against the client; a mail against its address. */
    bool ip_ok = throttle_take(r->w, by_ip, SIGNIN_PER_IP);
    bool addr_ok = ip_ok && ours && throttle_take(r->w, by_addr, SIGNIN_PER_ADDR);
    const char *result = !valid     ? "refused: not an address"
                         : !ip_ok   ? "refused: throttled (client)"
                         : !ours    ? "refused: not internal"
                         : !addr_ok ? "refused: throttled (address)"
                                    : "ok";
    if (addr_ok) {
        char err[512];
        struct audit_entry e = {.who = "anonymous",
                                .action = "signin-mail",
                                .target = address,
                                .result = "ok"};
        struct signin_add add = {address, r->lang};
        if (web_change(r, signin_add_fn, &add, &e, err, sizeof(err)) != 0) {
            log_error("sign-in mail for %s: %s", address, err);
            error_page(r, p, MHD_HTTP_SERVICE_UNAVAILABLE,
                       L(r, "Not sent", "送信できませんでした"),
                       L(r,
                         "The sign-in mail could not be queued. Try again in a minute.",
                         "サインイン用メールを登録できませんでした。少し待ってからやり直"
                         "してください。"));
            return;
        }
        hold_wake(r->w->cfg->holdd_socket);
    } else {
        /* Refusals are logged, not written to the store: an anonymous
         * client must not be able to fill it. */
        char shown[300];
        log_info("sign-in mail from %s for %s: %s", r->from,
                 log_escape(shown, sizeof(shown), valid ? address : "",
                            valid ? strlen(address) : 0),
                 result);
    }
    /* The same page whatever happened: it tells nobody which addresses exist. */
    if (!ip_ok)
        p->status = MHD_HTTP_TOO_MANY_REQUESTS;
    html_begin(r, p, L(r, "Check your mail", "メールを確認してください"));
    html_printf(p, "<p class=\"notice\" id=\"sent\">%s</p>",
                !ip_ok
                    ? L(r, "Too many requests from here. Wait a while and try again.",
                        "要求が多すぎます。しばらく待ってからやり直してください。")
                    : L(r,
                        "If this address belongs to this company, a sign-in link is on "
                        "its way to it. The link works once, for 15 minutes.",
                        "このアドレスが社内のものであれば、サインイン用のリンクを送りまし"
                        "た。リンクは 1 回だけ、15 分間有効です。"));
    html_end(r, p);
}

/* Whether the one-time link TEXT (its signature) was used; marks it in T when MARK. */
static int link_used(struct store_txn *t, const char *text, time_t expiry, bool mark,
                     char *err, size_t errlen)
{
    const char *sig = strrchr(text, '.');
    return signin_link_used(t, sig ? sig + 1 : text, expiry, mark, err, errlen);
}

/* Marks a one-time link used, in the transaction of its sign-in's audit line. */
struct mark_used {
    const char *text;
    time_t expiry;
    bool once;
    int used;
    struct audit_entry *e;
};

static int mark_used_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    struct mark_used *m = ctx;
    m->used = m->once ? link_used(t, m->text, m->expiry, true, err, errlen) : 0;
    if (m->used == 1)
        m->e->result = "refused: link used";
    return m->used < 0 ? -1 : 0;
}

void user_link_page(struct request *r, struct page *p, const char *node, const char *text)
{
    struct token t;
    enum token_status s = token_verify(&r->w->key, text, time(NULL), &t);
    if (s != TOKEN_OK || !token_action_is_user(t.action) ||
        strcmp(t.node, r->w->cfg->node_name) != 0 || strcmp(node, t.node) != 0) {
        int status = s == TOKEN_EXPIRED         ? MHD_HTTP_GONE
                     : s == TOKEN_BAD_SIGNATURE ? MHD_HTTP_FORBIDDEN
                     : s == TOKEN_OK            ? MHD_HTTP_NOT_FOUND
                                                : MHD_HTTP_BAD_REQUEST;
        if (s == TOKEN_BAD_SIGNATURE)
            log_warning("sign-in link from %s refused: %s", r->from,
                        token_status_text(s));
        error_page(
            r, p, status,
            s == TOKEN_EXPIRED ? L(r, "Link expired", "リンクの期限切れ")
                               : L(r, "Link refused", "リンクを受け付けられません"),
            s == TOKEN_EXPIRED
                ? L(r, "This sign-in link has expired. Ask for a new one at /signin.",
                    "このサインイン用リンクは期限切れです。/signin "
                    "で新しいリンクを要求してください。")
                : L(r,
                    "This is not a valid sign-in link of this server. Nothing was done.",
                    "このサーバーの有効なサインイン用リンクではありません。何も実行してい"
                    "ません。"));
        return;
    }
    bool once = strcmp(t.action, "signin") == 0;
    char err[512];
    if (!r->post) {
        struct store_txn *txn = once ? store_begin(r->w->store, err, sizeof(err)) : NULL;
        int used =
            once && txn ? link_used(txn, text, t.expiry, false, err, sizeof(err)) : 0;
        if (txn)
            store_abort(txn);
        if (used != 0) {
            error_page(
                r, p, used > 0 ? MHD_HTTP_GONE : MHD_HTTP_SERVICE_UNAVAILABLE,
                L(r, "Link used", "使用済みのリンク"),
                L(r,
                  "This sign-in link has been used already; it works once. Ask for "
                  "a new one at /signin.",
                  "このサインイン用リンクは使用済みです（1 回だけ有効）。/signin "
                  "で新しいリンクを要求してください。"));
            return;
        }
        html_begin(r, p, L(r, "Filter center", "フィルターセンター"));
        html_printf(p, "<p>%s <b id=\"address\">%s</b></p><form method=\"post\">",
                    L(r, "Open the filter center as",
                      "次のアドレスでフィルターセンターを開きます:"),
                    t.address);
        char token[64];
        csrf_for_link_in_browser(r, text, token, sizeof(token));
        html_printf(p, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", token);
        html_printf(p, "<button id=\"open\">%s</button></form>",
                    L(r, "Open my filter center", "フィルターセンターを開く"));
        html_end(r, p);
        return;
    }
    if (!csrf_valid_link_in_browser(r, text)) {
        form_refused(r, p);
        return;
    }
    char who[300];
    snprintf(who, sizeof(who), "user:%s", t.address);
    struct audit_entry e = {.who = who,
                            .action = "signin",
                            .target = t.action,
                            .from = r->from,
                            .result = "ok"};
    struct mark_used mark = {text, t.expiry, once, 0, &e};
    if (web_change(r, mark_used_fn, &mark, &e, err, sizeof(err)) != 0) {
        log_error("sign-in of %s: %s", t.address, err);
        error_page(r, p, MHD_HTTP_SERVICE_UNAVAILABLE,
                   L(r, "Not signed in", "サインインできません"),
                   L(r, "Try again in a minute.", "少し待ってからやり直してください。"));
        return;
    }
    int used = mark.used;
    if (used == 1) {
        error_page(r, p, MHD_HTTP_GONE, L(r, "Link used", "使用済みのリンク"),
                   L(r, "This sign-in link has been used already; it works once.",
                     "このサインイン用リンクは使用済みです（1 回だけ有効）。"));
        return;
    }
    char id[64];
    if (session_start(r->w, SESSION_USER, t.address, r->from, id) != 0) {
        error_page(r, p, MHD_HTTP_SERVICE_UNAVAILABLE,
                   L(r, "Not signed in", "サインインできません"),
                   L(r, "No session could be started. Try again.",
                     "セッションを開始できませんでした。"));
        return;
    }
    page_cookie(r, p, "sw_session", id, (long)r->w->cfg->web_session_minutes * 60 * 48);
    page_redirect(p, "/me");
}

/* ---- the user's mail ---- */

struct my_rows {
    struct request *r;
    struct page *p;
    size_t n;
    struct hold_record *rows;
    size_t cap;
    bool failed;
};

static int collect_mine(void *ctx, const struct hold_record *h)
{
    struct my_rows *m = ctx;
    if (strcasecmp(h->sender, m->r->session.name) != 0)
        return 0;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        struct hold_record *grown = realloc(m->rows, cap * sizeof(*grown));
        if (grown == NULL) {
            m->failed = true;
            return 1;
        }
        m->rows = grown;
        m->cap = cap;
    }
    /* A deep copy through the record's own fields: strdup each. */
    struct hold_record *c = &m->rows[m->n];
    memset(c, 0, sizeof(*c));
    snprintf(c->queue_id, sizeof(c->queue_id), "%s", h->queue_id);
    c->state = h->state;
    c->sender = strdup(h->sender);
    c->subject = strdup(h->subject);
    c->recipients = calloc(h->nrecipients + 1, sizeof(char *));
    c->attachments = calloc(1, sizeof(char *));
    for (size_t i = 0; c->recipients && i < h->nrecipients; i++)
        if ((c->recipients[i] = strdup(h->recipients[i])) != NULL)
            c->nrecipients++;
    c->created = h->created;
    c->deadline = h->deadline;
    c->outcome_time = h->outcome_time;
    c->requested = h->requested ? strdup(h->requested) : NULL;
    m->n++;
    if (c->sender == NULL || c->subject == NULL || c->recipients == NULL ||
        c->attachments == NULL)
        m->failed = true;
    return m->failed;
}

static int newest_first(const void *a, const void *b)
{
    const struct hold_record *x = a, *y = b;
    return x->created > y->created ? -1 : x->created < y->created;
}

static void my_mail(struct request *r, struct page *p)
{
    struct my_rows m = {.r = r, .p = p};
    char err[512];
    if (hold_foreach(r->w->store, collect_mine, &m, NULL, err, sizeof(err)) != 0 ||
        m.failed)
        log_error("filter center of %s: %s", r->session.name,
                  m.failed ? "out of memory" : err);
    qsort(m.rows, m.n, sizeof(*m.rows), newest_first);
    html_begin(r, p, L(r, "My mail", "自分のメール"));
    const char *done = request_arg(r, "done");
    if (done != NULL)
        html_printf(
            p, "<p class=\"notice good\" id=\"done\">%s</p>",
            L(r, "Asked; it is being carried out.", "受け付けました。処理中です。"));
    html_printf(
        p,
        "<table id=\"mine\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
        "<th>%s</th><th></th></tr></thead><tbody>",
        L(r, "Subject", "件名"), L(r, "To", "宛先"), L(r, "Sent by you", "送信操作"),
        L(r, "Leaves / left", "送信予定・結果"), L(r, "State", "状態"));
    for (size_t i = 0; i < m.n && i < MY_MAIL_MAX; i++) {
        struct hold_record *h = &m.rows[i];
        const char *state = h->state == HOLD_HELD       ? L(r, "held", "保留中")
                            : h->state == HOLD_RELEASED ? L(r, "sent", "送信済み")
                            : h->state == HOLD_DELETED  ? L(r, "deleted", "削除済み")
                                                        : hold_state_name(h->state);
        html_printf(p, "<tr data-queue-id=\"%s\"><td class=\"subject\">%s</td><td>",
                    h->queue_id, h->subject);
        for (size_t k = 0; k < h->nrecipients; k++) {
            html_printf(p, "%r%s", k ? "<br>" : "", h->recipients[k]);
            if (!address_is_internal(h->recipients[k],
                                     (const char *const *)r->w->cfg->internal_domains))
                html_printf(p, " <span class=\"external\">%s</span>",
                            L(r, "(external)", "（社外）"));
        }
        html_printf(p, "</td><td>");
        html_time(p, h->created);
        html_printf(p, "</td><td>");
        html_time(p, h->state == HOLD_HELD ? h->deadline : h->outcome_time);
        html_printf(p, "</td><td class=\"state\">%s%s</td><td>", state,
                    h->state == HOLD_HELD && h->requested
                        ? L(r, " (asked)", "（要求済み）")
                        : "");
        if (h->state == HOLD_HELD && h->requested == NULL) {
            html_printf(p, "<form method=\"post\" action=\"/me/act\" class=\"inline\">");
            html_csrf(r, p, NULL);
            html_printf(
                p,
                "<input type=\"hidden\" name=\"id\" value=\"%s\"><button name=\"action\" "
                "value=\"release\" class=\"release\">%s</button><button "
                "name=\"action\" value=\"delete\" class=\"delete\">%s</button></form>",
                h->queue_id, L(r, "Send now", "今すぐ送信"), L(r, "Delete", "削除"));
        }
        html_printf(p, "</td></tr>");
    }
    html_printf(p, "</tbody></table>");
    if (m.n > MY_MAIL_MAX) /* a cut, said */
        html_printf(p, "<p class=\"notice\" id=\"cut\">%s %d %s %zu.</p>",
                    L(r, "Showing the newest", "新しい順に"), MY_MAIL_MAX,
                    L(r, "of", "件を表示しています。全"), m.n);
    if (m.n == 0)
        html_printf(p, "<p id=\"none\">%s</p>",
                    L(r, "No held mail of yours is on record.",
                      "保留されたメールの記録はありません。"));
    html_end(r, p);
    for (size_t i = 0; i < m.n; i++) {
        free(m.rows[i].requested);
        m.rows[i].requested = NULL;
        hold_record_clear(&m.rows[i]);
    }
    free(m.rows);
}

/* A user's release or delete: only of their own mail, once (web_change). */
struct my_once {
    const char *address;
    enum hold_action action;
    const char *queue_id, *by;
    struct audit_entry *e;
    int outcome;
    bool mine;
};

static int my_once_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    struct my_once *o = ctx;
    struct hold_record h;
    int found = hold_get(t, o->queue_id, &h, err, errlen);
    if (found < 0)
        return -1;
    o->mine = found == 1 && strcasecmp(h.sender, o->address) == 0;
    if (found == 1)
        hold_record_clear(&h);
    if (!o->mine) {
        o->e->result = "refused: no such mail of theirs";
        return 0;
    }
    o->outcome =
        hold_request_once(t, o->action, o->queue_id, o->by, time(NULL), &h, err, errlen);
    if (o->outcome >= 0)
        hold_record_clear(&h);
    o->e->result = web_once_result(o->outcome);
    return o->outcome < 0 ? -1 : 0;
}

static void my_act(struct request *r, struct page *p)
{
    if (!csrf_valid(r, NULL)) {
        form_refused(r, p);
        return;
    }
    const char *id = request_field(r, "id"), *action = request_field(r, "action");
    enum hold_action a;
    if (id == NULL || action == NULL || queueid_classify(id) != QUEUEID_LONG ||
        !hold_action_parse(action, &a) || a == HOLD_RESCHEDULE) {
        error_page(r, p, MHD_HTTP_BAD_REQUEST, L(r, "Unknown action", "不明な操作"),
                   L(r, "Choose send now or delete.",
                     "「今すぐ送信」か「削除」を選んでください。"));
        return;
    }
    char err[512], by[300], who[300];
    snprintf(by, sizeof(by), "web:user:%s", r->session.name);
    snprintf(who, sizeof(who), "user:%s", r->session.name);
    struct audit_entry e = {.who = who, .action = action, .target = id};
    struct my_once o = {r->session.name, a, id, by, &e, -1, false};
    int rc = web_change(r, my_once_fn, &o, &e, err, sizeof(err));
    if (rc != 0 || !o.mine) {
        if (rc != 0)
            log_error("%s: %s by %s: %s", id, action, who, err);
        /* Another user's mail is "no such mail", never "not yours". */
        error_page(r, p, rc != 0 ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_NOT_FOUND,
                   rc != 0 ? L(r, "Not done", "実行できませんでした")
                           : L(r, "No such mail", "該当するメールはありません"),
                   rc != 0 ? L(r, "Nothing was done; try again in a minute.",
                               "何も実行していません。少し待ってからやり直してください。")
                           : L(r, "You have no held mail with that ID.",
                               "その ID の保留メールはありません。"));
        return;
    }
    rc = o.outcome;
    if (rc == HOLD_ONCE_QUEUED)
        hold_wake(r->w->cfg->holdd_socket);
    page_redirect(p, rc == HOLD_ONCE_QUEUED ? "/me?done=1" : "/me");
}

/* ---- settings ---- */

/* A <select> of CHOICES (value, label pairs, NULL-ended) with CURRENT selected. */
static void select_box(struct page *p, const char *name, const char *const *choices,
                       const char *current)
{
    html_printf(p, "<select name=\"%s\" id=\"%s\">", name, name);
    for (size_t i = 0; choices[i] != NULL; i += 2)
        html_printf(p, "<option value=\"%s\"%r>%s</option>", choices[i],
                    strcmp(choices[i], current) == 0 ? " selected" : "", choices[i + 1]);
    html_printf(p, "</select>");
}

static void settings_form(struct request *r, struct page *p, const char *problem,
                          bool saved)
{
    const struct config *cfg = r->w->cfg;
    struct user_settings s = {0};
    char err[512];
    if (user_settings_get(r->w->store, r->session.name, &s, err, sizeof(err)) < 0)
        log_error("settings of %s: %s", r->session.name, err);
    html_begin(r, p, L(r, "My settings", "個人設定"));
    if (problem != NULL)
        html_printf(p, "<p class=\"notice bad\" id=\"problem\">%s</p>", problem);
    if (saved)
        html_printf(p, "<p class=\"notice good\" id=\"saved\">%s</p>",
                    L(r, "Saved. It counts from your next message.",
                      "保存しました。次に送るメールから適用されます。"));
    if (!cfg->user_settings_allowed) {
        html_printf(p, "<p class=\"notice\" id=\"admin-only\">%s</p>",
                    L(r, "Your administrator sets these for everyone.",
                      "これらの設定は管理者が全員分を決めています。"));
        html_printf(p,
                    "<dl class=\"facts\"><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%u</dd>"
                    "<dt>%s</dt><dd>%s</dd></dl>",
                    L(r, "Hold", "送信保留"), cfg->hold_enable ? "yes" : "no",
                    L(r, "Minutes", "保留時間（分）"), cfg->hold_minutes,
                    L(r, "Encrypt attachments", "添付ファイルの暗号化"),
                    cfg->encrypt_attachments ? "yes" : "no");
        html_end(r, p);
        return;
    }
    const char *def = L(r, "as the administrator set", "管理者の設定に従う");
    const char *const yes_no[] = {
        "", def, "yes", L(r, "yes", "する"), "no", L(r, "no", "しない"), NULL};
    const char *const targets[] = {"",           def,
                                   "sender",     L(r, "me", "自分"),
                                   "recipients", L(r, "the recipients", "宛先"),
                                   "both",       L(r, "both", "両方"),
                                   NULL};
    const char *const langs[] = {"", def, "ja", "日本語", "en", "English", NULL};
    char minutes[16] = "";
    if (s.set & USER_SETTING_HOLD_MINUTES)
        snprintf(minutes, sizeof(minutes), "%u", s.hold_minutes);
    html_printf(p, "<form method=\"post\" action=\"/me/settings\">");
    html_csrf(r, p, NULL);
    html_printf(p, "<label>%s ", L(r, "Hold my outgoing mail", "送信メールを保留する"));
    select_box(p, "hold_enable", yes_no,
               s.set & USER_SETTING_HOLD_ENABLE ? (s.hold_enable ? "yes" : "no") : "");
    html_printf(
        p,
        "</label><label>%s <input type=\"number\" min=\"1\" max=\"60\" "
        "name=\"hold_minutes\" id=\"hold_minutes\" value=\"%s\" placeholder=\"%u\">"
        "</label><label>%s ",
        L(r, "Minutes to hold (1-60)", "保留時間（1〜60 分）"), minutes,
        cfg->hold_minutes, L(r, "Encrypt my attachments", "添付ファイルを暗号化する"));
    select_box(p, "encrypt_enable", yes_no,
               s.set & USER_SETTING_ENCRYPT_ENABLE ? (s.encrypt_enable ? "yes" : "no")
                                                   : "");
    html_printf(p, "</label><label>%s ",
                L(r, "Password notice goes to", "パスワード通知の送り先"));
    select_box(p, "password_notice_to", targets,
               s.set & USER_SETTING_PASSWORD_NOTICE_TO ? s.password_notice_to : "");
    html_printf(p, "</label><label>%s ", L(r, "Language of my notices", "通知の言語"));
    select_box(p, "language", langs, s.set & USER_SETTING_LANGUAGE ? s.language : "");
    html_printf(p, "</label>");
    if (cfg->user_password_allowed) {
        html_printf(p,
                    "<fieldset><legend>%s</legend><p>%s</p>"
                    "<label>%s <input type=\"password\" name=\"zip_password\" "
                    "id=\"zip_password\" autocomplete=\"new-password\"></label>"
                    "<label>%s <input type=\"text\" name=\"zip_password_hint\" "
                    "id=\"zip_password_hint\" maxlength=\"100\" value=\"%s\"></label>"
                    "<label><input type=\"checkbox\" name=\"zip_password_remove\" "
                    "value=\"yes\"> %s</label></fieldset>",
                    L(r, "My own zip password", "自分で決めた zip パスワード"),
                    s.set & USER_SETTING_ZIP_PASSWORD
                        ? L(r, "One is set. Leave the field empty to keep it.",
                            "設定済みです。変えない場合は空欄のままにしてください。")
                        : L(r, "None is set: each zip gets a fresh one.",
                            "未設定です（zip ごとに新しいパスワードが作られます）。"),
                    L(r, "New password (8-64 characters, no spaces)",
                      "新しいパスワード（8〜64 文字、空白なし）"),
                    L(r, "Hint sent instead of it", "通知に書くヒント"),
                    s.zip_password_hint,
                    L(r, "Remove my own password", "自分のパスワードを削除する"));
    }
    html_printf(p, "<button id=\"save\">%s</button></form>", L(r, "Save", "保存"));
    html_end(r, p);
}

struct settings_put {
    const char *address;
    const struct user_settings *s;
    unsigned which;
};

static int settings_put_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    const struct settings_put *p = ctx;
    return user_settings_put_in(t, p->address, p->s, p->which, err, errlen);
}

static void settings_save(struct request *r, struct page *p)
{
    const struct config *cfg = r->w->cfg;
    if (!csrf_valid(r, NULL)) {
        form_refused(r, p);
        return;
    }
    if (!cfg->user_settings_allowed) {
        p->status = MHD_HTTP_FORBIDDEN;
        settings_form(r, p,
                      L(r, "Your administrator does not allow own settings.",
                        "管理者が個人設定を許可していません。"),
                      false);
        return;
    }
    static const char *const names[] = {"hold_enable", "hold_minutes", "encrypt_enable",
                                        "password_notice_to", "language"};
    struct user_settings s = {0};
    unsigned which = 0;
    char err[512];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = request_field(r, names[i]);
        int bit =
            user_settings_parse(&s, names[i], v && v[0] ? v : NULL, err, sizeof(err));
        if (bit < 0) {
            p->status = MHD_HTTP_BAD_REQUEST;
            settings_form(r, p, err, false);
            return;
        }
        which |= (unsigned)bit;
    }
    const char *pw = request_field(r, "zip_password"),
               *hint = request_field(r, "zip_password_hint"),
               *remove = request_field(r, "zip_password_remove");
    if (cfg->user_password_allowed && remove != NULL && strcmp(remove, "yes") == 0) {
        which |= USER_SETTING_ZIP_PASSWORD | USER_SETTING_ZIP_PASSWORD_HINT;
    } else if (cfg->user_password_allowed && pw != NULL && pw[0] != '\0') {
        char sealed[SECRET_TEXT_MAX], key[330];
        if (!password_acceptable(pw)) {
            p->status = MHD_HTTP_BAD_REQUEST;
            settings_form(
                r, p,
                L(r, "A zip password is 8 to 64 printable ASCII characters, no spaces.",
                  "zip パスワードは空白を含まない 8〜64 文字の半角英数記号です。"),
                false);
            return;
        }
        if (hint == NULL ||
            user_settings_parse(&s, "zip_password_hint", hint, err, sizeof(err)) < 0) {
            p->status = MHD_HTTP_BAD_REQUEST;
            settings_form(r, p,
                          L(r,
                            "Give a hint of 1 to 100 characters: the notice carries it "
                            "instead of the password.",
                            "ヒント（1〜100 "
                            "文字）を入力してください。通知にはパスワードの代わりにヒント"
                            "を書きます。"),
                          false);
            return;
        }
        user_settings_key(r->session.name, key, sizeof(key));
        if (secret_seal(&r->w->secret, key, pw, sealed, sizeof(sealed), err,
                        sizeof(err)) != 0 ||
            user_settings_parse(&s, "zip_password", sealed, err, sizeof(err)) < 0) {
            log_error("settings of %s: %s", r->session.name, err);
            p->failed = true;
            return;
        }
        which |= USER_SETTING_ZIP_PASSWORD | USER_SETTING_ZIP_PASSWORD_HINT;
    } else if (cfg->user_password_allowed && hint != NULL && hint[0] != '\0') {
        struct user_settings now = {0};
        if (user_settings_get(r->w->store, r->session.name, &now, err, sizeof(err)) ==
                1 &&
            (now.set & USER_SETTING_ZIP_PASSWORD) &&
            user_settings_parse(&s, "zip_password_hint", hint, err, sizeof(err)) >= 0)
            which |= USER_SETTING_ZIP_PASSWORD_HINT;
        OPENSSL_cleanse(&now, sizeof(now));
    }
    /* The audit line names the settings changed, never a value (a password). */
    char what[200] = "", who[300];
    for (unsigned bit = 1; bit & USER_SETTINGS_ALL; bit <<= 1)
        if (which & bit)
            snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%s",
                     what[0] ? "," : "", user_settings_name((enum user_setting)bit));
    snprintf(who, sizeof(who), "user:%s", r->session.name);
    struct audit_entry e = {
        .who = who, .action = "settings", .target = what, .result = "ok"};
    struct settings_put put = {r->session.name, &s, which};
    int rc = web_change(r, settings_put_fn, &put, &e, err, sizeof(err));
    OPENSSL_cleanse(&s, sizeof(s));
    if (rc != 0) {
        p->status = MHD_HTTP_BAD_REQUEST;
        settings_form(r, p, err, false);
        return;
    }
    page_redirect(p, "/me/settings?saved=1");
}

void user_page(struct request *r, struct page *p, const char *path)
{
    if (strcmp(path, "/signin") == 0) {
        signin(r, p);
        return;
    }
    if (r->session.kind != SESSION_USER) {
        if (r->post)
            form_refused(r, p);
        else
            page_redirect(p, "/signin");
        return;
    }
    if (strcmp(path, "/me") == 0 || strcmp(path, "/me/") == 0) {
        if (r->post)
            form_refused(r, p);
        else
            my_mail(r, p);
    } else if (strcmp(path, "/me/act") == 0 && r->post) {
        my_act(r, p);
    } else if (strcmp(path, "/me/settings") == 0) {
        if (r->post)
            settings_save(r, p);
        else
            settings_form(r, p, NULL, request_arg(r, "saved") != NULL);
    } else if (strcmp(path, "/me/logout") == 0 && r->post) {
        if (!csrf_valid(r, NULL)) {
            form_refused(r, p);
            return;
        }
        audit_user(r, "logout", "", "ok");
        session_end(r->w, r->session.id);
        page_cookie(r, p, "sw_session", "", 0);
        page_redirect(p, "/signin");
    } else {
        error_page(r, p, MHD_HTTP_NOT_FOUND, L(r, "No such page", "ページがありません"),
                   L(r, "There is no such page.", "そのようなページはありません。"));
    }
}
