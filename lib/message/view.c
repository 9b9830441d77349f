/* view - see view.h; the record itself: texts, attachments, flags. */
#include "view.h"

#include <gmime/gmime.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "config.h"
#include "errbuf.h"
#include "markup.h"
#include "normalize.h"
#include "view_internal.h"
#include "view_name.h"

void view_init(void)
{
    g_mime_init();
    markup_init();
}

void view_shutdown(void)
{
    charset_shutdown();
    g_mime_shutdown();
}

/* Records a soft problem: the flag, and the first reason for the log. */
void view_note(struct view *v, unsigned flag, const char *fmt, ...)
{
    va_list ap;

    if (flag & VIEW_MALFORMED)
        v->nmalformed++;
    if (!(v->flags & (VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED)) &&
        (flag & (VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED))) {
        va_start(ap, fmt);
        vsnprintf(v->problem, sizeof(v->problem), fmt, ap);
        va_end(ap);
    }
    v->flags |= flag;
}

void view_fail(struct view *v, const char *why)
{
    if (!v->failed)
        snprintf(v->error, sizeof(v->error), "%s", why);
    v->failed = true;
}

/*
 * Normalises UTF8 (valid UTF-8, LEN bytes) and adds it as a text of FIELD.
 * NAME is copied.  With OWNED (UTF8 itself, malloc'ed and NUL-terminated)
 * the text is taken over, and kept as it is when NFKC changes nothing.
 */
static void view_push_text(struct view *v, enum view_field field, const char *name,
                           int attachment, const char *utf8, char *owned, size_t len)
{
    char *norm;
    size_t norm_len;

    if (v->failed) {
        free(owned);
        return;
    }
    int rc = owned ? normalize_text_owned(owned, len, &norm, &norm_len)
                   : normalize_text(utf8, len, &norm, &norm_len);
    if (rc != 0) {
        view_fail(v, rc == -1 ? "out of memory" : "invalid UTF-8 after conversion");
        return;
    }
    if (v->ntexts == v->texts_cap) {
        size_t cap = v->texts_cap ? v->texts_cap * 2 : 32;
        struct view_text *grown = realloc(v->texts, cap * sizeof(*grown));
        if (grown == NULL) {
            free(norm);
            view_fail(v, "out of memory");
            return;
        }
        v->texts = grown;
        v->texts_cap = cap;
    }
    struct view_text *t = &v->texts[v->ntexts];
    t->field = field;
    t->name = name ? strdup(name) : NULL;
    t->attachment = attachment;
    t->text = norm;
    t->len = norm_len;
    if (name != NULL && t->name == NULL) {
        free(norm);
        view_fail(v, "out of memory");
        return;
    }
    v->ntexts++;
}

void view_add_text(struct view *v, enum view_field field, const char *name,
                   int attachment, const char *utf8, size_t len)
{
    view_push_text(v, field, name, attachment, utf8, NULL, len);
}

/*
 * Converts BYTES labelled CHARSET (NULL: none) and adds the result as a
 * text.  When OWNED is BYTES (malloc'ed, NUL-terminated), it is taken
 * over: ASCII or valid UTF-8 that NFKC leaves alone, most mail, is then
 * kept as it is, without a copy.
 */
void view_add_owned_bytes(struct view *v, enum view_field field, const char *name,
                          int attachment, const char *charset, char *owned,
                          const char *bytes, size_t len, bool html)
{
    struct charset_result r;

    int rc = owned ? charset_to_utf8_owned(charset, owned, len, &r)
                   : charset_to_utf8(charset, bytes, len, &r);
    if (rc != 0) {
        view_fail(v, "out of memory");
        return;
    }
    if (r.flags & CHARSET_RELABELED)
        v->flags |= VIEW_CHARSET_RELABELED;
    if (html) {
        char *text;
        size_t text_len;
        rc = markup_html_text(r.text, r.len, &text, &text_len);
        free(r.text);
        if (rc != 0) {
            view_fail(v, "out of memory");
            return;
        }
        r.text = text;
        r.len = text_len;
    }
    view_push_text(v, field, name, attachment, r.text, r.text, r.len);
}

/* Converts BYTES labelled CHARSET (NULL: none) and adds the result as a text. */
void view_add_bytes(struct view *v, enum view_field field, const char *name,
                    int attachment, const char *charset, const char *bytes, size_t len,
                    bool html)
{
    view_add_owned_bytes(v, field, name, attachment, charset, NULL, bytes, len, html);
}

