/* release - see holdd.h: mail released at its deadline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "holdd.h"
#include "log.h"
#include "queueid.h"

static int collect_due(void *ctx, const char *key, size_t key_len, const void *value,
                       size_t len)
{
    struct holdd_scratch *sc = ctx;
    __typeof__(sc->due) *b = &sc->due;
    time_t deadline;
    char qid[64];
    (void)value;
    (void)len;
    if (!hold_parse_due_key(key, key_len, &deadline, qid, sizeof(qid)))
        return 0; /* not ours: leave it */
    if (deadline > b->now) {
        b->next = deadline;
        return 1; /* keys are in deadline order: the rest is later */
    }
    if (b->n == HELPER_MAX_IDS)
        return 1;
    b->deadline[b->n] = deadline;
    snprintf(b->ids[b->n++], sizeof(b->ids[0]), "%s", qid);
    return 0;
}

/*
 * Splits the due IDs: a record whose last attempt failed is retried as
 * what it was - a delete stays a delete, and a request keeps its asker.
 * A delete asked on the web (requested) that holdd has not carried out
 * yet wins over the deadline too: the sender was told it would not leave.
 */
static void split_due(struct holdd *h, size_t *nrelease, size_t *ndelete)
{
    __typeof__(h->scratch->due) *b = &h->scratch->due;
    char err[512];
    *nrelease = *ndelete = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct hold_record r;
        int found = hold_get_stored(h->store, b->ids[i], &r, err, sizeof(err));
        bool retried = found == 1 && r.retry != NULL && strcmp(r.retry, "delete") == 0;
        bool asked =
            found == 1 && r.requested != NULL && strcmp(r.requested, "delete") == 0;
        bool delete = retried || asked;
        /* The deadline the sender was told, not the due key's time: a
         * failed attempt moves that to its retry. */
        time_t deadline = found == 1 ? r.deadline : b->deadline[i];
        const char *by = NULL, *who = retried ? r.retry_by
                                      : asked ? r.requested_by
                                              : NULL;
        if (found == 1 && who == NULL)
            who = r.retry_by;
        if (found == 1 && who != NULL && who[0] != '\0') {
            snprintf(b->by[i], sizeof(b->by[i]), "%s", who);
            by = b->by[i];
        }
        if (found == 1)
            hold_record_clear(&r);
        if (delete) {
            b->delete_ids[*ndelete] = b->ids[i];
            b->delete_by[(*ndelete)++] = by;
        } else {
            b->release_deadline[*nrelease] = deadline;
            b->release_ids[*nrelease] = b->ids[i];
            b->release_by[(*nrelease)++] = by;
        }
    }
}

/* Releases everything due (or deletes, where a failed delete is retried);
 * returns the next deadline (0: none). */
time_t release_due(struct holdd *h)
{
    __typeof__(h->scratch->due) *b = &h->scratch->due;
    char err[512];
    while (!holdd_stopping) {
        b->now = time(NULL);
        b->next = 0;
        b->n = 0;
        if (store_foreach(h->store, STORE_DUE, collect_due, h->scratch, err,
                          sizeof(err)) != 0) {
            log_error("cannot read deadlines: %s", err);
            return b->now + 5;
        }
        if (b->n == 0)
            return b->next;
        size_t nrelease, ndelete;
        split_due(h, &nrelease, &ndelete);
        struct batch release = {b->release_ids, nrelease,           NULL, 0,
                                b->release_by,  b->release_deadline};
        struct batch delete = {b->delete_ids, ndelete, NULL, 0, b->delete_by, NULL};
        if (nrelease > 0)
            outcomes_carry_out(h, HELPER_RELEASE, &release, HOLD_RELEASED, "deadline");
        if (ndelete > 0)
            outcomes_carry_out(h, HELPER_DELETE, &delete, HOLD_DELETED, "retried");
        if (b->n < HELPER_MAX_IDS && b->next != 0)
            return b->next;
    }
    return 0;
}
