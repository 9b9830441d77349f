/*
 * view - the message as the rules see it, built once per message.
 *
 * GMime parses the message; what the view adds is where clients differ
 * from GMime: the other readings of an ambiguous structure (view_readings.h),
 * lenient decodings (view_decode.h), every form of a name (view_name.h).
 * The view holds:
 *  - texts: the subject, every header, every body text part (transfer
 *    encoding decoded, charset converted by the charset module, HTML
 *    reduced to text), every attachment name and the text inside
 *    attachments, each NFKC-normalised with invisible format characters
 *    removed (normalize module), tagged with the field it came from;
 *  - attachments: decoded names (RFC 2047 with adjacent encoded-words of
 *    one charset joined before conversion, RFC 2231, raw 8-bit) - every
 *    distinct one a part carries (filename= and name=, each form: mail
 *    clients differ in which they show), control characters kept and made
 *    visible as U+2400 Control Pictures, so a NUL never cuts a name (see
 *    view_name.h) - declared type, decoded size, and flags (suspicious
 *    name, encrypted archive);
 *  - flags for what could not be read normally: malformed MIME (the raw
 *    message is then scanned as text too, so broken MIME cannot hide a
 *    keyword), a hit limit, an encrypted archive, a charset label that lied,
 *    encrypted mail (S/MIME, OpenPGP), a message/partial fragment, a
 *    message/external-body reference, a binary Office file (enum view_flag).
 * Forwarded messages (message/rfc822) are read as mail: their subject,
 * body and attachments join the view at a greater depth.  So is the MIME
 * entity inside S/MIME opaque signed and compressed parts (view_smime.h),
 * its signature unchecked; enveloped S/MIME is flagged encrypted.
 *
 * GMime and GLib stay inside this module.  view_init() must run once per
 * process before threads start.  A view is immutable once built; every
 * pointer it returns is owned by the view and valid until view_free().
 * Different views may be built and read in different threads at once.
 */
#ifndef SENDWATCH_VIEW_H
#define SENDWATCH_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

/* Where a text came from; a rule's field list is a mask of these. */
enum view_field {
    VIEW_SUBJECT = 1u << 0,
    VIEW_HEADER = 1u << 1, /* any header; view_text.name says which */
    VIEW_BODY = 1u << 2,
    VIEW_ATTACHMENT_NAME = 1u << 3,
    VIEW_ATTACHMENT_TEXT = 1u << 4,
};
#define VIEW_ALL_FIELDS 0x1fu

/* The name rules use for FIELD: subject, header, body, attachment-name, attachment-text.
 */
const char *view_field_name(enum view_field field);

/* What could not be read normally. */
enum view_flag {
    VIEW_MALFORMED = 1u << 0,         /* broken MIME; the raw text was scanned too */
    VIEW_LIMIT_EXCEEDED = 1u << 1,    /* a limit stopped extraction somewhere */
    VIEW_ENCRYPTED_ARCHIVE = 1u << 2, /* an attachment is an encrypted archive */
    VIEW_CHARSET_RELABELED = 1u << 3, /* a charset label did not fit its bytes */
    /* An attachment name hides its type: control or bidi characters, a
     * double extension, dots or spaces after an executable one, or names
     * (filename=, name=) that disagree. */
    VIEW_SUSPICIOUS_NAME = 1u << 4,
    VIEW_ENCRYPTED_MESSAGE = 1u << 5, /* S/MIME or OpenPGP encrypted content */
    VIEW_PARTIAL_MESSAGE = 1u << 6,   /* a message/partial fragment */
    VIEW_EXTERNAL_BODY = 1u << 7, /* message/external-body: the content is elsewhere */
    /* An attachment in a format whose text is not read, only its text runs:
     * an OLE2 compound file (binary Office .doc/.xls/.ppt, Outlook .msg). */
    VIEW_UNREADABLE_FORMAT = 1u << 8,
};
#define VIEW_FLAG_LAST VIEW_UNREADABLE_FORMAT

/*
 * The name of FLAG (one bit of enum view_flag) as rules, logs and
 * "sendwatch test" write it ("limit-exceeded"), or NULL.  One table, so
 * that a new flag cannot be missing from one of them.
 */
const char *view_flag_name(unsigned flag);

struct view_text {
    enum view_field field;
    const char *name; /* header name for VIEW_HEADER, else NULL */
    int attachment;   /* index into the attachments, -1 if none */
    const char *text; /* normalised UTF-8, NUL-terminated */
    size_t len;
};

struct view_attachment {
    const char *name;         /* decoded, not normalised, for display; "" if none */
    const char *const *names; /* every distinct name, NAME first: filename= and
                               * name= when they disagree, "a.exe" for "a.exe." */
    size_t nnames;            /* 0 when there is none */
    const char *content_type; /* lower-case "type/subtype" as declared */
    uint64_t size;            /* decoded bytes */
    int parent;               /* attachment (archive) it was found in, or -1 */
    unsigned depth;           /* 0: a part of the message itself */
    bool encrypted;           /* an encrypted archive, or an entry of one */
    bool suspicious_name;     /* see VIEW_SUSPICIOUS_NAME */
};

struct view_limits {
    unsigned max_depth;    /* nesting of forwarded messages and archives */
    unsigned max_entries;  /* archive entries read, per message */
    uint64_t max_expanded; /* bytes expanded from archives, per message */
    unsigned max_ratio;    /* expanded/compressed size of one entry */
    size_t max_text;       /* bytes read as text from one part (or a broken message) */
    size_t memory_limit;   /* decoded attachment bytes kept in RAM (then temp_dir) */
    const char *temp_dir;  /* where larger decoded attachments go */
};

/* The limits as the config sets them (archive_max_*, scan_text_limit, ...). */
struct config;
struct view_limits view_limits_from(const struct config *cfg);

struct view;

/* Once per process, before threads start. */
void view_init(void);
void view_shutdown(void);

/*
 * Builds the view of the message in MESSAGE (borrowed; it must stay
 * unchanged while the view is built).  Returns NULL with ERR filled only
 * when the view cannot be built at all (out of memory, a spill file that
 * cannot be written); broken MIME is not an error but a flag.
 */
struct view *view_build(const struct spool *message, const struct view_limits *limits,
                        char *err, size_t errlen);
void view_free(struct view *v);

size_t view_text_count(const struct view *v);
const struct view_text *view_text_at(const struct view *v, size_t i);
size_t view_attachment_count(const struct view *v);
const struct view_attachment *view_attachment_at(const struct view *v, size_t i);
unsigned view_flags(const struct view *v);

/* The decoded subject for display (not normalised); "" when none. */
const char *view_subject(const struct view *v);

/* Why the first VIEW_MALFORMED or VIEW_LIMIT_EXCEEDED flag was set, or "". */
const char *view_problem(const struct view *v);

/*
 * Addresses in the top header: the From address ("" when none) and the
 * To/Cc/Bcc addresses in order.  What "sendwatch test" uses when it is not
 * told the envelope.
 */
const char *view_header_from(const struct view *v);
size_t view_header_rcpt_count(const struct view *v);
const char *view_header_rcpt_at(const struct view *v, size_t i);

#endif
