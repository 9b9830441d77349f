/*
 * image - whether bytes are a PNG, JPEG or GIF from their first byte to
 * their last: PNG chunks from IHDR to IEND, JPEG segments and entropy-coded
 * data from SOI to EOI, GIF blocks to the trailer, with nothing after.
 * The structure is walked, not the pixels (no CRC, no decompression).
 *
 * Such an exact image holds nothing for a rule to read: the view's probe
 * spares a large one the spool (view_probe.h), and extract_file_text()
 * reads no text runs out of one.  Both decide with this one walk, so the
 * probe's skip and the full reading agree.  A "PNG" that is a CSV after
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
 * True when DATA is an exact image of the format its first bytes name
 * (PNG, JPEG or GIF magic), read to its end; false for anything else, and
 * when DATA cannot be read (it is then not known to be an image).
 */
bool image_is_exact(const struct spool *data);

#endif
