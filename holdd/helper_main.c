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
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "helper_checks.h"
#include "parse.h"

#define CHANNEL 3

static char *const clean_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};

static char *config_dir, *sendmail, *notice_sender; /* the arguments */

/* Answers the request as a whole, or the last failing item, with RESULT. */
static void say(struct helper_reply *rep, enum helper_result result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->detail, sizeof(rep->detail), fmt, ap);
    va_end(ap);
    if (result != HELPER_DONE)
        rep->result = result;
}

/* The end of a command's report, where Postfix puts its fatal error. */
static const char *tail(const struct buf *b)
{
    return b->data == NULL ? "" : b->len > 200 ? b->data + b->len - 200 : b->data;
}

/*
 * A command the helper runs, its standard input, output and error memory
 * files: nothing to pump, so several can run at once and none can block
 * on a full pipe.
 */
struct command {
    pid_t pid;
    int io[3];
};

/* Starts ARGV with INPUT (LEN bytes) on its standard input.  C->pid -1: it did not. */
static void launch(struct command *c, char *const argv[], const char *input, size_t len)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    c->pid = -1;
    for (int i = 0; i < 3; i++) {
        c->io[i] = memfd_create("sendwatch-helper", MFD_CLOEXEC);
        posix_spawn_file_actions_adddup2(&fa, c->io[i], i);
    }
    if (c->io[0] >= 0 && c->io[1] >= 0 && c->io[2] >= 0 &&
        fdio_write_all(c->io[0], input, len) == 0 && lseek(c->io[0], 0, SEEK_SET) == 0 &&
        posix_spawn(&c->pid, argv[0], &fa, NULL, argv, clean_env) != 0)
        c->pid = -1;
    posix_spawn_file_actions_destroy(&fa);
}

/* Waits for C and collects its standard output and error into OUT and ERR
 * (either NULL: dropped).  Its exit status, or -1. */
