/*
 * quarantine - stored copies of messages: the Maildir files and their index.
 *
 * quarantine_dir/FOLDER is a Maildir (tmp/, new/, cur/), so mutt, Dovecot
 * or a plain grep read it.  A copy is written to tmp/ under a unique name,
 * synced to disk, then renamed into new/: a reader never sees half a
 * message.  Files and folders are private to the run user (0600/0700).
 * The copy is the message as received, preceded by X-Sendwatch-* headers
 * that record the envelope and the rules (values made header-safe).
 *
 * Each copy has an index entry in LMDB ("quarantine"), a struct
 * quarantine_entry that only this module encodes and decodes.  Its key is
 * "YYYYMMDDTHHMMSSZ.QUEUE_ID.FOLDER.FILE" (UTC; at most 511 bytes, cut
 * there), so key order is time order, and two copies never share a key
 * (the Maildir name is unique).  Its value is a record (record module):
 * time (YYYY-MM-DDTHH:MM:SSZ), queue_id, folder, file, sender and subject,
 * all required, then one rcpt, rule, match and found line per value.  Readers
 * skip, and count, an entry of another record version (a newer sendwatch
 * wrote it) or one whose required fields are missing or unreadable: they
 * never guess and never crash on one.
 *
 * Ownership: quarantine_entry_put() borrows what it is given.  The entry
 * quarantine_entry_foreach() hands its callback, and every pointer in it,
 * belongs to this module and is valid only during that call (copy what
 * you keep, or keep the key and quarantine_entry_get() it later).
 * quarantine_entry_get() returns an entry the caller frees with
 * quarantine_entry_free().
 *
 * Thread-safe (so is the store).  Never logs: every function reports
 * errors by its return value and one line in the caller's ERR.
 */
#ifndef SENDWATCH_QUARANTINE_H
#define SENDWATCH_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "spool.h"
#include "store.h"

/*
 * Writes PREFIX (header lines, CRLF-ended, may be "") and then MESSAGE into
 * a new file of DIR/FOLDER.  On success returns 0 and the file's name
 * (not path) in NAME.  -1 with ERR otherwise (the partial file is removed).
 */
int quarantine_store(const char *dir, const char *folder, const char *prefix,
                     const struct spool *message, char *name, size_t namelen, char *err,
                     size_t errlen);

/* The index entry of one stored copy. */
struct quarantine_entry {
    const char *key; /* decoded entries: its LMDB key, the entry's id; put ignores it */
    time_t time;     /* when the copy was stored (whole seconds) */
    const char *queue_id; /* Postfix's queue ID, as the milter knew it */
    const char *folder;   /* the Maildir, quarantine_dir/FOLDER */
    const char *file;     /* the copy's file name in FOLDER/new */
    const char *sender;   /* the envelope sender; "" for a bounce */
    const char
        *subject; /* decoded, for display; "" when none; may hold any byte but NUL */
    const char *const *recipients; /* envelope recipients */
    size_t nrecipients;
    const char *const *rules; /* names of the rules that matched, in rule order */
    size_t nrules;
    const char *const *matches; /* one line per hit: "RULE FIELD: SNIPPET" */
    size_t nmatches;
    const char *const *found; /* per hit, the text that matched itself (for marking
                               * it); entries stored before it have none */
    size_t nfound;
    time_t delivered;         /* decoded: when an admin's delivery went out (0: none) */
    const char *delivered_by; /* decoded: who asked for it ("" when none) */
    time_t delivery_asked;    /* decoded: when a delivery was asked, not done yet (0) */
    time_t delivery_started;  /* decoded: handed to Postfix then, outcome unrecorded */
    bool withheld;            /* the original did not go to its recipients (a rule kept it
                               * back): only then may an admin deliver the copy */
};

/*
 * Writes the index entry E (every string but key required, arrays may be
 * empty) in one committed transaction, under the key its time, queue ID,
 * folder and file make.  0, or -1 with ERR (a field missing, out of
 * memory, a store error such as a full map).
 */
