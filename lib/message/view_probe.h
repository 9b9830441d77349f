/*
 * view_probe - whether a large base64 PDF or image part can be left
 * undecoded: read at its two ends only, it must be what its type says,
 * open as no archive, and hide no zip in its tail (the how is explained
 * in view_probe.c).  Private to the view module.  view_probe_init() runs
 * once from view_init(); the rest is thread-safe.
 */
#ifndef SENDWATCH_VIEW_PROBE_H
#define SENDWATCH_VIEW_PROBE_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdint.h>

void view_probe_init(void);

/* True when a part of TYPE can be left undecoded (*SIZE then set: its decoded size). */
bool view_probe_skippable(GMimeDataWrapper *content, const char *type, uint64_t *size);

#endif
