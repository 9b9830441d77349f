/* Unit tests for the view (view.h) on attachments built here: large binaries,
 * the probe, text runs of binary files, archives under other labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>

#include "view.h"
#include "image.h"
#include "view_probe.h"
#include "view_test_support.h"

/* A message with one base64 attachment named NAME, lines of WRAP characters. */
static struct view *view_of_named(const char *type, const char *name,
                                  const unsigned char *data, size_t len, size_t wrap,
                                  const char *stray)
{
    char err[256];
    struct spool *sp = spool_new(1 << 20, "/tmp");
    char head[512];
    snprintf(head, sizeof(head),
             "From: a@example.com\r\nTo: b@example.org\r\nSubject: probe\r\n"
             "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n"
             "--p\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
             "--p\r\nContent-Type: %s; name=\"%s\"\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\n",
             type, name);
    assert_int_equal(spool_write(sp, head, strlen(head), err, sizeof(err)), 0);
    gchar *b64 = g_base64_encode(data, len);
    size_t n = strlen(b64);
    for (size_t at = 0; at < n; at += wrap) {
        size_t take = n - at < wrap ? n - at : wrap;
        /* STRAY: bytes added to a middle line.  A non-base64 byte is
         * skipped by decoders; base64 characters shift every later group. */
        if (stray && at == (n / 2) / wrap * wrap)
            assert_int_equal(spool_write(sp, stray, strlen(stray), err, sizeof(err)), 0);
        assert_int_equal(spool_write(sp, b64 + at, take, err, sizeof(err)), 0);
        assert_int_equal(spool_write(sp, "\r\n", 2, err, sizeof(err)), 0);
    }
    g_free(b64);
    assert_int_equal(spool_write(sp, "--p--\r\n", 7, err, sizeof(err)), 0);
    struct view *v = view_build(sp, &limits, err, sizeof(err));
    spool_free(sp);
    assert_non_null(v);
    return v;
}

/* A message with one base64 attachment named file.bin, lines of WRAP characters. */
static struct view *view_of_attachment(const char *type, const unsigned char *data,
                                       size_t len, size_t wrap, const char *stray)
{
    return view_of_named(type, "file.bin", data, len, wrap, stray);
}

/* A tar (libarchive's writer) holding one file NAME with TEXT, padded to LEN bytes. */
static unsigned char *make_tar(const char *name, const char *text, size_t len,
                               size_t *out_len)
{
    unsigned char *buf = calloc(1, len);
    size_t used = 0;
    struct archive *a = archive_write_new();
    archive_write_set_format_ustar(a);
    assert_int_equal(archive_write_open_memory(a, buf, len, &used), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)strlen(text));
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    archive_write_data(a, text, strlen(text));
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    *out_len = len; /* the rest stays zero, as tar padding is */
    return buf;
}

/*
 * Large PDFs and images are sized exactly (an image the probe skips without
 * keeping it) - and whatever libarchive could find in one is still found: a zip appended
 * to a PDF (also behind a stray byte that shifts the base64 groups), a zip labelled
 * image/png, a tar whose first file is named like a PDF header.
 */
