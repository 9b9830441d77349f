/* ascii - see ascii.h. */
#include "ascii.h"

#include <stdint.h>
#include <string.h>

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Any byte of W (with no byte >= 0x80) below LIMIT (at most 0x80)? */
static int has_below(uint64_t w, unsigned limit)
{
    return ((w - ONES * limit) & ~w & HIGHS) != 0;
}

size_t ascii_span(const char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & HIGHS)
            break;
    }
    while (i < n && !((unsigned char)p[i] & 0x80))
        i++;
    return i;
}

static int printable(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

size_t ascii_printable_span(const char *p, size_t n)
{
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        /* No high bit, nothing below 0x20, no DEL (0x7f ^ 0x7f == 0). */
        if (!(w & HIGHS) && !has_below(w, 0x20) && !has_below(w ^ (ONES * 0x7f), 1)) {
            i += 8;
            continue;
        }
        /* Line ends and tabs are common: look at this word byte by byte. */
        for (size_t end = i + 8; i < end; i++)
            if (!printable((unsigned char)p[i]))
                return i;
    }
    while (i < n && printable((unsigned char)p[i]))
        i++;
    return i;
}
