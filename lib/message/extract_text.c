/*
 * extract_text - see extract.h: the text of a file that is neither an
 * archive nor an office document (extract_file_text): as it is when it
 * looks like text, else its text runs, told from the noise of binary data.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "charset.h"
#include "errbuf.h"
#include "extract.h"
#include "extract_internal.h"
#include "image.h"
#include "pdf.h"

#define TEXT_CHUNK 65536 /* bytes read from the spool at a time */

/*
 * Text runs shorter than this are dropped.  4 bytes: the shortest thing a
 * rule names (a two-kanji word in Shift_JIS or EUC-JP, a group of a card
 * number) and strings(1)'s default; the 1-3 byte runs between the control
 * bytes of binary formats (lengths, flags, small numbers) would only add
 * stray characters.
 */
#define EXTRACT_RUN_MIN 4
/*
 * A run with 8-bit bytes is told from noise as Shift_JIS or EUC-JP only
 * when it is this long (6 characters): random bytes read cleanly as either
 * for about three characters in ten tries (UTF-8: one in fifteen per
 * character), and most runs of a compressed stream are short.
 */
#define EXTRACT_RUN_MIN_JIS 12

/* Does C end a text run: NUL, or a C0 control other than TAB, LF, CR and ESC? */
static bool run_breaks(unsigned char c)
{
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x1b;
}

/*
 * How many bytes from P (N) read as whole characters of UTF-8, of Shift_JIS
 * (CP932: ASCII and two-byte characters), or of EUC-JP (ASCII, two-byte and
 * JIS X 0212 three-byte characters), up to the first byte that does not.
 * Strict on purpose: half-width katakana (one byte in Shift_JIS, 8E xx in
 * EUC-JP) reads nearly any byte, so it does not count.
 */
static size_t utf8_reads(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t k = c < 0x80                 ? 1
                   : c >= 0xc2 && c <= 0xdf ? 2
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4
                                            : 0;
        if (k == 0 || i + k > n)
            break;
        size_t j = 1;
        while (j < k && (p[i + j] & 0xc0) == 0x80)
            j++;
        if (j < k)
            break;
        i += k;
    }
    return i;
}

/* The length of the Shift_JIS (SJIS) or EUC-JP character at P (N bytes
 * left) that starts with a byte >= 0x80, or 0 when none starts there. */
static size_t jis_char(const unsigned char *p, size_t n, bool sjis)
{
    unsigned char c = p[0];
    if (sjis) {
        bool lead = (c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc);
        return lead && n >= 2 && p[1] >= 0x40 && p[1] != 0x7f && p[1] <= 0xfc ? 2 : 0;
    }
    size_t k = c == 0x8f ? 3 : c >= 0xa1 && c <= 0xfe ? 2 : 0;
    for (size_t j = 1; j < k; j++)
        if (j >= n || p[j] < 0xa1 || p[j] > 0xfe)
            return 0;
    return k;
}

static size_t jis_reads(const unsigned char *p, size_t n, bool sjis)
{
    size_t i = 0;
    while (i < n) {
        size_t k = p[i] < 0x80 ? 1 : jis_char(p + i, n - i, sjis);
        if (k == 0)
            break;
        i += k;
    }
    return i;
}

static size_t sjis_reads(const unsigned char *p, size_t n)
{
    return jis_reads(p, n, true);
}

static size_t eucjp_reads(const unsigned char *p, size_t n)
{
    return jis_reads(p, n, false);
}

/* Stray bytes of a binary that may cling to either end of a run of text:
 * the last bytes of a header before it (a CRC, a length), not breaks. */
#define RUN_STRAY_MAX 32

/*
 * A run that is noise gives its ASCII stretches only from this length on:
 * text in windows-1252 or another charset no test tells from noise comes
 * in lines, while the short runs of compressed data are most of a PDF's,
 * and scanning each again cost more than all the rest of reading it.
 */
#define RUN_NOISE_ASCII_MIN 16

/* What a run holds besides ASCII (text_runs_feed). */
#define RUN_8BIT 1u /* a byte >= 0x80 */
#define RUN_ESC  2u /* an ESC */

/* What a run with 8-bit bytes or an ESC is (run_kind). */
enum run_kind { RUN_NOISE, RUN_ISO2022JP, RUN_UTF8, RUN_SJIS, RUN_EUCJP };

/*
 * Is a run with 8-bit bytes or an ESC (N bytes at P) text rather than
 * noise, and in what?  Runs are cut from binary data, most of it compressed
 * or random, whose runs would otherwise all be converted, normalised and
 * matched: the bulk of the cost of a large PDF, and nothing to find.  Text
 * is: an ISO-2022-JP designation (ESC $), or bytes that read as whole
 * UTF-8, Shift_JIS or EUC-JP characters but for a few stray bytes of the
 * binary clinging to either end (up to RUN_STRAY_MAX, an eighth of the run
 * at most;
 * Shift_JIS and EUC-JP only for runs of EXTRACT_RUN_MIN_JIS bytes or more):
 * *CLEAN_START and *CLEAN_END then bound what reads.  Random bytes fail
 * within a few characters.  Windows-1252 text in a binary is not told from
 * noise (it reads any byte): only its ASCII is kept.
 */
