/*
 * normalize - the one form all text is matched in.
 *
 * NFKC (utf8proc), so full-width, half-width and compatibility forms read
 * as their plain characters (ＣＯＮＦＩＤＥＮＴＩＡＬ -> CONFIDENTIAL, ｼｬｶﾞｲﾋ ->
 * シャガイヒ, ① -> 1), with Unicode's default-ignorable characters removed
 * first (zero-width spaces and joiners, bidi marks and embeddings, soft
 * hyphens, BOMs), and control characters but TAB, LF and CR (a NUL, DEL,
 * C1), so none of them can split a keyword.
 *
 * Large text is processed in pieces cut before an ASCII byte, where no
 * composition can span the cut, so memory stays bounded.  Thread-safe.
 */
#ifndef SENDWATCH_NORMALIZE_H
#define SENDWATCH_NORMALIZE_H

#include <stddef.h>

/*
 * Normalizes LEN bytes of valid UTF-8.  On success returns 0 and a
 * malloc'ed, NUL-terminated result in *OUT (length *OUTLEN) that the
 * caller frees.  Returns -1 when out of memory, -2 when IN is not valid
 * UTF-8 (the charset module guarantees it is).
 */
int normalize_text(const char *in, size_t len, char **out, size_t *outlen);

/*
 * The same, taking over IN (malloc'ed, NUL-terminated at LEN): when NFKC
 * changes nothing, as for most mail, IN itself is the result and no copy
 * is made; otherwise IN is freed.  IN is freed on errors too.
 */
int normalize_text_owned(char *in, size_t len, char **out, size_t *outlen);

#endif
