/*
 * sendwatch-helper - the only sendwatch program that stays root.
 *
 *   sendwatch-helper POSTFIX_CONFIG_DIR SENDMAIL NOTICE_SENDER HOLD_HASH_DEPTH BYPASS
 *
 * BYPASS is the bypass command (sendwatch-bypass), or "-" when holdd's
 * auto_bypass is off: the BYPASS operation is then refused.
 *
 * Exec'd by sendwatch-holdd before it drops its privileges, with a clean
 * environment, its channel as descriptor 3 and Postfix's hold directory as
 * descriptor 4; it serves the fixed-size requests of helper_protocol.h
 * until holdd closes the channel.  It runs
 * postsuper, postkick, postcat, postqueue, sendmail and the bypass
 * command (sendwatch-bypass, for holdd's automatic bypass) with an argument
 * vector (never a shell) and a fixed environment, for requests that pass
 * helper_checks.h; it parses no mail and no JSON - only Postfix's own
 * one-line reports and the marker header lines of postcat -h.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "command.h"
#include "fdio.h"
#include "helper_checks.h"
#include "parse.h"

#define CHANNEL  3 /* requests and replies */
#define HOLD_DIR 4 /* Postfix's hold directory, opened by holdd */

static char *config_dir, *sendmail, *notice_sender, *bypass; /* the arguments */
static long hold_depth; /* hash_queue_depth when hold is hashed, else 0 */

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

/* Runs ARGV to its end (command.h), its output and error into OUT and ERR. */
static int run(char *const argv[], const char *input, size_t len, struct buf *out,
               struct buf *err)
{
    char why[200];
    int status =
        command_run(argv, input, len, out, err, HELPER_LISTING_MAX, why, sizeof(why));
    if (status < 0 && err != NULL)
        buf_append(err, why, strlen(why));
    return status;
}

/*
 * Whether ID's queue file is in HOLD and complete: looked up under the
 * hold directory (descriptor HOLD_DIR, opened by holdd), in Postfix's
 * hashed layout when hold is hashed.  Postfix makes a queue file
 * executable once it is written; a file still in incoming/ - where it sits,
 * already marked, while a later milter decides - is not in HOLD.
 */
static bool in_hold(const char *id)
{
    char path[HELPER_ID_SIZE + 32];
    struct stat st;
    return helper_hold_path(id, hold_depth, path, sizeof(path)) &&
           fstatat(HOLD_DIR, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR);
}

/*
 * Which of R's IDs are in HOLD and carry the marker: DONE, or NOT_OURS
 * (in HOLD, no marker), or NOT_MOVED (not in HOLD, or postcat failed).
 */
static void find_marked(const struct helper_request *r, struct helper_reply *rep)
{
    char *argv[HELPER_MAX_IDS + 6] = {"/usr/sbin/postcat", "-c", config_dir, "-h", "-q"};
    size_t n = 5;
    for (uint32_t i = 0; i < r->nids; i++) {
        bool held = in_hold(r->ids[i]);
        rep->results[i] =
            held ? HELPER_DONE : HELPER_NOT_MOVED; /* DONE: being looked at */
        if (held)
            argv[n++] = (char *)r->ids[i];
    }
    struct buf out = {0}, err = {0};
    int status = n > 5 ? run(argv, NULL, 0, &out, &err) : 0;
    for (uint32_t i = 0; i < r->nids; i++)
        if (rep->results[i] == HELPER_DONE)
            rep->results[i] = status != 0 ? HELPER_NOT_MOVED
                              : helper_headers_marked(out.data, r->ids[i])
                                  ? HELPER_DONE
                                  : HELPER_NOT_OURS;
    if (status != 0)
        say(rep, HELPER_DONE, "postcat exit %d: %s", status, tail(&err));
    buf_free(&out);
    buf_free(&err);
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
        if (helper_check_notice(n->rcpt, messages + at, n->len, rep->detail,
                                sizeof(rep->detail)))
            command_start(&c[i], argv, messages + at, n->len);
        else
            rep->results[i] = HELPER_REFUSED, c[i] = (struct command){.pid = -1};
    }
    for (uint32_t i = 0; i < r->nids; i++) {
        struct buf err = {0};
        char why[160];
        int status = rep->results[i] == HELPER_REFUSED
                         ? 0
                         : command_finish(&c[i], NULL, &err, 4096, why, sizeof(why));
        if (status != 0) {
            rep->results[i] = HELPER_FAILED;
            say(rep, HELPER_DONE, "sendmail exit %d: %s", status,
                status < 0 ? why : tail(&err));
        }
        buf_free(&err);
    }
}

