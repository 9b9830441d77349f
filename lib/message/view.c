/* view - see view.h. */
#include "view.h"

#include <gmime/gmime.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "errbuf.h"
#include "extract.h"
#include "markup.h"
#include "normalize.h"
#include "view_decode.h"
#include "view_header.h"
#include "view_name.h"
#include "view_probe.h"
#include "view_readings.h"
#include "view_stream.h"

struct view {
    struct view_text *texts;
    size_t ntexts, texts_cap;
    struct view_attachment *attachments;
    size_t nattachments, attachments_cap;
    unsigned flags;
    char *subject;
    char *header_from;
    char **header_rcpts;
    size_t nheader_rcpts;
    char problem[256];
    struct view_limits limits;
    struct extract_budget budget; /* archive limits, shared by the whole message */
    bool failed;                  /* a hard error: view_build() returns NULL */
    char error[256];              /* why */
    /* The other readings of an ambiguous structure (view_readings.h): while
     * a later one is walked, parts it shares with an earlier one - the
     * same bytes of the message - are not read again. */
    struct view_readings *readings;
    GMimeParserOptions *options;
    bool later_reading;
    gint64 (*seen)[2]; /* [start, end) of the parts read */
    size_t nseen, seen_cap;
};

void view_init(void)
{
    g_mime_init();
    markup_init();
    view_probe_init();
}

void view_shutdown(void)
{
    g_mime_shutdown();
}

/* Records a soft problem: the flag, and the first reason for the log. */
static void view_note(struct view *v, unsigned flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void view_note(struct view *v, unsigned flag, const char *fmt, ...)
{
    va_list ap;

    if (!(v->flags & (VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED)) &&
        (flag & (VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED))) {
        va_start(ap, fmt);
        vsnprintf(v->problem, sizeof(v->problem), fmt, ap);
        va_end(ap);
    }
    v->flags |= flag;
}

static void view_fail(struct view *v, const char *why)
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

static void view_add_text(struct view *v, enum view_field field, const char *name,
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
static void view_add_owned_bytes(struct view *v, enum view_field field, const char *name,
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
static void view_add_bytes(struct view *v, enum view_field field, const char *name,
                           int attachment, const char *charset, const char *bytes,
                           size_t len, bool html)
{
    view_add_owned_bytes(v, field, name, attachment, charset, NULL, bytes, len, html);
}

/* Collects the mailbox addresses of an address header (groups included). */
static void view_collect_addresses(struct view *v, InternetAddressList *list, bool from)
{
    int n = list ? internet_address_list_length(list) : 0;

    for (int i = 0; i < n && !v->failed; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            view_collect_addresses(
                v, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), from);
            continue;
        }
        const char *addr =
            internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        if (addr == NULL || *addr == '\0')
            continue;
        if (from) {
            if (v->header_from == NULL && (v->header_from = strdup(addr)) == NULL)
                view_fail(v, "out of memory");
            continue;
        }
        char **grown = realloc(v->header_rcpts, (v->nheader_rcpts + 1) * sizeof(*grown));
        if (grown == NULL || (grown[v->nheader_rcpts] = strdup(addr)) == NULL) {
            if (grown != NULL)
                v->header_rcpts = grown;
            view_fail(v, "out of memory");
            return;
        }
        v->header_rcpts = grown;
        v->nheader_rcpts++;
    }
}

/* The headers of a message (the top one or a forwarded one). */
static void view_add_headers(struct view *v, GMimeObject *obj, bool top)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(obj);
    int count = g_mime_header_list_get_count(list);

    for (int i = 0; i < count && !v->failed; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
        const char *name = g_mime_header_get_name(h);
        const char *raw = g_mime_header_get_raw_value(h);
        bool relabeled;

        if (name == NULL || raw == NULL)
            continue;
        size_t len = 0;
        char *value = view_header_decode_bytes(raw, strlen(raw), &len, &relabeled);
        if (memchr(value, '\0', len) != NULL) {
            /* An encoded NUL would cut the text short and hide what follows,
             * or split a keyword: dropped, as invisible characters are, and
             * the message is malformed. */
            size_t o = 0;
            for (size_t k = 0; k < len; k++)
                if (value[k] != '\0')
                    value[o++] = value[k];
            value[o] = '\0';
            view_note(v, VIEW_MALFORMED, "a %s header decodes to a NUL byte", name);
        }
        g_strstrip(value);
        if (relabeled)
            v->flags |= VIEW_CHARSET_RELABELED;
        view_add_text(v, VIEW_HEADER, name, -1, value, strlen(value));
        if (top && (strcasecmp(name, "From") == 0 || strcasecmp(name, "To") == 0 ||
                    strcasecmp(name, "Cc") == 0 || strcasecmp(name, "Bcc") == 0)) {
            InternetAddressList *addrs = internet_address_list_parse(NULL, value);
            view_collect_addresses(v, addrs, strcasecmp(name, "From") == 0);
            if (addrs != NULL)
                g_object_unref(addrs);
        }
        if (strcasecmp(name, "Subject") == 0) {
            view_add_text(v, VIEW_SUBJECT, NULL, -1, value, strlen(value));
            if (top && v->subject == NULL) {
                v->subject = strdup(value);
                if (v->subject == NULL)
                    view_fail(v, "out of memory");
            }
        }
        g_free(value);
    }
}

