/* charset - see charset.h. */
#include "charset.h"

#include "ascii.h"
#include "buf.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* How a label is handled. */
enum charset_kind {
    KIND_ASCII,       /* us-ascii or no label */
    KIND_SINGLE_BYTE, /* every byte is a character: a wrong label still "works" */
    KIND_UTF8,
    KIND_ISO2022JP,
    KIND_OTHER, /* any other charset iconv knows */
};

static const char *const single_byte_prefixes[] = {"iso-8859-",   "iso8859-", "latin",
                                                   "windows-125", "cp125",    "koi8-"};

static enum charset_kind charset_classify(const char *label)
{
    if (label == NULL || *label == '\0' || strcasecmp(label, "us-ascii") == 0 ||
        strcasecmp(label, "ascii") == 0 || strcasecmp(label, "ansi_x3.4-1968") == 0)
        return KIND_ASCII;
    if (strcasecmp(label, "utf-8") == 0 || strcasecmp(label, "utf8") == 0)
        return KIND_UTF8;
    if (strncasecmp(label, "iso-2022-jp", 11) == 0 ||
        strcasecmp(label, "csiso2022jp") == 0)
        return KIND_ISO2022JP;
    for (size_t i = 0; i < sizeof(single_byte_prefixes) / sizeof(*single_byte_prefixes);
         i++)
        if (strncasecmp(label, single_byte_prefixes[i],
                        strlen(single_byte_prefixes[i])) == 0)
            return KIND_SINGLE_BYTE;
    return KIND_OTHER;
}

/* The iconv name to use for LABEL: Japanese labels map to their supersets. */
static const char *charset_iconv_name(const char *label)
{
    static const char *const cp932[] = {
        "shift_jis",  "shift-jis",   "sjis",  "x-sjis", "ms_kanji",
        "csshiftjis", "windows-31j", "cp932", "ms932",  "x-ms-cp932"};
    static const char *const eucjp[] = {"euc-jp", "x-euc-jp", "eucjp",
                                        "cseucpkdfmtjapanese"};

    for (size_t i = 0; i < sizeof(cp932) / sizeof(*cp932); i++)
        if (strcasecmp(label, cp932[i]) == 0)
            return "CP932";
    for (size_t i = 0; i < sizeof(eucjp) / sizeof(*eucjp); i++)
        if (strcasecmp(label, eucjp[i]) == 0)
            return "EUC-JP-MS";
    return label;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* True when every byte is 7-bit. */
static bool is_7bit(const char *in, size_t len)
{
    return ascii_span(in, len) == len;
}

/* True when the bytes are valid UTF-8 (utf8proc's check, which refuses overlongs). */
static bool is_valid_utf8(const char *in, size_t len)
{
    size_t i = 0;

    while (i < len) {
        i += ascii_span(in + i, len - i);
        if (i == len)
            break;
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)in + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return false;
        i += (size_t)n;
    }
    return true;
}

/*
 * glibc's iconv does not always produce valid UTF-8: from "UTF-8" it
 * passes F6 9A A4 96 (past U+10FFFF) through unchanged.  Replaces every
 * invalid sequence in OUT after byte START with U+FFFD, counted in *BAD,
 * so that the result is valid UTF-8 whatever iconv did.  0, or -1 when
 * out of memory.
 */
static int repair_utf8(struct buf *out, size_t start, size_t *bad)
{
    struct buf fixed = {0};
    size_t i = start;

    if (is_valid_utf8(out->data + start, out->len - start))
        return 0;
    if (buf_append(&fixed, out->data, start) != 0)
        return -1;
    while (i < out->len) {
        size_t n = ascii_span(out->data + i, out->len - i);
        if (n == 0) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t m = utf8proc_iterate((const utf8proc_uint8_t *)out->data + i,
                                                  (utf8proc_ssize_t)(out->len - i), &cp);
            n = m > 0 ? (size_t)m : 0;
        }
        if ((n > 0 ? buf_append(&fixed, out->data + i, n)
                   : buf_append(&fixed, replacement, 3)) != 0)
            goto nomem;
        if (n == 0) {
            (*bad)++;
            n = 1;
        }
        i += n;
    }
    free(out->data);
    *out = fixed;
    return 0;
nomem:
    free(fixed.data);
    return -1;
}

