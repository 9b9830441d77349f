/*
 * notice - the hold notice mail sent to the sender of held mail.
 *
 * Built from a template admins can change (notice_template_dir/
 * hold-notice.LANG.txt): header lines, a blank line, then the body.
 * Template headers: "Subject:" (the notice's subject; {subject} is the
 * held mail's), "External-Mark:" (put after recipients outside
 * internal_domains), "No-Attachments:" (shown when there are none).
 * Placeholders in the subject and body: {subject} {sender} {recipients}
 * {attachments} {deadline} {size} {queue_id} {send_now_url} {delete_url}.
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
};

/* Once per process, before notices are built (GMime's own setup). */
void notice_init(void);

/*
 * The complete notice message (headers and body, LF line ends) for H, in a
 * malloc'ed string; NULL with ERR (no template, a bad one, no sender).
 */
char *notice_hold_message(const struct config *cfg, const struct notice_hold *h, char *err,
                          size_t errlen);

#endif
