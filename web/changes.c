/*
 * changes - every state change the web makes, with its audit line in the
 * same LMDB transaction (web.h: web_change), and the one-time release or
 * delete that the links, the filter center and the console share.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "hold.h"
#include "log.h"
#include "web.h"

void web_audit(struct request *r, const char *who, const char *action, const char *target,
               const char *result)
{
    char err[512];
    struct audit_entry e = {.who = who,
                            .action = action,
                            .target = target,
                            .from = r->from,
                            .result = result};
    log_info("audit: %s from %s: %s %s: %s", who, r->from, action, target, result);
    if (audit_add_stored(r->w->store, &e, err, sizeof(err)) != 0)
        log_error("cannot write the audit line: %s", err);
}

int web_change(struct request *r,
               int (*fn)(void *ctx, struct store_txn *t, char *err, size_t errlen),
               void *ctx, const struct audit_entry *e, char *err, size_t errlen)
{
    struct audit_entry line = *e;
    line.from = r->from;
    struct store_txn *t = store_begin(r->w->store, err, errlen);
    if (t == NULL)
        return -1;
    if ((fn != NULL && fn(ctx, t, err, errlen) != 0) ||
        audit_add(t, &line, err, errlen) != 0) {
        store_abort(t);
        return -1;
    }
    if (store_commit(t, err, errlen) != 0) /* it freed the transaction */
        return -1;
    log_info("audit: %s from %s: %s %s: %s", line.who, line.from, line.action,
             line.target ? line.target : "", line.result ? line.result : "");
    return 0;
}

const char *web_once_result(int outcome)
{
    return outcome == HOLD_ONCE_QUEUED    ? "ok"
           : outcome == HOLD_ONCE_ASKED   ? "refused: asked already"
           : outcome == HOLD_ONCE_CLOSED  ? "refused: not held"
           : outcome == HOLD_ONCE_UNKNOWN ? "refused: unknown"
                                          : "failed";
}

struct once {
    enum hold_action action;
    const char *queue_id, *by;
    struct hold_record *found;
    struct audit_entry *e;
    int outcome;
};

static int once_fn(void *ctx, struct store_txn *t, char *err, size_t errlen)
{
    struct once *o = ctx;
    o->outcome = hold_request_once(t, o->action, o->queue_id, o->by, time(NULL), o->found,
                                   err, errlen);
    o->e->result = web_once_result(o->outcome);
    return o->outcome < 0 ? -1 : 0;
}

int web_request_once(struct request *r, enum hold_action action, const char *queue_id,
                     const char *by, const char *who, struct hold_record *found,
                     char *err, size_t errlen)
{
    struct audit_entry e = {
        .who = who, .action = hold_action_name(action), .target = queue_id};
    struct once o = {action, queue_id, by, found, &e, -1};
    memset(found, 0, sizeof(*found));
    if (web_change(r, once_fn, &o, &e, err, errlen) != 0) {
        hold_record_clear(found);
        return -1;
    }
    if (o.outcome == HOLD_ONCE_QUEUED)
        hold_wake(r->w->cfg->holdd_socket);
    return o.outcome;
}
