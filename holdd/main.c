/*
 * sendwatch-holdd - releases held mail at its deadline, carries out the
 * requests of the CLI and the web, and keeps LMDB and Postfix's HOLD queue
 * in step.
 *
 * Started as root: it execs the root helper (helper.h), binds its wake-up
 * socket, then drops to run_user for good.  main() wires that and runs
 * the loop; the jobs are files of their own (holdd.h): reconcile with the
 * queue (at start, then every minute), carry out requests, send notices,
 * release what is due, then sleep until the next deadline or notice, a
 * wake-up datagram, or five seconds.  Every outcome is written to the hold
 * record in the same transaction that removes its due entry or request,
 * so a crash at any instant leaves work that the next start redoes, and
 * nothing done twice: postsuper -H of a message no longer in HOLD does
 * nothing, and that is read back as "released" or "gone".
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "config.h"
#include "daemon_args.h"
#include "fdio.h"
#include "helper.h"
#include "holdd.h"
#include "hold.h"
#include "log.h"
#include "metrics.h"
#include "notice_mark.h"
#include "notice.h"
#include "preflight.h"
#include "privilege.h"
#include "queueid.h"
#include "service.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"

#define RECONCILE_EVERY 60 /* seconds */
/*
 * The milter commits a hold record before it answers Postfix, so for a
 * moment the record exists while the queue file is still being written
 * (in "incoming", or not listed yet).  Reconcile leaves records younger
 * than hold_queue_grace (default 600 s: beyond Postfix's
 * milter_content_timeout) alone: closing one as gone or released would
 * strand its mail in HOLD.
 */
#define IDLE_WAKE_MS 5000 /* the longest sleep: requests are seen at least this often */

volatile sig_atomic_t holdd_stopping;

static void on_stop(int sig)
{
    (void)sig;
    holdd_stopping = 1;
}

struct wake_socket {
    const char *path;
    int fd;
    int bind_errno;
};

