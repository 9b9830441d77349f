/*
 * link_pages - the "send now" and "delete" links of hold notices:
 * /n/NODE/hold/TOKEN.
 *
 * A GET only shows: the message (subject, recipients with the external
 * ones marked, attachments) and the time left, with two buttons that
 * POST - link scanners (Safe Links, URL Defense) fetch every link in a
 * mail, and must not release or delete anything.  A POST asks holdd once
 * (hold_request_once): a replay, a second click, or the other link
 * afterwards finds the first request and says so.  Then the page
 * redirects to its GET, which shows the outcome as holdd records it.
 * Either link of a notice may ask for either action: both reached the
 * sender in the same mail; the link's own action is the first button.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "audit.h"
#include "hold.h"
#include "html.h"
#include "log.h"
#include "timefmt.h"

/* The token's check, as a page when it fails; true when T may be used. */
static bool check_link(struct request *r, struct page *p, const char *node,
                       const char *text, struct token *t)
{
    const char *here = r->w->cfg->node_name;
    enum token_status s = token_verify(&r->w->key, text, time(NULL), t);
    if (s == TOKEN_MALFORMED || (s == TOKEN_OK && token_action_is_user(t->action))) {
        error_page(r, p, MHD_HTTP_BAD_REQUEST,
                   L(r, "Not a valid link", "無効なリンクです"),
                   L(r,
                     "This address is not a sendwatch link. Check that it was copied "
                     "whole from the notice.",
                     "sendwatch "
                     "のリンクではありません。通知メールから最後までコピーされているか確"
                     "認してください。"));
        return false;
    }
    if (s == TOKEN_BAD_SIGNATURE) {
        log_warning("link from %s refused: %s", r->from, token_status_text(s));
        error_page(r, p, MHD_HTTP_FORBIDDEN,
                   L(r, "Link refused", "リンクを受け付けられません"),
                   L(r,
                     "This link has been changed or was not made by this server. Nothing "
                     "was done.",
                     "このリンクは改変されているか、このサーバーが作成したものではありま"
                     "せん。何も実行していません。"));
        return false;
    }
    if (s == TOKEN_EXPIRED) {
        error_page(r, p, MHD_HTTP_GONE, L(r, "Link expired", "リンクの期限切れ"),
                   L(r,
                     "This link has expired: its mail was due to leave at the end of its "
                     "hold, and the link with it. Nothing was done.",
                     "このリンクは有効期限が切れています（保留時間の終了とともに失効しま"
                     "す）。何も実行していません。"));
        return false;
    }
    if (strcmp(t->node, here) != 0 || strcmp(node, t->node) != 0) {
        p->status = MHD_HTTP_NOT_FOUND;
        html_begin(r, p, L(r, "Another server's link", "別のサーバーのリンク"));
        html_printf(p, "<p class=\"notice bad\">%s <b>%s</b>%s</p>",
                    L(r, "This link belongs to the server", "このリンクはサーバー"),
                    t->node,
                    L(r, ", not this one. Nothing was done.",
                      " のものです。このサーバーでは何も実行していません。"));
        html_end(r, p);
        return false;
    }
    return true;
}

/* What became of the message, as a sentence for its page. */
static void outcome_notice(struct request *r, struct page *p, const struct hold_record *h)
{
    const char *cls = "good", *what;
    switch (h->state) {
    case HOLD_RELEASED:
        what = L(r, "This mail has been sent", "このメールは送信済みです");
        break;
    case HOLD_DELETED:
        what = L(r, "This mail has been deleted; it was not sent",
                 "このメールは削除されました（送信されていません）");
        cls = "bad";
        break;
    case HOLD_GONE:
        what = L(r, "This mail is no longer in the mail queue",
                 "このメールはもうメールキューにありません");
        cls = "bad";
        break;
    case HOLD_NEVER_QUEUED:
        what = L(r, "This mail never reached the mail queue",
                 "このメールはメールキューに入りませんでした");
        cls = "bad";
        break;
    default:
        return;
    }
    html_printf(p, "<p class=\"notice %r\" id=\"outcome\" data-state=\"%s\">%s (", cls,
                hold_state_name(h->state), what);
    html_time(p, h->outcome_time);
    html_printf(p, ").</p>");
}

