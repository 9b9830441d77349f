/* notice - see notice.h. */
#include "notice.h"
#include "timefmt.h"

#include <gmime/gmime.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "errbuf.h"
#include "files.h"

/* Copies S with control characters (CR, LF, ESC, DEL...) as spaces. */
static char *flat(const char *s)
{
    char *out = strdup(s ? s : "");
    for (char *c = out; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    return out;
}

/* Frees S, a text that held a password, wiped first. */
static void password_free_text(char *s)
{
    if (s != NULL)
        OPENSSL_cleanse(s, strlen(s));
    free(s);
}

/* The languages a template exists for; config's "language" is one of them. */
static const char *const notice_languages[] = {"ja", "en"};
#define NOTICE_NLANG (sizeof(notice_languages) / sizeof(*notice_languages))

/* The header lines a template may have, and the placeholders each kind may use. */
static const char *const template_headers[] = {"Subject", "External-Mark",
                                               "No-Attachments", "Own-Password"};
static const char *const hold_placeholders[] = {
    "subject",  "sender",       "recipients", "attachments", "deadline", "size",
    "queue_id", "send_now_url", "delete_url", "center_url",  NULL};
static const char *const password_placeholders[] = {
    "subject",  "sender", "recipients", "zip_name", "files",
    "password", "hint",   "sent",       "queue_id", NULL};

static const char *const signin_placeholders[] = {"address", "signin_url", "expires",
                                                  NULL};

/* The kinds of notice: the file names' start, the placeholders they may use. */
static const struct {
    const char *file;
    const char *const *placeholders;
} notice_kinds[] = {
    {"hold-notice", hold_placeholders},
    {"password-notice", password_placeholders},
    {"signin-notice", signin_placeholders},
};
#define NOTICE_NKINDS (sizeof(notice_kinds) / sizeof(*notice_kinds))

struct notice_template {
    char *head; /* the header lines */
    char *body;
};

struct notice_templates {
    struct notice_template kind[NOTICE_NKINDS][NOTICE_NLANG];
};

/* Checks that every {word} in TEXT (from line LINE of PATH on) is one of
 * KNOWN (NULL-terminated).  true, or false with ERR. */
static bool check_placeholders(const char *path, const char *text, unsigned line,
                               const char *const *known_list, char *err, size_t errlen)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            line++;
        if (*p != '{')
            continue;
        size_t n = 0;
        while ((p[1 + n] >= 'a' && p[1 + n] <= 'z') || p[1 + n] == '_')
            n++;
        if (n == 0 || p[1 + n] != '}')
            continue; /* not a placeholder: a brace as text */
        bool known = false;
        for (size_t i = 0; known_list[i] != NULL && !known; i++)
            known = strlen(known_list[i]) == n && strncmp(p + 1, known_list[i], n) == 0;
        if (!known) {
            char list[256] = "";
            for (size_t i = 0; known_list[i] != NULL; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s{%s}",
                         i ? " " : "", known_list[i]);
            errbuf_set(err, errlen, "%s:%u: unknown placeholder {%.*s} (known: %s)", path,
                       line, (int)n, p + 1, list);
            return false;
        }
    }
    return true;
}

/* Parses and checks the template TEXT read from PATH into T. */
static bool parse_template(const char *path, const char *text, size_t len,
                           const char *const *placeholders, struct notice_template *t,
                           char *err, size_t errlen)
{
    if (!g_utf8_validate(text, (gssize)len, NULL) || strlen(text) != len) {
        errbuf_set(err, errlen, "%s: not UTF-8 text", path);
        return false;
    }
    const char *sep = strstr(text, "\n\n");
    if (sep == NULL) {
        errbuf_set(err, errlen, "%s: no blank line after its header lines", path);
        return false;
    }
    unsigned line = 1;
    for (const char *l = text; l < sep + 1; line++) {
        const char *end = strchr(l, '\n');
        const char *colon = memchr(l, ':', (size_t)(end - l));
        bool known = false;
        for (size_t i = 0;
             colon && i < sizeof(template_headers) / sizeof(*template_headers); i++)
            known =
                known || (strlen(template_headers[i]) == (size_t)(colon - l) &&
                          strncasecmp(l, template_headers[i], (size_t)(colon - l)) == 0);
        if (!known) {
            errbuf_set(
                err, errlen,
                "%s:%u: expected a header line (Subject:, External-Mark:, "
                "No-Attachments:, Own-Password:) or the blank line before the body",
                path, line);
            return false;
        }
        l = end + 1;
    }
    t->head = strndup(text, (size_t)(sep - text));
    t->body = strdup(sep + 2);
    if (t->head == NULL || t->body == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return false;
    }
    return check_placeholders(path, t->head, 1, placeholders, err, errlen) &&
           check_placeholders(path, t->body, line + 1, placeholders, err, errlen);
}

