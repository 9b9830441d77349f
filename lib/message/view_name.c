/* view_name - see view_name.h. */
#include "view_name.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "view_header.h"

static char *view_name_visible(const char *utf8, size_t len);

/* Adds NAME (g_malloc'ed, taken over) unless it is there already. */
static void names_push(struct view_names *names, char *name, bool reading)
{
    for (size_t i = 0; i < names->n; i++)
        if (strcmp(names->name[i], name) == 0) {
            g_free(name);
            return;
        }
    /* names[0] is always a reading (the first push is one). */
    if (reading && names->n > 0 && g_ascii_strcasecmp(names->name[0], name) != 0)
        names->disagree = true;
    names->name = g_renew(char *, names->name, names->n + 1);
    names->name[names->n++] = name;
}

/*
 * UTF8 (LEN bytes) without its controls (C0, DEL, C1), g_malloc'ed: a
 * control a client drops or does not show (a NUL that ends a C string)
 * must not split a keyword of the name ("社<NUL>外秘.txt").
 */
static char *without_controls(const char *utf8, size_t len)
{
    GString *out = g_string_sized_new(len);

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)utf8[i];
        if (c < 0x20 || c == 0x7f)
            continue;
        if (c == 0xc2 && i + 1 < len && (unsigned char)utf8[i + 1] >= 0x80 &&
            (unsigned char)utf8[i + 1] <= 0x9f) {
            i++;
            continue;
        }
        g_string_append_c(out, (char)c);
    }
    return g_string_free(out, FALSE);
}

void view_names_add(struct view_names *names, const char *utf8, size_t len)
{
    if (len == 0)
        return;
    char *shown = view_name_visible(utf8, len);
    size_t n = strlen(shown), trimmed = n;
    while (trimmed > 0 && (shown[trimmed - 1] == '.' || shown[trimmed - 1] == ' '))
        trimmed--;
    char *windows = trimmed > 0 && trimmed < n ? g_strndup(shown, trimmed) : NULL;
    char *bare = strlen(shown) != len || strcmp(shown, utf8) != 0
                     ? without_controls(utf8, len)
                     : NULL;
    names_push(names, shown, true);
    if (windows != NULL)
        names_push(names, windows, false); /* how Windows opens it */
    if (bare != NULL && *bare != '\0')
        names_push(names, bare, false);
    else
        g_free(bare);
}

void view_names_clear(struct view_names *names)
{
    for (size_t i = 0; i < names->n; i++)
        g_free(names->name[i]);
    g_free(names->name);
    memset(names, 0, sizeof(*names));
}

/* LEN bytes of valid UTF-8 with controls made visible (view_name.h). */
static char *view_name_visible(const char *utf8, size_t len)
{
    GString *out = g_string_sized_new(len + 8);

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)utf8[i];
        if (c < 0x20) { /* U+2400 + c */
            char pic[3] = {'\xe2', '\x90', (char)(0x80 + c)};
            g_string_append_len(out, pic, 3);
        } else if (c == 0x7f) {
            g_string_append(out, "\xe2\x90\xa1"); /* U+2421 SYMBOL FOR DELETE */
        } else if (c == 0xc2 && i + 1 < len && (unsigned char)utf8[i + 1] >= 0x80 &&
                   (unsigned char)utf8[i + 1] <= 0x9f) {
            g_string_append(out, "\xef\xbf\xbd"); /* a C1 control: U+FFFD */
            i++;
        } else {
            g_string_append_c(out, (char)c);
        }
    }
    return g_string_free(out, FALSE);
}

/* Appends the bytes S (LEN) stands for, %XX decoded, to OUT. */
static void percent_decode(GByteArray *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && g_ascii_isxdigit(s[i + 1]) &&
            g_ascii_isxdigit(s[i + 2])) {
            guint8 b = (guint8)(g_ascii_xdigit_value(s[i + 1]) << 4 |
                                g_ascii_xdigit_value(s[i + 2]));
            g_byte_array_append(out, &b, 1);
            i += 2;
        } else {
            g_byte_array_append(out, (const guint8 *)s + i, 1);
        }
    }
}

/*
 * Splits an RFC 2231 "charset'language'text" value: the charset
 * (g_malloc'ed, NULL when none) and where the text starts.
 */
