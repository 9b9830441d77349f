/* view_header - see view_header.h. */
#include "view_header.h"

#include <gmime/gmime.h>
#include <string.h>
#include <strings.h>

#include "charset.h"

/* Appends the UTF-8 reading of BYTES in CHARSET (NULL: unlabelled) to OUT. */
static void append_converted(GString *out, const char *charset, const char *bytes,
                             size_t len, bool *relabeled)
{
    struct charset_result r;

    if (len == 0)
        return;
    if (charset_to_utf8(charset, bytes, len, &r) != 0)
        g_error("out of memory"); /* as GLib does everywhere else */
    if (r.flags & CHARSET_RELABELED)
        *relabeled = true;
    g_string_append_len(out, r.text, (gssize)r.len);
    free(r.text);
}

/* One parsed encoded-word: =?charset?B|Q?text?= */
struct encoded_word {
    const char *charset; /* not NUL-terminated */
    size_t charset_len;
    char encoding; /* 'B' or 'Q' */
    const char *text;
    size_t text_len;
    size_t total; /* bytes the word spans */
};

/* Parses an encoded-word at P (LEN bytes left).  False if there is none. */
static bool parse_word(const char *p, size_t len, struct encoded_word *w)
{
    if (len < 8 || p[0] != '=' || p[1] != '?')
        return false;
    size_t i = 2;
    while (i < len && p[i] != '?' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
           p[i] != '\n')
        i++;
    if (i >= len || p[i] != '?' || i == 2 || i + 3 >= len || p[i + 2] != '?')
        return false;
    w->charset = p + 2;
    w->charset_len = i - 2;
    /* RFC 2231 adds "*language" to the charset: drop it. */
    const char *star = memchr(w->charset, '*', w->charset_len);
    if (star != NULL)
        w->charset_len = (size_t)(star - w->charset);
    char enc = p[i + 1];
    if (enc == 'b' || enc == 'B')
        w->encoding = 'B';
    else if (enc == 'q' || enc == 'Q')
        w->encoding = 'Q';
    else
        return false;
    size_t start = i + 3, j = start;
    while (j + 1 < len && !(p[j] == '?' && p[j + 1] == '=')) {
        if (p[j] == ' ' || p[j] == '\t' || p[j] == '\r' || p[j] == '\n')
            return false;
        j++;
    }
    if (j + 1 >= len)
        return false;
    w->text = p + start;
    w->text_len = j - start;
    w->total = j + 2;
    return true;
}

/* Appends the bytes W encodes to RUN. */
static void decode_word(const struct encoded_word *w, GByteArray *run)
{
    size_t old = run->len;
    int state = 0;
    guint32 save = 0;

    if (w->encoding == 'B') {
        g_byte_array_set_size(run, (guint)(old + w->text_len * 3 / 4 + 3));
        size_t n = g_mime_encoding_base64_decode_step(
            (const unsigned char *)w->text, w->text_len, run->data + old, &state, &save);
        g_byte_array_set_size(run, (guint)(old + n));
        return;
    }
    /* Q: quoted-printable where "_" stands for a space; give GMime "=20". */
    GString *qp = g_string_sized_new(w->text_len + 16);
    for (size_t i = 0; i < w->text_len; i++) {
        if (w->text[i] == '_')
            g_string_append(qp, "=20");
        else
            g_string_append_c(qp, w->text[i]);
    }
    g_byte_array_set_size(run, (guint)(old + qp->len + 3));
    size_t n = g_mime_encoding_quoted_decode_step((const unsigned char *)qp->str, qp->len,
                                                  run->data + old, &state, &save);
    g_byte_array_set_size(run, (guint)(old + n));
    g_string_free(qp, TRUE);
}

char *view_header_decode(const char *raw, size_t len, bool *relabeled, bool *had_nul)
{
    size_t out_len, o = 0;
    char *text = view_header_decode_bytes(raw, len, &out_len, relabeled);
    /* A NUL (=00 in an encoded-word) would end the value for a caller that
     * takes a C string and hide what follows it: dropped here, as invisible
     * characters are (view_header_decode_bytes keeps it, for those that
     * show it). */
    for (size_t i = 0; i < out_len; i++)
        if (text[i] != '\0')
            text[o++] = text[i];
    text[o] = '\0';
    if (had_nul != NULL)
        *had_nul = o != out_len;
    return text;
}

char *view_header_decode_bytes(const char *raw, size_t len, size_t *out_len,
                               bool *relabeled)
{
    GString *out = g_string_sized_new(len + 16);
    GByteArray *run = g_byte_array_new();
    char run_charset[64] = "";
    bool prev_word = false;
    size_t i = 0, literal_start = 0;

    *relabeled = false;
    /* Unfold: drop CR and LF; the white space after them stays. */
    GString *flat = g_string_sized_new(len);
    for (size_t k = 0; k < len; k++)
        if (raw[k] != '\r' && raw[k] != '\n')
            g_string_append_c(flat, raw[k]);
    const char *s = flat->str;
    size_t n = flat->len;

    while (i < n) {
        struct encoded_word w;
        if (!(s[i] == '=' && parse_word(s + i, n - i, &w))) {
            i++;
            continue;
        }
        /* Literal text before this word: white space between two words goes. */
        size_t lit_len = i - literal_start;
        bool only_space = true;
        for (size_t k = literal_start; k < i; k++)
            if (s[k] != ' ' && s[k] != '\t')
                only_space = false;
        bool same_charset = prev_word && only_space &&
                            w.charset_len < sizeof(run_charset) &&
                            strlen(run_charset) == w.charset_len &&
                            strncasecmp(run_charset, w.charset, w.charset_len) == 0;
        if (!same_charset) {
            append_converted(out, run_charset, (const char *)run->data, run->len,
                             relabeled);
            g_byte_array_set_size(run, 0);
            if (!(prev_word && only_space))
                append_converted(out, NULL, s + literal_start, lit_len, relabeled);
            size_t cl = w.charset_len < sizeof(run_charset) ? w.charset_len
                                                            : sizeof(run_charset) - 1;
            memcpy(run_charset, w.charset, cl);
            run_charset[cl] = '\0';
        }
        decode_word(&w, run);
        prev_word = true;
        i += w.total;
        literal_start = i;
    }
    append_converted(out, run_charset, (const char *)run->data, run->len, relabeled);
    append_converted(out, NULL, s + literal_start, n - literal_start, relabeled);
    g_byte_array_free(run, TRUE);
    g_string_free(flat, TRUE);
    *out_len = out->len;
    return g_string_free(out, FALSE);
}
