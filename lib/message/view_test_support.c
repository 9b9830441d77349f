/* Support for the view's unit tests: the limits they build with, samples, lookups. */
#include "view_test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct view_limits limits = {
    .max_depth = 4,
    .max_entries = 100,
    .max_expanded = 10 * 1024 * 1024,
    .max_ratio = 100,
    .max_text = 1024 * 1024,
    .memory_limit = 64 * 1024,
    .temp_dir = "/tmp",
};

/* Builds the view of testdata/view/NAME. */
struct view *load(const char *name)
{
    char path[512], buf[65536], err[256];
    snprintf(path, sizeof(path), "%s/view/%s", SENDWATCH_TESTDATA, name);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    struct spool *sp = spool_new(1 << 20, "/tmp");
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        assert_int_equal(spool_write(sp, buf, n, err, sizeof(err)), 0);
    fclose(fp);
    struct view *v = view_build(sp, &limits, err, sizeof(err));
    if (v == NULL)
        fail_msg("%s: view_build failed: %s", name, err);
    spool_free(sp);
    return v;
}

/* True when a text of one of FIELDS contains NEEDLE. */
bool has_text(const struct view *v, unsigned fields, const char *needle)
{
    for (size_t i = 0; i < view_text_count(v); i++) {
        const struct view_text *t = view_text_at(v, i);
        if ((t->field & fields) && strstr(t->text, needle) != NULL)
            return true;
    }
    return false;
}

void dump(const struct view *v)
{
    for (size_t i = 0; i < view_text_count(v); i++) {
        const struct view_text *t = view_text_at(v, i);
        fprintf(stderr, "  text field=%u name=%s att=%d: %s\n", t->field,
                t->name ? t->name : "-", t->attachment, t->text);
    }
    for (size_t i = 0; i < view_attachment_count(v); i++) {
        const struct view_attachment *a = view_attachment_at(v, i);
        fprintf(stderr, "  attachment %zu: \"%s\" %s %llu bytes%s\n", i, a->name,
                a->content_type, (unsigned long long)a->size,
                a->suspicious_name ? " suspicious" : "");
    }
}

const struct view_attachment *find_attachment(const struct view *v, const char *name)
{
    for (size_t i = 0; i < view_attachment_count(v); i++)
        if (strcmp(view_attachment_at(v, i)->name, name) == 0)
            return view_attachment_at(v, i);
    return NULL;
}

int view_test_setup(void **state)
{
    (void)state;
    view_init();
    return 0;
}

int view_test_teardown(void **state)
{
    (void)state;
    view_shutdown();
    return 0;
}
