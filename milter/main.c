/*
 * sendwatch-milter - outbound mail control for Postfix, the milter.
 *
 * main() parses options, loads the config and rules, opens the socket as
 * root (so its owner and mode can be set for Postfix), drops to run_user,
 * opens the state store, and hands over to libmilter.  libmilter owns
 * SIGHUP, SIGTERM and SIGINT: TERM and INT close the listener and make
 * smfi_main() return - without waiting for the (detached) workers, so a
 * message in progress then is cut off and Postfix tempfails it, and the
 * client sends it again.  So reload is SIGUSR1 ("sendwatch reload"),
 * taken by a thread of ours that waits for nothing else.
 */
#include <errno.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callbacks.h"
#include "config.h"
#include "daemon_args.h"
#include "fdio.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "notice_mark.h"
#include "preflight.h"
#include "secret.h"
#include "privilege.h"
#include "service.h"
#include "snapshot.h"
#include "status.h"
#include "store.h"
#include "timefmt.h"
#include "view.h"

static int open_socket_fn(void *ctx)
{
    (void)ctx;
    mode_t old = umask(0117); /* the socket is born 0660 */
    int rc = smfi_opensocket(true) == MI_SUCCESS ? 0 : -1;
    umask(old);
    return rc;
}

/*
 * Opens the milter socket (removing a stale one left by a crash).  A unix
 * socket is made by one bind(2) with the file-system rights of run_user and
 * the group milter_socket_group, mode 0660: Postfix (in that group) can
 * connect, other local users cannot pose as Postfix, and root does nothing
 * by name in the socket's directory, which run_user can write to - no
 * chown or chmod that a planted symlink could turn against another file.
 */
static int open_socket(const struct config *cfg, char *err, size_t errlen)
{
    bool unix_socket = strncmp(cfg->milter_socket, "unix:", 5) == 0 ||
                       strncmp(cfg->milter_socket, "local:", 6) == 0;
    int rc = unix_socket ? privilege_as_user(cfg->run_user, cfg->milter_socket_group,
                                             open_socket_fn, NULL, err, errlen)
                         : open_socket_fn(NULL);
    if (rc == -1 && err[0] == '\0')
        snprintf(err, errlen,
                 "cannot open milter_socket %s (does its directory exist, and may %s "
                 "write to it?)",
                 cfg->milter_socket, cfg->run_user);
    return rc;
}

/* Set at exit; the thread is then woken with a SIGUSR1 of its own.  (Not
 * pthread_cancel(): ASan's thread teardown trips over a cancelled sigwait.) */
static atomic_bool reload_stop;

static struct store *status_store; /* where the rules' status goes */

/*
 * Records how the last load of the rules went, for the web's rule status
 * page: OK, or the error and the rules still in force.
 */
static void record_rules_status(bool ok, const char *error)
{
    static time_t loaded;
    const struct snapshot *s = snapshot_acquire();
    struct rules_status rs = {
        .time = time(NULL), .ok = ok, .rules = rules_count(s->rules)};
    if (ok || loaded == 0)
        loaded = rs.time;
    rs.loaded = loaded;
    snprintf(rs.dir, sizeof(rs.dir), "%s", s->cfg->rules_dir);
    snprintf(rs.error, sizeof(rs.error), "%s", error ? error : "");
    const char **names = calloc(rs.rules + 1, sizeof(*names));
    for (size_t i = 0; names != NULL && i < rs.rules; i++)
        names[i] = rules_name(s->rules, i);
    rs.names = names;
    rs.nnames = names ? rs.rules : 0;
    char err[512];
    if (status_store != NULL &&
        status_rules_put(status_store, &rs, err, sizeof(err)) != 0)
        log_warning("cannot record the rules' status: %s", err);
    free(names);
    snapshot_release(s);
}

/* The reload thread: SIGUSR1 makes it load config and rules anew. */
static void *reload_thread(void *arg)
{
    sigset_t *set = arg;
    int sig;

    for (;;) {
        if (sigwait(set, &sig) != 0 || sig != SIGUSR1)
            continue;
        if (atomic_load(&reload_stop))
            return NULL;
        char info[256], err[1024];
        if (snapshot_reload(info, sizeof(info), err, sizeof(err)) == 0) {
            log_info("reloaded: %s", info);
            record_rules_status(true, NULL);
        } else {
            log_error("reload failed, keeping the rules in force: %s", err);
            record_rules_status(false, err);
        }
    }
    return NULL;
}

/*
 * Wires the milter in the order root demands: config and rules read as
 * root, checks (preflight), signals blocked, the root loader, the socket
 * with run_user's rights, the drop, daemon(3), LMDB, the reload thread,
 * then libmilter.  Long because the order is the security argument.
 */
