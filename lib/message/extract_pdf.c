/*
 * extract_pdf - see extract_internal.h: a PDF read through its structure.
 *
 * The old shortcut skipped a large PDF by its first and last bytes, and
 * reading every byte for its runs reads compressed data as noise (most of
 * the cost) while missing the text the compression hides.  Walked exactly
 * (pdf.h), a PDF's bytes are told apart: the syntax between streams
 * (dictionaries, strings, xref) is read as it is, a Flate stream is read
 * inflated (content streams, forms, metadata, object streams), an exact
 * JPEG image is pixels and is not read, and any other stream (filters not
 * decoded here, a Flate stream that does not inflate) is read for its raw
 * runs, as any binary.  Bytes after a Flate stream's end inside its
 * /Length are read raw too.  Nothing of the file goes unread except those
 * whole images; every cut is reported.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "errbuf.h"
#include "extract_internal.h"
#include "image.h"
#include "pdf.h"

#define INFLATE_CHUNK 65536

struct pdf_read {
    struct text_runs runs;
    struct extract_budget *budget;
    const struct extract_callbacks *cb;
    int id;
    uint64_t allowed;  /* bytes this PDF may inflate to (the archives' ratio) */
    uint64_t inflated; /* by this PDF so far */
    size_t fed;        /* bytes given to the runs, at most budget->max_text */
    bool cut;          /* max_text reached */
    enum { OVER_NONE, OVER_EXPANDED, OVER_RATIO } over_budget; /* inflating stopped */
    bool encrypted;
    unsigned broken; /* Flate streams that did not inflate to their end */
    bool nomem;
    z_stream z;
    bool z_ready;
    unsigned char *out; /* INFLATE_CHUNK bytes */
};

