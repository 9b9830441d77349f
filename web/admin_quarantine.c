/*
 * admin_quarantine - the console's quarantine pages: the list (sender,
 * rule, date), one message read as text with what matched marked, and an
 * admin's delivery of a kept-back message or deletion of a copy.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "admin.h"
#include "audit.h"
#include "hold.h"
#include "html.h"
#include "log.h"
#include "quarantine.h"
#include "view.h"
#include "web_job.h"

struct quarantine_list {
    struct request *r;
    struct page *p;
    const char *sender, *rule, *date;
    size_t skip, shown, matched;
};

static bool entry_matches(const struct quarantine_list *l,
                          const struct quarantine_entry *e)
{
    if (!text_contains(e->sender, l->sender))
        return false;
    if (l->rule[0] != '\0') {
        bool found = false;
        for (size_t i = 0; !found && i < e->nrules; i++)
            found = strcmp(e->rules[i], l->rule) == 0;
        if (!found)
            return false;
    }
    if (l->date[0] != '\0') {
        char day[16];
        struct tm tm;
        strftime(day, sizeof(day), "%Y-%m-%d", localtime_r(&e->time, &tm));
        if (strcmp(day, l->date) != 0)
            return false;
    }
    return true;
}

static int quarantine_row(void *ctx, const struct quarantine_entry *e)
{
    struct quarantine_list *l = ctx;
    struct request *r = l->r;
    struct page *p = l->p;
    if (!entry_matches(l, e))
        return 0;
    l->matched++;
    if (l->matched <= l->skip || l->shown > PAGE_ROWS)
        return 0;
    if (++l->shown > PAGE_ROWS)
        return 0; /* one more than a page: there is a next one */
    char key[1600];
    html_printf(p, "<tr><td>");
    html_time(p, e->time);
    html_printf(p, "</td><td>%s</td><td>%s", e->sender,
                e->nrecipients ? e->recipients[0] : "");
    if (e->nrecipients > 1)
        html_printf(p, " +%zu", e->nrecipients - 1);
    html_printf(p,
                "</td><td><a class=\"open\" "
                "href=\"/admin/quarantine/view?key=%s\">%s</a></td><td>",
                admin_url_encode(e->key, key, sizeof(key)),
                e->subject[0] ? e->subject : L(r, "(no subject)", "（件名なし）"));
    for (size_t i = 0; i < e->nrules; i++)
        html_printf(p, "%r%s", i ? ", " : "", e->rules[i]);
    html_printf(p, "</td></tr>");
    return 0;
}

void admin_quarantine(struct request *r, struct page *p)
{
    if (!admin_allowed(r, p, NEED_QUARANTINE))
        return;
    const char *sender = request_arg(r, "sender"), *rule = request_arg(r, "rule"),
               *date = request_arg(r, "date");
    struct quarantine_list l = {.r = r,
                                .p = p,
                                .sender = sender && strlen(sender) <= 200 ? sender : "",
                                .rule = rule && strlen(rule) <= 200 ? rule : "",
                                .date = date && strlen(date) == 10 ? date : ""};
    size_t page = admin_page_number(r);
    l.skip = (page - 1) * PAGE_ROWS;
    html_begin(r, p, L(r, "Quarantine", "隔離メール"));
    html_printf(p,
                "<form class=\"filters\" method=\"get\" action=\"/admin/quarantine\">"
                "<label>%s <input type=\"text\" name=\"sender\" value=\"%s\"></label>"
                "<label>%s <input type=\"text\" name=\"rule\" value=\"%s\"></label>"
                "<label>%s <input type=\"text\" name=\"date\" placeholder=\"YYYY-MM-DD\" "
                "value=\"%s\"></label><button>%s</button></form>",
                L(r, "Sender", "差出人"), l.sender, L(r, "Rule", "ルール"), l.rule,
                L(r, "Date", "日付"), l.date, L(r, "Filter", "絞り込み"));
    html_printf(p,
                "<table id=\"quarantine\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
                "<th>%s</th><th>%s</th></tr></thead><tbody>",
                L(r, "Stored", "保存日時"), L(r, "From", "差出人"), L(r, "To", "宛先"),
                L(r, "Subject", "件名"), L(r, "Rules", "ルール"));
    char err[512];
    struct quarantine_skipped skipped;
    if (quarantine_entry_foreach(r->w->store, QUARANTINE_NEWEST_FIRST, quarantine_row, &l,
                                 &skipped, err, sizeof(err)) != 0) {
        log_error("quarantine: %s", err);
        html_printf(p, "</tbody></table><p class=\"notice bad\">%s</p>",
                    L(r, "The quarantine could not be read.",
                      "隔離メールを読み取れませんでした。"));
        html_end(r, p);
        return;
    }
    html_printf(p, "</tbody></table>");
    char qs[1400], a[400], b[400], c[64];
    snprintf(qs, sizeof(qs), "sender=%s&rule=%s&date=%s&",
             admin_url_encode(l.sender, a, sizeof(a)),
             admin_url_encode(l.rule, b, sizeof(b)),
             admin_url_encode(l.date, c, sizeof(c)));
    admin_pager(p, r, "/admin/quarantine", qs, page, l.shown > PAGE_ROWS);
    if (skipped.version + skipped.incomplete)
        html_printf(p, "<p class=\"notice bad\">%zu %s</p>",
                    skipped.version + skipped.incomplete,
                    L(r, "entries this version cannot read were skipped.",
                      "件の読めない記録を読み飛ばしました。"));
    html_end(r, p);
}