/*
 * glibc unloads a gconv module (CP932.so...) when its last descriptor is
 * closed and loads it again (dlopen) at the next iconv_open(): reading
 * many short texts in turn - the text runs of a binary file, tried as
 * CP932, EUC-JP-MS and windows-1252 each - then spends ten times longer
 * loading than converting.  One descriptor of each, opened once and never
 * closed, keeps them loaded.
 */
static const char *const pinned_modules[] = {"CP932", "EUC-JP-MS", "CP1252"};
static iconv_t pinned[sizeof(pinned_modules) / sizeof(*pinned_modules)];
static pthread_once_t pinned_once = PTHREAD_ONCE_INIT;

static bool pinned_open; /* charset_pin() ran */

static void charset_pin(void)
{
    for (size_t i = 0; i < sizeof(pinned) / sizeof(*pinned); i++)
        pinned[i] = iconv_open("UTF-8", pinned_modules[i]);
    pinned_open = true;
}

void charset_shutdown(void)
{
    for (size_t i = 0; pinned_open && i < sizeof(pinned) / sizeof(*pinned); i++)
        if (pinned[i] != (iconv_t)-1)
            iconv_close(pinned[i]);
    pinned_open = false;
}

/*
 * Bytes a run of text cut from a binary file may have clinging to its ends
 * (charset_run_to_utf8()), in all.  Random binary breaks a run on about
 * one byte in nine (NUL and most C0 controls), so what clings to a text is
 * rarely more than a few dozen bytes.
 */
#define RUN_ENDS 128

static int convert_iconv_counted(const char *from, const char *in, size_t len,
                                 struct buf *out, size_t *bad, size_t *clean);

/*
 * Converts with iconv from FROM.  Unreadable bytes become U+FFFD and count
 * in *BAD.  Returns 0, -1 when out of memory, -2 when iconv does not know
 * FROM.
 */
static int convert_iconv(const char *from, const char *in, size_t len, struct buf *out,
                         size_t *bad)
{
    return convert_iconv_counted(from, in, len, out, bad, NULL);
}

/* convert_iconv(), and *CLEAN (NULL: not wanted): the longest stretch of IN
 * with no byte unread. */
static int convert_iconv_counted(const char *from, const char *in, size_t len,
                                 struct buf *out, size_t *bad, size_t *clean)
{
    pthread_once(&pinned_once, charset_pin);
    iconv_t cd = iconv_open("UTF-8", from);
    char *inp = (char *)in;
    size_t inleft = len, start = out->len;
    size_t stretch_start = 0, longest = 0; /* for *CLEAN */

    *bad = 0;
    if (cd == (iconv_t)-1)
        return -2;
    while (inleft > 0) {
        if (buf_reserve(out, inleft * 4 + 16) != 0)
            goto nomem;
        char *outp = out->data + out->len;
        size_t outleft = out->cap - out->len - 1;
        size_t rc = iconv(cd, &inp, &inleft, &outp, &outleft);
        out->len = (size_t)(outp - out->data);
        if (rc != (size_t)-1)
            break;
        if (errno == E2BIG)
            continue;
        /* EILSEQ or EINVAL (truncated at the end): skip one byte. */
        (*bad)++;
        size_t at = (size_t)(inp - in);
        if (at - stretch_start > longest)
            longest = at - stretch_start;
        stretch_start = at + 1;
        if (buf_append(out, replacement, 3) != 0)
            goto nomem;
        inp++;
        inleft--;
        iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial shift state */
    }
    /* Flush a stateful decoder. */
    if (buf_reserve(out, 16) != 0)
        goto nomem;
    char *outp = out->data + out->len;
    size_t outleft = out->cap - out->len - 1;
    iconv(cd, NULL, NULL, &outp, &outleft);
    out->len = (size_t)(outp - out->data);
    out->data[out->len] = '\0';
    iconv_close(cd);
    if (clean != NULL)
        *clean = len - stretch_start > longest ? len - stretch_start : longest;
    return repair_utf8(out, start, bad);
nomem:
    iconv_close(cd);
    return -1;
}

