/*
 * admin - what the admin console's two files share (admin_pages.c: sign-in,
 * the held queue, audit log, rules, settings and the routes;
 * admin_quarantine.c: the quarantine): the role check, form checks, paging.
 */
#ifndef SENDWATCH_WEB_ADMIN_H
#define SENDWATCH_WEB_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "web.h"

#define PAGE_ROWS 50 /* rows of a list page */

/* What a page needs of the signed-in admin's role. */
enum page_need { NEED_HELD = 1, NEED_QUARANTINE = 2, NEED_ADMIN = 4 };

/* Whether the signed-in admin may open a page that needs NEED; else a 403 or the login.
 */
bool admin_allowed(struct request *r, struct page *p, unsigned need);
/* The 403 of a form that did not come from the console (or a session gone). */
void admin_form_refused(struct request *r, struct page *p);
/* A form's POST by an admin whose role may send it; else a 403 or the login. */
bool admin_form(struct request *r, struct page *p, unsigned need);
/* Whether NEEDLE occurs in HAY, ignoring ASCII case ("" always does). */
bool text_contains(const char *hay, const char *needle);
/* The ?page= asked for (1 when none or bad). */
size_t admin_page_number(struct request *r);
/* Previous/next links that keep the filters in QUERY (already URL-safe). */
void admin_pager(struct page *p, struct request *r, const char *base, const char *query,
                 size_t page, bool more);
/* VALUE percent-encoded into OUT (LEN bytes), for a query string; returns OUT. */
const char *admin_url_encode(const char *value, char *out, size_t len);

/* The quarantine's pages (admin_quarantine.c). */
void admin_quarantine(struct request *r, struct page *p);
void admin_quarantine_view(struct request *r, struct page *p);
void admin_quarantine_deliver(struct request *r, struct page *p);
void admin_quarantine_delete(struct request *r, struct page *p);

#endif
