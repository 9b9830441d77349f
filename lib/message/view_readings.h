/*
 * view_readings - the other ways a receiving client may split a message,
 * internal to the view.
 *
 * GMime reads a multipart one way; clients differ where the structure is
 * ambiguous, and an attachment that only one reading holds must still be
 * read.  While the first reading is walked, each multipart is noted here:
 *  - two boundary parameters on one Content-Type (GMime takes the first),
 *    or two Content-Type headers: one more reading per other boundary;
 *  - a leaf part with another Content-Type header that makes it a
 *    multipart or a message: one more reading where that header rules;
 *  - a line that starts with a boundary and goes on ("--B-junk"): GMime
 *    matches strictly, several clients by prefix: one more reading where
 *    such lines are boundaries.
 * A reading is the message with a few bytes replaced by as many others (a
 * header rewritten to name one boundary, padded; a junk line's tail turned
 * into transport padding), so every offset stays what it was and the view
 * can tell a part it has already read by its place.  The message is not
 * copied: a reading is a GMime stream of pieces of the original.
 * Well-formed mail has none.  Not thread-safe per object.
 */
#ifndef SENDWATCH_VIEW_READINGS_H
#define SENDWATCH_VIEW_READINGS_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>

#include "spool.h"

#define VIEW_READINGS_MAX 8   /* besides the first; more sets the cut flag */
#define VIEW_BOUNDARY_MAX 200 /* RFC 2046 allows 70; longer ones are not checked */

enum view_readings_result {
    VIEW_READINGS_OK = 0,
    VIEW_READINGS_DROPPED = 1, /* a reading was left out: the caller sets the cut flag */
    VIEW_READINGS_ERROR = -1,  /* out of memory, or the message could not be read: fail */
};

struct view_readings;

/* For MESSAGE (borrowed, unchanged while in use).  NULL when out of memory. */
struct view_readings *view_readings_new(const struct spool *message);
void view_readings_free(struct view_readings *r);

/*
 * Notes the multipart OBJ of the first reading: its boundary, and a
 * reading for each other boundary its Content-Type header(s) name.
 * DROPPED when it had to leave a reading out (VIEW_READINGS_MAX, a header
 * longer than 1 MB, a boundary longer than VIEW_BOUNDARY_MAX).
 */
enum view_readings_result view_readings_note_multipart(struct view_readings *r,
                                                       GMimeObject *obj,
                                                       GMimeParserOptions *options);

/*
 * Notes a part of the first reading (OBJ, a leaf) with several Content-Type
 * headers, of which the one at byte KEPT names a structure (a multipart,
 * a message) GMime did not take: a reading where it alone is in force (the
 * others renamed out of the way), so that what a client taking it sees -
 * the parts of that multipart - is read.  DROPPED at VIEW_READINGS_MAX.
 */
enum view_readings_result view_readings_note_type(struct view_readings *r,
                                                  GMimeObject *obj, gint64 kept);

/*
 * After the first reading: looks for lines that begin with a noted
 * boundary and go on; if there are any, every reading (the first too) gets
 * a twin where they are boundaries.  DROPPED when it had to leave one out
 * (VIEW_READINGS_MAX).
 */
enum view_readings_result view_readings_scan_prefixes(struct view_readings *r);

/* The readings besides the first. */
size_t view_readings_count(const struct view_readings *r);

/* Reading I (0 <= I < count) as a stream over BASE, the message's own
 * stream (borrowed); g_object_unref() it.  NULL when out of memory. */
GMimeStream *view_readings_stream(const struct view_readings *r, size_t i,
                                  GMimeStream *base);

/* What reading I changes, for the log ("boundary \"B\"", "prefix boundaries"). */
const char *view_readings_what(const struct view_readings *r, size_t i);

#endif
