/*
 * quarantine - stored copies of messages, in Maildir folders.
 *
 * quarantine_dir/FOLDER is a Maildir (tmp/, new/, cur/), so mutt, Dovecot
 * or a plain grep read it.  A copy is written to tmp/ under a unique name,
 * synced to disk, then renamed into new/: a reader never sees half a
 * message.  Files and folders are private to the run user (0600/0700).
 * The copy is the message as received, preceded by X-Sendwatch-* headers
 * that record the envelope and the rules (values made header-safe).
 * Thread-safe.  Never logs.
 */
#ifndef SENDWATCH_QUARANTINE_H
#define SENDWATCH_QUARANTINE_H

#include <stddef.h>

#include "spool.h"

/*
 * Writes PREFIX (header lines, CRLF-ended, may be "") and then MESSAGE into
 * a new file of DIR/FOLDER.  On success returns 0 and the file's name
 * (not path) in NAME.  -1 with ERR otherwise (the partial file is removed).
 */
int quarantine_store(const char *dir, const char *folder, const char *prefix,
                     const struct spool *message, char *name, size_t namelen, char *err,
                     size_t errlen);

#endif
