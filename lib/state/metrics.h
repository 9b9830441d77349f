/*
 * metrics - counters the daemons keep for Prometheus, in a file each
 * (STATE_DIR/metrics.milter, metrics.holdd) mapped into memory: the
 * milter's threads add to it with atomic operations, no lock, no write
 * to LMDB per message, and sendwatch-web maps the files read-only and
 * prints them at /metrics.  Counters live as long as the file, across
 * restarts of the daemon (Prometheus sees a reset only when the file is
 * remade, e.g. after an upgrade changed the layout: a new file is made
 * whole and renamed over the old one, so a reader never sees it shrink).
 *
 * One process writes a file; any number read it.  A rule's counter takes
 * a slot the first time the rule hits; when all METRICS_RULE_SLOTS are
 * taken the hit is counted as the rule "(other)" and rule_slots_full is
 * set, so the cut shows.  A name longer than METRICS_RULE_NAME - 1 is
 * kept as its first bytes, "~" and a hash of the whole name, so two long
 * names never share a counter.  Every call is thread-safe and never logs.
 */
#ifndef SENDWATCH_METRICS_H
#define SENDWATCH_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_RULE_SLOTS 256
#define METRICS_RULE_NAME  128

/* The counters, by what they count.  The comment is the metric's label. */
enum metrics_counter {
    /* the milter */
    MC_INSPECTED,      /* messages inspected */
    MC_OWN_MESSAGES,   /* sendwatch's own, passed without inspection */
    MC_MARKS_REFUSED,  /* a notice header that was not good: stripped, inspected */
    MC_VERDICT_ACCEPT, /* verdicts, by action: passed as they came */
    MC_VERDICT_REJECT,
    MC_VERDICT_DEFER, /* a rule's tempfail */
    MC_VERDICT_DISCARD,
    MC_VERDICT_HOLD,
    MC_VERDICT_ENCRYPT,
    MC_VERDICT_STORE,
    MC_VERDICT_FORWARD,
    MC_TEMPFAIL_MEMORY, /* temporary failures, by cause */
    MC_TEMPFAIL_SPOOL,
    MC_TEMPFAIL_INSPECT,
    MC_TEMPFAIL_RULE,
    MC_TEMPFAIL_STATE,
    MC_TEMPFAIL_ENCRYPT,
    MC_TEMPFAIL_RECIPIENTS,
    MC_TEMPFAIL_HEADERS,
    MC_TEMPFAIL_QUEUE_ID,
    MC_TEMPFAIL_PROTOCOL, /* a callback without its context */
    /* holdd */
    MC_RELEASED,       /* held messages released (deadline, send now, console) */
    MC_HOLD_DELETED,   /* deleted at the sender's or an admin's request */
    MC_NOTICES_SENT,   /* notices handed to sendmail */
    MC_NOTICES_FAILED, /* notices sendmail refused (retried later) */
    MC_BYPASS_ON,      /* automatic bypass switched on */
    MC_BYPASS_OFF,     /* and off again */
    MC_COUNT
};

/* Histograms: upper bounds in seconds (the last bucket is +Inf). */
enum metrics_histogram {
    MH_INSPECTION, /* milter: end of message to verdict */
    MH_LATENESS,   /* holdd: release after the deadline */
    MH_COUNT
};
#define METRICS_BUCKETS 12

struct metrics_histogram_data {
    _Atomic uint64_t bucket[METRICS_BUCKETS + 1]; /* not cumulative; last: +Inf */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us; /* microseconds */
};

struct metrics_rule_slot {
    _Atomic uint32_t used; /* published after name */
    char name[METRICS_RULE_NAME];
    _Atomic uint64_t hits;
};

/* The file's layout (the same for every daemon; each uses its part). */
struct metrics_shared {
    char magic[8]; /* "swmetr2": the layout's version (with layout_size) */
    uint32_t layout_size;
    uint32_t reserved;
    _Atomic int64_t started; /* when the writer last started (seconds) */
    _Atomic uint32_t rule_slots_full;
    uint32_t reserved2;
    _Atomic uint64_t counter[MC_COUNT];
    struct metrics_histogram_data histogram[MH_COUNT];
    struct metrics_rule_slot rule[METRICS_RULE_SLOTS];
};

struct metrics;

/*
 * Opens (making it if needed, mode 0640) STATE_DIR/metrics.NAME for
 * writing and marks the start.  A file of another layout is reset.  NULL
 * with ERR on failure; the daemon then runs without metrics (and says so).
 */
struct metrics *metrics_open_writer(const char *state_dir, const char *name, char *err,
                                    size_t errlen);

/* Maps STATE_DIR/metrics.NAME read-only; NULL (ERR) when absent or foreign. */
struct metrics *metrics_open_reader(const char *state_dir, const char *name, char *err,
                                    size_t errlen);

void metrics_close(struct metrics *m);

/* The mapped counters (read them with atomic_load). */
const struct metrics_shared *metrics_data(const struct metrics *m);

/* Adds N to counter C.  M may be NULL (no metrics): then nothing. */
void metrics_add(struct metrics *m, enum metrics_counter c, uint64_t n);

/* Counts a hit of the rule NAME. */
void metrics_rule_hit(struct metrics *m, const char *name);

/* Records SECONDS in histogram H. */
void metrics_observe(struct metrics *m, enum metrics_histogram h, double seconds);

/* Histogram H's bucket bounds (METRICS_BUCKETS of them, seconds). */
const double *metrics_bounds(enum metrics_histogram h);

#endif
