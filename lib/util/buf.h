/*
 * buf - a growing byte buffer, always NUL-terminated after its content.
 *
 * Zero-initialise a struct buf to start; buf_free() releases it.  The data
 * may be handed to a caller as a malloc'ed string (it is plain malloc
 * memory).  Functions return 0, or -1 when out of memory (the buffer is
 * then unchanged).  Not thread-safe per buffer.
 */
#ifndef SENDWATCH_BUF_H
#define SENDWATCH_BUF_H

#include <stddef.h>

struct buf {
    char *data; /* NULL until something is reserved */
    size_t len, cap;
};

/* Makes room for MORE bytes past len (plus the NUL, which it writes). */
int buf_reserve(struct buf *b, size_t more);

/* Appends N bytes of P. */
int buf_append(struct buf *b, const void *p, size_t n);

void buf_free(struct buf *b);

#endif
