/* view_probe - see view_probe.h. */
#include "view_probe.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract.h"
#include "image.h"
#include "view_decode.h"

/*
 * A large image costs its decoding and, read the usual way, a copy in a
 * spool (RAM, or a temp file past message_memory_limit) that libarchive,
 * the text test and the exact-image walk then look at.  An exact image
 * yields only the text of its metadata, which its walk keeps
 * (extract_file_text(), extract_image_text()), so the copy is spared when
 * the outcome is known to be the same:
 *  - the name agrees with the type (none, no extension, or the type's own:
 *    a name saying text, office or archive is read as usual);
 *  - the image, decoded in full by GMime's decoder, is its format from the
 *    first byte to the last (image.h: the same walk the full reading
 *    makes), with nothing after (a "PNG" that is a CSV after its magic, or
 *    a real one with data appended, is read as usual), and its walk kept
 *    all of its metadata (the caller reads it from the walk);
 *  - base64 that GMime would read differently depending on how it is cut
 *    ('=' before the end) is read as usual;
 *  - the usual reading would find nothing else: extract_sniff() gives
 *    libarchive the decoded head and tail at their offsets and answers
 *    only when it needed no other byte, and the start is not text.
 * So the outcome is the usual reading's: the caller reads the metadata
 * from the walk as extract_file_text() would from the spool, with the same
 * cuts and flags.  PDFs are not probed: their reading (extract_pdf.c) needs
 * the whole file, and skipping one would need all of it walked anyway.
 */
/* Encoded bytes; smaller parts cost little anyway. */
#define PROBE_MIN (192 * 1024)
/* Decoded bytes kept from the start: what libarchive's first read gets. */
#define PROBE_HEAD (64 * 1024)
/* Decoded bytes kept from the end (the zip reader looks at the last 16 KB). */
#define PROBE_TAIL (32 * 1024)
/* Encoded bytes read at a time. */
#define PROBE_READ (64 * 1024)

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
                       uint64_t *size, struct image_walk **walk)
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
        size_t m = view_base64_step(in, (size_t)n, out, &state, &save);
        probe_take(&pr, out, m);
        if (image_walk_failed(pr.walk))
            goto done;
    }
    const unsigned char *text;
    const struct image_text_piece *pieces;
    size_t npieces;
    /* More metadata than a walk keeps: the full reading reads every byte. */
    ok = image_walk_complete(pr.walk) &&
         image_walk_text(pr.walk, &text, &pieces, &npieces);
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
        *walk = pr.walk;
        pr.walk = NULL;
    }
done:
    image_walk_free(pr.walk);
    g_mime_stream_reset(stream);
    g_free(pr.tail);
    g_free(in);
    g_free(out);
    return ok;
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

bool view_probe_skippable(GMimeDataWrapper *content, const char *type, const char *name,
                          uint64_t *size, struct image_walk **walk)
{
    static const char *const png[] = {"png", NULL};
    static const char *const jpeg[] = {"jpg", "jpeg", "jpe", "jfif", NULL};
    static const char *const gif[] = {"gif", NULL};
    static const struct {
        const char *type;
        const char *const *exts;
        enum image_format format;
    } kinds[] = {{"image/png", png, IMAGE_PNG},
                 {"image/jpeg", jpeg, IMAGE_JPEG},
                 {"image/gif", gif, IMAGE_GIF}};
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
    struct image_walk *w = NULL;
    bool skip = probe_walk(stream, kinds[k].format, head, &head_len, tail, &tail_len,
                           &total, &w) &&
                extract_sniff(head, head_len, tail, tail_len, total);
    if (skip) {
        *size = total;
        *walk = w;
    } else {
        image_walk_free(w);
    }
    g_free(head);
    g_free(tail);
    return skip;
}
