/* view_readings - see view_readings.h. */
#include "view_readings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* N bytes at OFFSET replaced by as many others. */
struct patch {
    gint64 offset;
    size_t len;
    char *bytes;
};

struct reading {
    struct patch *patches; /* sorted by offset, not overlapping */
    size_t n;
    char what[96];
};

struct view_readings {
    const struct spool *message;
    struct reading readings[VIEW_READINGS_MAX];
    size_t n;
    /* Every boundary noted, used and alternative (a set: a message may hold
     * many thousands of multiparts), and which lengths they come in, so a
     * line is checked with one lookup per length. */
    GHashTable *boundaries;
    bool lengths[VIEW_BOUNDARY_MAX + 1];
    size_t longest;
};

struct view_readings *view_readings_new(const struct spool *message)
{
    struct view_readings *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->message = message;
    r->boundaries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return r;
}

static void reading_clear(struct reading *rd)
{
    for (size_t i = 0; i < rd->n; i++)
        free(rd->patches[i].bytes);
    free(rd->patches);
    memset(rd, 0, sizeof(*rd));
}

void view_readings_free(struct view_readings *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        reading_clear(&r->readings[i]);
    g_hash_table_destroy(r->boundaries);
    free(r);
}

size_t view_readings_count(const struct view_readings *r)
{
    return r ? r->n : 0;
}

const char *view_readings_what(const struct view_readings *r, size_t i)
{
    return r->readings[i].what;
}

/* Adds a patch to RD, kept in offset order.  false when out of memory. */
static bool add_patch(struct reading *rd, gint64 offset, const char *bytes, size_t len)
{
    struct patch *grown = realloc(rd->patches, (rd->n + 1) * sizeof(*grown));
    char *copy = malloc(len ? len : 1);
    if (grown == NULL || copy == NULL) {
        free(copy);
        if (grown != NULL)
            rd->patches = grown;
        return false;
    }
    rd->patches = grown;
    memcpy(copy, bytes, len);
    size_t at = rd->n;
    while (at > 0 && grown[at - 1].offset > offset) {
        grown[at] = grown[at - 1];
        at--;
    }
    grown[at] = (struct patch){offset, len, copy};
    rd->n++;
    return true;
}

/* Notes boundary B.  One longer than VIEW_BOUNDARY_MAX is DROPPED: no
 * line is checked against it. */
static enum view_readings_result remember_boundary(struct view_readings *r, const char *b)
{
    size_t len = b ? strlen(b) : 0;
    if (len == 0)
        return VIEW_READINGS_OK;
    if (len > VIEW_BOUNDARY_MAX)
        return VIEW_READINGS_DROPPED;
    g_hash_table_add(r->boundaries, g_strdup(b)); /* GLib aborts when out of memory */
    r->lengths[len] = true;
    if (len > r->longest)
        r->longest = len;
    return VIEW_READINGS_OK;
}

/* The worse of two results: an error, else a dropped reading, else OK. */
static enum view_readings_result worse(enum view_readings_result a,
                                       enum view_readings_result b)
{
    return a == VIEW_READINGS_ERROR || b == VIEW_READINGS_ERROR ? VIEW_READINGS_ERROR
           : a == VIEW_READINGS_DROPPED || b == VIEW_READINGS_DROPPED
               ? VIEW_READINGS_DROPPED
               : VIEW_READINGS_OK;
}

#define HEADER_MAX (1024 * 1024) /* Postfix's header_size_limit is 100 KB by default */

/*
 * The extent of the header that starts at OFFSET: its bytes up to the end
 * of its last line (the line end itself excluded), into *LEN.  DROPPED when
 * it is longer than HEADER_MAX, ERROR when it cannot be read.
 */
static enum view_readings_result header_extent(const struct spool *message, gint64 offset,
                                               size_t *len)
{
    char err[64];
    char *buf = malloc(HEADER_MAX);
    if (buf == NULL)
        return VIEW_READINGS_ERROR;
    ssize_t n =
        spool_read_at(message, (uint64_t)offset, buf, HEADER_MAX, err, sizeof(err));
    enum view_readings_result rc = n < 0 ? VIEW_READINGS_ERROR : VIEW_READINGS_DROPPED;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\n' && (i + 1 == n || (buf[i + 1] != ' ' && buf[i + 1] != '\t'))) {
            *len = (size_t)(i > 0 && buf[i - 1] == '\r' ? i - 1 : i);
            rc = VIEW_READINGS_OK;
            break;
        }
    free(buf);
    return rc;
}

/* Text of exactly LEN bytes: TEXT, then a padding parameter or spaces. */
static char *padded(const char *text, size_t len)
{
    size_t n = strlen(text);
    char *out = n <= len ? malloc(len + 1) : NULL;
    if (out == NULL)
        return NULL;
    memcpy(out, text, n);
    memset(out + n, ' ', len - n); /* trailing white space: ignored by every reader */
    out[len] = '\0';
    return out;
}

/*
 * A reading where the multipart's Content-Type header at OFFSET (the one
 * that names BOUNDARY) is rewritten to name only it, and its other
 * Content-Type headers (OTHERS, NOTHERS) are renamed out of the way.
 */
