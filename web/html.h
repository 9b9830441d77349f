/*
 * html - pages built so that nothing from mail can become markup.
 *
 * html_printf() is printf with one rule: %s is always escaped (&, <, >,
 * quotes; control characters and bytes that are not UTF-8 become U+FFFD),
 * so a subject "<script>" shows as text.  Markup of our own is %r (raw)
 * and only ever a literal or another html_ function's output.  Numbers:
 * %d %u %ld %lld %zu.  Every page is UTF-8, with the same head (our CSS,
 * no inline style or script: the CSP forbids both) and a language switch.
 */
#ifndef SENDWATCH_HTML_H
#define SENDWATCH_HTML_H

#include <stddef.h>
#include <time.h>

#include "web.h"

/* The text in R's language: EN or JA. */
static inline const char *L(const struct request *r, const char *en, const char *ja)
{
    return r->lang[0] == 'j' ? ja : en;
}

void html_printf(struct page *p, const char *fmt, ...);
/* Appends S escaped (N bytes). */
void html_escape(struct page *p, const char *s, size_t n);

/* The page's head, header (with the navigation R's session may use) and title. */
void html_begin(struct request *r, struct page *p, const char *title);
void html_end(struct request *r, struct page *p);

/* A time as people read it (time_zone, zone named), escaped in place. */
void html_time(struct page *p, time_t t);

/* <input type=hidden name=csrf> with R's token (or the one bound to LINK). */
void html_csrf(struct request *r, struct page *p, const char *link);

/* The stylesheet served at /static/sendwatch.css. */
extern const char html_stylesheet[];

#endif