/*
 * TEXT (LEN bytes) escaped, with every occurrence of the SNIPPETS marked.
 * Each snippet's next hit is remembered, so the text is searched once per
 * snippet, not once per hit (a hostile copy may repeat a word 100,000 times).
 */
static void marked_text(struct page *p, const char *text, size_t len,
                        char *const *snippets, size_t n)
{
    size_t next[64], lens[64];
    if (n > 64)
        n = 64;
    for (size_t i = 0; i < n; i++) {
        lens[i] = strlen(snippets[i]);
        const char *hit = lens[i] ? memmem(text, len, snippets[i], lens[i]) : NULL;
        next[i] = hit ? (size_t)(hit - text) : SIZE_MAX;
    }
    size_t pos = 0;
    while (pos < len) {
        size_t best = SIZE_MAX, best_len = 0;
        for (size_t i = 0; i < n; i++) {
            if (next[i] != SIZE_MAX && next[i] < pos) {
                /* overlapped by a mark already made: look again from here */
                const char *hit = memmem(text + pos, len - pos, snippets[i], lens[i]);
                next[i] = hit ? (size_t)(hit - text) : SIZE_MAX;
            }
            if (next[i] < best || (next[i] == best && lens[i] > best_len)) {
                best = next[i];
                best_len = lens[i];
            }
        }
        if (best == SIZE_MAX) {
            html_escape(p, text + pos, len - pos);
            break;
        }
        html_escape(p, text + pos, best - pos);
        html_printf(p, "<mark>");
        html_escape(p, text + best, best_len);
        html_printf(p, "</mark>");
        pos = best + best_len;
    }
}

/*
 * What to mark in the message: the text each hit matched (found), or, for
 * entries stored before that was kept, the snippets of the match lines
 * ("RULE FIELD: SNIPPET", trimmed).  Malloc'ed, *N of them.
 */
static char **match_snippets(const struct quarantine_entry *e, size_t *n)
{
    size_t total = e->nfound ? e->nfound : e->nmatches;
    char **out = calloc(total + 1, sizeof(*out));
    *n = 0;
    for (size_t i = 0; out != NULL && i < total; i++) {
        const char *text = e->nfound ? e->found[i] : strstr(e->matches[i], ": ");
        if (text == NULL)
            continue;
        if (!e->nfound)
            text += 2;
        while (*text == ' ')
            text++;
        size_t len = strlen(text);
        while (len > 0 && text[len - 1] == ' ')
            len--;
        if (len > 0 && (out[*n] = strndup(text, len)) != NULL)
            (*n)++;
    }
    return out;
}