/*
 * NAME as GMime decoded it, as UTF-8: GMime hands back the raw bytes of an
 * RFC 2231 value without a charset (filename*=%8E%D0) or in one iconv does
 * not know, which are then read like raw 8-bit names.  g_malloc'ed.
 */
static char *view_gmime_name(struct view *v, const char *name)
{
    bool relabeled;

    if (g_utf8_validate(name, -1, NULL))
        return g_strdup(name);
    char *utf8 = view_header_decode(name, strlen(name), &relabeled);
    if (relabeled)
        v->flags |= VIEW_CHARSET_RELABELED;
    return utf8;
}

/*
 * Every name of a part, as any mail client may read it (view_name.h): the
 * filename of each Content-Disposition header and the name of each
 * Content-Type header, in every form.  GMime's own reading stands in only
 * when ours finds none.  Clear NAMES with view_names_clear().
 */
static void view_part_names(struct view *v, GMimeObject *obj, struct view_names *names)
{
    static const struct {
        const char *header, *param;
    } sources[] = {{"Content-Disposition", "filename"}, {"Content-Type", "name"}};
    GMimeHeaderList *list = g_mime_object_get_header_list(obj);
    int count = g_mime_header_list_get_count(list);

    memset(names, 0, sizeof(*names));
    for (size_t s = 0; s < sizeof(sources) / sizeof(*sources); s++)
        for (int i = 0; i < count; i++) {
            GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
            const char *name = g_mime_header_get_name(h);
            const char *raw = g_mime_header_get_raw_value(h);
            if (name != NULL && raw != NULL && strcasecmp(name, sources[s].header) == 0)
                view_names_add_param(names, raw, sources[s].param);
        }
    if (names->n == 0) {
        GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
        const char *gmime =
            cd ? g_mime_content_disposition_get_parameter(cd, "filename") : NULL;
        if (gmime == NULL || *gmime == '\0')
            gmime = g_mime_object_get_content_type_parameter(obj, "name");
        if (gmime != NULL) {
            char *utf8 = view_gmime_name(v, gmime);
            view_names_add(names, utf8, strlen(utf8));
            g_free(utf8);
        }
    }
    if (names->relabeled)
        v->flags |= VIEW_CHARSET_RELABELED;
}

