/*
 * zipspeed - how fast a zip of attachments is sealed, for bench/zip-speed:
 * sendwatch's own sealer (lib/seal, libzip) or libarchive's zip writer,
 * the one the design first named.  Process CPU time (user + system) of
 * writing the zip only: the files are read into spools first, as the
 * milter has them decoded.
 *
 * usage: zipspeed seal|libarchive aes256|zipcrypto auto|store|deflate OUT FILE...
 *        zipspeed stored FILE...
 *   auto: deflate what seal_worth_compressing() says (libarchive cannot
 *   change from one entry to the next: it deflates all)
 *   stored: prints the FILEs the sealer stores (compressed formats already)
 * Prints one JSON line: {"writer","method","mode","bytes","cpu_s","mb_s"}.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"

#define PASSWORD "Bench-Pa55word-2026"

static double cpu_seconds(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 +
           (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec / 1e6;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static struct spool *read_file(const char *path, const char *temp_dir)
{
    char buf[65536], err[256];
    struct spool *sp = spool_new(64 << 20, temp_dir);
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (sp == NULL || fd < 0) {
        fprintf(stderr, "zipspeed: %s: cannot read\n", path);
        exit(1);
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (spool_write(sp, buf, (size_t)n, err, sizeof(err)) != 0) {
            fprintf(stderr, "zipspeed: %s\n", err);
            exit(1);
        }
    close(fd);
    return sp;
}

static void write_seal(bool aes, const char *mode, const char *out, int n,
                       struct spool **data, char **names)
{
    char dir[4096], err[256];
    /* The sealer writes in a directory of its own choosing: OUT's. */
    snprintf(dir, sizeof(dir), "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        slash[slash == dir ? 1 : 0] = '\0';
    struct seal *s = seal_new(aes ? SEAL_AES256 : SEAL_ZIPCRYPTO, SEAL_NAMES_UTF8,
                              PASSWORD, dir, err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "zipspeed: %s\n", err);
        exit(1);
    }
    for (int i = 0; i < n; i++) {
        bool compress = strcmp(mode, "deflate") == 0 ||
                        (strcmp(mode, "auto") == 0 && seal_worth_compressing(names[i]));
        if (seal_add(s, base_name(names[i]), 0, data[i], compress, err, sizeof(err)) !=
            0) {
            fprintf(stderr, "zipspeed: %s\n", err);
            exit(1);
        }
    }
    int fd;
    uint64_t size;
    if (seal_finish(s, &fd, &size, err, sizeof(err)) != 0) {
        fprintf(stderr, "zipspeed: %s\n", err);
        exit(1);
    }
    seal_free(s);
    close(fd);
}

static void write_libarchive(bool aes, const char *mode, const char *out, int n,
                             struct spool **data, char **names)
{
    struct archive *a = archive_write_new();
    char buf[65536], err[256];

    archive_write_set_format_zip(a);
    if (archive_write_set_options(a, aes ? "zip:encryption=aes256"
                                         : "zip:encryption=zipcrypt") != ARCHIVE_OK ||
        archive_write_set_passphrase(a, PASSWORD) != ARCHIVE_OK ||
        archive_write_set_format_option(
            a, "zip", "compression", strcmp(mode, "store") == 0 ? "store" : "deflate") !=
            ARCHIVE_OK ||
        archive_write_open_filename(a, out) != ARCHIVE_OK) {
        fprintf(stderr, "zipspeed: %s\n", archive_error_string(a));
        exit(1);
    }
    for (int i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        uint64_t size = spool_size(data[i]);
        archive_entry_set_pathname_utf8(e, base_name(names[i]));
        archive_entry_set_size(e, (la_int64_t)size);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        if (archive_write_header(a, e) != ARCHIVE_OK) {
            fprintf(stderr, "zipspeed: %s\n", archive_error_string(a));
            exit(1);
        }
        for (uint64_t at = 0; at < size;) {
            ssize_t got = spool_read_at(data[i], at, buf, sizeof(buf), err, sizeof(err));
            if (got <= 0 || archive_write_data(a, buf, (size_t)got) != got) {
                fprintf(stderr, "zipspeed: cannot write %s\n", names[i]);
                exit(1);
            }
            at += (uint64_t)got;
        }
        archive_entry_free(e);
    }
    if (archive_write_close(a) != ARCHIVE_OK) {
        fprintf(stderr, "zipspeed: %s\n", archive_error_string(a));
        exit(1);
    }
    archive_write_free(a);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "stored") == 0) {
        for (int i = 2; i < argc; i++)
            if (!seal_worth_compressing(base_name(argv[i])))
                printf("%s\n", argv[i]);
        return 0;
    }
    if (argc < 6 ||
        (strcmp(argv[1], "seal") != 0 && strcmp(argv[1], "libarchive") != 0)) {
        fprintf(stderr, "usage: zipspeed seal|libarchive aes256|zipcrypto "
                        "auto|store|deflate OUT FILE...\n");
        return 2;
    }
    bool aes = strcmp(argv[2], "aes256") == 0;
    int n = argc - 5;
    struct spool **data = calloc((size_t)n, sizeof(*data));
    uint64_t bytes = 0;
    for (int i = 0; i < n; i++) {
        data[i] = read_file(argv[5 + i], "/tmp");
        bytes += spool_size(data[i]);
    }
    double start = cpu_seconds();
    if (strcmp(argv[1], "seal") == 0)
        write_seal(aes, argv[3], argv[4], n, data, argv + 5);
    else
        write_libarchive(aes, argv[3], argv[4], n, data, argv + 5);
    double spent = cpu_seconds() - start;
    printf("{\"writer\":\"%s\",\"method\":\"%s\",\"mode\":\"%s\",\"bytes\":%llu,"
           "\"cpu_s\":%.4f,\"mb_s\":%.1f}\n",
           argv[1], argv[2], argv[3], (unsigned long long)bytes, spent,
           spent > 0 ? (double)bytes / 1e6 / spent : 0.0);
    for (int i = 0; i < n; i++)
        spool_free(data[i]);
    free(data);
    return 0;
}
