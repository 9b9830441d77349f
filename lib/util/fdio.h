/*
 * fdio - whole reads and writes on a file descriptor, and the daemons' pid files.
 */
#ifndef SENDWATCH_FDIO_H
#define SENDWATCH_FDIO_H

#include <stddef.h>

/* Writes all LEN bytes of P to FD, retrying short writes and EINTR.
 * Returns 0, or -1 with errno set. */
int fdio_write_all(int fd, const void *p, size_t len);

/* Reads exactly LEN bytes from FD into P, retrying short reads and EINTR.
 * Returns 0, or -1 on an error or at end-of-file before LEN bytes. */
int fdio_read_exact(int fd, void *p, size_t len);

/* Writes this process's ID and a newline to PATH.  0, or -1 with errno set. */
int fdio_write_pidfile(const char *path);

#endif