/* Reads a whole spool into a malloc'ed buffer (NUL-terminated), capped at MAX. */
static char *view_slurp(struct view *v, const struct spool *sp, size_t max, size_t *len)
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
static char *view_slurp_take(struct view *v, struct spool *sp, size_t max, size_t *len)
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
static int view_add_attachment(struct view *v, const struct view_names *names,
                               const char *type, uint64_t size, int parent,
                               unsigned depth)
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
    /* An S/MIME type says for itself whether it is encrypted (view_note_kind). */
    bool smime = strcmp(type, "application/pkcs7-mime") == 0 ||
                 strcmp(type, "application/x-pkcs7-mime") == 0;
    a->suspicious_name = names->disagree;
    for (size_t i = 0; i < names->n; i++) {
        if (view_name_suspicious(names->name[i]))
            a->suspicious_name = true;
        if (!smime && view_name_encrypted(names->name[i]))
            v->flags |= VIEW_ENCRYPTED_MESSAGE;
    }
    if (a->suspicious_name)
        v->flags |= VIEW_SUSPICIOUS_NAME;
    int index = (int)v->nattachments++;
    for (size_t i = 0; i < names->n; i++)
        view_add_text(v, VIEW_ATTACHMENT_NAME, NULL, index, names->name[i],
                      strlen(names->name[i]));
    return index;
}

/* Text-like attachment types whose bytes are read as text. */
static bool view_is_text_type(const char *type)
{
    return strncmp(type, "text/", 5) == 0 || strcmp(type, "application/csv") == 0 ||
           strcmp(type, "application/json") == 0 || strcmp(type, "application/xml") == 0;
}

static bool view_name_ends(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n > e && strcasecmp(name + n - e, ext) == 0;
}

static void view_extract(struct view *v, const struct spool *data, const char *name,
                         int index, unsigned depth);

/*
 * Whether the bytes [START, END) of the message were read already (by an
 * earlier reading); notes them as read when not.  Unknown places (-1) are
 * never taken as read.
 */
static bool view_seen(struct view *v, gint64 start, gint64 end)
{
    if (start < 0)
        return false;
    for (size_t i = 0; i < v->nseen; i++)
        if (v->seen[i][0] == start && v->seen[i][1] == end)
            return true;
    if (v->nseen == v->seen_cap) {
        size_t cap = v->seen_cap ? v->seen_cap * 2 : 16;
        gint64(*grown)[2] = realloc(v->seen, cap * sizeof(*grown));
        if (grown == NULL)
            return false; /* read it again rather than not at all */
        v->seen = grown;
        v->seen_cap = cap;
    }
    v->seen[v->nseen][0] = start;
    v->seen[v->nseen++][1] = end;
    return false;
}

/* Where OBJ's first header starts in the message, or -1. */
static gint64 view_header_offset(GMimeObject *obj)
{
    GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
    return headers && g_mime_header_list_get_count(headers) > 0
               ? g_mime_header_get_offset(g_mime_header_list_get_header_at(headers, 0))
               : -1;
}

/* What a leaf part is, decided once before any of its readings. */
struct view_leaf_info {
    GMimePart *part;
    char type[128];          /* lower-case "type/subtype" */
    const char *charset;     /* the declared one, or NULL */
    struct view_names names; /* every name it carries, decoded */
    const char *name;        /* the first (names.name[0]), or NULL */
    bool body, is_html;
    bool flowed, delsp; /* text/plain; format=flowed (delsp=yes) */
    bool other_text;    /* another Content-Type header of the part says text */
    unsigned depth;
};

/*
 * Decodes INFO's part with ENCODING into a fresh spool: NULL when the view
 * failed (out of memory, a spill file that cannot be written, a read
 * error of the message's own spool: a part read halfway must not count as
 * inspected).
 */
