/* image - see image.h. */
#include "image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Where a format walk is: the header it collects next, or the bytes it passes over. */
enum image_state {
    /* PNG */
    PNG_SIGNATURE,
    PNG_CHUNK,    /* length and type */
    PNG_END_CRC,  /* IEND's CRC */
    JPEG_SOI,     /* FF D8 */
    JPEG_FF,      /* the FF of the next marker */
    JPEG_MARKER,  /* the marker byte (or fill FFs) */
    JPEG_LENGTH,  /* a segment's length */
    JPEG_ENTROPY, /* entropy-coded data, up to an FF */
    JPEG_AFTER_FF,
    GIF_HEADER,  /* signature and logical screen descriptor */
    GIF_BLOCK,   /* extension, image or trailer */
    GIF_LABEL,   /* an extension's label */
    GIF_IMAGE,   /* an image descriptor */
    GIF_LZW,     /* the LZW minimum code size */
    GIF_SUBSIZE, /* a data sub-block's size */
};

struct image_walk {
    enum image_format format;
    enum image_state state;
    uint64_t skip;
    unsigned char hdr[16];
    size_t have, need;
    unsigned char marker; /* JPEG: the segment being read */
    bool in_extension;    /* GIF: in an extension's sub-blocks, not image data */
    bool label_started;   /* GIF: a sub-block of it was kept */
    bool seen_chunk;      /* PNG: IHDR came first */
    bool ended;           /* the format's last byte was seen */
    bool bad;             /* not the format, or bytes after its end */
    /* The pieces that may hold text (image.h), kept as they are skipped. */
    uint64_t capture; /* bytes of the skip ahead that belong to the last piece */
    struct buf text;
    struct image_text_piece *pieces;
    size_t npieces;
    bool text_overflow;
};

static void walk_expect(struct image_walk *w, enum image_state state, size_t need)
{
    w->state = state;
    w->need = need;
    w->have = 0;
}

static void walk_skip(struct image_walk *w, uint64_t skip, enum image_state then,
                      size_t need)
{
    walk_expect(w, then, need);
    w->skip = skip;
}

/*
 * The next LEN bytes, which the walk skips, are a piece of KIND that may
 * hold text: kept, up to IMAGE_TEXT_MAX bytes and IMAGE_TEXT_PIECES pieces
 * in all (then TEXT_OVERFLOW).  Called right after walk_skip().
 */
static void walk_capture(struct image_walk *w, uint64_t len, enum image_text_kind kind)
{
    if (w->text_overflow || len == 0)
        return;
    if (len > IMAGE_TEXT_MAX - w->text.len || w->npieces == IMAGE_TEXT_PIECES) {
        w->text_overflow = true;
        return;
    }
    if (w->pieces == NULL &&
        (w->pieces = malloc(IMAGE_TEXT_PIECES * sizeof(*w->pieces))) == NULL) {
        w->text_overflow = true; /* out of memory: as if too much to keep */
        return;
    }
    w->pieces[w->npieces++] = (struct image_text_piece){w->text.len, 0, kind};
    w->capture = len;
}

