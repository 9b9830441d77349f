/*
 * image - whether bytes are a PNG, JPEG or GIF from their first byte to
 * their last: PNG chunks from IHDR to IEND, JPEG segments and entropy-coded
 * data from SOI to EOI, GIF blocks to the trailer, with nothing after.
 * The structure is walked, not the pixels (no CRC, no decompression).
 *
 * Such an exact image holds nothing for a rule to read but its metadata:
 * the walk keeps the pieces that may carry text as it passes them (PNG
 * chunks other than IHDR and IDAT - tEXt, zTXt, iTXt, eXIf -, JPEG
 * application segments - EXIF, XMP - and comments, GIF comment, plain
 * text and application extensions), and extract_image_text() reads them;
 * the pixels are not read.  The view's probe spares a large image the
 * spool (view_probe.h) and extract_file_text() reads a spooled one; both
 * decide with this one walk, so they agree.  A "PNG" that is a CSV after
 * its magic, or a real one with bytes appended, is not exact.
 *
 * Pure; thread-safe (a walk belongs to its caller).  Nothing is logged.
 */
#ifndef SENDWATCH_IMAGE_H
#define SENDWATCH_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "spool.h"

enum image_format { IMAGE_PNG, IMAGE_JPEG, IMAGE_GIF };

/* Bytes and pieces of metadata a walk keeps at most (then image_walk_text()
 * says so): a photo's EXIF and XMP are tens of KB. */
#define IMAGE_TEXT_MAX    (1024 * 1024)
#define IMAGE_TEXT_PIECES 4096

enum image_text_kind {
    IMAGE_TEXT_NEW,      /* a piece of its own */
    IMAGE_TEXT_MORE,     /* the previous piece goes on (GIF sub-blocks) */
    IMAGE_TEXT_PNG_ZTXT, /* a zTXt chunk: keyword, NUL, method, zlib data */
    IMAGE_TEXT_PNG_ITXT, /* an iTXt chunk: its text zlib-compressed when flagged */
};

/* A piece of metadata: LEN bytes at START of the walk's kept bytes. */
struct image_text_piece {
    size_t start, len;
    enum image_text_kind kind;
};

struct image_walk;

/* A walk through bytes that should be a FORMAT image; NULL when out of memory.
 * Free it with image_walk_free() (NULL allowed). */
struct image_walk *image_walk_new(enum image_format format);
void image_walk_free(struct image_walk *w);

/* Walks the next N bytes at P; the bytes may come in pieces cut anywhere. */
void image_walk_feed(struct image_walk *w, const unsigned char *p, size_t n);

/* True once the bytes fed are not the format, or go on after its end. */
bool image_walk_failed(const struct image_walk *w);

/* True when the bytes fed so far are the whole image: its last byte seen, none after. */
bool image_walk_complete(const struct image_walk *w);

/*
 * The pieces of the image that may hold text, kept while it was walked:
 * *COUNT pieces into *BYTES, borrowed until the walk is freed.  False when
 * there were more than IMAGE_TEXT_MAX bytes or IMAGE_TEXT_PIECES pieces
 * (those kept are given; the rest are not).
 */
bool image_walk_text(const struct image_walk *w, const unsigned char **bytes,
                     const struct image_text_piece **pieces, size_t *count);

/* The walk of DATA, an exact image of the format its first bytes name read
 * to its end, with its metadata; NULL for anything else, and when DATA
 * cannot be read or memory runs out. */
struct image_walk *image_walk_spool(const struct spool *data);

/*
 * True when DATA is an exact image of the format its first bytes name
 * (PNG, JPEG or GIF magic), read to its end; false for anything else, and
 * when DATA cannot be read (it is then not known to be an image).
 */
bool image_is_exact(const struct spool *data);

#endif
