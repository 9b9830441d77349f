/* files - see files.h. */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"

enum files_kind { FILES_FILE = 1, FILES_LIST = 2 };

struct files_entry {
    enum files_kind kind;
    char *path;   /* the file, or the listed directory */
    char *suffix; /* FILES_LIST: the names' ending */
    char *data;   /* FILES_FILE: bytes + NUL; FILES_LIST: names, each NUL-terminated */
    size_t len;
    const char **names; /* FILES_LIST: pointers into data */
    size_t nnames;
};

struct files {
    struct files_entry *entries;
    size_t n, cap;
    size_t total; /* bytes held */
    bool sealed;
    files_guard guard;
    void *guard_ctx;
};

#define FILES_MAGIC "SWF1"

struct files *files_new(void)
{
    return calloc(1, sizeof(struct files));
}

static void entry_free(struct files_entry *e)
{
    free(e->path);
    free(e->suffix);
    free(e->data);
    free(e->names);
}

void files_free(struct files *fs)
{
    if (fs == NULL)
        return;
    for (size_t i = 0; i < fs->n; i++)
        entry_free(&fs->entries[i]);
    free(fs->entries);
    free(fs);
}

void files_set_guard(struct files *fs, files_guard guard, void *ctx)
{
    fs->guard = guard;
    fs->guard_ctx = ctx;
}

bool files_sealed(const struct files *fs)
{
    return fs->sealed;
}

static struct files_entry *find(struct files *fs, enum files_kind kind, const char *path,
                                const char *suffix)
{
    for (size_t i = 0; i < fs->n; i++) {
        struct files_entry *e = &fs->entries[i];
        if (e->kind == kind && strcmp(e->path, path) == 0 &&
            (kind == FILES_FILE || strcmp(e->suffix, suffix) == 0))
            return e;
    }
    return NULL;
}

/* Splits a listing's DATA into its names. */
static int index_names(struct files_entry *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->len; i++)
        n += e->data[i] == '\0';
    e->names = calloc(n + 1, sizeof(*e->names));
    if (e->names == NULL)
        return -1;
    for (size_t i = 0, start = 0; i < e->len; i++)
        if (e->data[i] == '\0') {
            e->names[e->nnames++] = e->data + start;
            start = i + 1;
        }
    return 0;
}

/* Takes E into FS (its memory moves in); on failure E is freed. */
static struct files_entry *add(struct files *fs, struct files_entry *e, char *err,
                               size_t errlen)
{
    if (fs->total + e->len > FILES_MAX_TOTAL) {
        errbuf_set(err, errlen, "%s: more than %u MB of files to load in all", e->path,
                   FILES_MAX_TOTAL >> 20);
        entry_free(e);
        return NULL;
    }
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 16;
        struct files_entry *grown = realloc(fs->entries, cap * sizeof(*grown));
        if (grown == NULL) {
            errbuf_set(err, errlen, "out of memory");
            entry_free(e);
            return NULL;
        }
        fs->entries = grown;
        fs->cap = cap;
    }
    fs->total += e->len;
    fs->entries[fs->n] = *e;
    return &fs->entries[fs->n++];
}

