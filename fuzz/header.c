/*
 * fuzz_header - our own header decoding (view_header.c), which the view
 * uses instead of GMime's where GMime loses characters: the RFC 2047
 * decoder that joins adjacent encoded-words of one charset before
 * converting them (B and Q, words split mid-character, RFC 2231
 * "charset*language" labels, raw 8-bit bytes, folding), and the name
 * reader (view_name.c) that finds every name= and filename= in a
 * Content-Type or Content-Disposition value - quoting, escapes, folding,
 * RFC 2231 continuations (name*0*=) - and decodes each, as the view does
 * for every part.
 * The input is one raw header value.  Checks that every result is valid
 * UTF-8 that the normalize module accepts, as the view requires.
 * Seeds: the headers of the .eml files in lib/message/testdata/view (fuzz/make-corpus).
 */
#include <glib.h>
#include <string.h>

#include "fuzz.h"
#include "normalize.h"
#include "view_header.h"
#include "view_name.h"

/* Decodes LEN bytes of RAW and checks the result. */
static void decode_and_check(const char *raw, size_t len)
{
    bool relabeled;
    char *value = view_header_decode(raw, len, &relabeled, NULL);
    size_t vlen = strlen(value);
    char *norm;
    size_t norm_len;

    FUZZ_CHECK(fuzz_utf8_valid(value, vlen), "decoded value is not UTF-8");
    FUZZ_CHECK(normalize_text(value, vlen, &norm, &norm_len) == 0, "normalize failed");
    FUZZ_CHECK(fuzz_utf8_valid(norm, norm_len), "normalized value is not UTF-8");
    free(norm);
    g_free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const params[] = {"name", "filename"};
    char *raw = g_strndup((const char *)data, size); /* a header value ends at a NUL */

    decode_and_check((const char *)data, size);
    for (size_t i = 0; i < sizeof(params) / sizeof(*params); i++) {
        struct view_names names = {0};
        view_names_add_param(&names, raw, params[i]);
        for (size_t k = 0; k < names.n; k++) {
            size_t len = strlen(names.name[k]);
            FUZZ_CHECK(len > 0, "an empty name was kept");
            FUZZ_CHECK(fuzz_utf8_valid(names.name[k], len), "a name is not UTF-8");
            char *norm;
            size_t norm_len;
            FUZZ_CHECK(normalize_text(names.name[k], len, &norm, &norm_len) == 0,
                       "normalize failed on a name");
            free(norm);
            (void)view_name_suspicious(names.name[k]);
        }
        view_names_clear(&names);
    }
    g_free(raw);
    return 0;
}