static void test_large_binary_attachments(void **state)
{
    (void)state;
    const size_t len = 300000 + 7; /* over the probe's 192 KB; not a multiple of 3 */
    unsigned char *data = malloc(len + 4096);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 131 + (i >> 7));
    memcpy(data, "%PDF-1.7\n", 9);

    /* A plain PDF: exact size, no entries; irregular lines likewise. */
    struct view *v = view_of_attachment("application/pdf", data, len, 76, NULL);
    assert_int_equal(view_attachment_count(v), 1);
    assert_int_equal(view_attachment_at(v, 0)->size, len);
    view_free(v);
    v = view_of_attachment("application/pdf", data, len, 60, NULL);
    assert_int_equal(view_attachment_at(v, 0)->size, len);
    view_free(v);

    /* A zip appended to the PDF (a polyglot): its files are found. */
    static const char zip_b64[] = /* a stored zip holding hidden.txt */
        "UEsDBBQAAAAAAAAAIVzNd37VDwAAAA8AAAAKAAAAaGlkZGVuLnR4dHNlY3JldCBwYXlsb2FkClBLAQIU"
        "AxQAAAAAAA"
        "AAIVzNd37VDwAAAA8AAAAKAAAAAAAAAAAAAACAAQAAAABoaWRkZW4udHh0UEsFBgAAAAABAAEAOAAAAD"
        "cAAAAA"
        "AA==";
    gsize zlen;
    guchar *zip = g_base64_decode(zip_b64, &zlen);
    memcpy(data + len, zip, zlen);
    /* Insertions after which decoders still output the zip: skipped bytes,
     * or whole 4-character groups that shift the line layout. */
    static const char *const strays[] = {NULL,       "!",      "AAAA",
                                         "AA\r\nAA", "A!A!AA", "AAAA\r\n"};
    for (size_t k = 0; k < sizeof(strays) / sizeof(*strays); k++) {
        v = view_of_attachment("application/pdf", data, len + zlen, 76, strays[k]);
        if (find_attachment(v, "hidden.txt") == NULL)
            fail_msg("a zip appended to a PDF was not looked into (stray bytes: %s)",
                     strays[k] ? strays[k] : "none");
        bool found = false;
        for (size_t i = 0; i < view_text_count(v); i++)
            if (strstr(view_text_at(v, i)->text, "secret payload"))
                found = true;
        assert_true(found);
        view_free(v);
    }

    /* A zip labelled image/png: the head is not a PNG, so it is decoded and read. */
    v = view_of_attachment("image/png", zip, zlen, 76, NULL);
    assert_non_null(find_attachment(v, "hidden.txt"));
    view_free(v);
    g_free(zip);

    /* A tar whose first file is named "%PDF-1.7": it starts like a PDF but is a tar. */
    size_t tar_len;
    unsigned char *tar =
        make_tar("%PDF-1.7 x.csv", "name\nyamada,in-a-tar\n", 1200 * 1024, &tar_len);
    v = view_of_attachment("application/pdf", tar, tar_len, 76, NULL);
    bool in_tar = false;
    for (size_t i = 0; i < view_text_count(v); i++)
        if (strstr(view_text_at(v, i)->text, "yamada,in-a-tar"))
            in_tar = true;
    if (!in_tar)
        fail_msg("a tar passed off as a PDF was not looked into");
    view_free(v);
    free(tar);
    free(data);
}

/* Pseudo-random bytes with no 0xFF (entropy-coded JPEG data stuffs none here). */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)((seed >> 16) % 255);
    }
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A PNG of about LEN bytes: IHDR, IDAT chunks of 8 KB as libpng writes them, IEND. */
static size_t make_png(unsigned char *out, size_t len)
{
    size_t n = 0;
    memcpy(out, "\x89PNG\r\n\x1a\n", 8);
    n = 8;
    put_be32(out + n, 13);
    memcpy(out + n + 4, "IHDR", 4);
    memset(out + n + 8, 1, 13 + 4);
    n += 8 + 13 + 4;
    while (n + 8192 + 12 + 12 <= len) {
        put_be32(out + n, 8192);
        memcpy(out + n + 4, "IDAT", 4);
        fill(out + n + 8, 8192 + 4, (unsigned)n);
        n += 8192 + 12;
    }
    put_be32(out + n, 0);
    memcpy(out + n + 4, "IEND\xae\x42\x60\x82", 8);
    return n + 12;
}

