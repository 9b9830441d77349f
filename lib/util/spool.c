/* spool - see spool.h. */
#include "spool.h"

#include "errbuf.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct spool {
    size_t memory_limit;
    char *temp_dir;
    unsigned char *mem; /* in-memory bytes while not spilled */
    size_t mem_cap;
    uint64_t size;
    int fd; /* -1 until spilled */
    bool failed;
    /* Reads from the file go through this window: parsers read a few KB at
     * a time, and one pread() per 256 KB beats one per 4 KB. */
    char *cache;
    uint64_t cache_off;
    size_t cache_len;
};

#define SPOOL_CACHE (256 * 1024)

struct spool *spool_new(size_t memory_limit, const char *temp_dir)
{
    struct spool *sp = calloc(1, sizeof(*sp));

    if (sp == NULL)
        return NULL;
    sp->temp_dir = strdup(temp_dir);
    if (sp->temp_dir == NULL) {
        free(sp);
        return NULL;
    }
    sp->memory_limit = memory_limit;
    sp->fd = -1;
    return sp;
}

void spool_free(struct spool *sp)
{
    if (sp == NULL)
        return;
    if (sp->fd >= 0)
        close(sp->fd);
    free(sp->mem);
    free(sp->cache);
    free(sp->temp_dir);
    free(sp);
}

void spool_reset(struct spool *sp)
{
    if (sp->fd >= 0) {
        close(sp->fd);
        sp->fd = -1;
    }
    sp->size = 0;
    sp->failed = false;
    sp->cache_len = 0;
}

uint64_t spool_size(const struct spool *sp)
{
    return sp->size;
}

bool spool_spilled(const struct spool *sp)
{
    return sp->fd >= 0;
}

/*
 * Opens an anonymous file in temp_dir.  O_TMPFILE gives a file with no
 * name at all; where the file system lacks it, a named file is made with
 * mkstemp() and unlinked at once.
 */
static int spool_open_file(const struct spool *sp, char *err, size_t errlen)
{
    int fd = open(sp->temp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd >= 0)
        return fd;
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof(path), "%s/spool.XXXXXX", sp->temp_dir) >=
            sizeof(path)) {
            errbuf_set(err, errlen, "%s: path too long", sp->temp_dir);
            return -1;
        }
        fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0) {
            unlink(path);
            return fd;
        }
    }
    errbuf_set(err, errlen, "cannot create spill file in %s: %s", sp->temp_dir,
               strerror(errno));
    return -1;
}

static int spool_spill(struct spool *sp, char *err, size_t errlen)
{
    int fd = spool_open_file(sp, err, errlen);

    if (fd < 0)
        return -1;
    if (fdio_write_all(fd, sp->mem, (size_t)sp->size) != 0) {
        errbuf_set(err, errlen, "cannot write spill file in %s: %s", sp->temp_dir,
                   strerror(errno));
        close(fd);
        return -1;
    }
    sp->fd = fd;
    /* The point of spilling is to give the memory back. */
    free(sp->mem);
    sp->mem = NULL;
    sp->mem_cap = 0;
    return 0;
}

int spool_expect(struct spool *sp, uint64_t bytes, char *err, size_t errlen)
{
    if (sp->failed || sp->fd >= 0)
        return 0;
    if (bytes > sp->memory_limit) {
        if (spool_spill(sp, err, errlen) != 0) {
            sp->failed = true;
            return -1;
        }
        return 0;
    }
    if (bytes > sp->mem_cap) {
        unsigned char *grown = realloc(sp->mem, (size_t)bytes);
        if (grown == NULL)
            return 0; /* only a hint: the writes will try again */
        sp->mem = grown;
        sp->mem_cap = (size_t)bytes;
    }
    return 0;
}

char *spool_take_memory(struct spool *sp, size_t *len)
{
    if (sp->failed || sp->fd >= 0)
        return NULL;
    if (sp->mem_cap < sp->size + 1) {
        unsigned char *grown = realloc(sp->mem, (size_t)sp->size + 1);
        if (grown == NULL)
            return NULL;
        sp->mem = grown;
        sp->mem_cap = (size_t)sp->size + 1;
    }
    char *taken = (char *)sp->mem;
    taken[sp->size] = '\0';
    *len = (size_t)sp->size;
    sp->mem = NULL;
    sp->mem_cap = 0;
    sp->size = 0;
    sp->cache_len = 0;
    return taken;
}

