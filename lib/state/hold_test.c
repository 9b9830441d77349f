/* Unit tests for hold.c: typed hold records and requests, through a real LMDB store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hold.h"

#include "test_store.h"

static void add(const char *qid, time_t created)
{
    char *rcpts[] = {"bob@partner.example", "carol@corp.example"};
    const char *atts[] = {"見積書.xlsx"};
    struct hold_message m = {.queue_id = qid,
                             .sender = "alice@corp.example",
                             .recipients = rcpts,
                             .nrecipients = 2,
                             .subject = "plan\r\nBcc: x",
                             .size = 1234,
                             .attachments = atts,
                             .nattachments = 1,
                             .created = created,
                             .deadline = created + 600,
                             .notify = true};
    struct store_txn *t = store_begin(st, err, sizeof(err));
    assert_non_null(t);
    assert_int_equal(hold_add(t, &m, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
}

static int count(void *ctx, const struct hold_record *r)
{
    (void)r;
    ++*(size_t *)ctx;
    return 0;
}

static void test_record_round_trip(void **state)
{
    (void)state;
    add("4fRbNh1Cz5zJ4Mk", 1000);
    struct hold_record r;
    assert_int_equal(hold_get_stored(st, "4fRbNh1Cz5zJ4Mk", &r, err, sizeof(err)), 1);
    assert_string_equal(r.queue_id, "4fRbNh1Cz5zJ4Mk");
    assert_int_equal(r.state, HOLD_HELD);
    assert_string_equal(r.sender, "alice@corp.example");
    assert_string_equal(r.subject,
                        "plan\r\nBcc: x"); /* kept as it was, escaped on disk */
    assert_int_equal(r.nrecipients, 2);
    assert_string_equal(r.recipients[1], "carol@corp.example");
    assert_int_equal(r.nattachments, 1);
    assert_string_equal(r.attachments[0], "見積書.xlsx");
    assert_int_equal(r.size, 1234);
    assert_int_equal(r.created, 1000);
    assert_int_equal(r.deadline, 1600);
    assert_int_equal(r.due, 1600);
    assert_null(r.outcome);
    assert_int_equal(r.attempts, 0);
    hold_record_clear(&r);

    /* A failed attempt, then the close: typed state, reason, time. */
    struct store_txn *t = store_begin(st, err, sizeof(err));
    long attempt;
    time_t wait;
    assert_int_equal(hold_attempt_failed(t, "4fRbNh1Cz5zJ4Mk", 1700, HOLD_RELEASE, "",
                                         "postsuper: busy", &attempt, &wait, err,
                                         sizeof(err)),
                     0);
    assert_int_equal(attempt, 1);
    assert_int_equal(wait, 5);
    assert_int_equal(hold_close(t, "4fRbNh1Cz5zJ4Mk", HOLD_RELEASED, 1710, "deadline",
                                err, sizeof(err)),
                     0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    assert_int_equal(hold_get_stored(st, "4fRbNh1Cz5zJ4Mk", &r, err, sizeof(err)), 1);
    assert_int_equal(r.state, HOLD_RELEASED);
    assert_string_equal(r.outcome, "deadline");
    assert_int_equal(r.outcome_time, 1710);
    assert_int_equal(r.attempts, 1);
    hold_record_clear(&r);
    assert_int_equal(hold_get_stored(st, "4fRbNh1Cz5zJ4Mz", &r, err, sizeof(err)), 0);
}

/* A record of another version is skipped and counted; one without a state is unreadable.
 */
