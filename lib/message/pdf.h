/*
 * pdf - whether bytes are a PDF from their first byte to their last, and
 * where its streams are: the structure of ISO 32000-1 section 7 walked
 * exactly, nothing decoded (no decompression, no decryption, no check of
 * the cross-reference offsets).  Names are compared decoded (#xx escapes).
 *
 * The walk accepts: the header "%PDF-" at byte 0; then, in any order and
 * number, whitespace and comments, indirect objects "N G obj <object>
 * endobj" (dictionaries, arrays, names, literal and hex strings, numbers,
 * booleans, null, references "N G R"), a stream after an object's
 * dictionary ("stream", CRLF or LF, /Length bytes, optional whitespace,
 * "endstream"), classic "xref" tables (20-byte entries), "trailer"
 * dictionaries and "startxref" offsets; the last bytes are "%%EOF" and
 * whitespace.  Incremental updates (several xref/trailer/%%EOF sections)
 * and cross-reference or object streams (PDF 1.5: just streams) walk.
 * A stream's /Length is a direct integer, or a reference "N G R" to an
 * object "N G obj <integer> endobj" anywhere in the file (the last such
 * definition in the file when there are several).
 *
 * The callbacks see the file in order: each stream (its object, dictionary
 * text, data and filter names) and every range of bytes that is not stream
 * data (object syntax, comments, xref tables, trailers), so that a caller
 * can read the latter as text.  Together the ranges and the stream data
 * cover the file byte for byte, with no overlap.  They are made as the
 * walk goes: when the result is not PDF_EXACT, what they said so far is
 * only a prefix of the file and the caller should discard it.
 *
 * Bounded: containers nest at most PDF_MAX_DEPTH deep (deeper is not
 * exact), nothing recurses, time is linear in the size (plus a sort of the
 * objects when a /Length is indirect).  pdf_walk() holds the spool's bytes
 * in memory once, for the length of the walk.
 *
 * Pure; thread-safe (a walk belongs to its caller).  Nothing is logged.
 */
#ifndef SENDWATCH_PDF_H
#define SENDWATCH_PDF_H

#include <stddef.h>
#include <stdint.h>

#include "spool.h"

/* Deepest nesting of arrays and dictionaries in one object. */
#define PDF_MAX_DEPTH 64
/* Filter names given per stream (a longer chain is still counted). */
#define PDF_MAX_FILTERS 8
/* Longest filter name given (decoded, without the '/'); longer ones are cut. */
#define PDF_MAX_NAME 63

enum pdf_walk_result {
    PDF_EXACT,     /* the whole of the bytes is PDF syntax and stream data */
    PDF_NOT_EXACT, /* anything else; ERR says where and why */
    PDF_ERROR,     /* a read error, out of memory, or a callback stopped; ERR says */
};

/* A stream, as the stream callback sees it; every pointer is borrowed for the
 * length of the call. */
struct pdf_stream {
    uint64_t object;     /* N of "N G obj" */
    unsigned generation; /* G */
    const char *dict;    /* the stream dictionary, "<<" to ">>", raw bytes */
    size_t dict_len;
    uint64_t offset; /* of the data, from the start of the file */
    size_t length;   /* of the data (/Length) */
    const unsigned char *data;
    /* /Filter: a name or an array of names, in order of application; each
     * without its '/', #xx escapes decoded, NUL-terminated.  FILTER_COUNT is
     * the true count; only the first PDF_MAX_FILTERS are in FILTERS. */
    size_t filter_count;
    const char *filters[PDF_MAX_FILTERS];
    const char *subtype; /* /Subtype's name ("Image", "XML"), decoded; "" for none */
    const char *type;    /* /Type's name ("XRef", "ObjStm"), decoded; "" for none */
    bool predictor;      /* /DecodeParms (or one of an array of them) has a /Predictor */
};

/* What the walk calls back; any may be NULL.  Each returns 0 to go on,
 * anything else to stop the walk (pdf_walk then returns PDF_ERROR). */
struct pdf_callbacks {
    /* LEN bytes at OFFSET that are not stream data (never empty). */
    int (*syntax)(void *ctx, uint64_t offset, const char *bytes, size_t len);
    int (*stream)(void *ctx, const struct pdf_stream *stream);
    /* A trailer or cross-reference stream dictionary at OFFSET has an /Encrypt
     * key: the file's strings and streams are encrypted (7.6).  Called before
     * that dictionary's syntax and, for a stream, before its data. */
    int (*encrypted)(void *ctx, uint64_t offset);
};

/*
 * Walks DATA, calling CB (NULL allowed) with CTX.  Returns PDF_EXACT when
 * every byte from the "%PDF-" at its start to the last "%%EOF" is PDF
 * syntax or stream data and only whitespace follows; PDF_NOT_EXACT, with
 * the offset and the reason in ERR, for anything else (no header, bytes
 * that are no token or out of place, a /Length missing or unresolvable, a
 * stream that does not end on "endstream", nesting past PDF_MAX_DEPTH,
 * bytes after the last "%%EOF"); PDF_ERROR, with ERR filled, when DATA
 * cannot be read, memory runs out or a callback stops the walk.
 */
enum pdf_walk_result pdf_walk(const struct spool *data, const struct pdf_callbacks *cb,
                              void *ctx, char *err, size_t errlen);

/* The same walk over the LEN bytes at P (in memory already). */
enum pdf_walk_result pdf_walk_bytes(const unsigned char *p, size_t len,
                                    const struct pdf_callbacks *cb, void *ctx, char *err,
                                    size_t errlen);

#endif
