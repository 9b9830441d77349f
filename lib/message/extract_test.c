/* Unit tests for extract_text.c and extract_pdf.c: what extract_file_text() reads of a
 * file that is no archive, a PDF read through its structure among them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "extract.h"

/* A PNG of one pixel as an encoder writes it: IHDR, IDAT, IEND (69 bytes). */
#define TINY_PNG                                                                         \
    "\x89PNG\r\n\x1a\n"                                                                  \
    "\0\0\0\x0dIHDR\0\0\0\1\0\0\0\1\x08\x02\0\0\0\x90\x77\x53\xde"                       \
    "\0\0\0\x0cIDAT\x78\x9c\x63\xf8\xcf\xc0\0\0\x03\x01\x01\0\xc9\xfe\x92\xef"           \
    "\0\0\0\0IEND\xae\x42\x60\x82"

/* A C string literal and its length, NUL bytes in it included. */
#define BYTES(s) s, sizeof(s) - 1

static const struct {
    const char *what;
    const char *in;
    size_t len;
    size_t max;
    const char *want; /* NULL: nothing read */
    enum extract_text_kind kind;
    bool cut;
} cases[] = {
    {"runs of 4 bytes and more, split at NUL and C0 controls",
     BYTES("\0abc\0abcd\x01xyz\x1f"
           "wxyz"),
     100, "abcd\nwxyz", EXTRACT_TEXT_UTF8, false},
    {"TAB, CR, LF, ESC and DEL stay in a run",
     BYTES("\0ab\x02"
           "cd\tef\r\ngh\x1b(B\x7fij\0"),
     100, "cd\tef\r\ngh\x1b(B\x7fij", EXTRACT_TEXT_UTF8, false},
    {"each run in its own charset: UTF-8, Shift_JIS, ISO-2022-JP; a Shift_JIS run "
     "under 12 bytes and windows-1252 are not told from noise, their ASCII is kept",
     BYTES("\0\xe7\xa4\xbe\xe5\xa4\x96\xe7\xa7\x98\0\x8b\x40\x96\xa7\x8e\x96\x8d\x80\x82"
           "\xcc"
           "\x8e\x91\x97\xbf\0\x8b\x40\x96\xa7\0\x1b$B6KHk\x1b(B\0"
           "caf\xe9 cr\xe8me br\xfbl\xe9"
           "e\0"),
     100, "社外秘\n機密事項の資料\n極秘\nme br", EXTRACT_TEXT_UTF8, false},
    {"noise: 8-bit bytes that read as no charset go, the ASCII in them stays",
     BYTES("\0\xff\xfe\x80\xa0\xfdhello world\xff\x80\xfe\xfd\xa0\0"), 100, "hello world",
     EXTRACT_TEXT_UTF8, false},
    {"a stray byte clinging to a run",
     BYTES("\x01\xfd\xe7\xa4\xbe\xe5\xa4\x96\xe7\xa7\x98\0"), 100, "\xef\xbf\xbd社外秘",
     EXTRACT_TEXT_UTF8, false},
    {"the first MAX bytes only, the cut told", BYTES("\0abcdefghijklmnop"), 10,
     "abcdefghi", EXTRACT_TEXT_UTF8, true},
    {"no run long enough", BYTES("\0ab\0cd\0"), 100, NULL, EXTRACT_TEXT_BYTES, false},
    {"text by its head: as it is", BYTES("name,card\n1,4111\n"), 100,
     "name,card\n1,4111\n", EXTRACT_TEXT_BYTES, false},
    {"text by its head, cut", BYTES("name,card\n1,4111\n"), 9, "name,card",
     EXTRACT_TEXT_BYTES, true},
    {"an exact image: nothing, and nothing cut", BYTES(TINY_PNG), 8, NULL,
     EXTRACT_TEXT_BYTES, false},
    {"empty", BYTES(""), 100, NULL, EXTRACT_TEXT_BYTES, false},
};

/* What extract_file_text() reported: the problems (EXTRACT_*) and the last reason. */
struct reported {
    unsigned problems;
    char why[256];
};

static void on_problem(void *ctx, int id, enum extract_problem what, const char *why)
{
    struct reported *r = ctx;
    assert_int_equal(id, 7);
    r->problems |= what;
    snprintf(r->why, sizeof(r->why), "%s", why);
}

