/* Unit tests for the view (view.h) on real encoded samples in testdata/view/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"
#include "view_name.h"
#include "view_test_support.h"

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
        cmocka_unit_test(test_name_readings),
        cmocka_unit_test(test_name_signals),
    };
    return cmocka_run_group_tests(tests, view_test_setup, view_test_teardown);
}
