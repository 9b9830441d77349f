/*
 * fuzz_rewrite - a whole message whose attachments are sealed, as the
 * milter's encryption does (lib/encrypt/rewrite.c): GMime's parse, every
 * leaf with a name or an attachment disposition chosen, decoded, sealed
 * into one AES zip (libzip) in a private directory, the body written anew
 * and parsed again to verify it.  Beyond "no crash": the outcome is one of
 * the three documented; a rewrite that succeeded sealed at least one part
 * and wrote a body; one that failed said why and left nothing behind in
 * the directory.  Seeds: fuzz/corpus/rewrite, the view target's seeds that
 * name a file.
 */
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "rewrite.h"
#include "view.h"

static char workdir[] = "/tmp/fuzz-rewrite-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    view_init();
    if (mkdtemp(workdir) == NULL)
        abort();
    return 0;
}

static bool choose_attachments(void *ctx, const struct rewrite_leaf *leaf)
{
    (void)ctx;
    return leaf->attachment && strncmp(leaf->type, "message/", 8) != 0;
}

/* Whether DIR holds nothing (the zip's file is unlinked at once or on failure). */
static int empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d != NULL)
        closedir(d);
    return n == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    struct spool *message = spool_new(1 << 20, workdir),
                 *body = spool_new(1 << 20, workdir);
    if (message == NULL || body == NULL ||
        spool_write(message, data, size, err, sizeof(err)) != 0)
        abort();
    struct rewrite_options o = {SEAL_AES256,
                                SEAL_NAMES_UTF8,
                                "fuzz-password",
                                "attachments.zip",
                                workdir,
                                1 << 20,
                                NULL,
                                NULL};
    struct rewrite_result r;
    int rc =
        rewrite_seal(message, &o, choose_attachments, NULL, body, &r, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == 1 || rc == -1, "rc %d", rc);
    if (rc == 0)
        FUZZ_CHECK(r.sealed > 0 && r.zip_size > 0 && spool_size(body) > 0,
                   "sealed %zu, zip %llu bytes, body %llu bytes", r.sealed,
                   (unsigned long long)r.zip_size, (unsigned long long)spool_size(body));
    if (rc == 1)
        FUZZ_CHECK(spool_size(body) == 0, "nothing chosen but a body written");
    if (rc == -1)
        FUZZ_CHECK(err[0] != '\0', "failed without a reason");
    FUZZ_CHECK(empty_dir(workdir), "a file left in the temp dir (rc %d)", rc);
    spool_free(message);
    spool_free(body);
    return 0;
}
