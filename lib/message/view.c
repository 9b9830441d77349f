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
#include "view_header.h"
#include "view_probe.h"
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
        char *value = view_header_decode(raw, strlen(raw), &relabeled);
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

/* The raw value of header NAME of OBJ, or NULL. */
static const char *view_raw_header(GMimeObject *obj, const char *name)
{
    GMimeHeader *h =
        g_mime_header_list_get_header(g_mime_object_get_header_list(obj), name);
    return h ? g_mime_header_get_raw_value(h) : NULL;
}

static bool has_8bit(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s & 0x80)
            return true;
    return false;
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
 * The attachment name: the raw parameter when it carries encoded-words or
 * raw 8-bit bytes (GMime loses characters there), else GMime's decoding
 * (which handles RFC 2231 continuations and charsets).  g_malloc'ed or NULL.
 */
static char *view_part_name(struct view *v, GMimeObject *obj)
{
    static const struct {
        const char *header, *param;
    } sources[] = {{"Content-Disposition", "filename"}, {"Content-Type", "name"}};

    for (size_t i = 0; i < sizeof(sources) / sizeof(*sources); i++) {
        const char *raw_header = view_raw_header(obj, sources[i].header);
        char *raw =
            raw_header ? view_header_raw_param(raw_header, sources[i].param) : NULL;
        if (raw != NULL && (strstr(raw, "=?") != NULL || has_8bit(raw))) {
            bool relabeled;
            char *name = view_header_decode(raw, strlen(raw), &relabeled);
            if (relabeled)
                v->flags |= VIEW_CHARSET_RELABELED;
            g_free(raw);
            return name;
        }
        g_free(raw);
        const char *decoded = NULL;
        if (i == 0) {
            GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
            decoded =
                cd ? g_mime_content_disposition_get_parameter(cd, "filename") : NULL;
        } else {
            decoded = g_mime_object_get_content_type_parameter(obj, "name");
        }
        if (decoded != NULL && *decoded != '\0')
            return view_gmime_name(v, decoded);
    }
    return NULL;
}

/*
 * A name that hides what the file is: bidi controls (which can show
 * "txt.exe" as "exe.txt"), or a document extension followed by an
 * executable one ("invoice.pdf.exe", "report.doc    .scr").
 */
