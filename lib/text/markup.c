/* markup - see markup.h. */
#include "markup.h"

#include "buf.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct markup_state {
    struct buf text;
    int skip_depth; /* > 0 inside script or style */
    bool failed;    /* out of memory */
};

static void markup_append(struct markup_state *st, const char *p, size_t n)
{
    if (!st->failed && n > 0 && buf_append(&st->text, p, n) != 0)
        st->failed = true;
}

/* Elements after which a reader sees a line break. */
static bool html_is_block(const char *name)
{
    static const char *const blocks[] = {
        "address", "article", "aside",    "blockquote", "br",     "dd",     "div",
        "dl",      "dt",      "fieldset", "figcaption", "figure", "footer", "form",
        "h1",      "h2",      "h3",       "h4",         "h5",     "h6",     "header",
        "hr",      "li",      "main",     "nav",        "ol",     "p",      "pre",
        "section", "table",   "td",       "th",         "title",  "tr",     "ul"};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++)
        if (strcasecmp(name, blocks[i]) == 0)
            return true;
    return false;
}

static bool html_is_skipped(const char *name)
{
    return strcasecmp(name, "script") == 0 || strcasecmp(name, "style") == 0;
}

static void html_start(void *ctx, const xmlChar *name, const xmlChar **attrs)
{
    struct markup_state *st = ctx;

    if (html_is_skipped((const char *)name)) {
        st->skip_depth++;
        return;
    }
    /* Attribute text a reader sees: image alternatives and tooltips. */
    for (size_t i = 0; attrs != NULL && attrs[i] != NULL; i += 2) {
        const char *attr = (const char *)attrs[i], *value = (const char *)attrs[i + 1];
        if (value != NULL &&
            (strcasecmp(attr, "alt") == 0 || strcasecmp(attr, "title") == 0)) {
            markup_append(st, " ", 1);
            markup_append(st, value, strlen(value));
            markup_append(st, " ", 1);
        }
    }
    if (strcasecmp((const char *)name, "br") == 0)
        markup_append(st, "\n", 1);
}

static void html_end(void *ctx, const xmlChar *name)
{
    struct markup_state *st = ctx;

    if (html_is_skipped((const char *)name)) {
        if (st->skip_depth > 0)
            st->skip_depth--;
        return;
    }
    if (html_is_block((const char *)name) && st->text.len > 0 &&
        st->text.data[st->text.len - 1] != '\n')
        markup_append(st, "\n", 1);
}

static void markup_characters(void *ctx, const xmlChar *ch, int len)
{
    struct markup_state *st = ctx;

    if (st->skip_depth == 0 && len > 0)
        markup_append(st, (const char *)ch, (size_t)len);
}

/* Local names after which an office document has a line break or a tab. */
static const char *xml_separator(const char *name)
{
    static const char *const lines[] = {"p",          "h",     "br",      "cr",
                                        "si",         "row",   "tr",      "li",
                                        "line-break", "title", "subject", "description"};
    static const char *const cells[] = {"tab", "c", "tc", "table-cell", "s"};
    const char *colon = strchr(name, ':');
    const char *local = colon ? colon + 1 : name;

    for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++)
        if (strcmp(local, lines[i]) == 0)
            return "\n";
    for (size_t i = 0; i < sizeof(cells) / sizeof(*cells); i++)
        if (strcmp(local, cells[i]) == 0)
            return "\t";
    return NULL;
}

static void xml_end(void *ctx, const xmlChar *name)
{
    struct markup_state *st = ctx;
    const char *sep = xml_separator((const char *)name);

    if (sep != NULL)
        markup_append(st, sep, 1);
}

/* Hands the collected text to the caller (or reports out of memory). */
static int markup_finish(struct markup_state *st, char **out, size_t *outlen)
{
    if (st->failed || buf_reserve(&st->text, 0) != 0) {
        buf_free(&st->text);
        return -1;
    }
    *out = st->text.data;
    *outlen = st->text.len;
    return 0;
}

void markup_init(void)
{
    xmlInitParser();
}

/*
 * Feeds LEN bytes to a push parser in pieces (the chunk functions take an
 * int length), stopping early once XML is not well-formed, then ends the
 * document and drops the tree libxml2 builds for a DTD even in SAX mode.
 * Returns whether the input was well-formed.
 */
static bool markup_feed(xmlParserCtxtPtr ctxt,
                        int (*chunk)(xmlParserCtxtPtr, const char *, int, int),
                        const char *in, size_t len, bool stop_when_broken)
{
    size_t pos = 0;
    while (pos < len && (!stop_when_broken || ctxt->wellFormed)) {
        size_t n = len - pos > (1u << 20) ? (1u << 20) : len - pos;
        chunk(ctxt, in + pos, (int)n, 0);
        pos += n;
    }
    chunk(ctxt, NULL, 0, 1);
    bool well_formed = ctxt->wellFormed;
    if (ctxt->myDoc != NULL)
        xmlFreeDoc(ctxt->myDoc);
    ctxt->myDoc = NULL;
    return well_formed;
}

int markup_html_text(const char *in, size_t len, char **out, size_t *outlen)
{
    struct markup_state st = {0};
    htmlSAXHandler sax;

    memset(&sax, 0, sizeof(sax));
    sax.startElement = html_start;
    sax.endElement = html_end;
    sax.characters = markup_characters;
    sax.cdataBlock = markup_characters;

    htmlParserCtxtPtr ctxt =
        htmlCreatePushParserCtxt(&sax, &st, NULL, 0, NULL, XML_CHAR_ENCODING_UTF8);
    if (ctxt == NULL)
        return -1;
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                 HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                 HTML_PARSE_IGNORE_ENC);
    (void)markup_feed(ctxt, htmlParseChunk, in, len, false); /* HTML is never "broken" */
    htmlFreeParserCtxt(ctxt);
    return markup_finish(&st, out, outlen);
}

int markup_xml_text(const char *in, size_t len, char **out, size_t *outlen)
{
    struct markup_state st = {0};
    xmlSAXHandler sax;

    memset(&sax, 0, sizeof(sax));
    sax.endElement = xml_end;
    sax.characters = markup_characters;
    sax.cdataBlock = markup_characters;

    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&sax, &st, NULL, 0, NULL);
    if (ctxt == NULL)
        return -1;
    /* No DTDs, no external entities, no network: office XML needs none. */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NOCDATA);
    bool broken = !markup_feed(ctxt, xmlParseChunk, in, len, true);
    xmlFreeParserCtxt(ctxt);
    int rc = markup_finish(&st, out, outlen);
    return rc == 0 && broken ? 1 : rc;
}