static enum view_readings_result
add_boundary_reading(struct view_readings *r, const char *type, const char *boundary,
                     gint64 offset, const gint64 *others, size_t nothers)
{
    size_t len = 0;
    enum view_readings_result extent = header_extent(r->message, offset, &len);
    if (extent != VIEW_READINGS_OK)
        return extent;
    if (r->n == VIEW_READINGS_MAX)
        return VIEW_READINGS_DROPPED;
    char text[512];
    snprintf(text, sizeof(text), "Content-Type: %s; boundary=\"%s\"", type, boundary);
    if (strlen(text) > len)
        return VIEW_READINGS_DROPPED; /* no room for it: a folded, shorter header */
    char *header = padded(text, len);
    struct reading *rd = &r->readings[r->n];
    bool ok = header != NULL && add_patch(rd, offset, header, len);
    for (size_t i = 0; ok && i < nothers; i++)
        ok = add_patch(rd, others[i], "X-Ignored-CT", 12); /* as long as "Content-Type" */
    free(header);
    if (!ok) {
        reading_clear(rd);
        return VIEW_READINGS_ERROR;
    }
    snprintf(rd->what, sizeof(rd->what), "boundary \"%.60s\"", boundary);
    r->n++;
    return VIEW_READINGS_OK;
}

enum view_readings_result view_readings_note_multipart(struct view_readings *r,
                                                       GMimeObject *obj,
                                                       GMimeParserOptions *options)
{
    const char *used = g_mime_multipart_get_boundary(GMIME_MULTIPART(obj));
    GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
    int count = headers ? g_mime_header_list_get_count(headers) : 0;
    gint64 cts[8];
    size_t ncts = 0;
    enum view_readings_result result = remember_boundary(r, used);
    for (int i = 0; i < count && ncts < 8; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
        if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Content-Type") == 0)
            cts[ncts++] = g_mime_header_get_offset(h);
    }
    for (int i = 0, k = 0; i < count; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
        if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Content-Type") != 0 || k >= 8)
            continue;
        k++;
        const char *value = g_mime_header_get_value(h);
        GMimeContentType *ct = value ? g_mime_content_type_parse(options, value) : NULL;
        GMimeParamList *params = ct ? g_mime_content_type_get_parameters(ct) : NULL;
        int nparams = params ? g_mime_param_list_length(params) : 0;
        for (int j = 0; j < nparams; j++) {
            GMimeParam *p = g_mime_param_list_get_parameter_at(params, j);
            const char *b = g_mime_param_get_value(p);
            if (g_ascii_strcasecmp(g_mime_param_get_name(p), "boundary") != 0 ||
                b == NULL)
                continue;
            result = worse(result, remember_boundary(r, b));
            if (used != NULL && strcmp(b, used) == 0)
                continue;
            /* The other Content-Type headers of this part step aside. */
            gint64 others[8];
            size_t nothers = 0;
            for (size_t c = 0; c < ncts; c++)
                if (cts[c] != g_mime_header_get_offset(h) && cts[c] >= 0)
                    others[nothers++] = cts[c];
            char type[200];
            snprintf(type, sizeof(type), "%.90s/%.90s",
                     g_mime_content_type_get_media_type(ct),
                     g_mime_content_type_get_media_subtype(ct));
            if (g_mime_header_get_offset(h) >= 0)
                result = worse(result, add_boundary_reading(r, type, b,
                                                            g_mime_header_get_offset(h),
                                                            others, nothers));
        }
        if (ct != NULL)
            g_object_unref(ct);
    }
    return result;
}

enum view_readings_result view_readings_note_type(struct view_readings *r,
                                                  GMimeObject *obj, gint64 kept)
{
    GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
    int count = headers ? g_mime_header_list_get_count(headers) : 0;

    if (kept < 0)
        return VIEW_READINGS_OK; /* a header GMime did not place: nothing to patch */
    if (r->n == VIEW_READINGS_MAX)
        return VIEW_READINGS_DROPPED;
    struct reading *rd = &r->readings[r->n];
    bool ok = true;
    for (int i = 0; i < count && ok; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
        gint64 at = g_mime_header_get_offset(h);
        if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Content-Type") == 0 &&
            at >= 0 && at != kept)
            ok = add_patch(rd, at, "X-Ignored-CT", 12); /* as long as "Content-Type" */
    }
    if (!ok) {
        reading_clear(rd);
        return VIEW_READINGS_ERROR;
    }
    snprintf(rd->what, sizeof(rd->what), "the Content-Type at byte %lld",
             (long long)kept);
    r->n++;
    return VIEW_READINGS_OK;
}

/*
 * LINE (LEN bytes, its line end excluded) starts at OFFSET: if it begins
 * with "--" and a noted boundary and goes on with something that makes it
 * no boundary to GMime, its tail becomes transport padding in RD.  false
 * when out of memory.
 */
