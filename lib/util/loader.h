/*
 * loader - a process that stays root to read files for one that has
 * dropped its privileges.
 *
 * The milter drops to run_user at start, yet on reload it must read its
 * config and rules again, from files that may be readable by root only.
 * So before the drop it starts a loader: a child process that keeps root,
 * keeps no descriptor but its end of a socketpair, and on
 * each request runs the daemon's load function on a fresh struct files
 * (files.h), so that the function reads, as root, every file it needs.
 * (It is a fork: it has a copy of the daemon's memory as it was at start.)  The loader
 * answers with those files, or with the function's error; the daemon then runs the same
 * load function on the sealed copy and sees exactly what root read.
 *
 * The loader takes nothing from the daemon but "load again": no path and
 * no data, so a compromised daemon cannot make it read anything but what
 * the config names - and the load function must refuse files run_user
 * could have changed (preflight_files), or the daemon could plant a rule
 * that names /etc/shadow as a keyword list.  It ends when the daemon
 * closes the channel (or exits).  After a fault on the channel it is
 * given up: reloads then fail, saying so, until the daemon restarts.
 *
 * loader_start() forks: call it while the process has one thread, before
 * it drops privileges.  loader_load() may be called from any one thread at
 * a time.  Never logs; errors come back in ERR.
 */
#ifndef SENDWATCH_LOADER_H
#define SENDWATCH_LOADER_H

#include <stddef.h>

#include "files.h"

/* Reads (through FS) and checks what the daemon loads.  0, or -1 with ERR. */
typedef int (*loader_fn)(struct files *fs, void *ctx, char *err, size_t errlen);

struct loader;

/* Forks the loader, which will run FN(fs, CTX).  NULL with ERR. */
struct loader *loader_start(loader_fn fn, void *ctx, char *err, size_t errlen);

/*
 * Asks the loader to run FN again; returns the sealed set of what it read
 * (the caller owns it: files_free), or NULL with FN's error or why the
 * loader could not be asked.
 */
struct files *loader_load(struct loader *l, char *err, size_t errlen);

/* Ends the loader (it reads end-of-file and exits) and reaps it; NULL is allowed. */
void loader_stop(struct loader *l);

#endif
