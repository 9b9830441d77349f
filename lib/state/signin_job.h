/*
 * signin_job - a sign-in link asked for on the web, waiting in the outbox
 * for holdd to mail it (the web never sends mail itself).
 *
 * Key "%016x.signin.NONCE" (the time before which it waits, then 16 random
 * hex digits), so the outbox stays in the order jobs are due; value a
 * record with the address and the language of the page it was asked on.
 * The job holds no link: holdd signs one when it sends the mail, so the
 * store never holds a usable sign-in.  A used link is marked in "used"
 * ("signin.SIGNATURE" -> its expiry) until it expires; the web sweeps the
 * marks of expired links.  Thread-safe; never logs.
 */
#ifndef SENDWATCH_SIGNIN_JOB_H
#define SENDWATCH_SIGNIN_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store.h"

struct signin_job {
    char address[256];
    char language[3];
    time_t created;
    long attempts;
};

/* Queues a job for ADDRESS in LANGUAGE at NOW, in T.  0, or -1 with ERR. */
int signin_job_add(struct store_txn *t, const char *address, const char *language,
                   time_t now, char *err, size_t errlen);

/* Whether KEY is a sign-in job's key; its time into *NOT_BEFORE. */
bool signin_job_parse_key(const char *key, time_t *not_before);

/* The job under KEY into *J: 1, 0 when gone, -1 with ERR (unreadable: drop it). */
int signin_job_get(struct store *st, const char *key, struct signin_job *j, char *err,
                   size_t errlen);

/*
 * After an attempt to send KEY's mail, in T: SENT, the job goes; else it
 * waits WAIT seconds from NOW under a new key, its attempts counted.
 */
int signin_job_outcome(struct store_txn *t, const char *key, const struct signin_job *j,
                       bool sent, time_t now, time_t wait, char *err, size_t errlen);

/*
 * One-time sign-in links: whether the link whose signature is SIG was used,
 * in T; with MARK, marks it used until EXPIRY (when it stops mattering:
 * an expired link is refused anyway).  1 used, 0 not (marked now when
 * MARK), -1 with ERR.
 */
int signin_link_used(struct store_txn *t, const char *sig, time_t expiry, bool mark,
                     char *err, size_t errlen);

/* Drops the marks of links expired before NOW; how many into *N.  0, or -1 with ERR. */
int signin_links_sweep(struct store *st, time_t now, size_t *n, char *err, size_t errlen);

#endif
