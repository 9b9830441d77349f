/*
 * view_header - header text decoding, internal to the view.
 *
 * GMime's own RFC 2047 decoder loses characters when an encoded-word ends
 * in the middle of a multi-byte character, or when several encoded-words
 * sit in one quoted parameter (name="=?ISO-2022-JP?B?..?= =?..?="), even in
 * its loose mode.  Senders use both, so a file name or subject could hide a
 * keyword.  This decoder joins adjacent encoded-words of one charset into
 * one byte run before converting it (base64 and quoted-printable decoding
 * are GMime's; conversion is the charset module's, with its distrust of
 * labels), and reads raw 8-bit header bytes with the same distrust.
 */
#ifndef SENDWATCH_VIEW_HEADER_H
#define SENDWATCH_VIEW_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Decodes LEN bytes of a raw header value (folded or not) to UTF-8.
 * Returns a g_malloc'ed string the caller g_free()s; *RELABELED is set
 * when a charset label did not fit.  NUL bytes (=00 in a word) are
 * dropped: the value must not end before its text does; *HAD_NUL (when
 * not NULL) says whether there were any.  Never NULL (GLib aborts on OOM).
 */
char *view_header_decode(const char *raw, size_t len, bool *relabeled, bool *had_nul);

/*
 * The same, with the length of the result in *OUT_LEN: an encoded-word may
 * decode to a NUL byte, which the result then holds (attachment names are
 * kept whole, see view_name.h).
 */
char *view_header_decode_bytes(const char *raw, size_t len, size_t *out_len,
                               bool *relabeled);

#endif
