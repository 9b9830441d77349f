/* view_probe - see view_probe.h. */
#include "view_probe.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract.h"
#include "image.h"

/*
 * A large image or PDF costs its decoding and, read the usual way, a copy
 * in a spool (RAM, or a temp file past message_memory_limit) that
 * libarchive and the text test then look at.  sendwatch reads no text out
 * of a real image or PDF, so the copy is spared when the outcome is known
 * to be the same:
 *  - the name agrees with the type (none, no extension, or the type's own:
 *    a name saying text, office or archive is read as usual);
 *  - an image, decoded in full by GMime's decoder, is its format from the
 *    first byte to the last (image.h): PNG chunks from IHDR to IEND, JPEG
 *    segments and entropy-coded data from SOI to EOI, GIF blocks to the
 *    trailer, with nothing after (a "PNG" that is a CSV after its magic,
 *    or a real one with data appended, is read as usual);
 *  - a PDF, whose structure cannot be checked cheaply, is read for its
 *    layout instead: every byte is checked to be base64 in lines of one
 *    width (vectorised: a fraction of the cost of decoding), which fixes
 *    where each decoded byte is, and only its head and tail are decoded
 *    (%PDF- and %%EOF must be there);
 *  - base64 that GMime would read differently depending on how it is cut
 *    ('=' before the end) is read as usual;
 *  - the usual reading would find nothing: extract_sniff() gives libarchive
 *    the decoded head and tail at their offsets and answers only when it
 *    needed no other byte, and the start is not text.
 * So the outcome is the usual reading's, nothing is cut, and no flag is
 * needed.
 */
/* Encoded bytes; smaller parts cost little anyway. */
#define PROBE_MIN (192 * 1024)
/* Decoded bytes kept from the start: what libarchive's first read gets. */
#define PROBE_HEAD (64 * 1024)
/* Decoded bytes kept from the end (the zip reader looks at the last 16 KB). */
#define PROBE_TAIL (32 * 1024)
/* Encoded bytes read at a time. */
#define PROBE_READ (64 * 1024)

/* The base64 alphabet (GMime also gives '=' a value: it is checked apart). */
static bool probe_b64(unsigned char c)
{
    return (unsigned char)(c - 'A') < 26 || (unsigned char)(c - 'a') < 26 ||
           (unsigned char)(c - '0') < 10 || c == '+' || c == '/';
}

/*
 * '=' ends base64: GMime decodes one anywhere else as 'A' and drops bytes
 * for those that end a read, so its output would depend on how the stream
 * is cut.  Checks the N bytes at P: true while nothing but padding (at
 * most two '='), CR and LF follows the first '=' (*PADS counts them).
 */
static bool probe_pads_end(const unsigned char *p, size_t n, unsigned *pads)
{
    const unsigned char *eq = *pads ? p : memchr(p, '=', n);
    for (; eq != NULL && eq < p + n; eq++) {
        if (*eq == '=' && ++*pads > 2)
            return false;
        if (*eq != '=' && *eq != '\r' && *eq != '\n')
            return false;
    }
    return true;
}

/* The decoded part as the walk reads it: its start, its end, and the walk. */
struct probe_read {
    unsigned char *head, *tail; /* PROBE_HEAD bytes; a ring of PROBE_TAIL */
    size_t head_len;
    uint64_t total;
    struct image_walk *walk;
};

static void probe_take(struct probe_read *pr, const unsigned char *p, size_t n)
{
    if (pr->head_len < PROBE_HEAD) {
        size_t k = PROBE_HEAD - pr->head_len < n ? PROBE_HEAD - pr->head_len : n;
        memcpy(pr->head + pr->head_len, p, k);
        pr->head_len += k;
    }
    image_walk_feed(pr->walk, p, n);
    const unsigned char *q = n > PROBE_TAIL ? p + n - PROBE_TAIL : p;
    uint64_t at = pr->total + (uint64_t)(q - p);
    for (size_t left = n - (size_t)(q - p); left > 0;) {
        size_t off = (size_t)(at % PROBE_TAIL);
        size_t k = PROBE_TAIL - off < left ? PROBE_TAIL - off : left;
        memcpy(pr->tail + off, q, k);
        q += k;
        at += k;
        left -= k;
    }
    pr->total += n;
}

