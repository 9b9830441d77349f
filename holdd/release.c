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
    snprintf(b->ids[b->n++], sizeof(b->ids[0]), "%s", qid);
    return 0;
}

/* Releases everything due; returns the next deadline (0: none). */
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
        for (size_t i = 0; i < b->n; i++)
            b->id_ptrs[i] = b->ids[i];
        struct batch batch = {b->id_ptrs, b->n, NULL, 0, NULL};
        outcomes_carry_out(h, HELPER_RELEASE, &batch, HOLD_RELEASED, "deadline");
        if (b->n < HELPER_MAX_IDS && b->next != 0)
            return b->next;
    }
    return 0;
}
