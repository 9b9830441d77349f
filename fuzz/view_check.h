/*
 * view_check - builds a view over bytes and checks what view.h promises
 * about it; shared by the view and archive targets.
 */
#ifndef SENDWATCH_FUZZ_VIEW_CHECK_H
#define SENDWATCH_FUZZ_VIEW_CHECK_H

#include <string.h>

#include "fuzz.h"
#include "view.h"

/* Small limits keep one run fast; the spill to temp_dir is still reached. */
static const struct view_limits fuzz_view_limits = {
    .max_depth = 4,
    .max_entries = 200,
    .max_expanded = 4 * 1024 * 1024,
    .max_ratio = 100,
    .max_text = 256 * 1024,
    .memory_limit = 32 * 1024,
    .temp_dir = "/tmp",
};

/*
 * Builds the view of the message in PARTS (N pieces written in turn, as
 * the milter writes chunks) and checks it: a view always comes back (only
 * out of memory or an unwritable temp_dir may stop it), every text is
 * NUL-terminated valid UTF-8 of a known field, every attachment index and
 * parent is in range, and a MALFORMED or LIMIT flag says why.  Returns
 * the view, which the caller frees.
 */
static inline struct view *fuzz_view_check(const void *const *parts, const size_t *lens,
                                           size_t n)
{
    char err[256];
    struct spool *sp =
        spool_new(fuzz_view_limits.memory_limit, fuzz_view_limits.temp_dir);

    FUZZ_CHECK(sp != NULL, "spool_new");
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(spool_write(sp, parts[i], lens[i], err, sizeof(err)) == 0, "%s", err);
    struct view *v = view_build(sp, &fuzz_view_limits, err, sizeof(err));
    FUZZ_CHECK(v != NULL, "view_build failed: %s", err);

    size_t natt = view_attachment_count(v);
    for (size_t i = 0; i < view_text_count(v); i++) {
        const struct view_text *t = view_text_at(v, i);
        FUZZ_CHECK(t->text != NULL && t->text[t->len] == '\0', "text %zu", i);
        FUZZ_CHECK(fuzz_utf8_valid(t->text, t->len), "text %zu is not UTF-8", i);
        FUZZ_CHECK((t->field & VIEW_ALL_FIELDS) != 0 && (t->field & (t->field - 1)) == 0,
                   "text %zu field %u", i, (unsigned)t->field);
        FUZZ_CHECK((t->field == VIEW_HEADER) == (t->name != NULL), "text %zu name", i);
        FUZZ_CHECK(t->attachment >= -1 &&
                       (t->attachment < 0 || (size_t)t->attachment < natt),
                   "text %zu attachment %d of %zu", i, t->attachment, natt);
    }
    for (size_t i = 0; i < natt; i++) {
        const struct view_attachment *a = view_attachment_at(v, i);
        FUZZ_CHECK(a->name != NULL && a->content_type != NULL, "attachment %zu", i);
        FUZZ_CHECK(a->parent >= -1 && (a->parent < 0 || (size_t)a->parent < i),
                   "attachment %zu parent %d", i, a->parent);
    }
    unsigned flags = view_flags(v);
    FUZZ_CHECK(!(flags & (VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED)) ||
                   *view_problem(v) != '\0',
               "flags %#x without a problem", flags);
    FUZZ_CHECK(view_subject(v) != NULL && view_header_from(v) != NULL, "subject/from");
    for (size_t i = 0; i < view_header_rcpt_count(v); i++)
        FUZZ_CHECK(view_header_rcpt_at(v, i) != NULL, "rcpt %zu", i);
    spool_free(sp);
    return v;
}

#endif
