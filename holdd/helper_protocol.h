/*
 * helper_protocol - what sendwatch-holdd may ask of sendwatch-helper, the
 * only sendwatch program that stays root.
 *
 * holdd execs the helper before it drops its privileges (a clean
 * environment, the channel as descriptor 3, the Postfix config directory,
 * sendmail and notice_sender as its arguments) and then talks to it in
 * fixed-size structs, host byte order (both ends are one machine):
 *
 *   request  struct helper_request, then for HELPER_SUBMIT the notices'
 *            bytes, one after the other (notices[i].len each), for
 *            HELPER_DELIVER the message's (delivery.len);
 *   reply    struct helper_reply, then for HELPER_LIST listing_len bytes
 *            of "postqueue -j" output, which holdd (not root) parses.
 *
 * The helper acts only within this contract: queue IDs must be long
 * Postfix IDs; release and delete touch only mail whose complete queue
 * file is in HOLD (looked up in the hold directory holdd opened for it)
 * and carries sendwatch's marker header naming that very ID; a submitted
 * notice goes from notice_sender, to one strict addr-spec, and must say
 * Auto-Submitted; a delivery (a quarantined copy an admin sends on to its
 * original recipients) goes from its strict addr-spec sender (or the null
 * sender) to 1 to HELPER_DELIVER_RCPTS strict addr-specs, and must be a
 * message: text without NUL, a header block ended by a blank line; a
 * bypass runs the one bypass command holdd named at exec, on this Postfix.
 * Anything else is HELPER_REFUSED, never passed on.
 */
#ifndef SENDWATCH_HOLDD_HELPER_PROTOCOL_H
#define SENDWATCH_HOLDD_HELPER_PROTOCOL_H

#include <stdint.h>

#define HELPER_PROTOCOL    1
#define HELPER_MAX_IDS     512 /* per request */
#define HELPER_ID_SIZE     64  /* a queue ID (QUEUEID_MAX) and its NUL, with room */
#define HELPER_ADDR_SIZE   256 /* an addr-spec and its NUL */
#define HELPER_MESSAGE_MAX (256 * 1024) /* a notice */
#define HELPER_MAX_NOTICES 16           /* per SUBMIT, each its own sendmail, at once */
#define HELPER_LISTING_MAX (256u * 1024 * 1024)
#define HELPER_DETAIL_SIZE 240

enum helper_op {
    HELPER_RELEASE = 1, /* postsuper -H, then one deferred-queue scan (postkick) */
    HELPER_DELETE = 2,  /* postsuper -d ID hold */
    HELPER_MARKED = 3,  /* which IDs are in HOLD with sendwatch's marker (no change) */
    HELPER_LIST = 4,    /* postqueue -j, as it printed it */
    HELPER_SUBMIT = 5,  /* per notice: sendmail -f notice_sender -- rcpt, it on stdin */
    HELPER_DELIVER = 6, /* a quarantined copy: sendmail -f SENDER -- RCPTS, it on stdin */
    HELPER_BYPASS = 7,  /* sendwatch-bypass -c CONFIG_DIR on|off|status (nids: which) */
};

/* BYPASS: what to ask of sendwatch-bypass, in the request's nids. */
enum helper_bypass {
    HELPER_BYPASS_OFF = 0,
    HELPER_BYPASS_ON = 1,
    HELPER_BYPASS_STATUS = 2
};

enum helper_result {
    HELPER_DONE = 0,  /* released, removed, in HOLD and marked, submitted;
                       * BYPASS: switched, or (status) on */
    HELPER_NOT_MOVED, /* not in HOLD (not yet, or gone, or elsewhere: the listing
                       * tells which), or postsuper or postcat failed on it;
                       * BYPASS status: off */
    HELPER_NOT_OURS,  /* in HOLD, but its queue file lacks sendwatch's marker */
    HELPER_REFUSED,   /* outside the contract: a bad ID, address or notice */
    HELPER_FAILED,    /* a Postfix command failed; DETAIL has its words */
};

struct helper_notice {
    char rcpt[HELPER_ADDR_SIZE];
    uint32_t len; /* its bytes, at most HELPER_MESSAGE_MAX */
};

/* DELIVER: the envelope of one quarantined copy an admin sends on. */
#define HELPER_DELIVER_RCPTS 64
#define HELPER_DELIVER_MAX   (64u * 1024 * 1024)
struct helper_delivery {
    char sender[HELPER_ADDR_SIZE]; /* "" for a bounce */
    uint32_t nrcpts;
    uint32_t len; /* the message's bytes, at most HELPER_DELIVER_MAX */
    char rcpts[HELPER_DELIVER_RCPTS][HELPER_ADDR_SIZE];
};

struct helper_request {
    uint32_t protocol; /* HELPER_PROTOCOL */
    uint32_t op;       /* enum helper_op */
    uint32_t nids;     /* IDs (RELEASE, DELETE, MARKED) or notices (SUBMIT) */
    union {
        char ids[HELPER_MAX_IDS][HELPER_ID_SIZE];
        struct helper_notice notices[HELPER_MAX_NOTICES];
        struct helper_delivery delivery;
    };
};

struct helper_reply {
    uint32_t protocol;
    uint32_t result;                  /* enum helper_result, for the request as a whole */
    uint32_t nids;                    /* as asked */
    uint32_t listing_len;             /* LIST: the bytes that follow */
    uint32_t results[HELPER_MAX_IDS]; /* per ID or notice, in the order asked */
    char detail[HELPER_DETAIL_SIZE];  /* a command's own words when FAILED or REFUSED */
};

/* "done", "not moved", ... (holdd's side, helper.c). */
const char *helper_result_name(enum helper_result r);

#endif
