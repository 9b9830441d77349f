/* rewrite - see rewrite.h. */
#include "rewrite.h"

#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "view_stream.h"

/* Bytes of a part's headers looked through for the delimiter line before them. */
#define HEADERS_MAX (256 * 1024)
#define COPY_CHUNK  65536

/* A leaf part and where its bytes are in the message. */
struct leaf {
    GMimePart *part;
    uint64_t delimiter; /* where the line break before its delimiter line starts */
    uint64_t start;     /* the first byte after its delimiter line (its headers) */
    uint64_t content_start, content_end;
    bool chosen;
};

struct rewrite {
    struct spool *message;
    const struct rewrite_options *options;
    rewrite_choose_fn choose;
    void *ctx;
    struct leaf *leaves;
    size_t nleaves, cap;
    bool crlf; /* the message's line breaks */
    char *err;
    size_t errlen;
    bool failed;
    bool refused; /* the first failure was the message's structure */
    size_t names_kept_utf8;
};

static bool rewrite_fail(struct rewrite *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool rewrite_fail(struct rewrite *r, const char *fmt, ...)
{
    va_list ap;
    if (!r->failed) {
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    r->failed = true;
    return false;
}

/* rewrite_fail() for what the message is, not the system: a retry fails the same. */
#define rewrite_refuse(r, ...)                                                           \
    ((r)->refused = !(r)->failed, rewrite_fail((r), __VA_ARGS__))

/* The raw content stream of PART: its bounds are its content's place in the message. */
static GMimeStream *content_stream(GMimePart *part)
{
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    return w ? g_mime_data_wrapper_get_stream(w) : NULL;
}

/*
 * Finds the delimiter line ("--" BOUNDARY at a line start) last before the
 * content of leaf L, and so where L's bytes start.  False when there is
 * none within HEADERS_MAX bytes.
 */
static bool find_delimiter(struct rewrite *r, struct leaf *l, const char *boundary)
{
    uint64_t from = l->content_start > HEADERS_MAX ? l->content_start - HEADERS_MAX : 0;
    size_t n = (size_t)(l->content_start - from), blen = strlen(boundary);
    char *buf = malloc(n + 1);
    char err[256];

    if (buf == NULL)
        return rewrite_fail(r, "out of memory");
    if (spool_read_full(r->message, from, buf, n, err, sizeof(err)) != 0) {
        free(buf);
        return rewrite_fail(r, "cannot read the message: %s", err);
    }
    for (size_t p = n; p-- > 0;) {
        bool line_start = p == 0 ? from == 0 : buf[p - 1] == '\n';
        if (!line_start || n - p < blen + 2 || buf[p] != '-' || buf[p + 1] != '-' ||
            memcmp(buf + p + 2, boundary, blen) != 0)
            continue;
        const char *nl = memchr(buf + p, '\n', n - p);
        if (nl == NULL)
            break;
        l->start = from + (uint64_t)(nl - buf) + 1;
        l->delimiter = from + p;
        if (p > 0 && buf[p - 1] == '\n') {
            l->delimiter--;
            if (p > 1 && buf[p - 2] == '\r')
                l->delimiter--;
        }
        r->crlf = nl > buf + p && nl[-1] == '\r';
        free(buf);
        /* The content starts after the blank line that ends its headers. */
        return l->start <= l->content_start;
    }
    free(buf);
    return false;
}

/* Offers every leaf under OBJ (a part of a multipart with BOUNDARY) to the caller. */
static void walk(struct rewrite *r, GMimeObject *obj, const char *boundary)
{
    if (r->failed)
        return;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *m = GMIME_MULTIPART(obj);
        const char *b = g_mime_multipart_get_boundary(m);
        if (b == NULL || *b == '\0') {
            rewrite_refuse(r, "a multipart without a boundary");
            return;
        }
        for (int i = 0; i < g_mime_multipart_get_count(m); i++)
            walk(r, g_mime_multipart_get_part(m, i), b);
        return;
    }
    if (r->nleaves == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct leaf *grown = realloc(r->leaves, cap * sizeof(*grown));
        if (grown == NULL) {
            rewrite_fail(r, "out of memory");
            return;
        }
        r->leaves = grown;
        r->cap = cap;
    }
    struct leaf *l = &r->leaves[r->nleaves];
    memset(l, 0, sizeof(*l));
    GMimeStream *s = GMIME_IS_PART(obj) ? content_stream(GMIME_PART(obj)) : NULL;
    if (s != NULL) {
        l->part = GMIME_PART(obj);
        l->content_start = (uint64_t)s->bound_start;
        l->content_end = (uint64_t)s->bound_end;
    }
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
    const char *name = l->part ? g_mime_part_get_filename(l->part) : NULL;
    GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
    struct rewrite_leaf offered = {
        .index = r->nleaves,
        .type = type ? type : "application/octet-stream",
        .name = name,
        /* As the view counts them (view_leaf.c): a file name, an attachment
         * disposition, or any type but the text/plain and text/html of a body. */
        .attachment = name != NULL ||
                      (d && g_mime_content_disposition_is_attachment(d)) ||
                      (type != NULL && g_ascii_strcasecmp(type, "text/plain") != 0 &&
                       g_ascii_strcasecmp(type, "text/html") != 0),
    };
    l->chosen = r->choose(r->ctx, &offered);
    g_free(type);
    if (l->chosen && l->part == NULL) {
        rewrite_refuse(r, "a chosen part that is no leaf with content");
        return;
    }
    if (l->chosen && boundary == NULL) {
        rewrite_refuse(r, "a message that is no multipart: its attachment cannot be "
                          "replaced in its body alone");
        return;
    }
    if (l->chosen && !find_delimiter(r, l, boundary)) {
        rewrite_refuse(r, "the delimiter line before a chosen part was not found");
        return;
    }
    r->nleaves++;
}

/* NAME made fit for the zip (no path, no controls) and unique among NAMES so far. */
static char *entry_name(const char *name, size_t index, GPtrArray *names)
{
    GString *s = g_string_new(NULL);
    if (name != NULL)
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
            g_string_append_c(
                s, *p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' ? '_' : (char)*p);
    if (s->len == 0 || strcmp(s->str, ".") == 0 || strcmp(s->str, "..") == 0)
        g_string_printf(s, "attachment-%zu", index + 1);
    char *base = g_strdup(s->str);
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    for (unsigned n = 2;; n++) {
        bool taken = false;
        for (guint i = 0; i < names->len && !taken; i++)
            taken = strcmp(g_ptr_array_index(names, i), s->str) == 0;
        if (!taken)
            break;
        g_string_printf(s, "%.*s (%u)%s", (int)stem, base, n, base + stem);
    }
    g_free(base);
    char *out = g_string_free(s, FALSE);
    g_ptr_array_add(names, out);
    return out;
}

/* The time a part says its file was last modified (RFC 2183), or NOW. */
static time_t modification_time(GMimePart *part, time_t now)
{
    GMimeContentDisposition *d =
        g_mime_object_get_content_disposition(GMIME_OBJECT(part));
    const char *date =
        d ? g_mime_content_disposition_get_parameter(d, "modification-date") : NULL;
    GDateTime *t = date ? g_mime_utils_header_decode_date(date) : NULL;
    time_t when = t ? (time_t)g_date_time_to_unix(t) : now;
    if (t)
        g_date_time_unref(t);
    return when;
}

/* Seals the chosen leaves into *ZIP_FD (*ZIP_SIZE bytes).  False with the error set. */
static bool seal_chosen(struct rewrite *r, int *zip_fd, uint64_t *zip_size,
                        size_t *sealed)
{
    const struct rewrite_options *o = r->options;
    char err[256];
    struct seal *s =
        seal_new(o->method, o->names, o->password, o->temp_dir, err, sizeof(err));
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *spools = g_ptr_array_new_with_free_func((GDestroyNotify)spool_free);
    time_t now = time(NULL);
    bool ok = s != NULL;

    if (s == NULL)
        rewrite_fail(r, "%s", err);
    for (size_t i = 0; i < r->nleaves && ok; i++) {
        struct leaf *l = &r->leaves[i];
        if (!l->chosen)
            continue;
        struct spool *data = spool_new(o->memory_limit, o->temp_dir);
        if (data == NULL) {
            ok = rewrite_fail(r, "out of memory");
            break;
        }
        g_ptr_array_add(spools, data);
        GMimeStream *out = view_stream_new(data);
        GMimeDataWrapper *w = g_mime_part_get_content(l->part);
        ssize_t n = g_mime_data_wrapper_write_to_stream(w, out);
        const char *werr = view_stream_error(out);
        /* GMime's decoders do not fail on bad input: an error here is a read
         * of the message or a write of the spill file (a full temp_dir). */
        if (n < 0 || werr != NULL)
            ok = rewrite_fail(r, "cannot decode an attachment: %s",
                              werr ? werr : "a read error");
        g_object_unref(out);
        if (!ok)
            break;
        const char *name = entry_name(g_mime_part_get_filename(l->part), i, names);
        if (seal_add(s, name, modification_time(l->part, now), data,
                     seal_worth_compressing(name), err, sizeof(err)) != 0) {
            ok = rewrite_fail(r, "%s", err);
            break;
        }
        (*sealed)++;
    }
    if (ok && o->progress != NULL)
        seal_set_progress(s, o->progress, o->progress_ctx);
    if (ok && seal_finish(s, zip_fd, zip_size, err, sizeof(err)) != 0)
        ok = rewrite_fail(r, "%s", err);
    if (ok)
        r->names_kept_utf8 = seal_names_kept_utf8(s);
    seal_free(s); /* after the spools' last read */
    g_ptr_array_free(spools, TRUE);
    g_ptr_array_free(names, TRUE);
    return ok;
}

/* The zip's MIME part (headers, blank line, base64), without its last line break, in OUT.
 */
static bool zip_part(struct rewrite *r, int zip_fd, struct spool *out)
{
    GMimePart *part = g_mime_part_new_with_type("application", "zip");
    GMimeStream *zip = g_mime_stream_fs_new(zip_fd); /* owns the descriptor now */
    GMimeDataWrapper *w =
        g_mime_data_wrapper_new_with_stream(zip, GMIME_CONTENT_ENCODING_DEFAULT);
    GMimeFormatOptions *fmt = g_mime_format_options_new();
    struct spool *tmp = spool_new(r->options->memory_limit, r->options->temp_dir);
    bool ok = tmp != NULL;

    g_mime_format_options_set_newline_format(fmt, r->crlf ? GMIME_NEWLINE_FORMAT_DOS
                                                          : GMIME_NEWLINE_FORMAT_UNIX);
    g_mime_part_set_content(part, w);
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    g_mime_part_set_filename(part, r->options->zip_name);
    if (ok) {
        GMimeStream *s = view_stream_new(tmp);
        ok = g_mime_object_write_to_stream(GMIME_OBJECT(part), fmt, s) > 0 &&
             view_stream_error(s) == NULL;
        g_object_unref(s);
    }
    if (!ok) {
        rewrite_fail(r, "cannot write the zip's part");
    } else {
        /* The line break before the next delimiter belongs to the delimiter. */
        uint64_t size = spool_size(tmp), keep = size;
        char last[2], err[256];
        if (size >= 2 && spool_read_at(tmp, size - 2, last, 2, err, sizeof(err)) == 2)
            keep -= last[1] == '\n' ? (last[0] == '\r' ? 2 : 1) : 0;
        if (spool_copy(tmp, 0, keep, out, err, sizeof(err)) != 0)
            ok = rewrite_fail(r, "cannot write the zip's part: %s", err);
    }
    spool_free(tmp);
    g_mime_format_options_free(fmt);
    g_object_unref(w);
    g_object_unref(zip);
    g_object_unref(part);
    return ok;
}

/* Copies MESSAGE's bytes [FROM, TO) to OUT. */
static bool copy_range(struct rewrite *r, uint64_t from, uint64_t to, struct spool *out)
{
    char err[256];
    return spool_copy(r->message, from, to, out, err, sizeof(err)) == 0 ||
           rewrite_fail(r, "cannot copy the message: %s", err);
}

/* Appends a copy of STREAM's bytes to *OUT (a malloc'ed buffer). */
static bool read_all(GMimeStream *stream, GByteArray *out)
{
    char buf[COPY_CHUNK];
    ssize_t n;
    g_mime_stream_reset(stream);
    while ((n = g_mime_stream_read(stream, buf, sizeof(buf))) > 0)
        g_byte_array_append(out, (const guint8 *)buf, (guint)n);
    return n == 0 || g_mime_stream_eos(stream);
}

/* Collects the leaf parts under OBJ in document order. */
static void leaves_of(GMimeObject *obj, GPtrArray *out)
{
    if (GMIME_IS_MULTIPART(obj)) {
        for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++)
            leaves_of(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), out);
    } else {
        g_ptr_array_add(out, obj);
    }
}

