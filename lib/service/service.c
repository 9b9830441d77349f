/*
 * service - sd_notify(3) for the daemons (see service.h).
 */
#include "service.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"

/* A notify that fails is said once: the socket will not come back. */
static atomic_bool notify_failed_said;

static void service_notify(const char *state)
{
    int rc = sd_notify(0, state);
    if (rc < 0 && !atomic_exchange(&notify_failed_said, true))
        log_warning("cannot tell systemd \"%s\": %s", state, strerror(-rc));
}

void service_ready(const char *status)
{
    char state[512];
    if (status != NULL)
        snprintf(state, sizeof(state), "READY=1\nSTATUS=%s", status);
    else
        snprintf(state, sizeof(state), "READY=1");
    service_notify(state);
}

void service_stopping(void)
{
    service_notify("STOPPING=1");
}

void service_status(const char *fmt, ...)
{
    char state[512] = "STATUS=";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(state + 7, sizeof(state) - 7, fmt, ap);
    va_end(ap);
    service_notify(state);
}

uint64_t service_watchdog_interval(void)
{
    uint64_t usec = 0;
    /* 0: the variables are kept, for a restart of the same process image. */
    if (sd_watchdog_enabled(0, &usec) <= 0)
        return 0;
    /* A third: a missed ping (one failed check, retried at once) still
     * leaves time for the next before systemd acts. */
    return usec / 3;
}

void service_watchdog_ping(void)
{
    service_notify("WATCHDOG=1");
}
