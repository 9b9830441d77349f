/*
 * fuzz_archive - the bytes of one attachment, as view_build() meets them
 * once GMime has decoded the part: archives and office documents
 * (libarchive through extract.c: zip, tar, gzip, 7z, nested archives,
 * docx/xlsx/pptx and odt through the markup module, encrypted entries,
 * the depth/entry/expansion/ratio limits), text files of unknown charset,
 * HTML and forwarded messages.  The first input byte picks the
 * attachment's name and type from the table below (extract.c goes by the
 * bytes, but the view also looks at names); the rest is the attachment,
 * sent with Content-Transfer-Encoding binary so that the fuzzer mutates
 * the archive itself, not its base64.
 * When bits 4 and 5 of the first byte are both set, the attachment is a
 * large base64 PDF or image instead (see send_large): the view's probe
 * (view_probe.c) may then leave an image undecoded, and the target checks
 * that whatever the probe skips holds nothing extract_archive() or
 * extract_file_text() finds in the fully decoded bytes - a skip must never
 * hide an archive, a text or a text run.
 * Also checks what view.h promises (see view_check.h).  Seeds: the
 * attachments of the arch_ samples in lib/message/testdata/view
 * (fuzz/make-corpus).
 */
#include <glib.h>
#include <string.h>

#include "extract.h"
#include "view_check.h"

static const struct {
    const char *name, *type;
} kinds[16] = {
    {"a.zip", "application/zip"},
    {"a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"a.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"a.pptx",
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"a.odt", "application/vnd.oasis.opendocument.text"},
    {"a.tar.gz", "application/gzip"},
    {"a.7z", "application/x-7z-compressed"},
    {"a.gz", "application/gzip"},
    {"a.tar", "application/x-tar"},
    {"a.bin", "application/octet-stream"},
    {"a.csv", "text/csv"},
    {"a.html", "text/html"},
    {"a.pdf", "application/pdf"},
    {"a.png", "image/png"},
    {"a.eml", "message/rfc822"},
    {"a.txt", "text/plain; charset=iso-2022-jp"},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    view_init();
    return 0;
}

/* Large mode: the types the probe may skip, and the decoded size. */
static const struct {
    const char *name, *type;
} large_kinds[4] = {
    {"a.pdf", "application/pdf"},
    {"a.png", "image/png"},
    {"a.jpg", "image/jpeg"},
    {"a.gif", "image/gif"},
};
#define LARGE_SIZE (160 * 1024) /* base64 of it is past the probe's 192 KB */

struct found {
    unsigned entries, texts, problems;
};

static int found_entry(void *ctx, int parent, const char *name, uint64_t size,
                       bool encrypted, unsigned depth)
{
    struct found *f = ctx;
    (void)parent, (void)name, (void)size, (void)encrypted, (void)depth;
    return (int)++f->entries;
}

static void found_text(void *ctx, int id, enum extract_text_kind kind, const char *bytes,
                       size_t len)
{
    struct found *f = ctx;
    (void)id, (void)kind, (void)bytes;
    f->texts += len > 0;
}

static void found_problem(void *ctx, int id, enum extract_problem what, const char *why)
{
    struct found *f = ctx;
    (void)id, (void)what, (void)why;
    f->problems++;
}

/*
 * Sends DATA (LEN bytes) as a base64 PDF or image (picked by KIND) of
 * LARGE_SIZE bytes: its first half at the start, its second half at the
 * end, zeros between, in 76-character CRLF lines as mail clients write.
 * Then, when the view shows nothing from inside the attachment, reads the
 * decoded bytes directly as the full reading would (extract_archive(),
 * then extract_file_text() when it is no archive): finding anything there
 * means the probe's skip hid it.
 */
