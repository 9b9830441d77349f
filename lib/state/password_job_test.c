/*
 * Unit tests for password_job.c: a held message's password waits for the
 * release and goes with a delete; a job keeps the addressees not yet told.
 */
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
#include "password_job.h"

#include "test_store.h"

/* Seals QID's mail at 1000: held (a hold record with it) or not. */
static void add(const char *qid, bool held)
{
    char *rcpts[] = {"bob@partner.example", "carol@partner.example"};
    char *files[] = {"見積書.xlsx", "list.csv"};
    const char *to[] = {"alice@corp.example", "bob@partner.example"};
    struct password_job j = {.queue_id = qid,
                             .sender = "alice@corp.example",
                             .subject = "見積\r\nBcc: x",
                             .recipients = rcpts,
                             .nrecipients = 2,
                             .files = files,
                             .nfiles = 2,
                             .zip_name = "見積書.zip",
                             .password = "Xk7pQ2mR9tWz",
                             .to = to,
                             .nto = 2};
    struct hold_message m = {.queue_id = qid,
                             .sender = "alice@corp.example",
                             .recipients = rcpts,
                             .nrecipients = 2,
                             .subject = "見積",
                             .created = 1000,
                             .deadline = 1600};
    struct store_txn *t = store_begin(st, err, sizeof(err));
    assert_non_null(t);
    if (held)
        assert_int_equal(hold_add(t, &m, err, sizeof(err)), 0);
    assert_int_equal(password_job_add(t, &j, held, 1000, err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
}

/* Whether the outbox has KEY. */
static bool has(time_t when, const char *qid)
{
    char key[128], *v = NULL;
    size_t len;
    password_job_key(key, sizeof(key), when, qid);
    int rc = store_get(st, STORE_OUTBOX, key, &v, &len, err, sizeof(err));
    free(v);
    return rc == 1;
}

static void close_as(const char *qid, enum hold_state state, time_t when)
{
    struct store_txn *t = store_begin(st, err, sizeof(err));
    assert_int_equal(hold_close(t, qid, state, when, "test", err, sizeof(err)), 0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
}

static void test_follows_the_mail(void **state)
{
    (void)state;
    char qid[64];
    time_t when;
    add("4fAAAAAAAAAAAAA", true);
    add("4fBBBBBBBBBBBBB", true);
    add("4fCCCCCCCCCCCCC", false);
    /* Held: waiting; not held: due at once. */
    assert_true(has(PASSWORD_JOB_WAITING, "4fAAAAAAAAAAAAA"));
    assert_true(has(1000, "4fCCCCCCCCCCCCC"));
    /* Released: due at the release.  Deleted: gone. */
    close_as("4fAAAAAAAAAAAAA", HOLD_RELEASED, 1300);
    assert_false(has(PASSWORD_JOB_WAITING, "4fAAAAAAAAAAAAA"));
    assert_true(has(1300, "4fAAAAAAAAAAAAA"));
    close_as("4fBBBBBBBBBBBBB", HOLD_DELETED, 1300);
    assert_false(has(PASSWORD_JOB_WAITING, "4fBBBBBBBBBBBBB"));
    assert_false(has(1300, "4fBBBBBBBBBBBBB"));
    /* Keys parse back; a hold notice's key is no password job. */
    char key[128];
    password_job_key(key, sizeof(key), PASSWORD_JOB_WAITING, "4fAAAAAAAAAAAAA");
    assert_true(password_job_parse_key(key, &when, qid, sizeof(qid)));
    assert_true(when == PASSWORD_JOB_WAITING);
    assert_string_equal(qid, "4fAAAAAAAAAAAAA");
    hold_notice_job_key(key, sizeof(key), 5, "4fAAAAAAAAAAAAA");
    assert_false(password_job_parse_key(key, &when, qid, sizeof(qid)));
}

static void test_outcome_keeps_who_is_left(void **state)
{
    (void)state;
    char key[128];
    struct password_job_record r;
    long attempt;
    time_t wait;
    add("4fDDDDDDDDDDDDD", false);
    password_job_key(key, sizeof(key), 1000, "4fDDDDDDDDDDDDD");
    assert_int_equal(password_job_get(st, key, &r, err, sizeof(err)), 1);
    assert_string_equal(r.password, "Xk7pQ2mR9tWz");
    assert_string_equal(r.zip_name, "見積書.zip");
    assert_string_equal(r.subject, "見積\r\nBcc: x");
    assert_int_equal(r.nrecipients, 2);
    assert_int_equal(r.nfiles, 2);
    assert_string_equal(r.files[0], "見積書.xlsx");
    assert_int_equal(r.nto, 2);
    /* The sender got it, the recipient did not: the job keeps the recipient. */
    bool done[] = {true, false};
    struct store_txn *t = store_begin(st, err, sizeof(err));
    assert_int_equal(password_job_outcome(t, key, &r, done, 2000, "sendmail exit 75",
                                          &attempt, &wait, err, sizeof(err)),
                     0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    assert_int_equal(attempt, 1);
    assert_int_equal(wait, 5);
    password_job_record_clear(&r);
    assert_false(has(1000, "4fDDDDDDDDDDDDD"));
    password_job_key(key, sizeof(key), 2005, "4fDDDDDDDDDDDDD");
    assert_int_equal(password_job_get(st, key, &r, err, sizeof(err)), 1);
    assert_int_equal(r.nto, 1);
    assert_string_equal(r.to[0], "bob@partner.example");
    assert_int_equal(r.attempts, 1);
    /* Then it goes through: the job goes. */
    bool all[] = {true};
    t = store_begin(st, err, sizeof(err));
    assert_int_equal(password_job_outcome(t, key, &r, all, 2010, NULL, &attempt, &wait,
                                          err, sizeof(err)),
                     0);
    assert_int_equal(store_commit(t, err, sizeof(err)), 0);
    password_job_record_clear(&r);
    assert_null(r.password);
    assert_int_equal(password_job_get(st, key, &r, err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_the_mail),
        cmocka_unit_test(test_outcome_keeps_who_is_left),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
