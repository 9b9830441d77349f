/* view_walk - see view_internal.h: the MIME structure, each of its readings, walked;
 * S/MIME signed and compressed content too. */
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "view_header.h"
#include "view_internal.h"
#include "view_readings.h"
#include "view_smime.h"
#include "view_stream.h"

/* Collects the mailbox addresses of an address header (groups included). */
static void view_collect_addresses(struct view *v, InternetAddressList *list, bool from)
{
    int n = list ? internet_address_list_length(list) : 0;

    for (int i = 0; i < n && !v->failed; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            view_collect_addresses(
                v, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), from);
            continue;
        }
        const char *addr =
            internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        if (addr == NULL || *addr == '\0')
            continue;
        if (from) {
            if (v->header_from == NULL && (v->header_from = strdup(addr)) == NULL)
                view_fail(v, "out of memory");
            continue;
        }
        char **grown = realloc(v->header_rcpts, (v->nheader_rcpts + 1) * sizeof(*grown));
        if (grown == NULL || (grown[v->nheader_rcpts] = strdup(addr)) == NULL) {
            if (grown != NULL)
                v->header_rcpts = grown;
            view_fail(v, "out of memory");
            return;
        }
        v->header_rcpts = grown;
        v->nheader_rcpts++;
    }
}

/* The headers of a message (the top one or a forwarded one). */
static void view_add_headers(struct view *v, GMimeObject *obj, bool top)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(obj);
    int count = g_mime_header_list_get_count(list);

    for (int i = 0; i < count && !v->failed; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
        const char *name = g_mime_header_get_name(h);
        const char *raw = g_mime_header_get_raw_value(h);
        bool relabeled;

        if (name == NULL || raw == NULL)
            continue;
        bool had_nul;
        char *value = view_header_decode(raw, strlen(raw), &relabeled, &had_nul);
        if (had_nul) /* dropped: it would cut the text short, or split a keyword */
            view_note(v, VIEW_MALFORMED, "a %s header decodes to a NUL byte", name);
        g_strstrip(value);
        if (relabeled)
            v->flags |= VIEW_CHARSET_RELABELED;
        view_add_text(v, VIEW_HEADER, name, -1, value, strlen(value));
        if (top && (strcasecmp(name, "From") == 0 || strcasecmp(name, "To") == 0 ||
                    strcasecmp(name, "Cc") == 0 || strcasecmp(name, "Bcc") == 0)) {
            InternetAddressList *addrs = internet_address_list_parse(NULL, value);
            view_collect_addresses(v, addrs, strcasecmp(name, "From") == 0);
            if (addrs != NULL)
                g_object_unref(addrs);
        }
        if (strcasecmp(name, "Subject") == 0) {
            view_add_text(v, VIEW_SUBJECT, NULL, -1, value, strlen(value));
            if (top && v->subject == NULL) {
                v->subject = strdup(value);
                if (v->subject == NULL)
                    view_fail(v, "out of memory");
            }
        }
        g_free(value);
    }
}

/* Where OBJ's first header starts in the message, or -1. */
static gint64 view_header_offset(GMimeObject *obj)
{
    GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
    return headers && g_mime_header_list_get_count(headers) > 0
               ? g_mime_header_get_offset(g_mime_header_list_get_header_at(headers, 0))
               : -1;
}

static void view_walk(struct view *v, GMimeObject *obj, unsigned depth);

/* A forwarded message: read as mail, one level deeper. */
static void view_forwarded(struct view *v, GMimeMessagePart *mp, unsigned depth)
{
    GMimeMessage *inner = g_mime_message_part_get_message(mp);

    if (depth + 1 > v->limits.max_depth) {
        view_note(v, VIEW_LIMIT_EXCEEDED, "forwarded messages nested deeper than %u",
                  v->limits.max_depth);
        return;
    }
    if (inner == NULL) {
        view_note(v, VIEW_MALFORMED, "a forwarded message could not be parsed");
        return;
    }
    if (!view_seen(v, view_header_offset(GMIME_OBJECT(inner)), -1))
        view_add_headers(v, GMIME_OBJECT(inner), false);
    GMimeObject *body = g_mime_message_get_mime_part(inner);
    if (body != NULL)
        view_walk(v, body, depth + 1);
}

