/*
 * charset - bytes in a declared charset to valid UTF-8, without letting a
 * wrong label hide text.
 *
 * Conversion is iconv's (glibc).  What this module adds is distrust:
 *  - ISO-2022-JP is read as Microsoft's CP50220 (NEC and IBM extension
 *    characters such as ①, ㈱, Ⅲ, as Outlook sends them), which glibc lacks:
 *    the 7-bit stream is re-expressed as CP932 and converted from that.
 *  - Shift_JIS and EUC-JP are read as their Microsoft supersets (CP932,
 *    EUC-JP-MS), which read everything plain Shift_JIS/EUC-JP reads.
 *  - A label that does not fit the bytes is not believed: 8-bit bytes
 *    labelled us-ascii, a single-byte charset (ISO-8859-x, windows-125x)
 *    whose bytes are really UTF-8 or Japanese, UTF-8 that is not valid
 *    UTF-8, ISO-2022-JP escapes under another label, or an unknown label.
 *    Then UTF-8, CP932 and EUC-JP-MS are tried, and the first that reads the
 *    bytes cleanly (and, for a single-byte label, looks like Japanese) wins.
 *  - Bytes that announce a Unicode encoding form are read as it, whatever
 *    the label says (unless it names UTF-16 or UTF-32 itself): a byte order
 *    mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE: Excel's "Unicode Text",
 *    Notepad's "Unicode"), or UTF-16 without one whose NUL bytes sit at
 *    every other position (mostly ASCII text).
 *  - Bytes nothing can read become U+FFFD; the result is always valid UTF-8.
 *
 * Pure functions, thread-safe (iconv's modules for CP932, EUC-JP-MS and
 * windows-1252 stay loaded once used).  The result is malloc'ed; the
 * caller frees it.
 */
#ifndef SENDWATCH_CHARSET_H
#define SENDWATCH_CHARSET_H

#include <stddef.h>

/* What the conversion had to do, for the view's record. */
enum {
    CHARSET_RELABELED = 1u << 0, /* the label did not fit; another charset was used */
    CHARSET_REPLACED = 1u << 1,  /* some bytes could not be read: U+FFFD */
};

struct charset_result {
    char *text;       /* valid UTF-8, NUL-terminated; owned by the caller */
    size_t len;       /* bytes in text, without the NUL */
    unsigned flags;   /* CHARSET_* */
    const char *used; /* the charset actually used (static string) */
};

/*
 * The Unicode encoding form LEN bytes of IN announce ("UTF-8", "UTF-16LE",
 * "UTF-16BE", "UTF-32LE", "UTF-32BE"), with *BOM_LEN set to the length of
 * their byte order mark (0 for UTF-16 recognised by its NUL bytes), or
 * NULL.  Looks at the first 4 KB at most.
 */
const char *charset_unicode_form(const char *in, size_t len, size_t *bom_len);

/*
 * Converts LEN bytes of IN, labelled LABEL (NULL or "" for none: us-ascii,
 * distrusted like any other), to UTF-8.  Returns 0, or -1 when out of memory.
 */
int charset_to_utf8(const char *label, const char *in, size_t len,
                    struct charset_result *out);

/*
 * The same, taking over IN (malloc'ed, NUL-terminated at LEN): text that
 * is already what it says (ASCII, valid UTF-8) becomes the result without
 * a copy.  IN is freed otherwise, and on errors.
 */
int charset_to_utf8_owned(const char *label, char *in, size_t len,
                          struct charset_result *out);

/*
 * Like charset_to_utf8() with no label, for bytes cut out of their context
 * - a text run of a binary file (extract_file_text()), where stray bytes
 * of the binary around it may cling to its ends.  A run that is UTF-8 but
 * for such bytes (few, or only near its ends) is read as UTF-8 first; when
 * no charset reads every byte, CP932 or EUC-JP-MS is used if it comes as
 * near; the stray bytes become U+FFFD.  Otherwise the reading is
 * charset_to_utf8()'s: windows-1252 for all, which would garble the text
 * and hide its words.
 */
int charset_run_to_utf8(const char *in, size_t len, struct charset_result *out);

/*
 * Converts LEN bytes of IN, valid UTF-8, to charset TO (an iconv name,
 * "CP932" say) exactly: *OUT (malloc'ed, NUL-terminated, *OUTLEN bytes).
 * Returns 0; 1 when a character of IN has no form in TO or IN is no UTF-8
 * (nothing is given then); -1 when out of memory or iconv does not know TO.
 */
int charset_from_utf8(const char *to, const char *in, size_t len, char **out,
                      size_t *outlen);

/*
 * Closes what the conversions keep open (iconv modules stay loaded between
 * conversions, see charset.c).  Once, at exit, after the last conversion
 * in any thread; none may follow.
 */
void charset_shutdown(void);

#endif
