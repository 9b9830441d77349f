/*
 * probe - milter and HTTP health checks (see probe.h).
 *
 * The milter protocol is libmilter's: a packet is a 4-byte length in
 * network order (command byte included), the command, its data.  The
 * negotiation (SMFIC_OPTNEG) carries the version, the actions and the
 * protocol steps offered; a worker answers with its own.  We offer what
 * Postfix offers, so the milter's own negotiate callback runs as for a
 * real connection.
 */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmilter/mfdef.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until FD is ready for EVENTS or DEADLINE passes.  0, or -1 (timeout). */
static int wait_for(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, events, 0};
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* A non-blocking connect to ADDR within DEADLINE.  The socket, or -1 with ERR. */
static int connect_before(const struct sockaddr *addr, socklen_t addrlen,
                          long long deadline, int timeout_ms, char *err, size_t errlen)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    /* A unix socket whose backlog is full says EAGAIN at once: a burst of
     * connections, not a dead peer - try again until the deadline. */
    int rc;
    while ((rc = connect(fd, addr, addrlen)) != 0 && errno == EAGAIN &&
           addr->sa_family == AF_UNIX && now_ms() < deadline) {
        struct timespec pause = {0, 10 * 1000000L};
        nanosleep(&pause, NULL);
    }
    if (rc != 0) {
        if (errno != EINPROGRESS) {
            snprintf(err, errlen, "connect: %s", strerror(errno));
            close(fd);
            return -1;
        }
        int soerr = 0;
        socklen_t len = sizeof(soerr);
        if (wait_for(fd, POLLOUT, deadline) != 0) {
            snprintf(err, errlen, "connect: no answer in %d ms", timeout_ms);
            close(fd);
            return -1;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
            snprintf(err, errlen, "connect: %s", strerror(soerr ? soerr : errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

static int send_all(int fd, const void *data, size_t len, long long deadline)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_for(fd, POLLOUT, deadline) != 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

static int recv_all(int fd, void *data, size_t len, long long deadline)
{
    char *p = data;
    while (len > 0) {
        ssize_t n = recv(fd, p, len, 0);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_for(fd, POLLIN, deadline) != 0)
                return -1;
        } else {
            errno = n == 0 ? ECONNRESET : errno;
            return -1;
        }
    }
    return 0;
}

/* SPEC's address into SS.  0, or -1 with ERR. */
static int milter_address(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
                          char *err, size_t errlen)
{
    const char *path = NULL;
    if (strncmp(spec, "unix:", 5) == 0)
        path = spec + 5;
    else if (strncmp(spec, "local:", 6) == 0)
        path = spec + 6;
    else if (spec[0] == '/')
        path = spec;
    if (path != NULL) {
        struct sockaddr_un *sun = (struct sockaddr_un *)ss;
        if (strlen(path) >= sizeof(sun->sun_path)) {
            snprintf(err, errlen, "%s: path too long", spec);
            return -1;
        }
        memset(sun, 0, sizeof(*sun));
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, path);
        *len = sizeof(*sun);
        return 0;
    }
    int family;
    const char *rest;
    if (strncmp(spec, "inet:", 5) == 0) {
        family = AF_INET;
        rest = spec + 5;
    } else if (strncmp(spec, "inet6:", 6) == 0) {
        family = AF_INET6;
        rest = spec + 6;
    } else {
        snprintf(err, errlen, "%s: not unix:, local:, inet: or inet6:", spec);
        return -1;
    }
    /* PORT@HOST, or PORT alone: libmilter then listens on every address,
     * and we ask on loopback. */
    const char *at = strchr(rest, '@');
    size_t port_len = at ? (size_t)(at - rest) : strlen(rest);
    const char *host = at ? at + 1 : family == AF_INET ? "127.0.0.1" : "::1";
    char port[16];
    if (port_len == 0 || port_len >= sizeof(port) || *host == '\0') {
        snprintf(err, errlen, "%s: not PORT@HOST or PORT", spec);
        return -1;
    }
    snprintf(port, sizeof(port), "%.*s", (int)port_len, rest);
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM}, *ai;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", spec, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

/* One milter packet: length, command, DATA (LEN bytes, at most 64), in one send. */
static int milter_send(int fd, char command, const void *data, uint32_t len,
                       long long deadline)
{
    unsigned char packet[5 + 64];
    uint32_t n = htonl(len + 1);
    if (len > 64)
        return -1;
    memcpy(packet, &n, 4);
    packet[4] = (unsigned char)command;
    if (len > 0)
        memcpy(packet + 5, data, len);
    return send_all(fd, packet, 5 + len, deadline);
}

int probe_milter(const char *spec, int timeout_ms, char *err, size_t errlen)
{
    long long deadline = now_ms() + timeout_ms;
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (milter_address(spec, &ss, &sslen, err, errlen) != 0)
        return -1;
    int fd =
        connect_before((struct sockaddr *)&ss, sslen, deadline, timeout_ms, err, errlen);
    if (fd < 0)
        return -1;
    /* Version 6, every action and every protocol step Postfix offers. */
    uint32_t offer[3] = {htonl(SMFI_PROT_VERSION), htonl(SMFI_CURR_ACTS),
                         htonl(SMFI_CURR_PROT)};
    int rc = -1;
    unsigned char head[5];
    if (milter_send(fd, SMFIC_OPTNEG, offer, sizeof(offer), deadline) != 0) {
        snprintf(err, errlen, "cannot send the negotiation: %s", strerror(errno));
    } else if (recv_all(fd, head, sizeof(head), deadline) != 0) {
        if (now_ms() >= deadline)
            snprintf(err, errlen, "no answer to the negotiation in %d ms", timeout_ms);
        else
            snprintf(err, errlen, "no answer to the negotiation: %s", strerror(errno));
    } else {
        uint32_t len;
        memcpy(&len, head, 4);
        len = ntohl(len);
        unsigned char answer[64];
        if (head[4] != SMFIC_OPTNEG || len < 13 || len - 1 > sizeof(answer) ||
            recv_all(fd, answer, len - 1, deadline) != 0) {
            snprintf(err, errlen,
                     "an answer that is not a milter negotiation (command "
                     "0x%02x, %u bytes)",
                     head[4], (unsigned)len);
        } else {
            rc = 0;
            milter_send(fd, SMFIC_QUIT, NULL, 0, deadline);
        }
    }
    close(fd);
    return rc;
}

/* The status code of an HTTP/1.x status line in LINE, or -1. */
static int http_status(const char *line)
{
    int code;
    if (sscanf(line, "HTTP/1.%*1[01] %3d", &code) != 1)
        return -1;
    return code;
}

static int probe_https(int fd, const char *request, char *reply, size_t replylen,
                       long long deadline, char *err, size_t errlen)
{
    int rc = -1;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = ctx ? SSL_new(ctx) : NULL;
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        snprintf(err, errlen, "OpenSSL: cannot set up TLS");
        goto done;
    }
    SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL); /* our own socket */
    size_t got = 0;
    enum { HANDSHAKE, WRITE, READ } step = HANDSHAKE;
    while (step != READ || got == 0) {
        int n;
        if (step == HANDSHAKE)
            n = SSL_connect(ssl);
        else if (step == WRITE)
            n = SSL_write(ssl, request, (int)strlen(request));
        else
            n = SSL_read(ssl, reply, (int)replylen - 1);
        if (n > 0) {
            if (step == READ)
                got = (size_t)n;
            else
                step = step == HANDSHAKE ? WRITE : READ;
            continue;
        }
        int e = SSL_get_error(ssl, n);
        short events = e == SSL_ERROR_WANT_READ    ? POLLIN
                       : e == SSL_ERROR_WANT_WRITE ? POLLOUT
                                                   : 0;
        if (events == 0 || wait_for(fd, events, deadline) != 0) {
            snprintf(err, errlen, "TLS %s failed or timed out",
                     step == HANDSHAKE ? "handshake" : "exchange");
            goto done;
        }
    }
    reply[got] = '\0';
    rc = 0;
done:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

int probe_http(const struct sockaddr *addr, socklen_t addrlen, bool tls, const char *path,
               int timeout_ms, char *err, size_t errlen)
{
    long long deadline = now_ms() + timeout_ms;
    int fd = connect_before(addr, addrlen, deadline, timeout_ms, err, errlen);
    if (fd < 0)
        return -1;
    char request[512], reply[512];
    snprintf(request, sizeof(request),
             "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
    int rc = -1;
    if (tls) {
        rc = probe_https(fd, request, reply, sizeof(reply), deadline, err, errlen);
    } else if (send_all(fd, request, strlen(request), deadline) != 0) {
        snprintf(err, errlen, "cannot send the request: %s", strerror(errno));
    } else {
        /* The status line comes in the first segment. */
        ssize_t n = -1;
        while (wait_for(fd, POLLIN, deadline) == 0 &&
               (n = recv(fd, reply, sizeof(reply) - 1, 0)) < 0 && errno == EINTR)
            ;
        if (n <= 0)
            snprintf(err, errlen, "no answer in %d ms", timeout_ms);
        else {
            reply[n] = '\0';
            rc = 0;
        }
    }
    close(fd);
    if (rc != 0)
        return -1;
    int code = http_status(reply);
    if (code != 200) {
        reply[strcspn(reply, "\r\n")] = '\0';
        snprintf(err, errlen, "answered \"%.80s\", not 200", reply);
        return -1;
    }
    return 0;
}
