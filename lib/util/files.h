/*
 * files - the files a program loads (its config, rules, keyword lists,
 * notice templates), read in one place so that they can be read while the
 * program is still root and used after it has dropped its privileges.
 *
 * A struct files is a set of files and directory listings by path.  The
 * loaders (config_load_from, rules_load_from, notice_templates_load) read
 * through it: files_read() answers from the set when it holds the path,
 * and otherwise reads the disk and keeps what it read.  So a set filled by
 * a loader that ran as root holds every byte that loader needed; encoded
 * (files_encode) it crosses a pipe to a process that is not root, where
 * files_decode() makes a *sealed* set: it never touches the disk, and a
 * path it lacks is an error.  The same loader then runs on it and sees
 * exactly what root saw.  (That is how the milter reloads rules kept in a
 * directory only root can read: see loader.h.)
 *
 * Files are read whole, at most FILES_MAX_FILE bytes each and
 * FILES_MAX_TOTAL in all; their bytes are followed by a NUL that LEN does
 * not count.  Pointers returned are borrowed: valid until files_free().
 * Not thread-safe; never logs.  Errors: -1 with ERR ("PATH: why").
 */
#ifndef SENDWATCH_FILES_H
#define SENDWATCH_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define FILES_MAX_FILE  (64u * 1024 * 1024)
#define FILES_MAX_TOTAL (256u * 1024 * 1024)

struct files;

/* An empty set that reads the disk.  NULL only when out of memory. */
struct files *files_new(void);

/* Releases FS; NULL is allowed. */
void files_free(struct files *fs);

/*
 * GUARD(CTX, PATH, ERR, ERRLEN) is asked before FS reads a file or lists a
 * directory from disk: 0 lets it, -1 refuses with ERR.  (A daemon's files
 * are read as root: the guard refuses what run_user could have changed.)
 */
typedef int (*files_guard)(void *ctx, const char *path, char *err, size_t errlen);
void files_set_guard(struct files *fs, files_guard guard, void *ctx);

/* Whether FS is sealed (made by files_decode: never reads the disk). */
bool files_sealed(const struct files *fs);

/*
 * The bytes of the regular file PATH into *DATA and *LEN (borrowed,
 * NUL-terminated).  0, or -1 with ERR ("PATH: cannot open: ...").
 */
int files_read(struct files *fs, const char *path, const char **data, size_t *len,
               char *err, size_t errlen);

/*
 * The names in directory DIR that end with SUFFIX and do not start with a
 * dot, in byte order, into *NAMES (borrowed) and *N.  0, or -1 with ERR.
 */
int files_list(struct files *fs, const char *dir, const char *suffix,
               const char *const **names, size_t *n, char *err, size_t errlen);

/* Appends FS in its wire form to OUT.  0, or -1 when out of memory. */
int files_encode(const struct files *fs, struct buf *out);

/* A sealed set from the wire form in P.  NULL with ERR when malformed. */
struct files *files_decode(const void *p, size_t len, char *err, size_t errlen);

#endif
