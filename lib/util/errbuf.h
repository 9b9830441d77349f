/*
 * errbuf - how lib/ reports errors: the caller passes a buffer, the
 * module writes one line into it (never logs, never exits).
 */
#ifndef SENDWATCH_ERRBUF_H
#define SENDWATCH_ERRBUF_H

#include <stddef.h>

/* printf into ERR (ERRLEN bytes, NUL-terminated); ERR may be NULL. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