static struct spool *view_decode_part(struct view *v, const struct view_leaf_info *info,
                                      GMimeDataWrapper *content,
                                      GMimeContentEncoding encoding)
{
    struct spool *decoded = spool_new(v->limits.memory_limit, v->limits.temp_dir);
    if (decoded == NULL) {
        view_fail(v, "out of memory");
        return NULL;
    }
    GMimeStream *raw = g_mime_data_wrapper_get_stream(content);
    /* The decoded size is about known: take the memory at once. */
    gint64 encoded = raw ? g_mime_stream_length(raw) : -1;
    char err[256];
    if (encoded > 0 && spool_expect(decoded,
                                    encoding == GMIME_CONTENT_ENCODING_BASE64
                                        ? (uint64_t)encoded / 4 * 3 + 4
                                        : (uint64_t)encoded,
                                    err, sizeof(err)) != 0)
        view_fail(v, err);
    GMimeStream *out = view_stream_new(decoded);
    bool after_pad = false;
    int rc = encoding == GMIME_CONTENT_ENCODING_BASE64
                 ? view_decode(raw, encoding, out, &after_pad)
             : encoding == g_mime_data_wrapper_get_encoding(content)
                 ? (g_mime_data_wrapper_write_to_stream(content, out) < 0 ? -1 : 0)
                 : view_decode(raw, encoding, out, &after_pad);
    if (rc != 0 && v->later_reading && view_stream_error(out) == NULL)
        /* Another reading's part that does not decode: what did is read, the
         * first reading stands, and the message is malformed already. */
        view_note(v, VIEW_MALFORMED, "a %s part of another reading does not decode",
                  info->type);
    else if (rc != 0)
        view_fail(v, view_stream_error(out) ? view_stream_error(out)
                                            : "cannot decode an attachment");
    if (after_pad)
        view_note(v, VIEW_MALFORMED, "a %s part's base64 goes on after its padding",
                  info->type);
    g_object_unref(out);
    if (v->failed) {
        spool_free(decoded);
        return NULL;
    }
    return decoded;
}

/* Reads one decoding (DECODED) of INFO's part: body text, attachment text, or
 * an attachment to extract. */
static void view_read_part(struct view *v, const struct view_leaf_info *info,
                           struct spool *decoded)
{
    const char *name = info->name;
    size_t len = 0;
    char *bytes = NULL;
    uint64_t decoded_size = spool_size(decoded); /* the spool may be emptied below */
    if (info->body || view_is_text_type(info->type) || info->other_text ||
        view_name_ends(name ? name : "", ".csv") ||
        view_name_ends(name ? name : "", ".txt")) {
        bytes = view_slurp_take(v, decoded, v->limits.max_text, &len);
        if (bytes != NULL && decoded_size > len)
            view_note(v, VIEW_LIMIT_EXCEEDED,
                      "a %s part of %llu bytes was read only up to %zu", info->type,
                      (unsigned long long)decoded_size, len);
    }
    enum view_field field = info->body ? VIEW_BODY : VIEW_ATTACHMENT_TEXT;
    int index = -1;
    if (!info->body)
        index = view_add_attachment(v, &info->names, info->type, decoded_size, -1,
                                    info->depth);
    if (bytes != NULL && info->flowed && (info->body || index >= 0)) {
        /* A reader of format=flowed joins soft-broken lines: so does the scan,
         * besides the text as it stands. */
        size_t unflowed_len = 0;
        char *unflowed = view_unflow(bytes, len, info->delsp, &unflowed_len);
        if (unflowed != NULL)
            view_add_owned_bytes(v, field, NULL, index, info->charset, unflowed, unflowed,
                                 unflowed_len, info->is_html);
    }
    if (bytes != NULL && (info->body || index >= 0)) {
        view_add_owned_bytes(v, field, NULL, index, info->charset, bytes, bytes, len,
                             info->is_html);
        bytes = NULL;
    } else if (index >= 0 && !v->failed) {
        view_extract(v, decoded, name ? name : "", index, info->depth);
    }
    free(bytes); /* the part was not read as text after all (a failure) */
}

/*
 * The Content-Type headers of OBJ that name another type than TYPE (the
 * one GMime took): their number; *TEXT set when one of them says text.
 * A client may take any of them, so the part is then never skipped and,
 * if one says text, read as text as well.
 */