/* Compares the raw content of two leaves (NULL: no content). */
static bool same_content(GMimeObject *a, GMimeObject *b)
{
    if (GMIME_IS_PART(a) != GMIME_IS_PART(b))
        return false;
    if (!GMIME_IS_PART(a))
        return true; /* message/rfc822 and the like: not rewritten, not compared */
    GMimeStream *sa = content_stream(GMIME_PART(a)), *sb = content_stream(GMIME_PART(b));
    if (sa == NULL || sb == NULL)
        return sa == sb;
    GByteArray *x = g_byte_array_new(), *y = g_byte_array_new();
    /* An empty GByteArray has no data pointer: memcmp may not see NULL. */
    bool same = read_all(sa, x) && read_all(sb, y) && x->len == y->len &&
                (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
    g_byte_array_unref(x);
    g_byte_array_unref(y);
    return same;
}

/*
 * Parses the headers (MESSAGE up to BODY_START) and BODY as the message that
 * will leave and checks it: the kept leaves in order with their content, and
 * the zip where the first chosen leaf was.
 */
static bool verify(struct rewrite *r, GMimeStream *message, uint64_t body_start,
                   struct spool *body, uint64_t body_from)
{
    GMimeStream *cat = g_mime_stream_cat_new();
    GMimeStream *head = g_mime_stream_substream(message, 0, (gint64)body_start);
    GMimeStream *whole = view_stream_new(body);
    GMimeStream *tail = g_mime_stream_substream(whole, (gint64)body_from, -1);
    g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), head);
    g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), tail);
    GMimeParser *parser = g_mime_parser_new_with_stream(cat);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    GPtrArray *got = g_ptr_array_new();
    bool ok = msg != NULL;

    if (ok)
        leaves_of(g_mime_message_get_mime_part(msg), got);
    size_t k = 0;
    bool zip_seen = false;
    for (size_t i = 0; ok && i < r->nleaves; i++) {
        struct leaf *l = &r->leaves[i];
        if (l->chosen && zip_seen)
            continue;
        if (k >= got->len) {
            ok = false;
            break;
        }
        GMimeObject *now = g_ptr_array_index(got, k++);
        if (l->chosen) {
            zip_seen = true;
            GMimeContentType *ct = g_mime_object_get_content_type(now);
            ok = ct && g_mime_content_type_is_type(ct, "application", "zip");
        } else {
            GMimeObject *was = l->part ? GMIME_OBJECT(l->part) : NULL;
            ok = was == NULL ? !GMIME_IS_PART(now) : same_content(was, now);
        }
    }
    char read_error[256] = ""; /* copied: the stream goes before it is reported */
    if (view_stream_error(whole) != NULL)
        snprintf(read_error, sizeof(read_error), "%s", view_stream_error(whole));
    ok = ok && k == got->len && read_error[0] == '\0';
    g_ptr_array_free(got, TRUE);
    if (msg)
        g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(tail);
    g_object_unref(whole);
    g_object_unref(head);
    g_object_unref(cat);
    if (!ok && read_error[0] != '\0')
        return rewrite_fail(r, "cannot read the rewritten body back: %s", read_error);
    return ok || rewrite_refuse(r, "the rewritten message does not hold what it should: "
                                   "not sent");
}

