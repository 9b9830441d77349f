/*
 * fuzz_view - a whole message, as the milter hands it to view_build():
 * GMime's parse, then everything the view does with it - headers (our RFC
 * 2047 decoder), parts and their transfer encodings, charsets, HTML,
 * attachment names (RFC 2047/2231, raw 8-bit), forwarded messages, and
 * archives and office documents inside attachments (libarchive, through
 * extract.c, text runs of binary files included), with the probe that
 * skips large exact images.  The input is written to the spool in two
 * pieces, as the milter writes its chunks.
 * Checks what view.h promises (see view_check.h).  Seeds: the samples in
 * lib/message/testdata/view.
 */
#include "view_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    view_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const void *parts[2] = {data, data + size / 2};
    size_t lens[2] = {size / 2, size - size / 2};

    view_free(fuzz_view_check(parts, lens, 2));
    return 0;
}