int quarantine_entry_put(struct store *st, const struct quarantine_entry *e, char *err,
                         size_t errlen);

/*
 * The entry under KEY (an entry's key field) into *OUT, for the caller to
 * free with quarantine_entry_free(): 1 found, 0 no such key, -1 with ERR (a
 * store error, out of memory, or an entry this version cannot read: ERR
 * says whether it is of another version or which field is missing).
 */
int quarantine_entry_get(struct store *st, const char *key, struct quarantine_entry **out,
                         char *err, size_t errlen);

/* Frees an entry from quarantine_entry_get() (NULL allowed); never one built by a caller.
 */
void quarantine_entry_free(struct quarantine_entry *e);

/*
 * Opens E's stored copy in DIR (quarantine_dir) for reading: FOLDER/new/FILE,
 * or FOLDER/cur/FILE:2,FLAGS once a mail client has seen it.  Names with '/' or a
 * leading '.' are refused, and no symlink is followed.  The descriptor,
 * or -1 with ERR.
 */
int quarantine_open_copy(const char *dir, const struct quarantine_entry *e, char *err,
                         size_t errlen);

/* Removes the index entry KEY in T (the caller's change, with its audit line). */
int quarantine_entry_del(struct store_txn *t, const char *key, char *err, size_t errlen);

/*
 * An admin's delivery of the copy KEY to its original recipients, asked
 * once per message (its queue ID, whichever of its copies): in T, notes it
 * asked at WHEN by BY.  0 asked now, 1 asked or delivered already
 * (nothing done), 2 the entry is gone, 3 the message was not kept back
 * (its original went: nothing done), -1 with ERR.
 */
int quarantine_entry_ask_delivery(struct store_txn *t, const char *key, time_t when,
                                  const char *by, char *err, size_t errlen);

/*
 * Notes in T how the delivery of KEY ended: SENT, at WHEN as BY asked (for
 * good); not sent (given up), the ask is taken back.  0, 1 when the entry
 * is gone, -1 with ERR.
 */
int quarantine_entry_delivered(struct store_txn *t, const char *key, time_t when,
                               const char *by, bool sent, char *err, size_t errlen);

/*
 * Notes in T that holdd hands KEY's copy to Postfix now (WHEN), before it
 * does: should its outcome never be recorded (a crash, a full map), the
 * next look finds this mark and does not send it again.  WHEN 0 removes it.
 */
int quarantine_entry_delivery_started(struct store_txn *t, const char *key, time_t when,
                                      char *err, size_t errlen);

/* Removes E's stored copy from DIR (after its entry is gone).  0, or -1 with ERR. */
int quarantine_remove_copy(const char *dir, const struct quarantine_entry *e, char *err,
                           size_t errlen);

/* The order quarantine_entry_foreach() walks in: key order, i.e. time order. */
enum quarantine_order {
    QUARANTINE_OLDEST_FIRST,
    QUARANTINE_NEWEST_FIRST, /* what a page listing recent copies wants */
};

/* What quarantine_entry_foreach() skipped, for the caller to report. */
struct quarantine_skipped {
    size_t version;    /* entries of another record version */
    size_t incomplete; /* entries with a required field (or the v= line) missing or
                          unreadable */
};

/*
 * Calls FN with every readable entry, decoded, in ORDER (FN returns
 * non-zero to stop early).  The entry is borrowed for the call (see
 * above).  All of it is read in one read transaction: one consistent
 * snapshot, which LMDB keeps alive while FN runs, so FN should be quick.
 * Unreadable entries are skipped and counted into *SKIPPED (zeroed first;
 * NULL when the caller does not care).  0 (also when FN stopped it), or -1
 * with ERR (a store error, out of memory).
 */
int quarantine_entry_foreach(struct store *st, enum quarantine_order order,
                             int (*fn)(void *ctx, const struct quarantine_entry *e),
                             void *ctx, struct quarantine_skipped *skipped, char *err,
                             size_t errlen);

#endif
