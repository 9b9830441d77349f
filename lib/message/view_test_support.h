/*
 * view_test_support - what the view's unit tests share (view_test.c on the
 * samples in testdata/view/, view_binary_test.c on attachments they build):
 * the limits views are built with, building a sample's view, and lookups.
 * Test code only.
 */
#ifndef SENDWATCH_VIEW_TEST_SUPPORT_H
#define SENDWATCH_VIEW_TEST_SUPPORT_H

#include <stdbool.h>

#include "view.h"

/* max_depth 4, 100 entries, 10 MB expanded, ratio 100, 1 MB of text, spill at 64 KB. */
extern const struct view_limits limits;

/* The view of testdata/view/NAME (fails the test when it cannot be built). */
struct view *load(const char *name);

/* True when a text of one of FIELDS contains NEEDLE. */
bool has_text(const struct view *v, unsigned fields, const char *needle);

/* Every text and attachment of V on standard error, for a failing test. */
void dump(const struct view *v);

/* The attachment named NAME, or NULL. */
const struct view_attachment *find_attachment(const struct view *v, const char *name);

/* cmocka group setup and teardown: view_init() and view_shutdown(). */
int view_test_setup(void **state);
int view_test_teardown(void **state);

#endif
