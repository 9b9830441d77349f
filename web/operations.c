/*
 * operations - what the web serves for the people who run it rather than
 * use it: /healthz (on both listeners), the metrics listener (its own
 * libmicrohttpd daemon on metrics_listen, loopback only, with /metrics and
 * nothing else), and the self-check that feeds systemd's watchdog: a real
 * request to each listener, answered by a worker, through the store.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "metrics_page.h"
#include "probe.h"
#include "web.h"

#define SELF_TIMEOUT_MS 5000

/*
 * The /healthz answer of both listeners into BODY; its HTTP status.  A
 * read of the store: a worker that answers but cannot read would serve
 * nothing but errors.
 */
static unsigned health(struct web *w, struct buf *body)
{
    size_t n;
    char err[256];
    if (store_count(w->store, STORE_STATUS, &n, err, sizeof(err)) != 0) {
        buf_append(body, "store unreadable\n", 17);
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    buf_append(body, "ok\n", 3);
    return MHD_HTTP_OK;
}

void health_page(struct request *r, struct page *p)
{
    p->content_type = "text/plain; charset=utf-8";
    p->status = (int)health(r->w, &p->body);
}

/* A plain answer on the metrics listener. */
static enum MHD_Result plain(struct MHD_Connection *conn, unsigned status,
                             const char *type, struct buf *body)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        body->len, body->data ? body->data : (void *)"", MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_metrics_request(void *cls, struct MHD_Connection *conn,
                                          const char *url, const char *method,
                                          const char *version, const char *upload,
                                          size_t *upload_size, void **con_cls)
{
    struct web *w = cls;
    (void)version, (void)upload, (void)upload_size, (void)con_cls;
    struct buf body = {0};
    unsigned status = MHD_HTTP_OK;
    const char *type = "text/plain; charset=utf-8";
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        buf_append(&body, "GET only\n", 9);
    } else if (strcmp(url, "/metrics") == 0) {
        type = "text/plain; version=0.0.4; charset=utf-8";
        if (metrics_page(w->cfg, w->store, &body) != 0) {
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
            body.len = 0;
            buf_append(&body, "out of memory\n", 14);
        }
    } else if (strcmp(url, "/healthz") == 0) {
        status = health(w, &body);
    } else {
        status = MHD_HTTP_NOT_FOUND;
        buf_append(&body, "only /metrics and /healthz here\n", 32);
    }
    enum MHD_Result rc = plain(conn, status, type, &body);
    buf_free(&body);
    return rc;
}

struct MHD_Daemon *metrics_listener_start(struct web *w, int fd)
{
    return MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, on_metrics_request, w, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)30, MHD_OPTION_END);
}

int self_address(int fd, struct self_address *a)
{
    a->len = sizeof(a->addr);
    if (getsockname(fd, (struct sockaddr *)&a->addr, &a->len) != 0)
        return -1;
    /* Bound to every address: ask on loopback. */
    if (a->addr.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&a->addr;
        if (in->sin_addr.s_addr == htonl(INADDR_ANY))
            in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (a->addr.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->addr;
        if (memcmp(&in6->sin6_addr, &in6addr_any, sizeof(in6addr_any)) == 0)
            in6->sin6_addr = in6addr_loopback;
    }
    a->set = true;
    return 0;
}

bool self_address_loopback(const struct self_address *a)
{
    if (a->addr.ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)&a->addr)->sin_addr.s_addr) >> 24) ==
               127;
    if (a->addr.ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&a->addr)->sin6_addr);
    return false;
}

bool web_selfcheck(const struct self_address *web, const struct self_address *metrics,
                   char *err, size_t errlen)
{
    char why[256];
    if (probe_http((const struct sockaddr *)&web->addr, web->len, web->tls, "/healthz",
                   SELF_TIMEOUT_MS, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "web_listen: %s", why);
        return false;
    }
    if (metrics->set &&
        probe_http((const struct sockaddr *)&metrics->addr, metrics->len, false,
                   "/healthz", SELF_TIMEOUT_MS, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "metrics_listen: %s", why);
        return false;
    }
    return true;
}
