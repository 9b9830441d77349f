/*
 * inspect - what sendwatch decides about one message, before anything is
 * done to it: the view is built, the rules are evaluated, and the admin's
 * policy and the sender's own settings are laid over the rules' verdict
 * (how long the message is held; whether its attachments are sealed,
 * policy.h).  This module owns that decision.
 *
 * sendwatch-milter and "sendwatch test" both call it, so an admin's test
 * shows exactly what the milter would do with the same message, envelope,
 * config, rules and sender settings.  Thread-safe; the config, rules and
 * store are borrowed and must outlive the inspection.
 */
#ifndef SENDWATCH_INSPECT_H
#define SENDWATCH_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "policy.h"
#include "rules.h"
#include "spool.h"
#include "store.h"
#include "user_settings.h"
#include "view.h"

/* Why a message is held. */
enum inspect_hold_source {
    INSPECT_HOLD_NONE,   /* not held */
    INSPECT_HOLD_RULE,   /* a rule's "action hold" */
    INSPECT_HOLD_POLICY, /* hold_enable / hold_scope / hold_minutes */
    INSPECT_HOLD_SENDER, /* the sender's own settings (user_settings_allowed) */
};

struct inspection {
    struct view *view;
    struct rules_verdict verdict; /* what the rules say */
    /* The decision laid over it: the message waits this long (0: not held),
     * the longest of a rule's hold and the policy's, and why. */
    unsigned hold_seconds;
    enum inspect_hold_source hold_source;
    /* Whether the attachments are sealed (for the recipients who get the
     * message: the original ones and any a rule forwards to), and why. */
    struct encrypt_decision encryption;
    char password_notice_to[12]; /* who gets the password: the sender's or the admin's */
    /* The sender's own zip password, sealed (secret.h), and its hint: "" when
     * none or not allowed (user_password_allowed). */
    char own_password[USER_SETTING_VALUE_MAX];
    char own_password_hint[104];
};

/* "rule", "policy", "sender" or "none". */
const char *inspect_hold_source_name(enum inspect_hold_source s);

/*
 * Inspects MESSAGE sent by SENDER to RECIPIENTS; the sender's own settings
 * come from USERS (the state store; NULL: the admin's policy alone), the
 * encryption policy from ENCRYPTION (NULL: nothing is encrypted).
 * Returns 0 with OUT filled (release with inspect_free()), or -1 with
 * ERR (out of memory, a spill file that cannot be written, the sender's
 * settings unreadable).  OUT->verdict.error set means a matcher could not
 * run: the caller must fail closed.
 */
int inspect_message(const struct config *cfg, const struct rules *rules,
                    const struct encrypt_policy *encryption, struct store *users,
                    const struct spool *message, const char *sender,
                    const char *const *recipients, size_t nrecipients,
                    struct inspection *out, char *err, size_t errlen);
void inspect_free(struct inspection *in);

/*
 * inspect_message() in its two steps, for a caller that needs the view
 * before it knows the envelope ("sendwatch test" takes it from the header):
 * inspect_view() builds OUT->view (0, or -1 with ERR); inspect_evaluate()
 * then fills IN->verdict for a message of SIZE bytes (0, or -1 with ERR,
 * after which IN holds nothing).  Release with inspect_free() either way.
 */
int inspect_view(const struct config *cfg, const struct spool *message,
                 struct inspection *out, char *err, size_t errlen);
int inspect_evaluate(const struct config *cfg, const struct rules *rules,
                     const struct encrypt_policy *encryption, struct store *users,
                     uint64_t size, const char *sender, const char *const *recipients,
                     size_t nrecipients, struct inspection *in, char *err, size_t errlen);

/*
 * The decision's actions as words, e.g. "store:secret forward:a@b deliver"
 * or "reject", "tempfail", "discard", "hold:600s", "encrypt deliver".
 * Returns BUF.
 */
char *inspect_describe_actions(const struct inspection *in, char *buf, size_t len);

/* The names of the matched rules, comma-separated.  Returns BUF. */
char *inspect_describe_rules(const struct rules_verdict *v, char *buf, size_t len);

#endif
