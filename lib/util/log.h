/*
 * log - the daemons' logging: syslog with the mail facility, or standard
 * error in the foreground (tests, debugging).  Lines about one message
 * start with its Postfix queue ID so admins can grep ours with Postfix's.
 *
 * Only programs log; the rest of lib/ reports errors to its caller.  Values
 * that come from mail (addresses, subjects) must go through log_escape()
 * first.  Thread-safe: each line is written with one call.
 */
#ifndef SENDWATCH_LOG_H
#define SENDWATCH_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_target {
    LOG_TARGET_SYSLOG,
    LOG_TARGET_STDERR,
};

/* IDENT is copied.  Call once, before any thread starts. */
void log_open(const char *ident, enum log_target target);
void log_close(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A start-up problem (preflight.h's report): an error when FATAL, else a
 * warning.  CTX is unused. */
void log_problem(void *ctx, bool fatal, const char *text);

/*
 * Copies SRC (LEN bytes) into DST (DSTLEN bytes, always NUL-terminated) so
 * it is safe in one log line: control bytes, backslash, bytes that are not
 * valid UTF-8 and C1/bidi/line-separator characters become \xNN escapes;
 * printable ASCII and other valid UTF-8 stay as they are.  Output that does
 * not fit is cut at a character boundary and ends in "...".
 * Returns DST.
 */
char *log_escape(char *dst, size_t dstlen, const char *src, size_t len);

#endif