static void pdf_problem(struct pdf_read *r, enum extract_problem what, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));
static void pdf_problem(struct pdf_read *r, enum extract_problem what, const char *fmt,
                        ...)
{
    char why[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    r->cb->problem(r->cb->ctx, r->id, what, why);
}

/* Gives N bytes at P to the runs, up to max_text in all.  0, or -1 (out of memory). */
static int pdf_feed(struct pdf_read *r, const unsigned char *p, size_t n)
{
    size_t room = r->budget->max_text - r->fed;

    if (n > room) {
        n = room;
        r->cut = true;
    }
    r->fed += n;
    if (n > 0 && text_runs_feed(&r->runs, p, n) != 0) {
        r->nomem = true;
        return -1;
    }
    return 0;
}

/* The N bytes at P, a piece of the file not next to the previous one. */
static int pdf_feed_piece(struct pdf_read *r, const unsigned char *p, size_t n)
{
    if (pdf_feed(r, p, n) != 0 || text_runs_end(&r->runs) != 0) {
        r->nomem = true;
        return -1;
    }
    return 0;
}

static int pdf_on_syntax(void *ctx, uint64_t offset, const char *bytes, size_t len)
{
    (void)offset;
    return pdf_feed_piece(ctx, (const unsigned char *)bytes, len);
}

static int pdf_on_encrypted(void *ctx, uint64_t offset)
{
    (void)offset;
    ((struct pdf_read *)ctx)->encrypted = true;
    return 0;
}

/* Is the stream S an exact JPEG, a DCTDecode image and nothing else? */
static bool pdf_stream_is_jpeg(const struct pdf_stream *s)
{
    if (s->filter_count != 1 || strcmp(s->filters[0], "DCTDecode") != 0)
        return false;
    struct image_walk *w = image_walk_new(IMAGE_JPEG);
    if (w == NULL)
        return false; /* then it is read, which costs only time */
    image_walk_feed(w, s->data, s->length);
    bool exact = image_walk_complete(w);
    image_walk_free(w);
    return exact;
}

/* Charges N inflated bytes; false when a limit is passed (reported at the end,
 * when the walk was exact). */
static bool pdf_charge(struct pdf_read *r, size_t n)
{
    r->inflated += n;
    r->budget->expanded += n;
    if (r->budget->expanded > r->budget->max_expanded)
        r->over_budget = OVER_EXPANDED;
    else if (r->inflated > r->allowed)
        r->over_budget = OVER_RATIO;
    return r->over_budget == OVER_NONE;
}

/*
 * Reads the Flate stream S inflated.  0 when read to its end (and any bytes
 * after its end raw), 1 when it does not inflate (the caller reads it raw)
 * or a limit stopped it, -1 when out of memory.
 */
static int pdf_inflate(struct pdf_read *r, const struct pdf_stream *s)
{
    int zr;

    if (!r->z_ready) {
        if (inflateInit(&r->z) != Z_OK) {
            r->nomem = true;
            return -1;
        }
        r->z_ready = true;
    } else if (inflateReset(&r->z) != Z_OK) {
        return 1;
    }
    r->z.next_in = (unsigned char *)(uintptr_t)s->data; /* zlib does not write it */
    r->z.avail_in = 0;
    size_t left = s->length;
    do {
        if (r->z.avail_in == 0 && left > 0) {
            r->z.avail_in = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
            left -= r->z.avail_in;
        }
        r->z.next_out = r->out;
        r->z.avail_out = INFLATE_CHUNK;
        zr = inflate(&r->z, Z_NO_FLUSH);
        size_t got = INFLATE_CHUNK - r->z.avail_out;
        if (zr == Z_MEM_ERROR) {
            r->nomem = true;
            return -1;
        }
        if (got > 0 && (!pdf_charge(r, got) || pdf_feed(r, r->out, got) != 0))
            return r->nomem ? -1 : 1;
        if (r->cut)
            return 0; /* nothing more is read of the file */
    } while (zr == Z_OK);
    if (text_runs_end(&r->runs) != 0) {
        r->nomem = true;
        return -1;
    }
    if (zr == Z_STREAM_END) {
        /* What follows the compressed data inside /Length: no reader looks
         * at it, so it is where text could hide. */
        size_t rest = r->z.avail_in + left;
        return rest > 0 ? pdf_feed_piece(r, s->data + (s->length - rest), rest) : 0;
    }
    if (zr == Z_BUF_ERROR && r->z.avail_in == 0 && left == 0)
        return 0; /* cut short, as readers allow: all of it was inflated */
    r->broken++;
    return 1;
}

static int pdf_on_stream(void *ctx, const struct pdf_stream *s)
{
    struct pdf_read *r = ctx;

    if (r->cut || pdf_stream_is_jpeg(s))
        return 0;
    if (s->filter_count >= 1 && strcmp(s->filters[0], "FlateDecode") == 0 &&
        r->over_budget == OVER_NONE) {
        int rc = pdf_inflate(r, s);
        if (rc <= 0)
            return rc;
    }
    return pdf_feed_piece(r, s->data, s->length);
}

int extract_pdf_text(const struct spool *data, int id, struct extract_budget *budget,
                     const struct extract_callbacks *cb, char **text, size_t *len,
                     char *err, size_t errlen)
{
    static const struct pdf_callbacks callbacks = {
        .syntax = pdf_on_syntax,
        .stream = pdf_on_stream,
        .encrypted = pdf_on_encrypted,
    };
    uint64_t size = spool_size(data);
    char head[5];

    if (size < sizeof(head))
        return 1;
    ssize_t got = spool_read_at(data, 0, head, sizeof(head), err, errlen);
    if (got < 0)
        return -1;
    if ((size_t)got < sizeof(head) || memcmp(head, "%PDF-", sizeof(head)) != 0)
        return 1;

    struct pdf_read r = {
        .budget = budget,
        .cb = cb,
        .id = id,
        .allowed = (uint64_t)budget->max_ratio * size + EXTRACT_RATIO_FLOOR,
        .out = malloc(INFLATE_CHUNK),
    };
    char why[256];
    int rc = -1;
    if (r.out == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    uint64_t expanded_before = budget->expanded;
    enum pdf_walk_result result = pdf_walk(data, &callbacks, &r, why, sizeof(why));
    if (r.nomem) {
        errbuf_set(err, errlen, "out of memory");
    } else if (result == PDF_ERROR) {
        errbuf_set(err, errlen, "%s", why);
    } else if (result == PDF_NOT_EXACT) {
        budget->expanded = expanded_before; /* its reading is thrown away */
        rc = 1;
    } else if (text_runs_take(&r.runs, text, len) != 0) {
        errbuf_set(err, errlen, "out of memory");
    } else {
        rc = 0;
        if (r.cut)
            pdf_problem(&r, EXTRACT_LIMIT,
                        "a PDF of %llu bytes was read only up to %zu bytes of text",
                        (unsigned long long)size, budget->max_text);
        if (r.over_budget == OVER_EXPANDED)
            pdf_problem(&r, EXTRACT_LIMIT,
                        "a PDF's streams and the archives expand to more than %llu bytes "
                        "in all; the rest of the PDF's streams were read as they are",
                        (unsigned long long)budget->max_expanded);
        else if (r.over_budget == OVER_RATIO)
            pdf_problem(&r, EXTRACT_LIMIT,
                        "a PDF's streams inflate more than %u times its size; the rest "
                        "were read as they are",
                        budget->max_ratio);
        if (r.encrypted)
            pdf_problem(&r, EXTRACT_ENCRYPTED,
                        "a PDF is encrypted: its streams were read as they are");
        else if (r.broken > 0)
            pdf_problem(&r, EXTRACT_MALFORMED,
                        "%u Flate stream(s) of a PDF do not inflate; read as they are",
                        r.broken);
    }
    if (r.z_ready)
        inflateEnd(&r.z);
    free(r.out);
    text_runs_free(&r.runs);
    return rc;
}
