/* helper - see helper.h. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "errbuf.h"
#include "fdio.h"
#include "queueid.h"

extern char **environ;

/* ------------------------------------------------------------ framing */

/* A frame: 4 bytes of length (host order: both ends are one machine), then the bytes. */
static int frame_send(int fd, const char *p, size_t len)
{
    uint32_t n = (uint32_t)len;
    return fdio_write_all(fd, &n, sizeof(n)) == 0 && fdio_write_all(fd, p, len) == 0 ? 0
                                                                                     : -1;
}

/* Reads a frame into a malloc'ed, NUL-terminated buffer. */
static char *frame_recv(int fd, size_t *len)
{
    uint32_t n;
    if (fdio_read_exact(fd, &n, sizeof(n)) != 0 || n > 64u * 1024 * 1024)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (p == NULL || fdio_read_exact(fd, p, n) != 0) {
        free(p);
        return NULL;
    }
    p[n] = '\0';
    *len = n;
    return p;
}

/* ------------------------------------------------------ running Postfix */

/*
 * Runs ARGV (no shell) with INPUT on its standard input; its standard
 * output and error are collected.  Returns the exit status, or -1.
 */
static int run(char *const argv[], const char *input, struct buf *out, struct buf *errout)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1}, status = -1;
    posix_spawn_file_actions_t fa;
    pid_t pid;

    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(o, O_CLOEXEC) != 0 || pipe2(e, O_CLOEXEC) != 0)
        goto done;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        buf_append(errout, strerror(rc), strlen(rc ? strerror(rc) : ""));
        goto done;
    }
    close(in[0]);
    close(o[1]);
    close(e[1]);
    in[0] = o[1] = e[1] = -1;
    size_t sent = 0, inlen = input ? strlen(input) : 0;
    if (inlen == 0) {
        close(in[1]);
        in[1] = -1;
    }
    while (o[0] >= 0 || e[0] >= 0) {
        struct pollfd p[3] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(in[1], input + sent, inlen - sent);
            if (n > 0)
                sent += (size_t)n;
            if (n < 0 || sent == inlen) {
                close(in[1]);
                in[1] = -1;
            }
        }
        for (int i = 0; i < 2; i++) {
            int *fdp = i == 0 ? &o[0] : &e[0];
            if (*fdp < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char chunk[8192];
            ssize_t n = read(*fdp, chunk, sizeof(chunk));
            if (n > 0) {
                buf_append(i == 0 ? out : errout, chunk, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                close(*fdp);
                *fdp = -1;
            }
        }
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
done:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (o[i] >= 0)
            close(o[i]);
        if (e[i] >= 0)
            close(e[i]);
    }
    return status;
}

/* The queue: "ID queue_name\n" lines from postqueue -j into OUT.  0 or -1 (WHY set). */
static int list_queue(const char *config_dir, struct buf *outlines, struct buf *why)
{
    char *argv[] = {"/usr/sbin/postqueue", "-c", (char *)config_dir, "-j", NULL};
    struct buf out = {0};
    int rc = run(argv, NULL, &out, why);
    if (rc != 0) {
        buf_free(&out);
        return -1;
    }
    /* One JSON object per line; members we do not know are ignored. */
    char *save = NULL;
    for (char *line = out.data ? strtok_r(out.data, "\n", &save) : NULL; line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        json_object *obj = json_tokener_parse(line), *id, *queue;
        if (obj != NULL && json_object_object_get_ex(obj, "queue_id", &id) &&
            json_object_object_get_ex(obj, "queue_name", &queue)) {
            const char *qid = json_object_get_string(id),
                       *qn = json_object_get_string(queue);
            if (qid && qn && queueid_classify(qid) != QUEUEID_INVALID) {
                buf_append(outlines, qid, strlen(qid));
                buf_append(outlines, " ", 1);
                buf_append(outlines, qn, strlen(qn));
                buf_append(outlines, "\n", 1);
            }
        }
        json_object_put(obj);
    }
    buf_free(&out);
    return 0;
}

/* The queue name of ID in LINES ("ID queue\n"...), or NULL when absent. */
static const char *queue_of(const char *lines, const char *id, char *name, size_t len)
{
    size_t idlen = strlen(id);
    for (const char *p = lines; p != NULL && *p;
         p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, id, idlen) == 0 && p[idlen] == ' ') {
            const char *q = p + idlen + 1, *end = strchr(q, '\n');
            snprintf(name, len, "%.*s", (int)(end ? end - q : (long)strlen(q)), q);
            return name;
        }
    }
    return NULL;
}

/* An envelope address we pass on an argv: no spaces, controls or option-like start. */
static bool plain_address(const char *a)
{
    if (a[0] == '\0' || a[0] == '-' || strlen(a) > 320)
        return false;
    for (const unsigned char *c = (const unsigned char *)a; *c; c++)
        if (*c <= 0x20 || *c == 0x7f || *c == '<' || *c == '>' || *c == '"' || *c == '\\')
            return false;
    return true;
}