static void send_large(unsigned kind, const uint8_t *data, size_t len)
{
    char head[512], err[256];
    unsigned char *bytes = calloc(1, LARGE_SIZE);

    FUZZ_CHECK(bytes != NULL, "calloc");
    if (len > LARGE_SIZE)
        len = LARGE_SIZE;
    memcpy(bytes, data, len / 2);
    memcpy(bytes + LARGE_SIZE - (len - len / 2), data + len / 2, len - len / 2);
    gchar *b64 = g_base64_encode(bytes, LARGE_SIZE);
    size_t b64_len = strlen(b64);
    GString *body = g_string_sized_new(b64_len + b64_len / 76 * 2 + 64);
    for (size_t i = 0; i < b64_len; i += 76) {
        g_string_append_len(body, b64 + i, (gssize)(b64_len - i < 76 ? b64_len - i : 76));
        g_string_append(body, "\r\n");
    }
    g_free(b64);
    int n =
        snprintf(head, sizeof(head),
                 "From: a@example.com\r\nTo: b@example.net\r\nSubject: x\r\n"
                 "MIME-Version: 1.0\r\nContent-Type: %s; name=\"%s\"\r\n"
                 "Content-Disposition: attachment; filename=\"%s\"\r\n"
                 "Content-Transfer-Encoding: base64\r\n\r\n",
                 large_kinds[kind].type, large_kinds[kind].name, large_kinds[kind].name);
    const void *parts[2] = {head, body->str};
    size_t lens[2] = {(size_t)n, body->len};
    struct view *v = fuzz_view_check(parts, lens, 2);

    bool inside = view_attachment_count(v) > 1 ||
                  (view_flags(v) &
                   (VIEW_LIMIT_EXCEEDED | VIEW_MALFORMED | VIEW_ENCRYPTED_ARCHIVE)) != 0;
    for (size_t i = 0; i < view_text_count(v) && !inside; i++)
        inside = view_text_at(v, i)->field == VIEW_ATTACHMENT_TEXT;
    if (!inside) {
        struct spool *sp =
            spool_new(fuzz_view_limits.memory_limit, fuzz_view_limits.temp_dir);
        struct extract_budget budget = {
            .max_depth = fuzz_view_limits.max_depth,
            .max_entries = fuzz_view_limits.max_entries,
            .max_expanded = fuzz_view_limits.max_expanded,
            .max_ratio = fuzz_view_limits.max_ratio,
            .max_text = fuzz_view_limits.max_text,
            .memory_limit = fuzz_view_limits.memory_limit,
            .temp_dir = fuzz_view_limits.temp_dir,
        };
        struct found found = {0};
        struct extract_callbacks cb = {&found, found_entry, found_text, found_problem};
        FUZZ_CHECK(sp != NULL &&
                       spool_write(sp, bytes, LARGE_SIZE, err, sizeof(err)) == 0,
                   "spool");
        int rc = extract_archive(sp, large_kinds[kind].name, 0, 0, &budget, &cb, err,
                                 sizeof(err));
        FUZZ_CHECK(rc >= 0, "extract_archive: %s", err);
        FUZZ_CHECK(rc == 1 || (found.entries == 0 && found.texts == 0),
                   "the view shows nothing inside a %s in which extract_archive finds %u "
                   "entries and %u texts",
                   large_kinds[kind].name, found.entries, found.texts);
        if (rc == 1) {
            char *text;
            size_t text_len;
            enum extract_text_kind text_kind;
            FUZZ_CHECK(extract_file_text(sp, 0, &budget, &cb, &text, &text_len,
                                         &text_kind, err, sizeof(err)) == 0,
                       "extract_file_text: %s", err);
            FUZZ_CHECK(text == NULL && found.problems == 0,
                       "the view shows nothing inside a %s of which extract_file_text "
                       "reads %zu bytes of text and reports %u problems",
                       large_kinds[kind].name, text_len, found.problems);
            free(text);
        }
        spool_free(sp);
    }
    view_free(v);
    g_string_free(body, TRUE);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char head[512];

    if (size == 0)
        return 0;
    if ((data[0] & 0x30) == 0x30) {
        send_large(data[0] & 3u, data + 1, size - 1);
        return 0;
    }
    unsigned k = data[0] & 15u;
    int n = snprintf(head, sizeof(head),
                     "From: a@example.com\r\nTo: b@example.net\r\nSubject: x\r\n"
                     "MIME-Version: 1.0\r\nContent-Type: %s; name=\"%s\"\r\n"
                     "Content-Disposition: attachment; filename=\"%s\"\r\n"
                     "Content-Transfer-Encoding: binary\r\n\r\n",
                     kinds[k].type, kinds[k].name, kinds[k].name);
    const void *parts[2] = {head, data + 1};
    size_t lens[2] = {(size_t)n, size - 1};

    view_free(fuzz_view_check(parts, lens, 2));
    return 0;
}