/*
 * Content no one but its recipient can read - PGP/MIME (any
 * multipart/encrypted) -, fragments of a message/partial, which only make
 * sense joined, and a message/external-body, whose content is fetched from
 * elsewhere: flagged so that a rule can act on them.  Their parts are still
 * read as far as they go.  An S/MIME part is judged by its content
 * (view_walk_smime), not its label.
 */
static void view_note_kind(struct view *v, GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);

    if (ct == NULL)
        return;
    if (g_mime_content_type_is_type(ct, "message", "partial"))
        v->flags |= VIEW_PARTIAL_MESSAGE;
    else if (g_mime_content_type_is_type(ct, "message", "external-body"))
        v->flags |= VIEW_EXTERNAL_BODY;
    else if (g_mime_content_type_is_type(ct, "multipart", "encrypted") ||
             g_mime_content_type_is_type(ct, "application", "pgp-encrypted"))
        v->flags |= VIEW_ENCRYPTED_MESSAGE;
}

/* Inline OpenPGP: an armored encrypted message in a text cannot be read. */
static void view_note_armor(struct view *v)
{
    static const char armor[] = "-----BEGIN PGP MESSAGE-----";

    for (size_t i = 0; i < v->ntexts; i++) {
        const struct view_text *t = &v->texts[i];
        if ((t->field & (VIEW_BODY | VIEW_ATTACHMENT_TEXT)) &&
            memmem(t->text, t->len, armor, sizeof(armor) - 1) != NULL) {
            v->flags |= VIEW_ENCRYPTED_MESSAGE;
            return;
        }
    }
}

void view_readings_result(struct view *v, enum view_readings_result result)
{
    if (result == VIEW_READINGS_DROPPED)
        view_note(v, VIEW_LIMIT_EXCEEDED,
                  "a reading of the MIME structure was left out (more than %d, or a "
                  "header or boundary too long)",
                  VIEW_READINGS_MAX + 1);
    else if (result == VIEW_READINGS_ERROR)
        view_fail(v, "out of memory, or the message could not be read, while "
                     "looking for other readings");
}

static void view_walk(struct view *v, GMimeObject *obj, unsigned depth)
{
    if (v->failed)
        return;
    view_note_kind(v, obj);
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int count = g_mime_multipart_get_count(mp);
        if (!v->pass.later_reading && v->pass.readings != NULL)
            view_readings_result(
                v, view_readings_note_multipart(v->pass.readings, obj, v->options));
        for (int i = 0; i < count; i++)
            view_walk(v, g_mime_multipart_get_part(mp, i), depth);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        view_forwarded(v, GMIME_MESSAGE_PART(obj), depth);
    } else if (GMIME_IS_PART(obj)) {
        view_leaf(v, GMIME_PART(obj), depth);
    }
}

/* GMime's parser warnings: the serious ones make the message "malformed". */
static void view_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
                                gpointer user_data)
{
    struct view *v = user_data;
    (void)item;

    switch (code) {
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_HEADER:
    case GMIME_CRIT_CONFLICTING_PARAMETER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        view_note(v, VIEW_MALFORMED, "MIME parser: problem %d at byte %lld", (int)code,
                  (long long)offset);
        break;
    default:
        break;
    }
}

/* Broken MIME must not hide text: scan the raw message (or S/MIME content) as well. */
static void view_add_raw(struct view *v, const struct spool *message)
{
    size_t len;
    char *raw = view_slurp(v, message, v->limits.max_text, &len);

    if (raw == NULL)
        return;
    if (spool_size(message) > len)
        view_note(v, VIEW_LIMIT_EXCEEDED,
                  "raw text of a malformed message read up to %zu bytes", len);
    view_add_owned_bytes(v, VIEW_BODY, NULL, -1, NULL, raw, raw, len, false);
}