struct notice_templates *notice_templates_load(struct files *fs, const char *dir,
                                               char *err, size_t errlen)
{
    struct notice_templates *ts = calloc(1, sizeof(*ts));
    if (ts == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < NOTICE_NKINDS; k++)
        for (size_t i = 0; i < NOTICE_NLANG; i++) {
            char path[1024], why[768];
            const char *text;
            size_t len;
            snprintf(path, sizeof(path), "%s/%s.%s.txt", dir, notice_kinds[k].file,
                     notice_languages[i]);
            if (files_read(fs, path, &text, &len, why, sizeof(why)) != 0 ||
                !parse_template(path, text, len, notice_kinds[k].placeholders,
                                &ts->kind[k][i], why, sizeof(why))) {
                errbuf_set(err, errlen, "notice_template_dir: %s", why);
                notice_templates_free(ts);
                return NULL;
            }
        }
    return ts;
}

void notice_templates_free(struct notice_templates *ts)
{
    if (ts == NULL)
        return;
    for (size_t k = 0; k < NOTICE_NKINDS; k++)
        for (size_t i = 0; i < NOTICE_NLANG; i++) {
            free(ts->kind[k][i].head);
            free(ts->kind[k][i].body);
        }
    free(ts);
}

/* The value of template header NAME ("Subject") in HEAD (lines), malloc'ed, or NULL. */
static char *template_header(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = head; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vlen = len - (size_t)(v - line);
            while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
                vlen--;
            return strndup(v, vlen);
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

struct slot {
    const char *name;
    const char *value;
};

/*
 * TEXT with every {name} of SLOTS replaced; unknown braces stay as they
 * are.  Two passes, the second into a buffer of the size the first
 * measured: a value (a password) is never in a buffer that grows and
 * leaves an unwiped copy behind.  NULL when out of memory.
 */
static char *fill(const char *text, const struct slot *slots, size_t nslots)
{
    char *out = NULL;
    size_t size = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t o = 0;
        for (const char *p = text; *p;) {
            bool done = false;
            if (*p == '{')
                for (size_t i = 0; i < nslots && !done; i++) {
                    size_t n = strlen(slots[i].name);
                    if (strncmp(p + 1, slots[i].name, n) == 0 && p[1 + n] == '}') {
                        /* A value flat() could not copy (out of memory) is empty;
                         * the callers refuse a notice whose password is. */
                        const char *v = slots[i].value ? slots[i].value : "";
                        size_t vlen = strlen(v);
                        if (out != NULL)
                            memcpy(out + o, v, vlen);
                        o += vlen;
                        p += n + 2;
                        done = true;
                    }
                }
            if (!done) {
                if (out != NULL)
                    out[o] = *p;
                o++;
                p++;
            }
        }
        if (out != NULL) {
            out[o] = '\0';
            break;
        }
        size = o + 1;
        if ((out = malloc(size)) == NULL)
            return NULL;
    }
    return out;
}

void notice_init(void)
{
    g_mime_init();
}

/*
 * The notice as GMime makes it: From notice_sender, To SENDER, the
 * SUBJECT RFC 2047-encoded, BODY as UTF-8 in base64, KIND in its
 * X-Sendwatch-Notice header.  A malloc'ed string with LF line ends, or NULL.
 */
static char *build_message(const struct config *cfg, const char *sender,
                           const char *subject, const char *body, const char *kind)
{
    GMimeMessage *m = g_mime_message_new(TRUE);
    InternetAddress *from = internet_address_mailbox_new(NULL, cfg->notice_sender);
    InternetAddress *to = internet_address_mailbox_new(NULL, sender);
    internet_address_list_add(g_mime_message_get_from(m), from);
    internet_address_list_add(g_mime_message_get_to(m), to);
    g_object_unref(from);
    g_object_unref(to);
    g_mime_message_set_subject(m, subject, "UTF-8");
    GDateTime *now = g_date_time_new_now_local();
    g_mime_message_set_date(m, now);
    g_date_time_unref(now);
    gchar *msgid = g_mime_utils_generate_message_id(cfg->node_name);
    g_mime_message_set_message_id(m, msgid);
    g_free(msgid);
    /* RFC 3834: an automatic message; vacation responders stay quiet. */
    g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);
    g_mime_object_set_header(GMIME_OBJECT(m), "X-Sendwatch-Notice", kind, NULL);
    GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
    g_mime_text_part_set_charset(part, "UTF-8");
    g_mime_text_part_set_text(part, body);
    g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_BASE64);
    g_mime_message_set_mime_part(m, GMIME_OBJECT(part));
    g_object_unref(part);
    GMimeFormatOptions *opts = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(opts, GMIME_NEWLINE_FORMAT_UNIX);
    gchar *text = g_mime_object_to_string(GMIME_OBJECT(m), opts);
    g_mime_format_options_free(opts);
    g_object_unref(m);
    char *result = text ? strdup(text) : NULL;
    if (text != NULL)
        OPENSSL_cleanse(text, strlen(text)); /* a password notice's text */
    g_free(text);
    return result;
}

