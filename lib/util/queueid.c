/* queueid - see queueid.h. */
#include "queueid.h"

#include <string.h>

/* Postfix's safe_ultostr() alphabet: no vowels, so IDs spell no words. */
static bool queueid_safe_char(char c, bool allow_z)
{
    if (c >= '0' && c <= '9')
        return true;
    if (c == 'z')
        return allow_z;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'y'))
        return strchr("AEIOUaeiou", c) == NULL;
    return false;
}

static bool queueid_short(const char *id, size_t len)
{
    /* 5 hex digits of microseconds plus at least one of inode. */
    if (len < 6 || len > 24)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'A' && id[i] <= 'F')))
            return false;
    return true;
}

static bool queueid_long(const char *id, size_t len)
{
    const char *sep = strrchr(id, 'z');
    size_t time_len;

    if (sep == NULL || sep[1] == '\0')
        return false;
    time_len = (size_t)(sep - id);
    if (time_len < 10)
        return false;
    for (size_t i = 0; i < time_len; i++)
        if (!queueid_safe_char(id[i], true))
            return false;
    for (size_t i = time_len + 1; i < len; i++)
        if (!queueid_safe_char(id[i], false))
            return false;
    return true;
}

enum queueid_kind queueid_classify(const char *id)
{
    size_t len;

    if (id == NULL)
        return QUEUEID_INVALID;
    len = strnlen(id, QUEUEID_MAX + 1);
    if (len == 0 || len > QUEUEID_MAX)
        return QUEUEID_INVALID;
    if (queueid_short(id, len))
        return QUEUEID_SHORT;
    if (queueid_long(id, len))
        return QUEUEID_LONG;
    return QUEUEID_INVALID;
}
