/* helper_checks - see helper_checks.h. */
#include "helper_checks.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errbuf.h"
#include "marker.h"
#include "parse.h"
#include "queueid.h"

bool helper_check_ids(const struct helper_request *r, char *why, size_t whylen)
{
    if (r->nids > HELPER_MAX_IDS) {
        errbuf_set(why, whylen, "%u queue IDs: at most %d", r->nids, HELPER_MAX_IDS);
        return false;
    }
    for (uint32_t i = 0; i < r->nids; i++) {
        const char *id = r->ids[i];
        if (memchr(id, '\0', HELPER_ID_SIZE) == NULL ||
            queueid_classify(id) != QUEUEID_LONG) {
            errbuf_set(why, whylen, "queue ID %u is not a long Postfix queue ID", i);
            return false;
        }
    }
    return true;
}

bool helper_check_sizes(const struct helper_request *r, size_t *total)
{
    if (r->op == HELPER_DELIVER) {
        *total = r->delivery.len;
        return r->delivery.len <= HELPER_DELIVER_MAX;
    }
    bool ok = r->op != HELPER_SUBMIT || r->nids <= HELPER_MAX_NOTICES;
    *total = 0;
    for (uint32_t i = 0; r->op == HELPER_SUBMIT && ok && i < r->nids; i++) {
        ok = r->notices[i].len <= HELPER_MESSAGE_MAX;
        *total += r->notices[i].len;
    }
    return ok;
}

bool helper_check_notice(const char *rcpt, const char *message, size_t len, char *why,
                         size_t whylen)
{
    char bad[200] = "";
    if (memchr(rcpt, '\0', HELPER_ADDR_SIZE) == NULL) {
        errbuf_set(why, whylen, "recipient refused: not NUL-terminated");
        return false;
    }
    if (parse_addr_spec(rcpt, 0, bad, sizeof(bad)) != 0) {
        errbuf_set(why, whylen, "recipient refused: %s", bad);
        return false;
    }
    if (len == 0 || len > HELPER_MESSAGE_MAX || memchr(message, '\0', len) != NULL) {
        errbuf_set(why, whylen, "a notice is 1 to %d bytes of text", HELPER_MESSAGE_MAX);
        return false;
    }
    const char *blank = memmem(message, len, "\n\n", 2); /* ends the header block */
    size_t head = blank ? (size_t)(blank - message) + 1 : 0;
    static const char needle[] = "auto-submitted: auto-generated\n";
    for (size_t i = 0; head > 0 && i + sizeof(needle) - 1 <= head; i++)
        if ((i == 0 || message[i - 1] == '\n') &&
            strncasecmp(message + i, needle, sizeof(needle) - 1) == 0)
            return true;
    errbuf_set(why, whylen, "not a notice: no Auto-Submitted: auto-generated header");
    return false;
}

bool helper_report_moved(const char *report, const char *id, bool release)
{
    char said[HELPER_ID_SIZE + 64];
    snprintf(said, sizeof(said), "postsuper: %s: %s\n", id,
             release ? "released from hold" : "removed");
    for (const char *p = report; p != NULL && *p;) {
        if (strncmp(p, said, strlen(said)) == 0)
            return true;
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return false;
}

bool helper_headers_marked(const char *headers, const char *id)
{
    size_t mlen = strlen(MARKER_HEADER), idlen = strlen(id);
    for (const char *p = headers; p != NULL && *p;) {
        if (strncasecmp(p, MARKER_HEADER, mlen) == 0 && p[mlen] == ':') {
            const char *v = p + mlen + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            if (strncmp(v, id, idlen) == 0 && (v[idlen] == '\n' || v[idlen] == '\0'))
                return true;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return false;
}

bool helper_hold_path(const char *id, long depth, char *path, size_t len)
{
    /* Postfix's mail_queue_dir(): a long ID's subdirectories are named by
     * the hex digits of its microseconds - the 4 base-52 characters before
     * the last 'z' - one per level, '_' past the fifth. */
    static const char digits[] = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
    const char *z = strrchr(id, 'z');
    char hex[8], *p = path;
    unsigned long usec = 0;
    if (queueid_classify(id) != QUEUEID_LONG || z == NULL || z - id < 10 ||
        len < (size_t)depth * 2 + strlen(id) + 1)
        return false;
    for (const char *c = z - 4; c < z; c++)
        usec = usec * 52 + (unsigned long)(strchr(digits, *c) - digits);
    snprintf(hex, sizeof(hex), "%05lX", usec);
    for (long i = 0; i < depth; i++) {
        *p++ = i < 5 ? hex[i] : '_';
        *p++ = '/';
    }
    strcpy(p, id);
    return true;
}

bool helper_check_delivery(const struct helper_delivery *d, const char *message,
                           char *why, size_t whylen)
{
    char bad[200] = "";
    if (memchr(d->sender, '\0', HELPER_ADDR_SIZE) == NULL ||
        (d->sender[0] != '\0' && parse_addr_spec(d->sender, 0, bad, sizeof(bad)) != 0)) {
        errbuf_set(why, whylen, "sender refused");
        return false;
    }
    if (d->nrcpts < 1 || d->nrcpts > HELPER_DELIVER_RCPTS) {
        errbuf_set(why, whylen, "1 to %d recipients", HELPER_DELIVER_RCPTS);
        return false;
    }
    for (uint32_t i = 0; i < d->nrcpts; i++) {
        if (memchr(d->rcpts[i], '\0', HELPER_ADDR_SIZE) == NULL) {
            errbuf_set(why, whylen, "recipient %u refused: not NUL-terminated", i);
            return false;
        }
        if (parse_addr_spec(d->rcpts[i], 0, bad, sizeof(bad)) != 0) {
            errbuf_set(why, whylen, "recipient %u refused: %s", i, bad);
            return false;
        }
    }
    if (d->len == 0 || d->len > HELPER_DELIVER_MAX ||
        memchr(message, '\0', d->len) != NULL ||
        (memmem(message, d->len, "\n\n", 2) == NULL &&
         memmem(message, d->len, "\r\n\r\n", 4) == NULL)) {
        errbuf_set(why, whylen,
                   "not a message: 1 to %u bytes of text with a header block",
                   HELPER_DELIVER_MAX);
        return false;
    }
    return true;
}