/* extract_file_text() of SP as file 7, with MAX bytes of text and a fresh budget of
 * MAX_EXPANDED bytes and ratio 100; its problems in *R. */
static void file_text(const struct spool *sp, size_t max, uint64_t max_expanded,
                      char **text, size_t *len, enum extract_text_kind *kind,
                      struct reported *r)
{
    struct extract_budget budget = {
        .max_depth = 4,
        .max_entries = 100,
        .max_expanded = max_expanded,
        .max_ratio = 100,
        .max_text = max,
        .memory_limit = 1 << 16,
        .temp_dir = "/tmp",
    };
    struct extract_callbacks cb = {.ctx = r, .problem = on_problem};
    char err[256];

    memset(r, 0, sizeof(*r));
    if (extract_file_text(sp, 7, &budget, &cb, text, len, kind, err, sizeof(err)) != 0)
        fail_msg("extract_file_text: %s", err);
}

static struct spool *spool_of(const void *data, size_t len)
{
    char err[256];
    struct spool *sp = spool_new(1 << 16, "/tmp");
    assert_non_null(sp);
    assert_int_equal(spool_write(sp, data, len, err, sizeof(err)), 0);
    return sp;
}

static void test_file_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct spool *sp = spool_of(cases[i].in, cases[i].len);
        char *text;
        size_t text_len;
        enum extract_text_kind kind;
        struct reported r;
        file_text(sp, cases[i].max, 1 << 20, &text, &text_len, &kind, &r);
        bool cut = r.problems == EXTRACT_LIMIT;
        assert_true(r.problems == 0 || cut);
        bool ok =
            cut == cases[i].cut &&
            (cases[i].want == NULL ? text == NULL
                                   : text != NULL && kind == cases[i].kind &&
                                         text_len == strlen(cases[i].want) &&
                                         memcmp(text, cases[i].want, text_len) == 0 &&
                                         text[text_len] == '\0');
        if (!ok)
            fail_msg("%s: got \"%s\" kind %d cut %d, want \"%s\" kind %d cut %d",
                     cases[i].what, text ? text : "(none)", kind, cut,
                     cases[i].want ? cases[i].want : "(none)", cases[i].kind,
                     cases[i].cut);
        free(text);
        spool_free(sp);
    }
}

/* The same PNG with bytes after its end is no exact image: its runs are read. */
static void test_image_not_exact(void **state)
{
    (void)state;
    struct spool *sp = spool_of(BYTES(TINY_PNG "\0CONFIDENTIAL"));
    char *text;
    size_t text_len;
    enum extract_text_kind kind;
    struct reported r;
    file_text(sp, 1000, 1 << 20, &text, &text_len, &kind, &r);
    assert_int_equal(r.problems, 0);
    assert_non_null(text);
    assert_int_equal(kind, EXTRACT_TEXT_UTF8);
    assert_non_null(strstr(text, "IHDR\n"));
    assert_non_null(strstr(text, "\nCONFIDENTIAL"));
    free(text);
    spool_free(sp);
}

/* A run across the reads of the spool (64 KB each) stays one run. */
static void test_run_across_reads(void **state)
{
    (void)state;
    size_t len = 200000;
    char *data = malloc(len);
    memset(data, 'a', len);
    data[0] = '\0';
    memcpy(data + 65530, "社外秘", 9); /* a character across the first read's end */
    data[len - 1] = '\0';
    struct spool *sp = spool_of(data, len);
    char *text;
    size_t text_len;
    enum extract_text_kind kind;
    struct reported r;
    file_text(sp, len, 1 << 20, &text, &text_len, &kind, &r);
    assert_int_equal(kind, EXTRACT_TEXT_UTF8);
    assert_int_equal(text_len, len - 2);
    assert_memory_equal(text, data + 1, len - 2);
    assert_int_equal(r.problems, 0);
    free(text);
    spool_free(sp);
    free(data);
}

/* A stream object of a test PDF: DICT is the rest of its dictionary after /Length. */
struct pdf_part {
    const char *dict;
    const void *data;
    size_t len;
};

