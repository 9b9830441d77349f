/*
 * command - runs another program with an argument vector (never a shell)
 * and a fixed environment, and collects what it prints.
 *
 * The program's standard input, output and error are memory files, not
 * pipes: nothing has to be pumped while it runs, so several can run at
 * once (command_start, then command_finish for each) and none can block
 * on a full pipe.  The output kept is cut at a limit, but what the program
 * writes is not: run only programs whose output is bounded.  Thread-safe;
 * never logs.
 */
#ifndef SENDWATCH_COMMAND_H
#define SENDWATCH_COMMAND_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* The environment every command gets: a fixed PATH, the C locale. */
extern char *const command_env[];

/* A program started by command_start. */
struct command {
    pid_t pid;     /* -1: it did not start */
    int io[3];     /* its standard input, output, error: memory files (-1: none) */
    char why[160]; /* why it did not start */
};

/*
 * Starts ARGV (ARGV[0] an absolute path) with INPUT (LEN bytes) as its
 * standard input, into *C.  Whether or not it started, command_finish(C)
 * must follow.
 */
void command_start(struct command *c, char *const argv[], const char *input, size_t len);

/*
 * Waits for C to end and collects its standard output into OUT and its
 * standard error into ERROUT (either may be NULL: dropped), each cut at
 * LIMIT bytes; frees C's files.  Returns the exit status (0..255), or -1
 * with ERR when it could not be run, was killed by a signal, or its output
 * could not be read.
 */
int command_finish(struct command *c, struct buf *out, struct buf *errout, size_t limit,
                   char *err, size_t errlen);

/* command_start and command_finish in one: runs ARGV to its end. */
int command_run(char *const argv[], const char *input, size_t len, struct buf *out,
                struct buf *errout, size_t limit, char *err, size_t errlen);

#endif