/* A JPEG of about LEN bytes: segments, a scan with restart markers, EOI. */
static size_t make_jpeg(unsigned char *out, size_t len)
{
    static const unsigned char head[] = {
        0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',  'I',  'F',  0,    1, 1,    0,
        0,    1,    0,    1,    0,    0,    0xff, 0xdb, 0x00, 0x05, 1,    2, 3,    0xff,
        0xc0, 0x00, 0x0b, 8,    0,    16,   0,    16,   1,    1,    0x11, 0, 0xff, 0xc4,
        0x00, 0x04, 0,    0,    0xff, 0xda, 0x00, 0x08, 1,    1,    0,    0, 0x3f, 0};
    size_t n = sizeof(head);
    memcpy(out, head, n);
    for (unsigned r = 0; n + 4096 + 8 <= len; r++) {
        fill(out + n, 4094, r);
        out[n + 100] = 0xff; /* a stuffed FF */
        out[n + 101] = 0x00;
        out[n + 4094] = 0xff;
        out[n + 4095] = (unsigned char)(0xd0 + r % 8); /* RSTn */
        n += 4096;
    }
    out[n] = 0xff;
    out[n + 1] = 0xd9;
    return n + 2;
}

/* A GIF of about LEN bytes: a global colour table, one image in 255-byte sub-blocks.
 */
static size_t make_gif(unsigned char *out, size_t len)
{
    size_t n = 0;
    memcpy(out, "GIF89a\x10\x00\x10\x00\xf7\x00\x00", 13);
    n = 13;
    fill(out + n, 768, 7);
    n += 768;
    memcpy(out + n, "\x21\xf9\x04\x00\x00\x00\x00\x00", 8); /* graphic control */
    n += 8;
    memcpy(out + n, "\x2c\x00\x00\x00\x00\x10\x00\x10\x00\x00\x08", 11);
    n += 11;
    while (n + 256 + 2 <= len) {
        out[n] = 255;
        fill(out + n + 1, 255, (unsigned)n);
        n += 256;
    }
    out[n] = 0x00;
    out[n + 1] = 0x3b;
    return n + 2;
}

/* view_probe_skippable() of DATA as a base64 part of TYPE named NAME (lines of 76).
 */
static bool probe(const char *type, const char *name, const unsigned char *data,
                  size_t len, uint64_t *size)
{
    gchar *b64 = g_base64_encode(data, len);
    GString *text = g_string_new(NULL);
    for (size_t at = 0, n = strlen(b64); at < n; at += 76) {
        g_string_append_len(text, b64 + at, n - at < 76 ? (gssize)(n - at) : 76);
        g_string_append(text, "\r\n");
    }
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text->str, text->len);
    GMimeDataWrapper *content =
        g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_BASE64);
    struct image_walk *walk = NULL;
    bool skip = view_probe_skippable(content, type, name, size, &walk);
    assert_true(skip == (walk != NULL));
    image_walk_free(walk);
    g_object_unref(content);
    g_object_unref(stream);
    g_string_free(text, TRUE);
    g_free(b64);
    return skip;
}

/*
 * Large images are spared the spool only when that changes nothing: the
 * name agrees, the bytes are the format to their last byte, and the full
 * reading would find nothing (no archive, no text, no text runs).
 */
static void test_probe(void **state)
{
    (void)state;
    const size_t len = 400 * 1024;
    unsigned char *data = malloc(len + 4096);
    uint64_t size;
    size_t n;

    n = make_png(data, len);
    assert_true(probe("image/png", "photo.png", data, n, &size));
    assert_int_equal(size, n); /* exact */
    assert_true(probe("image/png", NULL, data, n, &size));
    assert_true(probe("image/png", "photo.PNG", data, n, &size));
    assert_true(probe("image/png", "photo", data, n, &size));
    assert_false(probe("image/png", "cards.csv", data, n, &size)); /* name says text */
    assert_false(probe("image/png", "doc.docx", data, n, &size));  /* office */
    assert_false(probe("image/png", "photo.png.zip", data, n, &size));
    assert_false(probe("image/jpeg", "photo.jpg", data, n, &size)); /* not a JPEG */
    memcpy(data + n, "1,4111111111111111\n", 19);
    assert_false(
        probe("image/png", "photo.png", data, n + 19, &size)); /* data after IEND */
    memcpy(data + 8, "name,card\r\n", 11);                     /* the magic, then a CSV */
    assert_false(probe("image/png", "photo.png", data, n, &size));

    n = make_jpeg(data, len);
    assert_true(probe("image/jpeg", "photo.jpg", data, n, &size));
    assert_int_equal(size, n);
    assert_false(probe("image/jpeg", "photo.jpg", data, n - 1, &size)); /* no EOI */
    data[n] = 0;
    assert_false(probe("image/jpeg", "photo.jpg", data, n + 1, &size)); /* after EOI */

    n = make_gif(data, len);
    assert_true(probe("image/gif", "anim.gif", data, n, &size));
    assert_int_equal(size, n);
    assert_false(probe("image/gif", "anim.gif", data, n - 1, &size)); /* no trailer */

    /* A PDF is never skipped: the full reading takes its text runs (view_probe.c). */
    fill(data, len, 11);
    memcpy(data, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 15);
    memcpy(data + len - 7, "\n%%EOF\n", 7);
    assert_false(probe("application/pdf", "quote.pdf", data, len, &size));
    free(data);
}

