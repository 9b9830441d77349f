/*
 * queueid - strict check of Postfix queue IDs before any use.
 *
 * Short IDs (the default) are upper-case hex: five digits of microseconds
 * and the inode in hex.  Long IDs (enable_long_queue_ids = yes) are at
 * least ten characters of the time in Postfix's base-52 "safe" alphabet
 * (digits and consonants), the separator 'z', then the inode in base 51
 * (the same alphabet without 'z').  Anything else, including IDs longer
 * than QUEUEID_MAX, is refused.  Pure functions; thread-safe.
 */
#ifndef SENDWATCH_QUEUEID_H
#define SENDWATCH_QUEUEID_H

#include <stdbool.h>

#define QUEUEID_MAX 40 /* longest ID accepted, without the NUL */

enum queueid_kind {
    QUEUEID_INVALID = 0,
    QUEUEID_SHORT,
    QUEUEID_LONG,
};

enum queueid_kind queueid_classify(const char *id);

static inline bool queueid_valid(const char *id)
{
    return queueid_classify(id) != QUEUEID_INVALID;
}

#endif