static int finish(struct command *c, struct buf *out, struct buf *err)
{
    int ws = -1, status = -1;
    while (c->pid > 0 && waitpid(c->pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (c->pid > 0 && WIFEXITED(ws))
        status = WEXITSTATUS(ws);
    for (int i = 0; i < 3; i++) {
        struct buf *to = i == 1 ? out : i == 2 ? err : NULL;
        char chunk[65536];
        ssize_t n = to != NULL && lseek(c->io[i], 0, SEEK_SET) == 0 ? 1 : 0;
        while (n > 0 && (n = read(c->io[i], chunk, sizeof(chunk))) > 0)
            if (buf_append(to, chunk, (size_t)n) != 0)
                n = -1;
        status = n < 0 ? -1 : status;
        if (c->io[i] >= 0)
            close(c->io[i]);
    }
    return status;
}

/* Runs ARGV to its end (see launch and finish). */
static int run(char *const argv[], const char *input, size_t len, struct buf *out,
               struct buf *err)
{
    struct command c;
    launch(&c, argv, input, len);
    return finish(&c, out, err);
}

/* Which of R's IDs carry the marker: postcat -h, restarted after an ID it cannot open. */
static void find_marked(const struct helper_request *r, struct helper_reply *rep)
{
    uint32_t from = 0;
    while (from < r->nids) {
        char *argv[HELPER_MAX_IDS + 6] = {"/usr/sbin/postcat", "-c", config_dir, "-h",
                                          "-q"};
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
            say(rep, HELPER_DONE, "postcat exit %d: %s", status, tail(&err));
        buf_free(&out);
        buf_free(&err);
        from = status != 0 && !stopped ? r->nids : next;
    }
}

/* RELEASE or DELETE: only marked mail, in one postsuper run, then one qmgr kick. */
static void release_or_delete(const struct helper_request *r, struct helper_reply *rep)
{
    static char ids[HELPER_MAX_IDS * HELPER_ID_SIZE]; /* one per line, for postsuper */
    bool release = r->op == HELPER_RELEASE;
    size_t len = 0;
    struct buf report = {0};
    find_marked(r, rep);
    for (uint32_t i = 0; i < r->nids; i++)
        if (rep->results[i] == HELPER_DONE)
            len += (size_t)sprintf(ids + len, "%s\n", r->ids[i]); /* IDs are checked */
    if (len == 0)
        return;
    char *how = release ? "-H" : "-d";
    char *postsuper[] = {"/usr/sbin/postsuper", "-c", config_dir, how, "-", "hold", NULL};
    int status = run(postsuper, ids, len, NULL, &report);
    bool any = false;
    for (uint32_t i = 0; i < r->nids; i++) {
        if (rep->results[i] != HELPER_DONE)
            continue;
        bool moved = report.data && helper_report_moved(report.data, r->ids[i], release);
        rep->results[i] = moved ? HELPER_DONE : HELPER_NOT_MOVED;
        any = any || (moved && release);
    }
    if (status != 0)
        say(rep, HELPER_DONE, "postsuper exit %d: %s", status, tail(&report));
    /* -H leaves mail deferred with its time reset to now: one deferred-queue
     * scan request sends the whole batch (postqueue -i would cost a process
     * per message). */
    char *postkick[] = {
        "/usr/sbin/postkick", "-c", config_dir, "public", "qmgr", "D", NULL};
    if (any)
        run(postkick, NULL, 0, NULL, NULL);
    buf_free(&report);
}

/*
 * SUBMIT: each notice that passes the checks goes to its own sendmail, all
 * of them at once - a notice waits on Postfix's disk, not on the others.
 */
static void submit(const struct helper_request *r, const char *messages,
                   struct helper_reply *rep)
{
    struct command c[HELPER_MAX_NOTICES];
    size_t at = 0;
    for (uint32_t i = 0; i < r->nids; at += r->notices[i++].len) {
        const struct helper_notice *n = &r->notices[i];
        char *argv[] = {sendmail, "-C", config_dir,      "-f", notice_sender,
                        "-i",     "--", (char *)n->rcpt, NULL};
        c[i] = (struct command){-1, {-1, -1, -1}};
        if (helper_check_notice(n->rcpt, messages + at, n->len, rep->detail,
                                sizeof(rep->detail)))
            launch(&c[i], argv, messages + at, n->len);
        else
            rep->results[i] = HELPER_REFUSED;
    }
    for (uint32_t i = 0; i < r->nids; i++) {
        struct buf err = {0};
        int status = finish(&c[i], NULL, &err);
        if (rep->results[i] != HELPER_REFUSED && status != 0) {
            rep->results[i] = HELPER_FAILED;
            say(rep, HELPER_DONE, "sendmail exit %d: %s", status, tail(&err));
        }
        buf_free(&err);
    }
}

/* Serves one request into REP (and *EXTRA, bytes to send after it). */
static void serve(const struct helper_request *r, const char *message,
                  struct helper_reply *rep, struct buf *extra)
{
    rep->nids = r->nids;
    if (r->op == HELPER_LIST) {
        char *postqueue[] = {"/usr/sbin/postqueue", "-c", config_dir, "-j", NULL};
        struct buf err = {0};
        int status = run(postqueue, NULL, 0, extra, &err);
        if (status != 0 || extra->len > HELPER_LISTING_MAX) {
            say(rep, HELPER_FAILED, "postqueue -j exit %d: %s", status, tail(&err));
            extra->len = 0;
        }
        rep->listing_len = (uint32_t)extra->len;
        buf_free(&err);
    } else if (r->op == HELPER_SUBMIT) {
        submit(r, message, rep);
    } else if (r->op == HELPER_RELEASE || r->op == HELPER_DELETE ||
               r->op == HELPER_MARKED) {
        if (!helper_check_ids(r, rep->detail, sizeof(rep->detail)))
            rep->result = HELPER_REFUSED;
        else if (r->op == HELPER_MARKED)
            find_marked(r, rep);
        else
            release_or_delete(r, rep);
    } else {
        say(rep, HELPER_REFUSED, "unknown operation %u", r->op);
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
        size_t total = 0;
        memset(&rep, 0, sizeof(rep));
        rep.protocol = HELPER_PROTOCOL;
        if (r.protocol != HELPER_PROTOCOL || !helper_check_sizes(&r, &total)) {
            say(&rep, HELPER_REFUSED, "protocol %u or size refused", r.protocol);
            /* The stream cannot be trusted to be in step any more. */
            fdio_write_all(CHANNEL, &rep, sizeof(rep));
            return 1;
        }
        char *message = NULL;
        struct buf extra = {0};
        if (r.op == HELPER_SUBMIT && ((message = malloc(total + 1)) == NULL ||
                                      fdio_read_exact(CHANNEL, message, total) != 0))
            return 1;
        serve(&r, message, &rep, &extra);
        free(message);
        bool answered = fdio_write_all(CHANNEL, &rep, sizeof(rep)) == 0 &&
                        fdio_write_all(CHANNEL, extra.data, extra.len) == 0;
        buf_free(&extra);
        if (!answered)
            return 1;
    }
}
