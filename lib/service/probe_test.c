/*
 * probe_test - the health probes against peers that answer right, wrong,
 * late or not at all (real sockets; the e2e tests probe the real milter
 * and web).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"

struct peer {
    int listen_fd;
    const void *answer; /* written after the first read; NULL: never answers */
    size_t answer_len;
    char seen[64];           /* the first bytes the probe sent */
    size_t seen_len, expect; /* read until EXPECT bytes came (or the end) */
};

static void *serve_once(void *arg)
{
    struct peer *p = arg;
    int fd = accept(p->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    ssize_t n;
    do {
        n = read(fd, p->seen + p->seen_len, sizeof(p->seen) - p->seen_len);
        p->seen_len += n > 0 ? (size_t)n : 0;
    } while (n > 0 && p->seen_len < p->expect);
    if (p->answer != NULL) {
        if (write(fd, p->answer, p->answer_len) < 0)
            p->seen_len = 0;
    }
    /* Hold the line until the probe closes it. */
    char drain[256];
    while (read(fd, drain, sizeof(drain)) > 0)
        ;
    close(fd);
    return NULL;
}

static int unix_listener(char *path, size_t len)
{
    snprintf(path, len, "/tmp/probe_test.%ld.sock", (long)getpid());
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    return fd;
}

static int run_milter_probe(const void *answer, size_t len, char *err, size_t errlen,
                            struct peer *p)
{
    char path[108], spec[120];
    p->listen_fd = unix_listener(path, sizeof(path));
    p->answer = answer;
    p->answer_len = len;
    pthread_t t;
    pthread_create(&t, NULL, serve_once, p);
    snprintf(spec, sizeof(spec), "unix:%s", path);
    int rc = probe_milter(spec, 300, err, errlen);
    shutdown(p->listen_fd, SHUT_RDWR);
    pthread_join(t, NULL);
    close(p->listen_fd);
    unlink(path);
    return rc;
}

static void milter_that_negotiates(void **state)
{
    (void)state;
    /* length 13, 'O', version 6, actions, protocol */
    static const unsigned char answer[] = {0, 0, 0, 13,   'O', 0, 0, 0, 6,
                                           0, 0, 0, 0x1f, 0,   0, 0, 0, 0};
    struct peer p = {.expect = 17};
    char err[256] = "";
    assert_int_equal(run_milter_probe(answer, sizeof(answer), err, sizeof(err), &p), 0);
    /* What it offered: length 13, 'O', version 6. */
    assert_true(p.seen_len >= 17);
    assert_int_equal(p.seen[3], 13);
    assert_int_equal(p.seen[4], 'O');
    assert_int_equal(p.seen[8], 6);
}

static void milter_that_does_not(void **state)
{
    (void)state;
    struct peer p = {0};
    char err[256] = "";
    static const char http[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
    assert_int_equal(run_milter_probe(http, sizeof(http) - 1, err, sizeof(err), &p), -1);
    assert_non_null(strstr(err, "not a milter negotiation"));
    /* Accepts the connection and never answers: a hung milter. */
    struct peer q = {0};
    assert_int_equal(run_milter_probe(NULL, 0, err, sizeof(err), &q), -1);
    assert_non_null(strstr(err, "no answer to the negotiation in 300 ms"));
}

/* A TCP peer on loopback that answers one negotiation; its port into *PORT. */
static int tcp_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void milter_over_tcp(void **state)
{
    (void)state;
    static const unsigned char answer[] = {0, 0, 0, 13,   'O', 0, 0, 0, 6,
                                           0, 0, 0, 0x1f, 0,   0, 0, 0, 0};
    /* inet:PORT (libmilter: every address) is asked on loopback. */
    const char *hosts[] = {"", "@127.0.0.1", "@localhost"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        int port;
        struct peer p = {.expect = 17, .answer = answer, .answer_len = sizeof(answer)};
        p.listen_fd = tcp_listener(&port);
        pthread_t t;
        pthread_create(&t, NULL, serve_once, &p);
        char spec[64], err[256] = "";
        snprintf(spec, sizeof(spec), "inet:%d%s", port, hosts[i]);
        int rc = probe_milter(spec, 1000, err, sizeof(err));
        shutdown(p.listen_fd, SHUT_RDWR);
        pthread_join(t, NULL);
        close(p.listen_fd);
        assert_int_equal(rc, 0);
        assert_int_equal(p.seen[4], 'O');
    }
}

static void milter_not_there(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(probe_milter("unix:/nonexistent/milter.sock", 300, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "connect: No such file"));
    assert_int_equal(probe_milter("tcp:1@localhost", 300, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not unix:"));
    assert_int_equal(probe_milter("inet:@localhost", 300, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not PORT@HOST or PORT"));
    assert_int_equal(probe_milter("inet:1@", 300, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not PORT@HOST or PORT"));
}

static int run_http_probe(const char *answer, char *err, size_t errlen, struct peer *p)
{
    int port;
    int fd = tcp_listener(&port);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(0x7f000001),
                             .sin_port = htons((uint16_t)port)};
    socklen_t len = sizeof(sa);
    p->listen_fd = fd;
    p->answer = answer;
    p->answer_len = answer ? strlen(answer) : 0;
    pthread_t t;
    pthread_create(&t, NULL, serve_once, p);
    int rc = probe_http((struct sockaddr *)&sa, len, false, "/healthz", 300, err, errlen);
    shutdown(fd, SHUT_RDWR);
    pthread_join(t, NULL);
    close(fd);
    return rc;
}

static void http_answers(void **state)
{
    (void)state;
    char err[256] = "";
    struct peer a = {0}, b = {0}, c = {0};
    assert_int_equal(run_http_probe("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
                                    err, sizeof(err), &a),
                     0);
    assert_true(strncmp(a.seen, "GET /healthz HTTP/1.1\r\n", 23) == 0);
    assert_int_equal(
        run_http_probe("HTTP/1.1 503 Service Unavailable\r\n\r\n", err, sizeof(err), &b),
        -1);
    assert_non_null(strstr(err, "503 Service Unavailable"));
    assert_int_equal(run_http_probe(NULL, err, sizeof(err), &c), -1);
    assert_non_null(strstr(err, "no answer in 300 ms"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(milter_that_negotiates), cmocka_unit_test(milter_that_does_not),
        cmocka_unit_test(milter_not_there),       cmocka_unit_test(milter_over_tcp),
        cmocka_unit_test(http_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