static size_t view_other_types(GMimeObject *obj, const char *type, bool *text)
{
    GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
    int count = headers ? g_mime_header_list_get_count(headers) : 0;
    size_t n = 0;
    *text = false;
    for (int i = 0; i < count; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
        const char *value = g_mime_header_get_value(h);
        if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Content-Type") != 0 || !value)
            continue;
        GMimeContentType *ct = g_mime_content_type_parse(NULL, value);
        char other[128];
        snprintf(other, sizeof(other), "%s/%s", g_mime_content_type_get_media_type(ct),
                 g_mime_content_type_get_media_subtype(ct));
        for (char *p = other; *p; p++)
            *p = (char)g_ascii_tolower(*p);
        if (strcmp(other, type) != 0) {
            n++;
            *text = *text || view_is_text_type(other);
        }
        g_object_unref(ct);
    }
    return n;
}

/*
 * One leaf MIME part: body text, or an attachment.  Its name and type are
 * decided once; then the probe may skip it (a large image, exactly), or it
 * is read under each transfer encoding its headers name - the one GMime
 * chose, and any other a receiving client might.
 */
static void view_leaf(struct view *v, GMimePart *part, unsigned depth)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    struct view_leaf_info info = {.part = part, .depth = depth};
    snprintf(info.type, sizeof(info.type), "%s/%s",
             ct && g_mime_content_type_get_media_type(ct)
                 ? g_mime_content_type_get_media_type(ct)
                 : "application",
             ct && g_mime_content_type_get_media_subtype(ct)
                 ? g_mime_content_type_get_media_subtype(ct)
                 : "octet-stream");
    for (char *p = info.type; *p; p++)
        *p = (char)g_ascii_tolower(*p);
    info.charset = g_mime_object_get_content_type_parameter(obj, "charset");
    view_part_names(v, obj, &info.names);
    info.name = info.names.n > 0 ? info.names.name[0] : NULL;
    GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
    info.is_html = strcmp(info.type, "text/html") == 0;
    info.body = info.name == NULL &&
                !(cd && g_mime_content_disposition_is_attachment(cd)) &&
                (strcmp(info.type, "text/plain") == 0 || info.is_html);
    const char *format = g_mime_object_get_content_type_parameter(obj, "format");
    const char *delsp = g_mime_object_get_content_type_parameter(obj, "delsp");
    info.flowed = strcmp(info.type, "text/plain") == 0 && format != NULL &&
                  g_ascii_strcasecmp(format, "flowed") == 0;
    info.delsp = delsp != NULL && g_ascii_strcasecmp(delsp, "yes") == 0;

    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    if (raw != NULL && view_seen(v, raw->bound_start, raw->bound_end)) {
        view_names_clear(&info.names); /* an earlier reading read these very bytes */
        return;
    }
    GMimeContentEncoding encodings[4];
    size_t nencodings = view_decode_encodings(obj, encodings, 4);
    size_t ntypes = view_other_types(obj, info.type, &info.other_text);
    if (ntypes > 0)
        view_note(v, VIEW_MALFORMED,
                  "a %s part has %zu other Content-Type headers: read as each", info.type,
                  ntypes);
    uint64_t probed_size;
    if (!info.body && content != NULL && nencodings <= 1 && ntypes == 0 &&
        info.names.n <= 1 && depth < v->limits.max_depth &&
        view_probe_skippable(content, info.type, info.name, &probed_size)) {
        view_add_attachment(v, &info.names, info.type, probed_size, -1, depth);
        view_names_clear(&info.names);
        return;
    }
    if (nencodings > 1)
        view_note(v, VIEW_MALFORMED,
                  "a %s part names %zu transfer encodings: read under each", info.type,
                  nencodings);
    GMimeContentEncoding used = content ? g_mime_data_wrapper_get_encoding(content)
                                        : GMIME_CONTENT_ENCODING_DEFAULT;
    for (size_t i = 0; i <= nencodings && !v->failed; i++) {
        /* First the encoding GMime chose, then every other one named. */
        GMimeContentEncoding e = i == 0 ? used : encodings[i - 1];
        if (i > 0 && e == used)
            continue;
        struct spool *decoded =
            content != NULL ? view_decode_part(v, &info, content, e)
                            : spool_new(v->limits.memory_limit, v->limits.temp_dir);
        if (decoded == NULL) {
            if (!v->failed)
                view_fail(v, "out of memory");
            break;
        }
        view_read_part(v, &info, decoded);
        spool_free(decoded);
    }
    view_names_clear(&info.names);
}

