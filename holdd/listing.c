/* listing - see listing.h. */
#include "listing.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"
#include "errbuf.h"
#include "queueid.h"

/* Parses postqueue -j's lines; members we do not know are ignored. */
static int parse_listing(char *text, struct listed **out, size_t *n, char *err,
                         size_t errlen)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        json_object *obj = json_tokener_parse(line), *id, *queue;
        const char *qid = NULL, *qn = NULL;
        if (obj != NULL && json_object_object_get_ex(obj, "queue_id", &id) &&
            json_object_object_get_ex(obj, "queue_name", &queue)) {
            qid = json_object_get_string(id);
            qn = json_object_get_string(queue);
        }
        if (qid == NULL || qn == NULL || queueid_classify(qid) == QUEUEID_INVALID) {
            json_object_put(obj);
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            struct listed *grown = realloc(*out, cap * sizeof(**out));
            if (grown == NULL) {
                json_object_put(obj);
                free(*out);
                *out = NULL;
                errbuf_set(err, errlen, "out of memory reading the queue listing");
                return -1;
            }
            *out = grown;
        }
        struct listed *l = &(*out)[(*n)++];
        snprintf(l->queue_id, sizeof(l->queue_id), "%s", qid);
        snprintf(l->queue, sizeof(l->queue), "%s", qn);
        json_object_put(obj);
    }
    return 0;
}

/* Indexes L's entries by queue ID.  0, or -1 when out of memory. */
static int index_listing(struct listing *l)
{
    /* Half full at most: hsearch's open addressing stays fast. */
    if (hcreate_r(2 * l->n + 16, &l->index) == 0)
        return -1;
    l->indexed = true;
    for (size_t i = 0; i < l->n; i++) {
        ENTRY e = {.key = l->entries[i].queue_id, .data = l->entries[i].queue}, *found;
        if (hsearch_r(e, ENTER, &found, &l->index) == 0)
            return -1;
    }
    return 0;
}

const char *listing_queue(struct listing *l, const char *qid)
{
    ENTRY e = {.key = (char *)qid}, *found = NULL;
    return l->indexed && hsearch_r(e, FIND, &found, &l->index) != 0 ? found->data : NULL;
}

void listing_free(struct listing *l)
{
    if (l->indexed)
        hdestroy_r(&l->index);
    free(l->entries);
    memset(l, 0, sizeof(*l));
}

int listing_take(int helper, struct listing *out, char *err, size_t errlen)
{
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    char *text = helper_list(helper, &len, err, errlen);
    int rc = -1;
    if (text != NULL &&
        (rc = parse_listing(text, &out->entries, &out->n, err, errlen)) == 0 &&
        (rc = index_listing(out)) != 0)
        errbuf_set(err, errlen, "out of memory indexing %zu queued messages", out->n);
    free(text);
    if (rc != 0)
        listing_free(out);
    return rc;
}
