/* view_decode - see view_decode.h. */
#include "view_decode.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

size_t view_base64_step(const unsigned char *in, size_t len, unsigned char *out,
                        int *state, guint32 *save)
{
    const unsigned char *p = in, *end = in + len;
    unsigned char *o = out;

    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        const unsigned char *stop = nl ? nl + 1 : end;
        size_t line = (size_t)((nl ? nl : end) - p);
        if (line > 0 && p[line - 1] == '\r')
            line--;
        /* At a quantum's start, a whole line of quanta without '=' decodes the
         * same through OpenSSL's block decoder, twice as fast; anything else
         * (a pad, a stray character, a line cut by the read) is GMime's. */
        int got = -1;
        if (*state == 0 && nl != NULL && line > 0 && line % 4 == 0 && line <= INT_MAX &&
            memchr(p, '=', line) == NULL)
            got = EVP_DecodeBlock(o, p, (int)line);
        if (got >= 0)
            o += got;
        else
            o +=
                g_mime_encoding_base64_decode_step(p, (size_t)(stop - p), o, state, save);
        p = stop;
    }
    return (size_t)(o - out);
}

/* Feeds IN (LEN bytes) through STATE into OUT.  0, or -1 on a write error. */
static int decode_step(GMimeEncoding *state, const char *in, size_t len, GMimeStream *out)
{
    char buf[8192 + 16];
    while (len > 0) {
        size_t take = len < 8192 ? len : 8192;
        size_t n =
            state->encoding == GMIME_CONTENT_ENCODING_BASE64 && !state->encode
                ? view_base64_step((const unsigned char *)in, take, (unsigned char *)buf,
                                   &state->state, &state->save)
                : g_mime_encoding_step(state, in, take, buf);
        if (n > 0 && g_mime_stream_write(out, buf, n) != (ssize_t)n)
            return -1;
        in += take;
        len -= take;
    }
    return 0;
}

static bool is_base64_char(char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '/';
}

int view_decode(GMimeStream *raw, GMimeContentEncoding encoding, GMimeStream *out,
                bool *after_pad)
{
    GMimeEncoding state;
    char in[8192], tail[16];
    bool base64 = encoding == GMIME_CONTENT_ENCODING_BASE64, padded = false;
    ssize_t n;
    *after_pad = false;
    g_mime_encoding_init_decode(&state, encoding);
    if (g_mime_stream_reset(raw) != 0)
        return -1;
    while ((n = g_mime_stream_read(raw, in, sizeof(in))) > 0) {
        size_t start = 0, i = 0;
        while (base64 && i < (size_t)n) {
            if (!padded) { /* the common case: no pad before the very end */
                const char *pad = memchr(in + i, '=', (size_t)n - i);
                if (pad == NULL)
                    break;
                padded = true;
                i = (size_t)(pad - in) + 1;
                continue;
            }
            if (is_base64_char(in[i])) {
                /* Data after the pad: a fresh quantum, as lenient readers see it. */
                if (decode_step(&state, in + start, i - start, out) != 0)
                    return -1;
                g_mime_encoding_reset(&state);
                *after_pad = true;
                padded = false;
                start = i;
                continue;
            }
            i++;
        }
        if (decode_step(&state, in + start, (size_t)n - start, out) != 0)
            return -1;
    }
    /* A reading's stream (a GMimeStreamCat, view_readings.h) answers a read
     * at its end with -1, not 0: that is no error. */
    if (n < 0 && !g_mime_stream_eos(raw) &&
        !(raw->bound_end != -1 && raw->position >= raw->bound_end))
        return -1;
    size_t m = g_mime_encoding_flush(&state, "", 0, tail);
    return m > 0 && g_mime_stream_write(out, tail, m) != (ssize_t)m ? -1 : 0;
}

/* 7bit, 8bit, binary and unknown ones leave the bytes as they are. */
static bool is_identity(GMimeContentEncoding e)
{
    return e != GMIME_CONTENT_ENCODING_BASE64 &&
           e != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
           e != GMIME_CONTENT_ENCODING_UUENCODE;
}

bool view_decode_same(GMimeContentEncoding a, GMimeContentEncoding b)
{
    return a == b || (is_identity(a) && is_identity(b));
}

size_t view_decode_encodings(GMimeObject *obj, GMimeContentEncoding *encodings,
                             size_t max)
{
    GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
    int count = headers ? g_mime_header_list_get_count(headers) : 0;
    size_t n = 0;
    for (int i = 0; i < count && n < max; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
        if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Content-Transfer-Encoding") !=
            0)
            continue;
        const char *value = g_mime_header_get_value(h);
        GMimeContentEncoding e = g_mime_content_encoding_from_string(value ? value : "");
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            seen = seen || view_decode_same(encodings[j], e);
        if (!seen)
            encodings[n++] = e;
    }
    return n;
}

int view_unflow(const char *text, size_t len, bool delsp, char **unflowed, size_t *outlen)
{
    char *out = malloc(len + 1);
    size_t o = 0;
    bool flowed = false;
    *unflowed = NULL;
    if (out == NULL)
        return -1;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len, line = end;
        if (line > i && text[line - 1] == '\r')
            line--;
        size_t from = i;
        if (from < line && text[from] == ' ') /* space-stuffed */
            from++;
        /* A soft break: the line ends in a space, and is not the "-- " signature. */
        bool soft = line > from && text[line - 1] == ' ' &&
                    !(line - from == 3 && memcmp(text + from, "-- ", 3) == 0);
        size_t keep = soft && delsp ? line - 1 : line;
        memcpy(out + o, text + from, keep - from);
        o += keep - from;
        if (!soft && nl != NULL) {
            memcpy(out + o, text + line, end + 1 - line); /* the line end as it was */
            o += end + 1 - line;
        }
        flowed = flowed || (soft && nl != NULL);
        i = nl ? end + 1 : len;
    }
    if (!flowed) {
        free(out);
        return 0;
    }
    out[o] = '\0';
    *unflowed = out;
    *outlen = o;
    return 1;
}
