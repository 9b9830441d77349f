/* view_probe - see view_probe.h. */
#include "view_probe.h"

#include <stdlib.h>
#include <string.h>

#include "extract.h"

/* The base64 characters that only a zip signature at byte offset 0, 1 or 2 of a group
 * makes. */
struct zip_needle {
    char chars[8];
    size_t len;
};
static struct zip_needle zip_needles[6];
static bool b64_chars[256]; /* the base64 alphabet, filled by view_init() */

static void view_make_zip_needles(void)
{
    static const char *const signatures[] = {"PK\x03\x04", "PK\x05\x06"};
    size_t k = 0;
    for (size_t s = 0; s < 2; s++)
        for (size_t phase = 0; phase < 3; phase++) {
            unsigned char bytes[9] = {0}, encoded[32];
            int state = 0;
            guint32 save = 0;
            memcpy(bytes + phase, signatures[s], 4);
            g_mime_encoding_base64_encode_close(bytes, 9, encoded, &state, &save);
            /* Character j holds bits 6j..6j+5; the signature bits 8*phase..8*phase+31. */
            struct zip_needle *n = &zip_needles[k++];
            for (size_t j = 0; j < 12; j++)
                if (6 * j >= 8 * phase && 6 * j + 6 <= 8 * phase + 32)
                    n->chars[n->len++] = (char)encoded[j];
        }
}

/*
 * PDFs and images need not be decoded to be inspected: sendwatch
 * reads no text out of them, and what libarchive could find in one is
 * either at its start or, for a zip, in its last 64 KB (the end record).
 * So a base64 part of PROBE_MIN bytes or more is read only at its two ends:
 *  - the head (about 64 KB decoded) must be what the type says (%PDF-,
 *    PNG, JPEG, GIF) and must not open as an archive (a tar whose first
 *    file is named "%PDF-", an ISO image, uuencode...);
 *  - the tail (about 70 KB decoded) must hold no zip signature, whatever
 *    the alignment: GMime skips stray non-base64 bytes, so one in the
 *    middle would shift the tail's 6-bit groups.  The signatures are
 *    looked for in their encoded form, at every character offset: a
 *    signature starting at byte 0, 1 or 2 of a 3-byte group encodes to 4
 *    or 5 characters that depend on it alone (GMime's encoder makes them
 *    once, in view_init()).  A chance hit only costs a full decode;
 *  - the lines must be uniform, as every mail client writes base64, which
 *    gives the decoded size without decoding (a stray byte in the middle
 *    makes it off by one or two: the size is for display only).
 * Anything else is decoded in full and looked into.
 */
#define PROBE_MIN  (192 * 1024) /* no less than PROBE_HEAD + PROBE_TAIL */
#define PROBE_HEAD (88 * 1024)
#define PROBE_TAIL (96 * 1024)

static bool view_b64_char(unsigned char c)
{
    return b64_chars[c];
}

/*
 * Reads LEN bytes at OFFSET of STREAM (from its start: GMime's seek takes
 * positions in the parent stream, so a substream's start is added) into
 * BUF; returns the count read.
 */
