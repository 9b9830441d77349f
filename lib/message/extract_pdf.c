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
    bool encrypted;
    unsigned broken; /* Flate streams that did not inflate to their end */
};

static int pdf_on_syntax(void *ctx, uint64_t offset, const char *bytes, size_t len)
{
    struct pdf_read *r = ctx;
    (void)offset;
    return text_feed_piece(&r->feed, (const unsigned char *)bytes, len);
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

static int pdf_on_stream(void *ctx, const struct pdf_stream *s)
{
    struct pdf_read *r = ctx;

    if (r->feed.cut || pdf_stream_is_jpeg(s))
        return 0;
    if (s->filter_count >= 1 && strcmp(s->filters[0], "FlateDecode") == 0) {
        size_t rest;
        switch (text_feed_inflated(&r->feed, s->data, s->length, &rest)) {
        case 0:
            /* What follows the compressed data inside /Length: no reader
             * looks at it, so it is where text could hide. */
            return text_feed_piece(&r->feed, s->data + (s->length - rest), rest);
        case 1:
            r->broken++;
            break;
        case -1:
            return -1;
        }
    }
    return text_feed_piece(&r->feed, s->data, s->length);
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

    struct pdf_read r = {0};
    char why[256];
    int rc = -1;
    uint64_t expanded_before = budget->expanded;
    text_feed_init(&r.feed, budget, size);
    enum pdf_walk_result result = pdf_walk(data, &callbacks, &r, why, sizeof(why));
    if (r.feed.nomem) {
        errbuf_set(err, errlen, "out of memory");
    } else if (result == PDF_ERROR) {
        errbuf_set(err, errlen, "%s", why);
    } else if (result == PDF_NOT_EXACT) {
        budget->expanded = expanded_before; /* its reading is thrown away */
        rc = 1;
    } else if (text_feed_take(&r.feed, text, len) != 0) {
        errbuf_set(err, errlen, "out of memory");
    } else {
        rc = 0;
        text_feed_report(&r.feed, cb, id, "a PDF", size);
        if (r.encrypted)
            cb->problem(cb->ctx, id, EXTRACT_ENCRYPTED,
                        "a PDF is encrypted: its streams were read as they are");
        else if (r.broken > 0) {
            snprintf(why, sizeof(why),
                     "%u Flate stream(s) of a PDF do not inflate; read as they are",
                     r.broken);
            cb->problem(cb->ctx, id, EXTRACT_MALFORMED, why);
        }
    }
    text_feed_free(&r.feed);
    return rc;
}
