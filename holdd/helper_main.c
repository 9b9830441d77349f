/*
 * sendwatch-helper - the only sendwatch program that stays root.
 *
 *   sendwatch-helper POSTFIX_CONFIG_DIR SENDMAIL NOTICE_SENDER
 *
 * Exec'd by sendwatch-holdd before it drops its privileges, with a clean
 * environment and its channel as descriptor 3; it serves the fixed-size
 * requests of helper_protocol.h until holdd closes the channel.  It runs
 * postsuper, postkick, postcat, postqueue and sendmail with an argument
 * vector (never a shell) and a fixed environment, for requests that pass
 * helper_checks.h; it parses no mail and no JSON - only Postfix's own
 * one-line reports and the marker header lines of postcat -h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "helper_checks.h"
#include "parse.h"

#define CHANNEL 3

static char *const clean_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};

static const char *config_dir, *sendmail, *notice_sender;

/*
 * Runs ARGV with INPUT (LEN bytes) on its standard input; its standard
 * output and error are collected into OUT and ERROUT (either may be NULL:
 * dropped).  Returns the exit status, or -1.
 */
static int run(char *const argv[], const char *input, size_t len, struct buf *out,
               struct buf *errout)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1}, status = -1;
    posix_spawn_file_actions_t fa;
    pid_t pid;
    struct buf drop = {0};
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(o, O_CLOEXEC) != 0 || pipe2(e, O_CLOEXEC) != 0)
        goto done;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, clean_env);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        goto done;
    close(in[0]);
    close(o[1]);
    close(e[1]);
    in[0] = o[1] = e[1] = -1;
    size_t sent = 0;
    if (len == 0) {
        close(in[1]);
        in[1] = -1;
    }
    while (o[0] >= 0 || e[0] >= 0) {
        struct pollfd p[3] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(in[1], input + sent, len - sent);
            if (n > 0)
                sent += (size_t)n;
            if (n < 0 || sent == len) {
                close(in[1]);
                in[1] = -1;
            }
        }
        for (int i = 0; i < 2; i++) {
            int *fd = i == 0 ? &o[0] : &e[0];
            struct buf *to = i == 0 ? (out ? out : &drop) : (errout ? errout : &drop);
            char chunk[8192];
            if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(*fd, chunk, sizeof(chunk));
            if (n > 0 && buf_append(to, chunk, (size_t)n) != 0)
                n = -1; /* out of memory: stop reading, fail below */
            if (n <= 0 && !(n < 0 && errno == EINTR)) {
                close(*fd);
                *fd = -1;
                status = n < 0 ? -2 : status;
            }
        }
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    status = status == -2 ? -1 : WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
done:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (o[i] >= 0)
            close(o[i]);
        if (e[i] >= 0)
            close(e[i]);
    }
    buf_free(&drop);
    return status;
}

/* Which of R's IDs carry the marker: postcat -h, restarted after an ID it cannot open. */
static void find_marked(const struct helper_request *r, struct helper_reply *rep)
{
    uint32_t from = 0;
    while (from < r->nids) {
        char *argv[HELPER_MAX_IDS + 6] = {"/usr/sbin/postcat", "-c", (char *)config_dir,
                                          "-h", "-q"};
        for (uint32_t i = from; i < r->nids; i++)
            argv[5 + i - from] = (char *)r->ids[i];
        argv[5 + r->nids - from] = NULL;
        struct buf out = {0}, err = {0};
        int status = run(argv, NULL, 0, &out, &err);
        char missing[HELPER_ID_SIZE] = "";
        bool stopped =
            status != 0 && helper_postcat_missing(err.data, missing, sizeof(missing));
        uint32_t next = r->nids;
        for (uint32_t i = from; i < r->nids; i++) {
            if (stopped && strcmp(r->ids[i], missing) == 0) {
                rep->results[i] = HELPER_NOT_MOVED; /* not in the queue: holdd sees why */
                next = i + 1;
                break;
            }
            rep->results[i] = out.data && helper_headers_marked(out.data, r->ids[i])
                                  ? HELPER_DONE
                              : status == 0 ? HELPER_NOT_OURS
                                            : HELPER_NOT_MOVED;
        }
        if (status != 0 && !stopped)
            snprintf(rep->detail, sizeof(rep->detail), "postcat exit %d: %.200s", status,
                     err.data ? err.data : "");
        buf_free(&out);
        buf_free(&err);
        from = status != 0 && !stopped ? r->nids : next;
    }
}

/* RELEASE or DELETE: only marked mail, in one postsuper run, then one qmgr kick. */
static void release_or_delete(const struct helper_request *r, struct helper_reply *rep)
{
    bool release = r->op == HELPER_RELEASE;
    struct buf ids = {0}, report = {0};
    find_marked(r, rep);
    for (uint32_t i = 0; i < r->nids; i++)
        if (rep->results[i] == HELPER_DONE &&
            (buf_append(&ids, r->ids[i], strlen(r->ids[i])) != 0 ||
             buf_append(&ids, "\n", 1) != 0)) {
            rep->result = HELPER_FAILED;
            snprintf(rep->detail, sizeof(rep->detail), "out of memory");
            goto done;
        }
    if (ids.len == 0)
        goto done;
    char *postsuper[] = {"/usr/sbin/postsuper",
                         "-c",
                         (char *)config_dir,
                         release ? "-H" : "-d",
                         "-",
                         "hold",
                         NULL};
    int status = run(postsuper, ids.data, ids.len, NULL, &report);
    bool any = false;
    for (uint32_t i = 0; i < r->nids; i++) {
        if (rep->results[i] != HELPER_DONE)
            continue;
        bool moved = report.data && helper_report_moved(report.data, r->ids[i], release);
        rep->results[i] = moved ? HELPER_DONE : HELPER_NOT_MOVED;
        any = any || (moved && release);
    }
    if (status != 0)
        snprintf(rep->detail, sizeof(rep->detail), "postsuper exit %d: %.200s", status,
                 report.data ? report.data : "");
    /* -H leaves mail deferred with its time reset to now: one deferred-queue
     * scan request sends the whole batch (postqueue -i would cost a process
     * per message). */
    if (any) {
        char *postkick[] = {
            "/usr/sbin/postkick", "-c", (char *)config_dir, "public", "qmgr", "D", NULL};
        run(postkick, NULL, 0, NULL, NULL);
    }
done:
    buf_free(&ids);
    buf_free(&report);
}