/* "submit\nSENDER\nRCPT\n" then the message. */
static void submit(const char *config_dir, const char *sendmail, char *request,
                   struct buf *reply)
{
    char *sender = request + strlen("submit\n"), *rcpt = NULL, *message = NULL;
    char *nl = strchr(sender, '\n');
    if (nl != NULL) {
        *nl = '\0';
        rcpt = nl + 1;
        nl = strchr(rcpt, '\n');
    }
    if (nl != NULL) {
        *nl = '\0';
        message = nl + 1;
    }
    if (message == NULL || !plain_address(sender) || !plain_address(rcpt)) {
        buf_append(reply, "error bad submission\n", 21);
        return;
    }
    char *argv[] = {
        (char *)sendmail, "-C", (char *)config_dir, "-f", sender, "-i", "--", rcpt, NULL};
    struct buf out = {0}, errout = {0};
    int status = run(argv, message, &out, &errout);
    if (status == 0) {
        buf_append(reply, "ok\n", 3);
    } else {
        char line[400];
        snprintf(line, sizeof(line), "error sendmail exit %d: %.300s\n", status,
                 errout.data ? errout.data : "");
        for (char *c = line + 6; *c && c[1]; c++)
            if (*c == '\n')
                *c = ' ';
        buf_append(reply, line, strlen(line));
    }
    buf_free(&out);
    buf_free(&errout);
}

/*
 * Carries out one request (text: op, then IDs, a line each) into REPLY.
 * XXX Long, and a free-text protocol: issue 10 replaces the helper with a
 * small exec'd program taking fixed-size typed requests.
 */
static void serve(const char *config_dir, const char *sendmail, char *request,
                  struct buf *reply)
{
    if (strncmp(request, "submit\n", 7) == 0) {
        submit(config_dir, sendmail, request, reply);
        return;
    }
    char *save = NULL, *op = strtok_r(request, "\n", &save);
    struct buf ids = {0}, valid = {0}, why = {0}, lines = {0};
    char line[400], queue[64];

    if (op != NULL && strcmp(op, "list") == 0) {
        if (list_queue(config_dir, &lines, &why) != 0) {
            snprintf(line, sizeof(line), "error postqueue -j failed: %.200s\n",
                     why.data ? why.data : "");
            buf_append(reply, line, strlen(line));
        } else if (lines.data != NULL) {
            for (char *s2 = NULL, *l = strtok_r(lines.data, "\n", &s2); l;
                 l = strtok_r(NULL, "\n", &s2)) {
                snprintf(line, sizeof(line), "ok %s\n", l);
                buf_append(reply, line, strlen(line));
            }
        }
        goto done;
    }
    bool release = op != NULL && strcmp(op, "release") == 0;
    if (!release && (op == NULL || strcmp(op, "delete") != 0)) {
        buf_append(reply, "error unknown operation\n", 24);
        goto done;
    }
    /* Only well-formed queue IDs reach Postfix. */
    for (char *id = strtok_r(NULL, "\n", &save); id != NULL;
         id = strtok_r(NULL, "\n", &save)) {
        if (queueid_classify(id) == QUEUEID_INVALID) {
            snprintf(line, sizeof(line), "fail %.60s not a Postfix queue ID\n", id);
            buf_append(reply, line, strlen(line));
            continue;
        }
        buf_append(&valid, id, strlen(id));
        buf_append(&valid, "\n", 1);
    }
    if (valid.len == 0)
        goto done;
    char *postsuper[] = {"/usr/sbin/postsuper",
                         "-c",
                         (char *)config_dir,
                         release ? "-H" : "-d",
                         "-",
                         "hold",
                         NULL};
    int status = run(postsuper, valid.data, &ids, &why);
    /* postsuper names each message it moved: "postsuper: ID: released from
     * hold" or "postsuper: ID: removed".  Its exit status does not. */
    const char *done_word = release ? ": released from hold\n" : ": removed\n";
    bool all_done = true, any_released = false;
    for (char *s2 = NULL, *id = strtok_r(valid.data, "\n", &s2); id;
         id = strtok_r(NULL, "\n", &s2)) {
        char said[160];
        snprintf(said, sizeof(said), "postsuper: %s%s", id, done_word);
        bool moved = why.data != NULL && strstr(why.data, said) != NULL;
        snprintf(line, sizeof(line), "%c %s\n", moved ? '+' : '?', id);
        buf_append(&ids, line, strlen(line));
        all_done = all_done && moved;
        any_released = any_released || (moved && release);
    }
    /* -H leaves mail in the deferred queue with its time reset to now; one
     * deferred-queue scan request to qmgr sends the whole batch now
     * (postqueue -i per message would cost a process each). */
    if (any_released) {
        char *postkick[] = {
            "/usr/sbin/postkick", "-c", (char *)config_dir, "public", "qmgr", "D", NULL};
        struct buf o2 = {0}, e2 = {0};
        (void)run(postkick, NULL, &o2, &e2);
        buf_free(&o2);
        buf_free(&e2);
    }
    /* The rest: the queue says why (gone, released before, still held). */
    bool listed = all_done || list_queue(config_dir, &lines, &why) == 0;
    for (char *s2 = NULL, *l = strtok_r(ids.data, "\n", &s2); l;
         l = strtok_r(NULL, "\n", &s2)) {
        const char *id = l + 2;
        if (l[0] == '+') {
            snprintf(line, sizeof(line), "ok %s\n", id);
        } else if (!listed) {
            snprintf(line, sizeof(line),
                     "fail %s cannot list the queue after postsuper\n", id);
        } else {
            const char *q = queue_of(lines.data, id, queue, sizeof(queue));
            if (q == NULL)
                snprintf(line, sizeof(line), "fail %s not in the queue\n", id);
            else if (strcmp(q, "hold") != 0)
                snprintf(line, sizeof(line), "fail %s not in hold but in %s\n", id, q);
            else {
                /* postsuper left it: say what it said. */
                snprintf(line, sizeof(line),
                         "fail %s still in hold (postsuper exit %d: %.200s)\n", id,
                         status, why.data ? why.data : "");
                for (char *c = line + strlen(id) + 6; *c; c++)
                    if (*c == '\n' && c[1] != '\0')
                        *c = ' ';
            }
        }
        buf_append(reply, line, strlen(line));
    }
done:
    buf_free(&ids);
    buf_free(&valid);
    buf_free(&why);
    buf_free(&lines);
}

