/* view_leaf - see view_internal.h: one leaf part read, under each of its labels. */
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "extract.h"
#include "image.h"
#include "view_decode.h"
#include "view_header.h"
#include "view_internal.h"
#include "view_name.h"
#include "view_probe.h"
#include "view_stream.h"

/*
 * NAME as GMime decoded it, as UTF-8: GMime hands back the raw bytes of an
 * RFC 2231 value without a charset (filename*=%8E%D0) or in one iconv does
 * not know, which are then read like raw 8-bit names.  g_malloc'ed.
 */
static char *view_gmime_name(struct view *v, const char *name)
{
    bool relabeled;

    if (g_utf8_validate(name, -1, NULL))
        return g_strdup(name);
    char *utf8 = view_header_decode(name, strlen(name), &relabeled, NULL);
    if (relabeled)
        v->flags |= VIEW_CHARSET_RELABELED;
    return utf8;
}

/*
 * Every name of a part, as any mail client may read it (view_name.h): the
 * filename of each Content-Disposition header and the name of each
 * Content-Type header, in every form.  GMime's own reading stands in only
 * when ours finds none.  Clear NAMES with view_names_clear().
 */
static void view_part_names(struct view *v, GMimeObject *obj, struct view_names *names)
{
    static const struct {
        const char *header, *param;
    } sources[] = {{"Content-Disposition", "filename"}, {"Content-Type", "name"}};
    GMimeHeaderList *list = g_mime_object_get_header_list(obj);
    int count = g_mime_header_list_get_count(list);

    memset(names, 0, sizeof(*names));
    for (size_t s = 0; s < sizeof(sources) / sizeof(*sources); s++)
        for (int i = 0; i < count; i++) {
            GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
            const char *name = g_mime_header_get_name(h);
            const char *raw = g_mime_header_get_raw_value(h);
            if (name != NULL && raw != NULL && strcasecmp(name, sources[s].header) == 0)
                view_names_add_param(names, raw, sources[s].param);
        }
    if (names->n == 0) {
        GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
        const char *gmime =
            cd ? g_mime_content_disposition_get_parameter(cd, "filename") : NULL;
        if (gmime == NULL || *gmime == '\0')
            gmime = g_mime_object_get_content_type_parameter(obj, "name");
        if (gmime != NULL) {
            char *utf8 = view_gmime_name(v, gmime);
            view_names_add(names, utf8, strlen(utf8));
            g_free(utf8);
        }
    }
    if (names->relabeled)
        v->flags |= VIEW_CHARSET_RELABELED;
}

/* Text-like attachment types whose bytes are read as text. */
static bool view_is_text_type(const char *type)
{
    return strncmp(type, "text/", 5) == 0 || strcmp(type, "application/csv") == 0 ||
           strcmp(type, "application/json") == 0 || strcmp(type, "application/xml") == 0;
}

/* S/MIME types, whose content says whether it is signed or encrypted. */
static bool view_is_smime_type(const char *type)
{
    return strcmp(type, "application/pkcs7-mime") == 0 ||
           strcmp(type, "application/x-pkcs7-mime") == 0;
}

static bool view_name_ends(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n > e && strcasecmp(name + n - e, ext) == 0;
}

static struct extract_callbacks view_extract_callbacks(struct view *v);
static void view_image_metadata(struct view *v, const struct image_walk *w, int index);
static void view_extract(struct view *v, const struct spool *data, const char *name,
                         int index, unsigned depth, bool plain);

/* What a leaf part is, decided once before any of its readings. */
struct view_leaf_info {
    GMimePart *part;
    char type[128];          /* lower-case "type/subtype" */
    const char *charset;     /* the declared one, or NULL */
    struct view_names names; /* every name it carries, decoded */
    const char *name;        /* the first (names.name[0]), or NULL */
    bool body, is_html;
    bool flowed, delsp; /* text/plain; format=flowed (delsp=yes) */
    bool other_text;    /* another Content-Type header of the part says text */
    /* S/MIME by its type (any Content-Type header) or a name: its content is
     * opened (view_walk_smime); SMIME_TYPE is the smime-type, or NULL. */
    bool smime;
    const char *smime_type;
    unsigned depth;
};

