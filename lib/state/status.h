/*
 * status - what a daemon reports of itself for the web to show: today the
 * milter's rules (status["rules"]): when they were last loaded, whether
 * that worked, which rules are in force, and the error when not.  A
 * failed reload keeps the rules in force and says so here.
 * Thread-safe (so is the store); never logs.
 */
#ifndef SENDWATCH_STATUS_H
#define SENDWATCH_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store.h"

struct rules_status {
    time_t time;              /* the last load or reload (tried) */
    bool ok;                  /* it worked */
    unsigned long rules;      /* rules in force (after a failure: the old ones) */
    time_t loaded;            /* when the rules in force were loaded */
    char dir[512];            /* rules_dir */
    char error[1024];         /* the failure's words; "" when ok */
    const char *const *names; /* the rules in force, in order (put: borrowed) */
    size_t nnames;
};

/* Records S.  0, or -1 with ERR. */
int status_rules_put(struct store *st, const struct rules_status *s, char *err,
                     size_t errlen);

/*
 * The last record into *S: 1 (free its names with status_rules_clear), 0
 * when none yet, -1 with ERR.
 */
int status_rules_get(struct store *st, struct rules_status *s, char *err, size_t errlen);
void status_rules_clear(struct rules_status *s);

/*
 * holdd's automatic bypass (status["bypass"]): whether holdd switched it
 * on, since when, and why.  An admin's own sendwatch-bypass is not
 * recorded here: holdd never switches off a bypass it did not switch on.
 */
struct bypass_status {
    bool on;                /* holdd switched the bypass on, and it is still on */
    time_t changed;         /* the last switch, either way */
    time_t unhealthy_since; /* when the milter stopped answering (0: answering) */
    char why[256];          /* the probe's last failure, when it was switched on */
};

/* Records S in its own transaction (T NULL) or in T.  0, or -1 with ERR. */
int status_bypass_put(struct store *st, struct store_txn *t,
                      const struct bypass_status *s, char *err, size_t errlen);

/* The record into *S: 1, 0 when none (all zero), -1 with ERR. */
int status_bypass_get(struct store *st, struct bypass_status *s, char *err,
                      size_t errlen);

#endif
