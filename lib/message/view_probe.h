/*
 * view_probe - whether a large base64 image need not be kept to be
 * inspected: decoded and walked in full, it must be what its type says to
 * its last byte (image.h), and everything the full reading would do with
 * it (look for an archive or compressed data, take it for text, read its
 * text runs unless it is an exact image) must find nothing but the
 * metadata its walk keeps (the how is explained in view_probe.c).  Private
 * to the view module; thread-safe.
 */
#ifndef SENDWATCH_VIEW_PROBE_H
#define SENDWATCH_VIEW_PROBE_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdint.h>

struct image_walk;

/*
 * True when a part of TYPE named NAME (decoded; NULL or "" for none) needs
 * no further reading than its metadata: *SIZE is then its decoded size and
 * *WALK its walk (image.h), whose metadata the caller reads
 * (extract_image_text()) and which it frees.  False means: read it in full
 * as usual (the content stream is left reset).
 */
bool view_probe_skippable(GMimeDataWrapper *content, const char *type, const char *name,
                          uint64_t *size, struct image_walk **walk);

#endif