static char *split_charset(const char *value, size_t len, size_t *text_start)
{
    const char *q1 = memchr(value, '\'', len);
    const char *q2 = q1 ? memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - value)) : NULL;

    if (q2 == NULL) {
        *text_start = 0;
        return NULL;
    }
    *text_start = (size_t)(q2 + 1 - value);
    return q1 > value ? g_strndup(value, (size_t)(q1 - value)) : NULL;
}

/* Adds BYTES in CHARSET (NULL: unlabelled) as a name. */
static void add_converted(struct view_names *names, const char *charset,
                          const char *bytes, size_t len)
{
    struct charset_result r;

    if (len == 0)
        return; /* no name (and an empty GByteArray has no data pointer) */
    if (charset_to_utf8(charset, bytes, len, &r) != 0)
        g_error("out of memory"); /* as GLib does everywhere else */
    if (r.flags & CHARSET_RELABELED)
        names->relabeled = true;
    if (memmem(r.text, r.len, "=?", 2) != NULL) {
        /* Encoded-words inside an RFC 2231 value: some senders do that. */
        bool relabeled;
        size_t n;
        char *decoded = view_header_decode_bytes(r.text, r.len, &n, &relabeled);
        names->relabeled |= relabeled;
        view_names_add(names, decoded, n);
        g_free(decoded);
    } else {
        view_names_add(names, r.text, r.len);
    }
    free(r.text);
}

/* A plain value: RFC 2047 encoded-words, raw 8-bit or ASCII. */
static void add_plain(struct view_names *names, const char *value, size_t len)
{
    bool relabeled;
    size_t n;
    char *decoded = view_header_decode_bytes(value, len, &n, &relabeled);

    names->relabeled |= relabeled;
    view_names_add(names, decoded, n);
    g_free(decoded);
}

/* An RFC 2231 extended value: charset'language'%XX... */
static void add_extended(struct view_names *names, const char *value, size_t len)
{
    size_t start;
    char *charset = split_charset(value, len, &start);
    GByteArray *bytes = g_byte_array_new();

    percent_decode(bytes, value + start, len - start);
    add_converted(names, charset, (const char *)bytes->data, bytes->len);
    g_byte_array_free(bytes, TRUE);
    g_free(charset);
}

/* One RFC 2231 continuation: PARAM*INDEX= or PARAM*INDEX*= (encoded). */
struct segment {
    unsigned long index;
    size_t order; /* as it came: the first of two with one index wins */
    bool encoded;
    char *value;
    size_t len;
};

static int segment_compare(const void *a, const void *b)
{
    const struct segment *x = a, *y = b;
    if (x->index != y->index)
        return x->index < y->index ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Adds the name SEGS[0..N) spell, joined in order. */
static void add_joined(struct view_names *names, const struct segment *segs, size_t n)
{
    bool any_encoded = false;
    for (size_t i = 0; i < n; i++)
        any_encoded |= segs[i].encoded;
    if (!any_encoded) {
        GString *joined = g_string_new(NULL);
        for (size_t i = 0; i < n; i++)
            g_string_append_len(joined, segs[i].value, (gssize)segs[i].len);
        add_plain(names, joined->str, joined->len);
        g_string_free(joined, TRUE);
        return;
    }
    char *charset = NULL;
    GByteArray *bytes = g_byte_array_new();
    for (size_t i = 0; i < n; i++) {
        size_t start = 0;
        if (i == 0 && segs[i].index == 0 && segs[i].encoded)
            charset = split_charset(segs[i].value, segs[i].len, &start);
        if (segs[i].encoded)
            percent_decode(bytes, segs[i].value + start, segs[i].len - start);
        else
            g_byte_array_append(bytes, (const guint8 *)segs[i].value, (guint)segs[i].len);
    }
    add_converted(names, charset, (const char *)bytes->data, bytes->len);
    g_byte_array_free(bytes, TRUE);
    g_free(charset);
}

/*
 * Adds the continuations: all of them in index order, and, when an index
 * is missing (a reader following RFC 2231 stops there), the part before
 * the gap as well.  Repeated indexes: the first one counts.
 */
static void add_segments(struct view_names *names, GArray *array)
{
    struct segment *segs = (struct segment *)(void *)array->data;
    size_t n = 0;

    if (array->len == 0)
        return;
    qsort(segs, array->len, sizeof(*segs), segment_compare);
    /* Swapped, not copied, to the front: every value stays in the array
     * once, for the caller to free (a copy freed one twice: fuzz_view). */
    for (size_t i = 0; i < array->len; i++)
        if (n == 0 || segs[i].index != segs[n - 1].index) {
            struct segment keep = segs[i];
            segs[i] = segs[n];
            segs[n++] = keep;
        }
    add_joined(names, segs, n);
    size_t run = 0;
    while (run < n && segs[run].index == run)
        run++;
    if (run > 0 && run < n)
        add_joined(names, segs, run);
}

/* Appends *P to VALUE, unfolding: line ends go, a tab after one is a space. */
static void append_unfolded(GString *value, const char *p)
{
    if (*p == '\r' || *p == '\n')
        return;
    if (*p == '\t' && (p[-1] == '\n' || p[-1] == '\r'))
        g_string_append_c(value, ' '); /* folding, not a control in the name */
    else
        g_string_append_c(value, *p);
}

/*
 * Reads the parameter value at P (after the '='): a quoted string (\
 * escapes) or everything up to the next ';', unfolded.  Returns where
 * reading stopped.
 */
static const char *read_value(const char *p, GString *value)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1] != '\0')
                p++;
            append_unfolded(value, p);
        }
        return *p == '"' ? p + 1 : p;
    }
    for (; *p && *p != ';'; p++)
        append_unfolded(value, p);
    while (value->len > 0 &&
           (value->str[value->len - 1] == ' ' || value->str[value->len - 1] == '\t'))
        g_string_truncate(value, value->len - 1);
    return p;
}

