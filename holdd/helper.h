/*
 * helper - the only part of sendwatch that runs as root.
 *
 * postsuper runs only with real uid 0, and a non-root postqueue -c needs
 * the Postfix config to allow it; so sendwatch-holdd forks this helper
 * before it drops its privileges, and asks it over a socketpair.  The
 * helper takes an operation and queue IDs, checks every ID against
 * Postfix's queue ID formats (anything else is refused, never passed on),
 * and runs postsuper, postkick, postqueue and sendmail with -c/-C
 * postfix_config_dir and an argv - never a shell; the IDs go on
 * postsuper's standard input ("-").
 *
 * postsuper's exit status says nothing about single IDs: each outcome is
 * read from its report ("postsuper: ID: released from hold", "...:
 * removed"), and for an ID it does not name, the queue (postqueue -j)
 * says why: gone, no longer in HOLD, or still there (a failure).
 */
#ifndef SENDWATCH_HOLDD_HELPER_H
#define SENDWATCH_HOLDD_HELPER_H

#include <stdbool.h>
#include <stddef.h>

/* The most IDs per call (the rest go in the next call). */
#define HELPER_MAX_IDS 512

/* Forks the helper (call as root, before dropping privileges).  Its end of
 * the channel in *FD.  0, or -1 with ERR. */
int helper_start(const char *postfix_config_dir, const char *sendmail_path, int *fd,
                 char *err, size_t errlen);

/*
 * Submits MESSAGE from SENDER to RCPT with Postfix's sendmail (as root, so
 * -C postfix_config_dir works for any instance; sendmail submissions pass
 * non_smtpd_milters only, so a notice is never held itself).  The
 * addresses must be plain (no spaces, controls or leading '-').  0, or -1
 * with ERR.
 */
int helper_submit(int fd, const char *sender, const char *rcpt, const char *message,
                  char *err, size_t errlen);

enum helper_op { HELPER_RELEASE, HELPER_DELETE, HELPER_LIST };

/* One ID's outcome. */
struct helper_outcome {
    char queue_id[64];
    bool ok;
    char why[160]; /* when not ok; for LIST: the queue name */
};

/*
 * Asks the helper.  RELEASE: postsuper -H, then one deferred-queue scan
 * request to qmgr (postkick) for all the released IDs.  DELETE: postsuper -d ... hold
 * (only mail still in HOLD). LIST: the IDs in Postfix's queue (ok, why = queue name), IDS
 * unused. Fills OUT (room for MAX) and *N.  0, or -1 with ERR (the helper is gone: holdd
 * must restart).
 */
int helper_call(int fd, enum helper_op op, const char *const *ids, size_t nids,
                struct helper_outcome *out, size_t max, size_t *n, char *err,
                size_t errlen);

#endif