/* extract callbacks: files in archives become attachments of their own. */
static int view_extract_entry(void *ctx, int parent, const char *path, uint64_t size,
                              bool encrypted, unsigned depth)
{
    struct view *v = ctx;
    struct charset_result name;

    /* Entry names may be raw Shift_JIS (Japanese Windows zips) or UTF-8. */
    if (charset_to_utf8(NULL, path, strlen(path), &name) != 0) {
        view_fail(v, "out of memory");
        return -1;
    }
    struct view_names names = {0};
    view_names_add(&names, name.text, name.len);
    free(name.text);
    int index =
        view_add_attachment(v, &names, "application/octet-stream", size, parent, depth);
    view_names_clear(&names);
    if (index >= 0)
        v->attachments[index].encrypted = encrypted;
    return v->failed ? -1 : index;
}

static void view_extract_text(void *ctx, int id, enum extract_text_kind kind,
                              const char *bytes, size_t len)
{
    struct view *v = ctx;

    if (kind == EXTRACT_TEXT_UTF8)
        view_add_text(v, VIEW_ATTACHMENT_TEXT, NULL, id, bytes, len);
    else
        view_add_bytes(v, VIEW_ATTACHMENT_TEXT, NULL, id, NULL, bytes, len,
                       kind == EXTRACT_TEXT_HTML);
}

static void view_extract_problem(void *ctx, int id, enum extract_problem what,
                                 const char *why)
{
    struct view *v = ctx;

    if (what == EXTRACT_ENCRYPTED) {
        if (id >= 0 && (size_t)id < v->nattachments)
            v->attachments[id].encrypted = true;
        v->flags |= VIEW_ENCRYPTED_ARCHIVE;
        return;
    }
    view_note(v, what == EXTRACT_LIMIT ? VIEW_LIMIT_EXCEEDED : VIEW_MALFORMED, "%s", why);
}

/*
 * An Office document with a password is not a zip but an OLE compound
 * file (it starts with D0 CF 11 E0): flag it, its text cannot be read.
 */
static bool view_is_encrypted_office(const struct spool *data, const char *name)
{
    static const unsigned char cfb[8] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
    static const char *const exts[] = {".docx", ".xlsx", ".pptx",
                                       ".docm", ".xlsm", ".pptm"};
    unsigned char head[8];
    char err[128];
    bool office = false;

    for (size_t i = 0; i < sizeof(exts) / sizeof(*exts); i++)
        if (view_name_ends(name, exts[i]))
            office = true;
    return office && spool_read_at(data, 0, head, sizeof(head), err, sizeof(err)) == 8 &&
           memcmp(head, cfb, sizeof(cfb)) == 0;
}

/* Looks into an attachment that may be an archive or an office document. */
static void view_extract(struct view *v, const struct spool *data, const char *name,
                         int index, unsigned depth)
{
    static const struct extract_callbacks callbacks_template = {
        .entry = view_extract_entry,
        .text = view_extract_text,
        .problem = view_extract_problem,
    };
    struct extract_callbacks cb = callbacks_template;
    char err[256];

    if (spool_size(data) == 0)
        return;
    if (view_is_encrypted_office(data, name)) {
        v->attachments[index].encrypted = true;
        v->flags |= VIEW_ENCRYPTED_ARCHIVE;
        return;
    }
    if (depth >= v->limits.max_depth) {
        view_note(v, VIEW_LIMIT_EXCEEDED, "attachments nested deeper than %u",
                  v->limits.max_depth);
        return;
    }
    cb.ctx = v;
    int rc = extract_archive(data, name, index, depth, &v->budget, &cb, err, sizeof(err));
    if (rc < 0) {
        view_fail(v, err);
    } else if (rc == 1 && extract_looks_like_text(data)) {
        /* No archive, but text under a name or type that does not say so. */
        size_t len;
        char *bytes = view_slurp(v, data, v->limits.max_text, &len);
        if (bytes != NULL && spool_size(data) > len)
            view_note(v, VIEW_LIMIT_EXCEEDED,
                      "a file of %llu bytes was read only up to %zu",
                      (unsigned long long)spool_size(data), len);
        if (bytes != NULL)
            view_add_owned_bytes(v, VIEW_ATTACHMENT_TEXT, NULL, index, NULL, bytes, bytes,
                                 len, false);
    }
}