/*
 * What attribute ATTR (LEN bytes) is for PARAM: 0 not PARAM, 1 PARAM,
 * 2 PARAM*, 3 PARAM*N, 4 PARAM*N* (*INDEX set for 3 and 4).
 */
static int attr_kind(const char *attr, size_t len, const char *param,
                     unsigned long *index)
{
    size_t plen = strlen(param);

    if (len < plen || strncasecmp(attr, param, plen) != 0)
        return 0;
    if (len == plen)
        return 1;
    if (attr[plen] != '*')
        return 0;
    if (len == plen + 1)
        return 2;
    size_t i = plen + 1;
    unsigned long n = 0;
    if (!g_ascii_isdigit(attr[i]))
        return 0;
    for (; i < len && g_ascii_isdigit(attr[i]); i++)
        n = n < 100000000 ? n * 10 + (unsigned long)(attr[i] - '0') : n;
    *index = n;
    if (i == len)
        return 3;
    return i + 1 == len && attr[i] == '*' ? 4 : 0;
}

void view_names_add_param(struct view_names *names, const char *raw, const char *param)
{
    GArray *segments = g_array_new(FALSE, FALSE, sizeof(struct segment));
    GPtrArray *plain = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *extended = g_ptr_array_new_with_free_func(g_free);
    const char *p = strchr(raw, ';');

    while (p != NULL && *p != '\0') {
        while (*p == ';' || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        const char *attr = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        const char *attr_end = p;
        while (attr_end > attr && (attr_end[-1] == ' ' || attr_end[-1] == '\t' ||
                                   attr_end[-1] == '\r' || attr_end[-1] == '\n'))
            attr_end--;
        if (*p != '=')
            continue;
        GString *value = g_string_new(NULL);
        p = read_value(p + 1, value);
        unsigned long index = 0;
        int kind = attr_kind(attr, (size_t)(attr_end - attr), param, &index);
        if (kind == 1) {
            g_ptr_array_add(plain, g_string_free(value, FALSE));
        } else if (kind == 2) {
            g_ptr_array_add(extended, g_string_free(value, FALSE));
        } else if (kind == 3 || kind == 4) {
            struct segment s = {.index = index,
                                .order = segments->len,
                                .encoded = kind == 4,
                                .len = value->len};
            s.value = g_string_free(value, FALSE);
            g_array_append_val(segments, s);
        } else {
            g_string_free(value, TRUE);
        }
        p = strchr(p, ';');
    }
    /* The RFC 2231 forms first: where a client knows them, they win. */
    for (guint i = 0; i < extended->len; i++)
        add_extended(names, extended->pdata[i], strlen(extended->pdata[i]));
    add_segments(names, segments);
    for (guint i = 0; i < plain->len; i++)
        add_plain(names, plain->pdata[i], strlen(plain->pdata[i]));

    for (guint i = 0; i < segments->len; i++)
        g_free(g_array_index(segments, struct segment, i).value);
    g_array_free(segments, TRUE);
    g_ptr_array_free(plain, TRUE);
    g_ptr_array_free(extended, TRUE);
}

/* Is there a control made visible (a Control Picture or U+FFFD) in NAME? */
static bool has_visible_control(const char *name)
{
    for (const char *p = name; (p = strchr(p, '\xe2')) != NULL; p++)
        if (p[1] == '\x90' &&
            (((unsigned char)p[2] >= 0x80 && (unsigned char)p[2] <= 0x9f) ||
             (unsigned char)p[2] == 0xa1))
            return true;
    return strstr(name, "\xef\xbf\xbd") != NULL;
}

static bool has_bidi_control(const char *name)
{
    static const char *const bidi[] = {"\xe2\x80\x8e", "\xe2\x80\x8f", /* LRM RLM */
                                       "\xe2\x80\xaa", "\xe2\x80\xab", /* LRE RLE */
                                       "\xe2\x80\xac", "\xe2\x80\xad", /* PDF LRO */
                                       "\xe2\x80\xae", "\xe2\x81\xa6", /* RLO LRI */
                                       "\xe2\x81\xa7", "\xe2\x81\xa8", /* RLI FSI */
                                       "\xe2\x81\xa9"};                /* PDI */
    for (size_t i = 0; i < sizeof(bidi) / sizeof(*bidi); i++)
        if (strstr(name, bidi[i]) != NULL)
            return true;
    return false;
}

/* Is NAME[0..END) "something.EXT" with EXT one Windows runs? */
static bool executable_at(const char *name, size_t end, const char **dot)
{
    static const char *const executable[] = {
        "exe", "scr", "com", "bat", "cmd", "pif", "js",  "jse", "vbs", "vbe", "jar",
        "msi", "lnk", "hta", "ps1", "wsf", "cpl", "iso", "img", "reg", "dll"};
    const char *last = NULL;

    for (size_t i = 0; i < end; i++)
        if (name[i] == '.')
            last = name + i;
    if (last == NULL || last == name)
        return false;
    *dot = last;
    size_t ext_len = end - (size_t)(last + 1 - name);
    for (size_t i = 0; i < sizeof(executable) / sizeof(*executable); i++)
        if (strlen(executable[i]) == ext_len &&
            strncasecmp(last + 1, executable[i], ext_len) == 0)
            return true;
    return false;
}

bool view_name_suspicious(const char *name)
{
    const char *last;

    if (has_visible_control(name) || has_bidi_control(name))
        return true;
    size_t len = strlen(name), end = len;
    while (end > 0 && (name[end - 1] == '.' || name[end - 1] == ' '))
        end--;
    if (!executable_at(name, end, &last))
        return false;
    if (end < len)
        return true; /* "a.exe." opens as "a.exe" */
    /* Another extension before it, perhaps padded with spaces. */
    const char *p = last;
    while (p > name && p[-1] == ' ')
        p--;
    size_t ext_len = 0;
    while (p > name && p[-1] != '.' && p[-1] != ' ' && ext_len <= 5) {
        p--;
        ext_len++;
    }
    return p > name && p[-1] == '.' && ext_len >= 2 && ext_len <= 5;
}

/* Whether NAME, without the dots and spaces Windows drops, ends in one of
 * the N extensions EXTS (case ignored) after at least one character. */
static bool view_name_ends_in(const char *name, const char *const *exts, size_t n_exts)
{
    size_t n = strlen(name);

    while (n > 0 && (name[n - 1] == '.' || name[n - 1] == ' '))
        n--;
    for (size_t i = 0; i < n_exts; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strncasecmp(name + n - e, exts[i], e) == 0)
            return true;
    }
    return false;
}

bool view_name_encrypted(const char *name)
{
    static const char *const exts[] = {".p7m", ".gpg", ".pgp"};
    return view_name_ends_in(name, exts, sizeof(exts) / sizeof(*exts));
}

bool view_name_smime(const char *name)
{
    static const char *const exts[] = {".p7m"};
    return view_name_ends_in(name, exts, 1);
}
