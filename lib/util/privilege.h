/*
 * privilege - drop root for good, and prove it; meanwhile, act with a
 * lesser user's rights where that user could change the names involved.
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

/*
 * Runs FN(CTX) with the file-system identity of USER: effective uid
 * USER's, effective gid GROUP's (USER's primary group when GROUP is NULL),
 * supplementary groups USER's.  Then root comes back.  This is how a
 * process that is still root creates, removes or checks a name in a
 * directory USER can write to: the kernel then resolves every path with
 * USER's rights, so a symlink or a rename that USER plants there can make
 * us do nothing USER could not do anyway.  (chown or chmod by path as root
 * after bind(2) would follow such a symlink to any file on the system.)
 *
 * Not root: FN runs as we are.  Call it while no other thread runs.
 * Returns FN's result, or -1 with ERR when the switch fails; when root
 * cannot be regained it says so in ERR and returns -2: the caller must
 * exit at once.
 */
int privilege_as_user(const char *user, const char *group, int (*fn)(void *ctx),
                      void *ctx, char *err, size_t errlen);

/*
 * Whether the file-system identity of USER (see privilege_as_user) may
 * access PATH with MODE (R_OK, W_OK, X_OK, as access(2)): every directory
 * on the way is searched with USER's rights.  1 yes, 0 no (WHY says why,
 * e.g. "Permission denied"), -1 with ERR when the question cannot be asked,
 * -2 when root could not be regained (exit).
 */
int privilege_user_can(const char *user, const char *path, int mode, char *why,
                       size_t whylen, char *err, size_t errlen);

#endif
