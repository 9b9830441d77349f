/* Unit tests for view.c on real encoded samples in testdata/view/. */
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
    {"nul_words.eml", VIEW_SUBJECT, "helloCONFIDENTIAL社外秘", true},
    {"nul_words.eml", VIEW_ATTACHMENT_NAME, "invoice.pdf.exe", true},
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

/* A message with one base64 attachment, lines of WRAP characters. */
static struct view *view_of_attachment(const char *type, const unsigned char *data,
                                       size_t len, size_t wrap, const char *stray)
{
    char err[256];
    struct spool *sp = spool_new(1 << 20, "/tmp");
    char head[512];
    snprintf(head, sizeof(head),
             "From: a@example.com\r\nTo: b@example.org\r\nSubject: probe\r\n"
             "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n"
             "--p\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
             "--p\r\nContent-Type: %s; name=\"file.bin\"\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\n",
             type);
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
 * Large PDFs and images are sized without being decoded - and whatever
 * libarchive could find in one is still found: a zip appended to a PDF
 * (also behind a stray byte that shifts the base64 groups), a zip labelled
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_attachments),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_archive_flags),
        cmocka_unit_test(test_encrypted_attachments),
        cmocka_unit_test(test_archive_entries),
        cmocka_unit_test(test_large_binary_attachments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
