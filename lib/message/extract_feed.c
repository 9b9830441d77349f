/*
 * extract_feed - see extract_internal.h: text runs fed within a file's
 * limits (max_text read, the archives' expansion budget and ratio for
 * what is inflated), shared by a PDF's streams and an image's metadata.
 */
#include <stdio.h>
#include <stdlib.h>

#include "extract_internal.h"

#define INFLATE_CHUNK 65536

void text_feed_init(struct text_feed *f, struct extract_budget *budget, uint64_t size)
{
    *f = (struct text_feed){
        .budget = budget,
        .allowed = (uint64_t)budget->max_ratio * size + EXTRACT_RATIO_FLOOR,
    };
}

int text_feed(struct text_feed *f, const unsigned char *p, size_t n)
{
    size_t room = f->budget->max_text - f->fed;

    if (n > room) {
        n = room;
        f->cut = true;
    }
    f->fed += n;
    if (n > 0 && text_runs_feed(&f->runs, p, n) != 0) {
        f->nomem = true;
        return -1;
    }
    return 0;
}

int text_feed_piece(struct text_feed *f, const unsigned char *p, size_t n)
{
    if (text_feed(f, p, n) != 0 || text_runs_end(&f->runs) != 0) {
        f->nomem = true;
        return -1;
    }
    return 0;
}

/* Charges N inflated bytes; false when a limit is passed (F->over says which). */
static bool text_feed_charge(struct text_feed *f, size_t n)
{
    f->inflated += n;
    f->budget->expanded += n;
    if (f->budget->expanded > f->budget->max_expanded)
        f->over = TEXT_FEED_OVER_EXPANDED;
    else if (f->inflated > f->allowed)
        f->over = TEXT_FEED_OVER_RATIO;
    return f->over == TEXT_FEED_OVER_NONE;
}

int text_feed_inflated(struct text_feed *f, const unsigned char *p, size_t n,
                       size_t *rest)
{
    int zr;

    *rest = 0;
    if (f->over != TEXT_FEED_OVER_NONE)
        return 2;
    if (f->out == NULL && (f->out = malloc(INFLATE_CHUNK)) == NULL) {
        f->nomem = true;
        return -1;
    }
    if (!f->z_ready) {
        if (inflateInit(&f->z) != Z_OK) {
            f->nomem = true;
            return -1;
        }
        f->z_ready = true;
    } else if (inflateReset(&f->z) != Z_OK) {
        return 1;
    }
    f->z.next_in = (unsigned char *)(uintptr_t)p; /* zlib does not write it */
    f->z.avail_in = 0;
    size_t left = n;
    do {
        if (f->z.avail_in == 0 && left > 0) {
            f->z.avail_in = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
            left -= f->z.avail_in;
        }
        f->z.next_out = f->out;
        f->z.avail_out = INFLATE_CHUNK;
        zr = inflate(&f->z, Z_NO_FLUSH);
        size_t got = INFLATE_CHUNK - f->z.avail_out;
        if (zr == Z_MEM_ERROR) {
            f->nomem = true;
            return -1;
        }
        if (got > 0 && (!text_feed_charge(f, got) || text_feed(f, f->out, got) != 0))
            return f->nomem ? -1 : text_runs_end(&f->runs) != 0 ? -1 : 2;
        if (f->cut)
            return text_runs_end(&f->runs) != 0 ? -1 : 2;
    } while (zr == Z_OK);
    if (text_runs_end(&f->runs) != 0) {
        f->nomem = true;
        return -1;
    }
    if (zr == Z_STREAM_END) {
        *rest = f->z.avail_in + left;
        return 0;
    }
    if (zr == Z_BUF_ERROR && f->z.avail_in == 0 && left == 0)
        return 0; /* cut short, as readers allow: all of it was inflated */
    return 1;
}

void text_feed_report(const struct text_feed *f, const struct extract_callbacks *cb,
                      int id, const char *what, uint64_t size)
{
    char why[256];

    if (f->cut) {
        snprintf(why, sizeof(why),
                 "%s of %llu bytes was read only up to %zu bytes of text", what,
                 (unsigned long long)size, f->budget->max_text);
        cb->problem(cb->ctx, id, EXTRACT_LIMIT, why);
    }
    if (f->over == TEXT_FEED_OVER_EXPANDED) {
        snprintf(why, sizeof(why),
                 "%s and the archives expand to more than %llu bytes in all; the rest "
                 "was read as it is",
                 what, (unsigned long long)f->budget->max_expanded);
        cb->problem(cb->ctx, id, EXTRACT_LIMIT, why);
    } else if (f->over == TEXT_FEED_OVER_RATIO) {
        snprintf(why, sizeof(why),
                 "%s inflates more than %u times its size; the rest was read as it is",
                 what, f->budget->max_ratio);
        cb->problem(cb->ctx, id, EXTRACT_LIMIT, why);
    }
}

int text_feed_take(struct text_feed *f, char **text, size_t *len)
{
    return text_runs_take(&f->runs, text, len);
}

void text_feed_free(struct text_feed *f)
{
    if (f->z_ready)
        inflateEnd(&f->z);
    f->z_ready = false;
    free(f->out);
    f->out = NULL;
    text_runs_free(&f->runs);
}
