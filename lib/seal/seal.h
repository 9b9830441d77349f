/*
 * seal - one password-protected zip made of a message's attachments:
 * WinZip AES-256 (AE-2) or ZipCrypto entries, each with its original name
 * and modification time, deflated or stored as the caller says.
 *
 * libzip (Debian's, built with OpenSSL) writes the zip format and does
 * the cryptography: AES, PBKDF2 and HMAC-SHA1 for WinZip AES, the
 * PKWARE cipher for ZipCrypto.  Nothing of either is written here.  It
 * was chosen over libarchive after measuring both (bench/zip-speed):
 * Debian's libarchive sets the AES key again for every 16-byte block
 * (nettle) and cannot change between store and deflate from one entry to
 * the next.
 *
 * Names are written in UTF-8 with the zip's UTF-8 flag (bit 11), or in
 * CP932 without it for the Japanese Windows Explorer of before Windows 10
 * 1903, which ignores the flag and shows UTF-8 as garbage.  A name with a
 * character CP932 lacks (an emoji, say) is written in UTF-8 with the flag
 * even then, and counted (seal_names_kept_utf8()); so is a name whose CP932
 * bytes happen to read as UTF-8, which libzip will not write unflagged.
 *
 * The file data is read from the caller's spools when the zip is written
 * (seal_finish()), 64 KB at a time: nothing is held whole in memory.  The
 * zip is written to a file in TEMP_DIR (libzip writes a file by name and
 * renames it into place), which is opened and unlinked at once: the caller
 * gets a descriptor, and nothing is left behind.
 *
 * Not thread-safe: one seal belongs to one message.  Nothing is logged;
 * the password is never kept past seal_finish() or seal_free().
 */
#ifndef SENDWATCH_SEAL_H
#define SENDWATCH_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "spool.h"

enum seal_method {
    SEAL_AES256,    /* WinZip AES-256, AE-2: the default */
    SEAL_ZIPCRYPTO, /* traditional PKWARE encryption: weak, for old Explorer */
};

enum seal_names {
    SEAL_NAMES_UTF8,  /* UTF-8 with the UTF-8 flag: the default */
    SEAL_NAMES_CP932, /* CP932 (Shift_JIS) without the flag */
};

struct seal;

/*
 * A new zip under PASSWORD (copied), to be made in TEMP_DIR (a private
 * directory).  NULL with ERR filled when out of memory or when the file
 * cannot be created.
 */
struct seal *seal_new(enum seal_method method, enum seal_names names,
                      const char *password, const char *temp_dir, char *err,
                      size_t errlen);

/*
 * Adds a file named NAME (UTF-8, as decoded from the message), modified at
 * MTIME, whose bytes are DATA.  DATA is read by seal_finish() and must
 * stay alive and unchanged until then.  COMPRESS: deflate it (text and
 * other formats that shrink), else store it (see seal_worth_compressing()).
 * Returns 0, or -1 with ERR filled (an empty or invalid name, a name the
 * zip already holds, out of memory).
 */
int seal_add(struct seal *s, const char *name, time_t mtime, const struct spool *data,
             bool compress, char *err, size_t errlen);

/*
 * Writes the zip (of at least one file).  Returns 0 with *FD an open read-only descriptor
 * of it (positioned at 0; the file has no name any more; the caller closes it) and *SIZE
 * its length; -1 with ERR filled (a full disk, a read error from a spool, a libzip
 * error).  Either way the seal is done: only seal_free() may follow.
 */
int seal_finish(struct seal *s, int *fd, uint64_t *size, char *err, size_t errlen);

/*
 * Calls FN(CTX) while seal_finish() writes the zip, at every hundredth of
 * the work and at least once: long work can tell whoever waits that it is
 * alive (the milter's smfi_progress).  Before seal_finish().
 */
void seal_set_progress(struct seal *s, void (*fn)(void *ctx), void *ctx);

/* How many names seal_add() wrote in UTF-8 when CP932 was asked for. */
size_t seal_names_kept_utf8(const struct seal *s);

/* Ends S (NULL allowed), removing its file if seal_finish() did not run. */
void seal_free(struct seal *s);

/*
 * Whether a file named NAME is worth deflating: false for formats that are
 * compressed already (zip-based office documents, PDF, images, audio,
 * video, archives), true for the rest (text, CSV, old binary Office).
 */
bool seal_worth_compressing(const char *name);

#endif
