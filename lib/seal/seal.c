/* seal - see seal.h. */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "charset.h"
#include "errbuf.h"

/* One file's bytes as libzip reads them (a zip_source_function callback). */
struct seal_file {
    const struct spool *data;
    time_t mtime;
    uint64_t at;
    zip_error_t error;
};

struct seal {
    zip_t *zip;
    char *path; /* the zip's file until seal_finish() opens and unlinks it */
    char *password;
    enum seal_method method;
    enum seal_names names;
    size_t kept_utf8;
    size_t files; /* added and set up */
    bool done;
    void (*progress)(void *ctx);
    void *progress_ctx;
};

static zip_int64_t seal_file_read(void *userdata, void *data, zip_uint64_t len,
                                  zip_source_cmd_t cmd)
{
    struct seal_file *f = userdata;
    char err[256];

    switch (cmd) {
    case ZIP_SOURCE_OPEN:
        f->at = 0;
        return 0;
    case ZIP_SOURCE_READ: {
        uint64_t size = spool_size(f->data);
        if (f->at >= size)
            return 0;
        if (len > size - f->at)
            len = size - f->at;
        ssize_t n = spool_read_at(f->data, f->at, data, (size_t)len, err, sizeof(err));
        if (n <= 0) {
            zip_error_set(&f->error, ZIP_ER_READ, n < 0 ? EIO : 0);
            return -1;
        }
        f->at += (uint64_t)n;
        return n;
    }
    case ZIP_SOURCE_CLOSE:
        return 0;
    case ZIP_SOURCE_STAT: {
        if (len < sizeof(zip_stat_t)) {
            zip_error_set(&f->error, ZIP_ER_INVAL, 0);
            return -1;
        }
        zip_stat_t *st = data;
        zip_stat_init(st);
        st->size = spool_size(f->data);
        st->mtime = f->mtime;
        st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
        return sizeof(*st);
    }
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&f->error, data, len);
    case ZIP_SOURCE_FREE:
        zip_error_fini(&f->error);
        free(f);
        return 0;
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
                                              ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    default:
        zip_error_set(&f->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

struct seal *seal_new(enum seal_method method, enum seal_names names,
                      const char *password, const char *temp_dir, char *err,
                      size_t errlen)
{
    struct seal *s = calloc(1, sizeof(*s));
    int zerr = 0;

    if (s == NULL || (s->password = strdup(password)) == NULL ||
        asprintf(&s->path, "%s/seal-XXXXXX.zip", temp_dir) < 0) {
        if (s != NULL)
            s->path = NULL;
        errbuf_set(err, errlen, "out of memory");
        seal_free(s);
        return NULL;
    }
    s->method = method;
    s->names = names;
    /* The name is taken here, in a directory only we write to; libzip
     * writes the zip beside it and renames it over this empty file. */
    int fd = mkstemps(s->path, 4);
    if (fd < 0) {
        errbuf_set(err, errlen, "cannot create a zip in %s: %s", temp_dir,
                   strerror(errno));
        free(s->path);
        s->path = NULL;
        seal_free(s);
        return NULL;
    }
    close(fd);
    s->zip = zip_open(s->path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (s->zip == NULL) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        errbuf_set(err, errlen, "cannot start a zip in %s: %s", temp_dir,
                   zip_error_strerror(&ze));
        zip_error_fini(&ze);
        seal_free(s);
        return NULL;
    }
    return s;
}

static void seal_progress(zip_t *zip, double done, void *ud)
{
    (void)zip;
    (void)done;
    struct seal *s = ud;
    s->progress(s->progress_ctx);
}

void seal_set_progress(struct seal *s, void (*fn)(void *ctx), void *ctx)
{
    s->progress = fn;
    s->progress_ctx = ctx;
    zip_register_progress_callback_with_state(s->zip, 0.01, fn ? seal_progress : NULL,
                                              NULL, s);
}

/* Is NAME fit to be a file in the zip: not empty, ".", "..", no path, no controls? */
static bool seal_name_ok(const char *name)
{
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return false;
    return true;
}

int seal_add(struct seal *s, const char *name, time_t mtime, const struct spool *data,
             bool compress, char *err, size_t errlen)
{
    char *cp932 = NULL;
    size_t cp932_len;
    zip_flags_t flags = ZIP_FL_ENC_UTF_8;
    const char *written = name;

    if (!seal_name_ok(name)) {
        errbuf_set(err, errlen,
                   "a file name unfit for a zip (empty, a path, or controls)");
        return -1;
    }
    if (s->names == SEAL_NAMES_CP932) {
        int rc = charset_from_utf8("CP932", name, strlen(name), &cp932, &cp932_len);
        if (rc < 0) {
            errbuf_set(err, errlen, "out of memory");
            return -1;
        }
        if (rc == 0) {
            /* Raw bytes, no UTF-8 flag: what Explorer reads as CP932. */
            written = cp932;
            flags = ZIP_FL_ENC_CP437;
        } else {
            s->kept_utf8++;
        }
    }

    struct seal_file *f = calloc(1, sizeof(*f));
    zip_source_t *src = NULL;
    if (f == NULL || (src = zip_source_function(s->zip, seal_file_read, f)) == NULL) {
        free(f);
        free(cp932);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    f->data = data;
    f->mtime = mtime;
    zip_error_init(&f->error);
    zip_int64_t index = zip_file_add(s->zip, written, src, flags);
    if (index < 0 && cp932 != NULL &&
        zip_error_code_zip(zip_get_error(s->zip)) == ZIP_ER_INVAL) {
        /* libzip refuses a name without the UTF-8 flag whose bytes read as
         * UTF-8 (the CP932 of "ﾃｽ" does): that name is written in UTF-8. */
        zip_error_clear(s->zip);
        s->kept_utf8++;
        index = zip_file_add(s->zip, name, src, ZIP_FL_ENC_UTF_8);
    }
    free(cp932);
    if (index < 0) {
        errbuf_set(err, errlen, "cannot add a file to the zip: %s", zip_strerror(s->zip));
        zip_source_free(src);
        return -1;
    }
    zip_uint64_t i = (zip_uint64_t)index;
    if (zip_set_file_compression(s->zip, i, compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0) <
            0 ||
        zip_file_set_encryption(
            s->zip, i, s->method == SEAL_AES256 ? ZIP_EM_AES_256 : ZIP_EM_TRAD_PKWARE,
            s->password) < 0 ||
        zip_file_set_mtime(s->zip, i, mtime, 0) < 0) {
        errbuf_set(err, errlen, "cannot set up a file of the zip: %s",
                   zip_strerror(s->zip));
        zip_delete(s->zip, i); /* never left in the zip half set up (unencrypted) */
        return -1;
    }
    s->files++;
    return 0;
}

int seal_finish(struct seal *s, int *fd, uint64_t *size, char *err, size_t errlen)
{
    struct stat st;

    *fd = -1;
    *size = 0;
    s->done = true;
    /* libzip holds its own copy for the close; ours is not needed any more. */
    OPENSSL_cleanse(s->password, strlen(s->password));
    if (s->files == 0) {
        errbuf_set(err, errlen, "a zip with no file in it");
        return -1;
    }
    if (zip_close(s->zip) != 0) {
        errbuf_set(err, errlen, "cannot write the zip: %s", zip_strerror(s->zip));
        zip_discard(s->zip);
        s->zip = NULL;
        return -1;
    }
    s->zip = NULL;
    int f = open(s->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0 || fstat(f, &st) != 0) {
        errbuf_set(err, errlen, "cannot open the zip written: %s", strerror(errno));
        if (f >= 0)
            close(f);
        return -1;
    }
    unlink(s->path);
    free(s->path);
    s->path = NULL;
    *fd = f;
    *size = (uint64_t)st.st_size;
    return 0;
}

size_t seal_names_kept_utf8(const struct seal *s)
{
    return s->kept_utf8;
}

void seal_free(struct seal *s)
{
    if (s == NULL)
        return;
    if (s->zip != NULL)
        zip_discard(s->zip);
    if (s->path != NULL)
        unlink(s->path);
    free(s->path);
    if (s->password != NULL) {
        OPENSSL_cleanse(s->password, strlen(s->password));
        free(s->password);
    }
    free(s);
}

bool seal_worth_compressing(const char *name)
{
    static const char *const compressed[] = {
        "zip",  "7z",   "rar",  "gz",   "tgz",  "bz2",  "xz",   "zst", "lzh", "cab",
        "docx", "xlsx", "pptx", "docm", "xlsm", "pptm", "odt",  "ods", "odp", "pdf",
        "jpg",  "jpeg", "png",  "gif",  "webp", "heic", "mp3",  "m4a", "aac", "mp4",
        "mov",  "avi",  "mkv",  "wmv",  "p7m",  "gpg",  "epub", "jar", "apk", NULL};
    const char *dot = strrchr(name, '.');

    if (dot == NULL)
        return true;
    for (size_t i = 0; compressed[i] != NULL; i++)
        if (strcasecmp(dot + 1, compressed[i]) == 0)
            return false;
    return true;
}