/* The facts of a held message: subject, sender, recipients, attachments, deadline. */
static void message_facts(struct request *r, struct page *p, const struct hold_record *h)
{
    html_printf(
        p,
        "<dl class=\"facts\"><dt>%s</dt><dd id=\"subject\">%s</dd><dt>%s</dt><dd>%s</dd>",
        L(r, "Subject", "件名"), h->subject, L(r, "From", "差出人"), h->sender);
    html_printf(p, "<dt>%s</dt><dd><ul id=\"recipients\">", L(r, "Recipients", "宛先"));
    for (size_t i = 0; i < h->nrecipients; i++) {
        bool external = !address_is_internal(
            h->recipients[i], (const char *const *)r->w->cfg->internal_domains);
        html_printf(p, "<li>%s", h->recipients[i]);
        if (external)
            html_printf(p, " <span class=\"external\">%s</span>",
                        L(r, "(external)", "（社外）"));
        html_printf(p, "</li>");
    }
    html_printf(p, "</ul></dd><dt>%s</dt><dd><ul id=\"attachments\">",
                L(r, "Attachments", "添付ファイル"));
    for (size_t i = 0; i < h->nattachments; i++)
        html_printf(p, "<li>%s</li>", h->attachments[i]);
    if (h->nattachments == 0)
        html_printf(p, "<li>%s</li>", L(r, "none", "なし"));
    html_printf(p, "</ul></dd><dt>%s</dt><dd>", L(r, "Sends at", "送信予定"));
    html_time(p, h->deadline);
    html_printf(p, "</dd></dl>");
}

static void show(struct request *r, struct page *p, const struct token *t,
                 const char *text, const struct hold_record *h)
{
    html_begin(r, p, L(r, "Held mail", "保留中のメール"));
    if (h->state != HOLD_HELD) {
        outcome_notice(r, p, h);
    } else if (h->requested != NULL) {
        bool release = strcmp(h->requested, "release") == 0;
        html_printf(p, "<p class=\"notice\" id=\"outcome\" data-state=\"requested\">%s (",
                    release ? L(r, "Sending was asked for and is being carried out",
                                "送信を受け付けました。処理中です")
                            : L(r, "Deleting was asked for and is being carried out",
                                "削除を受け付けました。処理中です"));
        html_time(p, h->requested_time);
        html_printf(p, ").</p>");
        /* Until holdd has recorded the outcome - for five minutes: a page
         * left open while holdd is down does not ask for ever. */
        if (time(NULL) - h->requested_time < 300)
            p->refresh = 2;
    } else {
        time_t left = h->deadline - time(NULL);
        html_printf(p, "<p class=\"notice\" id=\"left\">%s %lld %s</p>",
                    L(r, "It will be sent automatically in about", "自動送信まで約"),
                    (long long)(left > 0 ? (left + 59) / 60 : 0),
                    L(r, "minute(s) unless you delete it.",
                      "分です。宛先や添付に誤りがあれば削除してください。"));
    }
    message_facts(r, p, h);
    if (h->state == HOLD_HELD && h->requested == NULL) {
        bool release_first = strcmp(t->action, "release") == 0;
        html_printf(p, "<form method=\"post\" id=\"act\">");
        html_csrf(r, p, text);
        const char *send = L(r, "Send now", "今すぐ送信"),
                   *del = L(r, "Delete (do not send)", "削除（送信しない）");
        if (release_first)
            html_printf(
                p,
                "<button name=\"action\" value=\"release\" class=\"release\" "
                "id=\"release\">%s</button><button name=\"action\" value=\"delete\" "
                "class=\"delete\" id=\"delete\">%s</button>",
                send, del);
        else
            html_printf(
                p,
                "<button name=\"action\" value=\"delete\" class=\"delete\" "
                "id=\"delete\">%s</button><button name=\"action\" value=\"release\" "
                "class=\"release\" id=\"release\">%s</button>",
                del, send);
        html_printf(p, "</form>");
    }
    html_end(r, p);
}

