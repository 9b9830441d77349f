/*
 * fuzz_pdf - the bytes of a PDF attachment, walked by pdf_walk_bytes()
 * (lib/message/pdf.c).  Beyond "no crash": when the walk says PDF_EXACT,
 * the syntax ranges and stream data it called back cover the input byte
 * for byte, in order, with no gap or overlap, and each stream's data is
 * where its offset says; a walk that is not exact fills its error.  Seeds:
 * fuzz/corpus/pdf (written by hand; make-corpus does not know this target).
 */
#include <string.h>

#include "fuzz.h"
#include "pdf.h"

struct cover {
    const uint8_t *data;
    uint64_t next; /* where the next range must start */
    int ok;
};

static int cover_syntax(void *ctx, uint64_t offset, const char *bytes, size_t len)
{
    struct cover *c = ctx;
    c->ok &= offset == c->next && len > 0 && bytes == (const char *)c->data + offset;
    c->next = offset + len;
    return 0;
}

static int cover_stream(void *ctx, const struct pdf_stream *s)
{
    struct cover *c = ctx;
    c->ok &= s->offset == c->next && s->data == c->data + s->offset &&
             s->dict < (const char *)s->data && s->dict_len >= 4 &&
             memcmp(s->dict, "<<", 2) == 0 &&
             memcmp(s->dict + s->dict_len - 2, ">>", 2) == 0;
    for (size_t f = 0; f < s->filter_count && f < PDF_MAX_FILTERS; f++)
        c->ok &= strlen(s->filters[f]) <= PDF_MAX_NAME;
    c->next = s->offset + s->length;
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct pdf_callbacks cb = {cover_syntax, cover_stream, NULL};
    struct cover c = {data, 0, 1};
    char err[256] = "";

    enum pdf_walk_result r = pdf_walk_bytes(data, size, &cb, &c, err, sizeof(err));
    FUZZ_CHECK(r == PDF_EXACT || r == PDF_NOT_EXACT, "result %d: %s", (int)r, err);
    if (r == PDF_EXACT)
        FUZZ_CHECK(
            c.ok && c.next == size,
            "an exact walk's ranges do not cover the input (ok %d, end %llu of %zu)",
            c.ok, (unsigned long long)c.next, size);
    else
        FUZZ_CHECK(strncmp(err, "offset ", 7) == 0, "no reason given: \"%s\"", err);
    return 0;
}