/* What the probe hands back is read in full, and found: a CSV after a PNG's magic, a
 * GIF whose start reads as text, a zip in a PNG chunk, a CSV named .pdf. */
static void test_probe_falls_back(void **state)
{
    (void)state;
    const size_t len = 400 * 1024;
    unsigned char *data = malloc(len + 4096);
    struct view *v;

    /* The cards.csv: a PNG's magic, then card numbers. */
    memcpy(data, "\x89PNG\r\n\x1a\n", 8);
    size_t n = 8;
    for (; n + 40 <= len; n += 40)
        memcpy(data + n, "9,Customer nine,4111 1111 1111 1111,ok\r\n", 40);
    uint64_t size;
    assert_false(probe("image/png", "cards.png", data, n, &size));
    v = view_of_attachment("image/png", data, n, 76, NULL);
    assert_true(has_text(v, VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111"));
    view_free(v);

    /* A GIF, valid to its trailer, whose first 8 KB read as text: a comment of CSV.
     */
    memcpy(data, "GIF89aAAAApAA!\xfe", 15);
    n = 15;
    char line[80];
    memset(line, '.', sizeof(line));
    memcpy(line, "7,Customer seven,4111 1111 1111 1111,tokyo\r\n", 44);
    while (n + 81 + 4 <= len) {
        data[n] = sizeof(line);
        memcpy(data + n + 1, line, sizeof(line));
        n += 81;
    }
    memcpy(data + n, "\x00\x3b", 2);
    n += 2;
    assert_false(probe("image/gif", "a.gif", data, n, &size));
    v = view_of_attachment("image/gif", data, n, 76, NULL);
    assert_true(has_text(v, VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111"));
    view_free(v);

    /* A valid PNG holding a zip in an ancillary chunk near its end. */
    static const char zip_b64[] = "UEsDBBQAAAAAAAAAIVzNd37VDwAAAA8AAAAKAAAAaGlkZGVuLn"
                                  "R4dHNlY3JldCBwYXlsb2FkClBLAQIU"
                                  "AxQAAAAAAAAAIVzNd37VDwAAAA8AAAAKAAAAAAAAAAAAAACAAQ"
                                  "AAAABoaWRkZW4udHh0UEsFBgAAAAAB"
                                  "AAEAOAAAADcAAAAAAA==";
    gsize zlen;
    guchar *zip = g_base64_decode(zip_b64, &zlen);
    n = make_png(data, len) - 12; /* before IEND */
    put_be32(data + n, (uint32_t)zlen);
    memcpy(data + n + 4, "zIPp", 4);
    memcpy(data + n + 8, zip, zlen);
    memset(data + n + 8 + zlen, 0, 4);
    n += 12 + zlen;
    put_be32(data + n, 0);
    memcpy(data + n + 4, "IEND\xae\x42\x60\x82", 8);
    n += 12;
    assert_false(probe("image/png", "photo.png", data, n, &size));
    v = view_of_attachment("image/png", data, n, 76, NULL);
    assert_non_null(find_attachment(v, "hidden.txt"));
    assert_true(has_text(v, VIEW_ATTACHMENT_TEXT, "secret payload"));
    view_free(v);
    g_free(zip);
    free(data);
}

/* A zip (libarchive's writer) holding one file NAME: the LEN bytes at DATA. */
static unsigned char *make_zip(const char *name, const void *data, size_t len,
                               size_t *out_len)
{
    size_t cap = len + len / 8 + 4096;
    unsigned char *buf = malloc(cap);
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    assert_int_equal(archive_write_open_memory(a, buf, cap, out_len), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return buf;
}

/*
 * The cards file, of about LEN bytes: a PNG's magic, 300 binary
 * bytes (NUL, controls, 8-bit bytes) ending in two stray bytes that cling
 * to the text (no control between them), then lines of CSV in CHARSET
 * holding a card number and 社外秘, then binary bytes again.  malloc'ed.
 */
static unsigned char *make_cards(size_t len, const char *charset, size_t *out_len)
{
    unsigned char *out = malloc(len + 4096);
    size_t n = 0;
    memcpy(out, "\x89PNG\r\n\x1a\n", 8);
    fill(out + 8, 300, 3);
    memcpy(out + 308, "\xfd\x9f", 2);
    n = 310;
    for (unsigned i = 0; n + 200 < len; i++) {
        char line[128];
        snprintf(line, sizeof(line), "%u,顧客%u,4111 1111 1111 1111,社外秘\r\n", i, i);
        gsize conv_len = strlen(line);
        gchar *conv = g_convert(line, -1, charset, "UTF-8", NULL, &conv_len, NULL);
        assert_non_null(conv);
        memcpy(out + n, conv, conv_len);
        n += conv_len;
        g_free(conv);
    }
    fill(out + n, 100, 5);
    *out_len = n + 100;
    return out;
}

/* The index of the attachment named NAME, or -1. */
static int attachment_index(const struct view *v, const char *name)
{
    for (size_t i = 0; i < view_attachment_count(v); i++)
        if (strcmp(view_attachment_at(v, i)->name, name) == 0)
            return (int)i;
    return -1;
}

/* Does an attachment text of attachment INDEX contain NEEDLE? */
static bool attachment_has_text(const struct view *v, int index, const char *needle)
{
    for (size_t i = 0; i < view_text_count(v); i++) {
        const struct view_text *t = view_text_at(v, i);
        if (t->field == VIEW_ATTACHMENT_TEXT && t->attachment == index &&
            strstr(t->text, needle) != NULL)
            return true;
    }
    return false;
}

/*
 * A file that is neither an archive nor text by its head is read for its
 * text runs, at the top of the message (labelled image/png, named
 * cards.png) and inside a zip: the card numbers and 社外秘 are found, in
 * UTF-8 and in Shift_JIS, although stray binary bytes cling to the CSV.
 */
static void test_binary_text_runs(void **state)
{
    static const char *const charsets[] = {"UTF-8", "SHIFT_JIS"};
    (void)state;
    for (size_t c = 0; c < sizeof(charsets) / sizeof(*charsets); c++) {
        size_t len, zip_len;
        unsigned char *cards = make_cards(50 * 1024, charsets[c], &len);
        unsigned char *zip = make_zip("cards.dat", cards, len, &zip_len);
        struct {
            struct view *v;
            const char *name;
        } views[] = {
            {view_of_named("image/png", "cards.png", cards, len, 76, NULL), "cards.png"},
            {view_of_named("application/zip", "cards.zip", zip, zip_len, 76, NULL),
             "cards.dat"},
        };
        for (size_t k = 0; k < sizeof(views) / sizeof(*views); k++) {
            struct view *v = views[k].v;
            int index = attachment_index(v, views[k].name);
            if (index < 0 || !attachment_has_text(v, index, "社外秘") ||
                !attachment_has_text(v, index, "4111 1111 1111 1111") ||
                view_flags(v) != 0) {
                dump(v);
                fail_msg("%s in %s: attachment %d, flags %#x (%s)", views[k].name,
                         charsets[c], index, view_flags(v), view_problem(v));
            }
            view_free(v);
        }
        free(zip);
        free(cards);
    }
}

/*
 * Text runs are read up to max_text: a longer file is flagged, at the top
 * and in a zip, and what was read is still there.  An exact image is not
 * cut however long it is: it is not read for text runs at all.
 */
static void test_binary_text_runs_cut(void **state)
{
    (void)state;
    size_t len, zip_len;
    unsigned char *cards = make_cards(limits.max_text + 64 * 1024, "UTF-8", &len);
    unsigned char *zip = make_zip("cards.dat", cards, len, &zip_len);
    struct view *views[] = {
        view_of_named("application/octet-stream", "cards.dat", cards, len, 76, NULL),
        view_of_named("application/zip", "cards.zip", zip, zip_len, 76, NULL),
    };
    for (size_t k = 0; k < sizeof(views) / sizeof(*views); k++) {
        if (!(view_flags(views[k]) & VIEW_LIMIT_EXCEEDED) ||
            !has_text(views[k], VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111,社外秘"))
            fail_msg("view %zu: got flags %#x (%s), want limit-exceeded and the text", k,
                     view_flags(views[k]), view_problem(views[k]));
        view_free(views[k]);
    }
    free(zip);
    free(cards);

    unsigned char *png = malloc(limits.max_text + 128 * 1024);
    size_t n = make_png(png, limits.max_text + 64 * 1024);
    struct view *v = view_of_named("image/png", "big.png", png, n, 76, NULL);
    assert_int_equal(view_flags(v), 0);
    assert_false(has_text(v, VIEW_ATTACHMENT_TEXT, ""));
    view_free(v);
    free(png);
}

/*
 * Exact images (logos, photos) are not read for text runs, at the top or
 * in a zip: no attachment text but their metadata's (a JPEG's "JFIF"), no
 * flag.  The same PNG with bytes after its end is no exact image: read.
 */

/* The attachment text of V, all of it, in one string (static). */
static const char *attachment_text(const struct view *v)
{
    static char all[256];
    size_t n = 0;
    all[0] = '\0';
    for (size_t i = 0; i < view_text_count(v); i++) {
        const struct view_text *t = view_text_at(v, i);
        if (t->field & VIEW_ATTACHMENT_TEXT)
            n +=
                (size_t)snprintf(all + n, sizeof(all) - n, "%s%s", n ? "|" : "", t->text);
        if (n >= sizeof(all))
            break;
    }
    return all;
}

static void test_exact_images_have_no_text(void **state)
{
    static const struct {
        size_t (*make)(unsigned char *, size_t);
        const char *type, *name, *metadata;
    } kinds[] = {{make_png, "image/png", "logo.png", ""},
                 {make_jpeg, "image/jpeg", "photo.jpg", "JFIF"},
                 {make_gif, "image/gif", "icon.gif", ""}};
    (void)state;
    unsigned char *data = malloc(64 * 1024);
    for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
        size_t n = kinds[k].make(data, 40 * 1024), zip_len;
        unsigned char *zip = make_zip(kinds[k].name, data, n, &zip_len);
        struct view *views[] = {
            view_of_named(kinds[k].type, kinds[k].name, data, n, 76, NULL),
            view_of_named("application/zip", "media.zip", zip, zip_len, 76, NULL),
        };
        for (size_t i = 0; i < sizeof(views) / sizeof(*views); i++) {
            if (strcmp(attachment_text(views[i]), kinds[k].metadata) != 0 ||
                view_flags(views[i]) != 0) {
                dump(views[i]);
                fail_msg("%s (view %zu): got attachment text \"%s\", flags %#x; want "
                         "\"%s\" and none",
                         kinds[k].name, i, attachment_text(views[i]),
                         view_flags(views[i]), kinds[k].metadata);
            }
            view_free(views[i]);
        }
        free(zip);
    }
    size_t n = make_png(data, 40 * 1024);
    memcpy(data + n, "\n1,4111 1111 1111 1111\n", 23);
    struct view *v = view_of_named("image/png", "logo.png", data, n + 23, 76, NULL);
    assert_true(has_text(v, VIEW_ATTACHMENT_TEXT, "1,4111 1111 1111 1111"));
    view_free(v);
    free(data);
}

/*
 * A zip under a text label or a text name (text/plain "notes.txt"): a
 * client saving it by its other name, or sniffing its bytes, opens the
 * zip; it is looked into, and read as text besides.
 */
static void test_text_labelled_archive(void **state)
{
    static const char csv[] = "1,Yamada,4111 1111 1111 1111\r\n";
    size_t zlen;
    (void)state;
    unsigned char *zip = make_zip("cards.csv", csv, sizeof(csv) - 1, &zlen);
    static const struct {
        const char *type, *name;
    } labels[] = {{"text/plain", "notes.bin"},
                  {"application/octet-stream", "notes.txt"},
                  {"text/csv", "cards.csv"}};
    for (size_t i = 0; i < sizeof(labels) / sizeof(*labels); i++) {
        struct view *v =
            view_of_named(labels[i].type, labels[i].name, zip, zlen, 76, NULL);
        if (find_attachment(v, "cards.csv") == NULL ||
            !has_text(v, VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111")) {
            dump(v);
            fail_msg("%s named %s: the zip inside was not read", labels[i].type,
                     labels[i].name);
        }
        view_free(v);
    }
    free(zip);
}
/*
 * An OLE2 compound file - a binary Office document (.xls) - whose text is
 * UTF-16 and not read: flagged unreadable-format, at the top and in a zip;
 * named as OOXML (a docx under a password) in a zip, it is encrypted.
 */
static void test_compound_files(void **state)
{
    unsigned char cfb[512] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
    size_t zlen;
    (void)state;
    memcpy(cfb + 64, "\x3e\x79\x16\x59\xd8\x79", 6); /* 社外秘 in UTF-16LE */
    struct view *v =
        view_of_named("application/vnd.ms-excel", "list.xls", cfb, sizeof(cfb), 76, NULL);
    assert_true(view_flags(v) & VIEW_UNREADABLE_FORMAT);
    assert_false(view_flags(v) & VIEW_ENCRYPTED_ARCHIVE);
    view_free(v);
    unsigned char *zip = make_zip("list.xls", cfb, sizeof(cfb), &zlen);
    v = view_of_named("application/zip", "list.zip", zip, zlen, 76, NULL);
    assert_true(view_flags(v) & VIEW_UNREADABLE_FORMAT);
    view_free(v);
    free(zip);
    zip = make_zip("plan.docx", cfb, sizeof(cfb), &zlen);
    v = view_of_named("application/zip", "plan.zip", zip, zlen, 76, NULL);
    assert_true(view_flags(v) & VIEW_ENCRYPTED_ARCHIVE);
    assert_false(view_flags(v) & VIEW_UNREADABLE_FORMAT);
    view_free(v);
    free(zip);
    /* A plain binary is no compound file. */
    cfb[0] = 0;
    v = view_of_named("application/octet-stream", "x.bin", cfb, sizeof(cfb), 76, NULL);
    assert_false(view_flags(v) & VIEW_UNREADABLE_FORMAT);
    view_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_binary_attachments),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_probe_falls_back),
        cmocka_unit_test(test_binary_text_runs),
        cmocka_unit_test(test_binary_text_runs_cut),
        cmocka_unit_test(test_exact_images_have_no_text),
        cmocka_unit_test(test_text_labelled_archive),
        cmocka_unit_test(test_compound_files),
    };
    return cmocka_run_group_tests(tests, view_test_setup, view_test_teardown);
}