/* Reads a whole spool into a malloc'ed buffer (NUL-terminated), capped at MAX. */
char *view_slurp(struct view *v, const struct spool *sp, size_t max, size_t *len)
{
    uint64_t size = spool_size(sp);
    size_t want = size > max ? max : (size_t)size;
    char *buf = malloc(want + 1);
    char err[256];

    if (buf == NULL) {
        view_fail(v, "out of memory");
        return NULL;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = spool_read_at(sp, got, buf + got, want - got, err, sizeof(err));
        if (n <= 0) {
            free(buf);
            view_fail(v, n < 0 ? err : "short read of a spool");
            return NULL;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* Like view_slurp(), but takes the bytes over when SP (ours) holds them in memory. */
char *view_slurp_take(struct view *v, struct spool *sp, size_t max, size_t *len)
{
    if (spool_size(sp) <= max) {
        char *bytes = spool_take_memory(sp, len);
        if (bytes != NULL)
            return bytes;
    }
    return view_slurp(v, sp, max, len);
}

/* Frees what attachment record A owns. */
static void view_free_attachment(struct view_attachment *a)
{
    free((char *)a->name);
    free((char *)a->content_type);
    for (size_t i = 0; i < a->nnames; i++)
        free((char *)a->names[i]);
    free((void *)a->names);
}

/* Copies NAMES into A->names (malloc'ed); false when out of memory. */
static bool view_copy_names(struct view_attachment *a, const struct view_names *names)
{
    char **copy = calloc(names->n ? names->n : 1, sizeof(*copy));

    a->names = (const char *const *)copy;
    if (copy == NULL)
        return false;
    for (size_t i = 0; i < names->n; i++) {
        if ((copy[i] = strdup(names->name[i])) == NULL)
            return false;
        a->nnames = i + 1;
    }
    return true;
}

/*
 * Adds an attachment record known by NAMES (none: n is 0), and one
 * attachment-name text per name, so that conditions and matchers see every
 * name a mail client may show.  Returns its index, or -1 when out of memory.
 */
int view_add_attachment(struct view *v, const struct view_names *names, const char *type,
                        uint64_t size, int parent, unsigned depth)
{
    if (v->nattachments == v->attachments_cap) {
        size_t cap = v->attachments_cap ? v->attachments_cap * 2 : 8;
        struct view_attachment *grown = realloc(v->attachments, cap * sizeof(*grown));
        if (grown == NULL) {
            view_fail(v, "out of memory");
            return -1;
        }
        v->attachments = grown;
        v->attachments_cap = cap;
    }
    struct view_attachment *a = &v->attachments[v->nattachments];
    memset(a, 0, sizeof(*a));
    a->name = strdup(names->n > 0 ? names->name[0] : "");
    a->content_type = strdup(type);
    a->size = size;
    a->parent = parent;
    a->depth = depth;
    if (a->name == NULL || a->content_type == NULL || !view_copy_names(a, names)) {
        view_free_attachment(a);
        view_fail(v, "out of memory");
        return -1;
    }
    a->suspicious_name = names->disagree;
    for (size_t i = 0; i < names->n; i++)
        if (view_name_suspicious(names->name[i]))
            a->suspicious_name = true;
    if (a->suspicious_name)
        v->flags |= VIEW_SUSPICIOUS_NAME;
    int index = (int)v->nattachments++;
    for (size_t i = 0; i < names->n; i++)
        view_add_text(v, VIEW_ATTACHMENT_NAME, NULL, index, names->name[i],
                      strlen(names->name[i]));
    return index;
}

void view_note_encrypted_names(struct view *v, const struct view_names *names)
{
    for (size_t i = 0; i < names->n; i++)
        if (view_name_encrypted(names->name[i]))
            v->flags |= VIEW_ENCRYPTED_MESSAGE;
}

/*
 * Whether the bytes [START, END) of the spool walked were read already (by
 * an earlier reading); notes them as read when not.  Unknown places (-1)
 * are never taken as read.
 */
/* The parts read: a set of [start, end) pairs (a message may have many
 * thousands of parts, and each is looked up). */
static guint seen_hash(gconstpointer key)
{
    const gint64 *range = key;
    return g_int64_hash(&range[0]) * 31u + g_int64_hash(&range[1]);
}

static gboolean seen_equal(gconstpointer a, gconstpointer b)
{
    const gint64 *x = a, *y = b;
    return x[0] == y[0] && x[1] == y[1];
}

bool view_seen(struct view *v, gint64 start, gint64 end)
{
    struct view_pass *p = &v->pass;
    gint64 range[2] = {start, end};

    if (start < 0)
        return false;
    if (p->seen == NULL)
        p->seen = g_hash_table_new_full(seen_hash, seen_equal, g_free, NULL);
    if (g_hash_table_contains(p->seen, range))
        return true;
    g_hash_table_add(p->seen, g_memdup2(range, sizeof(range))); /* GLib aborts on OOM */
    return false;
}

struct view *view_build(const struct spool *message, const struct view_limits *limits,
                        char *err, size_t errlen)
{
    struct view *v = calloc(1, sizeof(*v));

    if (v == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    v->limits = *limits;
    v->budget = (struct extract_budget){
        .max_depth = limits->max_depth,
        .max_entries = limits->max_entries,
        .max_expanded = limits->max_expanded,
        .max_ratio = limits->max_ratio,
        .max_text = limits->max_text,
        .memory_limit = limits->memory_limit,
        .temp_dir = limits->temp_dir,
    };
    view_walk_message(v, message);
    if (v->failed) {
        errbuf_set(err, errlen, "%s", v->error);
        view_free(v);
        return NULL;
    }
    return v;
}

void view_free(struct view *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->ntexts; i++) {
        free((char *)v->texts[i].text);
        free((char *)v->texts[i].name);
    }
    for (size_t i = 0; i < v->nattachments; i++)
        view_free_attachment(&v->attachments[i]);
    free(v->texts);
    free(v->attachments);
    free(v->subject);
    free(v->header_from);
    for (size_t i = 0; i < v->nheader_rcpts; i++)
        free(v->header_rcpts[i]);
    free(v->header_rcpts);
    if (v->pass.seen != NULL)
        g_hash_table_destroy(v->pass.seen);
    free(v);
}

size_t view_text_count(const struct view *v)
{
    return v->ntexts;
}

const struct view_text *view_text_at(const struct view *v, size_t i)
{
    return i < v->ntexts ? &v->texts[i] : NULL;
}

size_t view_attachment_count(const struct view *v)
{
    return v->nattachments;
}

const struct view_attachment *view_attachment_at(const struct view *v, size_t i)
{
    return i < v->nattachments ? &v->attachments[i] : NULL;
}

unsigned view_flags(const struct view *v)
{
    return v->flags;
}

const char *view_subject(const struct view *v)
{
    return v->subject ? v->subject : "";
}

const char *view_problem(const struct view *v)
{
    return v->problem;
}

const char *view_header_from(const struct view *v)
{
    return v->header_from ? v->header_from : "";
}

size_t view_header_rcpt_count(const struct view *v)
{
    return v->nheader_rcpts;
}

const char *view_header_rcpt_at(const struct view *v, size_t i)
{
    return i < v->nheader_rcpts ? v->header_rcpts[i] : NULL;
}

const char *view_flag_name(unsigned flag)
{
    switch (flag) {
    case VIEW_MALFORMED:
        return "malformed";
    case VIEW_LIMIT_EXCEEDED:
        return "limit-exceeded";
    case VIEW_ENCRYPTED_ARCHIVE:
        return "encrypted-archive";
    case VIEW_CHARSET_RELABELED:
        return "charset-relabeled";
    case VIEW_SUSPICIOUS_NAME:
        return "suspicious-name";
    case VIEW_ENCRYPTED_MESSAGE:
        return "encrypted-message";
    case VIEW_PARTIAL_MESSAGE:
        return "partial-message";
    case VIEW_EXTERNAL_BODY:
        return "external-body";
    case VIEW_UNREADABLE_FORMAT:
        return "unreadable-format";
    }
    return NULL;
}

const char *view_field_name(enum view_field field)
{
    switch (field) {
    case VIEW_SUBJECT:
        return "subject";
    case VIEW_HEADER:
        return "header";
    case VIEW_BODY:
        return "body";
    case VIEW_ATTACHMENT_NAME:
        return "attachment-name";
    case VIEW_ATTACHMENT_TEXT:
        return "attachment-text";
    }
    return "unknown";
}

struct view_limits view_limits_from(const struct config *cfg)
{
    return (struct view_limits){
        .max_depth = cfg->archive_max_depth,
        .max_entries = cfg->archive_max_entries,
        .max_expanded = cfg->archive_max_expanded,
        .max_ratio = cfg->archive_max_ratio,
        .max_text = cfg->scan_text_limit,
        .memory_limit = cfg->message_memory_limit,
        .temp_dir = cfg->temp_dir,
    };
}
