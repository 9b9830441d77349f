/* timefmt - see timefmt.h. */
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"

int timefmt_use_zone(const char *zone, char *err, size_t errlen)
{
    if (zone == NULL || zone[0] == '\0') {
        tzset();
        return 0;
    }
    /* config.c allows only names below the zone directory (no "..", no '/'
     * first); here we ask whether the file is there.  UTC needs no file. */
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo",
             zone);
    if (strcmp(zone, "UTC") != 0 && access(path, R_OK) != 0) {
        errbuf_set(err, errlen,
                   "time_zone %s: no such zone in %s (a tz database name such as "
                   "Asia/Tokyo; Debian's tzdata package has them)",
                   zone, dir && dir[0] ? dir : "/usr/share/zoneinfo");
        return -1;
    }
    char tz[80];
    snprintf(tz, sizeof(tz), ":%s", zone);
    if (setenv("TZ", tz, 1) != 0) {
        errbuf_set(err, errlen, "time_zone %s: out of memory", zone);
        return -1;
    }
    tzset();
    return 0;
}

/* T in the process's zone, with or without seconds, into BUF. */
static char *format(time_t t, int seconds, char *buf, size_t len)
{
    struct tm tm;
    if (len == 0)
        return buf;
    size_t n = 0;
    if (localtime_r(&t, &tm) != NULL)
        n = seconds ? strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm)
                    : strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm);
    if (n == 0)
        snprintf(buf, len, "@%lld", (long long)t);
    return buf;
}

char *timefmt_local(time_t t, char *buf, size_t len)
{
    return format(t, 1, buf, len);
}

char *timefmt_local_short(time_t t, char *buf, size_t len)
{
    return format(t, 0, buf, len);
}

char *timefmt_utc(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (len == 0)
        return buf;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "@%lld", (long long)t);
    return buf;
}