/*
 * Decodes INFO's part with ENCODING into a fresh spool: NULL when the view
 * failed (out of memory, a spill file that cannot be written, a read
 * error of the message's own spool: a part read halfway must not count as
 * inspected).
 */
static struct spool *view_decode_part(struct view *v, const struct view_leaf_info *info,
                                      GMimeDataWrapper *content,
                                      GMimeContentEncoding encoding)
{
    struct spool *decoded = spool_new(v->limits.memory_limit, v->limits.temp_dir);
    if (decoded == NULL) {
        view_fail(v, "out of memory");
        return NULL;
    }
    GMimeStream *raw = g_mime_data_wrapper_get_stream(content);
    /* The decoded size is about known: take the memory at once. */
    gint64 encoded = raw ? g_mime_stream_length(raw) : -1;
    char err[256];
    if (encoded > 0 && spool_expect(decoded,
                                    encoding == GMIME_CONTENT_ENCODING_BASE64
                                        ? (uint64_t)encoded / 4 * 3 + 4
                                        : (uint64_t)encoded,
                                    err, sizeof(err)) != 0)
        view_fail(v, err);
    GMimeStream *out = view_stream_new(decoded);
    bool after_pad = false;
    int rc = encoding == GMIME_CONTENT_ENCODING_BASE64
                 ? view_decode(raw, encoding, out, &after_pad)
             : encoding == g_mime_data_wrapper_get_encoding(content)
                 ? (g_mime_data_wrapper_write_to_stream(content, out) < 0 ? -1 : 0)
                 : view_decode(raw, encoding, out, &after_pad);
    if (rc != 0 && v->pass.later_reading && view_stream_error(out) == NULL)
        /* Another reading's part that does not decode: what did is read, the
         * first reading stands, and the message is malformed already. */
        view_note(v, VIEW_MALFORMED, "a %s part of another reading does not decode",
                  info->type);
    else if (rc != 0)
        view_fail(v, view_stream_error(out) ? view_stream_error(out)
                                            : "cannot decode an attachment");
    if (after_pad)
        view_note(v, VIEW_MALFORMED, "a %s part's base64 goes on after its padding",
                  info->type);
    g_object_unref(out);
    if (v->failed) {
        spool_free(decoded);
        return NULL;
    }
    return decoded;
}

/* Reads one decoding (DECODED) of INFO's part: body text, attachment text,
 * S/MIME content, or an attachment to extract. */
static void view_read_part(struct view *v, const struct view_leaf_info *info,
                           struct spool *decoded)
{
    const char *name = info->name;
    size_t len = 0;
    char *bytes = NULL;
    uint64_t decoded_size = spool_size(decoded); /* the spool may be emptied below */
    enum view_field field = info->body ? VIEW_BODY : VIEW_ATTACHMENT_TEXT;
    int index = -1;
    if (!info->body)
        index = view_add_attachment(v, &info->names, info->type, decoded_size, -1,
                                    info->depth);
    /* Whatever else it is read as, what an S/MIME part wraps is read. */
    bool cms = info->smime && !v->failed &&
               view_walk_smime(v, decoded, info->smime_type, info->depth);
    bool as_text = info->body || view_is_text_type(info->type) || info->other_text ||
                   view_name_ends(name ? name : "", ".csv") ||
                   view_name_ends(name ? name : "", ".txt");
    /* An attachment read as text for its type or a name may still be an
     * archive that a client opens by its bytes or another name: looked
     * into first, while its spool is whole. */
    if (as_text && index >= 0 && !v->failed && !cms)
        view_extract(v, decoded, name ? name : "", index, info->depth, false);
    if (as_text && !v->failed) {
        bytes = view_slurp_take(v, decoded, v->limits.max_text, &len);
        if (bytes != NULL && decoded_size > len)
            view_note(v, VIEW_LIMIT_EXCEEDED,
                      "a %s part of %llu bytes was read only up to %zu", info->type,
                      (unsigned long long)decoded_size, len);
    }
    if (bytes != NULL && info->flowed && (info->body || index >= 0)) {
        /* A reader of format=flowed joins soft-broken lines: so does the scan,
         * besides the text as it stands. */
        size_t unflowed_len = 0;
        char *unflowed;
        if (view_unflow(bytes, len, info->delsp, &unflowed, &unflowed_len) < 0)
            view_fail(v, "out of memory");
        else if (unflowed != NULL)
            view_add_owned_bytes(v, field, NULL, index, info->charset, unflowed, unflowed,
                                 unflowed_len, info->is_html);
    }
    if (bytes != NULL && (info->body || index >= 0)) {
        view_add_owned_bytes(v, field, NULL, index, info->charset, bytes, bytes, len,
                             info->is_html);
        bytes = NULL;
    } else if (!as_text && index >= 0 && !v->failed && !cms) {
        view_extract(v, decoded, name ? name : "", index, info->depth, true);
    }
    free(bytes); /* the part was not read as text after all (a failure) */
}

