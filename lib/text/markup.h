/*
 * markup - HTML and XML reduced to the text a reader sees, for matching.
 * libxml2 lives behind this module.
 *
 * HTML:
 * libxml2's forgiving HTML parser does the parsing and entity decoding;
 * this module keeps character data and attribute text people read (alt,
 * title), drops script and style, and puts a line break after block
 * elements.  Inline markup adds nothing, so a keyword split by tags
 * (<b>社</b>外秘) reads whole again.  Hidden text (display:none) is kept on
 * purpose: a leak is a leak whether or not the mail client shows it.
 *
 * Input must be UTF-8 (the charset module made it so); any charset the
 * document declares is ignored.  Call markup_init() once per process before
 * threads start.  Thread-safe afterwards.
 */
#ifndef SENDWATCH_MARKUP_H
#define SENDWATCH_MARKUP_H

#include <stddef.h>

void markup_init(void);

/*
 * Converts LEN bytes of UTF-8 HTML.  Returns 0 with a malloc'ed,
 * NUL-terminated UTF-8 text in *OUT (length *OUTLEN) that the caller frees,
 * or -1 when out of memory.  Broken HTML is not an error: whatever libxml2
 * recovers is returned.
 */
int markup_html_text(const char *in, size_t len, char **out, size_t *outlen);

/*
 * Like markup_html_text() for XML in any encoding the document declares,
 * except that a document that is not well-formed (or uses entities, which
 * are never expanded) returns 1 with the text read before the problem:
 * the caller must then scan the raw bytes as well, or text after the
 * problem would go unseen.
 */
int markup_xml_text(const char *in, size_t len, char **out, size_t *outlen);

#endif
