/*
 * snapshot - the config, rules and encryption policy in force, shared by
 * all sessions.
 *
 * A snapshot is immutable and reference-counted (OpenDKIM's pattern): a
 * message pins the snapshot current at MAIL FROM and keeps it to the end,
 * so a reload never changes the rules under a message in flight.
 * snapshot_reload() builds a new snapshot from the same config file and
 * swaps it in only if config, rules and policy all load; otherwise the old one
 * stays and the reason comes back.  When the milter was started as root,
 * the files are read as root by the loader (and refused where run_user
 * could have changed them: preflight_guard), although the milter runs as
 * run_user by then.  Thread-safe.
 */
#ifndef SENDWATCH_MILTER_SNAPSHOT_H
#define SENDWATCH_MILTER_SNAPSHOT_H

#include <stddef.h>

#include "config.h"
#include "policy.h"
#include "rules.h"

struct snapshot {
    const struct config *cfg;
    const struct rules *rules;
    const struct encrypt_policy *encryption; /* with its domain table */
};

/* Loads the first snapshot from CONFIG_PATH (copied).  0, or -1 with ERR. */
int snapshot_init(const char *config_path, char *err, size_t errlen);

/*
 * Starts the root loader (loader.h) that reads config and rules for every
 * later reload, so that they may stay in files only root can read.  Call
 * it while root, with one thread, before dropping privileges.  Without it,
 * reloads read the files with the process's own rights.  0, or -1 with ERR.
 */
int snapshot_start_loader(char *err, size_t errlen);

/* The current snapshot, pinned until snapshot_release(). */
const struct snapshot *snapshot_acquire(void);
void snapshot_release(const struct snapshot *s);

/*
 * Loads config and rules anew.  0: swapped in (INFO says what was loaded);
 * -1: kept the old snapshot, ERR says why.
 */
int snapshot_reload(char *info, size_t infolen, char *err, size_t errlen);

/* Drops the current snapshot (at exit, after all sessions ended). */
void snapshot_shutdown(void);

#endif