/*
 * Parses STREAM with V's options and walks it at DEPTH: as a message or,
 * with !MESSAGE, as one MIME entity (S/MIME content).  The first reading
 * adds the headers too: the message's, or the entity's (where protected
 * headers such as a Subject may hide).  false when it is not MIME at all.
 */
static bool view_read(struct view *v, GMimeStream *stream, bool message, bool first,
                      unsigned depth)
{
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeObject *obj =
        message ? GMIME_OBJECT(g_mime_parser_construct_message(parser, v->options))
                : g_mime_parser_construct_part(parser, v->options);
    if (obj != NULL) {
        if (first)
            view_add_headers(v, obj, message);
        GMimeObject *body =
            message ? g_mime_message_get_mime_part(GMIME_MESSAGE(obj)) : obj;
        if (body != NULL)
            view_walk(v, body, depth);
        g_object_unref(obj);
    }
    g_object_unref(parser);
    return obj != NULL;
}

/*
 * A reading of the message's own spool (STREAM) that failed - a spill file
 * that cannot be read - leaves parts unread that GMime took for empty or
 * cut: the view fails, so that the message never counts as inspected.
 */
static void view_check_read(struct view *v, GMimeStream *stream)
{
    const char *error = view_stream_error(stream);
    if (error != NULL)
        view_fail(v, error);
}

/*
 * The other readings of an ambiguous MIME structure (view_readings.h),
 * walked after the first one over STREAM, the message's own.  Well-formed
 * mail has none, and pays one pass over a multipart message's lines, to
 * find those that start with "--" and a boundary.
 */
static void view_other_readings(struct view *v, GMimeStream *stream, bool message,
                                unsigned depth)
{
    struct view_readings *readings = v->pass.readings;

    view_readings_result(v, view_readings_scan_prefixes(readings));
    size_t n = view_readings_count(readings);
    if (n > 0)
        view_note(v, VIEW_MALFORMED,
                  "an ambiguous MIME structure, read %zu more ways (%s)", n,
                  view_readings_what(readings, 0));
    v->pass.later_reading = true;
    for (size_t i = 0; i < n && !v->failed; i++) {
        GMimeStream *reading = view_readings_stream(readings, i, stream);
        if (reading == NULL) {
            view_fail(v, "out of memory");
            break;
        }
        view_read(v, reading, message, false, depth);
        g_object_unref(reading);
        view_check_read(v, stream);
    }
}

/*
 * Walks every reading of SP - the message, or (!MESSAGE) S/MIME content at
 * DEPTH - in V's current pass; when that made it malformed, its raw text
 * is scanned too.
 */
static void view_walk_spool(struct view *v, const struct spool *sp, bool message,
                            unsigned depth)
{
    unsigned malformed = v->nmalformed;

    v->pass.readings = view_readings_new(sp);
    if (v->pass.readings == NULL)
        view_fail(v, "out of memory");
    /* The stream only reads the spool; the cast is for GMime's API. */
    GMimeStream *stream = view_stream_new((struct spool *)sp);
    if (!v->failed && !view_read(v, stream, message, true, depth))
        view_note(v, VIEW_MALFORMED,
                  message ? "not a MIME message"
                          : "the content of an S/MIME part is not MIME");
    view_check_read(v, stream);
    if (!v->failed)
        view_other_readings(v, stream, message, depth);
    g_object_unref(stream);
    view_readings_free(v->pass.readings);
    v->pass.readings = NULL;
    if (!v->failed && v->nmalformed != malformed)
        view_add_raw(v, sp);
}

