/* Unit tests for pdf.c: which bytes walk as an exact PDF, and what the walk calls back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pdf.h"

/* The header every sample starts with: the version, then a binary comment. */
#define HEAD "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
/* A classic xref section and the end, with offsets that are not checked. */
#define TAIL                                                                             \
    "xref\n0 2\n0000000000 65535 f \n0000000017 00000 n \n"                              \
    "trailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n40\n%%EOF\n"

/* A growing PDF being written by a test. */
struct pdf_text {
    char *p;
    size_t len;
};

static void text_add(struct pdf_text *t, const void *bytes, size_t len)
{
    t->p = realloc(t->p, t->len + len + 1);
    assert_non_null(t->p);
    memcpy(t->p + t->len, bytes, len);
    t->len += len;
    t->p[t->len] = '\0';
}

static void text_addf(struct pdf_text *t, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(line));
    text_add(t, line, (size_t)n);
}

/* Appends the NUL-terminated S as it is. */
static void text_adds(struct pdf_text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* What the callbacks saw. */
struct seen {
    size_t streams, syntax_bytes, stream_bytes;
    uint64_t next; /* where the next range should start */
    bool gap;      /* a range did not start where the last one ended */
    struct pdf_stream s[4];
    char filters[4][PDF_MAX_FILTERS][PDF_MAX_NAME + 1];
    int stop_at_stream; /* 1-based; 0: never stop */
    size_t encrypted;   /* /Encrypt keys told */
};

static int on_syntax(void *ctx, uint64_t offset, const char *bytes, size_t len)
{
    struct seen *seen = ctx;
    (void)bytes;
    seen->gap |= offset != seen->next || len == 0;
    seen->next = offset + len;
    seen->syntax_bytes += len;
    return 0;
}

static int on_stream(void *ctx, const struct pdf_stream *s)
{
    struct seen *seen = ctx;
    seen->gap |= s->offset != seen->next;
    seen->next = s->offset + s->length;
    seen->stream_bytes += s->length;
    if (seen->streams < 4) {
        seen->s[seen->streams] = *s;
        for (size_t f = 0; f < s->filter_count && f < PDF_MAX_FILTERS; f++)
            strcpy(seen->filters[seen->streams][f], s->filters[f]);
    }
    seen->streams++;
    return seen->stop_at_stream != 0 && seen->streams == (size_t)seen->stop_at_stream;
}

static int on_encrypted(void *ctx, uint64_t offset)
{
    struct seen *seen = ctx;
    (void)offset;
    seen->encrypted++;
    return 0;
}

static const struct pdf_callbacks callbacks = {on_syntax, on_stream, on_encrypted};

static enum pdf_walk_result walk(const struct pdf_text *t, struct seen *seen, char *err,
                                 size_t errlen)
{
    memset(seen, 0, sizeof(*seen));
    return pdf_walk_bytes((const unsigned char *)t->p, t->len, &callbacks, seen, err,
                          errlen);
}

/* Checks that the ranges called back cover the LEN bytes walked exactly. */
static void assert_covered(const struct seen *seen, size_t len)
{
    if (seen->gap || seen->next != len || seen->syntax_bytes + seen->stream_bytes != len)
        fail_msg(
            "got ranges ending at %llu (gap %d, %zu + %zu bytes), want all %zu bytes",
            (unsigned long long)seen->next, seen->gap, seen->syntax_bytes,
            seen->stream_bytes, len);
}

/*
 * A page whose content stream is Flate-compressed text, written as a writer
 * does (real xref offsets).  DATA_AT gets where the stream data starts,
 * DATA_LEN its length.
 */
static struct pdf_text minimal_pdf(size_t *data_at, size_t *data_len)
{
    static const char content[] =
        "BT /F1 12 Tf 72 720 Td (card 4111 1111 1111 1111) Tj ET";
    unsigned char z[256];
    uLongf zlen = sizeof(z);
    struct pdf_text t = {0};
    size_t off[6];

    assert_int_equal(compress2(z, &zlen, (const Bytef *)content, sizeof(content) - 1, 9),
                     Z_OK);
    text_add(&t, HEAD, sizeof(HEAD) - 1);
    off[1] = t.len;
    text_addf(&t, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = t.len;
    text_addf(&t, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    off[3] = t.len;
    text_addf(&t, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                  "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n");
    off[4] = t.len;
    text_addf(&t, "4 0 obj\n<< /Length %lu /Filter /FlateDecode >>\nstream\r\n",
              (unsigned long)zlen);
    *data_at = t.len;
    *data_len = zlen;
    text_add(&t, z, zlen);
    text_addf(&t, "\r\nendstream\nendobj\n");
    off[5] = t.len;
    text_addf(&t, "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                  "/Name (a \\(nested\\) (string) \\\n) /Id <01 ab CD> >>\nendobj\n");
    size_t xref = t.len;
    text_addf(&t, "xref\n0 6\n0000000000 65535 f\r\n");
    for (int i = 1; i <= 5; i++)
        text_addf(&t, "%010zu 00000 n\r\n", off[i]);
    text_addf(
        &t,
        "trailer\n<< /Size 6 /Root 1 0 R /ID [<aa><bb>] >>\nstartxref\n%zu\n%%%%EOF\n",
        xref);
    return t;
}

static void test_minimal(void **state)
{
    char err[256] = "";
    struct seen seen;
    size_t at, len;
    struct pdf_text t = minimal_pdf(&at, &len);
    (void)state;

    enum pdf_walk_result got = walk(&t, &seen, err, sizeof(err));
    if (got != PDF_EXACT)
        fail_msg("got %d (%s), want PDF_EXACT", got, err);
    assert_int_equal(seen.streams, 1);
    assert_int_equal(seen.s[0].object, 4);
    assert_int_equal(seen.s[0].generation, 0);
    assert_int_equal(seen.s[0].offset, at);
    assert_int_equal(seen.s[0].length, len);
    assert_int_equal(seen.s[0].filter_count, 1);
    assert_string_equal(seen.filters[0][0], "FlateDecode");
    assert_true(seen.s[0].dict_len > 13);
    assert_memory_equal(seen.s[0].dict, "<< /Length ", 11);
    assert_memory_equal(seen.s[0].dict + seen.s[0].dict_len - 14, "FlateDecode >>", 14);
    assert_covered(&seen, t.len);
    free(t.p);
}

static void test_filter_array_and_stream_bytes(void **state)
{
    /* Data that holds what would end a sloppy walk: the /Length decides. */
    static const char data[] = "x) endstream endobj %%EOF\n<< ]]";
    char err[256] = "";
    struct seen seen;
    struct pdf_text t = {0};
    (void)state;

    text_add(&t, HEAD, sizeof(HEAD) - 1);
    text_addf(&t,
              "7 3 obj<</Filter[/ASCII85Decode/Fl#61teDecode]/Length %zu>>stream\n%s\n"
              "endstream endobj\n",
              sizeof(data) - 1, data);
    text_add(&t, TAIL, sizeof(TAIL) - 1);
    enum pdf_walk_result got = walk(&t, &seen, err, sizeof(err));
    if (got != PDF_EXACT)
        fail_msg("got %d (%s), want PDF_EXACT", got, err);
    assert_int_equal(seen.streams, 1);
    assert_int_equal(seen.s[0].object, 7);
    assert_int_equal(seen.s[0].generation, 3);
    assert_int_equal(seen.s[0].length, sizeof(data) - 1);
    assert_memory_equal(seen.s[0].data, data, sizeof(data) - 1);
    assert_int_equal(seen.s[0].filter_count, 2);
    assert_string_equal(seen.filters[0][0], "ASCII85Decode");
    assert_string_equal(seen.filters[0][1], "FlateDecode");
    assert_covered(&seen, t.len);
    free(t.p);
}

static void test_incremental_update(void **state)
{
    char err[256] = "";
    struct seen seen;
    size_t at, len;
    struct pdf_text t = minimal_pdf(&at, &len);
    (void)state;

    /* An update replaces object 4 with a new stream and appends its own xref. */
    text_addf(&t, "4 0 obj\n<< /Length 6 >>\nstream\nBT ET\n\nendstream\nendobj\n"
                  "xref\n0 1\n0000000000 65535 f \n4 1\n0000000900 00000 n \n"
                  "trailer\n<< /Size 6 /Root 1 0 R /Prev 700 >>\nstartxref\n1000\n%%%%EOF"
                  "\r\n \n");
    enum pdf_walk_result got = walk(&t, &seen, err, sizeof(err));
    if (got != PDF_EXACT)
        fail_msg("got %d (%s), want PDF_EXACT", got, err);
    assert_int_equal(seen.streams, 2);
    assert_int_equal(seen.s[1].length, 6);
    assert_int_equal(seen.s[1].filter_count, 0);
    assert_memory_equal(seen.s[1].data, "BT ET\n", 6);
    assert_covered(&seen, t.len);
    free(t.p);
}

static void test_indirect_length(void **state)
{
    char err[256] = "";
    struct seen seen;
    struct pdf_text t = {0};
    (void)state;

    /* Object 9 is written after the stream it measures, then updated. */
    text_add(&t, HEAD, sizeof(HEAD) - 1);
    text_adds(&t, "8 0 obj\n<< /Length 9 0 R >>\nstream\nhello world\nendstream\nendobj\n"
                  "9 0 obj\n  11 \nendobj\n" TAIL
                  "10 0 obj\n<< /Length 9 0 R >>\nstream\nhello\nendstream\nendobj\n"
                  "9 0 obj 5 endobj\n" TAIL);
    enum pdf_walk_result got = walk(&t, &seen, err, sizeof(err));
    /* The last definition of 9 (5) is the one in effect: the first stream is 11. */
    if (got != PDF_NOT_EXACT)
        fail_msg("got %d (%s), want PDF_NOT_EXACT (the later 9 0 obj wins)", got, err);
    free(t.p);

    t = (struct pdf_text){0};
    text_add(&t, HEAD, sizeof(HEAD) - 1);
    text_adds(&t,
              "8 0 obj\n<< /Length 9 0 R >>\nstream\nhello world\nendstream\nendobj\n"
              "9 0 obj\n  11 \nendobj\n" TAIL
              "10 0 obj\n<< /Length 9 0 R >>\nstream\nhello world\nendstream\nendobj\n"
              "9 0 obj 11 endobj\n" TAIL);
    got = walk(&t, &seen, err, sizeof(err));
    if (got != PDF_EXACT)
        fail_msg("got %d (%s), want PDF_EXACT", got, err);
    assert_int_equal(seen.streams, 2);
    assert_int_equal(seen.s[0].length, 11);
    assert_int_equal(seen.s[1].length, 11);
    assert_covered(&seen, t.len);
    free(t.p);
}

/* Table: bytes, and whether they walk as an exact PDF. */
static const struct {
    const char *what;
    const char *body; /* between HEAD and TAIL, unless RAW */
    bool raw;         /* BODY is the whole file */
    enum pdf_walk_result want;
} cases[] = {
    {"no objects at all", "", false, PDF_EXACT},
    {"every kind of object",
     "1 0 obj [ 1 -2 +3 4. -.5 /N#20ame () (a(b)c\\)) <> <0a1B> true false null "
     "<< /A [ [] ] /B << >> >> 2 0 R ] endobj\n",
     false, PDF_EXACT},
    {"comments between objects", "% a comment\n1 0 obj%x\n(a)%y\nendobj %z\n", false,
     PDF_EXACT},
    {"64 levels of nesting",
     "1 0 obj [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] endobj\n",
     false, PDF_EXACT},
    {"65 levels of nesting",
     "1 0 obj [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] endobj\n",
     false, PDF_NOT_EXACT},
    {"%PDF- + a CSV + %%EOF", "%PDF-1.4\nname,card\n1,4111111111111111\n%%EOF\n", true,
     PDF_NOT_EXACT},
    {"a CSV line starting with a number", "1,4111111111111111\n", false, PDF_NOT_EXACT},
    {"garbage between objects", "1 0 obj 1 endobj\nhello\n2 0 obj 2 endobj\n", false,
     PDF_NOT_EXACT},
    {"garbage after %%EOF", HEAD TAIL "name,card\n", true, PDF_NOT_EXACT},
    {"a comment after %%EOF", HEAD TAIL "%x\n", true, PDF_NOT_EXACT},
    {"no %%EOF", HEAD "1 0 obj 1 endobj\n", true, PDF_NOT_EXACT},
    {"%%EOFX is no end", HEAD "1 0 obj 1 endobj\n%%EOFX\n", true, PDF_NOT_EXACT},
    {"no header", "1 0 obj 1 endobj\n%%EOF\n", true, PDF_NOT_EXACT},
    {"empty", "", true, PDF_NOT_EXACT},
    {"the header alone", "%PDF-", true, PDF_NOT_EXACT},
    {"/Length one short", "1 0 obj << /Length 4 >> stream\nhello\nendstream endobj\n",
     false, PDF_NOT_EXACT},
    {"/Length one long", "1 0 obj << /Length 7 >> stream\nhello\nendstream endobj\n",
     false, PDF_NOT_EXACT},
    {"/Length exact, then an EOL",
     "1 0 obj << /Length 5 >> stream\nhello\nendstream endobj\n", false, PDF_EXACT},
    {"/Length missing", "1 0 obj << >> stream\nhello\nendstream endobj\n", false,
     PDF_NOT_EXACT},
    {"/Length negative", "1 0 obj << /Length -5 >> stream\nhello\nendstream endobj\n",
     false, PDF_NOT_EXACT},
    {"/Length past the end",
     "1 0 obj << /Length 99999 >> stream\nhello\nendstream endobj\n", false,
     PDF_NOT_EXACT},
    {"/Length names no object",
     "1 0 obj << /Length 3 0 R >> stream\nhello\nendstream endobj\n", false,
     PDF_NOT_EXACT},
    {"/Length names a non-integer",
     "1 0 obj << /Length 3 0 R >> stream\nhello\nendstream endobj\n3 0 obj (5) endobj\n",
     false, PDF_NOT_EXACT},
    {"stream then CR alone", "1 0 obj << /Length 5 >> stream\rhello\nendstream endobj\n",
     false, PDF_NOT_EXACT},
    {"a stream after no dictionary", "1 0 obj [] stream\nhello\nendstream endobj\n",
     false, PDF_NOT_EXACT},
    {"no endobj", "1 0 obj 1 2 0 obj 2 endobj\n", false, PDF_NOT_EXACT},
    {"two objects in one", "1 0 obj 1 2 endobj\n", false, PDF_NOT_EXACT},
    {"a key that is no name", "1 0 obj << 1 2 >> endobj\n", false, PDF_NOT_EXACT},
    {"a key without value", "1 0 obj << /A >> endobj\n", false, PDF_NOT_EXACT},
    {"unbalanced brackets", "1 0 obj [ >> endobj\n", false, PDF_NOT_EXACT},
    {"an unterminated string", "1 0 obj (a(b) endobj\n", false, PDF_NOT_EXACT},
    {"a bad hex string", "1 0 obj <0g> endobj\n", false, PDF_NOT_EXACT},
    {"a stray keyword in an object", "1 0 obj [ hello ] endobj\n", false, PDF_NOT_EXACT},
    {"truncated in an object", HEAD "1 0 obj << /A [1 2", true, PDF_NOT_EXACT},
    {"truncated in a stream", HEAD "1 0 obj << /Length 50 >> stream\nhello", true,
     PDF_NOT_EXACT},
    {"a 19-byte xref entry", "xref\n0 1\n0000000000 65535 f\n", false, PDF_NOT_EXACT},
    {"an xref count past the end", "xref\n0 99\n0000000000 65535 f \n", false,
     PDF_NOT_EXACT},
    {"a trailer that is no dictionary", "trailer [ ]\n", false, PDF_NOT_EXACT},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char err[256] = "";
        struct seen seen;
        struct pdf_text t = {0};
        if (cases[i].raw) {
            text_add(&t, cases[i].body, strlen(cases[i].body));
        } else {
            text_add(&t, HEAD, sizeof(HEAD) - 1);
            text_add(&t, cases[i].body, strlen(cases[i].body));
            text_add(&t, TAIL, sizeof(TAIL) - 1);
        }
        enum pdf_walk_result got = walk(&t, &seen, err, sizeof(err));
        if (got != cases[i].want)
            fail_msg("%s: got %d (%s), want %d", cases[i].what, got, err, cases[i].want);
        if (got == PDF_NOT_EXACT && strncmp(err, "offset ", 7) != 0)
            fail_msg("%s: got error \"%s\", want \"offset N: ...\"", cases[i].what, err);
        if (got == PDF_EXACT)
            assert_covered(&seen, t.len);
        free(t.p);
    }
}

/* Deep nesting far past the limit, and a long run of one byte: no crash, not exact. */
static void test_hostile(void **state)
{
    static const char opens[] = "[<(";
    char err[256];
    (void)state;
    for (size_t k = 0; k < sizeof(opens) - 1; k++) {
        struct pdf_text t = {0};
        text_add(&t, HEAD "1 0 obj ", sizeof(HEAD) - 1 + 8);
        /* One append, not 200000: reallocating each time is slow under ASan. */
        size_t width = opens[k] == '<' ? 2 : 1;
        char *run = malloc(200000 * width);
        assert_non_null(run);
        memset(run, opens[k], 200000 * width);
        text_add(&t, run, 200000 * width);
        free(run);
        text_add(&t, "\n%%EOF\n", 7);
        enum pdf_walk_result got = pdf_walk_bytes((const unsigned char *)t.p, t.len, NULL,
                                                  NULL, err, sizeof(err));
        if (got != PDF_NOT_EXACT)
            fail_msg("%c x 200000: got %d, want PDF_NOT_EXACT", opens[k], got);
        free(t.p);
    }
}

/* /Encrypt is told where it makes a file encrypted: a trailer's key, or a cross-reference
 * stream's, spelt with #xx escapes or not; nowhere else. */
static void test_encrypt_key(void **state)
{
    (void)state;
    static const struct {
        const char *pdf;
        size_t want;
    } samples[] = {
        {HEAD "1 0 obj\n<< /Type /Catalog >>\nendobj\n"
              "trailer\n<< /Size 2 /Root 1 0 R /Encrypt 5 0 R >>\nstartxref\n0\n%%EOF\n",
         1},
        {HEAD "1 0 obj\n<< /Type /Catalog >>\nendobj\n"
              "trailer\n<< /Size 2 /Encr#79pt << /Filter /Standard >> >>\nstartxref\n0\n"
              "%%EOF\n",
         1},
        {HEAD "3 0 obj\n<< /Type /XRef /Length 4 /Encrypt 5 0 R >>\nstream\nabcd\n"
              "endstream\nendobj\nstartxref\n0\n%%EOF\n",
         1},
        {HEAD "1 0 obj\n<< /Title (/Encrypt) /Sub << /Encrypt 1 >> /K [/Encrypt] >>\n"
              "endobj\n" TAIL,
         0},
    };
    for (size_t i = 0; i < sizeof(samples) / sizeof(*samples); i++) {
        struct pdf_text t = {0};
        struct seen seen;
        char err[256];
        text_adds(&t, samples[i].pdf);
        assert_int_equal(walk(&t, &seen, err, sizeof(err)), PDF_EXACT);
        if (seen.encrypted != samples[i].want)
            fail_msg("sample %zu: /Encrypt told %zu times, want %zu", i, seen.encrypted,
                     samples[i].want);
        free(t.p);
    }
}

static void test_spool_and_stop(void **state)
{
    char err[256] = "";
    struct seen seen;
    size_t at, len;
    struct pdf_text t = minimal_pdf(&at, &len);
    struct spool *sp = spool_new(64, "/tmp"); /* spilled to a file: read back in pieces */
    (void)state;

    assert_non_null(sp);
    assert_int_equal(spool_write(sp, t.p, t.len, err, sizeof(err)), 0);
    memset(&seen, 0, sizeof(seen));
    enum pdf_walk_result got = pdf_walk(sp, &callbacks, &seen, err, sizeof(err));
    if (got != PDF_EXACT)
        fail_msg("spool: got %d (%s), want PDF_EXACT", got, err);
    assert_int_equal(seen.s[0].offset, at);
    assert_covered(&seen, t.len);

    memset(&seen, 0, sizeof(seen));
    seen.stop_at_stream = 1;
    got = pdf_walk(sp, &callbacks, &seen, err, sizeof(err));
    if (got != PDF_ERROR)
        fail_msg("a callback that stops: got %d, want PDF_ERROR", got);
    spool_free(sp);
    free(t.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_filter_array_and_stream_bytes),
        cmocka_unit_test(test_incremental_update),
        cmocka_unit_test(test_indirect_length),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_encrypt_key),
        cmocka_unit_test(test_spool_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