static void test_unreadable_records(void **state)
{
    (void)state;
    add("4fRbNh1Cz5zJ4Mm", 2000);
    assert_int_equal(store_put(st, STORE_HELD, "4fRbNh1Cz5zJ4Mn", "v=2\nstate=held\n", 16,
                               err, sizeof(err)),
                     0);
    assert_int_equal(store_put(st, STORE_HELD, "4fRbNh1Cz5zJ4Mp", "v=1\nqueue_id=x\n", 15,
                               err, sizeof(err)),
                     0);
    size_t n = 0, skipped = 0;
    assert_int_equal(hold_foreach(st, count, &n, &skipped, err, sizeof(err)), 0);
    assert_int_equal(skipped, 2);
    assert_true(n >= 1);
    struct hold_record r;
    assert_int_equal(hold_get_stored(st, "4fRbNh1Cz5zJ4Mn", &r, err, sizeof(err)), -1);
    assert_string_equal(err, "4fRbNh1Cz5zJ4Mn: a hold record this version cannot read");
}

struct seen {
    size_t good, malformed;
    struct hold_request last;
};

static int see(void *ctx, const struct hold_request *r, bool malformed)
{
    struct seen *s = ctx;
    if (malformed) {
        s->malformed++;
    } else {
        s->good++;
        s->last = *r;
    }
    return 0;
}

static void test_requests(void **state)
{
    (void)state;
    assert_int_equal(hold_request(st, "/nonexistent/holdd.sock", HOLD_RESCHEDULE,
                                  "4fRbNh1Cz5zJ4Mk", 4242, "web:alice@corp.example", err,
                                  sizeof(err)),
                     0);
    assert_int_equal(store_put(st, STORE_REQUESTS, "0000000000000001.bad",
                               "v=1\naction=explode\nqueue_id=4fRbNh1Cz5zJ4Mk\n", 43, err,
                               sizeof(err)),
                     0);
    struct seen s = {0};
    assert_int_equal(hold_requests_foreach(st, 100, see, &s, err, sizeof(err)), 0);
    assert_int_equal(s.good, 1);
    assert_int_equal(s.malformed, 1);
    assert_int_equal(s.last.action, HOLD_RESCHEDULE);
    assert_string_equal(s.last.queue_id, "4fRbNh1Cz5zJ4Mk");
    assert_int_equal(s.last.when, 4242);
    assert_string_equal(s.last.by, "web:alice@corp.example");
    /* MAX bounds the batch. */
    struct seen one = {0};
    assert_int_equal(hold_requests_foreach(st, 1, see, &one, err, sizeof(err)), 0);
    assert_int_equal(one.good + one.malformed, 1);
}

static void test_state_names(void **state)
{
    (void)state;
    enum hold_state s;
    for (int i = HOLD_HELD; i <= HOLD_GONE; i++) {
        assert_true(hold_state_parse(hold_state_name((enum hold_state)i), &s));
        assert_int_equal(s, i);
    }
    assert_false(hold_state_parse("Held", &s));
    assert_false(hold_state_parse(NULL, &s));
}

/* Due keys sort by deadline (LMDB walks them in order), and read back. */
static void test_due_keys(void **state)
{
    (void)state;
    char a[HOLD_DUE_KEY_MAX], b[HOLD_DUE_KEY_MAX], c[HOLD_DUE_KEY_MAX], qid[64];
    hold_due_key(a, sizeof(a), 999, "4jdZZZZZZZz1zzzz");
    hold_due_key(b, sizeof(b), 1000, "4jdAAAAAAAz1aaaa");
    hold_due_key(c, sizeof(c), 1796026760, "4jdDFx4sVjz1bgVs");
    assert_true(strcmp(a, b) < 0); /* the earlier deadline first, whatever the ID */
    assert_true(strcmp(b, c) < 0);
    time_t when = 0;
    assert_true(hold_parse_due_key(c, strlen(c), &when, qid, sizeof(qid)));
    assert_int_equal(when, 1796026760);
    assert_string_equal(qid, "4jdDFx4sVjz1bgVs");
    assert_false(hold_parse_due_key("zz", 2, &when, qid, sizeof(qid)));
    assert_false(hold_parse_due_key(c, strlen(c), &when, qid, 4)); /* no room: refused */
    /* Notice jobs likewise, due in order. */
    hold_notice_job_key(a, sizeof(a), 1000, "4jdZZZZZZZz1zzzz");
    hold_notice_job_key(b, sizeof(b), 1001, "4jdAAAAAAAz1aaaa");
    assert_true(strcmp(a, b) < 0);
    assert_true(hold_parse_notice_job_key(b, &when, qid, sizeof(qid)));
    assert_int_equal(when, 1001);
    assert_string_equal(qid, "4jdAAAAAAAz1aaaa");
    assert_false(
        hold_parse_notice_job_key("0000000000000001.x", &when, qid, sizeof(qid)));
}

