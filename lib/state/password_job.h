/*
 * password_job - the job of a password notice: what holdd needs to send
 * the password of a sealed zip, kept in the outbox until every addressee
 * has it.
 *
 * Key (outbox): "%016llx.QUEUE_ID.password", the time before which the job
 * waits, like the hold notice's "....hold" jobs (hold.h).  A held
 * message's job waits with PASSWORD_JOB_WAITING as its time: hold_close()
 * makes it due when the mail is released and drops it when the mail is
 * deleted or gone, in the same transaction, so a password never goes out
 * for mail that never left.
 *
 * Value: a record (record.h) with queue_id, sender, subject, recipient
 * (one per recipient of the mail), file (one per file in the zip), zip,
 * to (one per addressee still to be told), created, sent (when the mail
 * left: accepted, or released), attempts, error, and the password - as
 * the milter sealed it for the queue ID (secret.h), so that it is never in
 * the store in clear; holdd opens it - last.  The job goes as soon as its
 * last notice is sent.  Nothing here logs.
 *
 * For mail that is not held the job is due at once: the milter commits
 * it before Postfix has queued the message, so a later milter's or the
 * client's refusal can still leave a password notice for mail that was
 * never sent (harmless: the password opens nothing that left).
 */
#ifndef SENDWATCH_PASSWORD_JOB_H
#define SENDWATCH_PASSWORD_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store.h"

/* The time of a held message's job: later than any real time. */
#define PASSWORD_JOB_WAITING ((time_t)0x7fffffffffffffffLL)

/* What the milter knows when it seals a message (all borrowed). */
struct password_job {
    const char *queue_id;
    const char *sender;
    const char *subject; /* decoded, for the notice */
    char *const *recipients;
    size_t nrecipients;
    char *const *files; /* the names in the zip */
    size_t nfiles;
    const char *zip_name;
    const char *password;  /* sealed (secret.h): the password, or when OWN the hint */
    bool own;              /* the sender's own password: the job keeps its hint only */
    const char *const *to; /* who gets the notice */
    size_t nto;
};

/*
 * Adds J's job in T: due at NOW, or waiting for the release when HELD.
 * The caller commits (with the hold record, when held).  0, or -1 with ERR.
 */
int password_job_add(struct store_txn *t, const struct password_job *j, bool held,
                     time_t now, char *err, size_t errlen);

/* The job key of QUEUE_ID due at NOT_BEFORE into BUF (at least 96 bytes). */
void password_job_key(char *buf, size_t len, time_t not_before, const char *queue_id);

/* Splits a password job key; false when KEY is none. */
bool password_job_parse_key(const char *key, time_t *not_before, char *qid,
                            size_t qidlen);

/*
 * QUEUE_ID's held message was released at NOW (RELEASED true) or deleted
 * or lost: its waiting job, if any, is made due at NOW or dropped, in T.
 * 0, or -1 with ERR.
 */
int password_job_settle(struct store_txn *t, const char *queue_id, bool released,
                        time_t now, char *err, size_t errlen);

/* A job as stored, decoded; strings malloc'ed (password_job_record_clear()). */
struct password_job_record {
    char *queue_id, *sender, *subject, *zip_name;
    char *password; /* sealed (secret.h): the password, or when OWN the hint */
    bool own;       /* the sender's own password: PASSWORD is its hint */
    char **recipients;
    size_t nrecipients;
    char **files;
    size_t nfiles;
    char **to;
    size_t nto;
    time_t created;
    time_t sent; /* when the mail left: accepted (not held) or released */
    long attempts;
};

/* Frees R's strings. */
void password_job_record_clear(struct password_job_record *r);

/* The job KEY read in a transaction of its own: 1 found, 0 gone, -1 with ERR
 * (a store error, a record this version cannot read). */
int password_job_get(struct store *st, const char *key, struct password_job_record *r,
                     char *err, size_t errlen);

/*
 * Records in T how the notices of job KEY (read as R) went: DONE[i] for
 * R->to[i] sent.  All sent: the job goes.  Else the job keeps the rest,
 * counts the attempt, keeps WHY and waits (the backoff of hold.h:
 * *ATTEMPT, *WAIT) under a new key.  0, or -1 with ERR.
 */
int password_job_outcome(struct store_txn *t, const char *key,
                         const struct password_job_record *r, const bool *done,
                         time_t now, const char *why, long *attempt, time_t *wait,
                         char *err, size_t errlen);

#endif
