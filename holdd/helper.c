/* helper - see helper.h. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <spawn.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "fdio.h"
#include "queueid.h"

const char *helper_result_name(enum helper_result r)
{
    static const char *const names[] = {"done", "not moved", "not sendwatch's", "refused",
                                        "failed"};
    return (unsigned)r < sizeof(names) / sizeof(*names) ? names[r] : "?";
}

int helper_start(const char *helper_path, const char *postfix_config_dir,
                 const char *sendmail_path, const char *notice_sender, int *fd,
                 pid_t *pid, char *err, size_t errlen)
{
    static char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        errbuf_set(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 3); /* dup2 clears close-on-exec */
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)helper_path, (char *)postfix_config_dir,
                    (char *)sendmail_path, (char *)notice_sender, NULL};
    int rc = posix_spawn(pid, helper_path, &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    if (rc != 0) {
        errbuf_set(err, errlen, "holdd_helper %s: %s", helper_path, strerror(rc));
        close(sv[0]);
        return -1;
    }
    *fd = sv[0];
    return 0;
}

/* The one request and reply in flight (holdd asks from one thread, one at a
 * time): 33 KB, so not on the stack and not allocated per call. */
static struct helper_request request;
static struct helper_reply reply;

/* The request buffer, cleared, for OP. */
static struct helper_request *new_request(enum helper_op op)
{
    memset(&request, 0, sizeof(request));
    request.protocol = HELPER_PROTOCOL;
    request.op = op;
    return &request;
}

/* Sends R (and for SUBMIT its notices, MESSAGES) and reads the reply into
 * REP.  0, or -1 with ERR. */
static int ask(int fd, const struct helper_request *r, const char *const *messages,
               struct helper_reply *rep, char *err, size_t errlen)
{
    int rc = fdio_write_all(fd, r, sizeof(*r));
    for (uint32_t i = 0; rc == 0 && messages != NULL && i < r->nids; i++)
        rc = fdio_write_all(fd, messages[i], r->notices[i].len);
    if (rc != 0 || fdio_read_exact(fd, rep, sizeof(*rep)) != 0 ||
        rep->protocol != HELPER_PROTOCOL) {
        errbuf_set(err, errlen, "the root helper does not answer");
        return -1;
    }
    return 0;
}

/* Copies the reply's per-item results into RESULTS and its DETAIL.  0, or
 * -1 with ERR when the helper refused the request as a whole. */
static int take_results(const struct helper_request *r, enum helper_result *results,
                        char *detail, char *err, size_t errlen)
{
    snprintf(detail, HELPER_DETAIL_SIZE, "%.*s", HELPER_DETAIL_SIZE - 1, reply.detail);
    if (reply.result == HELPER_REFUSED || reply.nids != r->nids) {
        errbuf_set(err, errlen, "the root helper refused: %s", detail);
        return -1;
    }
    for (uint32_t i = 0; i < r->nids; i++)
        results[i] = reply.results[i] <= HELPER_FAILED
                         ? (enum helper_result)reply.results[i]
                         : HELPER_FAILED;
    return 0;
}

int helper_call(int fd, enum helper_op op, const char *const *ids, size_t n,
                enum helper_result *results, char *detail, char *err, size_t errlen)
{
    struct helper_request *r = new_request(op);
    r->nids = (uint32_t)(n < HELPER_MAX_IDS ? n : HELPER_MAX_IDS);
    for (uint32_t i = 0; i < r->nids; i++)
        snprintf(r->ids[i], sizeof(r->ids[i]), "%s", ids[i]);
    if (ask(fd, r, NULL, &reply, err, errlen) != 0)
        return -1;
    return take_results(r, results, detail, err, errlen);
}

/* Parses postqueue -j's lines; members we do not know are ignored. */
static int parse_listing(char *text, struct helper_listed **out, size_t *n, char *err,
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
            struct helper_listed *grown = realloc(*out, cap * sizeof(**out));
            if (grown == NULL) {
                json_object_put(obj);
                free(*out);
                *out = NULL;
                errbuf_set(err, errlen, "out of memory reading the queue listing");
                return -1;
            }
            *out = grown;
        }
        struct helper_listed *l = &(*out)[(*n)++];
        snprintf(l->queue_id, sizeof(l->queue_id), "%s", qid);
        snprintf(l->queue, sizeof(l->queue), "%s", qn);
        json_object_put(obj);
    }
    return 0;
}

/* Indexes L's entries by queue ID.  0, or -1 when out of memory. */
static int index_listing(struct helper_listing *l)
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

const char *helper_listing_queue(struct helper_listing *l, const char *qid)
{
    ENTRY e = {.key = (char *)qid}, *found = NULL;
    return l->indexed && hsearch_r(e, FIND, &found, &l->index) != 0 ? found->data : NULL;
}

void helper_listing_free(struct helper_listing *l)
{
    if (l->indexed)
        hdestroy_r(&l->index);
    free(l->entries);
    memset(l, 0, sizeof(*l));
}

int helper_list(int fd, struct helper_listing *out, char *err, size_t errlen)
{
    struct helper_reply *rep = &reply;
    memset(out, 0, sizeof(*out));
    if (ask(fd, new_request(HELPER_LIST), NULL, rep, err, errlen) != 0)
        return -1;
    if (rep->listing_len > HELPER_LISTING_MAX) {
        errbuf_set(err, errlen, "the root helper is out of step");
        return -1;
    }
    char *text = malloc((size_t)rep->listing_len + 1);
    if (text == NULL || fdio_read_exact(fd, text, rep->listing_len) != 0) {
        free(text);
        errbuf_set(err, errlen, "the root helper does not answer");
        return -1;
    }
    text[rep->listing_len] = '\0';
    int rc = 0;
    if (rep->result != HELPER_DONE) {
        errbuf_set(err, errlen, "%.*s", HELPER_DETAIL_SIZE - 1, rep->detail);
        rc = -1;
    } else if ((rc = parse_listing(text, &out->entries, &out->n, err, errlen)) == 0 &&
               (rc = index_listing(out)) != 0) {
        errbuf_set(err, errlen, "out of memory indexing %zu queued messages", out->n);
    }
    free(text);
    if (rc != 0)
        helper_listing_free(out);
    return rc;
}

int helper_submit(int fd, const char *const *rcpts, const char *const *messages, size_t n,
                  enum helper_result *results, char *detail, char *err, size_t errlen)
{
    struct helper_request *r = new_request(HELPER_SUBMIT);
    if (n > HELPER_MAX_NOTICES) {
        errbuf_set(err, errlen, "%zu notices at once: at most %d", n, HELPER_MAX_NOTICES);
        return -1;
    }
    r->nids = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(messages[i]);
        if (strlen(rcpts[i]) >= sizeof(r->notices[i].rcpt) || len > HELPER_MESSAGE_MAX) {
            errbuf_set(err, errlen, "notice %zu too large, or its recipient too long", i);
            return -1;
        }
        snprintf(r->notices[i].rcpt, sizeof(r->notices[i].rcpt), "%s", rcpts[i]);
        r->notices[i].len = (uint32_t)len;
    }
    if (ask(fd, r, messages, &reply, err, errlen) != 0)
        return -1;
    return take_results(r, results, detail, err, errlen);
}
