/*
 * sendwatch-milter - outbound mail control for Postfix, the milter.
 *
 * main() parses options, loads the config, opens the socket as root (so
 * its owner and mode can be set for Postfix), drops to run_user, and hands
 * over to libmilter.  libmilter owns SIGHUP, SIGTERM and SIGINT: TERM and
 * INT make smfi_main() return after the sessions in progress end.
 */
#include <errno.h>
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callbacks.h"
#include "config.h"
#include "log.h"
#include "privilege.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: sendwatch-milter [-f] [-c CONFIG] [-p PIDFILE]\n"
                 "  -c CONFIG   config file (default " SENDWATCH_DEFAULT_CONFIG ")\n"
                 "  -f          stay in the foreground and log to standard error\n"
                 "  -p PIDFILE  write the process ID to PIDFILE\n");
}

/*
 * For a unix socket: owner run_user, group milter_socket_group, mode 0660,
 * so Postfix (in that group) can connect and other local users cannot
 * pose as Postfix.
 */
static int secure_socket(const struct config *cfg, char *err, size_t errlen)
{
    const char *path = strchr(cfg->milter_socket, ':') + 1;
    uid_t uid;
    gid_t gid, group;

    if (strncmp(cfg->milter_socket, "unix:", 5) != 0 &&
        strncmp(cfg->milter_socket, "local:", 6) != 0)
        return 0;
    if (geteuid() != 0)
        return 0; /* not root: the socket belongs to us already */
    if (privilege_lookup(cfg->run_user, &uid, &gid, err, errlen) != 0 ||
        privilege_lookup_group(cfg->milter_socket_group, &group, err, errlen) != 0)
        return -1;
    if (chown(path, uid, group) != 0 || chmod(path, 0660) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_pidfile(const char *path)
{
    FILE *fp = fopen(path, "we");

    if (fp == NULL)
        return -1;
    fprintf(fp, "%ld\n", (long)getpid());
    return fclose(fp);
}

/* Fails fast when the spill directory cannot take a file. */
static int check_temp_dir(const struct config *cfg, char *err, size_t errlen)
{
    struct stat st;

    if (stat(cfg->temp_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "temp_dir %s is not a directory", cfg->temp_dir);
        return -1;
    }
    if (access(cfg->temp_dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "temp_dir %s is not writable by this user: %s",
                 cfg->temp_dir, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *config_path = SENDWATCH_DEFAULT_CONFIG, *pidfile = NULL;
    bool foreground = false;
    char err[1024];
    int opt, status = 1;

    while ((opt = getopt(argc, argv, "c:fhp:")) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'f':
            foreground = true;
            break;
        case 'p':
            pidfile = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }

    struct config *cfg = config_load(config_path, err, sizeof(err));
    if (cfg == NULL) {
        fprintf(stderr, "sendwatch-milter: %s\n", err);
        return 1;
    }
    char ident[80];
    snprintf(ident, sizeof(ident), "%s/milter", cfg->syslog_name);
    log_open(ident, foreground ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG);

    if (smfi_setconn(cfg->milter_socket) != MI_SUCCESS || callbacks_register(cfg) != 0) {
        log_error("cannot set up libmilter for %s", cfg->milter_socket);
        goto done;
    }
    /* Open the socket while still root, remove a stale one left by a crash. */
    if (smfi_opensocket(true) != MI_SUCCESS) {
        log_error("cannot open milter socket %s (does its directory exist?)",
                  cfg->milter_socket);
        goto done;
    }
    if (secure_socket(cfg, err, sizeof(err)) != 0 ||
        privilege_drop(cfg->run_user, err, sizeof(err)) != 0 ||
        check_temp_dir(cfg, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }
    if (!foreground && daemon(0, 0) != 0) {
        log_error("cannot become a daemon: %s", strerror(errno));
        goto done;
    }
    if (pidfile != NULL && write_pidfile(pidfile) != 0)
        log_warning("cannot write pid file %s: %s", pidfile, strerror(errno));

    log_info("starting: config %s, socket %s, memory limit %zu bytes per message",
             config_path, cfg->milter_socket, cfg->message_memory_limit);
    if (smfi_main() == MI_SUCCESS) {
        status = 0;
        log_info("stopped");
    } else {
        log_error("libmilter stopped with an error");
    }
    if (pidfile != NULL)
        unlink(pidfile);
done:
    config_free(cfg);
    log_close();
    return status;
}