/*
 * The Content-Type headers of OBJ that name another type than TYPE (the
 * one GMime took): their number; *TEXT set when one of them says text,
 * *SMIME when one says S/MIME.  A client may take any of them, so the part
 * is then never skipped and, if one says text, read as text as well, if
 * one says S/MIME, opened as well; if one makes it a multipart or a
 * message, the first reading notes another reading where it rules.  Most
 * parts have one Content-Type header, which is GMime's: not parsed again.
 */
static size_t view_other_types(struct view *v, GMimeObject *obj, const char *type,
                               bool *text, bool *smime)
{
    GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
    int count = headers ? g_mime_header_list_get_count(headers) : 0, ncts = 0;
    size_t n = 0;
    *text = false;
    *smime = false;
    for (int i = 0; i < count && ncts < 2; i++)
        ncts += g_ascii_strcasecmp(
                    g_mime_header_get_name(g_mime_header_list_get_header_at(headers, i)),
                    "Content-Type") == 0;
    if (ncts < 2)
        return 0;
    for (int i = 0; i < count; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
        const char *value = g_mime_header_get_value(h);
        if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Content-Type") != 0 || !value)
            continue;
        GMimeContentType *ct = g_mime_content_type_parse(NULL, value);
        char other[128];
        snprintf(other, sizeof(other), "%s/%s", g_mime_content_type_get_media_type(ct),
                 g_mime_content_type_get_media_subtype(ct));
        for (char *p = other; *p; p++)
            *p = (char)g_ascii_tolower(*p);
        if (strcmp(other, type) != 0) {
            n++;
            *text = *text || view_is_text_type(other);
            *smime = *smime || view_is_smime_type(other);
            if ((strncmp(other, "multipart/", 10) == 0 ||
                 strncmp(other, "message/", 8) == 0) &&
                !v->pass.later_reading && v->pass.readings != NULL)
                view_readings_result(
                    v, view_readings_note_type(v->pass.readings, obj,
                                               g_mime_header_get_offset(h)));
        }
        g_object_unref(ct);
    }
    return n;
}

/*
 * One leaf MIME part: body text, or an attachment.  Its name and type are
 * decided once; then the probe may skip it (a large image, exactly), or it
 * is read under each transfer encoding its headers name - the one GMime
 * chose, and any other a receiving client might.
 */
