/* extract - see extract.h. */
#include "extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "errbuf.h"
#include "markup.h"

#define EXTRACT_CHUNK 65536

/* libarchive reads the attachment straight from its spool. */
struct extract_source {
    const struct spool *spool;
    uint64_t offset;
    char buf[EXTRACT_CHUNK];
};

static la_ssize_t source_read(struct archive *a, void *client, const void **buffer)
{
    struct extract_source *src = client;
    char err[256];
    ssize_t n = spool_read_at(src->spool, src->offset, src->buf, sizeof(src->buf), err,
                              sizeof(err));

    if (n < 0) {
        archive_set_error(a, EIO, "%s", err);
        return -1;
    }
    src->offset += (uint64_t)n;
    *buffer = src->buf;
    return n;
}

/*
 * libarchive's seek and skip over a readable range of SIZE bytes, at
 * *OFFSET: shared by the spool source and the sparse one.
 */
static la_int64_t range_seek(uint64_t *at, uint64_t size, la_int64_t offset, int whence)
{
    int64_t pos;

    switch (whence) {
    case SEEK_SET:
        pos = offset;
        break;
    case SEEK_CUR:
        pos = (int64_t)*at + offset;
        break;
    case SEEK_END:
        pos = (int64_t)size + offset;
        break;
    default:
        return ARCHIVE_FATAL;
    }
    if (pos < 0)
        return ARCHIVE_FATAL;
    *at = (uint64_t)pos > size ? size : (uint64_t)pos;
    return (la_int64_t)*at;
}

static la_int64_t range_skip(uint64_t *at, uint64_t size, la_int64_t request)
{
    uint64_t left = size - *at;

    if (request < 0)
        return 0;
    if ((uint64_t)request > left)
        request = (la_int64_t)left;
    *at += (uint64_t)request;
    return request;
}

static la_int64_t source_seek(struct archive *a, void *client, la_int64_t offset,
                              int whence)
{
    struct extract_source *src = client;
    (void)a;
    return range_seek(&src->offset, spool_size(src->spool), offset, whence);
}

static la_int64_t source_skip(struct archive *a, void *client, la_int64_t request)
{
    struct extract_source *src = client;
    (void)a;
    return range_skip(&src->offset, spool_size(src->spool), request);
}

/*
 * Does PATH match PATTERN?  A pattern with '*' is a glob ('*' stays within
 * one folder); any other is a literal name, compared literally: as a glob,
 * "[Content_Types].xml" is a bracket expression that also matches "t.xml".
 */
static bool office_path_is(const char *pattern, const char *path)
{
    if (strchr(pattern, '*') == NULL)
        return strcmp(pattern, path) == 0;
    return fnmatch(pattern, path, FNM_PATHNAME) == 0;
}

static bool office_path_in(const char *const *patterns, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (office_path_is(patterns[i], path))
            return true;
    return false;
}

/*
 * Office parts whose text people write or see: body, headers and footers
 * (ODF keeps them in styles.xml), notes, comments, sheets, slides and the
 * slide masters and layouts (text on every slide), properties, custom XML
 * data.
 */
static bool is_office_text_part(const char *path)
{
    static const char *const patterns[] = {"word/document.xml",
                                           "word/header*.xml",
                                           "word/footer*.xml",
                                           "word/footnotes.xml",
                                           "word/endnotes.xml",
                                           "word/comments*.xml",
                                           "word/glossary/document.xml",
                                           "xl/sharedStrings.xml",
                                           "xl/worksheets/sheet*.xml",
                                           "xl/comments*.xml",
                                           "ppt/slides/slide*.xml",
                                           "ppt/notesSlides/notesSlide*.xml",
                                           "ppt/comments/*.xml",
                                           "ppt/slideMasters/slideMaster*.xml",
                                           "ppt/slideLayouts/slideLayout*.xml",
                                           "ppt/notesMasters/notesMaster*.xml",
                                           "ppt/handoutMasters/handoutMaster*.xml",
                                           "docProps/core.xml",
                                           "docProps/app.xml",
                                           "docProps/custom.xml",
                                           "customXml/item*.xml",
                                           "content.xml",
                                           "styles.xml",
                                           "meta.xml"};
    return office_path_in(patterns, sizeof(patterns) / sizeof(*patterns), path);
}

