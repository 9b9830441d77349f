/*
 * seed_held - fills a state directory with N held messages (as the milter
 * records them, hold_add) for bench/web, and writes the "send now" link
 * path of each to standard output: /n/NODE/hold/TOKEN, signed with the
 * key in KEYFILE, valid for a day.  Not installed.
 *
 * usage: seed_held STATE_DIR KEYFILE NODE N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hold.h"
#include "token.h"

/* A long Postfix queue ID made from the number I (valid: no vowels, a 'z'). */
static void queue_id(unsigned long i, char *out, size_t len)
{
    static const char digits[] = "0123456789BCDFGHJKLMNPQRSTVWXYbcdfghjkmnpqrstvwxy";
    char tail[16];
    size_t n = 0;
    do {
        tail[n++] = digits[i % (sizeof(digits) - 1)];
        i /= sizeof(digits) - 1;
    } while (i > 0 && n < sizeof(tail) - 1);
    tail[n] = '\0';
    snprintf(out, len, "4jdBnchMrkz%s", tail);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: seed_held STATE_DIR KEYFILE NODE N\n");
        return 2;
    }
    char err[1024];
    struct token_key key;
    if (token_key_load(argv[2], &key, err, sizeof(err)) != 0) {
        fprintf(stderr, "seed_held: %s\n", err);
        return 1;
    }
    struct store *st = store_open(argv[1], 1UL << 30, false, err, sizeof(err));
    if (st == NULL) {
        fprintf(stderr, "seed_held: %s\n", err);
        return 1;
    }
    unsigned long n = strtoul(argv[4], NULL, 10);
    time_t now = time(NULL);
    char *rcpts[] = {"partner@example.net", "colleague@corp.sendwatch.test"};
    const char *atts[] = {"見積書.xlsx", "plan.pdf"};
    struct store_txn *t = NULL;
    for (unsigned long i = 0; i < n; i++) {
        char qid[64], sender[64], subject[128];
        queue_id(i, qid, sizeof(qid));
        snprintf(sender, sizeof(sender), "user%lu@corp.sendwatch.test", i % 500);
        snprintf(subject, sizeof(subject), "お見積りの件 %lu <quote>", i);
        struct hold_message m = {.queue_id = qid,
                                 .sender = sender,
                                 .recipients = rcpts,
                                 .nrecipients = 2,
                                 .subject = subject,
                                 .size = 20000 + i,
                                 .attachments = atts,
                                 .nattachments = 2,
                                 .created = now - (time_t)(i % 600),
                                 .deadline = now + 3600 + (time_t)(i % 600),
                                 .notify = false};
        if (t == NULL && (t = store_begin(st, err, sizeof(err))) == NULL)
            break;
        if (hold_add(t, &m, err, sizeof(err)) != 0)
            break;
        if (i % 1000 == 999 || i + 1 == n) {
            if (store_commit(t, err, sizeof(err)) != 0) {
                t = NULL;
                break;
            }
            t = NULL;
        }
        struct token tok = {.expiry = now + 86400};
        snprintf(tok.node, sizeof(tok.node), "%s", argv[3]);
        snprintf(tok.queue_id, sizeof(tok.queue_id), "%s", qid);
        snprintf(tok.action, sizeof(tok.action), "release");
        char text[TOKEN_MAX];
        if (token_make(&key, &tok, text, sizeof(text)) != 0) {
            snprintf(err, sizeof(err), "cannot make a token for %s", qid);
            break;
        }
        printf("/n/%s/hold/%s\n", argv[3], text);
        err[0] = '\0';
    }
    if (t != NULL)
        store_abort(t);
    store_close(st);
    if (err[0] != '\0') {
        fprintf(stderr, "seed_held: %s\n", err);
        return 1;
    }
    return 0;
}
