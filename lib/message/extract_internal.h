/*
 * extract_internal - what extract_text.c, extract_feed.c and
 * extract_pdf.c share: the text runs of binary data (as
 * extract_file_text() in extract.h describes them), fed in pieces; a feed
 * that holds them to a file's limits and inflates; the reading of a PDF
 * through its structure.  Not for use outside lib/message's extract*.c.
 */
#ifndef SENDWATCH_EXTRACT_INTERNAL_H
#define SENDWATCH_EXTRACT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "buf.h"
#include "extract.h"
#include "image.h"
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
 * Text runs fed within a file's limits: at most BUDGET->max_text bytes in
 * all (then CUT), and what is inflated charged to BUDGET's expanded bytes
 * and held to max_ratio times the file's size (then OVER).  Single-threaded.
 */
struct text_feed {
    struct text_runs runs;
    struct extract_budget *budget;
    uint64_t allowed;  /* bytes the file may inflate to */
    uint64_t inflated; /* by the file so far */
    size_t fed;        /* bytes given to the runs */
    bool cut;
    enum { TEXT_FEED_OVER_NONE, TEXT_FEED_OVER_EXPANDED, TEXT_FEED_OVER_RATIO } over;
    bool nomem;
    z_stream z;
    bool z_ready;
    unsigned char *out;
};

/* A feed for a file of SIZE bytes on BUDGET. */
void text_feed_init(struct text_feed *f, struct extract_budget *budget, uint64_t size);

/* Feeds N bytes at P (what passes max_text is dropped, and CUT set).  0, or
 * -1 when out of memory. */
int text_feed(struct text_feed *f, const unsigned char *p, size_t n);

/* The same, then ends the run: the bytes are a piece of the file of their own. */
int text_feed_piece(struct text_feed *f, const unsigned char *p, size_t n);

/*
 * Feeds the zlib data at P (N bytes) inflated, as a piece of its own.
 * Returns 0 when it inflated to its end (*REST: bytes after the compressed
 * data, not fed), 1 when it does not inflate (what did before the error
 * was fed), 2 when max_text or a limit stopped it (CUT or OVER set), -1
 * when out of memory.
 */
int text_feed_inflated(struct text_feed *f, const unsigned char *p, size_t n,
                       size_t *rest);

/* Reports CUT and OVER through CB as problems of file ID, WHAT of SIZE bytes
 * ("a PDF"). */
void text_feed_report(const struct text_feed *f, const struct extract_callbacks *cb,
                      int id, const char *what, uint64_t size);

/* As text_runs_take() and text_runs_free(). */
int text_feed_take(struct text_feed *f, char **text, size_t *len);
void text_feed_free(struct text_feed *f);

/*
 * Feeds the metadata an image walk W kept (image_walk_text()), each piece
 * a run of its own, PNG zTXt and compressed iTXt text inflated (*BROKEN
 * counts those that do not inflate; they are fed as they are).  Returns 0;
 * 1 when W kept only part of it (nothing fed); -1 when out of memory.
 */
int text_feed_image(struct text_feed *f, const struct image_walk *w, unsigned *broken);

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
