/*
 * extract_pdf - see extract_internal.h: a PDF read through its structure.
 *
 * Reading every byte of a PDF for its runs reads compressed data as noise
 * (most of the cost) while missing the text the compression hides.
 * Walked exactly (pdf.h), a PDF's bytes are told apart:
 *  - the syntax between streams (dictionaries, strings, xref) is read as
 *    it is;
 *  - a Flate stream is read inflated (content streams, forms, metadata,
 *    object streams), and the bytes after its compressed data inside its
 *    /Length raw;
 *  - an exact JPEG (DCTDecode) is pixels: only its metadata is read;
 *  - a stream under image codecs alone (JPX, JBIG2, CCITT) is read for
 *    its raw runs, as any binary; under any other filter or chain
 *    (ASCII85, ASCIIHex, LZW, RunLength, Flate twice...) too, and that is
 *    reported unreadable: its text is not decoded; so is a Flate stream
 *    with a PNG predictor (read inflated, its rows not undone), images and
 *    cross-reference streams aside;
 *  - image streams (/Subtype /Image) are read last, in a second walk, so
 *    that inflated pixels never use up max_text before a page's text.
 * A file that starts like a PDF but is not one to its end is read loosely
 * - every byte's runs, and every "stream" keyword's data inflated when it
 * inflates - and reported malformed.  Every cut is reported.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "extract_internal.h"
#include "image.h"
#include "pdf.h"

struct pdf_read {
    struct text_feed feed;
    bool images_pass; /* the second walk: image streams only */
    size_t deferred;  /* image streams left to the second walk */
    bool encrypted;
    unsigned broken;    /* Flate streams (and PNG texts) that did not inflate */
    unsigned undecoded; /* streams under filters not decoded here */
    char undecoded_filter[PDF_MAX_NAME + 1];
};

static int pdf_on_syntax(void *ctx, uint64_t offset, const char *bytes, size_t len)
{
    struct pdf_read *r = ctx;
    (void)offset;
    if (r->images_pass)
        return 0;
    return text_feed_piece(&r->feed, (const unsigned char *)bytes, len);
}

static int pdf_on_encrypted(void *ctx, uint64_t offset)
{
    (void)offset;
    ((struct pdf_read *)ctx)->encrypted = true;
    return 0;
}

/* Is filter NAME an image codec: what it decodes is pixels, never text? */
static bool pdf_image_codec(const char *name)
{
    return strcmp(name, "JPXDecode") == 0 || strcmp(name, "JBIG2Decode") == 0 ||
           strcmp(name, "CCITTFaxDecode") == 0;
}

/*
 * The stream S, under DCTDecode alone, if it is an exact JPEG: its metadata
 * is read, its pixels are not.  1 when it is no such JPEG (nothing read),
 * 0, or -1 when out of memory.
 */
static int pdf_jpeg(struct pdf_read *r, const struct pdf_stream *s)
{
    struct image_walk *w = image_walk_new(IMAGE_JPEG);
    if (w == NULL)
        return 1; /* then it is read raw, which costs only time */
    image_walk_feed(w, s->data, s->length);
    int rc = image_walk_complete(w) ? text_feed_image(&r->feed, w, &r->broken) : 1;
    image_walk_free(w);
    return rc;
}

/* A Flate stream: inflated, then what follows its compressed data raw.  1 when it
 * does not inflate (the caller reads it raw), 0, -1 when out of memory. */
static int pdf_flate(struct pdf_read *r, const struct pdf_stream *s)
{
    size_t rest;
    switch (text_feed_inflated(&r->feed, s->data, s->length, &rest)) {
    case 0:
        /* No reader looks past the compressed data: text could hide there. */
        return text_feed_piece(&r->feed, s->data + (s->length - rest), rest);
    case 1:
        r->broken++;
        return 1;
    case 2:
        return 1; /* a limit: the rest raw */
    default:
        return -1;
    }
}

static int pdf_on_stream(void *ctx, const struct pdf_stream *s)
{
    struct pdf_read *r = ctx;
    bool image = strcmp(s->subtype, "Image") == 0;

    if (image != r->images_pass) {
        r->deferred += image;
        return 0;
    }
    if (r->feed.cut)
        return 0;
    int rc = 1;
    bool flate = s->filter_count == 1 && strcmp(s->filters[0], "FlateDecode") == 0;
    /* A PNG predictor turns Flate's output into rows of differences: not
     * undone here, so said - but for pixels and cross-reference tables,
     * which use it most and hold no text a reader shows. */
    if (flate && s->predictor && !image && strcmp(s->type, "XRef") != 0 &&
        r->undecoded++ == 0)
        snprintf(r->undecoded_filter, sizeof(r->undecoded_filter),
                 "FlateDecode with a "
                 "predictor");
    if (flate)
        rc = pdf_flate(r, s);
    else if (s->filter_count == 1 && strcmp(s->filters[0], "DCTDecode") == 0)
        rc = pdf_jpeg(r, s);
    else if (s->filter_count > 0 &&
             !(s->filter_count == 1 && pdf_image_codec(s->filters[0]))) {
        if (r->undecoded++ == 0)
            snprintf(r->undecoded_filter, sizeof(r->undecoded_filter), "%s%s",
                     s->filters[0], s->filter_count > 1 ? " and more" : "");
    }
    return rc <= 0 ? rc : text_feed_piece(&r->feed, s->data, s->length);
}