/* A PDF of PARTS, each an object "N 0 obj", and a trailer with TRAILER_EXTRA in its
 * dictionary; the cross-reference table is left out (it is not read).  malloc'ed. */
static char *make_pdf(const struct pdf_part *parts, size_t n, const char *trailer_extra,
                      size_t *len)
{
    char *out;
    FILE *f = open_memstream(&out, len);
    assert_non_null(f);
    fputs("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%zu 0 obj\n<< /Length %zu %s >>\nstream\n", i + 1, parts[i].len,
                parts[i].dict);
        fwrite(parts[i].data, 1, parts[i].len, f);
        fputs("\nendstream\nendobj\n", f);
    }
    fprintf(f, "trailer\n<< /Size %zu /Root 1 0 R %s >>\nstartxref\n0\n%%%%EOF\n", n + 1,
            trailer_extra);
    fclose(f);
    return out;
}

/* TEXT compressed with zlib, malloc'ed, in *LEN. */
static unsigned char *deflated(const void *text, size_t n, size_t *len)
{
    uLongf cap = compressBound(n);
    unsigned char *out = malloc(cap);
    assert_non_null(out);
    assert_int_equal(compress(out, &cap, text, n), Z_OK);
    *len = cap;
    return out;
}

/* An exact JPEG (SOI, a scan, EOI) whose entropy-coded data spell a secret. */
#define PIXEL_JPEG                                                                       \
    "\xff\xd8\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00PIXELS-4111-1111-1111-1111\xff\xd9"

/* What a PDF gives: TEXT (NULL: nothing), with PROBLEMS reported. */
static char *pdf_text(const char *pdf, size_t len, size_t max, uint64_t max_expanded,
                      unsigned *problems)
{
    struct spool *sp = spool_of(pdf, len);
    char *text;
    size_t text_len;
    enum extract_text_kind kind;
    struct reported r;
    file_text(sp, max, max_expanded, &text, &text_len, &kind, &r);
    spool_free(sp);
    if (text != NULL)
        assert_int_equal(kind, EXTRACT_TEXT_UTF8);
    *problems = r.problems;
    return text;
}

/* An exact PDF: its Flate streams read inflated, its JPEG images not read; every
 * other stream read as it is, every way the reading falls short reported. */