static enum run_kind run_kind(const unsigned char *p, size_t n, bool esc,
                              size_t *clean_start, size_t *clean_end)
{
    static size_t (*const readers[])(const unsigned char *,
                                     size_t) = {utf8_reads, sjis_reads, eucjp_reads};
    static const enum run_kind kinds[] = {RUN_UTF8, RUN_SJIS, RUN_EUCJP};
    size_t ends = n / 8 < RUN_STRAY_MAX ? n / 8 : RUN_STRAY_MAX;
    /* Random bytes read as UTF-8 for a character or two, as Shift_JIS or
     * EUC-JP for several: these must read a longer run to count. */
    size_t readers_used = n >= EXTRACT_RUN_MIN_JIS ? 3 : 1;

    if (esc && memmem(p, n, "\x1b$", 2) != NULL)
        return RUN_ISO2022JP;
    /* The earliest start that reads to the end, so that a stray byte that
     * happens to pair with the text's first byte does not cost that
     * character: each try fails within a few bytes on noise. */
    for (size_t start = 0; start <= ends; start++)
        for (size_t r = 0; r < readers_used; r++) {
            size_t read = readers[r](p + start, n - start);
            if (start + read + ends >= n) {
                *clean_start = start;
                *clean_end = start + read;
                return kinds[r];
            }
        }
    return RUN_NOISE;
}

/* Appends the ASCII stretches of at least EXTRACT_RUN_MIN bytes of the N
 * bytes at P to OUT, a space between them.  0, or -1 when out of memory. */
static int append_ascii(struct buf *out, const unsigned char *p, size_t n)
{
    size_t from = 0, before = out->len;

    while (from < n) {
        size_t k = from;
        while (k < n && p[k] < 0x80 && p[k] != 0x1b)
            k++;
        if (k - from >= EXTRACT_RUN_MIN &&
            ((out->len > before && buf_append(out, " ", 1) != 0) ||
             buf_append(out, (const char *)p + from, k - from) != 0))
            return -1;
        from = k + 1;
    }
    return 0;
}

/* Appends U+FFFD N times: stray bytes, shown as such. */
static int append_replacements(struct buf *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (buf_append(out, "\xef\xbf\xbd", 3) != 0)
            return -1;
    return 0;
}

/* Appends the N bytes at P in charset LABEL (NULL: none), as UTF-8. */
static int append_converted(struct buf *out, const char *label, const unsigned char *p,
                            size_t n)
{
    struct charset_result r;
    int rc = label ? charset_to_utf8(label, (const char *)p, n, &r)
                   : charset_run_to_utf8((const char *)p, n, &r);
    if (rc != 0)
        return -1;
    rc = buf_append(out, r.text, r.len);
    free(r.text);
    return rc;
}

/*
 * Adds one whole run (N bytes at P; CODED: what it holds, RUN_*) to T->out: one too short
 * is dropped, plain ASCII kept as it is, noise (run_kind) cut down to its ASCII, and any
 * other converted to UTF-8 on its own, in the charset that reads it: the runs of one file
 * are not of one charset, and a run of noise must not decide how a run of Japanese is
 * read.  Each kept run ends with '\n'.  0, or -1 when out of memory.
 */
static int text_runs_add(struct text_runs *t, const unsigned char *p, size_t n,
                         unsigned coded)
{
    size_t before = t->out.len, start = 0, end = n;
    int rc = 0;

    if (n < EXTRACT_RUN_MIN)
        return 0;
    enum run_kind kind = coded ? run_kind(p, n, coded & RUN_ESC, &start, &end) : RUN_UTF8;
    switch (kind) {
    case RUN_NOISE: /* a long one may be windows-1252 text: its ASCII stays */
        if (n >= RUN_NOISE_ASCII_MIN)
            rc = append_ascii(&t->out, p, n);
        break;
    case RUN_UTF8: /* as it is: no conversion needed */
        rc = append_replacements(&t->out, start) != 0 ||
                     buf_append(&t->out, (const char *)p + start, end - start) != 0 ||
                     append_replacements(&t->out, n - end) != 0
                 ? -1
                 : 0;
        break;
    case RUN_SJIS: /* what reads, in the charset that reads it; strays shown as such */
    case RUN_EUCJP:
        rc = append_replacements(&t->out, start) != 0 ||
                     append_converted(&t->out, kind == RUN_SJIS ? "CP932" : "EUC-JP-MS",
                                      p + start, end - start) != 0 ||
                     append_replacements(&t->out, n - end) != 0
                 ? -1
                 : 0;
        break;
    case RUN_ISO2022JP: /* escapes, perhaps other bytes around: the run reader's */
        rc = append_converted(&t->out, NULL, p, n);
        break;
    }
    if (rc == 0 && t->out.len > before)
        rc = buf_append(&t->out, "\n", 1);
    return rc;
}