/*
 * Reads the LEN bytes at P, a file that starts like a PDF but does not walk
 * as one: every byte's runs, and the data after every "stream" keyword and
 * its line break inflated when it is zlib.  0, or -1 when out of memory.
 */
static int pdf_loose(struct pdf_read *r, const unsigned char *p, size_t len)
{
    if (text_feed_piece(&r->feed, p, len) != 0)
        return -1;
    for (const unsigned char *at = p;
         !r->feed.cut && r->feed.over == TEXT_FEED_OVER_NONE;) {
        const unsigned char *k = memmem(at, len - (size_t)(at - p), "stream", 6);
        if (k == NULL)
            break;
        at = k + 6;
        size_t left = len - (size_t)(at - p), eol = 0;
        if (left > 0 && at[0] == '\n')
            eol = 1;
        else if (left > 0 && at[0] == '\r')
            eol = left > 1 && at[1] == '\n' ? 2 : 1;
        if (eol == 0 || left - eol < 2 || (at[eol] & 0x0f) != 8)
            continue; /* no zlib header (deflate, CMF & 0x0f == 8) */
        size_t rest;
        if (text_feed_inflated(&r->feed, at + eol, left - eol, &rest) < 0)
            return -1;
    }
    return 0;
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

    unsigned char *bytes = malloc(size);
    if (bytes == NULL) {
        errbuf_set(err, errlen, "out of memory for a PDF of %llu bytes",
                   (unsigned long long)size);
        return -1;
    }
    if (spool_read_full(data, 0, bytes, (size_t)size, err, errlen) != 0) {
        free(bytes);
        return -1;
    }

    struct pdf_read r = {0};
    char why[256];
    int rc = -1;
    uint64_t expanded_before = budget->expanded;
    text_feed_init(&r.feed, budget, size);
    enum pdf_walk_result result =
        pdf_walk_bytes(bytes, size, &callbacks, &r, why, sizeof(why));
    if (result == PDF_EXACT && r.deferred > 0 && !r.feed.nomem) {
        r.images_pass = true;
        result = pdf_walk_bytes(bytes, size, &callbacks, &r, why, sizeof(why));
    }
    bool loose = result == PDF_NOT_EXACT;
    if (loose) {
        /* What the walk read is thrown away: the loose reading reads it all. */
        text_feed_free(&r.feed);
        budget->expanded = expanded_before;
        r = (struct pdf_read){0};
        text_feed_init(&r.feed, budget, size);
        if (pdf_loose(&r, bytes, size) != 0)
            r.feed.nomem = true;
    }
    if (r.feed.nomem) {
        errbuf_set(err, errlen, "out of memory");
    } else if (result == PDF_ERROR) {
        errbuf_set(err, errlen, "%s", why);
    } else if (text_feed_take(&r.feed, text, len) != 0) {
        errbuf_set(err, errlen, "out of memory");
    } else {
        rc = 0;
        text_feed_report(&r.feed, cb, id, "a PDF", size);
        char msg[400];
        if (loose) {
            snprintf(msg, sizeof(msg),
                     "a PDF that is not one to its end (%s): read for its runs, its "
                     "streams inflated where found",
                     why);
            cb->problem(cb->ctx, id, EXTRACT_MALFORMED, msg);
        }
        if (r.encrypted) {
            cb->problem(cb->ctx, id, EXTRACT_ENCRYPTED,
                        "a PDF is encrypted: its streams were read as they are");
        } else if (r.broken > 0) {
            snprintf(msg, sizeof(msg),
                     "%u Flate stream(s) of a PDF do not inflate; read as they are",
                     r.broken);
            cb->problem(cb->ctx, id, EXTRACT_MALFORMED, msg);
        }
        if (r.undecoded > 0) {
            snprintf(msg, sizeof(msg),
                     "%u stream(s) of a PDF under filters not decoded (%s): read as "
                     "they are",
                     r.undecoded, r.undecoded_filter);
            cb->problem(cb->ctx, id, EXTRACT_UNREADABLE, msg);
        }
    }
    text_feed_free(&r.feed);
    free(bytes);
    return rc;
}