void view_walk_message(struct view *v, const struct spool *message)
{
    v->options = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(v->options,
                                                      GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(v->options,
                                                        GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_warning_callback(v->options, view_parser_warning, v);
    view_walk_spool(v, message, true, 0);
    g_mime_parser_options_free(v->options);
    v->options = NULL;
    view_note_armor(v);
}

/* The MIME entity ENTITY (S/MIME content) walked at DEPTH, in a pass of its own. */
static void view_walk_entity(struct view *v, const struct spool *entity, unsigned depth)
{
    struct view_pass outer = v->pass;

    v->pass = (struct view_pass){0};
    view_walk_spool(v, entity, false, depth);
    if (v->pass.seen != NULL)
        g_hash_table_destroy(v->pass.seen);
    v->pass = outer;
}

/* Whether SMIME_TYPE (a part's smime-type, or NULL) says: not encrypted. */
static bool view_smime_type_clear(const char *smime_type)
{
    return smime_type != NULL && (g_ascii_strcasecmp(smime_type, "signed-data") == 0 ||
                                  g_ascii_strcasecmp(smime_type, "certs-only") == 0 ||
                                  g_ascii_strcasecmp(smime_type, "compressed-data") == 0);
}

bool view_walk_smime(struct view *v, const struct spool *der, const char *smime_type,
                     unsigned depth)
{
    size_t len;
    char *bytes = view_slurp(v, der, SIZE_MAX, &len);
    if (bytes == NULL)
        return true; /* the view failed */
    /* Past the depth limit the content is not taken out, only told apart. */
    bool deep = depth + 1 > v->limits.max_depth;
    struct spool *out =
        deep ? NULL : spool_new(v->limits.memory_limit, v->limits.temp_dir);
    if (!deep && out == NULL) {
        free(bytes);
        view_fail(v, "out of memory");
        return true;
    }
    /* Inflating counts against the archives' budget, ratio and all. */
    struct extract_budget *b = &v->budget;
    uint64_t cap = b->expanded < b->max_expanded ? b->max_expanded - b->expanded : 0;
    uint64_t ratio_cap =
        (uint64_t)b->max_ratio * (len > 0 ? len : 1) + EXTRACT_RATIO_FLOOR;
    if (ratio_cap < cap)
        cap = ratio_cap;
    struct view_smime_content what = {0};
    char err[256];
    enum view_smime_status status =
        view_smime_open(bytes, len, out, cap, &what, err, sizeof(err));
    free(bytes);
    if (out != NULL && what.compressed)
        b->expanded += spool_size(out);

    switch (status) {
    case VIEW_SMIME_ERROR:
        view_fail(v, err);
        break;
    case VIEW_SMIME_ENCRYPTED:
        v->flags |= VIEW_ENCRYPTED_MESSAGE;
        break;
    case VIEW_SMIME_EMPTY:
        break;
    case VIEW_SMIME_NOT_CMS:
        if (view_smime_type_clear(smime_type))
            view_note(v, VIEW_MALFORMED, "an S/MIME %s part holds no CMS structure",
                      smime_type);
        else
            v->flags |= VIEW_ENCRYPTED_MESSAGE; /* unreadable: it may well be encrypted */
        break;
    case VIEW_SMIME_CUT:
        view_note(v, VIEW_LIMIT_EXCEEDED,
                  "S/MIME compressed content inflated only up to %llu bytes",
                  (unsigned long long)cap);
        break;
    case VIEW_SMIME_BROKEN:
        view_note(v, VIEW_MALFORMED, "S/MIME compressed content does not inflate");
        break;
    case VIEW_SMIME_CONTENT:
        if (deep)
            view_note(v, VIEW_LIMIT_EXCEEDED, "S/MIME content nested deeper than %u",
                      v->limits.max_depth);
        break;
    }
    /* What came out is read, even when it was cut or broken off. */
    if (out != NULL && spool_size(out) > 0 && !v->failed) {
        if (what.nested != NULL)
            view_walk_smime(v, out, what.nested, depth + 1);
        else
            view_walk_entity(v, out, depth + 1);
    }
    spool_free(out);
    return status != VIEW_SMIME_NOT_CMS;
}
