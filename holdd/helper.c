/* helper - see helper.h. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "command.h"
#include "errbuf.h"
#include "fdio.h"
#include "queueid.h"

const char *helper_result_name(enum helper_result r)
{
    static const char *const names[] = {"done", "not moved", "not sendwatch's", "refused",
                                        "failed"};
    return (unsigned)r < sizeof(names) / sizeof(*names) ? names[r] : "?";
}

/*
 * Where Postfix keeps HOLD, from postconf: queue_directory/hold opened
 * into *DIR, and *DEPTH, hash_queue_depth when hold is in hash_queue_names
 * (else 0).  0, or -1 with ERR.
 */
static int hold_layout(const char *config_dir, int *dir, long *depth, char *err,
                       size_t errlen)
{
    char *argv[] = {"/usr/sbin/postconf", "-c",
                    (char *)config_dir,   "-xh",
                    "queue_directory",    "hash_queue_names",
                    "hash_queue_depth",   NULL};
    struct buf out = {0};
    char why[256] = "", *line[3] = {NULL}, *save = NULL, path[4096];
    int status = command_run(argv, NULL, 0, &out, NULL, 65536, why, sizeof(why)), rc = -1;
    size_t n = 0;
    for (char *l = status == 0 ? strtok_r(out.data, "\n", &save) : NULL; l && n < 3;
         l = strtok_r(NULL, "\n", &save))
        line[n++] = l;
    *dir = -1;
    *depth = 0;
    if (n != 3 || line[0][0] != '/') {
        errbuf_set(err, errlen, "postconf -c %s cannot say where the queue is%s%s",
                   config_dir, *why ? ": " : "", why);
    } else {
        for (char *q = strtok_r(line[1], " \t,", &save); q;
             q = strtok_r(NULL, " \t,", &save))
            if (strcasecmp(q, "hold") == 0)
                *depth = strtol(line[2], NULL, 10);
        snprintf(path, sizeof(path), "%s/hold", line[0]);
        /* Root opens it once: no path to follow later, and no symlink now. */
        if ((*dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
            errbuf_set(err, errlen, "Postfix's hold directory %s: %s", path,
                       strerror(errno));
        else
            rc = 0;
    }
    buf_free(&out);
    return rc;
}

/* FD moved to a number above 4 (closed: -1), so that placing the helper's
 * descriptors 3 and 4 cannot overwrite one with the other. */
static int above_4(int fd)
{
    int moved = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 5) : -1;
    if (fd >= 0)
        close(fd);
    return moved;
}

int helper_start(const char *helper_path, const char *postfix_config_dir,
                 const char *sendmail_path, const char *notice_sender,
                 const char *bypass_command, int *fd, pid_t *pid, char *err,
                 size_t errlen)
{
    int sv[2], hold_dir;
    long depth;
    char depth_text[24];
    if (hold_layout(postfix_config_dir, &hold_dir, &depth, err, errlen) != 0)
        return -1;
    hold_dir = above_4(hold_dir);
    if (hold_dir < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
        (sv[1] = above_4(sv[1])) < 0) {
        errbuf_set(err, errlen, "the helper's descriptors: %s", strerror(errno));
        if (hold_dir >= 0)
            close(hold_dir);
        return -1;
    }
    snprintf(depth_text, sizeof(depth_text), "%ld", depth);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 3); /* dup2 clears close-on-exec */
    posix_spawn_file_actions_adddup2(&fa, hold_dir, 4);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)helper_path,
                    (char *)postfix_config_dir,
                    (char *)sendmail_path,
                    (char *)notice_sender,
                    depth_text,
                    (char *)bypass_command,
                    NULL};
    int rc = posix_spawn(pid, helper_path, &fa, NULL, argv, command_env);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    close(hold_dir);
    if (rc != 0) {
        errbuf_set(err, errlen, "holdd_helper %s: %s", helper_path, strerror(rc));
        close(sv[0]);
        return -1;
    }
    *fd = sv[0];
    return 0;
}

/* The one request and reply in flight (holdd asks from one thread, one at a
 * time): 33 KB, so not on the stack and not allocated per call. */
static struct helper_request request;
static struct helper_reply reply;

/* The request buffer, cleared, for OP. */
static struct helper_request *new_request(enum helper_op op)
{
    memset(&request, 0, sizeof(request));
    request.protocol = HELPER_PROTOCOL;
    request.op = op;
    return &request;
}

/* Sends R (and for SUBMIT its notices, MESSAGES) and reads the reply into
 * REP.  0, or -1 with ERR. */
static int ask(int fd, const struct helper_request *r, const char *const *messages,
               struct helper_reply *rep, char *err, size_t errlen)
{
    int rc = fdio_write_all(fd, r, sizeof(*r));
    for (uint32_t i = 0; rc == 0 && messages != NULL && i < r->nids; i++)
        rc = fdio_write_all(fd, messages[i], r->notices[i].len);
    if (rc != 0 || fdio_read_exact(fd, rep, sizeof(*rep)) != 0 ||
        rep->protocol != HELPER_PROTOCOL) {
        errbuf_set(err, errlen, "the root helper does not answer");
        return -1;
    }
    return 0;
}

/* Copies the reply's per-item results into RESULTS and its DETAIL.  0, or
 * -1 with ERR when the helper refused the request as a whole. */
