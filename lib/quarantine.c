/* quarantine - see quarantine.h. */
#include "quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "errbuf.h"
#include "fdio.h"

static atomic_uint quarantine_counter;

static int make_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    errbuf_set(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return -1;
}

int quarantine_store(const char *dir, const char *folder, const char *prefix,
                     const struct spool *message, char *name, size_t namelen, char *err,
                     size_t errlen)
{
    char base[4096], tmp[4200], final[4200], host[256];
    struct timeval tv;

    snprintf(base, sizeof(base), "%s/%s", dir, folder);
    if (make_dir(dir, err, errlen) != 0 || make_dir(base, err, errlen) != 0)
        return -1;
    static const char *const subdirs[] = {"tmp", "new", "cur"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(tmp, sizeof(tmp), "%s/%s", base, subdirs[i]);
        if (make_dir(tmp, err, errlen) != 0)
            return -1;
    }
    /* Maildir's unique name: time, microseconds, pid, counter, host. */
    gettimeofday(&tv, NULL);
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    for (char *c = host; *c; c++)
        if (*c == '/' || *c == ':')
            *c = '_';
    snprintf(name, namelen, "%lld.M%ldP%dQ%u.%s", (long long)tv.tv_sec, (long)tv.tv_usec,
             (int)getpid(), atomic_fetch_add(&quarantine_counter, 1) + 1, host);
    snprintf(tmp, sizeof(tmp), "%s/tmp/%s", base, name);
    snprintf(final, sizeof(final), "%s/new/%s", base, name);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        errbuf_set(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    char buf[65536], rerr[256];
    uint64_t off = 0;
    bool reported = false;
    int ok = fdio_write_all(fd, prefix, strlen(prefix)) == 0;
    while (ok) {
        ssize_t n = spool_read_at(message, off, buf, sizeof(buf), rerr, sizeof(rerr));
        if (n < 0) {
            errbuf_set(err, errlen, "%s", rerr);
            reported = true;
            ok = 0;
            break;
        }
        if (n == 0)
            break;
        if (fdio_write_all(fd, buf, (size_t)n) != 0)
            ok = 0;
        off += (uint64_t)n;
    }
    if (ok && fsync(fd) != 0)
        ok = 0;
    if (!ok && !reported)
        errbuf_set(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && ok) {
        errbuf_set(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        ok = 0;
    }
    if (ok && rename(tmp, final) != 0) {
        errbuf_set(err, errlen, "cannot move %s into new/: %s", tmp, strerror(errno));
        ok = 0;
    }
    if (!ok) {
        unlink(tmp);
        return -1;
    }
    return 0;
}