int main(int argc, char **argv)
{
    struct daemon_args args;
    int status =
        daemon_args_parse(argc, argv, "sendwatch-milter", "milter_pid_file", &args);
    if (status >= 0)
        return status;
    const char *config_path = args.config_path, *pidfile = args.pidfile;
    bool foreground = args.foreground;
    char err[1024];
    status = 1;

    if (snapshot_init(config_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch-milter: %s\n", err);
        return 1;
    }
    const struct snapshot *first = snapshot_acquire();
    const struct config *cfg = first->cfg;
    struct store *store = NULL;
    struct metrics *metrics = NULL;
    pthread_t reloader;
    bool reloader_started = false;
    static sigset_t reload_set;

    char ident[80];
    snprintf(ident, sizeof(ident), "%s/milter", cfg->syslog_name);
    log_open(ident, foreground ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG);
    view_init();
    if (timefmt_use_zone(cfg->time_zone, err, sizeof(err)) != 0) {
        log_error("not started: %s", err);
        goto done;
    }

    /* Block libmilter's signals and ours before the socket exists: a TERM
     * that comes before smfi_main() then waits for libmilter's signal
     * thread instead of killing us, and every thread started later leaves
     * SIGUSR1 to the reload thread. */
    sigemptyset(&reload_set);
    sigaddset(&reload_set, SIGUSR1);
    sigset_t block = reload_set;
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, NULL);

    const char *pidfile_option = pidfile; /* for messages: -p, or the setting */
    if (pidfile == NULL)
        pidfile = cfg->milter_pid_file;
    /* Read as root; only the key derived from it, which seals the passwords
     * of password notices and opens the senders' own (secret.h), is kept:
     * never the one that signs links. */
    static struct secret_key password_key, notice_key;
    struct token_key file_key = {.len = 0};
    int fatal =
        preflight_milter(cfg, config_path, pidfile_option, log_problem, NULL, &file_key);
    if (fatal == 0 &&
        (secret_key_derive(&file_key, &password_key) != 0 ||
         secret_key_derive_for(&file_key, NOTICE_MARK_INFO, &notice_key) != 0)) {
        log_error(
            "cannot derive the password and notice keys from web_key_file (OpenSSL)");
        fatal = 1;
    }
    explicit_bzero(&file_key, sizeof(file_key));
    if (fatal != 0) {
        log_error("not started: fix the above (sendwatch check says the same)");
        goto done;
    }
    /* The root loader for reloads: before the socket exists (it must not
     * hold it) and before the drop. */
    if (geteuid() == 0 && snapshot_start_loader(err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }
    if (smfi_setconn(cfg->milter_socket) != MI_SUCCESS || callbacks_register() != 0) {
        log_error("cannot set up libmilter for %s", cfg->milter_socket);
        goto done;
    }
    err[0] = '\0';
    if (open_socket(cfg, err, sizeof(err)) != 0 ||
        privilege_drop(cfg->run_user, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }
    if (!foreground && daemon(0, 0) != 0) {
        log_error("cannot become a daemon: %s", strerror(errno));
        goto done;
    }
    /* LMDB after any fork, as the run user, so its files belong to it. */
    store = store_open(cfg->state_dir, cfg->state_map_size, false, err, sizeof(err));
    if (store == NULL) {
        log_error("%s", err);
        goto done;
    }
    callbacks_set_store(store);
    status_store = store;
    record_rules_status(true, NULL);
    callbacks_set_password_key(&password_key);
    callbacks_set_notice_key(&notice_key);
    metrics = metrics_open_writer(cfg->state_dir, "milter", err, sizeof(err));
    if (metrics == NULL)
        log_warning("running without metrics: %s", err);
    callbacks_set_metrics(metrics);
    if (fdio_write_pidfile(pidfile) != 0)
        log_warning("cannot write pid file %s: %s", pidfile, strerror(errno));

    if (pthread_create(&reloader, NULL, reload_thread, &reload_set) != 0) {
        log_error("cannot start the reload thread");
        goto done;
    }
    reloader_started = true;
    if (health_start(cfg->milter_socket) != 0) {
        log_error("cannot start the health thread");
        goto done;
    }

    log_info("starting: config %s, socket %s, %zu rules from %s", config_path,
             cfg->milter_socket, rules_count(first->rules), cfg->rules_dir);
    if (smfi_main() == MI_SUCCESS) {
        status = 0;
        log_info("stopped");
    } else {
        log_error("libmilter stopped with an error");
    }
    service_stopping();
    unlink(pidfile);
done:
    health_stop();
    if (reloader_started) {
        atomic_store(&reload_stop, true);
        pthread_kill(reloader, SIGUSR1);
        pthread_join(reloader, NULL);
    }
    store_close(store);
    /* The counters stay mapped until the process ends: smfi_main() returns
     * without waiting for its (detached) workers, and one still in a
     * callback may count after this point. */
    (void)metrics;
    snapshot_release(first);
    snapshot_shutdown();
    view_shutdown();
    log_close();
    return status;
}
