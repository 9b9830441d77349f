/*
 * apply - carries out a verdict in the milter, at end-of-message.
 *
 * Stored copies first (Maildir file and LMDB index entry, committed before
 * anything is answered; they keep the message as it came), then the
 * attachments sealed (the body replaced, the password notice's job
 * committed with the hold record, if any), then the recipients (forward
 * adds, "store" or "forward" alone removes the original ones), then the
 * answer to Postfix.
 * Any failure on the way answers tempfail: the client retries, and a
 * message is never delivered past a rule that could not be carried out.
 * Logs one audit line per message that matched a rule.
 */
#ifndef SENDWATCH_MILTER_APPLY_H
#define SENDWATCH_MILTER_APPLY_H

#include <libmilter/mfapi.h>
#include <stddef.h>

#include "config.h"
#include "inspect.h"
#include "metrics.h"
#include "policy.h"
#include "spool.h"
#include "store.h"

/* What apply needs to know of the message (all borrowed). */
struct apply_message {
    const char *queue_id;
    const char *sender;
    char *const *recipients;     /* as addresses */
    char *const *recipients_raw; /* as given in RCPT TO, for smfi_delrcpt */
    size_t nrecipients;
    struct spool *spool;
    struct metrics *metrics; /* verdicts, rule hits and failures are counted here */
};

/* Returns the libmilter answer for the message. */
/* PASSWORD_KEY (secret.h, derived at start) seals the password a notice job
 * keeps and opens the senders' own; never NULL. */
struct secret_key;
sfsistat apply_verdict(SMFICTX *ctx, const struct config *cfg,
                       const struct encrypt_policy *encryption,
                       const struct secret_key *password_key, struct store *store,
                       const struct apply_message *msg, const struct inspection *in);

#endif