static void test_pdf(void **state)
{
    (void)state;
    static const char content[] = "BT /F1 12 Tf 72 712 Td (\xe7\xa4\xbe\xe5\xa4\x96"
                                  "\xe7\xa7\x98 plan) Tj ET";
    size_t zlen, plen;
    unsigned char *z = deflated(content, sizeof(content) - 1, &zlen);
    unsigned problems;

    /* Content inflated, the image not read, the syntax read. */
    struct pdf_part plain[] = {
        {"/Filter /FlateDecode", z, zlen},
        {"/Subtype /Image /Filter /DCTDecode /Title (Q3-report)", BYTES(PIXEL_JPEG)},
    };
    char *pdf = make_pdf(plain, 2, "", &plen);
    char *text = pdf_text(pdf, plen, 1 << 20, 1 << 20, &problems);
    assert_non_null(text);
    assert_non_null(strstr(text, "(社外秘 plan) Tj"));
    assert_non_null(strstr(text, "(Q3-report)"));
    assert_null(strstr(text, "PIXELS-4111"));
    assert_int_equal(problems, 0);
    free(text);
    free(pdf);

    /* A filter key spelt with #xx is the same key; an /Encrypt key is told. */
    struct pdf_part escaped[] = {{"/Fi#6cter [/F#6cateDecode]", z, zlen}};
    pdf = make_pdf(escaped, 1, "/Encr#79pt 9 0 R", &plen);
    text = pdf_text(pdf, plen, 1 << 20, 1 << 20, &problems);
    assert_non_null(strstr(text, "社外秘 plan"));
    assert_int_equal(problems, EXTRACT_ENCRYPTED);
    free(text);
    free(pdf);

    /* Text where a reader does not look: a CSV as a "JPEG", bytes after the end
     * of the compressed data, a "Flate" stream that does not inflate. */
    unsigned char *tail = malloc(zlen + 32);
    memcpy(tail, z, zlen);
    memcpy(tail + zlen, "\nHIDDEN-AFTER-THE-END", 21);
    struct pdf_part hidden[] = {
        {"/Filter /DCTDecode", BYTES("name,card\nyamada,4111 1111 1111 1111\n")},
        {"/Filter /FlateDecode", tail, zlen + 21},
        {"/Filter /FlateDecode", BYTES("NOT-COMPRESSED-AT-ALL")},
    };
    pdf = make_pdf(hidden, 3, "", &plen);
    text = pdf_text(pdf, plen, 1 << 20, 1 << 20, &problems);
    assert_non_null(strstr(text, "yamada,4111 1111 1111 1111"));
    assert_non_null(strstr(text, "社外秘 plan"));
    assert_non_null(strstr(text, "HIDDEN-AFTER-THE-END"));
    assert_non_null(strstr(text, "NOT-COMPRESSED-AT-ALL"));
    assert_int_equal(problems, EXTRACT_MALFORMED);
    free(text);
    free(pdf);
    free(tail);

    /* Not a PDF to its end: read loosely - every byte's runs, the data after
     * each "stream" inflated where it inflates - and said to be malformed. */
    pdf = make_pdf(plain, 2, "", &plen);
    pdf = realloc(pdf, plen + 20);
    memcpy(pdf + plen, "GARBAGE-AFTER-EOF\n", 18);
    text = pdf_text(pdf, plen + 18, 1 << 20, 1 << 20, &problems);
    assert_non_null(strstr(text, "GARBAGE-AFTER-EOF"));
    assert_non_null(strstr(text, "PIXELS-4111"));
    assert_non_null(strstr(text, "社外秘 plan"));
    assert_int_equal(problems, EXTRACT_MALFORMED);
    free(text);
    free(pdf);

    /* Filters not decoded here: read raw and reported unreadable (image codecs
     * alone are not: pixels, read raw as any binary).  A JPEG's comment in a PDF
     * is read, its pixels are not. */
    static const char jpeg_with_comment[] =
        "\xff\xd8\xff\xfe\x00\x0fJPEG-IN-A-PDF\xff\xda\x00\x08\x01\x01\x00\x00\x3f"
        "\x00PIXELS-4111\xff\xd9";
    struct pdf_part filtered[] = {
        {"/Filter [/FlateDecode /FlateDecode]", z, zlen},
        {"/Filter /ASCIIHexDecode", BYTES("434F4E464944454E5449414C>")},
        {"/Subtype /Image /Filter /JPXDecode", BYTES("JPX-PIXELS-RAW")},
        {"/Subtype /Image /Filter /DCTDecode", BYTES(jpeg_with_comment)},
    };
    pdf = make_pdf(filtered, 4, "", &plen);
    text = pdf_text(pdf, plen, 1 << 20, 1 << 20, &problems);
    assert_non_null(strstr(text, "434F4E464944454E5449414C"));
    assert_non_null(strstr(text, "JPX-PIXELS-RAW"));
    assert_non_null(strstr(text, "JPEG-IN-A-PDF"));
    assert_null(strstr(text, "PIXELS-4111"));
    assert_int_equal(problems, EXTRACT_UNREADABLE);
    free(text);
    free(pdf);
    /* A PNG predictor on Flate is not undone: said, but for images and
     * cross-reference streams. */
    struct pdf_part predicted[] = {
        {"/Type /XRef /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 5 >>",
         z, zlen},
        {"/Subtype /Image /Filter /FlateDecode /DecodeParms << /Predictor 15 >>", z,
         zlen},
    };
    pdf = make_pdf(predicted, 2, "", &plen);
    text = pdf_text(pdf, plen, 1 << 20, 1 << 20, &problems);
    assert_int_equal(problems, 0);
    free(text);
    free(pdf);
    predicted[1].dict = "/Filter /FlateDecode /DecodeParms [null << /Pred#69ctor 2 >>]";
    pdf = make_pdf(predicted, 2, "", &plen);
    text = pdf_text(pdf, plen, 1 << 20, 1 << 20, &problems);
    assert_int_equal(problems, EXTRACT_UNREADABLE);
    free(text);
    free(pdf);

    free(z);
}

