/*
 * view_internal - the view's record and the pieces that fill it, shared by
 * view.c (the record: texts, attachments, flags), view_walk.c (the MIME
 * structure and each of its readings) and view_leaf.c (one leaf part, read
 * under each of its labels).  Internal to the view: nothing outside
 * lib/message includes it.
 *
 * A soft problem (view_note) sets a flag and keeps the first reason; a hard
 * one (view_fail: out of memory, a spool that cannot be read or written)
 * makes view_build() return NULL, so that a message read halfway is never
 * taken as inspected.  Once the view has failed, what is added no longer
 * matters (view_build() throws it all away): callers stop early by
 * checking v->failed, so as not to waste work.
 */
#ifndef SENDWATCH_VIEW_INTERNAL_H
#define SENDWATCH_VIEW_INTERNAL_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extract.h"
#include "spool.h"
#include "view.h"
#include "view_name.h"
#include "view_readings.h"

/*
 * The walk of one spool - the message, or the content of an S/MIME part -
 * and of its other readings (view_readings.h): while a later reading is
 * walked, parts it shares with an earlier one - the same bytes of that
 * spool - are not read again.  Offsets are the spool's own, so a walk of
 * S/MIME content sets its enclosing one aside.
 */
struct view_pass {
    struct view_readings *readings;
    bool later_reading;
    GHashTable *seen; /* [start, end) of the parts read (view_seen) */
};

struct view {
    struct view_text *texts;
    size_t ntexts, texts_cap;
    struct view_attachment *attachments;
    size_t nattachments, attachments_cap;
    unsigned flags;
    char *subject;
    char *header_from;
    char **header_rcpts;
    size_t nheader_rcpts;
    char problem[256];
    struct view_limits limits;
    struct extract_budget budget; /* archive limits, shared by the whole message */
    bool failed;                  /* a hard error: view_build() returns NULL */
    char error[256];              /* why */
    GMimeParserOptions *options;
    unsigned nmalformed; /* VIEW_MALFORMED notes so far */
    struct view_pass pass;
};
/* Sets FLAG; for the malformed and cut flags, the first reason is kept. */
void view_note(struct view *v, unsigned flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A hard error: WHY is kept (the first one) and the view fails. */
void view_fail(struct view *v, const char *why);

/* Adds UTF8 (valid UTF-8, LEN bytes), normalised, as a text of FIELD of
 * attachment ATTACHMENT (-1: the message).  NAME (a header's) is copied. */
void view_add_text(struct view *v, enum view_field field, const char *name,
                   int attachment, const char *utf8, size_t len);
/* Converts BYTES labelled CHARSET (NULL: none) to UTF-8 (HTML: its text) and
 * adds it.  With OWNED == BYTES (malloc'ed, NUL-terminated) they are taken
 * over, so that ASCII and clean UTF-8 are not copied. */
void view_add_owned_bytes(struct view *v, enum view_field field, const char *name,
                          int attachment, const char *charset, char *owned,
                          const char *bytes, size_t len, bool html);
void view_add_bytes(struct view *v, enum view_field field, const char *name,
                    int attachment, const char *charset, const char *bytes, size_t len,
                    bool html);

/* The first MAX bytes of SP, malloc'ed and NUL-terminated (*LEN without the
 * NUL); NULL when the view failed.  _take takes SP's memory over when it
 * holds all of it. */
char *view_slurp(struct view *v, const struct spool *sp, size_t max, size_t *len);
char *view_slurp_take(struct view *v, struct spool *sp, size_t max, size_t *len);

/* Adds an attachment known by NAMES, with one attachment-name text per
 * name; sets the suspicious-name flag.  Its index, or -1 (the view failed). */
int view_add_attachment(struct view *v, const struct view_names *names, const char *type,
                        uint64_t size, int parent, unsigned depth);
/* Sets the encrypted-message flag when one of NAMES says encrypted mail
 * (view_name_encrypted): for files whose content is not opened to tell. */
void view_note_encrypted_names(struct view *v, const struct view_names *names);

/* Whether the bytes [START, END) of the spool walked were read already by
 * an earlier reading; notes them as read when not.  START -1 (unknown):
 * never. */
bool view_seen(struct view *v, gint64 start, gint64 end);

/* view_walk.c: what noting other readings came to (view_readings.h): a
 * reading left out is a cut, an error fails the view. */
void view_readings_result(struct view *v, enum view_readings_result result);

/* view_walk.c: parses MESSAGE and walks every reading of it, then the raw
 * text of a malformed message and the inline-PGP check. */
void view_walk_message(struct view *v, const struct spool *message);

/*
 * view_walk.c: DER, the decoded body of an S/MIME part at DEPTH whose
 * Content-Type names SMIME_TYPE (NULL: none, or no S/MIME type at all).
 * Signed or compressed content (view_smime.h) is walked one level deeper,
 * like a forwarded message, every reading of it; encrypted content is
 * flagged; anything else is malformed when SMIME_TYPE claims a readable
 * type (signed-data, certs-only, compressed-data), else flagged encrypted,
 * as it may well be.  false when DER is no CMS at all: then the part is
 * still to be read as any file.
 */
bool view_walk_smime(struct view *v, const struct spool *der, const char *smime_type,
                     unsigned depth);

/* view_leaf.c: one leaf part at DEPTH (forwarded messages around it). */
void view_leaf(struct view *v, GMimePart *part, unsigned depth);

#endif
