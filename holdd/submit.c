/*
 * submit - everything holdd hands to sendmail goes through here: each
 * message first gets the signed header (notice_mark.h) that lets it
 * through the milter uninspected when Postfix passes local submissions to
 * sendwatch as well (non_smtpd_milters), then goes to the root helper.
 * The notices' outcomes are counted for the metrics.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "holdd.h"
#include "log.h"
#include "metrics.h"
#include "notice_mark.h"
#include "service.h"

/* Whether LINE (in a header block) starts a NOTICE_MARK_HEADER field. */
static bool is_mark_line(const char *line, const char *end)
{
    size_t n = strlen(NOTICE_MARK_HEADER);
    return (size_t)(end - line) > n && strncasecmp(line, NOTICE_MARK_HEADER, n) == 0 &&
           (line[n] == ':' || line[n] == ' ' || line[n] == '\t');
}

/*
 * MESSAGE (LEN bytes) with the mark for the N RCPTS on top of its header,
 * malloc'ed (*OUTLEN bytes, NUL-terminated); NULL when the mark cannot be
 * made.  A mark already in the header (a stored copy of a message whose
 * client wrote one) is left out: the milter refuses a message with two.
 */
static char *marked(const struct holdd *h, const char *const *rcpts, size_t n,
                    const char *message, size_t len, size_t *outlen)
{
    /* The body: after the first empty line (CRLF or LF); none, if no such line. */
    const char *end = message + len, *body = end;
    for (const char *p = message; p < end; p++)
        if (*p == '\n' && p + 1 < end &&
            (p[1] == '\n' || (p[1] == '\r' && p + 2 < end && p[2] == '\n'))) {
            body = p + (p[1] == '\n' ? 2 : 3);
            break;
        }
    char mark[NOTICE_MARK_MAX];
    if (notice_mark_sign(&h->notice_key, time(NULL), rcpts, n, body, (size_t)(end - body),
                         mark) != 0)
        return NULL;
    const char *eol = memchr(message, '\n', len);
    bool crlf = eol != NULL && eol > message && eol[-1] == '\r';
    size_t head = strlen(NOTICE_MARK_HEADER) + 2 + strlen(mark) + (crlf ? 2 : 1);
    char *out = malloc(head + len + 1);
    if (out == NULL)
        return NULL;
    snprintf(out, head + 1, "%s: %s%s", NOTICE_MARK_HEADER, mark, crlf ? "\r\n" : "\n");
    size_t o = head;
    bool dropping = false;
    for (const char *line = message; line < body;) {
        const char *nl = memchr(line, '\n', (size_t)(body - line));
        const char *next = nl ? nl + 1 : body;
        bool continuation = *line == ' ' || *line == '\t';
        dropping = continuation ? dropping : is_mark_line(line, next);
        if (!dropping) {
            memcpy(out + o, line, (size_t)(next - line));
            o += (size_t)(next - line);
        }
        line = next;
    }
    memcpy(out + o, body, (size_t)(end - body));
    o += (size_t)(end - body);
    out[o] = '\0';
    *outlen = o;
    return out;
}

int holdd_submit(struct holdd *h, const char *const *rcpts, const char *const *messages,
                 size_t n, enum helper_result *results, char *detail, char *err,
                 size_t errlen)
{
    char *signed_messages[HELPER_MAX_NOTICES] = {NULL};
    int rc = -1;
    size_t k = 0;
    if (n > HELPER_MAX_NOTICES) {
        snprintf(err, errlen, "%zu notices at once (at most %d)", n, HELPER_MAX_NOTICES);
        return -1;
    }
    for (; k < n; k++) {
        size_t len;
        signed_messages[k] =
            marked(h, &rcpts[k], 1, messages[k], strlen(messages[k]), &len);
        if (signed_messages[k] == NULL) {
            snprintf(err, errlen, "cannot sign the notice (OpenSSL, or out of memory)");
            metrics_add(h->metrics, MC_NOTICES_FAILED, n); /* each is retried later */
            goto done;
        }
    }
    rc = helper_submit(h->helper, rcpts, (const char *const *)signed_messages, n, results,
                       detail, err, errlen);
    if (rc == 0)
        service_watchdog_ping(); /* a batch handed over: work moving */
    for (size_t i = 0; i < n; i++) {
        bool sent = rc == 0 && results[i] == HELPER_DONE;
        metrics_add(h->metrics, sent ? MC_NOTICES_SENT : MC_NOTICES_FAILED, 1);
    }
done:
    for (size_t i = 0; i < k; i++)
        free(signed_messages[i]);
    return rc;
}

int holdd_deliver(struct holdd *h, const char *sender, const char *const *rcpts, size_t n,
                  const char *message, size_t len, enum helper_result *result,
                  char *detail, char *err, size_t errlen)
{
    size_t signed_len;
    char *signed_message = marked(h, rcpts, n, message, len, &signed_len);
    /* Nothing handed over: a failure to retry (or refused), never "the
     * helper did not answer", which would mark it sent unconfirmed. */
    if (signed_message == NULL) {
        *result = HELPER_FAILED;
        snprintf(detail, HELPER_DETAIL_SIZE, "cannot sign the copy (out of memory?)");
        return 0;
    }
    if (signed_len > HELPER_DELIVER_MAX) {
        free(signed_message);
        *result = HELPER_REFUSED;
        snprintf(detail, HELPER_DETAIL_SIZE, "%zu bytes once signed (at most %u)",
                 signed_len, HELPER_DELIVER_MAX);
        return 0;
    }
    int rc = helper_deliver(h->helper, sender, rcpts, n, signed_message, signed_len,
                            result, detail, err, errlen);
    free(signed_message);
    return rc;
}
