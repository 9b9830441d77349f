/*
 * helper - holdd's side of sendwatch-helper, the root helper
 * (helper_protocol.h states what it may be asked).
 *
 * helper_start() execs it while holdd is still root; afterwards holdd
 * talks to it over the channel, one request at a time, from its one
 * thread.  Errors: -1 with ERR means the helper is gone
 * or out of step, and holdd must restart.
 */
#ifndef SENDWATCH_HOLDD_HELPER_H
#define SENDWATCH_HOLDD_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "helper_protocol.h"

/*
 * Execs HELPER_PATH with a clean environment, the channel as descriptor 3
 * and Postfix's hold directory (queue_directory/hold, found with postconf
 * and opened here) as descriptor 4; call as root, before dropping
 * privileges.  Its channel into *FD and its process into *PID.  0, or -1
 * with ERR.
 */
int helper_start(const char *helper_path, const char *postfix_config_dir,
                 const char *sendmail_path, const char *notice_sender,
                 const char *bypass_command, int *fd, pid_t *pid, char *err,
                 size_t errlen);

/*
 * RELEASE, DELETE or MARKED for the N (at most HELPER_MAX_IDS) IDS:
 * RESULTS[i] for IDS[i]; DETAIL (HELPER_DETAIL_SIZE) holds a command's
 * words when one failed.  0, or -1 with ERR (the helper is gone, or
 * refused the request as a whole: ERR says why).
 */
int helper_call(int fd, enum helper_op op, const char *const *ids, size_t n,
                enum helper_result *results, char *detail, char *err, size_t errlen);

/*
 * The queue listing as "postqueue -j" printed it (postqueue refuses a
 * non-default config directory to users other than root, so the helper
 * runs it): malloc'ed, NUL-terminated, its length in *LEN.  NULL with ERR.
 */
char *helper_list(int fd, size_t *len, char *err, size_t errlen);

/*
 * Submits the N (at most HELPER_MAX_NOTICES) notices MESSAGES[i] to
 * RCPTS[i] from notice_sender, all at once: RESULTS[i] for each (DONE, or
 * REFUSED/FAILED with a command's or the check's words in DETAIL).  0, or
 * -1 with ERR (the helper is gone, or refused the request as a whole).
 */
int helper_submit(int fd, const char *const *rcpts, const char *const *messages, size_t n,
                  enum helper_result *results, char *detail, char *err, size_t errlen);

/*
 * Sends a quarantined copy, MESSAGE (LEN bytes), on from SENDER ("": the
 * null sender) to the N RCPTS (1 to HELPER_DELIVER_RCPTS): *RESULT DONE,
 * REFUSED or FAILED with the words in DETAIL.  0, or -1 with ERR (too
 * large or too many to ask; the helper is gone).
 */
int helper_deliver(int fd, const char *sender, const char *const *rcpts, size_t n,
                   const char *message, size_t len, enum helper_result *result,
                   char *detail, char *err, size_t errlen);

/*
 * BYPASS: runs the bypass command (bypass_command, named at exec) with
 * ACTION on holdd's Postfix: *RESULT DONE (switched; status: on),
 * NOT_MOVED (status: off) or FAILED, with the command's words in DETAIL.
 * 0, or -1 with ERR (the helper is gone).
 */
int helper_bypass(int fd, enum helper_bypass action, enum helper_result *result,
                  char *detail, char *err, size_t errlen);

#endif
