/* inspect - see inspect.h. */
#include "inspect.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "user_settings.h"

const char *inspect_hold_source_name(enum inspect_hold_source s)
{
    static const char *const names[] = {"none", "rule", "policy", "sender"};
    return (unsigned)s < sizeof(names) / sizeof(*names) ? names[s] : "none";
}

/*
 * Lays the hold policy over the rules' verdict: the longest of a rule's
 * hold and the policy's (the admin's hold_enable/hold_scope/hold_minutes,
 * or the sender's own settings where allowed).
 */
static void decide_hold(const struct config *cfg, const struct user_settings_hold *policy,
                        struct inspection *in)
{
    const struct rules_verdict *v = &in->verdict;
    in->hold_seconds = 0;
    in->hold_source = INSPECT_HOLD_NONE;
    if (v->reject_text != NULL || v->tempfail ||
        (!v->deliver_original && v->nforward == 0))
        return; /* refused or discarded: nothing leaves, nothing waits */
    in->hold_seconds = v->hold_seconds;
    in->hold_source = in->hold_seconds > 0 ? INSPECT_HOLD_RULE : INSPECT_HOLD_NONE;
    bool in_scope = strcmp(cfg->hold_scope, "all") == 0 || in->verdict.external;
    if (policy->enable && in_scope && policy->minutes * 60 > in->hold_seconds) {
        in->hold_seconds = policy->minutes * 60;
        in->hold_source = policy->from_user ? INSPECT_HOLD_SENDER : INSPECT_HOLD_POLICY;
    }
}

/*
 * Whether the attachments are sealed: the rules' "action encrypt" and the
 * admin's encrypt_attachments (or the sender's own), for everyone who gets
 * the message; and who gets the password.
 */
static int decide_encryption(const struct config *cfg, const struct encrypt_policy *p,
                             const struct user_settings_encrypt *mine,
                             const char *const *recipients, size_t nrecipients,
                             struct inspection *in, char *err, size_t errlen)
{
    const struct rules_verdict *v = &in->verdict;
    memset(&in->encryption, 0, sizeof(in->encryption));
    in->own_password[0] = in->own_password_hint[0] = '\0';
    snprintf(in->password_notice_to, sizeof(in->password_notice_to), "%s",
             cfg->password_notice_to);
    if (p == NULL || v->reject_text != NULL || v->tempfail ||
        (!v->deliver_original && v->nforward == 0))
        return 0;
    snprintf(in->password_notice_to, sizeof(in->password_notice_to), "%s",
             mine->notice_to);
    snprintf(in->own_password, sizeof(in->own_password), "%s", mine->zip_password);
    snprintf(in->own_password_hint, sizeof(in->own_password_hint), "%s",
             mine->zip_password_hint);
    size_t n = 0;
    const char **to = calloc(nrecipients + v->nforward + 1, sizeof(*to));
    if (to == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; v->deliver_original && i < nrecipients; i++)
        to[n++] = recipients[i];
    for (size_t i = 0; i < v->nforward; i++)
        to[n++] = v->forward[i];
    encrypt_decide(p, v->encrypt, mine->enable, cfg->encrypt_attachments, to, n,
                   &in->encryption);
    free(to);
    if (in->encryption.source == ENCRYPT_SOURCE_POLICY && mine->from_user &&
        mine->enable != cfg->encrypt_attachments)
        in->encryption.source = ENCRYPT_SOURCE_SENDER;
    return 0;
}

int inspect_view(const struct config *cfg, const struct spool *message,
                 struct inspection *out, char *err, size_t errlen)
{
    struct view_limits limits = view_limits_from(cfg);

    memset(out, 0, sizeof(*out));
    out->view = view_build(message, &limits, err, errlen);
    return out->view ? 0 : -1;
}

int inspect_evaluate(const struct config *cfg, const struct rules *rules,
                     const struct encrypt_policy *encryption, struct store *users,
                     uint64_t size, const char *sender, const char *const *recipients,
                     size_t nrecipients, struct inspection *in, char *err, size_t errlen)
{
    struct rules_envelope env = {
        .sender = sender,
        .recipients = recipients,
        .nrecipients = nrecipients,
        .size = size,
        .internal_domains = (const char *const *)cfg->internal_domains,
    };
    if (rules_evaluate(rules, in->view, &env, &in->verdict) != 0) {
        view_free(in->view);
        in->view = NULL;
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    /* The sender's settings, read once for both decisions. */
    struct user_settings_policy mine;
    char why[512];
    if (user_settings_policy(cfg, users, sender, &mine, why, sizeof(why)) != 0) {
        errbuf_set(err, errlen, "cannot read the sender's settings: %s", why);
        inspect_free(in);
        return -1;
    }
    decide_hold(cfg, &mine.hold, in);
    if (decide_encryption(cfg, encryption, &mine.encrypt, recipients, nrecipients, in,
                          err, errlen) != 0) {
        inspect_free(in);
        return -1;
    }
    return 0;
}

int inspect_message(const struct config *cfg, const struct rules *rules,
                    const struct encrypt_policy *encryption, struct store *users,
                    const struct spool *message, const char *sender,
                    const char *const *recipients, size_t nrecipients,
                    struct inspection *out, char *err, size_t errlen)
{
    if (inspect_view(cfg, message, out, err, errlen) != 0)
        return -1;
    return inspect_evaluate(cfg, rules, encryption, users, spool_size(message), sender,
                            recipients, nrecipients, out, err, errlen);
}

void inspect_free(struct inspection *in)
{
    if (in->view != NULL)
        rules_verdict_free(&in->verdict);
    view_free(in->view);
    in->view = NULL;
}

static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;

    if (used + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

char *inspect_describe_actions(const struct inspection *in, char *buf, size_t len)
{
    const struct rules_verdict *v = &in->verdict;
    buf[0] = '\0';
    for (size_t i = 0; i < v->nstore; i++)
        append(buf, len, "%sstore:%s", *buf ? " " : "", v->store[i]);
    if (v->reject_text != NULL) {
        append(buf, len, "%sreject", *buf ? " " : "");
        return buf;
    }
    if (v->tempfail) {
        append(buf, len, "%stempfail", *buf ? " " : "");
        return buf;
    }
    for (size_t i = 0; i < v->nforward; i++)
        append(buf, len, "%sforward:%s", *buf ? " " : "", v->forward[i]);
    if (in->encryption.encrypt)
        append(buf, len, "%sencrypt", *buf ? " " : "");
    if (!v->deliver_original)
        append(buf, len, "%s%s", *buf ? " " : "", v->nforward ? "redirect" : "discard");
    else if (in->hold_seconds > 0)
        append(buf, len, "%shold:%us", *buf ? " " : "", in->hold_seconds);
    else
        append(buf, len, "%sdeliver", *buf ? " " : "");
    return buf;
}

char *inspect_describe_rules(const struct rules_verdict *v, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < v->nmatched; i++)
        append(buf, len, "%s%s", i ? "," : "", v->matched[i]);
    return buf;
}
