/*
 * encrypt - one message's attachments sealed as the policy says: the
 * attachments encrypt_targets names go into one zip (rewrite.h) under a
 * fresh password (password.h), named after encrypt_zip_name.  The milter
 * and "sendwatch test --out" both call it, so the tester writes exactly
 * what the milter would send.
 *
 * Attachments that are already encrypted archives (the view says which)
 * are left as they are, sealed with the rest, or make the message refused,
 * as encrypt_already_encrypted says.  A forwarded message (message/rfc822)
 * is left as it is: it is not a file, and a rule sees what is inside it.
 *
 * The result holds the password: the caller hands it to the notice and to
 * nothing else (no log line, no audit line), and wipes it with
 * encrypt_result_clear().  Thread-safe per message.  Never logs.
 */
#ifndef SENDWATCH_ENCRYPT_H
#define SENDWATCH_ENCRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "password.h"
#include "policy.h"
#include "spool.h"
#include "view.h"

struct encrypt_request {
    const char *queue_id;        /* for {queue_id} in the zip's name */
    time_t now;                  /* for {date} */
    void (*progress)(void *ctx); /* while the zip is written; may be NULL */
    void *progress_ctx;
    const char *password; /* the sender's own (PASSWORD_MIN to PASSWORD_MAX
                           * characters); NULL: a fresh one of password_length */
};

struct encrypt_result {
    char zip_name[256]; /* UTF-8 */
    char password[PASSWORD_MAX + 1];
    char **files; /* the names sealed, UTF-8, in message order */
    size_t nfiles;
    char **left; /* already encrypted archives left as they were */
    size_t nleft;
    uint64_t zip_size;   /* bytes of the zip */
    uint64_t body_start; /* where MESSAGE's body starts: the bytes BODY replaces */
    size_t kept_utf8;    /* names CP932 could not hold (encrypt_name_charset = cp932) */
};

enum encrypt_outcome {
    ENCRYPT_DONE = 0,     /* the new body is in BODY */
    ENCRYPT_NOTHING = 1,  /* no attachment to seal: BODY untouched */
    ENCRYPT_FAILED = -1,  /* could not be done now (disk, memory, zip library): retry */
    ENCRYPT_REFUSED = -2, /* can never be done as asked: refuse the message */
};

/*
 * Seals MESSAGE's targeted attachments (VIEW is its view) as P says,
 * appending the new body (everything after the header's blank line) to
 * BODY.  OUT is filled for ENCRYPT_DONE and ENCRYPT_NOTHING (its left
 * list too); clear it with encrypt_result_clear() in every case.  ERR
 * says why for the negative outcomes, after which BODY may hold part of a
 * body: the caller throws it away.
 */
enum encrypt_outcome encrypt_message(const struct encrypt_policy *p,
                                     const struct view *view, struct spool *message,
                                     const struct encrypt_request *req,
                                     struct spool *body, struct encrypt_result *out,
                                     char *err, size_t errlen);

/*
 * Whether a sealed message of SIZE bytes (as the milter sees it) to
 * NRECIPIENTS fits Postfix's message_size_limit (CFG's copy; 0: no limit),
 * with room for what the limit counts beyond it: the queue file's
 * envelope records, 1 KB and 300 bytes a recipient.
 */
bool encrypt_size_fits(const struct config *cfg, uint64_t size, size_t nrecipients);

/* Frees OUT's lists and wipes its password. */
void encrypt_result_clear(struct encrypt_result *out);

/* The zip's name from TEMPLATE for a message whose first sealed file is FIRST. */
void encrypt_zip_name(const char *template_text, const char *first, const char *queue_id,
                      time_t now, char *out, size_t len);

#endif
