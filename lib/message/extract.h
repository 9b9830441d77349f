/*
 * extract - the text inside archives and office documents.
 *
 * libarchive lives behind this module.  Given the decoded bytes of an
 * attachment, extract_archive() looks inside when libarchive recognises
 * them (zip, tar, gzip/bzip2/xz, 7z, rar, cab, iso...), whatever the name
 * says:
 *  - an office document (a zip named or starting like OOXML: docx/xlsx/pptx,
 *    or ODF: odt/ods/odp) yields the text of its content parts (body,
 *    headers and footers, sheets and shared strings, slides and their
 *    masters and layouts, notes, comments, properties), reduced by the
 *    markup module; its structure parts (styles, themes, relationships)
 *    are read but not as text; documents embedded in it are looked into in
 *    turn;
 *  - any other archive reports each file as an entry (name, size,
 *    encrypted), yields the text of text-like files, and looks into every
 *    other file in case it is an archive or document itself; one that is
 *    neither yields what extract_file_text() reads of it.
 * Hard limits, shared by the whole message through one budget: nesting
 * depth, entries (every one: folders and office parts too), bytes expanded
 * (every byte libarchive expands, office structure parts too), and
 * expansion ratio of each archive (a zip bomb trips the ratio while it is
 * being read, whatever its headers claim).  A limit hit, an encrypted
 * entry or a broken archive is reported through the problem callback;
 * nothing is skipped silently.
 *
 * extract.c holds the archive walk, extract_text.c the text of a plain file
 * (extract_file_text).  Thread-safe: everything lives in the arguments.
 */
#ifndef SENDWATCH_EXTRACT_H
#define SENDWATCH_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

/* Expansion every archive may have before the ratio limit applies (so
 * does S/MIME compressed content, which the view inflates on this budget). */
#define EXTRACT_RATIO_FLOOR (1024 * 1024)

struct extract_budget {
    unsigned max_depth;    /* deepest nesting looked into */
    unsigned max_entries;  /* files read from archives, per message */
    uint64_t max_expanded; /* bytes expanded from archives, per message */
    unsigned max_ratio;    /* expanded bytes per byte of one archive */
    size_t max_text;       /* bytes of one file read as text */
    size_t memory_limit;   /* a nested archive's bytes kept in RAM, then temp_dir */
    const char *temp_dir;
    unsigned entries;  /* used so far */
    uint64_t expanded; /* used so far */
};

enum extract_text_kind {
    EXTRACT_TEXT_UTF8,  /* valid UTF-8: a document's XML text, a file's text runs */
    EXTRACT_TEXT_BYTES, /* a text-like file: bytes in an unknown charset */
    EXTRACT_TEXT_HTML,  /* an HTML file: bytes in an unknown charset */
};

enum extract_problem {
    EXTRACT_LIMIT = 1u << 0,
    EXTRACT_MALFORMED = 1u << 1,
    EXTRACT_ENCRYPTED = 1u << 2,
    EXTRACT_UNREADABLE = 1u << 3, /* a format whose text is not read (compound file) */
};

struct extract_callbacks {
    void *ctx;
    /* A file in the archive PARENT.  Returns its id, or -1 to stop (out of memory). */
    int (*entry)(void *ctx, int parent, const char *name, uint64_t size, bool encrypted,
                 unsigned depth);
    /* Text found in file or document ID. */
    void (*text)(void *ctx, int id, enum extract_text_kind kind, const char *bytes,
                 size_t len);
    /* A limit hit (EXTRACT_LIMIT), a broken archive or document
     * (EXTRACT_MALFORMED), an encrypted entry (EXTRACT_ENCRYPTED), a file
     * whose text is not read (EXTRACT_UNREADABLE). */
    void (*problem)(void *ctx, int id, enum extract_problem what, const char *why);
};

/*
 * Looks into DATA, the decoded bytes of file ID (named NAME, at DEPTH).
 * Returns 0 when DATA was an archive or document and was read (problems
 * went to the callback), 1 when it is neither, -1 with ERR filled on a
 * hard error (out of memory, a spill file that cannot be written).
 */
int extract_archive(const struct spool *data, const char *name, int id, unsigned depth,
                    struct extract_budget *budget, const struct extract_callbacks *cb,
                    char *err, size_t errlen);