static bool view_suspicious_name(const char *name)
{
    static const char *const executable[] = {
        "exe", "scr", "com", "bat", "cmd", "pif", "js",  "jse", "vbs", "vbe", "jar",
        "msi", "lnk", "hta", "ps1", "wsf", "cpl", "iso", "img", "reg", "dll"};

    if (strstr(name, "\xe2\x80\x8e") || strstr(name, "\xe2\x80\x8f") || /* LRM RLM */
        strstr(name, "\xe2\x80\xaa") || strstr(name, "\xe2\x80\xab") || /* LRE RLE */
        strstr(name, "\xe2\x80\xac") || strstr(name, "\xe2\x80\xad") || /* PDF LRO */
        strstr(name, "\xe2\x80\xae") || strstr(name, "\xe2\x81\xa6") || /* RLO LRI */
        strstr(name, "\xe2\x81\xa7") || strstr(name, "\xe2\x81\xa8") || /* RLI FSI */
        strstr(name, "\xe2\x81\xa9"))                                   /* PDI */
        return true;
    const char *last = strrchr(name, '.');
    if (last == NULL || last == name)
        return false;
    bool exec = false;
    for (size_t i = 0; i < sizeof(executable) / sizeof(*executable); i++)
        if (strcasecmp(last + 1, executable[i]) == 0)
            exec = true;
    if (!exec)
        return false;
    /* Another extension before it, perhaps padded with spaces. */
    const char *p = last;
    while (p > name && p[-1] == ' ')
        p--;
    size_t ext_len = 0;
    while (p > name && p[-1] != '.' && p[-1] != ' ' && ext_len <= 5) {
        p--;
        ext_len++;
    }
    return p > name && p[-1] == '.' && ext_len >= 2 && ext_len <= 5;
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

/* Adds an attachment record; returns its index, or -1 when out of memory. */
static int view_add_attachment(struct view *v, const char *name, const char *type,
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
    a->name = strdup(name ? name : "");
    a->content_type = strdup(type);
    a->size = size;
    a->parent = parent;
    a->depth = depth;
    if (a->name == NULL || a->content_type == NULL) {
        free((char *)a->name);
        free((char *)a->content_type);
        view_fail(v, "out of memory");
        return -1;
    }
    if (name != NULL && view_suspicious_name(name)) {
        a->suspicious_name = true;
        v->flags |= VIEW_SUSPICIOUS_NAME;
    }
    return (int)v->nattachments++;
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
 * One leaf MIME part: body text, or an attachment.  Long because every
 * reading of a part is decided here in order - name, type, the probe's
 * skip, decode, text or extraction - and each cut sets its flag here.
 */
static void view_leaf(struct view *v, GMimePart *part, unsigned depth)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char type[128];
    snprintf(type, sizeof(type), "%s/%s",
             ct && g_mime_content_type_get_media_type(ct)
                 ? g_mime_content_type_get_media_type(ct)
                 : "application",
             ct && g_mime_content_type_get_media_subtype(ct)
                 ? g_mime_content_type_get_media_subtype(ct)
                 : "octet-stream");
    for (char *p = type; *p; p++)
        *p = (char)g_ascii_tolower(*p);
    const char *charset = g_mime_object_get_content_type_parameter(obj, "charset");
    char *name = view_part_name(v, obj);
    GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
    bool is_html = strcmp(type, "text/html") == 0;
    bool body = name == NULL && !(cd && g_mime_content_disposition_is_attachment(cd)) &&
                (strcmp(type, "text/plain") == 0 || is_html);

    GMimeDataWrapper *content = g_mime_part_get_content(part);
    uint64_t probed_size;
    if (!body && content != NULL && view_probe_skippable(content, type, &probed_size)) {
        int index = view_add_attachment(v, name, type, probed_size, -1, depth);
        if (index >= 0 && name != NULL && *name != '\0')
            view_add_text(v, VIEW_ATTACHMENT_NAME, NULL, index, name, strlen(name));
        g_free(name);
        return;
    }

    /* Decode the transfer encoding into a spool: RAM up to the limit, then a file. */
    struct spool *decoded = spool_new(v->limits.memory_limit, v->limits.temp_dir);
    if (decoded == NULL) {
        g_free(name);
        view_fail(v, "out of memory");
        return;
    }
    if (content != NULL) {
        /* The decoded size is about known: take the memory at once. */
        GMimeStream *raw = g_mime_data_wrapper_get_stream(content);
        gint64 encoded = raw ? g_mime_stream_length(raw) : -1;
        char err[256];
        if (encoded > 0 && spool_expect(decoded,
                                        g_mime_data_wrapper_get_encoding(content) ==
                                                GMIME_CONTENT_ENCODING_BASE64
                                            ? (uint64_t)encoded / 4 * 3 + 4
                                            : (uint64_t)encoded,
                                        err, sizeof(err)) != 0)
            view_fail(v, err);
        GMimeStream *out = view_stream_new(decoded);
        /* Any failure (a spill file that cannot be written, a read error of
         * the message's own spool) fails the view: a part read halfway must
         * not count as inspected. */
        if (g_mime_data_wrapper_write_to_stream(content, out) < 0)
            view_fail(v, view_stream_error(out) ? view_stream_error(out)
                                                : "cannot decode an attachment");
        g_object_unref(out);
    }

    size_t len = 0;
    char *bytes = NULL;
    uint64_t decoded_size = spool_size(decoded); /* the spool may be emptied below */
    if (!v->failed &&
        (body || view_is_text_type(type) || view_name_ends(name ? name : "", ".csv") ||
         view_name_ends(name ? name : "", ".txt"))) {
        bytes = view_slurp_take(v, decoded, v->limits.max_text, &len);
        if (bytes != NULL && decoded_size > len)
            view_note(v, VIEW_LIMIT_EXCEEDED,
                      "a %s part of %llu bytes was read only up to %zu", type,
                      (unsigned long long)decoded_size, len);
    }
    if (body) {
        if (bytes != NULL)
            view_add_owned_bytes(v, VIEW_BODY, NULL, -1, charset, bytes, bytes, len,
                                 is_html);
        bytes = NULL;
    } else if (!v->failed) {
        int index = view_add_attachment(v, name, type, decoded_size, -1, depth);
        if (index >= 0 && name != NULL && *name != '\0')
            view_add_text(v, VIEW_ATTACHMENT_NAME, NULL, index, name, strlen(name));
        if (index >= 0 && bytes != NULL) {
            view_add_owned_bytes(v, VIEW_ATTACHMENT_TEXT, NULL, index, charset, bytes,
                                 bytes, len, is_html);
            bytes = NULL;
        } else if (index >= 0) {
            view_extract(v, decoded, name ? name : "", index, depth);
        }
    }
    free(bytes); /* the part was not read as text after all (a failure) */
    spool_free(decoded);
    g_free(name);
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
    int index = view_add_attachment(v, name.text, "application/octet-stream", size,
                                    parent, depth);
    if (index >= 0) {
        v->attachments[index].encrypted = encrypted;
        if (name.len > 0)
            view_add_text(v, VIEW_ATTACHMENT_NAME, NULL, index, name.text, name.len);
    }
    free(name.text);
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
    view_add_headers(v, GMIME_OBJECT(inner), false);
    GMimeObject *body = g_mime_message_get_mime_part(inner);
    if (body != NULL)
        view_walk(v, body, depth + 1);
}

static void view_walk(struct view *v, GMimeObject *obj, unsigned depth)
{
    if (v->failed)
        return;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int count = g_mime_multipart_get_count(mp);
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
    GMimeParserOptions *options = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(options,
                                                      GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(options,
                                                        GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_warning_callback(options, view_parser_warning, v);

    /* The stream only reads the message; the cast is for GMime's API. */
    GMimeStream *stream = view_stream_new((struct spool *)message);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, options);

    if (msg == NULL) {
        view_note(v, VIEW_MALFORMED, "not a MIME message");
    } else {
        view_add_headers(v, GMIME_OBJECT(msg), true);
        GMimeObject *body = g_mime_message_get_mime_part(msg);
        if (body != NULL)
            view_walk(v, body, 0);
        g_object_unref(msg);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    g_mime_parser_options_free(options);

    if (!v->failed && (v->flags & VIEW_MALFORMED))
        view_add_raw(v, message);
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
    for (size_t i = 0; i < v->nattachments; i++) {
        free((char *)v->attachments[i].name);
        free((char *)v->attachments[i].content_type);
    }
    free(v->texts);
    free(v->attachments);
    free(v->subject);
    free(v->header_from);
    for (size_t i = 0; i < v->nheader_rcpts; i++)
        free(v->header_rcpts[i]);
    free(v->header_rcpts);
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
