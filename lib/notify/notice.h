/*
 * notice - the mail sendwatch sends to people: the hold notice to the
 * sender of held mail, and the password notice that carries the password
 * of a sealed zip (to the sender, the recipients or both).
 *
 * Built from templates admins can change (notice_template_dir/
 * hold-notice.LANG.txt, password-notice.LANG.txt and signin-notice.LANG.txt),
 * loaded and checked
 * once at start: header lines, a blank line, then the body.
 * Template headers: "Subject:" (the notice's subject; {subject} is the
 * mail's), "External-Mark:" (put after recipients outside
 * internal_domains), "No-Attachments:" (hold: shown when there are none),
 * "Own-Password:" (password: what {password} says when the sender chose
 * the password, with {hint}).
 * Placeholders in the hold notice: {subject} {sender} {recipients}
 * {attachments} {deadline} {size} {queue_id} {send_now_url} {delete_url}
 * {center_url} (the sender's filter center);
 * in the password notice: {subject} {sender} {recipients} {zip_name}
 * {files} {password} {hint} {sent} {queue_id}.
 *
 * The message itself is made by GMime: the subject RFC 2047-encoded, the
 * body UTF-8 in base64, From/To as proper mailboxes.  Values from the held
 * mail (subject, addresses, names) have their control characters replaced
 * first, so nothing in them can add a header or a line of its own.
 */
#ifndef SENDWATCH_NOTICE_H
#define SENDWATCH_NOTICE_H

#include <stddef.h>
#include <time.h>

#include "config.h"

struct notice_hold {
    const char *queue_id;
    const char *sender;
    const char *const *recipients;
    const int *external; /* per recipient: outside internal_domains */
    size_t nrecipients;
    const char *subject;
    const char *const *attachments;
    size_t nattachments;
    unsigned long long size;
    time_t deadline;
    const char *send_now_url, *delete_url;
    const char *center_url; /* the sender's filter center; NULL: none */
    const char *language;   /* "ja", "en"; NULL: the config's */
};

/* Once per process, before notices are built (GMime's own setup). */
void notice_init(void);

/* What a password notice says; all borrowed. */
struct notice_password {
    const char *queue_id;
    const char *to; /* who this notice goes to */
    const char *sender;
    const char *const *recipients;
    const int *external;
    size_t nrecipients;
    const char *subject;
    const char *zip_name;
    const char *const *files;
    size_t nfiles;
    const char *password;
    const char *hint;     /* non-NULL: the zip has the sender's own password, which the
                           * notice never carries: {password} says the Own-Password:
                           * header's text, with {hint} this */
    time_t sent;          /* when the mail left (its release, or its acceptance) */
    const char *language; /* "ja", "en"; NULL: the config's */
};

/* What a sign-in notice says: the one-time link to a user's filter center. */
struct notice_signin {
    const char *address; /* who asked, and gets it */
    const char *signin_url;
    time_t expires;
    const char *language; /* NULL: the config's */
};

/* The templates of every kind and language, read and checked. */
struct notice_templates;
struct files;

/*
 * Reads DIR/KIND.LANG.txt for both kinds and languages through FS (see
 * files.h: holdd reads them as root, before it drops privileges) and
 * checks them: UTF-8, only the template headers above, a blank line, and
 * no {placeholder} but the ones above.  The caller owns the result
 * (notice_templates_free).  NULL with ERR naming the setting and the file
 * ("notice_template_dir: FILE:LINE: why").
 */
struct notice_templates *notice_templates_load(struct files *fs, const char *dir,
                                               char *err, size_t errlen);
void notice_templates_free(struct notice_templates *ts);

/*
 * The complete notice message (headers and body, LF line ends) for H, in
 * config's language, in a malloc'ed string; NULL with ERR (no sender).
 */
char *notice_hold_message(const struct config *cfg, const struct notice_templates *ts,
                          const struct notice_hold *h, char *err, size_t errlen);

/*
 * The password notice P, in config's language, in a malloc'ed string
 * (the caller wipes it: it holds the password); NULL with ERR.  The
 * notice says X-Sendwatch-Notice: password.
 */
char *notice_password_message(const struct config *cfg, const struct notice_templates *ts,
                              const struct notice_password *p, char *err, size_t errlen);

/*
 * The sign-in notice N (signin-notice.LANG.txt: placeholders {address}
 * {signin_url} {expires}), X-Sendwatch-Notice: signin.  NULL with ERR.
 */
char *notice_signin_message(const struct config *cfg, const struct notice_templates *ts,
                            const struct notice_signin *n, char *err, size_t errlen);

#endif
