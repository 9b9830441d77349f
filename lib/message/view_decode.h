/*
 * view_decode - a part's content as each reader might decode it, internal
 * to the view.
 *
 * Receiving clients differ where a part is ambiguous, and what one of them
 * shows must not pass unread:
 *  - base64 with data after "=" padding: GMime's decoder stops at the pad,
 *    lenient decoders read on, quantum by quantum;
 *  - two Content-Transfer-Encoding headers on one part: each decoding;
 *  - format=flowed: the text unflowed (RFC 3676), so a word or a number
 *    broken across a soft line break reads whole.
 * The decoding itself is GMime's (g_mime_encoding_*); this module only
 * decides where to restart it.  Thread-safe; never logs.
 */
#ifndef SENDWATCH_VIEW_DECODE_H
#define SENDWATCH_VIEW_DECODE_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Decodes RAW (a part's encoded content, read from its start) with
 * ENCODING into OUT.  Base64 is decoded leniently: characters outside the
 * alphabet are skipped, and after "=" padding the decoding starts afresh
 * on what follows (*AFTER_PAD set).  0, or -1 on a stream error.
 */
int view_decode(GMimeStream *raw, GMimeContentEncoding encoding, GMimeStream *out,
                bool *after_pad);

/*
 * g_mime_encoding_base64_decode_step() with the same arguments and the same
 * output, faster: whole lines of complete quanta without padding, met at a
 * quantum's start, go through OpenSSL's EVP_DecodeBlock(); everything else
 * through GMime.  OUT must have room for LEN / 4 * 3 + 3 bytes.
 */
size_t view_base64_step(const unsigned char *in, size_t len, unsigned char *out,
                        int *state, guint32 *save);

/*
 * The transfer encodings OBJ's Content-Transfer-Encoding headers name, in
 * header order, one of each kind (view_decode_same), into ENCODINGS (at
 * most MAX; 4 holds every kind); their number.  0 when it has none.
 */
size_t view_decode_encodings(GMimeObject *obj, GMimeContentEncoding *encodings,
                             size_t max);

/* Whether A and B decode alike: the same, or both leave the bytes as they
 * are (7bit, 8bit, binary, an unknown name). */
bool view_decode_same(GMimeContentEncoding a, GMimeContentEncoding b);

/*
 * TEXT (LEN bytes, a format=flowed text/plain body) unflowed as RFC 3676
 * reads it: a line ending in a space joins the next (the space dropped
 * with DELSP), space-stuffing removed.  1 with a malloc'ed NUL-terminated
 * copy in *UNFLOWED (its length in *OUTLEN); 0 when no line was flowed
 * (*UNFLOWED NULL); -1 when out of memory.
 */
int view_unflow(const char *text, size_t len, bool delsp, char **unflowed,
                size_t *outlen);

#endif