/*
 * Decodes the whole base64 STREAM, keeping its head and tail and walking
 * its format; stops early once the walk fails.  True when the walk reached
 * the format's end at the last byte; then HEAD and TAIL (PROBE_TAIL bytes)
 * hold the first *HEAD_LEN and last *TAIL_LEN bytes of the *SIZE decoded.
 */
static bool probe_walk(GMimeStream *stream, enum image_format format, unsigned char *head,
                       size_t *head_len, unsigned char *tail, size_t *tail_len,
                       uint64_t *size)
{
    unsigned char *in = g_malloc(PROBE_READ), *out = g_malloc(PROBE_READ / 4 * 3 + 4);
    struct probe_read pr = {.head = head, .tail = g_malloc(PROBE_TAIL)};
    int state = 0;
    guint32 save = 0;
    unsigned pads = 0;
    bool ok = false;

    if ((pr.walk = image_walk_new(format)) == NULL)
        goto done;
    g_mime_stream_reset(stream);
    for (;;) {
        ssize_t n = g_mime_stream_read(stream, (char *)in, PROBE_READ);
        if (n < 0 || (n > 0 && !probe_pads_end(in, (size_t)n, &pads)))
            goto done;
        if (n == 0)
            break;
        size_t m = g_mime_encoding_base64_decode_step(in, (size_t)n, out, &state, &save);
        probe_take(&pr, out, m);
        if (image_walk_failed(pr.walk))
            goto done;
    }
    ok = image_walk_complete(pr.walk);
    if (ok) {
        /* The tail in order: the last min(total, PROBE_TAIL) bytes. */
        size_t len = pr.total < PROBE_TAIL ? (size_t)pr.total : PROBE_TAIL;
        size_t start = (size_t)((pr.total - len) % PROBE_TAIL);
        size_t part = PROBE_TAIL - start < len ? PROBE_TAIL - start : len;
        memcpy(tail, pr.tail + start, part);
        memcpy(tail + part, pr.tail, len - part);
        *tail_len = len;
        *head_len = pr.head_len;
        *size = pr.total;
    }
done:
    image_walk_free(pr.walk);
    g_mime_stream_reset(stream);
    g_free(pr.tail);
    g_free(in);
    g_free(out);
    return ok;
}

