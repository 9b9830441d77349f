/* html - see html.h. */
#include "html.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

static void append(struct page *p, const char *s, size_t n)
{
    if (!p->failed && buf_append(&p->body, s, n) != 0)
        p->failed = true;
}

/* Length of the valid UTF-8 sequence at S (N bytes left), or 0 when invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xf0 && s[0] <= 0xf4   ? 4
                 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
                 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
                                                : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* overlong 3- and 4-byte forms, surrogates, beyond U+10FFFF */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return len;
}

void html_escape(struct page *p, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t start = 0, i = 0;
    while (i < n) {
        const char *rep = NULL;
        size_t len = 1;
        switch (u[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\r':
            /* CRLF is a line end; a CR alone starts a line too. */
            rep = i + 1 < n && u[i + 1] == '\n' ? "" : "\n";
            break;
        default:
            if ((u[i] < 0x20 && u[i] != '\t' && u[i] != '\n') || u[i] == 0x7f) {
                rep = "\xef\xbf\xbd";
            } else if (u[i] >= 0x80) {
                len = utf8_sequence(u + i, n - i);
                if (len == 0) {
                    rep = "\xef\xbf\xbd";
                    len = 1;
                }
            }
        }
        if (rep != NULL) {
            append(p, s + start, i - start);
            append(p, rep, strlen(rep));
            start = i + len;
        }
        i += len;
    }
    append(p, s + start, n - start);
}

void html_printf(struct page *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *run = fmt;
    for (const char *c = fmt; *c; c++) {
        if (*c != '%')
            continue;
        append(p, run, (size_t)(c - run));
        char num[32];
        const char *s;
        c++;
        if (*c == 's') {
            s = va_arg(ap, const char *);
            html_escape(p, s ? s : "", s ? strlen(s) : 0);
        } else if (*c == 'r') {
            s = va_arg(ap, const char *);
            append(p, s ? s : "", s ? strlen(s) : 0);
        } else if (*c == 'd') {
            snprintf(num, sizeof(num), "%d", va_arg(ap, int));
            append(p, num, strlen(num));
        } else if (*c == 'u') {
            snprintf(num, sizeof(num), "%u", va_arg(ap, unsigned));
            append(p, num, strlen(num));
        } else if (c[0] == 'l' && c[1] == 'd') {
            c++;
            snprintf(num, sizeof(num), "%ld", va_arg(ap, long));
            append(p, num, strlen(num));
        } else if (c[0] == 'l' && c[1] == 'l' && c[2] == 'd') {
            c += 2;
            snprintf(num, sizeof(num), "%lld", va_arg(ap, long long));
            append(p, num, strlen(num));
        } else if (c[0] == 'z' && c[1] == 'u') {
            c++;
            snprintf(num, sizeof(num), "%zu", va_arg(ap, size_t));
            append(p, num, strlen(num));
        } else if (*c == '%') {
            append(p, "%", 1);
        } else {
            /* A conversion we do not know is a bug of ours: say so loudly. */
            append(p, "%?", 2);
            if (*c == '\0')
                break;
        }
        run = c + 1;
    }
    append(p, run, strlen(run));
    va_end(ap);
}

void html_time(struct page *p, time_t t)
{
    char buf[TIMEFMT_MAX];
    html_printf(p, "<time>%s</time>", timefmt_local(t, buf, sizeof(buf)));
}

void html_csrf(struct request *r, struct page *p, const char *link)
{
    char token[64];
    if (link != NULL) {
        char binding[TOKEN_MAX + 4];
        snprintf(binding, sizeof(binding), "l:%s", link);
        csrf_token(r->w, binding, token, sizeof(token));
    } else {
        csrf_for_request(r, token, sizeof(token));
    }
    html_printf(p, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", token);
}

/* The navigation of an admin's role: only the pages the role may open. */
static void admin_nav(struct request *r, struct page *p)
{
    enum admin_role role = r->session.role;
    html_printf(p, "<nav>");
    if (role == ADMIN_ROLE_ADMIN || role == ADMIN_ROLE_OPERATOR)
        html_printf(p, "<a href=\"/admin/held\">%s</a>", L(r, "Held mail", "保留メール"));
    if (role == ADMIN_ROLE_ADMIN || role == ADMIN_ROLE_AUDITOR)
        html_printf(p, "<a href=\"/admin/quarantine\">%s</a>",
                    L(r, "Quarantine", "隔離"));
    if (role == ADMIN_ROLE_ADMIN)
        html_printf(p,
                    "<a href=\"/admin/audit\">%s</a><a href=\"/admin/rules\">%s</a>"
                    "<a href=\"/admin/settings\">%s</a>",
                    L(r, "Audit log", "監査ログ"), L(r, "Rules", "ルール"),
                    L(r, "Settings", "設定"));
    html_printf(p, "<form method=\"post\" action=\"/admin/logout\" class=\"inline\">");
    html_csrf(r, p, NULL);
    html_printf(p, "<span class=\"who\">%s (%s)</span><button>%s</button></form></nav>",
                r->session.name, admin_role_name(role), L(r, "Log out", "ログアウト"));
}

static void user_nav(struct request *r, struct page *p)
{
    html_printf(p, "<nav><a href=\"/me\">%s</a><a href=\"/me/settings\">%s</a>",
                L(r, "My mail", "自分のメール"), L(r, "My settings", "個人設定"));
    html_printf(p, "<form method=\"post\" action=\"/me/logout\" class=\"inline\">");
    html_csrf(r, p, NULL);
    html_printf(p, "<span class=\"who\">%s</span><button>%s</button></form></nav>",
                r->session.name, L(r, "Sign out", "サインアウト"));
}

void html_begin(struct request *r, struct page *p, const char *title)
{
    /* The language switch is a query on the page itself ("?lang=ja"): a
     * link built from the request's path could lead off-site ("//x"). */
    html_printf(p,
                "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width\">"
                "<title>%s - sendwatch</title>"
                "<link rel=\"stylesheet\" href=\"/static/sendwatch.css\"></head><body>"
                "<header><span class=\"brand\">sendwatch</span>",
                r->lang, title);
    if (r->session.kind == SESSION_ADMIN)
        admin_nav(r, p);
    else if (r->session.kind == SESSION_USER)
        user_nav(r, p);
    html_printf(p,
                "<span class=\"lang\"><a href=\"?lang=ja\" lang=\"ja\">日本語</a> | "
                "<a href=\"?lang=en\" lang=\"en\">English</a></span></header><main>"
                "<h1>%s</h1>",
                title);
}

void html_end(struct request *r, struct page *p)
{
    (void)r;
    html_printf(p, "</main></body></html>\n");
}

const char html_stylesheet[] =
    "body{font-family:'Noto Sans CJK JP','Noto Sans JP',sans-serif;margin:0;"
    "color:#1d2430;background:#f6f7f9}\n"
    "header{background:#1d3557;color:#fff;padding:.6em 1em;display:flex;gap:1em;"
    "align-items:center;flex-wrap:wrap}\n"
    "header a{color:#fff}.brand{font-weight:bold}nav{display:flex;gap:1em;flex:1;"
    "align-items:center;flex-wrap:wrap}\n"
    ".lang{margin-left:auto}.who{opacity:.85;margin-right:.5em}\n"
    "main{max-width:72em;margin:1em auto;padding:0 1em}\n"
    "table{border-collapse:collapse;width:100%;background:#fff}\n"
    "th,td{border:1px solid #d5d9e0;padding:.35em .5em;text-align:left;"
    "vertical-align:top;overflow-wrap:anywhere}\n"
    "th{background:#eef1f5}dl.facts{display:grid;grid-template-columns:max-content 1fr;"
    "gap:.3em 1em;background:#fff;padding:1em;border:1px solid #d5d9e0}\n"
    "dl.facts dt{font-weight:bold}dl.facts dd{margin:0;overflow-wrap:anywhere}\n"
    ".external{color:#b00020;font-weight:bold}.notice{padding:.8em 1em;"
    "border-left:4px solid #1d3557;background:#fff;margin:1em 0}\n"
    ".notice.bad{border-color:#b00020}.notice.good{border-color:#2e7d32}\n"
    "button{font-size:1em;padding:.4em 1em;margin:.2em;cursor:pointer}\n"
    "button.release{background:#2e7d32;color:#fff;border:0}"
    "button.delete{background:#b00020;color:#fff;border:0}\n"
    "form.inline{display:inline}form.filters{margin:.5em 0;display:flex;gap:.5em;"
    "flex-wrap:wrap;align-items:end}\n"
    "pre.text{white-space:pre-wrap;background:#fff;border:1px solid #d5d9e0;"
    "padding:1em;overflow-wrap:anywhere}\n"
    "mark{background:#ffe082}.pages{margin:1em 0;display:flex;gap:1em}\n"
    "label{display:block;margin:.4em 0}input[type=text],input[type=password],"
    "input[type=email],input[type=number],select{font-size:1em;padding:.3em}\n";
