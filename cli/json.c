/* json - see json.h. */
#include "json.h"

#include <string.h>
#include <utf8proc.h>

void json_string(FILE *out, const char *s)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    size_t len = strlen(s), i = 0;
    fputc('"', out);
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fprintf(out, "\\%c", c);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, out);
            i++;
        } else {
            utf8proc_int32_t cp;
            utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                                  (utf8proc_ssize_t)(len - i), &cp);
            if (n <= 0) {
                fputs("\\ufffd", out);
                i++;
            } else {
                fwrite(s + i, 1, (size_t)n, out);
                i += (size_t)n;
            }
        }
    }
    fputc('"', out);
}

void json_key(FILE *out, const char *key)
{
    json_string(out, key);
    fputc(':', out);
}

void json_sep(FILE *out, bool *first)
{
    if (!*first)
        fputc(',', out);
    *first = false;
}