/*
 * The notice to TO: SUBJECT_TMPL and BODY_TMPL filled from SLOTS (N), the
 * subject made one line, built as KIND.  NULL with ERR.
 */
static char *fill_and_build(const struct config *cfg, const char *to,
                            const char *subject_tmpl, const char *body_tmpl,
                            const struct slot *slots, size_t n, const char *kind,
                            char *err, size_t errlen)
{
    char *notice_subject = fill(subject_tmpl, slots, n);
    char *body = fill(body_tmpl, slots, n);
    char *flat_subject = flat(notice_subject);
    char *result = body != NULL && notice_subject != NULL && flat_subject != NULL
                       ? build_message(cfg, to, flat_subject, body, kind)
                       : NULL;
    if (result == NULL)
        errbuf_set(err, errlen, "cannot build the notice");
    free(flat_subject);
    free(notice_subject);
    free(body);
    return result;
}

/* The template of KIND (index into notice_kinds) in LANG, or else CFG's language. */
static const struct notice_template *template_of(const struct config *cfg,
                                                 const struct notice_templates *ts,
                                                 size_t kind, const char *lang)
{
    for (size_t i = 0; lang != NULL && i < NOTICE_NLANG; i++)
        if (strcmp(notice_languages[i], lang) == 0)
            return &ts->kind[kind][i];
    for (size_t i = 0; i < NOTICE_NLANG; i++)
        if (strcmp(notice_languages[i], cfg->language) == 0)
            return &ts->kind[kind][i];
    return &ts->kind[kind][0];
}

/* "  ITEM MARK\n" per item, control characters out (MARK after those MARKED says; MARKED
 * may be NULL), into B. */
static void indented_lines(struct buf *b, const char *const *items, const int *marked,
                           size_t n, const char *mark)
{
    for (size_t i = 0; i < n; i++) {
        char *r = flat(items[i]);
        buf_append(b, "  ", 2);
        buf_append(b, r ? r : "", r ? strlen(r) : 0);
        if (marked != NULL && marked[i] && mark != NULL) {
            buf_append(b, " ", 1);
            buf_append(b, mark, strlen(mark));
        }
        buf_append(b, "\n", 1);
        free(r);
    }
}

char *notice_hold_message(const struct config *cfg, const struct notice_templates *ts,
                          const struct notice_hold *h, char *err, size_t errlen)
{
    char *result = NULL;
    if (h->sender == NULL || h->sender[0] == '\0') {
        errbuf_set(err, errlen, "no sender to notify (a bounce)");
        return NULL;
    }
    const struct notice_template *tmpl = template_of(cfg, ts, 0, h->language);
    const char *body_tmpl = tmpl->body;
    char *subject_tmpl = template_header(tmpl->head, "Subject");
    char *mark = template_header(tmpl->head, "External-Mark");
    char *none = template_header(tmpl->head, "No-Attachments");

    /* The values, each on lines of its own, control characters removed. */
    struct buf rcpts = {0}, atts = {0};
    indented_lines(&rcpts, h->recipients, h->external, h->nrecipients, mark);
    const char *no_attachment = none ? none : "-";
    if (h->nattachments > 0)
        indented_lines(&atts, h->attachments, NULL, h->nattachments, NULL);
    else
        indented_lines(&atts, &no_attachment, NULL, 1, NULL);
    char deadline[TIMEFMT_MAX], size[32];
    timefmt_local(h->deadline, deadline, sizeof(deadline));
    snprintf(size, sizeof(size), "%llu", h->size);
    char *subject = flat(h->subject), *sender = flat(h->sender);
    const struct slot slots[] = {
        {"subject", subject},
        {"sender", sender},
        {"recipients", rcpts.data ? rcpts.data : ""},
        {"attachments", atts.data ? atts.data : ""},
        {"deadline", deadline},
        {"size", size},
        {"queue_id", h->queue_id},
        {"send_now_url", h->send_now_url},
        {"delete_url", h->delete_url},
        {"center_url", h->center_url ? h->center_url : ""},
    };
    result =
        fill_and_build(cfg, sender, subject_tmpl ? subject_tmpl : "{subject}", body_tmpl,
                       slots, sizeof(slots) / sizeof(*slots), "hold", err, errlen);
    free(subject);
    free(sender);
    buf_free(&rcpts);
    buf_free(&atts);
    free(subject_tmpl);
    free(mark);
    free(none);
    return result;
}