/* DELIVER: the quarantined copy to its original recipients, from its sender. */
static void deliver(const struct helper_request *r, const char *message,
                    struct helper_reply *rep)
{
    const struct helper_delivery *d = &r->delivery;
    if (!helper_check_delivery(d, message, rep->detail, sizeof(rep->detail))) {
        rep->result = HELPER_REFUSED;
        return;
    }
    char *argv[7 + HELPER_DELIVER_RCPTS + 1];
    size_t n = 0;
    argv[n++] = sendmail;
    argv[n++] = "-C";
    argv[n++] = config_dir;
    argv[n++] = "-i";
    argv[n++] = "-f";
    argv[n++] = (char *)d->sender; /* "" is the null sender */
    argv[n++] = "--";
    for (uint32_t i = 0; i < d->nrcpts; i++)
        argv[n++] = (char *)d->rcpts[i];
    argv[n] = NULL;
    /* A record of its own of every message root submits for holdd, beside
     * holdd's: the envelope and size, to the mail log. */
    syslog(LOG_MAIL | LOG_NOTICE, "deliver from=<%s> to=<%s>%s size=%u", d->sender,
           d->rcpts[0], d->nrcpts > 1 ? " and others" : "", d->len);
    struct buf err = {0};
    int status = run(argv, message, d->len, NULL, &err);
    if (status != 0)
        say(rep, HELPER_FAILED, "sendmail exit %d: %s", status, tail(&err));
    buf_free(&err);
}

/*
 * BYPASS: the bypass command on this Postfix - on, off, or its status
 * (exit 0: on, 3: off).  Its own words go to the reply's detail.
 */
static void run_bypass(const struct helper_request *r, struct helper_reply *rep)
{
    static const char *const actions[] = {"off", "on", "status"};
    if (r->nids > HELPER_BYPASS_STATUS) {
        say(rep, HELPER_REFUSED, "unknown bypass action %u", r->nids);
        return;
    }
    if (strcmp(bypass, "-") == 0) {
        say(rep, HELPER_REFUSED, "no bypass here (auto_bypass = no)");
        return;
    }
    char *argv[] = {bypass, "-c", config_dir, (char *)actions[r->nids], NULL};
    struct buf out = {0}, err = {0};
    int status = run(argv, NULL, 0, &out, &err);
    syslog(LOG_MAIL | LOG_NOTICE, "bypass %s: exit %d", actions[r->nids], status);
    const struct buf *words = err.len > 0 ? &err : &out;
    if (status == 0)
        say(rep, HELPER_DONE, "%s", tail(words));
    else if (r->nids == HELPER_BYPASS_STATUS && status == 3)
        say(rep, HELPER_NOT_MOVED, "%s", tail(words));
    else
        say(rep, HELPER_FAILED, "%s exit %d: %s", bypass, status, tail(words));
    rep->detail[strcspn(rep->detail, "\n")] = '\0';
    buf_free(&out);
    buf_free(&err);
}

/* Serves one request into REP (and for LIST, *LISTING). */
static void serve(const struct helper_request *r, const char *message,
                  struct helper_reply *rep, struct buf *listing)
{
    rep->nids = r->nids;
    if (r->op == HELPER_LIST) {
        char *postqueue[] = {"/usr/sbin/postqueue", "-c", config_dir, "-j", NULL};
        struct buf err = {0};
        int status = run(postqueue, NULL, 0, listing, &err);
        if (status != 0 || listing->len >= HELPER_LISTING_MAX) {
            say(rep, HELPER_FAILED, "postqueue -j exit %d: %s", status, tail(&err));
            listing->len = 0;
        }
        rep->listing_len = (uint32_t)listing->len;
        buf_free(&err);
    } else if (r->op == HELPER_SUBMIT) {
        submit(r, message, rep);
    } else if (r->op == HELPER_DELIVER) {
        deliver(r, message, rep);
    } else if (r->op == HELPER_BYPASS) {
        run_bypass(r, rep);
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
    char *end = NULL;
    if (argc != 6 || argv[1][0] != '/' || argv[2][0] != '/' ||
        (argv[5][0] != '/' && strcmp(argv[5], "-") != 0) ||
        parse_addr_spec(argv[3], PARSE_ADDRESS_LOCAL_ALONE, why, sizeof(why)) != 0 ||
        (hold_depth = strtol(argv[4], &end, 10)) < 0 || hold_depth > 16 || *end != '\0' ||
        fcntl(CHANNEL, F_SETFD, FD_CLOEXEC) < 0 ||
        fcntl(HOLD_DIR, F_SETFD, FD_CLOEXEC) < 0) {
        fprintf(stderr,
                "usage: sendwatch-helper POSTFIX_CONFIG_DIR SENDMAIL NOTICE_SENDER "
                "HOLD_HASH_DEPTH BYPASS (exec'd by sendwatch-holdd: its channel on "
                "descriptor 3, "
                "Postfix's hold directory on 4)\n");
        return 2;
    }
    config_dir = argv[1];
    sendmail = argv[2];
    notice_sender = argv[3];
    bypass = argv[5];
    signal(SIGPIPE, SIG_IGN);
    openlog("sendwatch-helper", LOG_PID, LOG_MAIL);
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
        struct buf listing = {0};
        if ((r.op == HELPER_SUBMIT || r.op == HELPER_DELIVER) &&
            ((message = malloc(total + 1)) == NULL ||
             fdio_read_exact(CHANNEL, message, total) != 0))
            return 1;
        serve(&r, message, &rep, &listing);
        free(message);
        bool answered = fdio_write_all(CHANNEL, &rep, sizeof(rep)) == 0 &&
                        fdio_write_all(CHANNEL, listing.data, listing.len) == 0;
        buf_free(&listing);
        if (!answered)
            return 1;
    }
}
