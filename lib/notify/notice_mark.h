/*
 * notice_mark - the signed header that tells the milter a message is
 * sendwatch's own (a hold, password or sign-in notice, an alert, or a
 * quarantined copy an admin delivered), so that it is not inspected,
 * held or encrypted a second time when it passes non_smtpd_milters.
 *
 *   X-Sendwatch-Origin: v1 t=UNIXTIME mac=BASE64URL
 *
 * The MAC is HMAC-SHA256 under a key of its own, derived from web_key_file
 * (secret_key_derive_for, "sendwatch notice mark v1"): holdd, which sends
 * these messages, and the milter, which checks them, hold it; nobody else.
 * It covers the time, the envelope recipients (sorted, ASCII-lowercased)
 * and a SHA-256 of the body (CRs removed, trailing line ends dropped, so
 * CRLF and LF copies agree).  A header copied from a notice therefore
 * exempts only that notice, to the same recipients, with the same body -
 * nothing they have not had already - and only for NOTICE_MARK_MAX_AGE.
 * Not the envelope sender: Postfix rewrites it on the way (notice_sender
 * "postmaster" becomes postmaster@$myorigin before the milter sees it).
 * Recipients are whole addresses and stay as they are - unless the site's
 * canonical_maps rewrite them for local submissions: then the mark does
 * not match, and the notice is inspected like any other (safe, logged).
 * While sendwatch is bypassed the header reaches mailboxes on this host
 * (smtp_header_checks remove it only from what leaves by SMTP); replayed,
 * it still exempts nothing but that body to those recipients.  The milter
 * strips the header whether it is good or not; Postfix's smtp_header_checks
 * (contrib/postfix) strip it on the way out as well, for mail that passed while sendwatch
 * was bypassed.
 *
 * Thread-safe; the body digest is streamed (any chunking gives the same).
 */
#ifndef SENDWATCH_NOTICE_MARK_H
#define SENDWATCH_NOTICE_MARK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "secret.h"

#define NOTICE_MARK_HEADER  "X-Sendwatch-Origin"
#define NOTICE_MARK_INFO    "sendwatch notice mark v1"
#define NOTICE_MARK_MAX     96          /* the value and its NUL */
#define NOTICE_MARK_MAX_AGE (7 * 86400) /* beyond the queue's 5 days */
#define NOTICE_MARK_SKEW    300         /* seconds a clock may be ahead */

/* A body digest in progress. */
struct notice_mark_body;

/* A new digest; NULL when out of memory. */
struct notice_mark_body *notice_mark_body_new(void);
/* Adds LEN bytes of the body.  0, or -1 (OpenSSL failed). */
int notice_mark_body_add(struct notice_mark_body *b, const void *data, size_t len);
void notice_mark_body_free(struct notice_mark_body *b);

/*
 * Signs: the header's value for a message sent at WHEN to the N RCPTS
 * whose body is BODY (LEN bytes) into OUT (NOTICE_MARK_MAX).  0, or -1
 * (OpenSSL failed, or more than 1000 recipients).
 */
int notice_mark_sign(const struct secret_key *key, time_t when, const char *const *rcpts,
                     size_t n, const char *body, size_t len, char *out);

enum notice_mark_check {
    NOTICE_MARK_GOOD,      /* ours, fresh, for this envelope and body */
    NOTICE_MARK_MALFORMED, /* not "v1 t=... mac=..." */
    NOTICE_MARK_FORGED,    /* the MAC does not match (another message, or forged) */
    NOTICE_MARK_STALE,     /* older than NOTICE_MARK_MAX_AGE, or from the future */
};

/*
 * Checks VALUE (the header's value, leading white space allowed) at NOW
 * against the envelope and the digest BODY, which it finishes (BODY cannot
 * be added to afterwards).
 */
enum notice_mark_check notice_mark_check(const struct secret_key *key, const char *value,
                                         time_t now, const char *const *rcpts, size_t n,
                                         struct notice_mark_body *body);

/* "good", "malformed", "forged or for another message", "stale". */
const char *notice_mark_check_text(enum notice_mark_check c);

#endif
