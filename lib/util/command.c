/* command - see command.h. */
#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errbuf.h"
#include "fdio.h"

char *const command_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};

void command_start(struct command *c, char *const argv[], const char *input, size_t len)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    c->pid = -1;
    c->why[0] = '\0';
    for (int i = 0; i < 3; i++) {
        c->io[i] = memfd_create("sendwatch-command", MFD_CLOEXEC);
        posix_spawn_file_actions_adddup2(&fa, c->io[i], i); /* clears close-on-exec */
    }
    int rc = -1;
    if (c->io[0] < 0 || c->io[1] < 0 || c->io[2] < 0 ||
        fdio_write_all(c->io[0], input, len) != 0 || lseek(c->io[0], 0, SEEK_SET) != 0)
        snprintf(c->why, sizeof(c->why), "its memory files: %s", strerror(errno));
    else if ((rc = posix_spawn(&c->pid, argv[0], &fa, NULL, argv, command_env)) != 0)
        snprintf(c->why, sizeof(c->why), "%.100s: %s", argv[0], strerror(rc));
    if (rc != 0)
        c->pid = -1;
    posix_spawn_file_actions_destroy(&fa);
}

/* Appends up to LIMIT bytes of the memory file FD to OUT.  0, or -1. */
static int collect(int fd, struct buf *out, size_t limit)
{
    char chunk[65536];
    ssize_t n = lseek(fd, 0, SEEK_SET) == 0 ? 1 : -1;
    while (n > 0 && out->len < limit && (n = read(fd, chunk, sizeof(chunk))) > 0) {
        size_t take = (size_t)n < limit - out->len ? (size_t)n : limit - out->len;
        if (buf_append(out, chunk, take) != 0)
            n = -1;
    }
    return n < 0 ? -1 : 0;
}

int command_finish(struct command *c, struct buf *out, struct buf *errout, size_t limit,
                   char *err, size_t errlen)
{
    int ws = 0, status = -1, rc = 0;
    while (c->pid > 0 && (rc = waitpid(c->pid, &ws, 0)) < 0 && errno == EINTR)
        ;
    if (c->pid <= 0)
        errbuf_set(err, errlen, "%s", c->why);
    else if (rc < 0)
        errbuf_set(err, errlen, "waitpid: %s", strerror(errno));
    else if (!WIFEXITED(ws))
        errbuf_set(err, errlen, "killed by signal %d", WTERMSIG(ws));
    else if ((out && collect(c->io[1], out, limit) != 0) ||
             (errout && collect(c->io[2], errout, limit) != 0))
        errbuf_set(err, errlen, "cannot read its output: %s", strerror(errno));
    else
        status = WEXITSTATUS(ws);
    for (int i = 0; i < 3; i++)
        if (c->io[i] >= 0)
            close(c->io[i]);
    c->pid = -1;
    c->io[0] = c->io[1] = c->io[2] = -1;
    return status;
}

int command_run(char *const argv[], const char *input, size_t len, struct buf *out,
                struct buf *errout, size_t limit, char *err, size_t errlen)
{
    struct command c;
    command_start(&c, argv, input, len);
    return command_finish(&c, out, errout, limit, err, errlen);
}