static bool check_line(struct view_readings *r, struct reading *rd, const char *line,
                       size_t len, gint64 offset)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len < 3 || line[0] != '-' || line[1] != '-')
        return true;
    const char *text = line + 2;
    size_t textlen = len - 2, longest = 0;
    /* The longest boundary the line begins with is the one it names. */
    char prefix[VIEW_BOUNDARY_MAX + 1];
    for (size_t blen = textlen < r->longest ? textlen : r->longest; blen > 0; blen--) {
        if (!r->lengths[blen])
            continue;
        memcpy(prefix, text, blen);
        prefix[blen] = '\0';
        if (g_hash_table_contains(r->boundaries, prefix)) {
            longest = blen;
            break;
        }
    }
    if (longest == 0 || longest == textlen)
        return true;
    const char *rest = text + longest;
    size_t restlen = textlen - longest;
    if (rest[0] == ' ' || rest[0] == '\t' ||
        (restlen >= 2 && rest[0] == '-' && rest[1] == '-'))
        return true; /* "--B  " and "--B--" are what they seem */
    char *spaces = malloc(restlen);
    if (spaces == NULL)
        return false;
    memset(spaces, ' ', restlen);
    bool ok = add_patch(rd, offset + 2 + (gint64)longest, spaces, restlen);
    free(spaces);
    return ok;
}

/* Checks every line of the message that starts with "--" (check_line).
 * false when it cannot be read, or out of memory. */
static bool prefix_patches(struct view_readings *r, struct reading *rd)
{
    char buf[65536], err[64];
    uint64_t size = spool_size(r->message);
    gint64 base = 0; /* the offset of buf[0], always a line start */
    size_t have = 0;
    bool skipping = false; /* inside a line longer than the buffer */
    while ((uint64_t)base + have < size) {
        ssize_t n = spool_read_at(r->message, (uint64_t)base + have, buf + have,
                                  sizeof(buf) - have, err, sizeof(err));
        if (n <= 0)
            return false;
        have += (size_t)n;
        bool more = (uint64_t)base + have < size;
        size_t i = 0;
        while (i < have) {
            const char *nl = memchr(buf + i, '\n', have - i);
            if (nl == NULL && more)
                break;
            size_t end = nl ? (size_t)(nl - buf) : have;
            if (!skipping && !check_line(r, rd, buf + i, end - i, base + (gint64)i))
                return false;
            skipping = false;
            i = nl ? end + 1 : have;
        }
        if (i == 0 && have == sizeof(buf)) { /* no boundary is that long: skip it */
            skipping = true;
            i = have;
        }
        memmove(buf, buf + i, have - i);
        base += (gint64)i;
        have -= i;
    }
    return true;
}

/* Copies the patches of FROM into TO (both sorted, not overlapping). */
static bool copy_patches(struct reading *to, const struct reading *from)
{
    for (size_t i = 0; i < from->n; i++)
        if (!add_patch(to, from->patches[i].offset, from->patches[i].bytes,
                       from->patches[i].len))
            return false;
    return true;
}

enum view_readings_result view_readings_scan_prefixes(struct view_readings *r)
{
    struct reading prefix = {0};
    if (r->longest == 0)
        return VIEW_READINGS_OK;
    if (!prefix_patches(r, &prefix)) {
        reading_clear(&prefix);
        return VIEW_READINGS_ERROR;
    }
    if (prefix.n == 0)
        return VIEW_READINGS_OK;
    enum view_readings_result result = VIEW_READINGS_OK;
    size_t before = r->n;
    /* The first reading's twin, then each other reading's. */
    for (size_t i = 0; i <= before; i++) {
        if (r->n == VIEW_READINGS_MAX) {
            result = VIEW_READINGS_DROPPED;
            break;
        }
        struct reading *rd = &r->readings[r->n];
        if (!copy_patches(rd, &prefix) ||
            (i > 0 && !copy_patches(rd, &r->readings[i - 1]))) {
            reading_clear(rd);
            result = VIEW_READINGS_ERROR;
            break;
        }
        snprintf(rd->what, sizeof(rd->what), "prefix boundaries%s%.60s", i ? ", " : "",
                 i ? r->readings[i - 1].what : "");
        r->n++;
    }
    reading_clear(&prefix);
    return result;
}

GMimeStream *view_readings_stream(const struct view_readings *r, size_t i,
                                  GMimeStream *base)
{
    const struct reading *rd = &r->readings[i];
    GMimeStream *cat = g_mime_stream_cat_new();
    gint64 at = 0, end = (gint64)spool_size(r->message);
    for (size_t p = 0; p <= rd->n; p++) {
        gint64 upto = p < rd->n ? rd->patches[p].offset : end;
        if (upto > at) {
            GMimeStream *piece = g_mime_stream_substream(base, at, upto);
            g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), piece);
            g_object_unref(piece);
        }
        if (p < rd->n) {
            GMimeStream *mem = g_mime_stream_mem_new_with_buffer(rd->patches[p].bytes,
                                                                 rd->patches[p].len);
            g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), mem);
            g_object_unref(mem);
            at = rd->patches[p].offset + (gint64)rd->patches[p].len;
        }
    }
    return cat;
}
