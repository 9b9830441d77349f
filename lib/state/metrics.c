/* metrics - see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define METRICS_MAGIC "swmetr2"

struct metrics {
    struct metrics_shared *data;
    bool writer;
    pthread_mutex_t slots_lock; /* taking a new rule slot */
};

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
               "counters in shared memory must be lock-free");

static const double bounds[MH_COUNT][METRICS_BUCKETS] = {
    [MH_INSPECTION] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                       10},
    [MH_LATENESS] = {0.5, 1, 2, 3, 5, 10, 15, 30, 60, 120, 300, 900},
};

const double *metrics_bounds(enum metrics_histogram h)
{
    return bounds[h];
}

/* Maps FD (SIZE bytes) into M.  0, or -1 with ERR. */
static int map_fd(struct metrics *m, int fd, size_t size, bool writer, const char *path,
                  char *err, size_t errlen)
{
    void *p =
        mmap(NULL, size, writer ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return -1;
    }
    m->data = p;
    m->writer = writer;
    pthread_mutex_init(&m->slots_lock, NULL);
    return 0;
}

/* Whether the file FD (already stat'ed into ST) is one of this layout. */
static bool ours(int fd, const struct stat *st, size_t size)
{
    struct metrics_shared head;
    return S_ISREG(st->st_mode) && (size_t)st->st_size == size &&
           pread(fd, &head, offsetof(struct metrics_shared, started), 0) ==
               (ssize_t)offsetof(struct metrics_shared, started) &&
           memcmp(head.magic, METRICS_MAGIC, 8) == 0 && head.layout_size == size;
}

/*
 * A fresh file for the writer: made whole as PATH.new, then renamed over
 * PATH.  A reader that mapped the old file keeps reading it (never a file
 * that shrinks under it: SIGBUS).  The descriptor, or -1 with ERR.
 */
static int fresh_file(const char *path, size_t size, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    unlink(tmp); /* a leftover of a crash */
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    struct metrics_shared head = {.magic = METRICS_MAGIC, .layout_size = (uint32_t)size};
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0 ||
        pwrite(fd, &head, offsetof(struct metrics_shared, started), 0) !=
            (ssize_t)offsetof(struct metrics_shared, started) ||
        rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return -1;
    }
    return fd;
}

static struct metrics *metrics_map(const char *state_dir, const char *name, bool writer,
                                   char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/metrics.%s", state_dir, name);
    size_t size = sizeof(struct metrics_shared);
    struct metrics *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int fd = open(path, (writer ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    bool usable = fd >= 0 && fstat(fd, &st) == 0 && ours(fd, &st, size);
    if (!usable && !writer) {
        snprintf(err, errlen, "%s: %s", path,
                 fd < 0 ? strerror(errno) : "not a metrics file of this version");
        goto fail;
    }
    if (!usable) {
        /* New, or made by another version: start from zero. */
        if (fd >= 0)
            close(fd);
        if ((fd = fresh_file(path, size, err, errlen)) < 0)
            goto fail;
    }
    if (map_fd(m, fd, size, writer, path, err, errlen) != 0)
        goto fail;
    close(fd);
    if (writer)
        atomic_store(&m->data->started, (int64_t)time(NULL));
    return m;
fail:
    if (fd >= 0)
        close(fd);
    free(m);
    return NULL;
}

struct metrics *metrics_open_writer(const char *state_dir, const char *name, char *err,
                                    size_t errlen)
{
    return metrics_map(state_dir, name, true, err, errlen);
}

struct metrics *metrics_open_reader(const char *state_dir, const char *name, char *err,
                                    size_t errlen)
{
    return metrics_map(state_dir, name, false, err, errlen);
}

void metrics_close(struct metrics *m)
{
    if (m == NULL)
        return;
    munmap(m->data, sizeof(*m->data));
    pthread_mutex_destroy(&m->slots_lock);
    free(m);
}

const struct metrics_shared *metrics_data(const struct metrics *m)
{
    return m->data;
}

void metrics_add(struct metrics *m, enum metrics_counter c, uint64_t n)
{
    if (m != NULL && m->writer && c < MC_COUNT)
        atomic_fetch_add_explicit(&m->data->counter[c], n, memory_order_relaxed);
}

/* The slot of NAME, or -1 when it has none yet. */
static int rule_slot_find(const struct metrics_shared *d, const char *name)
{
    for (int i = 0; i < METRICS_RULE_SLOTS; i++) {
        if (atomic_load_explicit(&d->rule[i].used, memory_order_acquire) == 0)
            return -1;
        if (strcmp(d->rule[i].name, name) == 0)
            return i;
    }
    return -1;
}

/* NAME as a slot keeps it: itself, or a long one cut, "~" and its FNV-1a hash. */
static const char *slot_name(const char *name, char out[METRICS_RULE_NAME])
{
    size_t n = strlen(name);
    if (n < METRICS_RULE_NAME)
        return name;
    uint64_t hash = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        hash = (hash ^ (unsigned char)name[i]) * 1099511628211ULL;
    snprintf(out, METRICS_RULE_NAME, "%.*s~%016llx", METRICS_RULE_NAME - 18, name,
             (unsigned long long)hash);
    return out;
}

void metrics_rule_hit(struct metrics *m, const char *full_name)
{
    if (m == NULL || !m->writer)
        return;
    char cut[METRICS_RULE_NAME];
    const char *name = slot_name(full_name, cut);
    struct metrics_shared *d = m->data;
    int i = rule_slot_find(d, name);
    if (i < 0) {
        /* Slots are taken in order and never given back: a reader stops at
         * the first unused one. */
        pthread_mutex_lock(&m->slots_lock);
        i = rule_slot_find(d, name);
        for (int k = 0; i < 0 && k < METRICS_RULE_SLOTS; k++)
            if (atomic_load_explicit(&d->rule[k].used, memory_order_relaxed) == 0) {
                /* The last slot is kept for "(other)". */
                const char *as = k == METRICS_RULE_SLOTS - 1 ? "(other)" : name;
                snprintf(d->rule[k].name, sizeof(d->rule[k].name), "%s", as);
                atomic_store_explicit(&d->rule[k].used, 1, memory_order_release);
                i = k;
            }
        if (i < 0 || strcmp(d->rule[i].name, "(other)") == 0) {
            i = METRICS_RULE_SLOTS - 1;
            atomic_store(&d->rule_slots_full, 1);
        }
        pthread_mutex_unlock(&m->slots_lock);
    }
    atomic_fetch_add_explicit(&d->rule[i].hits, 1, memory_order_relaxed);
}

void metrics_observe(struct metrics *m, enum metrics_histogram h, double seconds)
{
    if (m == NULL || !m->writer || h >= MH_COUNT)
        return;
    if (seconds < 0)
        seconds = 0;
    struct metrics_histogram_data *hd = &m->data->histogram[h];
    size_t b = 0;
    while (b < METRICS_BUCKETS && seconds > bounds[h][b])
        b++;
    atomic_fetch_add_explicit(&hd->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&hd->sum_us, (uint64_t)(seconds * 1e6),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&hd->count, 1, memory_order_relaxed);
}
