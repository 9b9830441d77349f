/* health - see health.h. */
#include "health.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "probe.h"
#include "service.h"

#define PROBE_TIMEOUT_MS 5000
#define FIRST_TRY_MS     200 /* until the first answer: READY comes soon */

static pthread_t health_thread;
static bool health_started, health_stopping;
static pthread_mutex_t health_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t health_wake = PTHREAD_COND_INITIALIZER;
static char *health_socket;

/* Sleeps MS, or less when health_stop() asks.  true when asked to stop. */
static bool health_sleep(long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&health_lock);
    while (!health_stopping &&
           pthread_cond_timedwait(&health_wake, &health_lock, &until) == 0)
        ;
    bool stop = health_stopping;
    pthread_mutex_unlock(&health_lock);
    return stop;
}

static void *health_run(void *arg)
{
    (void)arg;
    uint64_t interval_ms = service_watchdog_interval() / 1000;
    bool ready = false, failing = false;
    for (;;) {
        char err[256];
        if (probe_milter(health_socket, PROBE_TIMEOUT_MS, err, sizeof(err)) == 0) {
            if (!ready) {
                service_ready("answering on its socket");
                ready = true;
            }
            if (failing)
                log_info("health: answering on %s again", health_socket);
            failing = false;
            if (interval_ms == 0)
                return NULL; /* no watchdog: READY was all systemd asked */
            service_watchdog_ping();
        } else if (!failing) {
            /* Said once per spell; systemd's watchdog acts on it. */
            log_warning("health: no answer on %s: %s (the watchdog is not fed)",
                        health_socket, err);
            failing = true;
        }
        /* Soon after a failure: a passing hiccup must not cost a restart. */
        long wait_ms =
            !ready ? FIRST_TRY_MS
            : failing
                ? (long)(interval_ms < SERVICE_RETRY_MS ? interval_ms : SERVICE_RETRY_MS)
                : (long)interval_ms;
        if (health_sleep(wait_ms))
            return NULL;
    }
}

int health_start(const char *socket)
{
    if (getenv("NOTIFY_SOCKET") == NULL)
        return 0;
    health_socket = strdup(socket);
    if (health_socket == NULL)
        return -1;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_destroy(&health_wake);
    pthread_cond_init(&health_wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&health_thread, NULL, health_run, NULL) != 0) {
        free(health_socket);
        health_socket = NULL;
        return -1;
    }
    health_started = true;
    return 0;
}

void health_stop(void)
{
    if (!health_started)
        return;
    pthread_mutex_lock(&health_lock);
    health_stopping = true;
    pthread_cond_signal(&health_wake);
    pthread_mutex_unlock(&health_lock);
    pthread_join(health_thread, NULL);
    health_started = false;
    free(health_socket);
    health_socket = NULL;
}
