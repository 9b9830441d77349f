/* Unit tests for the view (view.h) on real encoded samples in testdata/view/. */
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
#include "view_name.h"
#include "view_probe.h"

static const struct view_limits limits = {
    .max_depth = 4,
    .max_entries = 100,
    .max_expanded = 10 * 1024 * 1024,
    .max_ratio = 100,
    .max_text = 1024 * 1024,
    .memory_limit = 64 * 1024,
    .temp_dir = "/tmp",
};

/* Builds the view of testdata/view/NAME. */
static struct view *load(const char *name)
{
    char path[512], buf[65536], err[256];
    snprintf(path, sizeof(path), "%s/view/%s", SENDWATCH_TESTDATA, name);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    struct spool *sp = spool_new(1 << 20, "/tmp");
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        assert_int_equal(spool_write(sp, buf, n, err, sizeof(err)), 0);
    fclose(fp);
    struct view *v = view_build(sp, &limits, err, sizeof(err));
    if (v == NULL)
        fail_msg("%s: view_build failed: %s", name, err);
    spool_free(sp);
    return v;
}

/* True when a text of one of FIELDS contains NEEDLE. */
static bool has_text(const struct view *v, unsigned fields, const char *needle)
{
    for (size_t i = 0; i < view_text_count(v); i++) {
        const struct view_text *t = view_text_at(v, i);
        if ((t->field & fields) && strstr(t->text, needle) != NULL)
            return true;
    }
    return false;
}

static void dump(const struct view *v)
{
    for (size_t i = 0; i < view_text_count(v); i++) {
        const struct view_text *t = view_text_at(v, i);
        fprintf(stderr, "  text field=%u name=%s att=%d: %s\n", t->field,
                t->name ? t->name : "-", t->attachment, t->text);
    }
    for (size_t i = 0; i < view_attachment_count(v); i++) {
        const struct view_attachment *a = view_attachment_at(v, i);
        fprintf(stderr, "  attachment %zu: \"%s\" %s %llu bytes%s\n", i, a->name,
                a->content_type, (unsigned long long)a->size,
                a->suspicious_name ? " suspicious" : "");
    }
}