/* POST: ask holdd, once, then show the message's page again (its GET). */
static void act(struct request *r, struct page *p, const struct token *t,
                const char *text)
{
    const char *action = request_field(r, "action");
    enum hold_action a;
    if (!csrf_valid(r, text)) {
        error_page(r, p, MHD_HTTP_FORBIDDEN,
                   L(r, "Form refused", "フォームを受け付けられません"),
                   L(r, "This form did not come from this page. Nothing was done.",
                     "このフォームはこのページから送られたものではありません。何も実行し"
                     "ていません。"));
        return;
    }
    if (action == NULL || !hold_action_parse(action, &a) || a == HOLD_RESCHEDULE) {
        error_page(r, p, MHD_HTTP_BAD_REQUEST, L(r, "Unknown action", "不明な操作"),
                   L(r, "Choose send now or delete.",
                     "「今すぐ送信」か「削除」を選んでください。"));
        return;
    }
    char err[512], who[300];
    struct hold_record h;
    /* Who asked is whoever holds the link: the audit line names the sender
     * it was mailed to, as the record says. */
    struct hold_record peek;
    int known = hold_get_stored(r->w->store, t->queue_id, &peek, err, sizeof(err));
    snprintf(who, sizeof(who), "link:%s", known == 1 ? peek.sender : "");
    if (known == 1)
        hold_record_clear(&peek);
    int rc = web_request_once(r, a, t->queue_id, "web:link", who, &h, err, sizeof(err));
    const char *result = web_once_result(rc);
    if (rc < 0) {
        log_error("%s: %s from %s by link: %s", t->queue_id, action, r->from, err);
        hold_record_clear(&h);
        error_page(r, p, MHD_HTTP_SERVICE_UNAVAILABLE,
                   L(r, "Not done, try again", "実行できませんでした"),
                   L(r,
                     "The request could not be recorded. Nothing was done; try again in "
                     "a minute.",
                     "要求を記録できませんでした。何も実行していません。少し待ってからや"
                     "り直してください。"));
        return;
    }
    log_info("%s: %s asked from %s by link (sender %s): %s", t->queue_id, action, r->from,
             h.sender ? h.sender : "?", result);
    if (rc == HOLD_ONCE_QUEUED) {
        hold_record_clear(&h);
        page_redirect(p, r->url);
        return;
    }
    /* A replay: nothing was done, and the page says so before the state. */
    p->status = MHD_HTTP_CONFLICT;
    html_begin(r, p, L(r, "Already done", "処理済みです"));
    html_printf(
        p, "<p class=\"notice bad\" id=\"replayed\">%s</p>",
        rc == HOLD_ONCE_ASKED
            ? L(r, "This mail was already asked for; nothing was done again.",
                "このメールへの操作はすでに受け付けています。重ねて実行はしていません。")
            : L(r, "This mail is not held any more; nothing was done.",
                "このメールはもう保留されていません。何も実行していません。"));
    if (rc != HOLD_ONCE_UNKNOWN) {
        outcome_notice(r, p, &h);
        message_facts(r, p, &h);
    }
    html_end(r, p);
    hold_record_clear(&h);
}

void link_page(struct request *r, struct page *p, const char *node, const char *text)
{
    struct token t;
    if (!check_link(r, p, node, text, &t))
        return;
    if (r->post) {
        act(r, p, &t, text);
        return;
    }
    char err[512];
    struct hold_record h;
    int found = hold_get_stored(r->w->store, t.queue_id, &h, err, sizeof(err));
    if (found < 0) {
        log_error("%s: %s", t.queue_id, err);
        error_page(
            r, p, MHD_HTTP_SERVICE_UNAVAILABLE,
            L(r, "Cannot look it up now", "現在確認できません"),
            L(r, "The held mail could not be read. Try again in a minute.",
              "保留メールを読み取れませんでした。少し待ってからやり直してください。"));
        return;
    }
    if (found == 0) {
        error_page(r, p, MHD_HTTP_NOT_FOUND,
                   L(r, "No such held mail", "該当する保留メールはありません"),
                   L(r, "This server holds no record of the mail this link is for.",
                     "このリンクのメールの記録はこのサーバーにありません。"));
        return;
    }
    show(r, p, &t, text, &h);
    hold_record_clear(&h);
}
