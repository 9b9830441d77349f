/*
 * ascii - how far a run of plain ASCII goes, eight bytes at a time.
 *
 * Mail text is mostly ASCII; the decoders (charset validation, NFKC) only
 * need to look closely at the other bytes.  These scans read a word at a
 * time and return at the first byte that needs a closer look.  Pure
 * functions over any bytes (no alignment or NUL needed), thread-safe.
 */
#ifndef SENDWATCH_ASCII_H
#define SENDWATCH_ASCII_H

#include <stddef.h>

/* The count of leading bytes of P (N bytes) below 0x80. */
size_t ascii_span(const char *p, size_t n);

/*
 * The count of leading bytes of P (N bytes) that are printable ASCII
 * (0x20-0x7e), tab, LF or CR: the characters NFKC leaves alone and that
 * never combine with what precedes them.
 */
size_t ascii_printable_span(const char *p, size_t n);

#endif
