/*
 * service - how a daemon tells its service manager (systemd, Type=notify)
 * that it is ready, stopping, or still working.
 *
 * Every call is a no-op when the daemon was not started by systemd
 * ($NOTIFY_SOCKET unset), so the same binary runs by hand, in the tests'
 * harness and under systemd.  The watchdog is not fed by a timer: a daemon
 * calls service_watchdog_ping() only after it has seen its own work move
 * (the milter: a negotiation on its own socket answered by a worker;
 * holdd: its loop turned; the web: a request to itself answered), so a
 * hung process misses its pings and systemd kills and restarts it.
 *
 * Thread-safe (sd_notify(3) is).  Calls never fail in a way the caller
 * must handle: a lost notification is logged once and otherwise ignored.
 */
#ifndef SENDWATCH_SERVICE_H
#define SENDWATCH_SERVICE_H

#include <stdint.h>

/* "READY=1" with STATUS (may be NULL) once the daemon serves. */
void service_ready(const char *status);

/* "STOPPING=1": the daemon is shutting down in order. */
void service_stopping(void);

/* A one-line STATUS= for systemctl status (printf-style). */
void service_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * How often this process should ping, in microseconds: a third of the
 * unit's WatchdogSec=, or 0 when no watchdog is asked for (or not under
 * systemd).  A check that fails is retried sooner (RETRY_MS), so one
 * failure alone does not get the process killed.
 */
#define SERVICE_RETRY_MS 1000
uint64_t service_watchdog_interval(void);

/* "WATCHDOG=1": the caller has just seen its work move. */
void service_watchdog_ping(void);

#endif
