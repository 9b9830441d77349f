/*
 * fuzz_config - the sendwatch.conf parser (lib/util/config.c) from
 * memory, with every value parser of lib/util/parse.c behind it (sizes,
 * numbers, names, paths, sockets, domain lists, addresses, URLs, node
 * names), continuation lines, comments and duplicate names.  The input is
 * the file.  Checks that a config that parses prints (config_print, what
 * "sendwatch config" shows) as text that parses again to the same config.
 * Seeds: conf/sendwatch.conf and the good and bad cases of config_test.c
 * (fuzz/make-corpus).
 */
#include <string.h>

#include "config.h"
#include "fuzz.h"

/* CFG as config_print() writes it, malloc'ed, into *TEXT and *LEN. */
static void print_config(const struct config *cfg, char **text, size_t *len)
{
    FILE *out = open_memstream(text, len);

    FUZZ_CHECK(out != NULL, "open_memstream");
    config_print(cfg, out);
    FUZZ_CHECK(fclose(out) == 0, "fclose");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    struct config *cfg =
        config_parse((const char *)data, size, "fuzz.conf", err, sizeof(err));

    if (cfg == NULL) {
        FUZZ_CHECK(err[0] != '\0', "no error message");
        return 0;
    }
    char *printed, *again;
    size_t printed_len, again_len;
    print_config(cfg, &printed, &printed_len);
    struct config *cfg2 =
        config_parse(printed, printed_len, "printed.conf", err, sizeof(err));
    FUZZ_CHECK(cfg2 != NULL, "the printed config does not parse: %s\n%s", err, printed);
    print_config(cfg2, &again, &again_len);
    FUZZ_CHECK(printed_len == again_len && memcmp(printed, again, again_len) == 0,
               "the printed config reads back different:\n%s\n--- then ---\n%s", printed,
               again);
    free(printed);
    free(again);
    config_free(cfg2);
    config_free(cfg);
    return 0;
}
