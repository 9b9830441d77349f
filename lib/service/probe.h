/*
 * probe - health checks that do the real work of a peer, briefly: a
 * milter negotiation that a libmilter worker must answer, and an HTTP
 * request that a web server must answer.  Used by the daemons before they
 * feed their watchdog (service.h), by holdd to judge whether the milter is
 * healthy (auto bypass).
 *
 * Each call does its whole exchange within TIMEOUT_MS, on a descriptor of
 * its own, and returns 0 (answered as expected) or -1 with ERR saying
 * what failed ("connect: Connection refused", "no answer in 3000 ms", "an
 * answer that is not a milter negotiation").  Thread-safe; no signals,
 * no global state.
 */
#ifndef SENDWATCH_PROBE_H
#define SENDWATCH_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * Connects to the milter at SPEC (libmilter's syntax: unix:/path,
 * local:/path, inet:PORT@HOST, inet6:PORT@HOST), offers a protocol-6
 * negotiation as Postfix does, reads the milter's answer and says QUIT.
 */
int probe_milter(const char *spec, int timeout_ms, char *err, size_t errlen);

/*
 * Sends "GET PATH" to the server at ADDR (ADDRLEN bytes) - over TLS when
 * TLS is true, without checking the certificate: the caller probes its own
 * socket - and reads the status line.  0 when the status is 200.
 */
int probe_http(const struct sockaddr *addr, socklen_t addrlen, bool tls, const char *path,
               int timeout_ms, char *err, size_t errlen);

#endif