int text_runs_end(struct text_runs *t)
{
    int rc = text_runs_add(t, (const unsigned char *)t->pending.data, t->pending.len,
                           t->coded);
    t->pending.len = 0;
    t->coded = 0;
    return rc;
}

/* A run that starts and ends within P is taken from P, not copied first:
 * most runs of a binary are short noise. */
int text_runs_feed(struct text_runs *t, const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;
        unsigned coded = 0;
        for (; j < n && !run_breaks(p[j]); j++) /* branch-free: most bytes are here */
            coded |=
                (unsigned)(p[j] >> 7) * RUN_8BIT | (unsigned)(p[j] == 0x1b) * RUN_ESC;
        if (j < n && t->pending.len == 0) {
            if (text_runs_add(t, p + i, j - i, coded) != 0)
                return -1;
        } else {
            if (buf_append(&t->pending, (const char *)p + i, j - i) != 0)
                return -1;
            t->coded |= coded;
            if (j < n && text_runs_end(t) != 0)
                return -1;
        }
        i = j + 1; /* past the byte that broke the run */
    }
    return 0;
}

int text_runs_take(struct text_runs *t, char **text, size_t *len)
{
    if (text_runs_end(t) != 0)
        return -1;
    buf_free(&t->pending);
    if (t->out.len > 0)
        t->out.data[--t->out.len] = '\0'; /* the last run's '\n' */
    if (t->out.len == 0)
        buf_free(&t->out);
    *text = t->out.data;
    *len = t->out.len;
    t->out = (struct buf){0};
    return 0;
}

void text_runs_free(struct text_runs *t)
{
    buf_free(&t->pending);
    buf_free(&t->out);
}

/*
 * The text runs of the first WANT bytes of DATA, in *TEXT (malloc'ed, or
 * NULL when there is none).  0, or -1 with ERR filled.
 */
static int text_runs_read(const struct spool *data, size_t want, char **text, size_t *len,
                          char *err, size_t errlen)
{
    struct text_runs t = {0};
    unsigned char *chunk = malloc(TEXT_CHUNK);
    size_t got = 0;

    if (chunk == NULL)
        goto nomem;
    while (got < want) {
        size_t ask = want - got < TEXT_CHUNK ? want - got : TEXT_CHUNK;
        ssize_t n = spool_read_at(data, got, chunk, ask, err, errlen);
        if (n <= 0) {
            if (n == 0)
                errbuf_set(err, errlen, "short read of a spool");
            goto fail;
        }
        if (text_runs_feed(&t, chunk, (size_t)n) != 0)
            goto nomem;
        got += (size_t)n;
    }
    if (text_runs_take(&t, text, len) != 0)
        goto nomem;
    free(chunk);
    return 0;
nomem:
    errbuf_set(err, errlen, "out of memory");
fail:
    free(chunk);
    text_runs_free(&t);
    return -1;
}

