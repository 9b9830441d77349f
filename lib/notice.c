/* notice - see notice.h. */
#include "notice.h"

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "errbuf.h"

/* Copies S with control characters (CR, LF, ESC, DEL...) as spaces. */
static char *flat(const char *s)
{
    char *out = strdup(s ? s : "");
    for (char *c = out; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    return out;
}

/* Reads the template for the configured language into a malloc'ed string. */
static char *read_template(const struct config *cfg, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/hold-notice.%s.txt", cfg->notice_template_dir,
             cfg->language);
    gchar *text = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(path, &text, &len, &gerr)) {
        errbuf_set(err, errlen, "notice template %s: %s", path,
                   gerr ? gerr->message : "cannot read");
        g_clear_error(&gerr);
        return NULL;
    }
    if (!g_utf8_validate(text, (gssize)len, NULL) || strlen(text) != len) {
        errbuf_set(err, errlen, "notice template %s: not UTF-8 text", path);
        g_free(text);
        return NULL;
    }
    char *copy = strdup(text);
    g_free(text);
    return copy;
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

/* TEXT with every {name} of SLOTS replaced; unknown braces stay as they are. */
static char *fill(const char *text, const struct slot *slots, size_t nslots)
{
    struct buf b = {0};
    for (const char *p = text; *p;) {
        bool done = false;
        if (*p == '{')
            for (size_t i = 0; i < nslots && !done; i++) {
                size_t n = strlen(slots[i].name);
                if (strncmp(p + 1, slots[i].name, n) == 0 && p[1 + n] == '}') {
                    buf_append(&b, slots[i].value, strlen(slots[i].value));
                    p += n + 2;
                    done = true;
                }
            }
        if (!done)
            buf_append(&b, p++, 1);
    }
    if (b.data == NULL)
        buf_append(&b, "", 0);
    return b.data;
}

void notice_init(void)
{
    g_mime_init();
}

char *notice_hold_message(const struct config *cfg, const struct notice_hold *h, char *err,
                          size_t errlen)
{
    char *result = NULL;
    if (h->sender == NULL || h->sender[0] == '\0') {
        errbuf_set(err, errlen, "no sender to notify (a bounce)");
        return NULL;
    }
    char *tmpl = read_template(cfg, err, errlen);
    if (tmpl == NULL)
        return NULL;
    char *sep = strstr(tmpl, "\n\n");
    if (sep == NULL) {
        errbuf_set(err, errlen, "notice template: no blank line after its header lines");
        free(tmpl);
        return NULL;
    }
    *sep = '\0';
    const char *body_tmpl = sep + 2;
    char *subject_tmpl = template_header(tmpl, "Subject");
    char *mark = template_header(tmpl, "External-Mark");
    char *none = template_header(tmpl, "No-Attachments");

    /* The values, each on lines of its own, control characters removed. */
    struct buf rcpts = {0}, atts = {0};
    for (size_t i = 0; i < h->nrecipients; i++) {
        char *r = flat(h->recipients[i]);
        buf_append(&rcpts, "  ", 2);
        buf_append(&rcpts, r, strlen(r));
        if (h->external[i] && mark != NULL) {
            buf_append(&rcpts, " ", 1);
            buf_append(&rcpts, mark, strlen(mark));
        }
        buf_append(&rcpts, "\n", 1);
        free(r);
    }
    for (size_t i = 0; i < h->nattachments; i++) {
        char *a = flat(h->attachments[i]);
        buf_append(&atts, "  ", 2);
        buf_append(&atts, a, strlen(a));
        buf_append(&atts, "\n", 1);
        free(a);
    }
    if (h->nattachments == 0) {
        buf_append(&atts, "  ", 2);
        buf_append(&atts, none ? none : "-", strlen(none ? none : "-"));
        buf_append(&atts, "\n", 1);
    }
    char deadline[64], size[32];
    struct tm tm;
    strftime(deadline, sizeof(deadline), "%Y-%m-%d %H:%M:%S %Z", localtime_r(&h->deadline, &tm));
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
    };
    size_t nslots = sizeof(slots) / sizeof(*slots);
    char *notice_subject = fill(subject_tmpl ? subject_tmpl : "{subject}", slots, nslots);
    char *body = fill(body_tmpl, slots, nslots);
    char *flat_subject = flat(notice_subject);

    GMimeMessage *m = g_mime_message_new(TRUE);
    InternetAddress *from = internet_address_mailbox_new(NULL, cfg->notice_sender);
    InternetAddress *to = internet_address_mailbox_new(NULL, sender);
    internet_address_list_add(g_mime_message_get_from(m), from);
    internet_address_list_add(g_mime_message_get_to(m), to);
    g_object_unref(from);
    g_object_unref(to);
    g_mime_message_set_subject(m, flat_subject, "UTF-8");
    GDateTime *now = g_date_time_new_now_local();
    g_mime_message_set_date(m, now);
    g_date_time_unref(now);
    gchar *msgid = g_mime_utils_generate_message_id(cfg->node_name);
    g_mime_message_set_message_id(m, msgid);
    g_free(msgid);
    /* RFC 3834: an automatic message; vacation responders stay quiet. */
    g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);
    g_mime_object_set_header(GMIME_OBJECT(m), "X-Sendwatch-Notice", "hold", NULL);
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
    result = text ? strdup(text) : NULL;
    g_free(text);
    if (result == NULL)
        errbuf_set(err, errlen, "cannot build the notice");

    free(flat_subject);
    free(notice_subject);
    free(body);
    free(subject);
    free(sender);
    buf_free(&rcpts);
    buf_free(&atts);
    free(subject_tmpl);
    free(mark);
    free(none);
    free(tmpl);
    return result;
}