/* Does the text use ISO-2022-JP's designations (ESC $ B, ESC $ @, ESC ( I)? */
static bool has_iso2022jp_escapes(const char *in, size_t len)
{
    const char *end = in + len;
    for (const char *p = in; (p = memchr(p, 0x1b, (size_t)(end - p))) != NULL; p++)
        if (end - p >= 3 && ((p[1] == '$' && (p[2] == 'B' || p[2] == '@')) ||
                             (p[1] == '(' && p[2] == 'I')))
            return true;
    return false;
}

/* Appends the CP932 bytes of JIS X 0208 row/cell bytes (0x21-0x7e each). */
static int jis_to_cp932(struct buf *b, unsigned char j1, unsigned char j2)
{
    unsigned row = j1 - 0x20u, cell = j2 - 0x20u; /* 1..94 each */
    unsigned char s[2];

    s[0] = (unsigned char)(row <= 62 ? (row + 1) / 2 + 0x80 : (row + 1) / 2 + 0xc0);
    if (row % 2 == 1)
        s[1] = (unsigned char)(cell + (cell <= 63 ? 0x3f : 0x40));
    else
        s[1] = (unsigned char)(cell + 0x9e);
    return buf_append(b, s, 2);
}

/*
 * Re-expresses 7-bit ISO-2022-JP as CP932 bytes, so that iconv's CP932
 * table reads NEC row 13 (①, ㈱) and the NEC-selected IBM extensions (rows
 * 89-92) the way CP50220 does.  JIS X 0212 characters, which CP932 lacks,
 * become '?' - XXX rare in practice.  Returns 0, -1 when out of memory, 1
 * when the input is not 7-bit ISO-2022-JP.
 */
static int iso2022jp_to_cp932(const char *in, size_t len, struct buf *out)
{
    enum { ROMAN, KANJI, KATAKANA, JIS0212 } mode = ROMAN;
    bool shifted_out = false; /* SO/SI katakana, as some old encoders do */

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c & 0x80)
            return 1;
        if (c == 0x1b && i + 2 < len) {
            const char *e = in + i + 1;
            if (e[0] == '$' && (e[1] == 'B' || e[1] == '@')) {
                mode = KANJI;
                i += 2;
                continue;
            }
            if (e[0] == '(' && (e[1] == 'B' || e[1] == 'J')) {
                mode = ROMAN;
                i += 2;
                continue;
            }
            if (e[0] == '(' && e[1] == 'I') {
                mode = KATAKANA;
                i += 2;
                continue;
            }
            if (e[0] == '$' && e[1] == '(' && i + 3 < len && e[2] == 'D') {
                mode = JIS0212;
                i += 3;
                continue;
            }
        }
        if (c == 0x0e || c == 0x0f) {
            shifted_out = c == 0x0e;
            continue;
        }
        if (c == '\r' || c == '\n') {
            /* A line end resets to ASCII in every encoder we know; keep it. */
            if (buf_append(out, &c, 1) != 0)
                return -1;
            continue;
        }
        if ((mode == KATAKANA || shifted_out) && c >= 0x21 && c <= 0x5f) {
            unsigned char k = (unsigned char)(c + 0x80);
            if (buf_append(out, &k, 1) != 0)
                return -1;
            continue;
        }
        if ((mode == KANJI || mode == JIS0212) && c >= 0x21 && c <= 0x7e && i + 1 < len &&
            (unsigned char)in[i + 1] >= 0x21 && (unsigned char)in[i + 1] <= 0x7e) {
            int rc = mode == KANJI ? jis_to_cp932(out, c, (unsigned char)in[i + 1])
                                   : buf_append(out, "?", 1);
            if (rc != 0)
                return -1;
            i++;
            continue;
        }
        if (buf_append(out, &c, 1) != 0)
            return -1;
    }
    return 0;
}

/* Share of Japanese characters (kana, kanji, full-width forms) in UTF-8 TEXT. */
static double japanese_share(const char *text, size_t len)
{
    size_t japanese = 0, nonascii = 0, i = 0;

    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            break;
        i += (size_t)n;
        if (cp < 0x80)
            continue;
        nonascii++;
        if ((cp >= 0x3000 && cp <= 0x30ff) || (cp >= 0x4e00 && cp <= 0x9fff) ||
            (cp >= 0xff00 && cp <= 0xffef) || (cp >= 0x2460 && cp <= 0x24ff) ||
            (cp >= 0x3200 && cp <= 0x33ff))
            japanese++;
    }
    return nonascii ? (double)japanese / (double)nonascii : 0.0;
}