static const struct {
    const char *file;
    unsigned fields;
    const char *needle;
    bool want;
} text_cases[] = {
    /* ISO-2022-JP subject split mid-character across two encoded-words. */
    {"iso2022jp.eml", VIEW_SUBJECT, "社外秘:見積書", true}, /* NFKC: ： -> : */
    /* CP50220: NEC row 13 and IBM extension characters, and the rest of the line. */
    {"iso2022jp.eml", VIEW_BODY, "1(株)III 社外秘纊 CP50220 line", true},
    {"iso2022jp.eml", VIEW_BODY, "お世話になっております。", true},
    /* Shift_JIS quoted-printable with a soft break inside the keyword. */
    {"sjis_qp.eml", VIEW_BODY, "この資料は社外秘です。", true},
    /* A keyword split by HTML tags; script text is not text. */
    {"html_split.eml", VIEW_BODY, "Please see 社外秘 plan", true},
    {"html_split.eml", VIEW_BODY, "hidden script", false},
    /* Attachment names in every encoding senders use. */
    {"names.eml", VIEW_ATTACHMENT_NAME, "社外秘リスト.xlsx", true}, /* RFC 2231, split */
    {"names.eml", VIEW_ATTACHMENT_NAME, "顧客名簿.csv", true},   /* 2047 split mid-char */
    {"names.eml", VIEW_ATTACHMENT_NAME, "社外秘.pdf", true},     /* 2 ISO-2022-JP words */
    {"names.eml", VIEW_ATTACHMENT_NAME, "機密データ.bin", true}, /* raw UTF-8 */
    {"names.eml", VIEW_ATTACHMENT_NAME, "見積書.txt", true},     /* raw Shift_JIS */
    {"names.eml", VIEW_ATTACHMENT_TEXT, "山田,yamada@example.jp", true}, /* CSV content */
    /* RFC 2231 without a charset: GMime hands back raw bytes, here Shift_JIS,
     * and a lone %E3 once failed the whole view (found by fuzz_view). */
    {"names_2231_raw.eml", VIEW_ATTACHMENT_NAME, "社外秘.txt", true},
    /* =00 in an encoded-word once ended the subject and the name there. */
    /* An encoded NUL hides nothing after it, and splits no keyword; a name
     * keeps it, shown as U+2400 (view_name.h). */
    {"nul_words.eml", VIEW_SUBJECT, "helloCONFIDENTIAL社外秘", true},
    {"nul_words.eml", VIEW_ATTACHMENT_NAME, "invoice\xe2\x90\x80.pdf.exe", true},
    /* No label, UTF-8 but for one stray byte: not windows-1252 mojibake. */
    {"nearly_utf8.eml", VIEW_BODY, "この\xef\xbf\xbd資料は社外秘です。", true},
    /* Charset labels that lie. */
    {"lying_labels.eml", VIEW_BODY, "極秘の計画", true},
    {"lying_labels.eml", VIEW_BODY, "社外秘の見積", true},
    /* A forwarded message is read as mail. */
    {"forwarded.eml", VIEW_SUBJECT, "転送:機密", true},
    {"forwarded.eml", VIEW_BODY, "内部資料 CONFIDENTIAL inside", true},
    /* Broken MIME: the raw text is scanned. */
    {"malformed.eml", VIEW_BODY, "TOPSECRET-KEYWORD", true},
    /* Full-width, half-width and invisible characters. */
    {"fullwidth.eml", VIEW_SUBJECT, "CONFIDENTIAL", true},
    {"fullwidth.eml", VIEW_BODY, "シャガイヒ", true},
    {"fullwidth.eml", VIEW_BODY, "社外秘", true},
    {"fullwidth.eml", VIEW_BODY, "confidential", true},
    /* Office documents: Word runs joined, styles not text, sheets, slides, ODF. */
    {"arch_office.eml", VIEW_ATTACHMENT_TEXT, "社外秘の設計書\nsecond paragraph", true},
    {"arch_office.eml", VIEW_ATTACHMENT_TEXT, "STYLE-NOT-TEXT", false},
    {"arch_office.eml", VIEW_ATTACHMENT_TEXT, "顧客リスト", true},
    {"arch_office.eml", VIEW_ATTACHMENT_TEXT, "4111111111111111", true},
    {"arch_office.eml", VIEW_ATTACHMENT_TEXT, "極秘スライド", true},
    {"arch_office.eml", VIEW_ATTACHMENT_TEXT, "ODF confidential memo", true},
    {"arch_office.eml", VIEW_ATTACHMENT_TEXT, "hidden in a renamed docx", true},
    /* Archives, nested; tar.gz; a lone .gz; Shift_JIS entry names. */
    {"arch_archives.eml", VIEW_ATTACHMENT_TEXT, "outer readme", true},
    {"arch_archives.eml", VIEW_ATTACHMENT_TEXT, "1,内部顧客", true},
    {"arch_archives.eml", VIEW_ATTACHMENT_TEXT, "社外秘の設計書",
     true}, /* docx in zip in zip */
    {"arch_archives.eml", VIEW_ATTACHMENT_NAME, "inner.zip", true},
    {"arch_archives.eml", VIEW_ATTACHMENT_TEXT, "tar member secret text", true},
    {"arch_archives.eml", VIEW_ATTACHMENT_TEXT, "1,gzipped row", true},
    {"arch_archives.eml", VIEW_ATTACHMENT_NAME, "顧客名簿.csv", true},
    {"arch_archives.eml", VIEW_ATTACHMENT_TEXT, "yamada,y@example.jp", true},
    /* Disguises: a zip named .docx, a .gz in a zip, a gzip named .dat. */
    {"arch_disguised.eml", VIEW_ATTACHMENT_TEXT, "yamada,disguised-in-docx", true},
    {"arch_disguised.eml", VIEW_ATTACHMENT_TEXT, "1,gz-in-zip-row", true},
    {"arch_disguised.eml", VIEW_ATTACHMENT_TEXT, "1,gz-named-dat-row", true},
    /* Past the depth limit nothing is read. */
    {"arch_deep.eml", VIEW_ATTACHMENT_TEXT, "deepest text", false},
    /* S/MIME opaque signed: the signed entity is read, body and attachment,
     * however it is labelled and encoded. */
    {"smime_signed.eml", VIEW_BODY, "この資料は社外秘です。", true},
    {"smime_signed.eml", VIEW_ATTACHMENT_TEXT, "1,Yamada,4111 1111 1111 1111", true},
    {"smime_signed.eml", VIEW_ATTACHMENT_NAME, "cards.csv", true},
    {"smime_signed_ber.eml", VIEW_BODY, "社外秘", true}, /* indefinite lengths */
    {"smime_signed_ber.eml", VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111", true},
    {"smime_signed_x_pkcs7.eml", VIEW_BODY, "社外秘", true},
    {"smime_signed_x_pkcs7.eml", VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111", true},
    {"smime_signed_p7m.eml", VIEW_BODY, "社外秘", true}, /* octet-stream smime.p7m */
    {"smime_signed_p7m.eml", VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111", true},
    {"kind_signed_smime.eml", VIEW_BODY, "社外秘: the real content", true},
    /* S/MIME compressed-data (RFC 3274), alone and inside signed data. */
    {"smime_compressed.eml", VIEW_BODY, "この資料は社外秘です。", true},
    {"smime_compressed.eml", VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111", true},
    {"smime_compressed.eml", VIEW_ATTACHMENT_NAME, "cards.csv", true},
    {"smime_signed_compressed.eml", VIEW_BODY, "社外秘", true},
    {"smime_signed_compressed.eml", VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111", true},
    /* Inflated up to the cap: what came out is read all the same. */
    {"smime_compressed_bomb.eml", VIEW_BODY, "bomb start", true},
    {"smime_compressed_bomb.eml", VIEW_BODY, "bomb end", false},
    /* Signed five times over: the fifth is past max_depth (4). */
    {"smime_deep.eml", VIEW_BODY, "deepest signed text", false},
    /* Neither archive nor text by its head: its text runs, each in its charset
     * (make_binary_samples.py), at the top and in a zip. */
    {"bin_cards_png.eml", VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111,社外秘", true},
    {"bin_cards_png.eml", VIEW_ATTACHMENT_TEXT, "顧客名簿の控え,山田",
     true},                                                            /* Shift_JIS */
    {"bin_cards_png.eml", VIEW_ATTACHMENT_TEXT, "極秘資料です", true}, /* ISO-2022-JP */
    {"bin_cards_zip.eml", VIEW_ATTACHMENT_TEXT, "4111 1111 1111 1111,社外秘", true},
    {"bin_cards_zip.eml", VIEW_ATTACHMENT_TEXT, "顧客名簿の控え,山田", true},
    {"bin_cards_zip.eml", VIEW_ATTACHMENT_TEXT, "極秘資料です", true},
    /* An exact PNG: no attachment text at all ("" is in every text). */
    {"bin_logo_png.eml", VIEW_ATTACHMENT_TEXT, "", false},
};

static void test_texts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
        struct view *v = load(text_cases[i].file);
        bool got = has_text(v, text_cases[i].fields, text_cases[i].needle);
        if (got != text_cases[i].want) {
            dump(v);
            fail_msg("%s: text \"%s\" in fields %u: got %d, want %d", text_cases[i].file,
                     text_cases[i].needle, text_cases[i].fields, got, text_cases[i].want);
        }
        view_free(v);
    }
}

static void test_attachments(void **state)
{
    (void)state;
    struct view *v = load("names.eml");
    static const struct {
        const char *name, *type;
        bool suspicious;
    } want[] = {
        {"社外秘リスト.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false},
        {"顧客名簿.csv", "text/csv", false},
        {"社外秘.pdf", "application/pdf", false},
        {"機密データ.bin", "application/octet-stream", false},
        {"見積書.txt", "application/octet-stream", false},
        {"invoice.pdf.exe", "application/octet-stream", true},
        {"report\xe2\x80\xaetxt.exe", "application/octet-stream", true},
    };
    if (view_attachment_count(v) != sizeof(want) / sizeof(want[0])) {
        dump(v);
        fail_msg("got %zu attachments, want %zu", view_attachment_count(v),
                 sizeof(want) / sizeof(want[0]));
    }
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct view_attachment *a = view_attachment_at(v, i);
        if (strcmp(a->name, want[i].name) != 0 ||
            strcmp(a->content_type, want[i].type) != 0 ||
            a->suspicious_name != want[i].suspicious)
            fail_msg("attachment %zu: got \"%s\" %s suspicious=%d, want \"%s\" %s %d", i,
                     a->name, a->content_type, a->suspicious_name, want[i].name,
                     want[i].type, want[i].suspicious);
    }
    assert_int_equal(view_attachment_at(v, 0)->size, 22); /* decoded, not base64 */
    assert_true(view_flags(v) & VIEW_SUSPICIOUS_NAME);
    assert_false(view_flags(v) & VIEW_MALFORMED);
    view_free(v);
}

static void test_flags(void **state)
{
    (void)state;
    struct view *v = load("malformed.eml");
    assert_true(view_flags(v) & VIEW_MALFORMED);
    assert_true(strlen(view_problem(v)) > 0);
    view_free(v);

    v = load("lying_labels.eml");
    assert_true(view_flags(v) & VIEW_CHARSET_RELABELED);
    assert_false(view_flags(v) & VIEW_MALFORMED);
    view_free(v);

    v = load("nul_words.eml"); /* the name after its =00 is still suspicious */
    assert_true(view_flags(v) & VIEW_SUSPICIOUS_NAME);
    view_free(v);

    v = load("iso2022jp.eml");
    assert_string_equal(view_subject(v), "社外秘：見積書"); /* display form, not NFKC */
    assert_string_equal(view_header_from(v), "a@corp.example");
    assert_int_equal(view_header_rcpt_count(v), 1);
    assert_string_equal(view_header_rcpt_at(v, 0), "b@partner.example");
    assert_int_equal(view_flags(v), 0);
    view_free(v);
}

/* Flags each archive sample must raise, and must not. */
static void test_archive_flags(void **state)
{
    static const struct {
        const char *file;
        unsigned want, not_want;
    } cases[] = {
        {"arch_office.eml", 0,
         VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED | VIEW_ENCRYPTED_ARCHIVE},
        {"arch_archives.eml", 0,
         VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED | VIEW_ENCRYPTED_ARCHIVE},
        {"arch_bomb.eml", VIEW_LIMIT_EXCEEDED, VIEW_MALFORMED},
        {"arch_deep.eml", VIEW_LIMIT_EXCEEDED, VIEW_MALFORMED},
        {"arch_many.eml", VIEW_LIMIT_EXCEEDED, VIEW_MALFORMED},
        {"arch_encrypted.eml", VIEW_ENCRYPTED_ARCHIVE | VIEW_MALFORMED, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct view *v = load(cases[i].file);
        unsigned f = view_flags(v);
        if ((f & cases[i].want) != cases[i].want || (f & cases[i].not_want) != 0) {
            dump(v);
            fail_msg("%s: got flags %#x (%s), want %#x and not %#x", cases[i].file, f,
                     view_problem(v), cases[i].want, cases[i].not_want);
        }
        view_free(v);
    }
}

/* The encrypted zip and the locked docx are marked; the PNG is not an archive. */
static void test_encrypted_attachments(void **state)
{
    (void)state;
    struct view *v = load("arch_encrypted.eml");
    bool enc_zip = false, locked = false, png_clean = false;
    for (size_t i = 0; i < view_attachment_count(v); i++) {
        const struct view_attachment *a = view_attachment_at(v, i);
        if (strcmp(a->name, "enc.zip") == 0 || strcmp(a->name, "secret.txt") == 0)
            enc_zip |= a->encrypted;
        if (strcmp(a->name, "locked.docx") == 0)
            locked = a->encrypted;
        if (strcmp(a->name, "photo.png") == 0)
            png_clean = !a->encrypted;
    }
    assert_false(has_text(v, VIEW_ATTACHMENT_TEXT, "encrypted content"));
    view_free(v);
    assert_true(enc_zip);
    assert_true(locked);
    assert_true(png_clean);
}

/* Files in archives are attachments of their own, with parent and depth. */
static void test_archive_entries(void **state)
{
    (void)state;
    struct view *v = load("arch_archives.eml");
    int bundle = -1, inner = -1, list = -1;
    for (size_t i = 0; i < view_attachment_count(v); i++) {
        const struct view_attachment *a = view_attachment_at(v, i);
        if (strcmp(a->name, "bundle.zip") == 0)
            bundle = (int)i;
        if (strcmp(a->name, "inner.zip") == 0)
            inner = (int)i;
        if (strcmp(a->name, "list.csv") == 0)
            list = (int)i;
    }
    if (bundle < 0 || inner < 0 || list < 0) {
        dump(v);
        fail_msg("missing entries: bundle %d inner %d list %d", bundle, inner, list);
    }
    assert_int_equal(view_attachment_at(v, (size_t)inner)->parent, bundle);
    assert_int_equal(view_attachment_at(v, (size_t)inner)->depth, 1);
    assert_int_equal(view_attachment_at(v, (size_t)list)->parent, inner);
    assert_int_equal(view_attachment_at(v, (size_t)list)->depth, 2);
    view_free(v);
}

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

static const struct view_attachment *find_attachment(const struct view *v,
                                                     const char *name)
{
    for (size_t i = 0; i < view_attachment_count(v); i++)
        if (strcmp(view_attachment_at(v, i)->name, name) == 0)
            return view_attachment_at(v, i);
    return NULL;
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

/* Every reading of a name parameter, fully decoded (view_name.h). */
static void test_name_readings(void **state)
{
    static const struct {
        const char *raw, *param;
        const char *want; /* the names, joined by " | " */
        bool disagree;
    } cases[] = {
        {"attachment; filename=\"a.pdf\"", "filename", "a.pdf", false},
        /* A NUL shown, and dropped: a client may do either. */
        {"attachment; filename*=UTF-8''report.txt%00.exe", "filename",
         "report.txt\u2400.exe | report.txt.exe", false},
        /* Quoted although it should not be; %xx in lower case. */
        {"attachment; filename*=\"utf-8'ja'%e7%a4%be.txt\"", "filename", "社.txt", false},
        /* Continuations out of order, one encoded; the first of a repeated index. */
        {"attachment; filename*1=\"b\"; filename*0*=UTF-8''%41; filename*1=c", "filename",
         "Ab", false},
        /* A gap: RFC 2231 readers stop there, others join all. */
        {"attachment; filename*0=report.txt; filename*2=.exe", "filename",
         "report.txt.exe | report.txt", true},
        /* RFC 2231 and plain forms that disagree; the plain one is a name too. */
        {"attachment; filename=\"a.txt\"; filename*=UTF-8''a.exe", "filename",
         "a.exe | a.txt", true},
        /* Repeated plain parameters: some clients take the first, some the last. */
        {"application/octet-stream; name=a.txt; name=\"b.exe\"", "name", "a.txt | b.exe",
         true},
        /* Folded, with an escaped quote and a semicolon inside the quotes. */
        {"application/octet-stream;\r\n\tname=\"x \\\"y\\\";z.doc\"", "name",
         "x \"y\";z.doc", false},
        /* Folded inside the quotes with a tab: unfolded, the tab is no control. */
        {"a; name=\"long\r\n\tname.pdf\"", "name", "long name.pdf", false},
        /* Controls: TAB, DEL, a C1 control (U+0085). */
        {"a; name=\"=?UTF-8?B?YQlif2PChWQ=?=\"", "name", "a\u2409b\u2421c\ufffdd | abcd",
         false},
        /* Windows drops trailing dots and spaces: that reading is kept too. */
        {"a; filename=\"setup.exe. .\"", "filename", "setup.exe. . | setup.exe", false},
        /* Another parameter's name is not this one's. */
        {"a; filename=\"x.txt\"; xname=y.exe; name*9x=z.exe", "name", "", false},
        {"attachment", "filename", "", false},
        {"attachment; filename*=UTF-8''; filename*0*=UTF-8''", "filename", "", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct view_names names = {0};
        view_names_add_param(&names, cases[i].raw, cases[i].param);
        char got[512] = "";
        for (size_t j = 0; j < names.n; j++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", j ? " | " : "",
                     names.name[j]);
        if (strcmp(got, cases[i].want) != 0 || names.disagree != cases[i].disagree)
            fail_msg("case %zu (%s): got \"%s\" disagree=%d, want \"%s\" %d", i,
                     cases[i].raw, got, names.disagree, cases[i].want, cases[i].disagree);
        view_names_clear(&names);
    }
}

/* What makes a name suspicious, and what says a file is encrypted mail. */
static void test_name_signals(void **state)
{
    static const struct {
        const char *name;
        bool suspicious, encrypted;
    } cases[] = {
        {"report.pdf", false, false},
        {"setup.exe", false, false},
        {"SETUP.EXE", false, false},
        {"invoice.pdf.exe", true, false},
        {"report.doc    .scr", true, false},
        {"report.txt\u2400.exe", true, false},
        {"a\u241fb.txt", true, false},
        {"a\ufffdb.txt", true, false},
        {"report\u202etxt.exe", true, false},
        {"setup.exe.", true, false},
        {"setup.exe ", true, false},
        {"notes.", false, false},
        {"smime.p7m", false, true},
        {"SECRET.XLSX.GPG", false, true},
        {"data.pgp", false, true},
        {"x.p7m.", false, true}, /* a trailing dot is suspicious after .exe & co only */
        {".p7m", false, false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool s = view_name_suspicious(cases[i].name),
             e = view_name_encrypted(cases[i].name);
        if (s != cases[i].suspicious || e != cases[i].encrypted)
            fail_msg("\"%s\": got suspicious=%d encrypted=%d, want %d %d", cases[i].name,
                     s, e, cases[i].suspicious, cases[i].encrypted);
    }
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
    bool skip = view_probe_skippable(content, type, name, size);
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

/*
 * What S/MIME content cannot be read for is flagged: encrypted (enveloped
 * data), malformed (no CMS under a signed-data label, a zlib stream cut
 * short), a limit (inflation capped, nesting too deep).  What is read is
 * not flagged encrypted, a signed smime.p7m without smime-type included.
 */
static void test_smime_flags(void **state)
{
    static const struct {
        const char *file;
        unsigned want, not_want;
        const char *problem; /* in view_problem(), or NULL */
    } cases[] = {
        {"smime_signed.eml", 0,
         VIEW_ENCRYPTED_MESSAGE | VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED, NULL},
        {"smime_signed_ber.eml", 0, VIEW_ENCRYPTED_MESSAGE | VIEW_MALFORMED, NULL},
        {"smime_signed_p7m.eml", 0, VIEW_ENCRYPTED_MESSAGE | VIEW_MALFORMED, NULL},
        {"kind_signed_smime.eml", 0, VIEW_ENCRYPTED_MESSAGE | VIEW_MALFORMED, NULL},
        {"smime_compressed.eml", 0,
         VIEW_ENCRYPTED_MESSAGE | VIEW_MALFORMED | VIEW_LIMIT_EXCEEDED, NULL},
        {"smime_signed_compressed.eml", 0, VIEW_ENCRYPTED_MESSAGE | VIEW_MALFORMED, NULL},
        {"smime_enveloped.eml", VIEW_ENCRYPTED_MESSAGE, VIEW_MALFORMED, NULL},
        {"kind_smime_enveloped.eml", VIEW_ENCRYPTED_MESSAGE, VIEW_MALFORMED, NULL},
        {"kind_smime_p7m_attachment.eml", VIEW_ENCRYPTED_MESSAGE, VIEW_MALFORMED, NULL},
        {"smime_garbage.eml", VIEW_MALFORMED, VIEW_ENCRYPTED_MESSAGE,
         "an S/MIME signed-data part holds no CMS structure"},
        {"smime_compressed_broken.eml", VIEW_MALFORMED, VIEW_ENCRYPTED_MESSAGE,
         "S/MIME compressed content does not inflate"},
        {"smime_compressed_bomb.eml", VIEW_LIMIT_EXCEEDED, VIEW_ENCRYPTED_MESSAGE,
         "S/MIME compressed content inflated only up to"},
        {"smime_deep.eml", VIEW_LIMIT_EXCEEDED, VIEW_ENCRYPTED_MESSAGE,
         "S/MIME content nested deeper than 4"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct view *v = load(cases[i].file);
        unsigned f = view_flags(v);
        if ((f & cases[i].want) != cases[i].want || (f & cases[i].not_want) != 0 ||
            (cases[i].problem && !strstr(view_problem(v), cases[i].problem))) {
            dump(v);
            fail_msg("%s: got flags %#x (%s), want %#x and not %#x (%s)", cases[i].file,
                     f, view_problem(v), cases[i].want, cases[i].not_want,
                     cases[i].problem ? cases[i].problem : "");
        }
        view_free(v);
    }
}

/* The signed entity's attachment is one of the message's, a level deeper. */
static void test_smime_attachments(void **state)
{
    (void)state;
    struct view *v = load("smime_signed.eml");
    const struct view_attachment *p7m = find_attachment(v, "smime.p7m");
    const struct view_attachment *csv = find_attachment(v, "cards.csv");
    if (p7m == NULL || csv == NULL) {
        dump(v);
        fail_msg("got smime.p7m %p, cards.csv %p: want both", (void *)p7m, (void *)csv);
    }
    assert_string_equal(p7m->content_type, "application/pkcs7-mime");
    assert_int_equal(p7m->depth, 0);
    assert_string_equal(csv->content_type, "text/csv");
    assert_int_equal(csv->depth, 1);
    assert_int_equal(csv->size, 44); /* decoded */
    /* Its text belongs to it. */
    bool found = false;
    for (size_t i = 0; i < view_text_count(v); i++) {
        const struct view_text *t = view_text_at(v, i);
        if (t->field == VIEW_ATTACHMENT_TEXT && t->attachment >= 0 &&
            view_attachment_at(v, (size_t)t->attachment) == csv &&
            strstr(t->text, "4111 1111 1111 1111") != NULL)
            found = true;
    }
    assert_true(found);
    view_free(v);
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
 * in a zip: no attachment text, no flag.  The same PNG with bytes after
 * its end is no exact image: read.
 */
static void test_exact_images_have_no_text(void **state)
{
    static const struct {
        size_t (*make)(unsigned char *, size_t);
        const char *type, *name;
    } kinds[] = {{make_png, "image/png", "logo.png"},
                 {make_jpeg, "image/jpeg", "photo.jpg"},
                 {make_gif, "image/gif", "icon.gif"}};
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
            if (has_text(views[i], VIEW_ATTACHMENT_TEXT, "") ||
                view_flags(views[i]) != 0) {
                dump(views[i]);
                fail_msg("%s (view %zu): got attachment text or flags %#x, want none",
                         kinds[k].name, i, view_flags(views[i]));
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

static int setup(void **state)
{
    (void)state;
    view_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    view_shutdown();
    return 0;
}

/*
 * Where a message can be read more than one way, every reading is scanned
 * and the message is flagged malformed: what one client shows must not
 * pass unread.  Each sample hides "SECRETWORD" where only one reading
 * finds it; "hello A" is what the other reading shows.
 */
static void test_every_reading(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *other; /* a text only the other reading has, or NULL */
        unsigned flags;
    } cases[] = {
        /* GMime takes the first boundary; a client may take the second. */
        {"readings-two-boundaries.eml", "hello A", VIEW_MALFORMED},
        {"readings-two-content-types.eml", "hello A", VIEW_MALFORMED},
        /* "--AAA-junk": no boundary to GMime, one to prefix-matching clients. */
        {"readings-prefix-boundary.eml", "hello A", VIEW_MALFORMED},
        /* RFC 2231 continuations assemble the boundary ("Sec" "ret"). */
        {"readings-rfc2231-boundary.eml", NULL, 0},
        /* Data after "=" padding is decoded, quantum by quantum. */
        {"base64-after-padding.eml", "ABC", VIEW_MALFORMED},
        /* Two transfer encodings: read under each (here quoted-printable). */
        {"two-transfer-encodings.eml", NULL, VIEW_MALFORMED},
        /* image/png and text/csv on one part: never skipped, read as text too. */
        {"two-content-types-leaf.eml", "alice", VIEW_MALFORMED},
        /* multipart/mixed, then text/plain on the same part: GMime takes
         * the last, text; the base64 attachment of the multipart is decoded
         * as a client taking the first would.  And the other way round. */
        {"two-content-types-leaf-multipart.eml", "社外秘 SECRETWORD", VIEW_MALFORMED},
        {"two-content-types-multipart-leaf.eml", "社外秘 SECRETWORD", VIEW_MALFORMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct view *v = load(cases[i].file);
        if (!has_text(v, VIEW_BODY | VIEW_ATTACHMENT_TEXT, "SECRETWORD") ||
            (cases[i].other &&
             !has_text(v, VIEW_BODY | VIEW_ATTACHMENT_TEXT, cases[i].other)) ||
            (view_flags(v) & cases[i].flags) != cases[i].flags) {
            dump(v);
            fail_msg("%s: flags %#x, problem \"%s\"", cases[i].file, view_flags(v),
                     view_problem(v));
        }
        view_free(v);
    }
    /* Well-formed mail is read once: no flag. */
    struct view *v = load("readings-rfc2231-boundary.eml");
    assert_int_equal(view_flags(v), 0);
    view_free(v);
}

/* A repeated RFC 2231 index: the first counts (once freed a value twice). */
static void test_name_repeated_index(void **state)
{
    (void)state;
    struct view *v = load("name_2231_repeated_index.eml");
    assert_true(has_text(v, VIEW_ATTACHMENT_NAME, "report.exe"));
    view_free(v);
}

/* An encoded NUL in a header hides nothing after it: dropped, flagged. */
static void test_header_nul_hides_nothing(void **state)
{
    (void)state;
    struct view *v = load("header-encoded-nul.eml");
    assert_true(has_text(v, VIEW_SUBJECT, "helloSECRETWORD"));
    assert_true(view_flags(v) & VIEW_MALFORMED);
    view_free(v);
}

/* format=flowed; delsp=yes: a soft line break splits nothing (RFC 3676). */
static void test_flowed_text_is_unflowed(void **state)
{
    (void)state;
    struct view *v = load("flowed-delsp.eml");
    assert_true(has_text(v, VIEW_BODY, "4111 1111 1111 1111"));
    assert_true(has_text(v, VIEW_BODY, "SECRETWORD"));
    assert_true(has_text(v, VIEW_BODY, "4111 111")); /* the text as it stands, too */
    view_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_every_reading),
        cmocka_unit_test(test_flowed_text_is_unflowed),
        cmocka_unit_test(test_header_nul_hides_nothing),
        cmocka_unit_test(test_name_repeated_index),
        cmocka_unit_test(test_attachments),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_archive_flags),
        cmocka_unit_test(test_encrypted_attachments),
        cmocka_unit_test(test_smime_flags),
        cmocka_unit_test(test_smime_attachments),
        cmocka_unit_test(test_archive_entries),
        cmocka_unit_test(test_large_binary_attachments),
        cmocka_unit_test(test_name_readings),
        cmocka_unit_test(test_name_signals),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_probe_falls_back),
        cmocka_unit_test(test_binary_text_runs),
        cmocka_unit_test(test_binary_text_runs_cut),
        cmocka_unit_test(test_exact_images_have_no_text),
        cmocka_unit_test(test_text_labelled_archive),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