void admin_quarantine_view(struct request *r, struct page *p)
{
    if (!admin_allowed(r, p, NEED_QUARANTINE))
        return;
    const char *key = request_arg(r, "key");
    char err[512] = "";
    struct quarantine_entry *e = NULL;
    int found = key && strlen(key) < 600
                    ? quarantine_entry_get(r->w->store, key, &e, err, sizeof(err))
                    : 0;
    if (found <= 0) {
        if (found < 0)
            log_error("quarantine entry: %s", err);
        error_page(
            r, p, found < 0 ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_NOT_FOUND,
            L(r, "No such message", "該当するメールはありません"),
            L(r, "The quarantine has no such entry (deleted, or a wrong link).",
              "隔離メールにその記録はありません（削除済みか、リンクの誤りです）。"));
        return;
    }
    html_begin(r, p, L(r, "Quarantined message", "隔離メール"));
    html_printf(
        p, "<dl class=\"facts\"><dt>%s</dt><dd id=\"subject\">%s</dd><dt>%s</dt><dd>",
        L(r, "Subject", "件名"), e->subject, L(r, "Stored", "保存日時"));
    html_time(p, e->time);
    html_printf(p, "</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd><ul>",
                L(r, "Queue ID", "キューID"), e->queue_id, L(r, "From", "差出人"),
                e->sender, L(r, "Recipients", "宛先"));
    for (size_t i = 0; i < e->nrecipients; i++) {
        html_printf(p, "<li>%s", e->recipients[i]);
        if (!address_is_internal(e->recipients[i],
                                 (const char *const *)r->w->cfg->internal_domains))
            html_printf(p, " <span class=\"external\">%s</span>",
                        L(r, "(external)", "（社外）"));
        html_printf(p, "</li>");
    }
    html_printf(p, "</ul></dd><dt>%s</dt><dd id=\"rules\">", L(r, "Rules", "ルール"));
    for (size_t i = 0; i < e->nrules; i++)
        html_printf(p, "%r%s", i ? ", " : "", e->rules[i]);
    html_printf(p, "</dd><dt>%s</dt><dd><ul id=\"matches\">",
                L(r, "Matched", "一致箇所"));
    size_t nsnippets = 0;
    char **snippets = match_snippets(e, &nsnippets);
    for (size_t i = 0; i < e->nmatches; i++)
        html_printf(p, "<li>%s</li>", e->matches[i]);
    html_printf(p, "</ul></dd>");
    html_printf(
        p, "<dt>%s</dt><dd id=\"original\">%s</dd>", L(r, "The original", "元のメール"),
        e->withheld ? L(r, "kept back from its recipients", "宛先へは送られていません")
                    : L(r, "went to its recipients (or was held or refused)",
                        "宛先へ送られました（または保留・拒否）"));
    if (e->delivered != 0) {
        html_printf(p, "<dt>%s</dt><dd id=\"delivered\">", L(r, "Delivered", "配送済み"));
        html_time(p, e->delivered);
        html_printf(p, " (%s %s)</dd>", L(r, "asked by", "依頼者"), e->delivered_by);
    } else if (e->delivery_asked != 0) {
        html_printf(p, "<dt>%s</dt><dd id=\"delivery-asked\">%s (",
                    L(r, "Delivery", "配送"),
                    L(r, "asked; holdd is sending it", "依頼済み・送信処理中"));
        html_time(p, e->delivery_asked);
        html_printf(p, ")</dd>");
        /* Until holdd has sent it: a minute of looking again. */
        if (time(NULL) - e->delivery_asked < 60)
            p->refresh = 2;
    }
    html_printf(p, "</dl>");

    /* The copy itself, read as text through the same view the rules use:
     * decoded, converted, HTML reduced to text - never rendered. */
    int fd = quarantine_open_copy(r->w->cfg->quarantine_dir, e, err, sizeof(err));
    struct spool *sp =
        fd >= 0 ? spool_new(r->w->cfg->message_memory_limit, r->w->cfg->temp_dir) : NULL;
    struct view *v = NULL;
    if (sp != NULL) {
        char chunk[65536];
        ssize_t got;
        int rc = 0;
        while (rc == 0 && (got = read(fd, chunk, sizeof(chunk))) > 0)
            rc = spool_write(sp, chunk, (size_t)got, err, sizeof(err));
        struct view_limits limits = view_limits_from(r->w->cfg);
        if (rc == 0)
            v = view_build(sp, &limits, err, sizeof(err));
    }
    if (fd >= 0)
        close(fd);
    if (v == NULL) {
        log_error("quarantine %s: %s", e->key, err);
        html_printf(p, "<p class=\"notice bad\" id=\"unreadable\">%s</p>",
                    L(r, "The stored copy could not be read.",
                      "保存されたメールを読み取れませんでした。"));
    } else {
        html_printf(p, "<h2>%s</h2><table id=\"headers\">", L(r, "Headers", "ヘッダー"));
        for (size_t i = 0; i < view_text_count(v); i++) {
            const struct view_text *t = view_text_at(v, i);
            if (t->field != VIEW_HEADER || t->attachment >= 0 ||
                strncasecmp(t->name ? t->name : "", "X-Sendwatch-", 12) == 0)
                continue;
            html_printf(p, "<tr><th>%s</th><td>", t->name ? t->name : "");
            marked_text(p, t->text, t->len, snippets, nsnippets);
            html_printf(p, "</td></tr>");
        }
        html_printf(p, "</table><h2>%s</h2>", L(r, "Text", "本文"));
        for (size_t i = 0; i < view_text_count(v); i++) {
            const struct view_text *t = view_text_at(v, i);
            if (t->field != VIEW_BODY)
                continue;
            html_printf(p, "<pre class=\"text\">");
            marked_text(p, t->text, t->len, snippets, nsnippets);
            html_printf(p, "</pre>");
        }
        html_printf(
            p,
            "<h2>%s</h2><table id=\"attachments\"><thead><tr><th>%s</th><th>%s</th>"
            "<th>%s</th></tr></thead><tbody>",
            L(r, "Attachments", "添付ファイル"), L(r, "Name", "名前"),
            L(r, "Type", "種類"), L(r, "Size", "サイズ"));
        for (size_t i = 0; i < view_attachment_count(v); i++) {
            const struct view_attachment *a = view_attachment_at(v, i);
            html_printf(p, "<tr><td>%r%s%r</td><td>%s</td><td>%lld</td></tr>",
                        a->depth ? "&#8627; " : "", a->name[0] ? a->name : "-",
                        a->encrypted ? " &#128274;" : "", a->content_type,
                        (long long)a->size);
        }
        html_printf(p, "</tbody></table>");
        view_free(v);
    }
    spool_free(sp);
    if (r->session.role == ADMIN_ROLE_ADMIN && e->withheld && e->delivered == 0 &&
        e->delivery_asked == 0 && e->nrecipients <= 64) {
        html_printf(p, "<form method=\"post\" action=\"/admin/quarantine/deliver\" "
                       "class=\"inline\">");
        html_csrf(r, p, NULL);
        html_printf(p,
                    "<input type=\"hidden\" name=\"key\" value=\"%s\"><button "
                    "class=\"release\" id=\"deliver\">%s</button></form>",
                    e->key,
                    L(r,
                      "Deliver to its original recipients as stored (not inspected, "
                      "encrypted or held again)",
                      "保存されたまま元の宛先へ配送（再検査・暗号化・保留なし）"));
    }
    if (r->session.role == ADMIN_ROLE_ADMIN) {
        html_printf(p, "<form method=\"post\" action=\"/admin/quarantine/delete\">");
        html_csrf(r, p, NULL);
        html_printf(
            p,
            "<input type=\"hidden\" name=\"key\" value=\"%s\"><button class=\"delete\" "
            "id=\"delete\">%s</button></form>",
            e->key, L(r, "Delete this copy", "この保存メールを削除"));
    }
    html_end(r, p);
    for (size_t i = 0; i < nsnippets; i++)
        free(snippets[i]);
    free(snippets);
    quarantine_entry_free(e);
}

