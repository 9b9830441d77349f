/* normalize - see normalize.h. */
#include "normalize.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define NORMALIZE_OPTIONS                                                                \
    (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_IGNORE)

/* Bytes per piece: utf8proc needs about 8 bytes of scratch per code point. */
#define NORMALIZE_PIECE (64 * 1024)

/*
 * Where the piece starting at IN may end: at the first ASCII byte at or
 * after NORMALIZE_PIECE, preferring a line end.  ASCII characters are
 * starters that compose with nothing before them, so NFKC of the pieces
 * equals NFKC of the whole.
 */
static size_t normalize_cut(const char *in, size_t len)
{
    if (len <= NORMALIZE_PIECE)
        return len;
    const char *nl = memchr(in + NORMALIZE_PIECE, '\n', len - NORMALIZE_PIECE);
    if (nl != NULL && (size_t)(nl - in) < 4 * NORMALIZE_PIECE)
        return (size_t)(nl - in) + 1;
    for (size_t i = NORMALIZE_PIECE; i < len; i++)
        if (!((unsigned char)in[i] & 0x80))
            return i;
    return len;
}

int normalize_text(const char *in, size_t len, char **out, size_t *outlen)
{
    char *result = NULL;
    size_t used = 0, cap = 0, pos = 0;

    while (pos < len || result == NULL) {
        size_t n = normalize_cut(in + pos, len - pos);
        utf8proc_uint8_t *piece = NULL;
        utf8proc_ssize_t got =
            utf8proc_map((const utf8proc_uint8_t *)in + pos, (utf8proc_ssize_t)n, &piece,
                         NORMALIZE_OPTIONS);
        if (got < 0) {
            free(result);
            return got == UTF8PROC_ERROR_NOMEM ? -1 : -2;
        }
        if (used + (size_t)got + 1 > cap) {
            size_t want = cap ? cap : 256;
            while (want < used + (size_t)got + 1)
                want *= 2;
            char *grown = realloc(result, want);
            if (grown == NULL) {
                free(piece);
                free(result);
                return -1;
            }
            result = grown;
            cap = want;
        }
        memcpy(result + used, piece, (size_t)got);
        used += (size_t)got;
        result[used] = '\0';
        free(piece);
        pos += n;
        if (n == 0)
            break;
    }
    *out = result;
    *outlen = used;
    return 0;
}
