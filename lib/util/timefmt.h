/*
 * timefmt - times as people read them: in the site's zone (time_zone), with
 * the zone named ("2026-11-30 13:21:28 JST").  What is stored, logged for
 * machines or printed as JSON stays UTC (timefmt_utc).
 *
 * timefmt_use_zone() sets the process's zone (TZ) once, at start, before
 * any thread: localtime_r() reads it from then on.  A zone that does not
 * exist would make the C library fall back to UTC without a word, so it is
 * looked up first and refused with a clear error.
 */
#ifndef SENDWATCH_TIMEFMT_H
#define SENDWATCH_TIMEFMT_H

#include <stddef.h>
#include <time.h>

#define TIMEFMT_MAX 48 /* room for either form with its NUL */

/*
 * Makes ZONE (a tz database name such as "Asia/Tokyo"; "" or NULL: the
 * system's, left as it is) the zone of every local time from now on.
 * 0, or -1 with ERR ("time_zone Asia/Tokio: no such zone in
 * /usr/share/zoneinfo").
 */
int timefmt_use_zone(const char *zone, char *err, size_t errlen);

/* T in the process's zone, "YYYY-MM-DD HH:MM:SS ZONE", into BUF; returns BUF. */
char *timefmt_local(time_t t, char *buf, size_t len);

/* The same without seconds ("YYYY-MM-DD HH:MM ZONE"), for lists. */
char *timefmt_local_short(time_t t, char *buf, size_t len);

/* T as UTC, "YYYY-MM-DDTHH:MM:SSZ", into BUF; returns BUF. */
char *timefmt_utc(time_t t, char *buf, size_t len);

#endif