/* A new hold's notice job waits HOLD_NOTICE_FIRST_LOOK for the queue file. */
static int find_job(void *ctx, const char *key, size_t key_len, const void *value,
                    size_t len)
{
    (void)value;
    (void)len;
    if (memmem(key, key_len, "4jdJobWait1z1aaa", 16) == NULL)
        return 0;
    snprintf(ctx, 128, "%.*s", (int)key_len, key);
    return 1;
}

static void test_notice_job_waits_for_the_queue_file(void **state)
{
    (void)state;
    char key[128] = "", qid[64];
    time_t when = 0;
    add("4jdJobWait1z1aaa", 5000);
    assert_int_equal(store_foreach(st, STORE_OUTBOX, find_job, key, err, sizeof(err)), 0);
    assert_true(hold_parse_notice_job_key(key, &when, qid, sizeof(qid)));
    assert_string_equal(qid, "4jdJobWait1z1aaa");
    assert_int_equal(when, 5000 + HOLD_NOTICE_FIRST_LOOK);
}

/* Failed attempts back off 5 s, doubling, to 300 s; the told deadline stays. */
static void test_backoff(void **state)
{
    (void)state;
    static const time_t want[] = {5, 10, 20, 40, 80, 160, 300, 300};
    add("4jdBackoffz1bbbb", 7000);
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
        long attempt = 0;
        time_t wait = 0;
        struct store_txn *t = store_begin(st, err, sizeof(err));
        assert_int_equal(hold_attempt_failed(t, "4jdBackoffz1bbbb", 8000, HOLD_DELETE,
                                             "cli:root", "postsuper said no", &attempt,
                                             &wait, err, sizeof(err)),
                         0);
        assert_int_equal(store_commit(t, err, sizeof(err)), 0);
        assert_int_equal(attempt, (long)i + 1);
        assert_int_equal(wait, want[i]);
    }
    struct hold_record r;
    assert_int_equal(hold_get_stored(st, "4jdBackoffz1bbbb", &r, err, sizeof(err)), 1);
    assert_int_equal(r.attempts, 8);
    assert_int_equal(r.deadline, 7600);  /* what the sender was told */
    assert_int_equal(r.due, 8000 + 300); /* the next try */
    assert_string_equal(r.outcome, "postsuper said no");
    assert_string_equal(r.retry, "delete"); /* retried as a delete, for its asker */
    assert_string_equal(r.retry_by, "cli:root");
    hold_record_clear(&r);
    /* Notices back off alike and keep the last error; a success is recorded. */
    char job[HOLD_DUE_KEY_MAX + 8];
    hold_notice_job_key(job, sizeof(job), 7000 + HOLD_NOTICE_FIRST_LOOK,
                        "4jdBackoffz1bbbb");
    for (size_t i = 0; i < 3; i++) {
        long attempt = 0;
        time_t wait = 0;
        struct store_txn *t = store_begin(st, err, sizeof(err));
        assert_int_equal(hold_notice_outcome(t, job, "4jdBackoffz1bbbb", 9000,
                                             "sendmail 75", &attempt, &wait, err,
                                             sizeof(err)),
                         0);
        assert_int_equal(store_commit(t, err, sizeof(err)), 0);
        assert_int_equal(attempt, (long)i + 1);
        assert_int_equal(wait, want[i]);
        hold_notice_job_key(job, sizeof(job), 9000 + wait, "4jdBackoffz1bbbb");
    }
    assert_int_equal(hold_get_stored(st, "4jdBackoffz1bbbb", &r, err, sizeof(err)), 1);
    assert_int_equal(r.notice_attempts, 3);
    assert_string_equal(r.notice_error, "sendmail 75");
    assert_int_equal(r.notice_retry, 9000 + 20);
    assert_int_equal(r.notice_sent, 0);
    hold_record_clear(&r);
    long attempt = 0;
    time_t wait = 0;
    struct store_txn *t = store_begin(st, err, sizeof(err));
    assert_int_equal(hold_notice_outcome(t, job, "4jdBackoffz1bbbb", 9100, NULL, &attempt,
                                         &wait, err, sizeof(err)),
                     0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    assert_int_equal(hold_get_stored(st, "4jdBackoffz1bbbb", &r, err, sizeof(err)), 1);
    assert_int_equal(r.notice_sent, 9100);
    hold_record_clear(&r);
}

