/* record - see record.h. */
#include "record.h"

#include "buf.h"
#include "errbuf.h"
#include "store.h"

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

/* The value of the line LINE (N bytes) from VALUE_AT on, %XX decoded, malloc'ed. */
static char *record_decode(const char *line, size_t n, size_t value_at)
{
    char *out = malloc(n - value_at + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = value_at; i < n; i++) {
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

/* The length of the "v=1\n" head when DATA starts with it, else 0. */
static size_t record_head(const char *data, size_t len)
{
    char head[16];
    snprintf(head, sizeof(head), "v=%d\n", RECORD_VERSION);
    size_t n = strlen(head);
    return len >= n && memcmp(data, head, n) == 0 ? n : 0;
}

char *record_get(const char *data, size_t len, const char *name, size_t index)
{
    size_t nlen = strlen(name), pos = record_head(data, len);

    if (pos == 0)
        return NULL;
    while (pos < len) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + 1;
        if (n <= nlen || line[nlen] != '=' || memcmp(line, name, nlen) != 0)
            continue;
        if (index-- > 0)
            continue;
        return record_decode(line, n, nlen + 1);
    }
    return NULL;
}

int record_version(const char *data, size_t len)
{
    size_t i = 2;
    long v = 0;

    if (len < 4 || data[0] != 'v' || data[1] != '=')
        return -1;
    for (; i < len && data[i] >= '0' && data[i] <= '9' && v < 100000; i++)
        v = v * 10 + (data[i] - '0');
    /* "v=01" is no version line: record_next() would not read it as 1. */
    if (i == 2 || i >= len || data[i] != '\n' || (data[2] == '0' && i > 3))
        return -1;
    return (int)v;
}

int record_next(const char *data, size_t len, size_t *pos, const char **name,
                size_t *namelen, char **value)
{
    if (*pos == 0 && (*pos = record_head(data, len)) == 0) {
        *pos = len; /* not version 1: no fields for this reader */
        return 0;
    }
    while (*pos < len) {
        const char *line = data + *pos;
        const char *nl = memchr(line, '\n', len - *pos);
        size_t n = nl ? (size_t)(nl - line) : len - *pos;
        *pos += n + 1;
        const char *eq = memchr(line, '=', n);
        if (eq == NULL)
            continue;
        *name = line;
        *namelen = (size_t)(eq - line);
        *value = record_decode(line, n, *namelen + 1);
        return *value != NULL ? 1 : -1;
    }
    return 0;
}

struct record *record_copy_without(const char *data, size_t len, const char *const *drop)
{
    size_t pos = record_head(data, len);
    if (pos == 0)
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

long long record_get_number(const char *data, size_t len, const char *name)
{
    char *v = record_get(data, len, name, 0), *end = NULL;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (v == NULL || end == v || *end != '\0')
        n = 0;
    free(v);
    return n;
}

char **record_get_all(const char *data, size_t len, const char *name, size_t *n)
{
    size_t count = 0;
    for (char *v; (v = record_get(data, len, name, count)) != NULL; count++)
        free(v);
    char **all = calloc(count + 1, sizeof(*all));
    *n = 0;
    for (size_t i = 0; all != NULL && i < count; i++)
        if ((all[i] = record_get(data, len, name, i)) != NULL)
            (*n)++;
    return all;
}

void record_free_all(char **list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++)
        free(list[i]);
    free(list);
}

int record_write(struct store_txn *t, int db, const char *key, struct record *r,
                 bool built, char *err, size_t errlen)
{
    if (r == NULL || !built) {
        record_free(r);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    /* The length is read after record_bytes() sets it (C leaves the order
     * of evaluation within an argument list open). */
    size_t len = 0;
    const char *bytes = record_bytes(r, &len);
    int rc = store_txn_put(t, (enum store_db)db, key, bytes, len, err, errlen);
    record_free(r);
    return rc;
}
