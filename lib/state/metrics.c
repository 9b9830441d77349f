/* metrics - see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define METRICS_MAGIC "swmetr1"

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

static struct metrics *metrics_map(const char *state_dir, const char *name, bool writer,
                                   char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/metrics.%s", state_dir, name);
    int fd =
        open(path, (writer ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    size_t size = sizeof(struct metrics_shared);
    struct metrics *m = calloc(1, sizeof(*m));
    if (m == NULL || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s", path, m ? "not a regular file" : "out of memory");
        goto fail;
    }
    if ((size_t)st.st_size != size) {
        if (!writer) {
            snprintf(err, errlen, "%s: %lld bytes, not the %zu of this version", path,
                     (long long)st.st_size, size);
            goto fail;
        }
        /* Made by another version, or new: start from zero. */
        if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)size) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto fail;
        }
    }
    void *p =
        mmap(NULL, size, writer ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
        goto fail;
    }
    close(fd);
    m->data = p;
    m->writer = writer;
    pthread_mutex_init(&m->slots_lock, NULL);
    if (memcmp(m->data->magic, METRICS_MAGIC, 8) != 0 ||
        m->data->layout_size != (uint32_t)size) {
        if (!writer) {
            snprintf(err, errlen, "%s: not a metrics file of this version", path);
            metrics_close(m);
            return NULL;
        }
        memset(m->data, 0, size);
        m->data->layout_size = (uint32_t)size;
        memcpy(m->data->magic, METRICS_MAGIC, 8);
    }
    if (writer)
        atomic_store(&m->data->started, (int64_t)time(NULL));
    return m;
fail:
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
        if (strncmp(d->rule[i].name, name, METRICS_RULE_NAME - 1) == 0)
            return i;
    }
    return -1;
}

void metrics_rule_hit(struct metrics *m, const char *name)
{
    if (m == NULL || !m->writer)
        return;
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