void view_leaf(struct view *v, GMimePart *part, unsigned depth)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    struct view_leaf_info info = {.part = part, .depth = depth};
    snprintf(info.type, sizeof(info.type), "%s/%s",
             ct && g_mime_content_type_get_media_type(ct)
                 ? g_mime_content_type_get_media_type(ct)
                 : "application",
             ct && g_mime_content_type_get_media_subtype(ct)
                 ? g_mime_content_type_get_media_subtype(ct)
                 : "octet-stream");
    for (char *p = info.type; *p; p++)
        *p = (char)g_ascii_tolower(*p);
    info.charset = g_mime_object_get_content_type_parameter(obj, "charset");
    view_part_names(v, obj, &info.names);
    info.name = info.names.n > 0 ? info.names.name[0] : NULL;
    GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
    info.is_html = strcmp(info.type, "text/html") == 0;
    info.body = info.name == NULL &&
                !(cd && g_mime_content_disposition_is_attachment(cd)) &&
                (strcmp(info.type, "text/plain") == 0 || info.is_html);
    const char *format = g_mime_object_get_content_type_parameter(obj, "format");
    const char *delsp = g_mime_object_get_content_type_parameter(obj, "delsp");
    info.flowed = strcmp(info.type, "text/plain") == 0 && format != NULL &&
                  g_ascii_strcasecmp(format, "flowed") == 0;
    info.delsp = delsp != NULL && g_ascii_strcasecmp(delsp, "yes") == 0;

    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    if (raw != NULL && view_seen(v, raw->bound_start, raw->bound_end)) {
        view_names_clear(&info.names); /* an earlier reading read these very bytes */
        return;
    }
    GMimeContentEncoding encodings[4];
    size_t nencodings = view_decode_encodings(obj, encodings, 4);
    size_t ntypes = view_other_types(v, obj, info.type, &info.other_text, &info.smime);
    info.smime_type = g_mime_object_get_content_type_parameter(obj, "smime-type");
    info.smime = info.smime || view_is_smime_type(info.type);
    for (size_t i = 0; i < info.names.n; i++)
        info.smime = info.smime || view_name_smime(info.names.name[i]);
    if (!info.smime)
        view_note_encrypted_names(v, &info.names);
    if (ntypes > 0)
        view_note(v, VIEW_MALFORMED,
                  "a %s part has %zu other Content-Type headers: read as each", info.type,
                  ntypes);
    uint64_t probed_size;
    struct image_walk *image;
    if (!info.body && content != NULL && nencodings <= 1 && ntypes == 0 &&
        info.names.n <= 1 && depth < v->limits.max_depth &&
        view_probe_skippable(content, info.type, info.name, &probed_size, &image)) {
        int index =
            view_add_attachment(v, &info.names, info.type, probed_size, -1, depth);
        if (index >= 0)
            view_image_metadata(v, image, index);
        image_walk_free(image);
        view_names_clear(&info.names);
        return;
    }
    if (nencodings > 1)
        view_note(v, VIEW_MALFORMED,
                  "a %s part names %zu transfer encodings: read under each", info.type,
                  nencodings);
    GMimeContentEncoding used = content ? g_mime_data_wrapper_get_encoding(content)
                                        : GMIME_CONTENT_ENCODING_DEFAULT;
    for (size_t i = 0; i <= nencodings && !v->failed; i++) {
        /* First the encoding GMime chose, then every other one named. */
        GMimeContentEncoding e = i == 0 ? used : encodings[i - 1];
        if (i > 0 && view_decode_same(e, used))
            continue;
        struct spool *decoded =
            content != NULL ? view_decode_part(v, &info, content, e)
                            : spool_new(v->limits.memory_limit, v->limits.temp_dir);
        if (decoded == NULL) {
            if (!v->failed)
                view_fail(v, "out of memory");
            break;
        }
        view_read_part(v, &info, decoded);
        spool_free(decoded);
    }
    view_names_clear(&info.names);
}

/* extract callbacks: files in archives become attachments of their own. */
static int view_extract_entry(void *ctx, int parent, const char *path, uint64_t size,
                              bool encrypted, unsigned depth)
{
    struct view *v = ctx;
    struct charset_result name;

    /* Entry names may be raw Shift_JIS (Japanese Windows zips) or UTF-8. */
    if (charset_to_utf8(NULL, path, strlen(path), &name) != 0) {
        view_fail(v, "out of memory");
        return -1;
    }
    struct view_names names = {0};
    view_names_add(&names, name.text, name.len);
    free(name.text);
    view_note_encrypted_names(v, &names); /* not opened: its name tells */
    int index =
        view_add_attachment(v, &names, "application/octet-stream", size, parent, depth);
    view_names_clear(&names);
    if (index >= 0)
        v->attachments[index].encrypted = encrypted;
    return v->failed ? -1 : index;
}

static void view_extract_text(void *ctx, int id, enum extract_text_kind kind,
                              const char *bytes, size_t len)
{
    struct view *v = ctx;

    if (kind == EXTRACT_TEXT_UTF8)
        view_add_text(v, VIEW_ATTACHMENT_TEXT, NULL, id, bytes, len);
    else
        view_add_bytes(v, VIEW_ATTACHMENT_TEXT, NULL, id, NULL, bytes, len,
                       kind == EXTRACT_TEXT_HTML);
}