/*
 * True when DATA is an OLE2 compound file (it starts with D0 CF 11 E0 A1 B1
 * 1A E1): a binary Office document (.doc, .xls, .ppt), an Outlook .msg, or
 * an OOXML document under a password.  Its text is not read - only its
 * text runs, and its text is UTF-16 - so it is reported: an encrypted
 * document when it is named as OOXML, else an unreadable format.
 */
bool extract_is_compound_file(const struct spool *data);

/*
 * What is read of DATA, file ID, a file that is no archive or document
 * (extract_archive() returned 1), and how - the one answer for a file at
 * the top of a message and one in an archive:
 *  - text by its head (extract_looks_like_text()): its first max_text bytes
 *    as they are, *KIND EXTRACT_TEXT_BYTES (the caller converts them);
 *  - an exact image (image_walk_spool()): the text runs of its metadata
 *    (extract_image_text()), not its pixels - or of every byte when it has
 *    more metadata than a walk keeps;
 *  - a PDF from its header to its last %%EOF (pdf.h): its syntax and
 *    streams for their text runs, Flate streams inflated (on BUDGET's
 *    expansion and ratio: a limit is reported and the rest read as it
 *    is), exact JPEG images (DCTDecode) not read; an encrypted PDF is
 *    reported EXTRACT_ENCRYPTED, Flate streams that do not inflate
 *    EXTRACT_MALFORMED (both read as they are);
 *  - anything else (binary formats, a PDF that is not exact, and text
 *    behind a binary head: a CSV after a PNG's magic): its text runs, as
 *    strings(1) finds them but not ASCII only.  The first max_text bytes
 *    are split at NUL and at the C0 controls other than TAB, LF, CR and
 *    ESC (ISO-2022-JP); runs of at least 4 bytes are kept, bytes >= 0x80
 *    included, so UTF-8, Shift_JIS and EUC-JP text survives; each run is
 *    converted to UTF-8 on its own (charset_run_to_utf8(): no label, stray
 *    binary bytes at its ends forgiven) and the runs are joined by '\n':
 *    *KIND EXTRACT_TEXT_UTF8.  UTF-16 text is not among the runs (XXX: its
 *    NUL bytes split it; only a whole file in UTF-16 is read, as text).
 *    Costly on data that looks random (compressed streams): most of it
 *    comes out as runs of noise.
 * At most BUDGET->max_text bytes are read as text; a cut is reported
 * (EXTRACT_LIMIT; an exact image's pixels are no cut), as is every other problem,
 * through CB's problem callback for ID (CB's text callback is not used).
 * *TEXT is malloc'ed and NUL-terminated (*LEN bytes), NULL when nothing is
 * read; the caller frees it.  Returns 0, or -1 with ERR filled (out of
 * memory, a spool read error).
 */
int extract_file_text(const struct spool *data, int id, struct extract_budget *budget,
                      const struct extract_callbacks *cb, char **text, size_t *len,
                      enum extract_text_kind *kind, char *err, size_t errlen);

struct image_walk;

/*
 * The text of an exact image's metadata (image.h), as walked by W: each
 * piece's text runs, PNG zTXt and compressed iTXt text inflated on BUDGET.
 * Problems go to CB as those of file ID (a cut, a limit; compressed text
 * that does not inflate: EXTRACT_MALFORMED).  *TEXT and *LEN as
 * extract_file_text() gives them.  Returns 0; 1 when W kept only part of
 * the metadata (image_walk_text()): the caller then reads every byte of
 * the file for its runs; -1 with ERR filled when out of memory.
 */
int extract_image_text(const struct image_walk *w, int id, struct extract_budget *budget,
                       const struct extract_callbacks *cb, char **text, size_t *len,
                       char *err, size_t errlen);

/*
 * True when DATA looks like text (no NUL bytes and few control bytes in its
 * first 8 KB, or UTF-16/UTF-32 by its byte order mark or NUL pattern: see
 * charset_unicode_form()): a file that is no archive and whose name says
 * nothing is then read as text, so a renamed CSV is not a blind spot.
 */
bool extract_looks_like_text(const struct spool *data);

/*
 * True when extract_archive() and extract_looks_like_text() would find
 * nothing in a file of SIZE bytes whose first HEAD_LEN bytes are HEAD and
 * whose last TAIL_LEN bytes are TAIL: libarchive, given exactly those bytes
 * at their offsets (in the reads extract_archive() makes), recognises no
 * archive and no compression without asking for any other byte, and the
 * start is no text.  Then reading the whole file gives the same answer.
 */
bool extract_sniff(const void *head, size_t head_len, const void *tail, size_t tail_len,
                   uint64_t size);

#endif
