/*
 * helper - holdd's side of sendwatch-helper, the root helper
 * (helper_protocol.h states what it may be asked).
 *
 * helper_start() execs it while holdd is still root; afterwards holdd
 * talks to it over the channel, one request at a time, from its one
 * thread.  The queue listing comes back as postqueue -j printed it and is
 * parsed here, unprivileged.  Errors: -1 with ERR means the helper is gone
 * or out of step, and holdd must restart.
 */
#ifndef SENDWATCH_HOLDD_HELPER_H
#define SENDWATCH_HOLDD_HELPER_H

#include <search.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "helper_protocol.h"

/*
 * Execs HELPER_PATH with a clean environment and the channel as descriptor
 * 3 (call as root, before dropping privileges).  Its channel into *FD and
 * its process into *PID.  0, or -1 with ERR.
 */
int helper_start(const char *helper_path, const char *postfix_config_dir,
                 const char *sendmail_path, const char *notice_sender, int *fd,
                 pid_t *pid, char *err, size_t errlen);

/*
 * RELEASE, DELETE or MARKED for the N (at most HELPER_MAX_IDS) IDS:
 * RESULTS[i] for IDS[i]; DETAIL (HELPER_DETAIL_SIZE) holds a command's
 * words when one failed.  0, or -1 with ERR (the helper is gone, or
 * refused the request as a whole: ERR says why).
 */
int helper_call(int fd, enum helper_op op, const char *const *ids, size_t n,
                enum helper_result *results, char *detail, char *err, size_t errlen);

/* One message of the queue listing. */
struct helper_listed {
    char queue_id[HELPER_ID_SIZE];
    char queue[16]; /* "hold", "deferred", "active", "incoming", ... */
};

/* The whole queue listing, indexed by queue ID. */
struct helper_listing {
    struct helper_listed *entries;
    size_t n;
    struct hsearch_data index; /* queue ID -> its queue name */
    bool indexed;
};

/*
 * The whole queue listing into *OUT (helper_listing_free releases it).
 * 0, or -1 with ERR: then nothing may be concluded from what is missing.
 */
int helper_list(int fd, struct helper_listing *out, char *err, size_t errlen);

/* The queue L names for QID ("hold", "deferred", "active", ...), or NULL:
 * one hash lookup, so checking every hold record is O(records + queue). */
const char *helper_listing_queue(struct helper_listing *l, const char *qid);

void helper_listing_free(struct helper_listing *l);

/*
 * Submits the N (at most HELPER_MAX_NOTICES) notices MESSAGES[i] to
 * RCPTS[i] from notice_sender, all at once: RESULTS[i] for each (DONE, or
 * REFUSED/FAILED with a command's or the check's words in DETAIL).  0, or
 * -1 with ERR (the helper is gone, or refused the request as a whole).
 */
int helper_submit(int fd, const char *const *rcpts, const char *const *messages, size_t n,
                  enum helper_result *results, char *detail, char *err, size_t errlen);

#endif