static void view_extract_problem(void *ctx, int id, enum extract_problem what,
                                 const char *why)
{
    struct view *v = ctx;

    if (what == EXTRACT_ENCRYPTED) {
        if (id >= 0 && (size_t)id < v->nattachments)
            v->attachments[id].encrypted = true;
        v->flags |= VIEW_ENCRYPTED_ARCHIVE;
        return;
    }
    if (what == EXTRACT_UNREADABLE) {
        v->flags |= VIEW_UNREADABLE_FORMAT;
        return;
    }
    view_note(v, what == EXTRACT_LIMIT ? VIEW_LIMIT_EXCEEDED : VIEW_MALFORMED, "%s", why);
}

/* The callbacks through which the extract module reports to V. */
static struct extract_callbacks view_extract_callbacks(struct view *v)
{
    return (struct extract_callbacks){
        .ctx = v,
        .entry = view_extract_entry,
        .text = view_extract_text,
        .problem = view_extract_problem,
    };
}

/* The text of the metadata of image INDEX, which the probe walked (its pixels
 * are not read). */
static void view_image_metadata(struct view *v, const struct image_walk *w, int index)
{
    struct extract_callbacks cb = view_extract_callbacks(v);
    char *text, err[256];
    size_t len;

    int rc = extract_image_text(w, index, &v->budget, &cb, &text, &len, err, sizeof(err));
    if (rc != 0) {
        view_fail(v, rc < 0 ? err : "an image's metadata was not all kept");
        return;
    }
    if (text != NULL)
        view_add_owned_bytes(v, VIEW_ATTACHMENT_TEXT, NULL, index, "UTF-8", text, text,
                             len, false);
}

/*
 * An Office document with a password is not a zip but an OLE compound
 * file (it starts with D0 CF 11 E0): flag it, its text cannot be read.
 */
static bool view_is_encrypted_office(const struct spool *data, const char *name)
{
    static const char *const exts[] = {".docx", ".xlsx", ".pptx",
                                       ".docm", ".xlsm", ".pptm"};
    bool office = false;

    for (size_t i = 0; i < sizeof(exts) / sizeof(*exts); i++)
        if (view_name_ends(name, exts[i]))
            office = true;
    return office && extract_is_compound_file(data);
}

/*
 * An attachment that is no archive: its text (text under a name or type
 * that does not say so, or the text runs of a binary file), as
 * extract_file_text() reads it for files in archives too.
 */
static void view_plain_file(struct view *v, const struct spool *data, int index,
                            const struct extract_callbacks *cb)
{
    char *text, err[256];
    size_t len;
    enum extract_text_kind kind;

    if (extract_is_compound_file(data))
        v->flags |= VIEW_UNREADABLE_FORMAT; /* an encrypted one returned before */
    if (extract_file_text(data, index, &v->budget, cb, &text, &len, &kind, err,
                          sizeof(err)) != 0) {
        view_fail(v, err);
        return;
    }
    if (text != NULL)
        view_add_owned_bytes(v, VIEW_ATTACHMENT_TEXT, NULL, index,
                             kind == EXTRACT_TEXT_UTF8 ? "UTF-8" : NULL, text, text, len,
                             false);
}

/* Looks into an attachment that may be an archive or an office document;
 * with PLAIN, reads it as a plain file (view_plain_file) when it is neither. */
static void view_extract(struct view *v, const struct spool *data, const char *name,
                         int index, unsigned depth, bool plain)
{
    struct extract_callbacks cb = view_extract_callbacks(v);
    char err[256];

    if (spool_size(data) == 0)
        return;
    if (view_is_encrypted_office(data, name)) {
        v->attachments[index].encrypted = true;
        v->flags |= VIEW_ENCRYPTED_ARCHIVE;
        return;
    }
    if (depth >= v->limits.max_depth) {
        /* Not looked into.  Read as text already (not PLAIN), it is a cut only
         * when it is no text at all. */
        if (plain || !extract_looks_like_text(data))
            view_note(v, VIEW_LIMIT_EXCEEDED, "attachments nested deeper than %u",
                      v->limits.max_depth);
        return;
    }
    int rc = extract_archive(data, name, index, depth, &v->budget, &cb, err, sizeof(err));
    if (rc < 0) {
        view_fail(v, err);
    } else if (rc == 1 && plain) {
        view_plain_file(v, data, index, &cb);
    }
}
