/* Unit tests for view_decode.c: lenient base64, transfer encodings, unflowing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "view_decode.h"

/* TEXT decoded with ENCODING into a NUL-terminated string (g_free it). */
static char *decode(const char *text, GMimeContentEncoding encoding, bool *after_pad)
{
    GMimeStream *raw = g_mime_stream_mem_new_with_buffer(text, strlen(text));
    GMimeStream *out = g_mime_stream_mem_new();
    assert_int_equal(view_decode(raw, encoding, out, after_pad), 0);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
    char *s = g_strndup((const char *)bytes->data, bytes->len);
    g_object_unref(raw);
    g_object_unref(out);
    return s;
}

static void test_base64_reads_on_after_padding(void **state)
{
    (void)state;
    bool after_pad;
    char *s = decode("QUJD\r\nREVG\r\n", GMIME_CONTENT_ENCODING_BASE64, &after_pad);
    assert_string_equal(s, "ABCDEF");
    assert_false(after_pad);
    g_free(s);
    /* A pad mid-way: what follows is a fresh start, as lenient readers see it. */
    s = decode("QUI=REVG\r\nR0hJ\r\n", GMIME_CONTENT_ENCODING_BASE64, &after_pad);
    assert_string_equal(s, "ABDEFGHI");
    assert_true(after_pad);
    g_free(s);
    /* Characters outside the alphabet are skipped. */
    s = decode("QU*JD!RE\tVG", GMIME_CONTENT_ENCODING_BASE64, &after_pad);
    assert_string_equal(s, "ABCDEF");
    g_free(s);
    /* Quoted-printable through the same door. */
    s = decode("SECRET=\r\nWORD=41\r\n", GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE,
               &after_pad);
    assert_string_equal(s, "SECRETWORDA\r\n");
    g_free(s);
}

/* A reading's stream (GMimeStreamCat) answers -1 at its end: no error. */
static void test_decode_to_the_end_of_a_cat_stream(void **state)
{
    (void)state;
    GMimeStream *cat = g_mime_stream_cat_new();
    GMimeStream *a = g_mime_stream_mem_new_with_buffer("QUJD", 4);
    GMimeStream *b = g_mime_stream_mem_new_with_buffer("REVG\r\n", 6);
    g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), a);
    g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), b);
    GMimeStream *part = g_mime_stream_substream(cat, 0, 10);
    GMimeStream *out = g_mime_stream_mem_new();
    bool after_pad;
    assert_int_equal(view_decode(part, GMIME_CONTENT_ENCODING_BASE64, out, &after_pad),
                     0);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
    assert_int_equal(bytes->len, 6);
    assert_memory_equal(bytes->data, "ABCDEF", 6);
    g_object_unref(out);
    g_object_unref(part);
    g_object_unref(a);
    g_object_unref(b);
    g_object_unref(cat);
}

static void test_unflow(void **state)
{
    (void)state;
    size_t len;
    char *s;
    static const char soft[] = "4111 111 \r\n1 1111 1111\r\nnext\r\n";
    assert_int_equal(view_unflow(soft, strlen(soft), true, &s, &len), 1);
    assert_string_equal(s, "4111 1111 1111 1111\r\nnext\r\n");
    assert_int_equal(len, strlen(s));
    free(s);
    /* delsp=no keeps the space */
    assert_int_equal(view_unflow(soft, strlen(soft), false, &s, &len), 1);
    assert_string_equal(s, "4111 111 1 1111 1111\r\nnext\r\n");
    free(s);
    /* Space-stuffing goes; the signature line "-- " is no soft break. */
    static const char sig[] = " From here \r\non\r\n-- \r\nalice\r\n";
    assert_int_equal(view_unflow(sig, strlen(sig), false, &s, &len), 1);
    assert_string_equal(s, "From here on\r\n-- \r\nalice\r\n");
    free(s);
    /* Nothing flowed: no second text. */
    assert_int_equal(view_unflow("a\r\nb\r\n", 6, true, &s, &len), 0);
    assert_null(s);
}

/* 7bit, 8bit, binary and unknown names are one kind: at most four kinds. */
static void test_encodings(void **state)
{
    static const char msg[] = "Content-Type: application/octet-stream\r\n"
                              "Content-Transfer-Encoding: 7bit\r\n"
                              "Content-Transfer-Encoding: 8bit\r\n"
                              "Content-Transfer-Encoding: binary\r\n"
                              "Content-Transfer-Encoding: x-unknown\r\n"
                              "Content-Transfer-Encoding: quoted-printable\r\n"
                              "Content-Transfer-Encoding: x-uuencode\r\n"
                              "Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n";
    (void)state;
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(msg, sizeof(msg) - 1);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeObject *part = g_mime_parser_construct_part(parser, NULL);
    assert_non_null(part);
    GMimeContentEncoding e[4];
    assert_int_equal(view_decode_encodings(part, e, 4), 4);
    assert_true(view_decode_same(e[0], GMIME_CONTENT_ENCODING_8BIT));
    assert_int_equal(e[1], GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    assert_int_equal(e[2], GMIME_CONTENT_ENCODING_UUENCODE);
    assert_int_equal(e[3], GMIME_CONTENT_ENCODING_BASE64);
    assert_false(
        view_decode_same(GMIME_CONTENT_ENCODING_BASE64, GMIME_CONTENT_ENCODING_7BIT));
    g_object_unref(part);
    g_object_unref(parser);
    g_object_unref(stream);
}

/*
 * view_base64_step() gives what GMime's own step gives, byte for byte, on
 * 3,000 random inputs: lines of random lengths (multiples of 4 or not), CRLF
 * or LF, pads inside and at the end, stray characters, cut into reads at
 * random places.
 */
static void test_fast_base64_is_gmime(void **state)
{
    (void)state;
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    srand(20261130);
    for (int round = 0; round < 3000; round++) {
        char in[4096];
        size_t len = 0, want = (size_t)(rand() % 3000);
        while (len < want) {
            size_t line = (size_t)(rand() % 5 == 0 ? rand() % 90 : 76);
            for (size_t k = 0; k < line && len < sizeof(in) - 8; k++) {
                int r = rand() % 400;
                in[len++] = r == 0 ? '=' : r == 1 ? '*' : r == 2 ? ' ' : alphabet[r % 64];
            }
            if (rand() % 2)
                in[len++] = '\r';
            in[len++] = '\n';
        }
        unsigned char fast[4096], slow[4096];
        size_t nf = 0, ns = 0;
        int sf = 0, ss = 0;
        guint32 vf = 0, vs = 0;
        for (size_t at = 0; at < len;) {
            size_t take = (size_t)(rand() % 700) + 1;
            if (take > len - at)
                take = len - at;
            nf += view_base64_step((const unsigned char *)in + at, take, fast + nf, &sf,
                                   &vf);
            ns += g_mime_encoding_base64_decode_step((const unsigned char *)in + at, take,
                                                     slow + ns, &ss, &vs);
            at += take;
        }
        if (nf != ns || memcmp(fast, slow, nf) != 0 || sf != ss)
            fail_msg("round %d: %zu bytes and state %d, GMime %zu and %d", round, nf, sf,
                     ns, ss);
    }
}

int main(void)
{
    g_mime_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_reads_on_after_padding),
        cmocka_unit_test(test_decode_to_the_end_of_a_cat_stream),
        cmocka_unit_test(test_unflow),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_fast_base64_is_gmime),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    g_mime_shutdown();
    return rc;
}
