/*
 * normalize - see normalize.h.
 *
 * Most mail is ASCII or plain Japanese (kana, kanji, common punctuation),
 * which NFKC leaves as it is.  Those characters are copied; only the runs
 * around other characters go through utf8proc.  A run starts one character
 * early (that character may combine with what follows: e + U+0301, か +
 * U+3099) and ends before the next stable character: stable characters are
 * starters that never compose with what precedes them, so NFKC of the
 * pieces equals NFKC of the whole (normalize_test checks this against
 * utf8proc on random mixes).
 */
#include "normalize.h"

#include "ascii.h"
#include "buf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define NORMALIZE_OPTIONS                                                                \
    (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_IGNORE)

/* Characters NFKC maps to themselves and that never compose with a predecessor. */
static bool normalize_stable(utf8proc_int32_t cp)
{
    return (cp >= 0x20 && cp < 0x7f) || cp == '\t' || cp == '\n' || cp == '\r' ||
           (cp >= 0x3041 && cp <= 0x3096) || /* hiragana */
           (cp >= 0x30a1 && cp <= 0x30fa) || /* katakana */
           cp == 0x30fc ||                   /* prolonged sound mark */
           (cp >= 0x3001 && cp <= 0x3002) || /* 、。 */
           (cp >= 0x300c && cp <= 0x300f) || /* 「」『』 */
           (cp >= 0x4e00 && cp <= 0x9fff);   /* CJK unified ideographs */
}

/*
 * Control characters but TAB, LF and CR (C0, DEL, C1) become U+200B, a
 * default-ignorable character, so that UTF8PROC_IGNORE drops them with the
 * rest: mail clients show a NUL or a stray control as nothing, and it must
 * not split a keyword ("CONFI<NUL>DENTIAL").
 */
static utf8proc_int32_t normalize_control(utf8proc_int32_t cp, void *data)
{
    (void)data;
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
        (cp >= 0x7f && cp <= 0x9f))
        return 0x200b;
    return cp;
}

/* NFKC of one run through utf8proc.  0, -1 out of memory, -2 invalid UTF-8. */
static int normalize_slow(struct buf *b, const char *p, size_t n)
{
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t got =
        utf8proc_map_custom((const utf8proc_uint8_t *)p, (utf8proc_ssize_t)n, &out,
                            NORMALIZE_OPTIONS, normalize_control, NULL);
    if (got < 0)
        return got == UTF8PROC_ERROR_NOMEM ? -1 : -2;
    int rc = buf_append(b, (const char *)out, (size_t)got);
    free(out);
    return rc;
}

/* The code point at IN (LEFT bytes) in *CP; its length, or <= 0 if invalid. */
static utf8proc_ssize_t normalize_next(const char *in, size_t left, utf8proc_int32_t *cp)
{
    unsigned char c = (unsigned char)*in;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    return utf8proc_iterate((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)left, cp);
}

/* NFKC of IN; OWNED, when not NULL, is IN and becomes the result if nothing changes. */
static int normalize(const char *in, size_t len, char *owned, char **out, size_t *outlen)
{
    struct buf b = {0};
    size_t copied = 0; /* bytes before this are in B */
    size_t last = 0;   /* start of the last stable character not yet copied */
    size_t pos = 0;
    int rc = 0;

    while (pos < len && rc == 0) {
        size_t plain = ascii_printable_span(in + pos, len - pos);
        if (plain > 0) {
            pos += plain;
            last = pos - 1;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = normalize_next(in + pos, len - pos, &cp);
        if (n <= 0) {
            rc = -2;
            break;
        }
        if (normalize_stable(cp)) {
            last = pos;
            pos += (size_t)n;
            continue;
        }
        /* An unstable character: copy what came before, except the last
         * stable character, which may combine with it. */
        if (b.data == NULL &&
            buf_reserve(&b, len) != 0) { /* NFKC keeps about the length */
            rc = -1;
            break;
        }
        size_t run = last < pos && last >= copied ? last : pos;
        if (copied < run)
            rc = buf_append(&b, in + copied, run - copied);
        /* The run goes on to the next stable character. */
        size_t end = pos + (size_t)n;
        while (end < len && rc == 0) {
            utf8proc_int32_t next;
            utf8proc_ssize_t m = normalize_next(in + end, len - end, &next);
            if (m <= 0) {
                rc = -2;
                break;
            }
            if (normalize_stable(next))
                break;
            end += (size_t)m;
        }
        if (rc == 0)
            rc = normalize_slow(&b, in + run, end - run);
        copied = end;
        last = end;
        pos = end;
    }
    if (rc == 0 && copied == 0 && owned != NULL) {
        *out = owned; /* every character was stable: nothing to change */
        *outlen = len;
        return 0;
    }
    if (rc == 0 && (copied < len || b.data == NULL))
        rc = buf_append(&b, in + copied, len - copied);
    free(owned);
    if (rc != 0) {
        free(b.data);
        return rc;
    }
    *out = b.data;
    *outlen = b.len;
    return 0;
}

int normalize_text(const char *in, size_t len, char **out, size_t *outlen)
{
    return normalize(in, len, NULL, out, outlen);
}

int normalize_text_owned(char *in, size_t len, char **out, size_t *outlen)
{
    return normalize(in, len, in, out, outlen);
}
