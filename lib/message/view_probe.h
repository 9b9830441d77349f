/*
 * view_probe - whether a large base64 image need not be kept to be
 * inspected: decoded and walked in full, it must be what its type says to
 * its last byte (image.h), and everything the full reading would do with
 * it (look for an archive or compressed data, take it for text, read its
 * text runs unless it is an exact image) must find nothing (the how is
 * explained in view_probe.c).  Nothing is cut, so no flag is set.  Private
 * to the view module; thread-safe.
 */
#ifndef SENDWATCH_VIEW_PROBE_H
#define SENDWATCH_VIEW_PROBE_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * True when a part of TYPE named NAME (decoded; NULL or "" for none) needs
 * no further reading: *SIZE is then its decoded size.  False means: read it
 * in full as usual (the content stream is left reset).
 */
bool view_probe_skippable(GMimeDataWrapper *content, const char *type, const char *name,
                          uint64_t *size);

#endif