int spool_write(struct spool *sp, const void *data, size_t len, char *err, size_t errlen)
{
    if (sp->failed) {
        errbuf_set(err, errlen, "spool already failed for this message");
        return -1;
    }
    if (len == 0)
        return 0;
    if (sp->fd < 0 && sp->size + len > sp->memory_limit) {
        if (spool_spill(sp, err, errlen) != 0)
            goto fail;
    }
    if (sp->fd >= 0) {
        if (fdio_write_all(sp->fd, data, len) != 0) {
            errbuf_set(err, errlen, "cannot write spill file in %s: %s", sp->temp_dir,
                       strerror(errno));
            goto fail;
        }
    } else {
        size_t need = (size_t)sp->size + len;
        if (need > sp->mem_cap) {
            size_t cap = sp->mem_cap ? sp->mem_cap : 16384;
            while (cap < need)
                cap *= 2;
            if (cap > sp->memory_limit)
                cap = sp->memory_limit;
            unsigned char *grown = realloc(sp->mem, cap);
            if (grown == NULL) {
                errbuf_set(err, errlen, "out of memory");
                goto fail;
            }
            sp->mem = grown;
            sp->mem_cap = cap;
        }
        memcpy(sp->mem + sp->size, data, len);
    }
    sp->size += len;
    return 0;
fail:
    sp->failed = true;
    return -1;
}

ssize_t spool_read_at(const struct spool *sp, uint64_t offset, void *buf, size_t len,
                      char *err, size_t errlen)
{
    if (offset >= sp->size)
        return 0;
    if (len > sp->size - offset)
        len = (size_t)(sp->size - offset);
    if (sp->fd < 0) {
        memcpy(buf, sp->mem + offset, len);
        return (ssize_t)len;
    }
    /* The cache is an invisible optimisation: reading does not change the
     * spool's content, so it is filled through a non-const alias. */
    struct spool *mut = (struct spool *)sp;
    if (offset < sp->cache_off || offset >= sp->cache_off + sp->cache_len) {
        if (mut->cache == NULL && (mut->cache = malloc(SPOOL_CACHE)) == NULL) {
            errbuf_set(err, errlen, "out of memory");
            return -1;
        }
        ssize_t n;
        do
            n = pread(sp->fd, mut->cache, SPOOL_CACHE, (off_t)offset);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            mut->cache_len = 0;
            errbuf_set(err, errlen, "cannot read spill file: %s", strerror(errno));
            return -1;
        }
        mut->cache_off = offset;
        mut->cache_len = (size_t)n;
        if (n == 0)
            return 0;
    }
    size_t avail = (size_t)(sp->cache_off + sp->cache_len - offset);
    if (len > avail)
        len = avail;
    memcpy(buf, sp->cache + (offset - sp->cache_off), len);
    return (ssize_t)len;
}

int spool_read_full(const struct spool *sp, uint64_t offset, void *buf, size_t len,
                    char *err, size_t errlen)
{
    for (size_t got = 0; got < len;) {
        ssize_t n =
            spool_read_at(sp, offset + got, (char *)buf + got, len - got, err, errlen);
        if (n <= 0) {
            if (n == 0)
                errbuf_set(err, errlen, "the spool ends before its %llu bytes",
                           (unsigned long long)(offset + len));
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

int spool_copy(const struct spool *from, uint64_t start, uint64_t end, struct spool *to,
               char *err, size_t errlen)
{
    char buf[65536];
    while (start < end) {
        size_t want = end - start < sizeof(buf) ? (size_t)(end - start) : sizeof(buf);
        if (spool_read_full(from, start, buf, want, err, errlen) != 0 ||
            spool_write(to, buf, want, err, errlen) != 0)
            return -1;
        start += want;
    }
    return 0;
}

int spool_copy_to_fd(const struct spool *from, uint64_t start, uint64_t end, int fd,
                     char *err, size_t errlen)
{
    char buf[65536];
    while (start < end) {
        size_t want = end - start < sizeof(buf) ? (size_t)(end - start) : sizeof(buf);
        if (spool_read_full(from, start, buf, want, err, errlen) != 0)
            return -1;
        if (fdio_write_all(fd, buf, want) != 0) {
            errbuf_set(err, errlen, "write: %s", strerror(errno));
            return -1;
        }
        start += want;
    }
    return 0;
}