/* Inflating a PDF's streams is held to the budget; the text read to max_text. */
static void test_pdf_limits(void **state)
{
    (void)state;
    size_t big = 3 << 20, zlen, plen;
    char *zeros = calloc(1, big);
    memcpy(zeros + big - 16, "AFTER-THE-ZEROS", 15);
    unsigned char *z = deflated(zeros, big, &zlen);
    unsigned problems;

    /* 3 MB from a few KB: past 100 times the size and the 1 MB floor. */
    struct pdf_part bomb[] = {{"/Filter /FlateDecode", z, zlen}};
    char *pdf = make_pdf(bomb, 1, "", &plen);
    char *text = pdf_text(pdf, plen, 8 << 20, 64 << 20, &problems);
    assert_int_equal(problems, EXTRACT_LIMIT);
    assert_true(text == NULL || strstr(text, "AFTER-THE-ZEROS") == NULL);
    free(text);
    /* The message's budget: 1000 bytes expanded in all. */
    text = pdf_text(pdf, plen, 8 << 20, 1000, &problems);
    assert_int_equal(problems, EXTRACT_LIMIT);
    free(text);
    free(pdf);
    free(z);

    /* Pixels read last: an image that inflates past max_text, placed before the
     * page, does not keep the page's text from being read (the cut is told). */
    static const char page[] = "BT (PAGE-TEXT-PLAN) Tj ET";
    size_t plen2;
    unsigned char *zpage = deflated(page, sizeof(page) - 1, &plen2);
    memset(zeros, 'x', 4000);
    unsigned char *zimage = deflated(zeros, 4000, &zlen);
    struct pdf_part image_first[] = {
        {"/Subtype /Image /Filter /FlateDecode", zimage, zlen},
        {"/Filter /FlateDecode", zpage, plen2},
    };
    pdf = make_pdf(image_first, 2, "", &plen);
    text = pdf_text(pdf, plen, 1000, 1 << 20, &problems);
    assert_non_null(strstr(text, "PAGE-TEXT-PLAN"));
    assert_int_equal(problems, EXTRACT_LIMIT);
    free(text);
    free(pdf);
    free(zpage);
    free(zimage);

    /* max_text: 5000 bytes of text, 1000 read. */
    memset(zeros, 'a', 5000);
    z = deflated(zeros, 5000, &zlen);
    struct pdf_part text_part[] = {{"/Filter /FlateDecode", z, zlen}};
    pdf = make_pdf(text_part, 1, "", &plen);
    text = pdf_text(pdf, plen, 1000, 1 << 20, &problems);
    assert_int_equal(problems, EXTRACT_LIMIT);
    size_t as = 0;
    for (const char *c = text; *c != '\0'; c++)
        as += *c == 'a';
    assert_true(as > 0 && as < 1000); /* the syntax before it counts too */
    free(text);
    free(pdf);
    free(z);
    free(zeros);
}

/* Appends a PNG chunk of TYPE with the N bytes at DATA to F (the CRC is not checked). */
static void png_chunk(FILE *f, const char *type, const void *data, size_t n)
{
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    fwrite(len, 1, 4, f);
    fwrite(type, 1, 4, f);
    fwrite(data, 1, n, f);
    fwrite("CRC!", 1, 4, f);
}

/* How many times NEEDLE is in TEXT.  Not inlined: GCC 12 then takes TEXT for the
 * buffer freed before it in the caller (-Wdangling-pointer). */
__attribute__((noinline)) static size_t occurrences(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
        n++;
    return n;
}

/* What an exact image's bytes give, and the problems reported. */
static char *image_text(const char *img, size_t len, unsigned *problems)
{
    struct spool *sp = spool_of(img, len);
    char *text;
    size_t text_len;
    enum extract_text_kind kind;
    struct reported r;
    file_text(sp, 1 << 20, 1 << 20, &text, &text_len, &kind, &r);
    spool_free(sp);
    *problems = r.problems;
    return text;
}

/* An exact image's metadata is read - JPEG comments and application segments,
 * PNG text chunks (compressed ones inflated), GIF comments across their
 * sub-blocks - and its pixels are not. */
