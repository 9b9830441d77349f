/* loader - see loader.h. */
#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errbuf.h"
#include "fdio.h"

struct loader {
    int fd;
    pid_t pid;
};

/* The answer: one status byte (0 files follow, 1 an error text follows),
 * a 4-byte length (host order) and that many bytes. */
enum { LOADER_FILES = 0, LOADER_ERROR = 1 };

static int answer(int fd, unsigned char status, const void *p, size_t len)
{
    uint32_t n = (uint32_t)len;
    return fdio_write_all(fd, &status, 1) == 0 &&
                   fdio_write_all(fd, &n, sizeof(n)) == 0 &&
                   fdio_write_all(fd, p, len) == 0
               ? 0
               : -1;
}

/* The child: one load per request byte, until end-of-file. */
static void serve(int fd, loader_fn fn, void *ctx)
{
    unsigned char request;
    while (fdio_read_exact(fd, &request, 1) == 0) {
        char err[1024] = "";
        struct files *fs = files_new();
        struct buf out = {0};
        int rc;
        if (fs == NULL) {
            rc = answer(fd, LOADER_ERROR, "out of memory", 13);
        } else if (fn(fs, ctx, err, sizeof(err)) != 0) {
            rc = answer(fd, LOADER_ERROR, err, strlen(err));
        } else if (files_encode(fs, &out) != 0) {
            rc = answer(fd, LOADER_ERROR, "out of memory", 13);
        } else {
            rc = answer(fd, LOADER_FILES, out.data, out.len);
        }
        buf_free(&out);
        files_free(fs);
        if (rc != 0)
            break;
    }
}

struct loader *loader_start(loader_fn fn, void *ctx, char *err, size_t errlen)
{
    struct loader *l = calloc(1, sizeof(*l));
    int sv[2];
    if (l == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        errbuf_set(err, errlen, "cannot start the loader: socketpair: %s",
                   strerror(errno));
        free(l);
        return NULL;
    }
    l->pid = fork();
    if (l->pid < 0) {
        errbuf_set(err, errlen, "cannot start the loader: fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        free(l);
        return NULL;
    }
    if (l->pid == 0) {
        /* Keep only the channel (as fd 3): not the milter's socket, not
         * LMDB, and not the standard descriptors of whoever started the
         * daemon (a pipe held open here would never see end-of-file).
         * Errors go back over the channel. */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (dup2(sv[1], 3) < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
            dup2(null, 2) < 0)
            _exit(1);
        close_range(4, ~0U, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_IGN);
        /* No PR_SET_PDEATHSIG: the daemon's daemon(3) fork would end us at
         * once.  The daemon gone, the channel reads end-of-file and we go. */
        prctl(PR_SET_NAME, "sendwatch-load");
        serve(3, fn, ctx);
        _exit(0);
    }
    close(sv[1]);
    l->fd = sv[0];
    return l;
}

/* After any fault on the channel the stream cannot be trusted to be in
 * step: the loader is given up (the daemon must be restarted to reload). */
static struct files *loader_broken(struct loader *l, const char *why, char *err,
                                   size_t errlen)
{
    errbuf_set(err, errlen, "the root loader (pid %ld) %s: restart the daemon to reload",
               (long)l->pid, why);
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    return NULL;
}

struct files *loader_load(struct loader *l, char *err, size_t errlen)
{
    unsigned char request = 'L', status;
    uint32_t len;
    if (l->fd < 0)
        return loader_broken(l, "was given up after an earlier fault", err, errlen);
    if (fdio_write_all(l->fd, &request, 1) != 0 ||
        fdio_read_exact(l->fd, &status, 1) != 0 ||
        fdio_read_exact(l->fd, &len, sizeof(len)) != 0)
        return loader_broken(l, "is gone", err, errlen);
    if ((status != LOADER_FILES && status != LOADER_ERROR) ||
        len > FILES_MAX_TOTAL + (64u << 20))
        return loader_broken(l, "answered out of step", err, errlen);
    char *payload = malloc((size_t)len + 1);
    if (payload == NULL)
        return loader_broken(l, "sent more than memory holds", err, errlen);
    if (fdio_read_exact(l->fd, payload, len) != 0) {
        free(payload);
        return loader_broken(l, "stopped mid-answer", err, errlen);
    }
    payload[len] = '\0';
    struct files *fs = NULL;
    if (status == LOADER_ERROR)
        errbuf_set(err, errlen, "%s", payload);
    else
        fs = files_decode(payload, len, err, errlen);
    free(payload);
    return fs;
}

void loader_stop(struct loader *l)
{
    if (l == NULL)
        return;
    if (l->fd >= 0)
        close(l->fd);
    while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    free(l);
}