/* The first WANT bytes of DATA as they are, in *TEXT (malloc'ed).  0, or -1 with ERR. */
static int read_head(const struct spool *data, size_t want, char **text, char *err,
                     size_t errlen)
{
    char *buf = malloc(want + 1);

    if (buf == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    if (spool_read_full(data, 0, buf, want, err, errlen) != 0) {
        free(buf);
        return -1;
    }
    buf[want] = '\0';
    *text = buf;
    return 0;
}

/* Feeds a zTXt chunk (keyword, NUL, method, zlib data) or an iTXt one (keyword,
 * NUL, compression flag, method, language, NUL, translated keyword, NUL, text:
 * zlib data when flagged) of N bytes at P, its text inflated.  0, 1 when its
 * text does not inflate (fed as it is), -1 out of memory. */
static int feed_png_text(struct text_feed *f, const unsigned char *p, size_t n, bool itxt)
{
    const unsigned char *nul = memchr(p, '\0', n);
    size_t at = nul ? (size_t)(nul - p) + 1 : n; /* past the keyword */
    bool compressed = at < n && (!itxt || p[at] == 1);

    if (itxt && compressed) {
        /* The flag and method, then two NUL-terminated fields. */
        at += 2;
        for (int field = 0; field < 2 && at < n; field++) {
            const unsigned char *end = memchr(p + at, '\0', n - at);
            at = end ? (size_t)(end - p) + 1 : n;
        }
    } else if (compressed) {
        at++; /* the method */
    }
    if (at > n)
        at = n;
    if (text_feed_piece(f, p, at) != 0)
        return -1;
    if (!compressed)
        return text_feed_piece(f, p + at, n - at);
    size_t rest;
    int rc = text_feed_inflated(f, p + at, n - at, &rest);
    if (rc == 0)
        return text_feed_piece(f, p + (n - rest), rest);
    if (rc < 0 || text_feed_piece(f, p + at, n - at) != 0)
        return -1;
    return rc == 1 ? 1 : 0;
}

int text_feed_image(struct text_feed *f, const struct image_walk *w, unsigned *broken)
{
    const unsigned char *bytes;
    const struct image_text_piece *pieces;
    size_t count;

    if (!image_walk_text(w, &bytes, &pieces, &count))
        return 1;
    for (size_t i = 0; i < count; i++) {
        const struct image_text_piece *pc = &pieces[i];
        const unsigned char *p = bytes + pc->start;
        if (pc->kind != IMAGE_TEXT_MORE && text_runs_end(&f->runs) != 0)
            return -1;
        if (pc->kind == IMAGE_TEXT_PNG_ZTXT || pc->kind == IMAGE_TEXT_PNG_ITXT) {
            int r = feed_png_text(f, p, pc->len, pc->kind == IMAGE_TEXT_PNG_ITXT);
            if (r < 0)
                return -1;
            *broken += r == 1;
        } else if (text_feed(f, p, pc->len) != 0) {
            return -1;
        }
    }
    return text_runs_end(&f->runs) != 0 ? -1 : 0;
}

int extract_image_text(const struct image_walk *w, int id, struct extract_budget *budget,
                       const struct extract_callbacks *cb, char **text, size_t *len,
                       char *err, size_t errlen)
{
    const unsigned char *bytes;
    const struct image_text_piece *pieces;
    size_t count, size = 0;
    unsigned broken = 0;
    struct text_feed f;

    *text = NULL;
    *len = 0;
    if (!image_walk_text(w, &bytes, &pieces, &count))
        return 1;
    for (size_t i = 0; i < count; i++)
        size += pieces[i].len;
    text_feed_init(&f, budget, size);
    int rc = text_feed_image(&f, w, &broken);
    if (rc == 0 && text_feed_take(&f, text, len) != 0)
        rc = -1;
    if (rc < 0) {
        errbuf_set(err, errlen, "out of memory");
    } else {
        text_feed_report(&f, cb, id, "an image's metadata", size);
        if (broken > 0)
            cb->problem(cb->ctx, id, EXTRACT_MALFORMED,
                        "compressed text in a PNG does not inflate; read as it is");
    }
    text_feed_free(&f);
    return rc;
}

int extract_file_text(const struct spool *data, int id, struct extract_budget *budget,
                      const struct extract_callbacks *cb, char **text, size_t *len,
                      enum extract_text_kind *kind, char *err, size_t errlen)
{
    uint64_t size = spool_size(data);
    size_t want = size > budget->max_text ? budget->max_text : (size_t)size;
    struct image_walk *image;

    *text = NULL;
    *len = 0;
    *kind = EXTRACT_TEXT_BYTES;
    if (size == 0)
        return 0;
    if (extract_looks_like_text(data)) {
        if (read_head(data, want, text, err, errlen) != 0)
            return -1;
        *len = want;
    } else if ((image = image_walk_spool(data)) != NULL) {
        /* Pixels, whole: only the metadata is read, and cut as it says. */
        int rc = extract_image_text(image, id, budget, cb, text, len, err, errlen);
        image_walk_free(image);
        *kind = EXTRACT_TEXT_UTF8;
        if (rc != 1)
            return rc;
        /* More metadata than a walk keeps: every byte's runs, and told, as
         * compressed text in it is then not inflated. */
        if (text_runs_read(data, want, text, len, err, errlen) != 0)
            return -1;
        cb->problem(cb->ctx, id, EXTRACT_LIMIT,
                    "an image has more metadata than is kept (1 MB, 4096 pieces): "
                    "read for the runs of all its bytes");
    } else {
        *kind = EXTRACT_TEXT_UTF8;
        int rc = extract_pdf_text(data, id, budget, cb, text, len, err, errlen);
        if (rc != 1)
            return rc; /* a PDF, read through its structure (its cuts reported) */
        if (text_runs_read(data, want, text, len, err, errlen) != 0)
            return -1;
    }
    if (size > want) {
        char why[128];
        snprintf(why, sizeof(why), "a file of %llu bytes was read only up to %zu bytes",
                 (unsigned long long)size, budget->max_text);
        cb->problem(cb->ctx, id, EXTRACT_LIMIT, why);
    }
    return 0;
}
