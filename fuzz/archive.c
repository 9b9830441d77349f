/*
 * fuzz_archive - the bytes of one attachment, as view_build() meets them
 * once GMime has decoded the part: archives and office documents
 * (libarchive through extract.c: zip, tar, gzip, 7z, nested archives,
 * docx/xlsx/pptx and odt through the markup module, encrypted entries,
 * the depth/entry/expansion/ratio limits), text files of unknown charset,
 * HTML, forwarded messages, and the probe's skip of large PDFs and
 * images.  The first input byte picks the attachment's name and type from
 * the table below (extract.c goes by the bytes, but the view also looks at
 * names); the rest is the attachment, sent with Content-Transfer-Encoding
 * binary so that the fuzzer mutates the archive itself, not its base64.
 * Checks what view.h promises (see view_check.h).  Seeds: the attachments
 * of the arch_ samples in lib/message/testdata/view (fuzz/make-corpus).
 */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char head[512];

    if (size == 0)
        return 0;
    unsigned k = data[0] & 15u;
    int n = snprintf(head, sizeof(head),
                     "From: a@example.com\r\nTo: b@example.net\r\nSubject: x\r\n"
                     "MIME-Version: 1.0\r\nContent-Type: %s; name=\"%s\"\r\n"
                     "Content-Disposition: attachment; filename=\"%s\"\r\n"
                     "Content-Transfer-Encoding: binary\r\n\r\n",
                     kinds[k].type, kinds[k].name, kinds[k].name);
    const void *parts[2] = {head, data + 1};
    size_t lens[2] = {(size_t)n, size - 1};

    fuzz_view_check(parts, lens, 2);
    return 0;
}