static int take_results(const struct helper_request *r, enum helper_result *results,
                        char *detail, char *err, size_t errlen)
{
    snprintf(detail, HELPER_DETAIL_SIZE, "%.*s", HELPER_DETAIL_SIZE - 1, reply.detail);
    if (reply.result == HELPER_REFUSED || reply.nids != r->nids) {
        errbuf_set(err, errlen, "the root helper refused: %s", detail);
        return -1;
    }
    for (uint32_t i = 0; i < r->nids; i++)
        results[i] = reply.results[i] <= HELPER_FAILED
                         ? (enum helper_result)reply.results[i]
                         : HELPER_FAILED;
    return 0;
}

int helper_call(int fd, enum helper_op op, const char *const *ids, size_t n,
                enum helper_result *results, char *detail, char *err, size_t errlen)
{
    struct helper_request *r = new_request(op);
    r->nids = (uint32_t)(n < HELPER_MAX_IDS ? n : HELPER_MAX_IDS);
    for (uint32_t i = 0; i < r->nids; i++)
        snprintf(r->ids[i], sizeof(r->ids[i]), "%s", ids[i]);
    if (ask(fd, r, NULL, &reply, err, errlen) != 0)
        return -1;
    return take_results(r, results, detail, err, errlen);
}

char *helper_list(int fd, size_t *len, char *err, size_t errlen)
{
    struct helper_reply *rep = &reply;
    if (ask(fd, new_request(HELPER_LIST), NULL, rep, err, errlen) != 0)
        return NULL;
    if (rep->listing_len > HELPER_LISTING_MAX) {
        errbuf_set(err, errlen, "the root helper is out of step");
        return NULL;
    }
    char *text = malloc((size_t)rep->listing_len + 1);
    if (text == NULL || fdio_read_exact(fd, text, rep->listing_len) != 0) {
        free(text);
        errbuf_set(err, errlen, "the root helper does not answer");
        return NULL;
    }
    text[rep->listing_len] = '\0';
    *len = rep->listing_len;
    if (rep->result != HELPER_DONE) {
        errbuf_set(err, errlen, "%.*s", HELPER_DETAIL_SIZE - 1, rep->detail);
        free(text);
        return NULL;
    }
    return text;
}

int helper_submit(int fd, const char *const *rcpts, const char *const *messages, size_t n,
                  enum helper_result *results, char *detail, char *err, size_t errlen)
{
    struct helper_request *r = new_request(HELPER_SUBMIT);
    if (n > HELPER_MAX_NOTICES) {
        errbuf_set(err, errlen, "%zu notices at once: at most %d", n, HELPER_MAX_NOTICES);
        return -1;
    }
    r->nids = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(messages[i]);
        if (strlen(rcpts[i]) >= sizeof(r->notices[i].rcpt) || len > HELPER_MESSAGE_MAX) {
            errbuf_set(err, errlen, "notice %zu too large, or its recipient too long", i);
            return -1;
        }
        snprintf(r->notices[i].rcpt, sizeof(r->notices[i].rcpt), "%s", rcpts[i]);
        r->notices[i].len = (uint32_t)len;
    }
    if (ask(fd, r, messages, &reply, err, errlen) != 0)
        return -1;
    return take_results(r, results, detail, err, errlen);
}

int helper_deliver(int fd, const char *sender, const char *const *rcpts, size_t n,
                   const char *message, size_t len, enum helper_result *result,
                   char *detail, char *err, size_t errlen)
{
    struct helper_request *r = new_request(HELPER_DELIVER);
    struct helper_delivery *d = &r->delivery;
    if (n < 1 || n > HELPER_DELIVER_RCPTS || len > HELPER_DELIVER_MAX ||
        strlen(sender) >= sizeof(d->sender)) {
        errbuf_set(
            err, errlen,
            "cannot be delivered this way: %zu recipients (1 to %d), %zu bytes (at "
            "most %u)",
            n, HELPER_DELIVER_RCPTS, len, HELPER_DELIVER_MAX);
        return -1;
    }
    snprintf(d->sender, sizeof(d->sender), "%s", sender);
    for (size_t i = 0; i < n; i++) {
        if (strlen(rcpts[i]) >= sizeof(d->rcpts[i])) {
            errbuf_set(err, errlen, "recipient %zu too long", i);
            return -1;
        }
        snprintf(d->rcpts[i], sizeof(d->rcpts[i]), "%s", rcpts[i]);
    }
    d->nrcpts = (uint32_t)n;
    d->len = (uint32_t)len;
    if (fdio_write_all(fd, r, sizeof(*r)) != 0 || fdio_write_all(fd, message, len) != 0 ||
        fdio_read_exact(fd, &reply, sizeof(reply)) != 0 ||
        reply.protocol != HELPER_PROTOCOL) {
        errbuf_set(err, errlen, "the root helper does not answer");
        return -1;
    }
    snprintf(detail, HELPER_DETAIL_SIZE, "%.*s", HELPER_DETAIL_SIZE - 1, reply.detail);
    *result =
        reply.result <= HELPER_FAILED ? (enum helper_result)reply.result : HELPER_FAILED;
    return 0;
}

int helper_bypass(int fd, enum helper_bypass action, enum helper_result *result,
                  char *detail, char *err, size_t errlen)
{
    struct helper_request *r = new_request(HELPER_BYPASS);
    r->nids = (uint32_t)action;
    if (ask(fd, r, NULL, &reply, err, errlen) != 0)
        return -1;
    snprintf(detail, HELPER_DETAIL_SIZE, "%.*s", HELPER_DETAIL_SIZE - 1, reply.detail);
    *result =
        reply.result <= HELPER_FAILED ? (enum helper_result)reply.result : HELPER_FAILED;
    return 0;
}
