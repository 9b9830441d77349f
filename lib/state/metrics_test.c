/* metrics_test - the shared counters file: writer, reader, threads, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/metrics_test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/metrics.milter", dir);
    unlink(path);
    return rmdir(dir);
}

static void *add_many(void *arg)
{
    struct metrics *m = arg;
    for (int i = 0; i < 100000; i++) {
        metrics_add(m, MC_INSPECTED, 1);
        metrics_rule_hit(m, (i & 1) ? "card-number" : "my-number");
    }
    return NULL;
}

static void written_and_read(void **state)
{
    (void)state;
    char err[256];
    struct metrics *w = metrics_open_writer(dir, "milter", err, sizeof(err));
    assert_non_null(w);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, add_many, w);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    metrics_observe(w, MH_INSPECTION, 0.003);
    metrics_observe(w, MH_INSPECTION, 42);
    struct metrics *r = metrics_open_reader(dir, "milter", err, sizeof(err));
    assert_non_null(r);
    const struct metrics_shared *d = metrics_data(r);
    assert_int_equal(atomic_load(&d->counter[MC_INSPECTED]), 400000);
    assert_int_equal(atomic_load(&d->rule[0].used) + atomic_load(&d->rule[1].used), 2);
    assert_int_equal(atomic_load(&d->rule[0].hits) + atomic_load(&d->rule[1].hits),
                     400000);
    assert_int_equal(atomic_load(&d->rule[2].used), 0);
    const struct metrics_histogram_data *h = &d->histogram[MH_INSPECTION];
    assert_int_equal(atomic_load(&h->count), 2);
    assert_int_equal(atomic_load(&h->bucket[2]), 1);               /* <= 0.005 */
    assert_int_equal(atomic_load(&h->bucket[METRICS_BUCKETS]), 1); /* +Inf */
    assert_int_equal(atomic_load(&h->sum_us), 42003000);
    /* A reader cannot add. */
    metrics_add(r, MC_INSPECTED, 1);
    assert_int_equal(atomic_load(&d->counter[MC_INSPECTED]), 400000);
    metrics_close(w);
    /* A restart keeps the counts. */
    w = metrics_open_writer(dir, "milter", err, sizeof(err));
    assert_int_equal(atomic_load(&metrics_data(w)->counter[MC_INSPECTED]), 400000);
    metrics_close(w);
    metrics_close(r);
}

static void rule_slots_run_out(void **state)
{
    (void)state;
    char err[256], name[32];
    struct metrics *w = metrics_open_writer(dir, "milter", err, sizeof(err));
    assert_non_null(w);
    for (int i = 0; i < METRICS_RULE_SLOTS + 10; i++) {
        snprintf(name, sizeof(name), "rule-%d", i);
        metrics_rule_hit(w, name);
    }
    const struct metrics_shared *d = metrics_data(w);
    assert_int_equal(atomic_load(&d->rule_slots_full), 1);
    assert_string_equal(d->rule[METRICS_RULE_SLOTS - 1].name, "(other)");
    /* 2 slots were taken by the test before: all others and the extra. */
    assert_true(atomic_load(&d->rule[METRICS_RULE_SLOTS - 1].hits) >= 11);
    metrics_close(w);
}

static void long_names_stay_apart(void **state)
{
    (void)state;
    char err[256], a[300], b[300];
    memset(a, 'r', 299);
    a[299] = '\0';
    memcpy(b, a, sizeof(b));
    b[298] = 's'; /* differs only beyond the slot's length */
    struct metrics *w = metrics_open_writer(dir, "milter", err, sizeof(err));
    assert_non_null(w);
    metrics_rule_hit(w, a);
    metrics_rule_hit(w, b);
    metrics_rule_hit(w, b);
    const struct metrics_shared *d = metrics_data(w);
    int ia = -1, ib = -1;
    for (int i = 0; i < METRICS_RULE_SLOTS && d->rule[i].used; i++) {
        if (strncmp(d->rule[i].name, "rrrr", 4) != 0)
            continue;
        assert_true(strlen(d->rule[i].name) < METRICS_RULE_NAME);
        if (ia < 0)
            ia = i;
        else
            ib = i;
    }
    assert_true(ia >= 0 && ib >= 0);
    assert_string_not_equal(d->rule[ia].name, d->rule[ib].name);
    assert_int_equal(atomic_load(&d->rule[ia].hits), 1);
    assert_int_equal(atomic_load(&d->rule[ib].hits), 2);
    metrics_close(w);
}

static void foreign_file(void **state)
{
    (void)state;
    char err[256], path[128];
    snprintf(path, sizeof(path), "%s/metrics.milter", dir);
    FILE *f = fopen(path, "w");
    fputs("not ours", f);
    fclose(f);
    assert_null(metrics_open_reader(dir, "milter", err, sizeof(err)));
    assert_non_null(strstr(err, "not a metrics file of this version"));
    /* The writer starts it afresh. */
    struct metrics *w = metrics_open_writer(dir, "milter", err, sizeof(err));
    assert_non_null(w);
    assert_int_equal(atomic_load(&metrics_data(w)->counter[MC_INSPECTED]), 0);
    metrics_close(w);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, sizeof(struct metrics_shared));
    assert_null(metrics_open_reader(dir, "holdd", err, sizeof(err)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(written_and_read),
        cmocka_unit_test(rule_slots_run_out),
        cmocka_unit_test(foreign_file),
        cmocka_unit_test(long_names_stay_apart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