static int bind_wake_socket(void *ctx)
{
    struct wake_socket *w = ctx;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, w->path);
    mode_t old = umask(0117); /* born 0660: run_user's daemons may write to it */
    struct stat st;
    if (lstat(w->path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(w->path); /* a stale one from a crash */
    int rc = bind(w->fd, (struct sockaddr *)&sa, sizeof(sa));
    w->bind_errno = rc == 0 ? 0 : errno;
    umask(old);
    return rc;
}

/*
 * The wake-up socket: a datagram socket the milter, the web and the CLI
 * (all as run_user) may write to.  Bound with run_user's file-system rights
 * (privilege_as_user): its directory is run_user's, so root does nothing
 * by name there.
 */
static int open_wake_socket(const struct config *cfg, char *err, size_t errlen)
{
    struct wake_socket w = {.path = cfg->holdd_socket, .fd = -1};
    if (strlen(cfg->holdd_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(err, errlen, "holdd_socket %s: path too long", cfg->holdd_socket);
        return -1;
    }
    w.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (w.fd < 0) {
        snprintf(err, errlen, "holdd_socket: %s", strerror(errno));
        return -1;
    }
    err[0] = '\0';
    if (privilege_as_user(cfg->run_user, NULL, bind_wake_socket, &w, err, errlen) != 0) {
        if (err[0] == '\0')
            snprintf(err, errlen, "holdd_socket %s: cannot bind as %s: %s",
                     cfg->holdd_socket, cfg->run_user, strerror(w.bind_errno));
        close(w.fd);
        return -1;
    }
    return w.fd;
}

/*
 * Wires the daemon in the order root demands: config; checks and files
 * read as root (preflight); daemon(3); the root helper; the wake-up socket
 * with run_user's rights; the drop; LMDB; then the loop.  Long because the
 * order is the security argument, and it reads top to bottom.
 */
int main(int argc, char **argv)
{
    struct daemon_args args;
    int status =
        daemon_args_parse(argc, argv, "sendwatch-holdd", "holdd_pid_file", &args);
    if (status >= 0)
        return status;
    const char *config_path = args.config_path, *pidfile = args.pidfile;
    bool foreground = args.foreground;
    char err[1024] = "";
    status = 1;
    struct config *cfg = config_load(config_path, err, sizeof(err));
    if (cfg == NULL) {
        fprintf(stderr, "sendwatch-holdd: %s\n", err);
        return 1;
    }
    char ident[80];
    snprintf(ident, sizeof(ident), "%s/holdd", cfg->syslog_name);
    log_open(ident, foreground ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG);
    notice_init();
    /* Notices tell people times in the site's zone, with the zone named. */
    if (timefmt_use_zone(cfg->time_zone, err, sizeof(err)) != 0) {
        log_error("not started: %s", err);
        config_free(cfg);
        log_close();
        return 1;
    }

    struct holdd h = {.cfg = cfg,
                      .helper = -1,
                      .wake = -1,
                      .scratch = calloc(1, sizeof(struct holdd_scratch))};
    pid_t helper_pid = -1;
    if (h.scratch == NULL) {
        log_error("out of memory");
        goto done;
    }
    if (geteuid() != 0) {
        log_error("must be started as root: postsuper runs only as root (the rest of "
                  "holdd drops to %s)",
                  cfg->run_user);
        goto done;
    }
    const char *pidfile_option = pidfile; /* for messages: -p, or the setting */
    if (pidfile == NULL)
        pidfile = cfg->holdd_pid_file;
    /* Everything read from files is read now, as root: templates, key. */
    if (preflight_holdd(cfg, config_path, pidfile_option, log_problem, NULL, &h.templates,
                        &h.key) != 0) {
        log_error("not started: fix the above (sendwatch check says the same)");
        goto done;
    }
    if (secret_key_derive(&h.key, &h.secret) != 0 ||
        secret_key_derive_for(&h.key, NOTICE_MARK_INFO, &h.notice_key) != 0) {
        log_error("not started: cannot derive the password and notice keys from "
                  "web_key_file (OpenSSL)");
        goto done;
    }
    if (!foreground && daemon(0, 0) != 0) {
        log_error("cannot become a daemon: %s", strerror(errno));
        goto done;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (helper_start(cfg->holdd_helper, cfg->postfix_config_dir, cfg->sendmail_path,
                     cfg->notice_sender, cfg->auto_bypass ? cfg->bypass_command : "-",
                     &h.helper, &helper_pid, err, sizeof(err)) != 0 ||
        (h.wake = open_wake_socket(cfg, err, sizeof(err))) < 0 ||
        privilege_drop(cfg->run_user, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }
    h.store = store_open(cfg->state_dir, cfg->state_map_size, false, err, sizeof(err));
    if (h.store == NULL) {
        log_error("%s", err);
        goto done;
    }
    if (fdio_write_pidfile(pidfile) != 0)
        log_warning("cannot write pid file %s: %s", pidfile, strerror(errno));
    h.metrics = metrics_open_writer(cfg->state_dir, "holdd", err, sizeof(err));
    if (h.metrics == NULL)
        log_warning("running without metrics: %s", err);

    log_info("starting: config %s, Postfix %s%s", config_path, cfg->postfix_config_dir,
             cfg->auto_bypass ? ", automatic bypass on" : "");
    service_ready("serving");
    long long watchdog_ms = (long long)(service_watchdog_interval() / 1000);
    time_t next_reconcile = 0;
    while (!holdd_stopping) {
        time_t now = time(NULL);
        if (now >= next_reconcile) {
            reconcile_run(&h);
            next_reconcile = now + RECONCILE_EVERY;
        }
        requests_process(&h);
        time_t outbox_next = notices_process(&h);
        time_t next = release_due(&h);
        bypass_watch_turn(&h);
        /* The loop has turned: every job ran to its end.  A job stuck in
         * the helper or the store stops these pings, and systemd's watchdog
         * restarts holdd. */
        service_watchdog_ping();
        if (outbox_next != 0 && (next == 0 || outbox_next < next))
            next = outbox_next;
        /* Sleep until the second the next deadline names begins, to the
         * millisecond (not a whole second late), or IDLE_WAKE_MS at most. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        int wait_ms = IDLE_WAKE_MS;
        /* Never longer than the watchdog allows between two pings. */
        if (watchdog_ms > 0 && watchdog_ms < wait_ms)
            wait_ms = (int)watchdog_ms;
        if (next != 0 && (long long)next * 1000 - now_ms < wait_ms)
            wait_ms = (long long)next * 1000 <= now_ms
                          ? 0
                          : (int)((long long)next * 1000 - now_ms);
        struct pollfd p = {h.wake, POLLIN, 0};
        if (poll(&p, 1, wait_ms) > 0) {
            char drain[64];
            while (recv(h.wake, drain, sizeof(drain), 0) > 0)
                ;
        }
    }
    service_stopping();
    log_info("stopped");
    status = 0;
    unlink(pidfile);
done:
    if (h.helper >= 0)
        close(h.helper); /* the helper reads end-of-file and exits */
    int helper_status = 0;
    while (helper_pid > 0 && waitpid(helper_pid, &helper_status, 0) < 0 && errno == EINTR)
        ;
    if (helper_pid > 0 &&
        !(WIFEXITED(helper_status) && WEXITSTATUS(helper_status) == 0)) {
        log_error("the root helper ended badly (wait status %d)", helper_status);
        status = 1;
    }
    if (h.wake >= 0)
        close(h.wake);
    store_close(h.store);
    metrics_close(h.metrics);
    bypass_watch_free(&h);
    notice_templates_free(h.templates);
    free(h.scratch);
    OPENSSL_cleanse(&h.key, sizeof(h.key));
    OPENSSL_cleanse(&h.secret, sizeof(h.secret));
    OPENSSL_cleanse(&h.notice_key, sizeof(h.notice_key));
    config_free(cfg);
    log_close();
    return status;
}
