/* record - see record.h. */
#include "record.h"

#include "buf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record {
    struct buf b;
};

static int record_put(struct record *r, const char *p, size_t n)
{
    return buf_append(&r->b, p, n);
}

struct record *record_new(void)
{
    struct record *r = calloc(1, sizeof(*r));
    char head[16];

    if (r == NULL)
        return NULL;
    snprintf(head, sizeof(head), "v=%d\n", RECORD_VERSION);
    if (record_put(r, head, strlen(head)) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

void record_free(struct record *r)
{
    if (r == NULL)
        return;
    buf_free(&r->b);
    free(r);
}

int record_add(struct record *r, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";

    if (record_put(r, name, strlen(name)) != 0 || record_put(r, "=", 1) != 0)
        return -1;
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        if (*c == '%' || *c < 0x20 || *c == 0x7f) {
            char esc[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            if (record_put(r, esc, 3) != 0)
                return -1;
        } else if (record_put(r, (const char *)c, 1) != 0) {
            return -1;
        }
    }
    return record_put(r, "\n", 1);
}

const char *record_bytes(const struct record *r, size_t *len)
{
    *len = r->b.len;
    return r->b.data;
}

static int record_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *record_get(const char *data, size_t len, const char *name, size_t index)
{
    char head[16];
    size_t nlen = strlen(name), pos;

    snprintf(head, sizeof(head), "v=%d\n", RECORD_VERSION);
    if (len < strlen(head) || memcmp(data, head, strlen(head)) != 0)
        return NULL;
    pos = strlen(head);
    while (pos < len) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + 1;
        if (n <= nlen || line[nlen] != '=' || memcmp(line, name, nlen) != 0)
            continue;
        if (index-- > 0)
            continue;
        char *out = malloc(n - nlen);
        if (out == NULL)
            return NULL;
        size_t o = 0;
        for (size_t i = nlen + 1; i < n; i++) {
            int hi, lo;
            if (line[i] == '%' && i + 2 < n && (hi = record_hexval(line[i + 1])) >= 0 &&
                (lo = record_hexval(line[i + 2])) >= 0) {
                out[o++] = (char)(hi * 16 + lo);
                i += 2;
            } else {
                out[o++] = line[i];
            }
        }
        out[o] = '\0';
        return out;
    }
    return NULL;
}

struct record *record_copy_without(const char *data, size_t len, const char *const *drop)
{
    char head[16];
    snprintf(head, sizeof(head), "v=%d\n", RECORD_VERSION);
    size_t pos = strlen(head);
    if (len < pos || memcmp(data, head, pos) != 0)
        return NULL;
    struct record *r = record_new();
    if (r == NULL)
        return NULL;
    while (pos < len) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + 1;
        const char *eq = memchr(line, '=', n);
        bool dropped = false;
        for (size_t i = 0; eq != NULL && drop != NULL && drop[i] != NULL && !dropped; i++)
            dropped = strlen(drop[i]) == (size_t)(eq - line) &&
                      memcmp(drop[i], line, (size_t)(eq - line)) == 0;
        /* Kept lines are copied as they are: their values are already escaped. */
        if (eq != NULL && !dropped &&
            (record_put(r, line, n) != 0 || record_put(r, "\n", 1) != 0)) {
            record_free(r);
            return NULL;
        }
    }
    return r;
}