struct deliver_ask {
    const char *key, *by;
    int outcome;
    struct audit_entry *e;
};

/* Asks holdd, once, to send the copy on: the entry's mark and the job together. */
static int deliver_ask_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    struct deliver_ask *d = ctx;
    time_t now = time(NULL);
    d->outcome = quarantine_entry_ask_delivery(t, d->key, now, d->by, err, errlen);
    if (d->outcome < 0)
        return -1;
    d->e->result = d->outcome == 0   ? "ok"
                   : d->outcome == 1 ? "refused: asked or delivered already"
                   : d->outcome == 3 ? "refused: its original went to its recipients"
                                     : "refused: no such entry";
    if (d->outcome != 0)
        return 0;
    struct web_job j = {.kind = WEB_JOB_DELIVER, .created = now};
    snprintf(j.entry, sizeof(j.entry), "%s", d->key);
    snprintf(j.by, sizeof(j.by), "%s", d->by);
    return web_job_add(t, &j, now, err, errlen);
}

/* POST: the copy goes on to its original recipients, without a second inspection. */
void admin_quarantine_deliver(struct request *r, struct page *p)
{
    if (!admin_form(r, p, NEED_ADMIN))
        return;
    const char *key = request_field(r, "key");
    if (key == NULL || strlen(key) >= sizeof(((struct web_job *)0)->entry)) {
        error_page(r, p, MHD_HTTP_BAD_REQUEST,
                   L(r, "No such message", "該当するメールはありません"),
                   L(r, "Choose a stored copy.", "保存メールを選んでください。"));
        return;
    }
    char who[300], err[512];
    snprintf(who, sizeof(who), "admin:%s", r->session.name);
    struct audit_entry a = {
        .who = who, .action = "quarantine-deliver-asked", .target = key};
    struct deliver_ask d = {key, who, -1, &a};
    if (web_change(r, deliver_ask_fn, &d, &a, err, sizeof(err)) != 0) {
        log_error("quarantine deliver %s: %s", key, err);
        error_page(r, p, MHD_HTTP_SERVICE_UNAVAILABLE,
                   L(r, "Not asked", "依頼できませんでした"),
                   L(r, "The delivery could not be recorded; nothing was done.",
                     "配送の依頼を記録できませんでした。何も実行していません。"));
        return;
    }
    if (d.outcome == 3) {
        error_page(
            r, p, MHD_HTTP_CONFLICT, L(r, "Not kept back", "保留されていません"),
            L(r,
              "This message went to its recipients when it was sent; its copy is "
              "not sent again.",
              "このメールは送信時に宛先へ届いています。保存メールを再送はしません。"));
        return;
    }
    if (d.outcome != 0) {
        error_page(
            r, p, d.outcome == 1 ? MHD_HTTP_CONFLICT : MHD_HTTP_NOT_FOUND,
            d.outcome == 1 ? L(r, "Already asked", "依頼済みです")
                           : L(r, "No such message", "該当するメールはありません"),
            d.outcome == 1
                ? L(r,
                    "This copy was delivered or asked for already; nothing was "
                    "done again.",
                    "この保存メールは配送済みか依頼済みです。重ねて実行はしていません。")
                : L(r, "The quarantine has no such entry.",
                    "隔離メールにその記録はありません。"));
        return;
    }
    hold_wake(r->w->cfg->holdd_socket);
    char location[1700], enc[1600];
    snprintf(location, sizeof(location), "/admin/quarantine/view?key=%s",
             admin_url_encode(key, enc, sizeof(enc)));
    page_redirect(p, location);
}

