/* log - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <utf8proc.h>

static enum log_target log_target = LOG_TARGET_STDERR;
static char log_ident[64] = "sendwatch";

void log_open(const char *ident, enum log_target target)
{
    snprintf(log_ident, sizeof(log_ident), "%s", ident);
    log_target = target;
    if (target == LOG_TARGET_SYSLOG)
        openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_close(void)
{
    if (log_target == LOG_TARGET_SYSLOG)
        closelog();
}

static void log_emit(int priority, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void log_emit(int priority, const char *fmt, va_list ap)
{
    char line[4096];

    vsnprintf(line, sizeof(line), fmt, ap);
    if (log_target == LOG_TARGET_SYSLOG) {
        syslog(priority, "%s", line);
        return;
    }
    const char *level = priority == LOG_ERR       ? "error: "
                        : priority == LOG_WARNING ? "warning: "
                                                  : "";
    struct timespec now;
    struct tm tm;
    char stamp[32];
    clock_gettime(CLOCK_REALTIME, &now);
    /* UTC, said: a log is read beside Postfix's and other hosts' (time_zone
     * is for what people read in notices and pages). */
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf per line: stdio locks the stream, so threads don't interleave. */
    fprintf(stderr, "%s.%03ldZ %s: %s%s\n", stamp, now.tv_nsec / 1000000, log_ident,
            level, line);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(LOG_INFO, fmt, ap);
    va_end(ap);
}

void log_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(LOG_WARNING, fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(LOG_ERR, fmt, ap);
    va_end(ap);
}

/* Code points that could fake or hide text in a log line when shown. */
static bool log_unsafe_codepoint(utf8proc_int32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) ||     /* C1 controls */
           (cp >= 0x200e && cp <= 0x200f) || /* LRM, RLM */
           (cp >= 0x2028 && cp <= 0x202e) || /* line/paragraph separators, bidi */
           (cp >= 0x2066 && cp <= 0x2069);   /* bidi isolates */
}

char *log_escape(char *dst, size_t dstlen, const char *src, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t out = 0, in = 0;

    if (dstlen == 0)
        return dst;
    while (in < len) {
        const unsigned char c = (unsigned char)src[in];
        char piece[16];
        size_t plen, consumed;

        if (c >= 0x20 && c < 0x7f && c != '\\') {
            piece[0] = (char)c;
            plen = consumed = 1;
        } else if (c == '\\') {
            piece[0] = piece[1] = '\\';
            plen = 2;
            consumed = 1;
        } else {
            utf8proc_int32_t cp;
            utf8proc_ssize_t n =
                c >= 0x80 ? utf8proc_iterate((const utf8proc_uint8_t *)src + in,
                                             (utf8proc_ssize_t)(len - in), &cp)
                          : -1;
            if (n > 0 && !log_unsafe_codepoint(cp)) {
                memcpy(piece, src + in, (size_t)n);
                plen = consumed = (size_t)n;
            } else {
                /* Escape every byte of the bad or unsafe sequence. */
                consumed = n > 0 ? (size_t)n : 1;
                plen = 0;
                for (size_t i = 0; i < consumed; i++) {
                    unsigned char b = (unsigned char)src[in + i];
                    piece[plen++] = '\\';
                    piece[plen++] = 'x';
                    piece[plen++] = hex[b >> 4];
                    piece[plen++] = hex[b & 15];
                }
            }
        }
        if (out + plen + 1 > dstlen) {
            /* Cut here; make room for "..." if we can. */
            while (out > 0 && out + 4 > dstlen) {
                out--;
                while (out > 0 && ((unsigned char)dst[out] & 0xc0) == 0x80)
                    out--;
            }
            if (out + 4 <= dstlen) {
                memcpy(dst + out, "...", 3);
                out += 3;
            }
            break;
        }
        memcpy(dst + out, piece, plen);
        out += plen;
        in += consumed;
    }
    dst[out] = '\0';
    return dst;
}

void log_problem(void *ctx, bool fatal, const char *text)
{
    (void)ctx;
    if (fatal)
        log_error("%s", text);
    else
        log_warning("%s", text);
}
