/*
 * health - the milter's watch on itself, for systemd (service.h).
 *
 * A thread that, every third of WatchdogSec= (every second after a
 * failure), completes a milter negotiation
 * on the milter's own socket (probe.h): only when a libmilter worker has
 * answered does it tell systemd WATCHDOG=1 - and READY=1 the first time,
 * so "started" means "answering".  A milter whose workers hang or whose
 * listener died stops answering, misses its pings, and systemd kills and
 * restarts it; a timer thread that pinged regardless would keep it alive.
 * Not started when systemd did not start the milter ($NOTIFY_SOCKET).
 */
#ifndef SENDWATCH_MILTER_HEALTH_H
#define SENDWATCH_MILTER_HEALTH_H

/*
 * Starts the thread for the milter at SOCKET (libmilter syntax; copied).
 * Signals must already be blocked in the caller.  0, or -1 (no thread).
 */
int health_start(const char *socket);

/* Stops and joins the thread; harmless when none was started. */
void health_stop(void);

#endif