char *notice_password_message(const struct config *cfg, const struct notice_templates *ts,
                              const struct notice_password *p, char *err, size_t errlen)
{
    if (p->to == NULL || p->to[0] == '\0') {
        errbuf_set(err, errlen, "nobody to send the password to");
        return NULL;
    }
    const struct notice_template *tmpl = template_of(cfg, ts, 1, p->language);
    char *subject_tmpl = template_header(tmpl->head, "Subject");
    char *mark = template_header(tmpl->head, "External-Mark");
    struct buf rcpts = {0}, files = {0};
    indented_lines(&rcpts, p->recipients, p->external, p->nrecipients, mark);
    indented_lines(&files, p->files, NULL, p->nfiles, NULL);
    char sent[TIMEFMT_MAX];
    timefmt_local(p->sent, sent, sizeof(sent));
    char *subject = flat(p->subject), *sender = flat(p->sender), *zip = flat(p->zip_name);
    /* The sender's own password never goes in a notice: its hint does. */
    char *hint = flat(p->hint != NULL ? p->hint : "");
    char *password = NULL;
    if (p->hint != NULL) {
        char *own = template_header(tmpl->head, "Own-Password");
        const struct slot hint_slot[] = {{"hint", hint}};
        password = fill(own != NULL ? own : "(the sender's own password; hint: {hint})",
                        hint_slot, 1);
        free(own);
    } else {
        password = flat(p->password);
    }
    const struct slot slots[] = {
        {"subject", subject},
        {"sender", sender},
        {"recipients", rcpts.data ? rcpts.data : ""},
        {"zip_name", zip},
        {"files", files.data ? files.data : ""},
        {"password", password},
        {"hint", hint},
        {"sent", sent},
        {"queue_id", p->queue_id},
    };
    size_t nslots = sizeof(slots) / sizeof(*slots);
    char *notice_subject = fill(subject_tmpl ? subject_tmpl : "{subject}", slots, nslots);
    char *body = fill(tmpl->body, slots, nslots);
    char *flat_subject = flat(notice_subject);
    /* Never a password notice without its password (or hint). */
    char *result = body != NULL && notice_subject != NULL && password != NULL &&
                           hint != NULL && password[0] != '\0'
                       ? build_message(cfg, p->to, flat_subject, body, "password")
                       : NULL;
    if (result == NULL)
        errbuf_set(err, errlen, "cannot build the notice");
    password_free_text(flat_subject); /* a template may put {password} there too */
    password_free_text(notice_subject);
    if (body != NULL)
        password_free_text(body);
    free(subject);
    free(sender);
    free(zip);
    password_free_text(password);
    free(hint);
    buf_free(&rcpts);
    buf_free(&files);
    free(subject_tmpl);
    free(mark);
    return result;
}

char *notice_signin_message(const struct config *cfg, const struct notice_templates *ts,
                            const struct notice_signin *n, char *err, size_t errlen)
{
    if (n->address == NULL || n->address[0] == '\0' || n->signin_url == NULL) {
        errbuf_set(err, errlen, "nobody to send a sign-in link to");
        return NULL;
    }
    const struct notice_template *tmpl = template_of(cfg, ts, 2, n->language);
    char *subject_tmpl = template_header(tmpl->head, "Subject");
    char expires[TIMEFMT_MAX];
    timefmt_local(n->expires, expires, sizeof(expires));
    char *address = flat(n->address);
    const struct slot slots[] = {
        {"address", address},
        {"signin_url", n->signin_url},
        {"expires", expires},
    };
    char *result = fill_and_build(
        cfg, n->address, subject_tmpl ? subject_tmpl : "sendwatch", tmpl->body, slots,
        sizeof(slots) / sizeof(*slots), "signin", err, errlen);
    free(address);
    free(subject_tmpl);
    return result;
}