struct count_for {
    const char *queue_id;
    size_t n;
};

static int count_request(void *ctx, const struct hold_request *r, bool malformed)
{
    struct count_for *c = ctx;
    c->n += !malformed && strcmp(r->queue_id, c->queue_id) == 0;
    return 0;
}

/* The web's release and delete: once per message, whoever asks again. */
static void test_request_once(void **state)
{
    (void)state;
    const char *qid = "4fRbNh1Cz5zJ4M9";
    add(qid, 1000);
    struct hold_record r;
    struct store_txn *t = store_begin(st, err, sizeof(err));
    assert_int_equal(hold_request_once(t, HOLD_RESCHEDULE, qid, "web:link", 1001, &r, err,
                                       sizeof(err)),
                     -1);
    assert_int_equal(
        hold_request_once(t, HOLD_RELEASE, qid, "web:link", 1001, &r, err, sizeof(err)),
        HOLD_ONCE_QUEUED);
    hold_record_clear(&r);
    /* a second ask in the same or a later transaction finds the mark */
    assert_int_equal(hold_request_once(t, HOLD_DELETE, qid, "web:user:alice", 1002, &r,
                                       err, sizeof(err)),
                     HOLD_ONCE_ASKED);
    assert_string_equal(r.requested, "release");
    assert_string_equal(r.requested_by, "web:link");
    assert_int_equal(r.requested_time, 1001);
    hold_record_clear(&r);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    /* exactly one request queued, and the due entry kept (holdd still owns the deadline)
     */
    struct count_for c = {qid, 0};
    assert_int_equal(hold_requests_foreach(st, 100, count_request, &c, err, sizeof(err)),
                     0);
    assert_int_equal(c.n, 1);
    assert_int_equal(hold_get_stored(st, qid, &r, err, sizeof(err)), 1);
    assert_int_equal(r.due, 1600);
    assert_int_equal(r.state, HOLD_HELD);
    hold_record_clear(&r);
    /* closed: nothing to ask; unknown: said */
    t = store_begin(st, err, sizeof(err));
    assert_int_equal(
        hold_close(t, qid, HOLD_RELEASED, 1003, "requested", err, sizeof(err)), 0);
    assert_int_equal(
        hold_request_once(t, HOLD_DELETE, qid, "x", 1004, &r, err, sizeof(err)),
        HOLD_ONCE_CLOSED);
    hold_record_clear(&r);
    assert_int_equal(hold_request_once(t, HOLD_DELETE, "4fRbNh1Cz5zJ4M8", "x", 1004, &r,
                                       err, sizeof(err)),
                     HOLD_ONCE_UNKNOWN);
    store_abort(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_round_trip),
        cmocka_unit_test(test_unreadable_records),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_due_keys),
        cmocka_unit_test(test_notice_job_waits_for_the_queue_file),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_request_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
