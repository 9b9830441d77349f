/*
 * policy - the admin's encryption policy, compiled once per config load:
 * which mail has its attachments sealed (encrypt_attachments,
 * encrypt_scope, the rules' "action encrypt", encrypt_domains_file) and
 * which attachments go into the zip (encrypt_targets).
 *
 * Recipients under different actions (a partner listed "none" beside one
 * that is encrypted) all get the strictest: the message is encrypted for
 * everyone, and the decision says so.  A milter cannot split one message
 * into two with different bodies (smfi_replacebody changes it for every
 * recipient), and re-submitting a copy would send mail that bypasses
 * Postfix's own checks; the partner's exemption is the one thing lost.
 *
 * A recipient whose address Postfix may route elsewhere than its last '@'
 * says ("bob%partner.example@corp.example", see address.h) is never
 * exempted by the table and counts as external.
 *
 * Immutable once made: any number of threads may use one policy.  Never
 * logs.
 */
#ifndef SENDWATCH_ENCRYPT_POLICY_H
#define SENDWATCH_ENCRYPT_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "domains.h"
#include "seal.h"

struct files;
struct encrypt_policy;

/*
 * Compiles CFG's encryption settings; the domain table is read through FS
 * (files.h: as root, before the privilege drop, in the daemons).  NULL
 * with ERR ("encrypt_domains_file: FILE:LINE: why", a zip name template
 * that is no UTF-8).
 */
struct encrypt_policy *encrypt_policy_new(const struct config *cfg, struct files *fs,
                                          char *err, size_t errlen);
void encrypt_policy_free(struct encrypt_policy *p);

/* Why a message is encrypted. */
enum encrypt_source {
    ENCRYPT_SOURCE_NONE,   /* not encrypted */
    ENCRYPT_SOURCE_RULE,   /* a rule's "action encrypt" */
    ENCRYPT_SOURCE_POLICY, /* encrypt_attachments, encrypt_scope, the domain table */
    ENCRYPT_SOURCE_SENDER, /* the sender's own encrypt_enable (user_settings_allowed) */
};

/* "none", "rule", "policy", "sender". */
const char *encrypt_source_name(enum encrypt_source s);

struct encrypt_decision {
    bool encrypt;
    enum encrypt_source source;
    size_t exempted; /* recipients the table lists "none" who get it encrypted all
                      * the same (recipients under different actions) */
    char why[300];   /* one line for the log and "sendwatch test" */
};

/*
 * The decision for a message to RECIPIENTS: RULE_WANTS when a rule said
 * "action encrypt", POLICY_WANTS when encrypt_attachments - the sender's
 * own setting where allowed, else the admin's - says yes.  TABLE_BINDS
 * when the admin's encrypt_attachments says yes: then the table's
 * "encrypt" lines apply even for a sender who turned encryption off.
 */
void encrypt_decide(const struct encrypt_policy *p, bool rule_wants, bool policy_wants,
                    bool table_binds, const char *const *recipients, size_t nrecipients,
                    struct encrypt_decision *out);

/*
 * Whether an attachment named NAME (UTF-8; NULL when it has none) of
 * MIME type TYPE is one encrypt_targets names.
 */
bool encrypt_policy_targets(const struct encrypt_policy *p, const char *name,
                            const char *type);

/* What encrypt_already_encrypted says of an attachment that is one already. */
enum encrypt_already {
    ENCRYPT_ALREADY_LEAVE,  /* left as it is, logged */
    ENCRYPT_ALREADY_SEAL,   /* sealed with the rest */
    ENCRYPT_ALREADY_REJECT, /* the message is refused */
};

/* How the zip is made: the config's words, compiled once with the policy. */
struct encrypt_settings {
    enum seal_method method;      /* encrypt_method */
    enum seal_names names;        /* encrypt_name_charset */
    enum encrypt_already already; /* encrypt_already_encrypted */
};
const struct encrypt_settings *encrypt_policy_settings(const struct encrypt_policy *p);

/* The config the policy was made from. */
const struct config *encrypt_policy_config(const struct encrypt_policy *p);

#endif