static int entry_del_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    return quarantine_entry_del(t, ctx, err, errlen);
}

void admin_quarantine_delete(struct request *r, struct page *p)
{
    if (!admin_form(r, p, NEED_ADMIN))
        return;
    const char *key = request_field(r, "key");
    char err[512];
    struct quarantine_entry *e = NULL;
    int found = key && strlen(key) < 600
                    ? quarantine_entry_get(r->w->store, key, &e, err, sizeof(err))
                    : 0;
    if (found <= 0) {
        error_page(r, p, MHD_HTTP_NOT_FOUND,
                   L(r, "No such message", "該当するメールはありません"),
                   L(r, "The quarantine has no such entry; nothing was deleted.",
                     "隔離メールにその記録はありません。何も削除していません。"));
        return;
    }
    char who[300];
    snprintf(who, sizeof(who), "admin:%s", r->session.name);
    struct audit_entry a = {
        .who = who, .action = "quarantine-delete", .target = e->key, .result = "ok"};
    int rc = web_change(r, entry_del_fn, (void *)e->key, &a, err, sizeof(err));
    /* The index entry goes first: a crash in between leaves a file
     * without an entry (harmless, mutt still reads it), never an entry
     * that names no file. */
    if (rc == 0 &&
        quarantine_remove_copy(r->w->cfg->quarantine_dir, e, err, sizeof(err)) != 0)
        log_warning("quarantine %s: entry deleted, the file stays: %s", e->key, err);
    if (rc != 0) {
        log_error("quarantine delete %s: %s", e->key, err);
        error_page(
            r, p, MHD_HTTP_SERVICE_UNAVAILABLE,
            L(r, "Not deleted", "削除できませんでした"),
            L(r, "The entry could not be deleted.", "記録を削除できませんでした。"));
    } else {
        page_redirect(p, "/admin/quarantine");
    }
    quarantine_entry_free(e);
}
