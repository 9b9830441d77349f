/*
 * test_store - the temporary LMDB store that the state layer's unit tests
 * share: a fresh directory under /tmp, opened before the group and removed
 * after it.  For tests only: it defines the file-scope dir, st and err the
 * tests use, and cmocka group setup/teardown functions.
 */
#ifndef SENDWATCH_TEST_STORE_H
#define SENDWATCH_TEST_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

static char dir[64];
static struct store *st;
static char err[512];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/sendwatch_state_test.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    st = store_open(dir, 1 << 20, false, err, sizeof(err));
    return st ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    store_close(st);
    char path[128];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    unlink(path);
    return rmdir(dir);
}

#endif