int rewrite_seal(struct spool *message, const struct rewrite_options *options,
                 rewrite_choose_fn choose, void *ctx, struct spool *body,
                 struct rewrite_result *result, char *err, size_t errlen)
{
    struct rewrite r = {
        .message = message,
        .options = options,
        .choose = choose,
        .ctx = ctx,
        .err = err,
        .errlen = errlen,
    };
    GMimeStream *stream = view_stream_new(message);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    int rc = -1;

    memset(result, 0, sizeof(*result));
    if (msg == NULL) {
        rewrite_refuse(&r, "the message does not parse");
        goto done;
    }
    walk(&r, g_mime_message_get_mime_part(msg), NULL);
    if (!r.failed && view_stream_error(stream) != NULL)
        rewrite_fail(&r, "cannot read the message: %s", view_stream_error(stream));
    size_t chosen = 0;
    for (size_t i = 0; i < r.nleaves; i++)
        chosen += r.leaves[i].chosen;
    if (r.failed)
        goto done;
    if (chosen == 0) {
        rc = 1;
        goto done;
    }
    /* The body starts after the blank line at the end of the headers. */
    uint64_t blank = (uint64_t)g_mime_parser_get_headers_end(parser), body_start = blank;
    char line[2];
    if (spool_read_at(message, blank, line, 2, err, errlen) == 2)
        body_start += line[0] == '\r' && line[1] == '\n' ? 2 : line[0] == '\n' ? 1 : 0;
    result->body_start = body_start;
    int zip_fd = -1;
    if (!seal_chosen(&r, &zip_fd, &result->zip_size, &result->sealed))
        goto done;
    uint64_t body_from = spool_size(body), at = body_start;
    bool first = true;
    for (size_t i = 0; i < r.nleaves && !r.failed; i++) {
        struct leaf *l = &r.leaves[i];
        if (!l->chosen)
            continue;
        if (first) {
            first = false;
            if (copy_range(&r, at, l->start, body))
                zip_part(&r, zip_fd, body);
            zip_fd = -1; /* the zip's stream closed it */
        } else {
            copy_range(&r, at, l->delimiter, body);
        }
        at = l->content_end;
    }
    if (zip_fd >= 0)
        close(zip_fd);
    if (!r.failed && copy_range(&r, at, spool_size(message), body) &&
        verify(&r, stream, body_start, body, body_from))
        rc = 0;
done:
    result->refused = r.failed && r.refused;
    result->names_kept_utf8 = r.names_kept_utf8;
    if (msg)
        g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(stream);
    free(r.leaves);
    return rc;
}