static void view_walk(struct view *v, GMimeObject *obj, unsigned depth);

/* A forwarded message: read as mail, one level deeper. */
static void view_forwarded(struct view *v, GMimeMessagePart *mp, unsigned depth)
{
    GMimeMessage *inner = g_mime_message_part_get_message(mp);

    if (depth + 1 > v->limits.max_depth) {
        view_note(v, VIEW_LIMIT_EXCEEDED, "forwarded messages nested deeper than %u",
                  v->limits.max_depth);
        return;
    }
    if (inner == NULL) {
        view_note(v, VIEW_MALFORMED, "a forwarded message could not be parsed");
        return;
    }
    if (!view_seen(v, view_header_offset(GMIME_OBJECT(inner)), -1))
        view_add_headers(v, GMIME_OBJECT(inner), false);
    GMimeObject *body = g_mime_message_get_mime_part(inner);
    if (body != NULL)
        view_walk(v, body, depth + 1);
}

/*
 * Content no one but its recipient can read - S/MIME enveloped data,
 * PGP/MIME (any multipart/encrypted) - and fragments of a message/partial,
 * which only make sense joined: flagged so that a rule can act on them.
 * Their parts are still read as far as they go.
 */
static void view_note_kind(struct view *v, GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);

    if (ct == NULL)
        return;
    if (g_mime_content_type_is_type(ct, "message", "partial")) {
        v->flags |= VIEW_PARTIAL_MESSAGE;
    } else if (g_mime_content_type_is_type(ct, "multipart", "encrypted") ||
               g_mime_content_type_is_type(ct, "application", "pgp-encrypted")) {
        v->flags |= VIEW_ENCRYPTED_MESSAGE;
    } else if (g_mime_content_type_is_type(ct, "application", "pkcs7-mime") ||
               g_mime_content_type_is_type(ct, "application", "x-pkcs7-mime")) {
        /* Only signed data (and certificates) is not encrypted; without an
         * smime-type, as old clients send it, it may well be. */
        const char *kind = g_mime_content_type_get_parameter(ct, "smime-type");
        if (kind == NULL || (g_ascii_strcasecmp(kind, "signed-data") != 0 &&
                             g_ascii_strcasecmp(kind, "certs-only") != 0 &&
                             g_ascii_strcasecmp(kind, "compressed-data") != 0))
            v->flags |= VIEW_ENCRYPTED_MESSAGE;
    }
}

/* Inline OpenPGP: an armored encrypted message in a text cannot be read. */
static void view_note_armor(struct view *v)
{
    static const char armor[] = "-----BEGIN PGP MESSAGE-----";

    for (size_t i = 0; i < v->ntexts; i++) {
        const struct view_text *t = &v->texts[i];
        if ((t->field & (VIEW_BODY | VIEW_ATTACHMENT_TEXT)) &&
            memmem(t->text, t->len, armor, sizeof(armor) - 1) != NULL) {
            v->flags |= VIEW_ENCRYPTED_MESSAGE;
            return;
        }
    }
}

