/*
 * http - requests and responses: the query string and the POST form
 * (libmicrohttpd's parsers), cookies, and the headers every response
 * carries: a CSP without inline script or style, no framing, no referrer
 * (the links carry tokens), no caching of pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "web.h"

const char *request_arg(const struct request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *request_field(const struct request *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].name, name) == 0)
            return r->fields[i].value;
    return NULL;
}

size_t request_fields(const struct request *r, const char *name, const char **out,
                      size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nfields && n < max; i++)
        if (strcmp(r->fields[i].name, name) == 0)
            out[n++] = r->fields[i].value;
    return n;
}

void page_cookie(struct request *r, struct page *p, const char *name, const char *value,
                 long age)
{
    if (p->ncookies >= sizeof(p->cookies) / sizeof(p->cookies[0]))
        return;
    snprintf(p->cookies[p->ncookies++], sizeof(p->cookies[0]),
             "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s", name, value, age,
             r->w->https ? "; Secure" : "");
}

void page_redirect(struct page *p, const char *location)
{
    p->status = MHD_HTTP_SEE_OTHER;
    snprintf(p->location, sizeof(p->location), "%s", location);
}

enum MHD_Result request_respond(struct request *r, struct page *p)
{
    if (r->new_form_cookie)
        page_cookie(r, p, "sw_form", r->form_cookie, 86400);
    if (p->failed) {
        buf_free(&p->body);
        memset(&p->body, 0, sizeof(p->body));
        static const char oom[] = "<!DOCTYPE html><title>500</title><p>Out of memory.";
        buf_append(&p->body, oom, sizeof(oom) - 1);
        p->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    size_t len = p->body.len;
    char *data = p->body.data;
    p->body.data = NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, data ? data : (void *)"",
        data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            p->content_type ? p->content_type
                                            : "text/html; charset=utf-8");
    MHD_add_response_header(
        resp, "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            p->content_type &&
                                    strncmp(p->content_type, "text/css", 8) == 0
                                ? "public, max-age=3600"
                                : "no-store");
    if (r->w->https)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    if (p->location[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, p->location);
    if (p->refresh > 0) {
        char v[16];
        snprintf(v, sizeof(v), "%u", p->refresh);
        MHD_add_response_header(resp, "Refresh", v);
    }
    for (size_t i = 0; i < p->ncookies; i++)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, p->cookies[i]);
    enum MHD_Result rc =
        MHD_queue_response(r->conn, p->status ? (unsigned)p->status : MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rc;
}

void error_page(struct request *r, struct page *p, int status, const char *title,
                const char *text)
{
    p->status = status;
    html_begin(r, p, title);
    html_printf(p, "<p class=\"notice bad\">%s</p>", text);
    html_end(r, p);
}
