/*
 * privilege - drop root for good, and prove it.
 *
 * privilege_drop() switches a process started as root to USER (its uid,
 * primary gid and supplementary groups) and then checks that root cannot
 * be regained.  A process not started as root keeps its identity: that is
 * how tests and admins run a daemon as themselves.  Call it before any
 * thread starts.  Returns 0, or -1 with the reason in ERR; never exits.
 */
#ifndef SENDWATCH_PRIVILEGE_H
#define SENDWATCH_PRIVILEGE_H

#include <stddef.h>
#include <sys/types.h>

int privilege_drop(const char *user, char *err, size_t errlen);

/* Looks up USER's uid and gid.  Returns 0, or -1 with ERR filled. */
int privilege_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/* Looks up GROUP's gid.  Returns 0, or -1 with ERR filled. */
int privilege_lookup_group(const char *group, gid_t *gid, char *err, size_t errlen);

#endif