static void test_image_metadata(void **state)
{
    (void)state;
    unsigned problems;
    char *img, *text;
    size_t len, zlen;

    /* JPEG: a comment, an APP1 segment, then a scan whose data spell a secret. */
    FILE *f = open_memstream(&img, &len);
    fwrite("\xff\xd8\xff\xfe\x00\x13社外秘 COMMENT\xff\xe1\x00\x0a"
           "Exif\0\0AB",
           1, 35, f);
    fwrite("\xff\xdb\x00\x0f"
           "DQT-SECRET-1\x00",
           1, 17, f); /* a table made long */
    fwrite("\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00PIXELS-4111\xff\xd9", 1, 23, f);
    fclose(f);
    text = image_text(img, len, &problems);
    assert_non_null(text);
    assert_non_null(strstr(text, "社外秘 COMMENT"));
    assert_non_null(strstr(text, "DQT-SECRET-1"));
    assert_null(strstr(text, "PIXELS"));
    assert_int_equal(problems, 0);
    free(text);
    free(img);

    /* PNG: tEXt, zTXt and compressed iTXt, pixels in IDAT. */
    static const char secret[] = "\xe7\xa4\xbe\xe5\xa4\x96\xe7\xa7\x98 ZTEXT-PLAN";
    unsigned char *z = deflated(secret, sizeof(secret) - 1, &zlen);
    unsigned char chunk[256];
    f = open_memstream(&img, &len);
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    png_chunk(f, "IHDR", "\0\0\0\1\0\0\0\1\x08\x02\0\0\0", 13);
    png_chunk(f, "tEXt", "Comment\0PLAIN-TEXT-PLAN", 23);
    png_chunk(f, "IHDR", "SECOND-IHDR-TEXT", 16);
    memcpy(chunk, "Comment\0\0", 9);
    memcpy(chunk + 9, z, zlen);
    png_chunk(f, "zTXt", chunk, 9 + zlen);
    memcpy(chunk, "Title\0\1\0ja\0Title\0", 17);
    memcpy(chunk + 17, z, zlen);
    png_chunk(f, "iTXt", chunk, 17 + zlen);
    png_chunk(f, "IDAT", "PIXELS-4111-1111", 16);
    png_chunk(f, "IEND", "", 0);
    fclose(f);
    text = image_text(img, len, &problems);
    assert_non_null(text);
    assert_non_null(strstr(text, "PLAIN-TEXT-PLAN"));
    assert_non_null(strstr(text, "SECOND-IHDR-TEXT"));
    assert_int_equal(occurrences(text, "社外秘 ZTEXT-PLAN"), 2); /* zTXt, iTXt */
    assert_null(strstr(text, "PIXELS"));
    assert_int_equal(problems, 0);
    free(text);
    free(img);

    /* A zTXt that does not inflate: read as it is, and told. */
    f = open_memstream(&img, &len);
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    png_chunk(f, "IHDR", "\0\0\0\1\0\0\0\1\x08\x02\0\0\0", 13);
    png_chunk(f, "zTXt", "Comment\0\0NOT-ZLIB-AT-ALL", 24);
    png_chunk(f, "IEND", "", 0);
    fclose(f);
    text = image_text(img, len, &problems);
    assert_non_null(strstr(text, "NOT-ZLIB-AT-ALL"));
    assert_int_equal(problems, EXTRACT_MALFORMED);
    free(text);
    free(img);

    /* GIF: a comment in two sub-blocks, a word across them, is one text. */
    f = open_memstream(&img, &len);
    fwrite("GIF89a\1\0\1\0\0\0\0", 1, 13, f);
    fwrite("\x21\xfe\x08SECRET-P\x06LAN-42\0", 1, 19, f);
    fwrite("\x21\xf9\x0cGCE-HIDDEN-1\0", 1, 16, f); /* graphic control, made long */
    fwrite("\x2c\0\0\0\0\1\0\1\0\0\x02\x02PX\0\x3b", 1, 16, f);
    fclose(f);
    text = image_text(img, len, &problems);
    assert_non_null(text);
    assert_non_null(strstr(text, "SECRET-PLAN-42"));
    assert_non_null(strstr(text, "GCE-HIDDEN-1"));
    assert_int_equal(problems, 0);
    free(text);
    free(img);
    free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_text),        cmocka_unit_test(test_image_not_exact),
        cmocka_unit_test(test_run_across_reads), cmocka_unit_test(test_pdf),
        cmocka_unit_test(test_pdf_limits),       cmocka_unit_test(test_image_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
