/*
 * extract_internal - what extract_text.c shares with extract_pdf.c: the
 * text runs of binary data (as extract_file_text() in extract.h describes
 * them), fed in pieces, and the reading of a PDF through its structure.
 * Not for use outside lib/message's extract*.c.
 */
#ifndef SENDWATCH_EXTRACT_INTERNAL_H
#define SENDWATCH_EXTRACT_INTERNAL_H

#include <stddef.h>

#include "buf.h"
#include "extract.h"
#include "spool.h"

/* The text runs of bytes as they are fed: kept runs, joined by '\n', in OUT.
 * Zero-initialised to start; text_runs_take() or text_runs_free() to end. */
struct text_runs {
    struct buf out;
    struct buf pending; /* a run cut by the end of a feed, until it ends */
    unsigned coded;     /* the pending run's RUN_8BIT and RUN_ESC */
};

/* Reads the N bytes at P into T's runs; a run may go on into the next feed.
 * 0, or -1 when out of memory. */
int text_runs_feed(struct text_runs *t, const unsigned char *p, size_t n);

/* Ends the pending run, if any: the next feed starts a new one (bytes that are
 * not next to each other in a file).  0, or -1 when out of memory. */
int text_runs_end(struct text_runs *t);

/* Ends T and hands its text over: *TEXT malloc'ed and NUL-terminated (*LEN
 * bytes), NULL when no run was kept.  T is left empty.  0, or -1 when out of
 * memory (T is then still to be freed). */
int text_runs_take(struct text_runs *t, char **text, size_t *len);

void text_runs_free(struct text_runs *t);

/*
 * The text of DATA read as a PDF (extract_pdf.c): when it is one from its
 * first byte to its last (pdf_walk() exact), its syntax and the streams
 * that can hold text are read for their runs, Flate streams inflated on
 * BUDGET; exact JPEG images (DCTDecode) are not read.  Problems go to CB
 * as those of file ID.  Returns 0 with *TEXT and *LEN as text_runs_take()
 * gives them, 1 when DATA is not an exact PDF (nothing reported: the
 * caller reads it as any other binary), -1 with ERR filled on a hard error
 * (out of memory, a spool read error).
 */
int extract_pdf_text(const struct spool *data, int id, struct extract_budget *budget,
                     const struct extract_callbacks *cb, char **text, size_t *len,
                     char *err, size_t errlen);

#endif
