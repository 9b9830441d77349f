/*
 * spool - holds one message's bytes while the milter receives it.
 *
 * Bytes stay in memory up to a limit; past it everything moves to an
 * anonymous file in a private directory (O_TMPFILE, mode 0600: no name, so
 * nothing is left behind if the process dies), and memory is given back.
 * A 50 MB message therefore costs at most the limit in RAM.
 *
 * Ownership: spool_new() returns a spool the caller frees with
 * spool_free().  Not thread-safe: one spool belongs to one message.
 * Errors (a full disk, say) come back as -1 with the reason in ERR; after
 * an error the spool keeps refusing writes until spool_reset().
 */
#ifndef SENDWATCH_SPOOL_H
#define SENDWATCH_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct spool;

/* TEMP_DIR is copied.  NULL when out of memory. */
struct spool *spool_new(size_t memory_limit, const char *temp_dir);
void spool_free(struct spool *sp);

/* Empties SP for the next message, keeping its allocation for reuse. */
void spool_reset(struct spool *sp);

/* Appends LEN bytes.  0 on success, -1 with ERR filled. */
int spool_write(struct spool *sp, const void *data, size_t len, char *err, size_t errlen);

/*
 * A hint that about BYTES will be written (an ESMTP SIZE, a part's encoded
 * length): memory for them is taken at once instead of doubling on the
 * way, or, past the limit, the spool goes straight to a file.  Best effort:
 * a wrong hint costs only speed.  0, or -1 with ERR filled when the spill
 * file cannot be made.
 */
int spool_expect(struct spool *sp, uint64_t bytes, char *err, size_t errlen);

/*
 * Hands over the bytes of a spool still in memory: a malloc'ed buffer of
 * *LEN bytes plus a NUL, which the caller frees; the spool is then empty.
 * NULL when the spool is in a file, failed, or out of memory.
 */
char *spool_take_memory(struct spool *sp, size_t *len);

/* Bytes written since the last reset. */
uint64_t spool_size(const struct spool *sp);

/* True once the message has moved to a file. */
bool spool_spilled(const struct spool *sp);

/*
 * Reads up to LEN bytes at OFFSET into BUF.  Returns the count (0 at the
 * end), or -1 with ERR filled.
 */
ssize_t spool_read_at(const struct spool *sp, uint64_t offset, void *buf, size_t len,
                      char *err, size_t errlen);

/*
 * Reads exactly LEN bytes at OFFSET into BUF.  Returns 0, or -1 with ERR
 * filled (a read error, or the spool ending first).
 */
int spool_read_full(const struct spool *sp, uint64_t offset, void *buf, size_t len,
                    char *err, size_t errlen);

/*
 * Appends the bytes of FROM between offsets START and END to TO.  Returns 0,
 * or -1 with ERR filled (a read error, the spool ending first, a write error).
 */
int spool_copy(const struct spool *from, uint64_t start, uint64_t end, struct spool *to,
               char *err, size_t errlen);

/* The same into the descriptor FD (a write error: ERR says errno's words). */
int spool_copy_to_fd(const struct spool *from, uint64_t start, uint64_t end, int fd,
                     char *err, size_t errlen);

#endif
