/*
 * callbacks - sendwatch-milter's libmilter callbacks and per-message state.
 *
 * Per connection a context is made at connect (or at the first command
 * when connect was skipped) and freed at close; per message the envelope,
 * the headers and the body are collected into a spool (memory, then a
 * private file past message_memory_limit).  At end-of-message the queue
 * ID (the "i" macro) is read and one line is logged per message.
 * Any per-message problem is logged and answered with a temporary failure:
 * the client retries and nothing passes unchecked.
 *
 * The config passed to callbacks_register() is borrowed and must outlive
 * smfi_main().
 */
#ifndef SENDWATCH_MILTER_CALLBACKS_H
#define SENDWATCH_MILTER_CALLBACKS_H

#include "config.h"

/* Registers the filter with libmilter.  Returns 0, or -1 (libmilter said no). */
int callbacks_register(const struct config *cfg);

#endif
