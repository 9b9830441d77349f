/*
 * web_job - what the web asks holdd to do besides releases and deletes,
 * waiting in the outbox (the web never sends mail itself):
 *   signin   mail a one-time sign-in link to an address (asked on /signin);
 *   deliver  send a quarantined copy on to its original recipients (an
 *            admin's choice on the console).
 * Key "%016x.KIND.NONCE" (the time before which it waits, then 16 random
 * hex digits), so the outbox stays in the order jobs are due; value a
 * record.  A sign-in job holds no link: holdd signs one when it sends the
 * mail, so the store never holds a usable sign-in.  A used link is marked
 * in "used" ("signin.SIGNATURE" -> its expiry) until it expires; the web
 * sweeps the marks of expired links.  Thread-safe; never logs.
 */
#ifndef SENDWATCH_WEB_JOB_H
#define SENDWATCH_WEB_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store.h"

enum web_job_kind { WEB_JOB_SIGNIN, WEB_JOB_DELIVER };

struct web_job {
    enum web_job_kind kind;
    char address[256]; /* signin: who asked, and gets the link */
    char language[3];  /* signin: of the page it was asked on ("" unknown) */
    char entry[600];   /* deliver: the quarantine entry's key */
    char by[300];      /* deliver: who asked ("admin:NAME") */
    time_t created;
    long attempts;
};

/* Queues J (created, attempts as given) due at NOW, in T.  0, or -1 with ERR. */
int web_job_add(struct store_txn *t, const struct web_job *j, time_t now, char *err,
                size_t errlen);

/* Whether KEY is a web job's key; its kind and time into *KIND, *NOT_BEFORE. */
bool web_job_parse_key(const char *key, enum web_job_kind *kind, time_t *not_before);

/* The job under KEY into *J: 1, 0 when gone, -1 with ERR (unreadable: drop it). */
int web_job_get(struct store *st, const char *key, struct web_job *j, char *err,
                size_t errlen);

/*
 * After an attempt at KEY's job, in T: DONE, the job goes; else it waits
 * WAIT seconds from NOW under a new key, its attempts counted.
 */
int web_job_outcome(struct store_txn *t, const char *key, const struct web_job *j,
                    bool done, time_t now, time_t wait, char *err, size_t errlen);

/* The same, with the waiting job's new key into NEW_KEY (80 bytes) unless DONE. */
int web_job_retry(struct store_txn *t, const char *key, const struct web_job *j,
                  bool done, time_t now, time_t wait, char *new_key, char *err,
                  size_t errlen);

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