/* Serves one request into REP (and *EXTRA, bytes to send after it). */
static void serve(const struct helper_request *r, const char *message,
                  struct helper_reply *rep, struct buf *extra)
{
    char why[200];
    rep->nids = r->nids;
    if (r->op == HELPER_LIST) {
        char *postqueue[] = {"/usr/sbin/postqueue", "-c", (char *)config_dir, "-j", NULL};
        struct buf err = {0};
        int status = run(postqueue, NULL, 0, extra, &err);
        if (status != 0 || extra->len > HELPER_LISTING_MAX) {
            rep->result = HELPER_FAILED;
            snprintf(rep->detail, sizeof(rep->detail), "postqueue -j exit %d: %.200s",
                     status, err.data ? err.data : "");
            extra->len = 0;
        }
        rep->listing_len = (uint32_t)extra->len;
        buf_free(&err);
    } else if (r->op == HELPER_SUBMIT) {
        if (!helper_check_notice(r->rcpt, message, r->message_len, why, sizeof(why))) {
            rep->result = HELPER_REFUSED;
            snprintf(rep->detail, sizeof(rep->detail), "%s", why);
            return;
        }
        char *argv[] = {(char *)sendmail,
                        "-C",
                        (char *)config_dir,
                        "-f",
                        (char *)notice_sender,
                        "-i",
                        "--",
                        (char *)r->rcpt,
                        NULL};
        struct buf err = {0};
        int status = run(argv, message, r->message_len, NULL, &err);
        if (status != 0) {
            rep->result = HELPER_FAILED;
            snprintf(rep->detail, sizeof(rep->detail), "sendmail exit %d: %.200s", status,
                     err.data ? err.data : "");
        }
        buf_free(&err);
    } else if (r->op == HELPER_RELEASE || r->op == HELPER_DELETE ||
               r->op == HELPER_MARKED) {
        if (!helper_check_ids(r, why, sizeof(why))) {
            rep->result = HELPER_REFUSED;
            snprintf(rep->detail, sizeof(rep->detail), "%s", why);
        } else if (r->op == HELPER_MARKED) {
            find_marked(r, rep);
        } else {
            release_or_delete(r, rep);
        }
    } else {
        rep->result = HELPER_REFUSED;
        snprintf(rep->detail, sizeof(rep->detail), "unknown operation %u", r->op);
    }
}

int main(int argc, char **argv)
{
    char why[200];
    if (argc != 4 || argv[1][0] != '/' || argv[2][0] != '/' ||
        parse_addr_spec(argv[3], PARSE_ADDRESS_LOCAL_ALONE, why, sizeof(why)) != 0 ||
        fcntl(CHANNEL, F_GETFD) < 0) {
        fprintf(stderr,
                "usage: sendwatch-helper POSTFIX_CONFIG_DIR SENDMAIL NOTICE_SENDER "
                "(exec'd by sendwatch-holdd, channel on descriptor 3)\n");
        return 2;
    }
    config_dir = argv[1];
    sendmail = argv[2];
    notice_sender = argv[3];
    signal(SIGPIPE, SIG_IGN);
    static struct helper_request r;
    static struct helper_reply rep;
    for (;;) {
        if (fdio_read_exact(CHANNEL, &r, sizeof(r)) != 0)
            return 0; /* holdd is gone */
        char *message = NULL;
        if (r.op == HELPER_SUBMIT && r.message_len <= HELPER_MESSAGE_MAX &&
            ((message = malloc(r.message_len + 1)) == NULL ||
             fdio_read_exact(CHANNEL, message, r.message_len) != 0))
            return 1;
        if (message != NULL)
            message[r.message_len] = '\0';
        memset(&rep, 0, sizeof(rep));
        rep.protocol = HELPER_PROTOCOL;
        struct buf extra = {0};
        if (r.protocol != HELPER_PROTOCOL ||
            (r.op == HELPER_SUBMIT && r.message_len > HELPER_MESSAGE_MAX)) {
            rep.result = HELPER_REFUSED;
            snprintf(rep.detail, sizeof(rep.detail), "protocol %u or size refused",
                     r.protocol);
            /* The stream cannot be trusted to be in step any more. */
            fdio_write_all(CHANNEL, &rep, sizeof(rep));
            return 1;
        }
        serve(&r, message, &rep, &extra);
        free(message);
        int rc = fdio_write_all(CHANNEL, &rep, sizeof(rep)) == 0 &&
                         (extra.len == 0 ||
                          fdio_write_all(CHANNEL, extra.data, extra.len) == 0)
                     ? 0
                     : -1;
        buf_free(&extra);
        if (rc != 0)
            return 1;
    }
}