/*
 * The parts of an office document that are its structure (styles, themes,
 * relationships, settings), by their exact names and types: not text, not
 * files of the sender's.  Every other part of a document is looked at like
 * a file in any archive, so a zip merely named .docx, or a CSV put in
 * word/media/ or META-INF/, hides nothing.
 */
static bool is_office_structure(const char *path)
{
    static const char *const patterns[] = {"[Content_Types].xml",
                                           "_rels/.rels",
                                           "*/_rels/*.rels",
                                           "*/*/_rels/*.rels",
                                           "mimetype",
                                           "META-INF/manifest.xml",
                                           "Thumbnails/thumbnail.png",
                                           "manifest.rdf",
                                           "settings.xml",
                                           "word/styles.xml",
                                           "word/stylesWithEffects.xml",
                                           "word/settings.xml",
                                           "word/webSettings.xml",
                                           "word/fontTable.xml",
                                           "word/numbering.xml",
                                           "word/theme/theme*.xml",
                                           "word/glossary/*.xml",
                                           "word/customizations.xml",
                                           "xl/workbook.xml",
                                           "xl/styles.xml",
                                           "xl/calcChain.xml",
                                           "xl/theme/theme*.xml",
                                           "xl/printerSettings/printerSettings*.bin",
                                           "ppt/presentation.xml",
                                           "ppt/presProps.xml",
                                           "ppt/viewProps.xml",
                                           "ppt/tableStyles.xml",
                                           "ppt/theme/theme*.xml"};
    return office_path_in(patterns, sizeof(patterns) / sizeof(*patterns), path);
}

static bool name_ends(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n >= e && strcasecmp(name + n - e, ext) == 0;
}

static bool is_office_name(const char *name)
{
    static const char *const exts[] = {
        ".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".xltx", ".pptx", ".pptm",
        ".potx", ".odt",  ".ods",  ".odp",  ".odg",  ".ott",  ".ots",  ".otp"};
    for (size_t i = 0; i < sizeof(exts) / sizeof(*exts); i++)
        if (name_ends(name, exts[i]))
            return true;
    return false;
}

/* Files whose bytes are read as text. */
static enum extract_text_kind text_kind(const char *name, bool *is_text)
{
    static const char *const exts[] = {".txt", ".csv", ".tsv", ".json", ".xml",
                                       ".md",  ".log", ".ini", ".yaml", ".yml",
                                       ".sql", ".eml", ".vcf", ".ics"};
    *is_text = true;
    if (name_ends(name, ".html") || name_ends(name, ".htm"))
        return EXTRACT_TEXT_HTML;
    for (size_t i = 0; i < sizeof(exts) / sizeof(*exts); i++)
        if (name_ends(name, exts[i]))
            return EXTRACT_TEXT_BYTES;
    *is_text = false;
    return EXTRACT_TEXT_BYTES;
}

/*
 * The archive formats looked into.  Not "mtree": it would read any text as
 * a list of files (each line a name), hiding the text as names.
 */
