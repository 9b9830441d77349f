/*
 * view_name - attachment names, internal to the view.
 *
 * A part may carry its name several times: filename= on
 * Content-Disposition and name= on Content-Type, each plain (perhaps with
 * RFC 2047 encoded-words or raw 8-bit bytes) or in RFC 2231 form
 * (filename*=UTF-8''%E7%A4%BE..., continuations filename*0*=, filename*1=),
 * and mail clients differ in which one they show.  A crafted message makes
 * them disagree ("a.txt" for the scanner, "a.exe" for the client), so every
 * distinct reading is kept, fully decoded, and the rules see each.
 *
 * Decoding keeps every byte: a NUL (%00, or inside an encoded-word) does not
 * end the name.  Control characters are made visible as Unicode Control
 * Pictures - U+2400 plus the code for C0 (NUL is U+2400 "␀"), U+2421 for
 * DEL - and C1 controls, which have no picture, as U+FFFD.  So
 * "report.txt<NUL>.exe" is the name "report.txt␀.exe", whose end a glob
 * "*.exe" sees, and view_name_suspicious() reports it.  The name without
 * its controls is a reading too ("report.txt.exe"), as a client that drops
 * them shows it, so that a control cannot split a keyword.  A name ending in
 * dots or spaces, which Windows drops ("a.exe." opens as "a.exe"), is kept
 * with the trimmed reading beside it.
 *
 * Strings are g_malloc'ed (GLib aborts when out of memory); the functions
 * are pure and thread-safe.
 */
#ifndef SENDWATCH_VIEW_NAME_H
#define SENDWATCH_VIEW_NAME_H

#include <stdbool.h>
#include <stddef.h>

struct view_names {
    char **name;    /* distinct readings, valid UTF-8, controls visible; the
                     * first is the one to show (filename*, filename, name*, name) */
    size_t n;       /* 0: the part has no name */
    bool disagree;  /* two parameters give different names (beyond ASCII case) */
    bool relabeled; /* a charset label did not fit its bytes */
};

/*
 * Adds every reading of parameter PARAM ("filename", "name") found in RAW,
 * the raw value of a Content-Disposition or Content-Type header (folded or
 * not): PARAM=, PARAM*= and PARAM*0*=... continuations, each decoded.
 */
void view_names_add_param(struct view_names *names, const char *raw, const char *param);

/*
 * Adds a name read elsewhere (an archive entry, GMime's reading): LEN bytes
 * of valid UTF-8, NULs and all.  Empty names are skipped.
 */
void view_names_add(struct view_names *names, const char *utf8, size_t len);

/* Frees the names; NAMES may then be reused. */
void view_names_clear(struct view_names *names);

/*
 * A name that hides what the file is: control characters (made visible),
 * bidi controls (which can show "txt.exe" as "exe.txt"), a document
 * extension followed by an executable one ("invoice.pdf.exe",
 * "report.doc    .scr"), or an executable one followed by dots or spaces.
 */
bool view_name_suspicious(const char *name);

/* A name that says the file is encrypted mail: S/MIME (.p7m) or OpenPGP. */
bool view_name_encrypted(const char *name);

/* A name that says the file is S/MIME (.p7m): signed or encrypted, as its
 * content tells. */
bool view_name_smime(const char *name);

#endif