static void view_walk(struct view *v, GMimeObject *obj, unsigned depth)
{
    if (v->failed)
        return;
    view_note_kind(v, obj);
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int count = g_mime_multipart_get_count(mp);
        if (!v->later_reading && v->readings != NULL &&
            !view_readings_note_multipart(v->readings, obj, v->options))
            view_note(v, VIEW_LIMIT_EXCEEDED,
                      "more than %d readings of the MIME structure",
                      VIEW_READINGS_MAX + 1);
        for (int i = 0; i < count; i++)
            view_walk(v, g_mime_multipart_get_part(mp, i), depth);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        view_forwarded(v, GMIME_MESSAGE_PART(obj), depth);
    } else if (GMIME_IS_PART(obj)) {
        view_leaf(v, GMIME_PART(obj), depth);
    }
}

/* GMime's parser warnings: the serious ones make the message "malformed". */
static void view_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
                                gpointer user_data)
{
    struct view *v = user_data;
    (void)item;

    switch (code) {
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_HEADER:
    case GMIME_CRIT_CONFLICTING_PARAMETER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        view_note(v, VIEW_MALFORMED, "MIME parser: problem %d at byte %lld", (int)code,
                  (long long)offset);
        break;
    default:
        break;
    }
}

/* Broken MIME must not hide text: scan the raw message as well. */
static void view_add_raw(struct view *v, const struct spool *message)
{
    size_t len;
    char *raw = view_slurp(v, message, v->limits.max_text, &len);

    if (raw == NULL)
        return;
    if (spool_size(message) > len)
        view_note(v, VIEW_LIMIT_EXCEEDED,
                  "raw text of a malformed message read up to %zu bytes", len);
    view_add_owned_bytes(v, VIEW_BODY, NULL, -1, NULL, raw, raw, len, false);
}

/* Parses STREAM with V's options and walks it: the first reading adds the
 * top headers too.  false when it is not MIME at all. */
static bool view_read(struct view *v, GMimeStream *stream, bool first)
{
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, v->options);
    if (msg != NULL) {
        if (first)
            view_add_headers(v, GMIME_OBJECT(msg), true);
        GMimeObject *body = g_mime_message_get_mime_part(msg);
        if (body != NULL)
            view_walk(v, body, 0);
        g_object_unref(msg);
    }
    g_object_unref(parser);
    return msg != NULL;
}

/*
 * The other readings of an ambiguous MIME structure (view_readings.h),
 * walked after the first one over STREAM, the message's own.  Well-formed
 * mail has none, and pays one look at the lines that start with "--" of
 * a multipart message.
 */
static void view_other_readings(struct view *v, GMimeStream *stream)
{
    if (!view_readings_scan_prefixes(v->readings))
        view_note(v, VIEW_LIMIT_EXCEEDED, "more than %d readings of the MIME structure",
                  VIEW_READINGS_MAX + 1);
    size_t n = view_readings_count(v->readings);
    if (n > 0)
        view_note(v, VIEW_MALFORMED,
                  "an ambiguous MIME structure, read %zu more ways (%s)", n,
                  view_readings_what(v->readings, 0));
    v->later_reading = true;
    for (size_t i = 0; i < n && !v->failed; i++) {
        GMimeStream *reading = view_readings_stream(v->readings, i, stream);
        if (reading == NULL) {
            view_fail(v, "out of memory");
            break;
        }
        view_read(v, reading, false);
        g_object_unref(reading);
    }
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
    v->readings = view_readings_new(message);
    v->options = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(v->options,
                                                      GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(v->options,
                                                        GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_warning_callback(v->options, view_parser_warning, v);
    if (v->readings == NULL)
        view_fail(v, "out of memory");

    /* The stream only reads the message; the cast is for GMime's API. */
    GMimeStream *stream = view_stream_new((struct spool *)message);
    if (!v->failed && !view_read(v, stream, true))
        view_note(v, VIEW_MALFORMED, "not a MIME message");
    if (!v->failed)
        view_other_readings(v, stream);
    g_object_unref(stream);
    g_mime_parser_options_free(v->options);
    view_readings_free(v->readings);
    v->readings = NULL;

    if (!v->failed && (v->flags & VIEW_MALFORMED))
        view_add_raw(v, message);
    view_note_armor(v);
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
    free(v->seen);
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