static void extract_support_formats(struct archive *a)
{
    archive_read_support_format_7zip(a);
    archive_read_support_format_ar(a);
    archive_read_support_format_cab(a);
    archive_read_support_format_cpio(a);
    archive_read_support_format_iso9660(a);
    archive_read_support_format_lha(a);
    archive_read_support_format_rar(a);
    archive_read_support_format_rar5(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_xar(a);
    archive_read_support_format_zip(a);
}

/* One archive being read. */
struct extract_run {
    struct archive *a;
    const char *name; /* of the archive, for messages */
    int id;
    unsigned depth;
    bool office;
    uint64_t expanded_here; /* bytes expanded from this archive */
    uint64_t allowed_here;  /* ratio limit for this archive */
    struct extract_budget *budget;
    const struct extract_callbacks *cb;
    char *err;
    size_t errlen;
    bool stop; /* a limit or error ends this archive */
};

static void run_problem(struct extract_run *r, int id, enum extract_problem what,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void run_problem(struct extract_run *r, int id, enum extract_problem what,
                        const char *fmt, ...)
{
    char why[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    r->cb->problem(r->cb->ctx, id, what, why);
    if (what != EXTRACT_ENCRYPTED)
        r->stop = true;
}

/*
 * Reads the current entry's data, at most MAX bytes into memory (*BUF,
 * malloc'ed), all of it into SPOOL, or (BUF and SPOOL NULL) nowhere,
 * enforcing the budget.  Returns 0, -1 on a hard error (ERR filled), 1 when
 * a limit or a read error stopped it (reported).  *TRUNCATED says the data
 * went on past MAX.
 */
static int run_read_data(struct extract_run *r, const char *entry_name, char **buf,
                         size_t *len, size_t max, struct spool *spool, bool *truncated)
{
    char chunk[EXTRACT_CHUNK];
    size_t cap = 0;

    *truncated = false;
    if (buf != NULL) {
        *buf = NULL;
        *len = 0;
    }
    for (;;) {
        la_ssize_t n = archive_read_data(r->a, chunk, sizeof(chunk));
        if (n == 0)
            return 0;
        if (n < 0) {
            run_problem(r, r->id, EXTRACT_MALFORMED, "%s: cannot read %s: %s", r->name,
                        entry_name, archive_error_string(r->a));
            return 1;
        }
        r->expanded_here += (uint64_t)n;
        r->budget->expanded += (uint64_t)n;
        if (r->budget->expanded > r->budget->max_expanded) {
            run_problem(r, r->id, EXTRACT_LIMIT,
                        "archives expand to more than %llu bytes in all",
                        (unsigned long long)r->budget->max_expanded);
            return 1;
        }
        if (r->expanded_here > r->allowed_here) {
            run_problem(r, r->id, EXTRACT_LIMIT,
                        "%s expands more than %u times its size (a zip bomb?)", r->name,
                        r->budget->max_ratio);
            return 1;
        }
        if (spool != NULL) {
            if (spool_write(spool, chunk, (size_t)n, r->err, r->errlen) != 0)
                return -1;
            continue;
        }
        if (buf == NULL)
            continue; /* skipped, but expanded all the same: counted */
        if (*len >= max) {
            *truncated = true;
            continue; /* keep reading: the budget must see every byte */
        }
        size_t take = (size_t)n;
        if (take > max - *len) {
            take = max - *len;
            *truncated = true;
        }
        if (*len + take + 1 > cap) {
            size_t want = cap ? cap : 65536;
            while (want < *len + take + 1)
                want *= 2;
            char *grown = realloc(*buf, want);
            if (grown == NULL) {
                errbuf_set(r->err, r->errlen, "out of memory");
                return -1;
            }
            *buf = grown;
            cap = want;
        }
        memcpy(*buf + *len, chunk, take);
        *len += take;
        (*buf)[*len] = '\0';
    }
}

/* An office document's content part: its XML reduced to text, under the document's id. */
static int run_office_part(struct extract_run *r, const char *path)
{
    char *xml, *text;
    size_t len, text_len;
    bool truncated;

    int rc = run_read_data(r, path, &xml, &len, r->budget->max_text, NULL, &truncated);
    if (rc != 0) {
        free(xml);
        return rc;
    }
    if (truncated)
        r->cb->problem(r->cb->ctx, r->id, EXTRACT_LIMIT,
                       "an office document part was read "
                       "only up to max_text bytes");
    int mrc = markup_xml_text(xml ? xml : "", len, &text, &text_len);
    if (mrc < 0) {
        free(xml);
        errbuf_set(r->err, r->errlen, "out of memory");
        return -1;
    }
    r->cb->text(r->cb->ctx, r->id, EXTRACT_TEXT_UTF8, text, text_len);
    if (mrc == 1) {
        /* Broken XML: what follows the break must be seen too. */
        r->cb->problem(r->cb->ctx, r->id, EXTRACT_MALFORMED,
                       "broken XML in an office document");
        r->cb->text(r->cb->ctx, r->id, EXTRACT_TEXT_BYTES, xml ? xml : "", len);
    }
    free(text);
    free(xml);
    return 0;
}

static int extract_any(const struct spool *data, const char *name, int id, unsigned depth,
                       struct extract_budget *budget, const struct extract_callbacks *cb,
                       char *err, size_t errlen);

/* A file in an archive that is no archive itself (DATA, at PATH): its text,
 * under CHILD. */
static int run_plain_file(struct extract_run *r, const struct spool *data, int child,
                          const char *path)
{
    char *text;
    size_t len;
    enum extract_text_kind kind;

    if (extract_is_compound_file(data)) {
        if (is_office_name(path))
            r->cb->problem(r->cb->ctx, child, EXTRACT_ENCRYPTED,
                           "an office document in an archive has a password");
        else
            r->cb->problem(r->cb->ctx, child, EXTRACT_UNREADABLE,
                           "a binary Office file in an archive: its text is not read");
    }

    if (extract_file_text(data, child, r->budget, r->cb, &text, &len, &kind, r->err,
                          r->errlen) != 0)
        return -1;
    if (text != NULL)
        r->cb->text(r->cb->ctx, child, kind, text, len);
    free(text);
    return 0;
}

/* A file inside an archive: record it, read its text, or look into it. */
static int run_file(struct extract_run *r, struct archive_entry *entry, const char *path)
{
    bool encrypted = archive_entry_is_encrypted(entry) != 0;
    uint64_t size =
        archive_entry_size_is_set(entry) ? (uint64_t)archive_entry_size(entry) : 0;

    int child = r->cb->entry(r->cb->ctx, r->id, path, size, encrypted, r->depth + 1);
    if (child < 0) {
        errbuf_set(r->err, r->errlen, "out of memory");
        return -1;
    }
    if (encrypted) {
        run_problem(r, child, EXTRACT_ENCRYPTED, "%s: %s is encrypted", r->name, path);
        return 0;
    }
    bool is_text;
    enum extract_text_kind kind = text_kind(path, &is_text);
    if (is_text) {
        char *buf;
        size_t len;
        bool truncated;
        int rc =
            run_read_data(r, path, &buf, &len, r->budget->max_text, NULL, &truncated);
        if (rc == 0) {
            if (truncated)
                r->cb->problem(r->cb->ctx, child, EXTRACT_LIMIT,
                               "a file in an archive was read only up to max_text bytes");
            r->cb->text(r->cb->ctx, child, kind, buf ? buf : "", len);
        }
        free(buf);
        return rc;
    }
    /* Anything else may be an archive or document in disguise: look. */
    if (r->depth + 1 >= r->budget->max_depth) {
        r->cb->problem(r->cb->ctx, child, EXTRACT_LIMIT, "archives nested too deep");
        return 0; /* the entry is recorded; its contents are not looked into */
    }
    struct spool *inner = spool_new(r->budget->memory_limit, r->budget->temp_dir);
    if (inner == NULL) {
        errbuf_set(r->err, r->errlen, "out of memory");
        return -1;
    }
    bool truncated;
    int rc = run_read_data(r, path, NULL, NULL, 0, inner, &truncated);
    if (rc == 0 && spool_size(inner) > 0) {
        rc = extract_any(inner, path, child, r->depth + 1, r->budget, r->cb, r->err,
                         r->errlen);
        if (rc == 1) /* no archive: a file, read as extract_file_text() says */
            rc = run_plain_file(r, inner, child, path);
    }
    spool_free(inner);
    return rc;
}

/*
 * One archive, entry by entry.  Long because every limit (depth, entries,
 * expanded bytes, ratio) is checked at the one place an entry is read, and
 * each check must flag what it cut before the next entry: kept in one
 * loop so no entry can skip a check.
 */
static int extract_run(const struct spool *data, const char *name, int id, unsigned depth,
                       struct extract_budget *budget, const struct extract_callbacks *cb,
                       char *err, size_t errlen, bool raw)
{
    struct extract_source *src = malloc(sizeof(*src));
    struct extract_run r = {.name = name,
                            .id = id,
                            .depth = depth,
                            .budget = budget,
                            .cb = cb,
                            .err = err,
                            .errlen = errlen};
    struct archive_entry *entry;
    int rc = 0;

    if (src == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    src->spool = data;
    src->offset = 0;
    r.a = archive_read_new();
    if (r.a == NULL) {
        free(src);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    archive_read_support_filter_all(r.a);
    if (raw) {
        archive_read_support_format_raw(r.a); /* a single compressed file */
    } else {
        extract_support_formats(r.a);
    }
    archive_read_set_read_callback(r.a, source_read);
    archive_read_set_seek_callback(r.a, source_seek);
    archive_read_set_skip_callback(r.a, source_skip);
    archive_read_set_callback_data(r.a, src);
    uint64_t size = spool_size(data);
    r.allowed_here =
        (uint64_t)budget->max_ratio * (size > 0 ? size : 1) + EXTRACT_RATIO_FLOOR;
    r.office = is_office_name(name);

    if (archive_read_open1(r.a) != ARCHIVE_OK) {
        rc = 1; /* not something libarchive reads */
        goto done;
    }
    bool first = true;
    for (;;) {
        int hr = archive_read_next_header(r.a, &entry);
        if (hr == ARCHIVE_EOF)
            break;
        if (hr < ARCHIVE_WARN) {
            /* It looked like an archive to libarchive but does not read as one. */
            run_problem(&r, id, EXTRACT_MALFORMED, "%s: broken archive: %s", name,
                        archive_error_string(r.a));
            break;
        }
        /* UTF-8 when libarchive can say; else the raw bytes (a Japanese
         * Windows zip stores Shift_JIS names unflagged), which the caller
         * reads with the charset module's detection. */
        const char *path = archive_entry_pathname_utf8(entry);
        if (path == NULL)
            path = archive_entry_pathname(entry);
        if (path == NULL)
            path = "";
        char inner_name[1024];
        if (raw) {
            size_t n = strlen(name);
            const char *dot = strrchr(name, '.');
            snprintf(inner_name, sizeof(inner_name), "%.*s",
                     (int)(dot ? (size_t)(dot - name) : n), name);
            path = inner_name;
        }
        /* An office document is a zip, named like one or starting like one
         * (a tar or 7z named .odt is read like any archive). */
        if (first)
            r.office =
                (r.office || strcmp(path, "[Content_Types].xml") == 0 ||
                 strcmp(path, "mimetype") == 0) &&
                (archive_format(r.a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP;
        first = false;
        /* Every header counts, directories and office parts too: millions
         * of empty entries cost time even though they expand to nothing. */
        if (++budget->entries > budget->max_entries) {
            run_problem(&r, id, EXTRACT_LIMIT, "more than %u archive entries",
                        budget->max_entries);
            break;
        }
        if (archive_entry_filetype(entry) != AE_IFREG)
            continue;
        int frc;
        if (r.office && is_office_text_part(path)) {
            frc = run_office_part(&r, path);
        } else if (r.office && is_office_structure(path)) {
            /* Styles, themes, relationships: not text, but read (not skipped:
             * a skip may decompress all the same) so their bytes count. */
            bool truncated;
            frc = run_read_data(&r, path, NULL, NULL, 0, NULL, &truncated);
        } else {
            frc = run_file(&r, entry, path);
        }
        if (frc < 0) {
            rc = -1;
            goto done;
        }
        if (r.stop)
            break;
    }
    if (archive_read_has_encrypted_entries(r.a) > 0)
        cb->problem(cb->ctx, id, EXTRACT_ENCRYPTED, "archive has encrypted entries");
done:
    archive_read_free(r.a);
    free(src);
    return rc;
}

#define EXTRACT_TEXT_SNIFF 8192 /* bytes extract_looks_like_text() looks at */

/* extract_looks_like_text() of a file starting with the N bytes of HEAD (N <= 8 KB). */
static bool looks_like_text(const unsigned char *head, size_t n)
{
    size_t control = 0, bom;

    if (n == 0)
        return false;
    const char *form = charset_unicode_form((const char *)head, n, &bom);
    if (form != NULL && strcmp(form, "UTF-8") != 0)
        return true; /* UTF-16 or UTF-32: NUL bytes are part of its characters */
    for (size_t i = 0; i < n; i++) {
        if (head[i] == 0)
            return false;
        if (head[i] < 0x20 && head[i] != '\n' && head[i] != '\r' && head[i] != '\t' &&
            head[i] != 0x1b /* ISO-2022-JP escapes */)
            control++;
    }
    return control * 100 <= n; /* at most 1 % control bytes */
}

bool extract_looks_like_text(const struct spool *data)
{
    unsigned char head[EXTRACT_TEXT_SNIFF];
    char err[128];
    ssize_t n = spool_read_at(data, 0, head, sizeof(head), err, sizeof(err));

    return n > 0 && looks_like_text(head, (size_t)n);
}

/* Do the N bytes of HEAD start a gzip, bzip2, xz or zstd stream? */
static bool starts_compressed(const unsigned char *head, size_t n)
{
    return (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) ||
           (n >= 3 && memcmp(head, "BZh", 3) == 0) ||
           (n >= 6 && memcmp(head,
                             "\xfd"
                             "7zXZ\0",
                             6) == 0) ||
           (n >= 4 && memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0);
}

static bool is_compressed(const struct spool *data)
{
    unsigned char head[6];
    char err[128];
    ssize_t n = spool_read_at(data, 0, head, sizeof(head), err, sizeof(err));

    return n > 0 && starts_compressed(head, (size_t)n);
}

/*
 * A file of which only the head and the tail are at hand, served to
 * libarchive like extract_source serves a spool (the same reads, of the
 * same sizes); a read anywhere else is refused and noted.
 */
struct extract_sparse {
    const unsigned char *head, *tail;
    size_t head_len, tail_len;
    uint64_t size, offset;
    bool outside; /* libarchive asked for a byte that is not at hand */
};

static la_ssize_t sparse_read(struct archive *a, void *client, const void **buffer)
{
    struct extract_sparse *s = client;
    uint64_t left = s->size - s->offset, tail_at = s->size - s->tail_len;
    size_t n = left < EXTRACT_CHUNK ? (size_t)left : EXTRACT_CHUNK;

    if (n == 0)
        return 0;
    if (s->offset + n <= s->head_len) {
        *buffer = s->head + s->offset;
    } else if (s->offset >= tail_at) {
        *buffer = s->tail + (s->offset - tail_at);
    } else {
        s->outside = true;
        archive_set_error(a, EIO, "not at hand");
        return -1;
    }
    s->offset += n;
    return (la_ssize_t)n;
}

static la_int64_t sparse_seek(struct archive *a, void *client, la_int64_t offset,
                              int whence)
{
    struct extract_sparse *s = client;
    (void)a;
    return range_seek(&s->offset, s->size, offset, whence);
}

static la_int64_t sparse_skip(struct archive *a, void *client, la_int64_t request)
{
    struct extract_sparse *s = client;
    (void)a;
    return range_skip(&s->offset, s->size, request);
}

bool extract_is_compound_file(const struct spool *data)
{
    static const unsigned char cfb[8] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
    unsigned char head[8];
    char err[128];

    return spool_read_at(data, 0, head, sizeof(head), err, sizeof(err)) == 8 &&
           memcmp(head, cfb, sizeof(cfb)) == 0;
}

bool extract_sniff(const void *head, size_t head_len, const void *tail, size_t tail_len,
                   uint64_t size)
{
    struct extract_sparse s = {.head = head,
                               .tail = tail,
                               .head_len = head_len,
                               .tail_len = tail_len,
                               .size = size};
    struct archive *a = archive_read_new();
    bool nothing;

    if (a == NULL || head_len > size || tail_len > size)
        goto fail;
    /* What extract_run() opens with, on the same reads. */
    archive_read_support_filter_all(a);
    extract_support_formats(a);
    archive_read_set_read_callback(a, sparse_read);
    archive_read_set_seek_callback(a, sparse_seek);
    archive_read_set_skip_callback(a, sparse_skip);
    archive_read_set_callback_data(a, &s);
    nothing = archive_read_open1(a) != ARCHIVE_OK &&
              archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE && !s.outside;
    archive_read_free(a);
    /* extract_any()'s second try, and view's text test. */
    return nothing && !starts_compressed(head, head_len) &&
           !looks_like_text(head, head_len < EXTRACT_TEXT_SNIFF ? head_len
                                                                : EXTRACT_TEXT_SNIFF);
fail:
    archive_read_free(a);
    return false;
}

/*
 * An archive, or else a lone compressed file (no archive format, so
 * libarchive's "raw" format reads it as one file) - judged by content,
 * whatever the name says.
 */
static int extract_any(const struct spool *data, const char *name, int id, unsigned depth,
                       struct extract_budget *budget, const struct extract_callbacks *cb,
                       char *err, size_t errlen)
{
    int rc = extract_run(data, name, id, depth, budget, cb, err, errlen, false);

    if (rc == 1 && is_compressed(data))
        rc = extract_run(data, name, id, depth, budget, cb, err, errlen, true);
    return rc;
}

int extract_archive(const struct spool *data, const char *name, int id, unsigned depth,
                    struct extract_budget *budget, const struct extract_callbacks *cb,
                    char *err, size_t errlen)
{
    return extract_any(data, name, id, depth, budget, cb, err, errlen);
}