/* Reads the regular file PATH whole into E. */
static int read_disk(const char *path, struct files_entry *e, char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO planted in place of a file must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0) {
        errbuf_set(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        errbuf_set(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > FILES_MAX_FILE) {
        errbuf_set(err, errlen, "%s: larger than %u MB", path, FILES_MAX_FILE >> 20);
        close(fd);
        return -1;
    }
    struct buf b = {0};
    for (;;) {
        if (buf_reserve(&b, 65536) != 0) {
            errbuf_set(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        ssize_t got = read(fd, b.data + b.len, 65536);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            errbuf_set(err, errlen, "%s: read error: %s", path, strerror(errno));
            goto fail;
        }
        if (got == 0)
            break;
        b.len += (size_t)got;
        b.data[b.len] = '\0';
        if (b.len > FILES_MAX_FILE) {
            errbuf_set(err, errlen, "%s: larger than %u MB", path, FILES_MAX_FILE >> 20);
            goto fail;
        }
    }
    close(fd);
    if (b.data == NULL && buf_reserve(&b, 1) != 0) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    e->data = b.data;
    e->len = b.len;
    return 0;
fail:
    close(fd);
    buf_free(&b);
    return -1;
}

int files_read(struct files *fs, const char *path, const char **data, size_t *len,
               char *err, size_t errlen)
{
    struct files_entry *e = find(fs, FILES_FILE, path, NULL);
    if (e == NULL && fs->sealed) {
        errbuf_set(err, errlen, "%s: was not read while loading as root", path);
        return -1;
    }
    if (e == NULL) {
        struct files_entry fresh = {.kind = FILES_FILE, .path = strdup(path)};
        if (fresh.path == NULL) {
            errbuf_set(err, errlen, "out of memory");
            return -1;
        }
        if ((fs->guard && fs->guard(fs->guard_ctx, path, err, errlen) != 0) ||
            read_disk(path, &fresh, err, errlen) != 0) {
            entry_free(&fresh);
            return -1;
        }
        if ((e = add(fs, &fresh, err, errlen)) == NULL)
            return -1;
    }
    *data = e->data;
    *len = e->len;
    return 0;
}

static int name_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists DIR's names ending in SUFFIX into E (sorted, NUL-separated). */
static int list_disk(const char *dir, const char *suffix, struct files_entry *e,
                     char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        errbuf_set(err, errlen, "%s: cannot read directory: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0, slen = strlen(suffix);
    int rc = -1;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len <= slen ||
            strcmp(de->d_name + len - slen, suffix) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, cap * sizeof(*names));
            if (grown == NULL)
                goto oom;
            names = grown;
        }
        if ((names[n] = strdup(de->d_name)) == NULL)
            goto oom;
        n++;
    }
    if (errno != 0) {
        errbuf_set(err, errlen, "%s: cannot read directory: %s", dir, strerror(errno));
        goto done;
    }
    if (n > 1) /* qsort(NULL, 0) is undefined */
        qsort(names, n, sizeof(*names), name_order);
    struct buf b = {0};
    for (size_t i = 0; i < n; i++)
        if (buf_append(&b, names[i], strlen(names[i]) + 1) != 0) {
            buf_free(&b);
            goto oom;
        }
    if (b.data == NULL && buf_reserve(&b, 1) != 0)
        goto oom;
    e->data = b.data;
    e->len = b.len;
    rc = 0;
    goto done;
oom:
    errbuf_set(err, errlen, "out of memory");
done:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int files_list(struct files *fs, const char *dir, const char *suffix,
               const char *const **names, size_t *n, char *err, size_t errlen)
{
    struct files_entry *e = find(fs, FILES_LIST, dir, suffix);
    if (e == NULL && fs->sealed) {
        errbuf_set(err, errlen, "%s: was not listed while loading as root", dir);
        return -1;
    }
    if (e == NULL) {
        struct files_entry fresh = {
            .kind = FILES_LIST, .path = strdup(dir), .suffix = strdup(suffix)};
        if (fresh.path == NULL || fresh.suffix == NULL) {
            entry_free(&fresh);
            errbuf_set(err, errlen, "out of memory");
            return -1;
        }
        if ((fs->guard && fs->guard(fs->guard_ctx, dir, err, errlen) != 0) ||
            list_disk(dir, suffix, &fresh, err, errlen) != 0) {
            entry_free(&fresh);
            return -1;
        }
        if (index_names(&fresh) != 0) {
            errbuf_set(err, errlen, "out of memory");
            entry_free(&fresh);
            return -1;
        }
        if ((e = add(fs, &fresh, err, errlen)) == NULL)
            return -1;
    }
    *names = e->names;
    *n = e->nnames;
    return 0;
}

/* ---------------------------------------------------------------- wire */

/* Wire form: "SWF1", the number of entries, then per entry: kind (1 byte),
 * then path, suffix and data, each as a 4-byte length (host order: both
 * ends are one machine) and its bytes.  The count makes every truncation
 * malformed, never a smaller set. */

static int put_field(struct buf *out, const void *p, size_t len)
{
    uint32_t n = (uint32_t)len;
    return buf_append(out, &n, sizeof(n)) == 0 && buf_append(out, p, len) == 0 ? 0 : -1;
}

int files_encode(const struct files *fs, struct buf *out)
{
    uint32_t count = (uint32_t)fs->n;
    if (buf_append(out, FILES_MAGIC, 4) != 0 ||
        buf_append(out, &count, sizeof(count)) != 0)
        return -1;
    for (size_t i = 0; i < fs->n; i++) {
        const struct files_entry *e = &fs->entries[i];
        unsigned char kind = (unsigned char)e->kind;
        const char *suffix = e->suffix ? e->suffix : "";
        if (buf_append(out, &kind, 1) != 0 ||
            put_field(out, e->path, strlen(e->path)) != 0 ||
            put_field(out, suffix, strlen(suffix)) != 0 ||
            put_field(out, e->data, e->len) != 0)
            return -1;
    }
    return 0;
}

struct reader {
    const unsigned char *p;
    size_t left;
};

/* A field as a malloc'ed copy with a NUL after it into *OUT.  0, -1 when
 * truncated, -2 when out of memory. */
static int get_field(struct reader *r, char **out, size_t *len)
{
    uint32_t n;
    *out = NULL;
    if (r->left < sizeof(n))
        return -1;
    memcpy(&n, r->p, sizeof(n));
    r->p += sizeof(n);
    r->left -= sizeof(n);
    if (n > r->left)
        return -1;
    char *copy = malloc((size_t)n + 1);
    if (copy == NULL)
        return -2;
    memcpy(copy, r->p, n);
    copy[n] = '\0';
    r->p += n;
    r->left -= n;
    *out = copy;
    *len = n;
    return 0;
}

struct files *files_decode(const void *p, size_t len, char *err, size_t errlen)
{
    struct files *fs = files_new();
    struct reader r = {p, len};
    if (fs == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    fs->sealed = true;
    uint32_t count;
    if (len < 4 + sizeof(count) || memcmp(p, FILES_MAGIC, 4) != 0)
        goto malformed;
    memcpy(&count, r.p + 4, sizeof(count));
    r.p += 4 + sizeof(count);
    r.left -= 4 + sizeof(count);
    for (uint32_t i = 0; i < count; i++) {
        if (r.left == 0)
            goto malformed;
        struct files_entry e = {.kind = *r.p};
        size_t plen, slen;
        r.p++;
        r.left--;
        if (e.kind != FILES_FILE && e.kind != FILES_LIST)
            goto malformed;
        int rc = get_field(&r, &e.path, &plen);
        if (rc == 0)
            rc = get_field(&r, &e.suffix, &slen);
        if (rc == 0)
            rc = get_field(&r, &e.data, &e.len);
        if (rc == 0 && e.kind == FILES_LIST && index_names(&e) != 0)
            rc = -2;
        if (rc == -2) {
            entry_free(&e);
            errbuf_set(err, errlen, "out of memory");
            files_free(fs);
            return NULL;
        }
        if (rc != 0 || strlen(e.path) != plen || strlen(e.suffix) != slen) {
            entry_free(&e);
            goto malformed;
        }
        if (e.kind == FILES_FILE) {
            free(e.suffix);
            e.suffix = NULL;
        }
        if (add(fs, &e, err, errlen) == NULL) {
            files_free(fs);
            return NULL;
        }
    }
    if (r.left != 0)
        goto malformed;
    return fs;
malformed:
    errbuf_set(err, errlen, "the loaded files came back malformed");
    files_free(fs);
    return NULL;
}
