/*
 * listing - Postfix's queue as "postqueue -j" lists it, indexed by queue ID.
 *
 * The root helper runs postqueue -j and hands over its bytes; the JSON is
 * parsed here, never as root.  A listing that fails or is cut short is no
 * listing: the caller concludes nothing from what is missing.
 */
#ifndef SENDWATCH_HOLDD_LISTING_H
#define SENDWATCH_HOLDD_LISTING_H

#include <search.h>
#include <stdbool.h>
#include <stddef.h>

/* One message of the queue listing. */
struct listed {
    char queue_id[64];
    char queue[16]; /* "hold", "deferred", "active", "incoming", ... */
};

/* The whole queue listing, indexed by queue ID. */
struct listing {
    struct listed *entries;
    size_t n;
    struct hsearch_data index; /* queue ID -> its queue name */
    bool indexed;
};

/*
 * The whole queue listing, through the root helper on channel HELPER, into
 * *OUT (listing_free releases it).  0, or -1 with ERR: then nothing may be
 * concluded from what is missing.
 */
int listing_take(int helper, struct listing *out, char *err, size_t errlen);

/* The queue L names for QID ("hold", "deferred", "active", ...), or NULL:
 * one hash lookup, so checking every hold record is O(records + queue). */
const char *listing_queue(struct listing *l, const char *qid);

void listing_free(struct listing *l);

#endif