static void helper_loop(int fd, const char *config_dir, const char *sendmail)
{
    for (;;) {
        size_t len;
        char *request = frame_recv(fd, &len);
        if (request == NULL)
            _exit(0); /* holdd is gone */
        struct buf reply = {0};
        serve(config_dir, sendmail, request, &reply);
        free(request);
        if (frame_send(fd, reply.data ? reply.data : "", reply.len) != 0)
            _exit(1);
        buf_free(&reply);
    }
}

int helper_start(const char *postfix_config_dir, const char *sendmail_path, int *fd,
                 char *err, size_t errlen)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        errbuf_set(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        errbuf_set(err, errlen, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        /* The helper ends with holdd: its channel closes, or it is told. */
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_IGN);
        helper_loop(sv[1], postfix_config_dir, sendmail_path);
    }
    close(sv[1]);
    *fd = sv[0];
    return 0;
}

/* Sends REQ (which it frees) and returns the helper's reply, malloc'ed; NULL with ERR. */
static char *ask(int fd, struct buf *req, char *err, size_t errlen)
{
    size_t len;
    char *reply = NULL;
    if (req->data == NULL || frame_send(fd, req->data, req->len) != 0 ||
        (reply = frame_recv(fd, &len)) == NULL)
        errbuf_set(err, errlen, "the privileged helper does not answer");
    buf_free(req);
    return reply;
}

int helper_call(int fd, enum helper_op op, const char *const *ids, size_t nids,
                struct helper_outcome *out, size_t max, size_t *n, char *err,
                size_t errlen)
{
    static const char *const names[] = {"release", "delete", "list"};
    struct buf req = {0};
    buf_append(&req, names[op], strlen(names[op]));
    buf_append(&req, "\n", 1);
    for (size_t i = 0; op != HELPER_LIST && i < nids && i < HELPER_MAX_IDS; i++) {
        buf_append(&req, ids[i], strlen(ids[i]));
        buf_append(&req, "\n", 1);
    }
    char *reply = ask(fd, &req, err, errlen);
    if (reply == NULL)
        return -1;
    *n = 0;
    int rc = 0;
    char *save = NULL;
    for (char *line = strtok_r(reply, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "error ", 6) == 0) {
            errbuf_set(err, errlen, "%s", line + 6);
            rc = -1;
            continue;
        }
        bool ok = strncmp(line, "ok ", 3) == 0;
        if ((!ok && strncmp(line, "fail ", 5) != 0) || *n >= max)
            continue;
        const char *rest = line + (ok ? 3 : 5), *sp = strchr(rest, ' ');
        struct helper_outcome *o = &out[(*n)++];
        snprintf(o->queue_id, sizeof(o->queue_id), "%.*s",
                 (int)(sp ? sp - rest : (long)strlen(rest)), rest);
        o->ok = ok;
        snprintf(o->why, sizeof(o->why), "%s", sp ? sp + 1 : "");
    }
    free(reply);
    return rc;
}

int helper_submit(int fd, const char *sender, const char *rcpt, const char *message,
                  char *err, size_t errlen)
{
    struct buf req = {0};
    buf_append(&req, "submit\n", 7);
    buf_append(&req, sender, strlen(sender));
    buf_append(&req, "\n", 1);
    buf_append(&req, rcpt, strlen(rcpt));
    buf_append(&req, "\n", 1);
    buf_append(&req, message, strlen(message));
    char *reply = ask(fd, &req, err, errlen);
    if (reply == NULL)
        return -1;
    int rc = strncmp(reply, "ok", 2) == 0 ? 0 : -1;
    if (rc != 0)
        errbuf_set(err, errlen, "%s",
                   strncmp(reply, "error ", 6) == 0 ? reply + 6 : reply);
    free(reply);
    return rc;
}