/* Reads up to LEN bytes at OFFSET of STREAM (a substream: GMime seeks in its parent). */
static size_t probe_read_at(GMimeStream *stream, uint64_t offset, unsigned char *buf,
                            size_t len)
{
    size_t got = 0;
    g_mime_stream_reset(stream);
    gint64 start = g_mime_stream_tell(stream);
    gint64 at = start + (gint64)offset;
    if (start < 0 || g_mime_stream_seek(stream, at, GMIME_STREAM_SEEK_SET) != at)
        return 0;
    while (got < len) {
        ssize_t n = g_mime_stream_read(stream, (char *)buf + got, len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/*
 * Base64 as mail clients write it: lines of WIDTH characters of the
 * alphabet, each ended alike (LF or CRLF), then a last line of LAST
 * characters and its padding, then only line ends.  Decoded byte X is then
 * at a known place, and every decoder reads the same bytes.
 */
struct probe_layout {
    size_t width, stride; /* characters on a full line; bytes with its end */
    uint64_t lines;       /* full lines */
    size_t last, pad;     /* the last line's characters and '='s */
    uint64_t size;        /* decoded bytes */
};

/* Bytes outside the alphabet among the N at P: counted 64 at a time (vectorised). */
static size_t probe_not_b64(const unsigned char *p, size_t n)
{
    size_t count = 0, i = 0;
    for (; i + 64 <= n; i += 64) {
        unsigned char block = 0;
        for (size_t k = 0; k < 64; k++)
            block += !probe_b64(p[i + k]);
        count += block;
    }
    for (; i < n; i++)
        count += !probe_b64(p[i]);
    return count;
}

/* Does the line of LAY's shape at P (STRIDE bytes) end in place? */
static bool probe_line_end(const struct probe_layout *lay, const unsigned char *p)
{
    return p[lay->stride - 1] == '\n' &&
           (lay->stride - lay->width == 1 || p[lay->width] == '\r');
}

/* Is the line of LAY's shape at P whole: WIDTH characters of the alphabet, then its end?
 */
static bool probe_full_line(const struct probe_layout *lay, const unsigned char *p)
{
    return probe_line_end(lay, p) && probe_not_b64(p, lay->width) == 0;
}

/* The end of the stream from its last line on (N bytes at P): characters, padding, line
 * ends. */
static bool probe_last_line(struct probe_layout *lay, const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && probe_b64(p[i]))
        i++;
    lay->last = i;
    while (i < n && p[i] == '=')
        i++;
    lay->pad = i - lay->last;
    if (lay->last + lay->pad > lay->width || (lay->last + lay->pad) % 4 != 0 ||
        lay->pad > 2)
        return false;
    for (; i < n; i++)
        if (p[i] != '\r' && p[i] != '\n')
            return false;
    uint64_t chars = lay->lines * lay->width + lay->last + lay->pad;
    lay->size = chars / 4 * 3 - lay->pad;
    return true;
}

/*
 * Reads all of STREAM (LENGTH bytes) and tells whether it is laid out as
 * struct probe_layout says, filling LAY.  Whole runs of lines are checked
 * at once: their ends in place and nothing else outside the alphabet.
 */
static bool probe_layout(GMimeStream *stream, uint64_t length, struct probe_layout *lay)
{
    unsigned char *buf = g_malloc(PROBE_READ + 1024);
    bool ok = false;

    size_t n = probe_read_at(stream, 0, buf, 1024);
    const unsigned char *nl = memchr(buf, '\n', n);
    if (nl == NULL)
        goto done;
    lay->stride = (size_t)(nl - buf) + 1;
    lay->width = lay->stride - 1 - (nl > buf && nl[-1] == '\r');
    lay->lines = 0;
    if (lay->width == 0 || lay->width % 4 != 0)
        goto done;
    size_t run = PROBE_READ / lay->stride * lay->stride; /* whole lines per read */
    uint64_t at = 0;
    for (;;) {
        n = probe_read_at(stream, at, buf, run);
        size_t whole = n / lay->stride, good = 0;
        if (whole > 0 && probe_not_b64(buf, whole * lay->stride) ==
                             whole * (lay->stride - lay->width)) {
            /* As many non-alphabet bytes as line ends: if each line end is in
             * place, they are the only ones. */
            good = whole;
            for (size_t l = 0; l < whole && good == whole; l++)
                if (!probe_line_end(lay, buf + l * lay->stride))
                    good = 0;
        }
        if (good == 0) /* somewhere in this run: find the first line that is not whole */
            while (good < whole && probe_full_line(lay, buf + good * lay->stride))
                good++;
        lay->lines += good;
        at += good * lay->stride;
        if (good < whole || n < run)
            break;
    }
    /* The rest is the last line and line ends: it must fit in one read. */
    if (length - at > PROBE_READ)
        goto done;
    n = probe_read_at(stream, at, buf, (size_t)(length - at));
    ok = n == length - at && probe_last_line(lay, buf, n);
done:
    g_mime_stream_reset(stream);
    g_free(buf);
    return ok;
}

/* Decodes LEN bytes at decoded offset FROM of a stream laid out as LAY into OUT. */
static bool probe_decode_at(GMimeStream *stream, const struct probe_layout *lay,
                            uint64_t from, size_t len, unsigned char *out)
{
    uint64_t chars = lay->lines * lay->width + lay->last + lay->pad;
    uint64_t c0 = from / 3 * 4, c1 = (from + len + 2) / 3 * 4;
    if (c1 > chars)
        c1 = chars;
    uint64_t b0 = c0 / lay->width * lay->stride + c0 % lay->width;
    uint64_t b1 = (c1 - 1) / lay->width * lay->stride + (c1 - 1) % lay->width + 1;
    unsigned char *raw = g_malloc((size_t)(b1 - b0)), *dec = g_malloc((size_t)(c1 - c0));
    int state = 0;
    guint32 save = 0;
    bool ok = false;

    if (probe_read_at(stream, b0, raw, (size_t)(b1 - b0)) == b1 - b0) {
        size_t m = g_mime_encoding_base64_decode_step(raw, (size_t)(b1 - b0), dec, &state,
                                                      &save);
        size_t skip = (size_t)(from - c0 / 4 * 3);
        if (m >= skip + len) {
            memcpy(out, dec + skip, len);
            ok = true;
        }
    }
    g_mime_stream_reset(stream);
    g_free(raw);
    g_free(dec);
    return ok;
}

/* The head and tail of a stream laid out as LAY, decoded where they are. */
static bool probe_ends(GMimeStream *stream, const struct probe_layout *lay,
                       unsigned char *head, size_t *head_len, unsigned char *tail,
                       size_t *tail_len)
{
    *head_len = lay->size < PROBE_HEAD ? (size_t)lay->size : PROBE_HEAD;
    *tail_len = lay->size < PROBE_TAIL ? (size_t)lay->size : PROBE_TAIL;
    return probe_decode_at(stream, lay, 0, *head_len, head) &&
           probe_decode_at(stream, lay, lay->size - *tail_len, *tail_len, tail);
}

/* Does NAME (decoded; may be NULL) agree with a type whose extensions are EXTS? */
static bool probe_name_agrees(const char *name, const char *const *exts)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    if (dot == NULL)
        return true; /* no name, or no extension: it says nothing */
    for (; *exts != NULL; exts++)
        if (strcasecmp(dot + 1, *exts) == 0)
            return true;
    return false;
}

/* Does a PDF (its decoded HEAD and TAIL) start and end like one: "%PDF-", and "%%EOF"
 * near its end? */
static bool probe_pdf_ends(const unsigned char *head, size_t head_len,
                           const unsigned char *tail, size_t tail_len)
{
    size_t near = tail_len < 1024 ? tail_len : 1024;
    return head_len >= 5 && memcmp(head, "%PDF-", 5) == 0 &&
           memmem(tail + tail_len - near, near, "%%EOF", 5) != NULL;
}

bool view_probe_skippable(GMimeDataWrapper *content, const char *type, const char *name,
                          uint64_t *size)
{
    static const char *const png[] = {"png", NULL};
    static const char *const jpeg[] = {"jpg", "jpeg", "jpe", "jfif", NULL};
    static const char *const gif[] = {"gif", NULL};
    static const char *const pdf[] = {"pdf", NULL};
    static const struct {
        const char *type;
        const char *const *exts;
        bool walk; /* decoded and walked in full; else (PDF) checked by its layout */
        enum image_format format;
    } kinds[] = {{"image/png", png, true, IMAGE_PNG},
                 {"image/jpeg", jpeg, true, IMAGE_JPEG},
                 {"image/gif", gif, true, IMAGE_GIF},
                 {"application/pdf", pdf, false, IMAGE_PNG}};
    size_t k;

    for (k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
        if (strcmp(type, kinds[k].type) == 0)
            break;
    if (k == sizeof(kinds) / sizeof(*kinds) ||
        g_mime_data_wrapper_get_encoding(content) != GMIME_CONTENT_ENCODING_BASE64 ||
        !probe_name_agrees(name && *name ? name : NULL, kinds[k].exts))
        return false;
    GMimeStream *stream = g_mime_data_wrapper_get_stream(content);
    gint64 length = stream ? g_mime_stream_length(stream) : -1;
    if (length < PROBE_MIN)
        return false;

    unsigned char *head = g_malloc(PROBE_HEAD), *tail = g_malloc(PROBE_TAIL);
    size_t head_len = 0, tail_len = 0;
    uint64_t total = 0;
    struct probe_layout lay;
    bool skip;
    if (kinds[k].walk) {
        skip =
            probe_walk(stream, kinds[k].format, head, &head_len, tail, &tail_len, &total);
    } else {
        skip = probe_layout(stream, (uint64_t)length, &lay) &&
               probe_ends(stream, &lay, head, &head_len, tail, &tail_len) &&
               probe_pdf_ends(head, head_len, tail, tail_len);
        total = lay.size;
    }
    skip = skip && extract_sniff(head, head_len, tail, tail_len, total);
    if (skip)
        *size = total;
    g_free(head);
    g_free(tail);
    return skip;
}

void view_probe_init(void)
{
    /* Nothing to prepare: the walks and extract_sniff() need no tables. */
}