/* Keeps the N bytes at P, skipped, when they belong to the piece being captured. */
static void walk_keep(struct image_walk *w, const unsigned char *p, size_t n)
{
    size_t k = w->capture < n ? (size_t)w->capture : n;
    if (k == 0)
        return;
    w->capture -= k;
    if (buf_append(&w->text, p, k) != 0) {
        w->text_overflow = true;
        w->capture = 0;
        return;
    }
    w->pieces[w->npieces - 1].len += k;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void walk_png(struct image_walk *w)
{
    const unsigned char *h = w->hdr;

    switch (w->state) {
    case PNG_SIGNATURE:
        if (memcmp(h, "\x89PNG\r\n\x1a\n", 8) != 0)
            w->bad = true;
        walk_expect(w, PNG_CHUNK, 8);
        return;
    case PNG_CHUNK: {
        uint32_t len = be32(h);
        for (int i = 4; i < 8; i++)
            if (!((h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= 'a' && h[i] <= 'z')))
                w->bad = true;
        if (len > 0x7fffffffu ||
            (!w->seen_chunk && (memcmp(h + 4, "IHDR", 4) != 0 || len != 13)))
            w->bad = true;
        bool first = !w->seen_chunk; /* IHDR, 13 bytes of numbers: not kept */
        w->seen_chunk = true;
        if (memcmp(h + 4, "IEND", 4) == 0) {
            if (len != 0)
                w->bad = true;
            walk_expect(w, PNG_END_CRC, 4);
            return;
        }
        walk_skip(w, (uint64_t)len + 4, PNG_CHUNK, 8); /* data and CRC */
        /* Any chunk but the pixels and the first header may carry text
         * (tEXt, iTXt, zTXt, eXIf, a private chunk, a second "IHDR"). */
        if (memcmp(h + 4, "IDAT", 4) != 0 && !first)
            walk_capture(w, len,
                         memcmp(h + 4, "zTXt", 4) == 0   ? IMAGE_TEXT_PNG_ZTXT
                         : memcmp(h + 4, "iTXt", 4) == 0 ? IMAGE_TEXT_PNG_ITXT
                                                         : IMAGE_TEXT_NEW);
        return;
    }
    case PNG_END_CRC:
        w->ended = true;
        return;
    default:
        w->bad = true;
    }
}

/* A JPEG marker M (after its FF): the end, a marker alone, or a segment. */
static void walk_jpeg_marker(struct image_walk *w, unsigned char m)
{
    if (m == 0xd9) {
        w->ended = true; /* EOI */
    } else if ((m >= 0xd0 && m <= 0xd7) || m == 0x01) {
        walk_expect(w, JPEG_FF, 1); /* RSTn, TEM: no segment */
    } else if (m == 0x00 || m == 0xd8) {
        w->bad = true;
    } else {
        w->marker = m;
        walk_expect(w, JPEG_LENGTH, 2);
    }
}

static void walk_jpeg(struct image_walk *w)
{
    const unsigned char *h = w->hdr;

    switch (w->state) {
    case JPEG_SOI:
        if (h[0] != 0xff || h[1] != 0xd8)
            w->bad = true;
        walk_expect(w, JPEG_FF, 1);
        return;
    case JPEG_FF:
        if (h[0] != 0xff)
            w->bad = true;
        walk_expect(w, JPEG_MARKER, 1);
        return;
    case JPEG_MARKER:
        if (h[0] == 0xff)
            walk_expect(w, JPEG_MARKER, 1); /* fill */
        else
            walk_jpeg_marker(w, h[0]);
        return;
    case JPEG_LENGTH: {
        unsigned len = (unsigned)h[0] << 8 | h[1];
        if (len < 2)
            w->bad = true;
        /* After a scan header (SOS) come its entropy-coded data. */
        walk_skip(w, len - 2u, w->marker == 0xda ? JPEG_ENTROPY : JPEG_FF, 1);
        /* Every segment may carry text - application segments (EXIF, XMP,
         * ICC), comments, and tables or headers longer than their numbers
         * need; only the entropy-coded data (pixels) is not kept. */
        walk_capture(w, len - 2u, IMAGE_TEXT_NEW);
        return;
    }
    case JPEG_AFTER_FF:
        if (h[0] == 0x00 || (h[0] >= 0xd0 && h[0] <= 0xd7))
            walk_expect(w, JPEG_ENTROPY, 1); /* a stuffed FF, a restart */
        else if (h[0] == 0xff)
            walk_expect(w, JPEG_AFTER_FF, 1); /* fill */
        else
            walk_jpeg_marker(w, h[0]);
        return;
    default:
        w->bad = true;
    }
}

static void walk_gif(struct image_walk *w)
{
    const unsigned char *h = w->hdr;

    switch (w->state) {
    case GIF_HEADER:
        if (memcmp(h, "GIF87a", 6) != 0 && memcmp(h, "GIF89a", 6) != 0)
            w->bad = true;
        /* A global colour table follows when its flag is set. */
        walk_skip(w, h[10] & 0x80 ? 3u << ((h[10] & 7) + 1) : 0, GIF_BLOCK, 1);
        return;
    case GIF_BLOCK:
        if (h[0] == 0x21)
            walk_expect(w, GIF_LABEL, 1);
        else if (h[0] == 0x2c)
            walk_expect(w, GIF_IMAGE, 9);
        else if (h[0] == 0x3b)
            w->ended = true; /* the trailer */
        else
            w->bad = true;
        return;
    case GIF_LABEL:
        /* Every extension may carry text: a comment, plain text, an
         * application's data (XMP), a graphic control block made longer. */
        w->in_extension = true;
        w->label_started = false;
        walk_expect(w, GIF_SUBSIZE, 1);
        return;
    case GIF_IMAGE:
        w->in_extension = false;
        walk_skip(w, h[8] & 0x80 ? 3u << ((h[8] & 7) + 1) : 0, GIF_LZW, 1);
        return;
    case GIF_LZW:
        walk_expect(w, GIF_SUBSIZE, 1);
        return;
    case GIF_SUBSIZE:
        if (h[0] == 0) {
            walk_expect(w, GIF_BLOCK, 1);
            return;
        }
        walk_skip(w, h[0], GIF_SUBSIZE, 1);
        if (w->in_extension) { /* an extension's sub-blocks are one text */
            walk_capture(w, h[0], w->label_started ? IMAGE_TEXT_MORE : IMAGE_TEXT_NEW);
            w->label_started = true;
        }
        return;
    default:
        w->bad = true;
    }
}

void image_walk_feed(struct image_walk *w, const unsigned char *p, size_t n)
{
    while (n > 0 && !w->bad) {
        if (w->ended) {
            w->bad = true; /* bytes after the end */
            return;
        }
        if (w->skip > 0) {
            size_t k = w->skip < n ? (size_t)w->skip : n;
            if (w->capture > 0)
                walk_keep(w, p, k);
            w->skip -= k;
            p += k;
            n -= k;
            continue;
        }
        if (w->state == JPEG_ENTROPY) {
            const unsigned char *ff = memchr(p, 0xff, n);
            if (ff == NULL)
                return;
            n -= (size_t)(ff - p) + 1;
            p = ff + 1;
            walk_expect(w, JPEG_AFTER_FF, 1);
            continue;
        }
        size_t k = w->need - w->have < n ? w->need - w->have : n;
        memcpy(w->hdr + w->have, p, k);
        w->have += k;
        p += k;
        n -= k;
        if (w->have < w->need)
            return;
        if (w->format == IMAGE_PNG)
            walk_png(w);
        else if (w->format == IMAGE_JPEG)
            walk_jpeg(w);
        else
            walk_gif(w);
    }
}

struct image_walk *image_walk_new(enum image_format format)
{
    static const struct {
        enum image_state first;
        size_t need;
    } start[] = {[IMAGE_PNG] = {PNG_SIGNATURE, 8},
                 [IMAGE_JPEG] = {JPEG_SOI, 2},
                 [IMAGE_GIF] = {GIF_HEADER, 13}};
    struct image_walk *w = calloc(1, sizeof(*w));

    if (w != NULL) {
        w->format = format;
        walk_expect(w, start[format].first, start[format].need);
    }
    return w;
}

void image_walk_free(struct image_walk *w)
{
    if (w != NULL) {
        buf_free(&w->text);
        free(w->pieces);
    }
    free(w);
}

bool image_walk_text(const struct image_walk *w, const unsigned char **bytes,
                     const struct image_text_piece **pieces, size_t *count)
{
    *bytes = (const unsigned char *)w->text.data;
    *pieces = w->pieces;
    *count = w->npieces;
    return !w->text_overflow;
}

bool image_walk_failed(const struct image_walk *w)
{
    return w->bad;
}

bool image_walk_complete(const struct image_walk *w)
{
    return w->ended && !w->bad;
}

/* The format whose magic the LEN bytes at HEAD start with, in *FORMAT; false when none.
 */
static bool image_format_of(const void *head, size_t len, enum image_format *format)
{
    const unsigned char *h = head;

    if (len >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0)
        *format = IMAGE_PNG;
    else if (len >= 2 && h[0] == 0xff && h[1] == 0xd8)
        *format = IMAGE_JPEG;
    else if (len >= 6 && (memcmp(h, "GIF87a", 6) == 0 || memcmp(h, "GIF89a", 6) == 0))
        *format = IMAGE_GIF;
    else
        return false;
    return true;
}

struct image_walk *image_walk_spool(const struct spool *data)
{
    enum { CHUNK = 65536 };
    unsigned char *buf = malloc(CHUNK);
    char err[128];
    enum image_format format;
    struct image_walk *w = NULL;

    if (buf == NULL)
        return NULL;
    ssize_t n = spool_read_at(data, 0, buf, 8, err, sizeof(err));
    if (n <= 0 || !image_format_of(buf, (size_t)n, &format) ||
        (w = image_walk_new(format)) == NULL)
        goto done;
    for (uint64_t at = 0; !w->bad;) {
        n = spool_read_at(data, at, buf, CHUNK, err, sizeof(err));
        if (n < 0) {
            w->bad = true; /* not known to be an image: read as anything else */
            break;
        }
        if (n == 0)
            break;
        image_walk_feed(w, buf, (size_t)n);
        at += (uint64_t)n;
    }
    if (!image_walk_complete(w)) {
        image_walk_free(w);
        w = NULL;
    }
done:
    free(buf);
    return w;
}

bool image_is_exact(const struct spool *data)
{
    struct image_walk *w = image_walk_spool(data);
    bool exact = w != NULL;
    image_walk_free(w);
    return exact;
}