/* Makes the result from B, which it takes over. */
static void result_take(struct charset_result *out, struct buf *b, unsigned flags,
                        const char *used)
{
    out->text = b->data;
    out->len = b->len;
    out->flags = flags;
    out->used = used;
    b->data = NULL;
    b->len = b->cap = 0;
}

/* How near a reading that left bytes unread came (charset_run_to_utf8()). */
struct near {
    size_t bad;      /* bytes unread */
    size_t clean;    /* the longest stretch of the input with no byte unread */
    size_t eight;    /* UTF-8's: the 8-bit bytes in all */
    bool wide;       /* it read some character past ASCII */
    bool clean_wide; /* UTF-8's: so did that stretch (else: as WIDE) */
};

static bool has_wide_char(const char *text, size_t len);

/*
 * Tries UTF-8, then CP932, then EUC-JP-MS; a candidate must read every
 * byte.  With REQUIRE_JAPANESE (the label was a single-byte charset, which
 * reads anything) a Japanese candidate must also look Japanese.  Returns 1
 * with OUT filled when one fits, 0 when none does, -1 when out of memory.
 * NEAR (NULL: not wanted) gets how near CP932 and EUC-JP-MS came when they
 * left bytes unread (zeroed by the caller: left so when not tried).
 */
static int try_fallbacks(const char *in, size_t len, bool require_japanese,
                         struct charset_result *out, struct near near[2])
{
    static const char *const candidates[] = {"CP932", "EUC-JP-MS"};
    struct buf b = {0};
    size_t bad, clean;

    if (is_valid_utf8(in, len)) {
        if (buf_append(&b, in, len) != 0)
            return -1;
        result_take(out, &b, CHARSET_RELABELED, "UTF-8");
        return 1;
    }
    for (size_t i = 0; i < sizeof(candidates) / sizeof(*candidates); i++) {
        b.len = 0;
        int rc = convert_iconv_counted(candidates[i], in, len, &b, &bad, &clean);
        if (rc == -1) {
            free(b.data);
            return -1;
        }
        if (near != NULL && rc == 0 && bad > 0) {
            near[i].bad = bad;
            near[i].clean = clean;
            near[i].wide = near[i].clean_wide = has_wide_char(b.data, b.len);
        }
        if (rc == 0 && bad == 0 &&
            (!require_japanese || japanese_share(b.data, b.len) >= 0.6)) {
            result_take(out, &b, CHARSET_RELABELED, candidates[i]);
            return 1;
        }
    }
    free(b.data);
    return 0;
}

/* Makes IN (LEN bytes) the result as it is: OWNED when the caller gave it, else a copy.
 */
static int result_as_is(struct charset_result *out, const char *in, size_t len,
                        char **owned, unsigned flags, const char *used)
{
    struct buf b = {0};
    if (*owned != NULL) {
        b.data = *owned;
        b.len = len;
        b.cap = len + 1; /* the caller's NUL */
        *owned = NULL;
    } else if (buf_append(&b, in, len) != 0) {
        return -1;
    }
    result_take(out, &b, flags, used);
    return 0;
}

/* Does LABEL name a Unicode encoding form that iconv reads by its own byte order rules?
 */
