/*
 * fuzz - what every libFuzzer target in fuzz/ shares: the entry points
 * libFuzzer calls, and FUZZ_CHECK for the properties a target asserts
 * beyond "no crash" (a failed one aborts, which libFuzzer reports as a
 * crash with the input saved).
 */
#ifndef SENDWATCH_FUZZ_H
#define SENDWATCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...)                                                            \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* True when the LEN bytes at S are valid UTF-8 (no overlong forms, no
 * surrogates, nothing past U+10FFFF): what every text we produce must be. */
static inline int fuzz_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;

    while (p < end) {
        unsigned c = *p++;
        size_t more;
        unsigned min, cp;
        if (c < 0x80)
            continue;
        if ((c & 0xe0) == 0xc0) {
            more = 1, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            more = 2, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            more = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if ((size_t)(end - p) < more)
            return 0;
        for (size_t i = 0; i < more; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        p += more;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    return 1;
}

#endif