static size_t view_read_at(GMimeStream *stream, gint64 offset, char *buf, size_t len)
{
    size_t got = 0;
    g_mime_stream_reset(stream);
    gint64 start = g_mime_stream_tell(stream);
    if (start < 0 || g_mime_stream_seek(stream, start + offset, GMIME_STREAM_SEEK_SET) !=
                         start + offset)
        return 0;
    while (got < len) {
        ssize_t n = g_mime_stream_read(stream, buf + got, len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* Decodes the base64 of RAW (LEN bytes, line ends allowed); g_malloc'ed result. */
static unsigned char *view_b64_decode(const char *raw, size_t len, size_t *outlen)
{
    int state = 0;
    guint32 save = 0;
    unsigned char *out = g_malloc(len * 3 / 4 + 4);
    *outlen = g_mime_encoding_base64_decode_step((const unsigned char *)raw, len, out,
                                                 &state, &save);
    return out;
}

/* Could the base64 characters CHARS hold a zip signature, at any alignment? */
static bool view_tail_has_zip(const char *chars, size_t n)
{
    for (size_t k = 0; k < sizeof(zip_needles) / sizeof(*zip_needles); k++)
        if (memmem(chars, n, zip_needles[k].chars, zip_needles[k].len) != NULL)
            return true;
    return false;
}

/*
 * Reads the two ends of a base64 part.  True when the lines are uniform;
 * then *SIZE is the decoded size, *HEAD_OUT (HEAD_LEN bytes) the decoded head (the
 * caller g_free()s it) and *TAIL_ZIP whether the tail holds a zip signature.
 * Long because head, tail and the line-uniformity proof read the same
 * stream at known offsets; the reasoning is in the comment above.
 */
static bool view_probe_base64(GMimeDataWrapper *content, uint64_t *size,
                              unsigned char **head_out, size_t *head_len, bool *tail_zip)
{
    GMimeStream *stream = g_mime_data_wrapper_get_stream(content);
    gint64 length = stream ? g_mime_stream_length(stream) : -1;
    char *head = NULL, *tail = NULL, *chars = NULL;
    bool ok = false;

    if (length < PROBE_MIN)
        return false;
    head = g_malloc(PROBE_HEAD);
    tail = g_malloc(PROBE_TAIL);
    size_t hn = view_read_at(stream, 0, head, PROBE_HEAD);
    gint64 tail_at = length - PROBE_TAIL;
    size_t tn = view_read_at(stream, tail_at, tail, PROBE_TAIL);
    g_mime_stream_reset(stream);
    if (hn != PROBE_HEAD || tn != PROBE_TAIL)
        goto done;

    /* The line shape: WIDTH base64 characters, then CRLF or LF. */
    const char *nl = memchr(head, '\n', hn);
    if (nl == NULL)
        goto done;
    size_t eol = (nl > head && nl[-1] == '\r') ? 2 : 1;
    size_t width = (size_t)(nl - head) + 1 - eol, stride = width + eol;
    if (width == 0 || width % 4 != 0)
        goto done;
    /* Every whole line of the head and of the tail has that shape. */
    gint64 first = ((tail_at + (gint64)stride - 1) / (gint64)stride) * (gint64)stride;
    size_t from = (size_t)(first - tail_at);
    const struct {
        const char *buf;
        size_t start, end;
    } regions[2] = {{head, 0, hn}, {tail, from, tn}};
    for (int r = 0; r < 2; r++)
        for (size_t at = regions[r].start; at + stride <= regions[r].end; at += stride) {
            const char *line = regions[r].buf + at;
            for (size_t i = 0; i < width; i++)
                if (!view_b64_char((unsigned char)line[i])) {
                    if (r == 1 && line[i] == '=')
                        goto last_line; /* padding: the last line is short */
                    goto done;
                }
            if (line[stride - 1] != '\n' || (eol == 2 && line[width] != '\r'))
                goto last_line; /* the last line is short */
        }
last_line:;
    /* The tail: trailing white space, the last (shorter) line, whole lines. */
    size_t end = tn;
    while (end > 0 && (tail[end - 1] == '\r' || tail[end - 1] == '\n' ||
                       tail[end - 1] == ' ' || tail[end - 1] == '\t'))
        end--;
    size_t last = end;
    while (last > 0 && tail[last - 1] != '\n')
        last--;
    gint64 last_offset = tail_at + (gint64)last; /* where the last line starts */
    if (last == 0 || last_offset % (gint64)stride != 0)
        goto done;
    size_t count = 0, pad = 0;
    chars = g_malloc(tn);
    for (size_t i = from; i < end; i++) {
        unsigned char c = (unsigned char)tail[i];
        if (c == '=')
            pad++;
        else if (view_b64_char(c) && pad == 0)
            chars[count++] = (char)c;
        else if (c != '\r' && c != '\n')
            goto done;
    }
    size_t last_chars = 0;
    for (size_t i = last; i < end; i++)
        if (view_b64_char((unsigned char)tail[i]))
            last_chars++;
    *size = ((uint64_t)last_offset / stride * width + last_chars) * 3 / 4;
    *tail_zip = view_tail_has_zip(chars, count);
    *head_out = view_b64_decode(head, hn - hn % stride, head_len);
    ok = true;
done:
    g_free(head);
    g_free(tail);
    g_free(chars);
    return ok;
}

/*
 * True when a part of TYPE can be left undecoded (*SIZE set): a large
 * base64 image or PDF whose head is what its type says and opens as no
 * archive, and whose tail hides no zip.
 */
bool view_probe_skippable(GMimeDataWrapper *content, const char *type, uint64_t *size)
{
    static const struct {
        const char *type;
        const char *magic;
        size_t len;
    } kinds[] = {{"application/pdf", "%PDF-", 5},
                 {"image/png", "\x89PNG\r\n\x1a\n", 8},
                 {"image/jpeg", "\xff\xd8\xff", 3},
                 {"image/gif", "GIF8", 4}};
    size_t k;
    unsigned char *head = NULL;
    size_t head_len = 0;
    bool tail_zip = true;

    for (k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
        if (strcmp(type, kinds[k].type) == 0)
            break;
    if (k == sizeof(kinds) / sizeof(*kinds) ||
        g_mime_data_wrapper_get_encoding(content) != GMIME_CONTENT_ENCODING_BASE64)
        return false;
    bool skip = view_probe_base64(content, size, &head, &head_len, &tail_zip) &&
                !tail_zip && head_len >= kinds[k].len &&
                memcmp(head, kinds[k].magic, kinds[k].len) == 0 &&
                !extract_opens_as_archive(head, head_len);
    g_free(head);
    return skip;
}

void view_probe_init(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    view_make_zip_needles();
    for (const char *p = alphabet; *p; p++)
        b64_chars[(unsigned char)*p] = true;
}