static bool charset_names_unicode(const char *label)
{
    static const char *const prefixes[] = {"utf-16", "utf16", "utf-32", "utf32",
                                           "ucs-2",  "ucs2",  "ucs-4",  "ucs4"};
    for (size_t i = 0; label != NULL && i < sizeof(prefixes) / sizeof(*prefixes); i++)
        if (strncasecmp(label, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

const char *charset_unicode_form(const char *in, size_t len, size_t *bom_len)
{
    static const struct {
        const char *bom;
        size_t len;
        const char *form;
    } boms[] = {/* UTF-32LE first: its mark starts like UTF-16LE's. */
                {"\xff\xfe\0\0", 4, "UTF-32LE"},
                {"\0\0\xfe\xff", 4, "UTF-32BE"},
                {"\xff\xfe", 2, "UTF-16LE"},
                {"\xfe\xff", 2, "UTF-16BE"},
                {"\xef\xbb\xbf", 3, "UTF-8"}};
    *bom_len = 0;
    for (size_t i = 0; i < sizeof(boms) / sizeof(*boms); i++)
        if (len >= boms[i].len && memcmp(in, boms[i].bom, boms[i].len) == 0) {
            *bom_len = boms[i].len;
            return boms[i].form;
        }
    /* No mark: UTF-16 of mostly ASCII text has a NUL in every other byte,
     * and (nearly) none in the others. */
    size_t n = (len < 4096 ? len : 4096) & ~(size_t)1;
    if (n < 8 || memchr(in, 0, n) == NULL)
        return NULL;
    size_t nul[2] = {0, 0}, units = n / 2;
    for (size_t i = 0; i < n; i++)
        if (in[i] == 0)
            nul[i & 1]++;
    for (int p = 0; p < 2; p++)
        if (nul[p] * 2 >= units && nul[!p] * 16 <= nul[p])
            return p == 1 ? "UTF-16LE" : "UTF-16BE";
    return NULL;
}

/*
 * Reads IN as the Unicode encoding form its bytes announce, when they do
 * and the label (of kind KIND) does not say so itself.  Returns 0 with OUT
 * filled, 1 when the bytes announce nothing that reads, -1 when out of
 * memory.
 */
static int convert_unicode(const char *label, enum charset_kind kind, const char *in,
                           size_t len, struct charset_result *out)
{
    size_t bom, bad;
    const char *form =
        charset_names_unicode(label) ? NULL : charset_unicode_form(in, len, &bom);
    struct buf b = {0};

    if (form == NULL || (strcmp(form, "UTF-8") == 0 && kind == KIND_UTF8))
        return 1; /* nothing announced, or what the label says */
    if (strcmp(form, "UTF-8") == 0) {
        if (!is_valid_utf8(in + bom, len - bom))
            return 1;
        if (buf_append(&b, in + bom, len - bom) != 0)
            return -1;
        result_take(out, &b, CHARSET_RELABELED, form);
        return 0;
    }
    int rc = convert_iconv(form, in + bom, len - bom, &b, &bad);
    if (rc == -1) {
        free(b.data);
        return -1;
    }
    /* Without a mark, UTF-16 must read nearly cleanly (a cut may end mid-character). */
    if (rc != 0 || (bom == 0 && bad * 32 > len / 2)) {
        free(b.data);
        return 1;
    }
    result_take(out, &b, CHARSET_RELABELED | (bad ? CHARSET_REPLACED : 0), form);
    return 0;
}

/* Does valid UTF-8 TEXT hold a character past ASCII other than U+FFFD? */
static bool has_wide_char(const char *text, size_t len)
{
    size_t i = 0;

    while (i < len) {
        i += ascii_span(text + i, len - i);
        if (i == len)
            return false;
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return false;
        if (cp != 0xfffd)
            return true;
        i += (size_t)n;
    }
    return false;
}

/* The UTF-8 reading of the LEN bytes of IN, as struct near sees it. */
static void utf8_near(const char *in, size_t len, struct near *near)
{
    size_t i = 0, stretch_start = 0;
    bool stretch_wide = false;

    memset(near, 0, sizeof(*near));
    for (;;) {
        i += ascii_span(in + i, len - i);
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = i == len
                                 ? 0
                                 : utf8proc_iterate((const utf8proc_uint8_t *)in + i,
                                                    (utf8proc_ssize_t)(len - i), &cp);
        if (n > 0) {
            near->wide = stretch_wide = true;
            near->eight += (size_t)n;
            i += (size_t)n;
            continue;
        }
        /* An unread byte, or the end: a stretch ends. */
        if (i - stretch_start > near->clean) {
            near->clean = i - stretch_start;
            near->clean_wide = stretch_wide;
        }
        if (i == len)
            return;
        near->bad++;
        near->eight++;
        stretch_start = ++i;
        stretch_wide = false;
    }
}

/*
 * Did a reading of LEN bytes that left some unread (NEAR) miss only stray
 * bytes of a binary file clinging to a run of text (charset_run_to_utf8())?
 * Either it read all but at most RUN_ENDS of them and a quarter at most,
 * in one stretch that holds a character past ASCII (the text; else
 * windows-1252 keeps as much), or it left at most one 8-bit byte in 8 of
 * EIGHT unread and read some such character.  CP932 and EUC-JP-MS (not
 * UTF-8) read most short runs of any bytes, windows-1252 text too,
 * so their stretch must be a line long at least (64 bytes).  Random bytes
 * leave more unread, in more places (and are noise whichever way they are
 * read).  XXX: 7-bit ISO-2022-JP with 8-bit bytes clinging to it is not
 * read as ISO-2022-JP.
 */
static bool near_enough(const struct near *near, size_t len, size_t eight, bool utf8)
{
    size_t ends = len / 4 < RUN_ENDS ? len / 4 : RUN_ENDS;
    return near->bad > 0 && ((near->clean_wide && near->clean + ends >= len &&
                              (utf8 || near->clean >= 64)) ||
                             (near->wide && near->bad <= eight / 8));
}

/* Reads IN as FROM (a near reading: unread bytes U+FFFD) into OUT.  1, or -1 when out of
 * memory. */
static int read_near(const char *in, size_t len, const char *from,
                     struct charset_result *out)
{
    struct buf b = {0};
    size_t bad;

    if (convert_iconv(from, in, len, &b, &bad) != 0) {
        free(b.data);
        return -1; /* UTF-8, CP932, EUC-JP-MS: iconv knows them, only memory fails */
    }
    result_take(out, &b, CHARSET_RELABELED | (bad ? CHARSET_REPLACED : 0), from);
    return 1;
}

/*
 * Converts IN from the charset LABEL names (or the bytes show) to UTF-8.
 * Long because it holds every decision about a lying label in one place
 * (after a Unicode mark or NUL pattern, which outranks any label but UTF-16/32):
 * ASCII and valid UTF-8 kept as they are, ISO-2022-JP read as CP50220,
 * Shift_JIS/EUC-JP as their Microsoft supersets, and a label the bytes
 * contradict replaced (flagged) - split, the order of those tests would
 * hide in several functions.
 */
static int convert(const char *label, const char *in, size_t len, char **owned,
                   bool nearest, struct charset_result *out)
{
    enum charset_kind kind = charset_classify(label);
    struct buf b = {0};
    size_t bad = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = convert_unicode(label, kind, in, len, out);
    if (rc != 1)
        return rc;
    if (kind != KIND_ISO2022JP && is_7bit(in, len) && has_iso2022jp_escapes(in, len))
        kind = KIND_ISO2022JP; /* 7-bit Japanese under a wrong label */

    switch (kind) {
    case KIND_ASCII:
        if (is_7bit(in, len))
            return result_as_is(out, in, len, owned, 0, "US-ASCII");
        break; /* 8-bit bytes under an ASCII label: find what they are */
    case KIND_UTF8:
        if (is_valid_utf8(in, len))
            return result_as_is(out, in, len, owned, 0, "UTF-8");
        break;
    case KIND_ISO2022JP: {
        struct buf sjis = {0};
        rc = iso2022jp_to_cp932(in, len, &sjis);
        if (rc == -1) {
            free(sjis.data);
            return -1;
        }
        if (rc == 0) {
            rc = convert_iconv("CP932", sjis.data ? sjis.data : "", sjis.len, &b, &bad);
            free(sjis.data);
            if (rc == -1)
                goto nomem;
            unsigned flags =
                (bad ? CHARSET_REPLACED : 0) |
                (charset_classify(label) != KIND_ISO2022JP ? CHARSET_RELABELED : 0);
            result_take(out, &b, flags, "ISO-2022-JP (CP50220)");
            return 0;
        }
        free(sjis.data);
        break; /* 8-bit bytes: not ISO-2022-JP at all */
    }
    case KIND_SINGLE_BYTE:
        if (is_7bit(in, len))
            return result_as_is(out, in, len, owned, 0, "US-ASCII");
        rc = try_fallbacks(in, len, true, out, NULL);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
        rc = convert_iconv(label, in, len, &b, &bad);
        if (rc == -1)
            goto nomem;
        if (rc == 0) {
            result_take(out, &b, bad ? CHARSET_REPLACED : 0, "declared charset");
            return 0;
        }
        break;
    case KIND_OTHER:
        rc = convert_iconv(charset_iconv_name(label), in, len, &b, &bad);
        if (rc == -1)
            goto nomem;
        if (rc == 0 && bad == 0) {
            result_take(out, &b, 0, "declared charset");
            return 0;
        }
        b.len = 0;
        break;
    }

    /* The label did not fit the bytes (or is unknown): find what does.
     * Without a label worth believing (none, or us-ascii), text that is
     * UTF-8, CP932 or EUC-JP-MS but for a few stray bytes - from a careless
     * tool, or put there to turn the rest into windows-1252 mojibake that no
     * keyword matches - is read as that charset, the stray bytes as U+FFFD.
     * A run cut from a binary file (NEAREST) that is UTF-8 but for stray
     * bytes is read so first: valid UTF-8 sequences hardly happen by chance,
     * while CP932 reads many short runs of any bytes cleanly.  Other text
     * tries the clean readings first, as they cost less. */
    struct near near[3] = {{0}}; /* UTF-8, CP932, EUC-JP-MS */
    bool want_near = kind == KIND_ASCII;
    if (nearest && want_near) {
        utf8_near(in, len, &near[0]);
        if (near_enough(&near[0], len, near[0].eight, true)) {
            free(b.data);
            return read_near(in, len, "UTF-8", out) < 0 ? -1 : 0;
        }
    }
    rc = try_fallbacks(in, len, false, out, want_near ? near + 1 : NULL);
    if (rc == 0 && want_near && !nearest) {
        utf8_near(in, len, &near[0]);
        if (near_enough(&near[0], len, near[0].eight, true))
            rc = read_near(in, len, "UTF-8", out);
    }
    for (int i = 1; rc == 0 && want_near && i < 3; i++)
        if (near_enough(&near[i], len, near[0].eight, false))
            rc = read_near(in, len, i == 1 ? "CP932" : "EUC-JP-MS", out);
    if (rc != 0) {
        free(b.data);
        return rc < 0 ? -1 : 0;
    }
    /*
     * Nothing reads every byte.  Text labelled UTF-8 keeps its valid
     * characters; a known label is read as declared; anything else is read
     * as windows-1252, which has a character for nearly every byte.
     */
    const char *last = kind == KIND_UTF8    ? "UTF-8"
                       : kind == KIND_OTHER ? charset_iconv_name(label)
                                            : "CP1252";
    bool as_declared = kind == KIND_OTHER;
    b.len = 0;
    rc = convert_iconv(last, in, len, &b, &bad);
    if (rc == -2) {
        last = "CP1252";
        as_declared = false;
        rc = convert_iconv(last, in, len, &b, &bad);
    }
    if (rc != 0)
        goto nomem;
    unsigned flags = bad ? CHARSET_REPLACED : 0;
    if (kind != KIND_UTF8 && !as_declared)
        flags |= CHARSET_RELABELED;
    result_take(out, &b, flags, as_declared ? "declared charset" : last);
    return 0;
nomem:
    free(b.data);
    return -1;
}

int charset_to_utf8(const char *label, const char *in, size_t len,
                    struct charset_result *out)
{
    char *none = NULL;
    return convert(label, in, len, &none, false, out);
}

int charset_to_utf8_owned(const char *label, char *in, size_t len,
                          struct charset_result *out)
{
    char *owned = in;
    int rc = convert(label, in, len, &owned, false, out);
    free(owned); /* NULL when it became the result */
    return rc;
}

int charset_run_to_utf8(const char *in, size_t len, struct charset_result *out)
{
    char *none = NULL;
    return convert(NULL, in, len, &none, true, out);
}

int charset_from_utf8(const char *to, const char *in, size_t len, char **out,
                      size_t *outlen)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    struct buf b = {0};
    char *inp = (char *)in;
    size_t inleft = len;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    if (cd == (iconv_t)-1)
        return -1;
    for (;;) {
        if (buf_reserve(&b, inleft * 4 + 16) != 0) {
            rc = -1;
            break;
        }
        char *outp = b.data + b.len;
        size_t outleft = b.cap - b.len - 1;
        size_t r = iconv(cd, &inp, &inleft, &outp, &outleft);
        b.len = (size_t)(outp - b.data);
        if (r != (size_t)-1)
            break;
        if (errno != E2BIG) {
            rc = 1; /* no form in TO (EILSEQ), or no UTF-8 */
            break;
        }
    }
    iconv_close(cd);
    if (rc != 0) {
        buf_free(&b);
        return rc;
    }
    b.data[b.len] = '\0';
    *out = b.data;
    *outlen = b.len;
    return 0;
}
