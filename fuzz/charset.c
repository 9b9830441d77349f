/*
 * fuzz_charset - the charset module (lib/text/charset.c): bytes under a
 * declared label to UTF-8, with its distrust of labels (ISO-2022-JP read
 * as CP50220 through our own JIS-to-CP932 rewrite, Shift_JIS/EUC-JP as
 * their Microsoft supersets, 8-bit bytes under us-ascii, UTF-8 or Japanese
 * under a single-byte label, unknown labels), then what the view does
 * next with the text: NFKC normalisation, and HTML reduction (markup.c)
 * when the text holds a '<'.
 * Input: "LABEL\nBYTES"; without a newline in the first 64 bytes, all of
 * it is BYTES with no label.  Checks that the result is valid UTF-8,
 * NUL-terminated, the same through charset_to_utf8() and
 * charset_to_utf8_owned(), and accepted by normalize_text() - the view
 * fails a message when it is not.
 * Seeds: the body parts of the .eml files in lib/message/testdata/view with their
 * declared charsets (fuzz/make-corpus).
 */
#include <string.h>

#include "charset.h"
#include "fuzz.h"
#include "markup.h"
#include "normalize.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    markup_init();
    return 0;
}

/* Normalises LEN bytes of UTF-8 at TEXT both ways and checks they agree. */
static void check_normalize(const char *text, size_t len)
{
    char *norm, *norm2, *copy = malloc(len + 1);
    size_t norm_len, norm2_len;

    FUZZ_CHECK(copy != NULL, "malloc");
    memcpy(copy, text, len);
    copy[len] = '\0';
    FUZZ_CHECK(normalize_text(text, len, &norm, &norm_len) == 0, "normalize_text failed");
    FUZZ_CHECK(fuzz_utf8_valid(norm, norm_len) && norm[norm_len] == '\0',
               "normalized text is not UTF-8");
    FUZZ_CHECK(normalize_text_owned(copy, len, &norm2, &norm2_len) == 0,
               "normalize_text_owned failed");
    FUZZ_CHECK(norm_len == norm2_len && memcmp(norm, norm2, norm_len) == 0,
               "normalize_text and normalize_text_owned disagree");
    free(norm);
    free(norm2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char label[65];
    const char *in = (const char *)data;
    const char *nl = memchr(data, '\n', size < 65 ? size : 65);
    const char *use_label = NULL;
    size_t len = size;
    struct charset_result r, r2;

    if (nl != NULL) {
        memcpy(label, data, (size_t)(nl - in));
        label[nl - in] = '\0';
        use_label = label;
        len = size - (size_t)(nl - in) - 1;
        in = nl + 1;
    }
    FUZZ_CHECK(charset_to_utf8(use_label, in, len, &r) == 0, "charset_to_utf8 failed");
    FUZZ_CHECK(r.text != NULL && r.text[r.len] == '\0' && r.used != NULL, "result");
    FUZZ_CHECK(fuzz_utf8_valid(r.text, r.len), "not UTF-8 (label %s, via %s)",
               use_label ? use_label : "(none)", r.used);

    char *owned = malloc(len + 1);
    FUZZ_CHECK(owned != NULL, "malloc");
    memcpy(owned, in, len);
    owned[len] = '\0';
    FUZZ_CHECK(charset_to_utf8_owned(use_label, owned, len, &r2) == 0,
               "charset_to_utf8_owned failed");
    FUZZ_CHECK(r.len == r2.len && memcmp(r.text, r2.text, r.len) == 0 &&
                   r.flags == r2.flags && strcmp(r.used, r2.used) == 0,
               "charset_to_utf8 and charset_to_utf8_owned disagree");
    free(r2.text);

    check_normalize(r.text, r.len);
    if (memchr(r.text, '<', r.len) != NULL) {
        char *text;
        size_t text_len;
        FUZZ_CHECK(markup_html_text(r.text, r.len, &text, &text_len) == 0, "markup");
        FUZZ_CHECK(text[text_len] == '\0' && fuzz_utf8_valid(text, text_len),
                   "HTML text is not UTF-8");
        check_normalize(text, text_len);
        free(text);
    }
    free(r.text);
    return 0;
}
