/* pdf - see pdf.h. */
#include "pdf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

/* What a token is (ISO 32000-1 7.2, 7.3). */
enum pdf_token_type {
    TOK_EOF,
    TOK_INT,
    TOK_REAL,
    TOK_NAME,
    TOK_STRING, /* ( ) */
    TOK_HEX,    /* < > */
    TOK_DICT_OPEN,
    TOK_DICT_CLOSE,
    TOK_ARRAY_OPEN,
    TOK_ARRAY_CLOSE,
    TOK_KEYWORD, /* any other run of regular characters: obj, R, true, stream... */
    TOK_BAD,     /* bytes that are no token: ')', '{', an unterminated string */
};

struct pdf_token {
    enum pdf_token_type type;
    size_t start, end; /* END: just past it */
    uint64_t value;    /* TOK_INT: its magnitude */
    bool sign;         /* TOK_INT: written with + or - */
    bool overflow;     /* TOK_INT: past 64 bits */
};

/* An object "N G obj <integer> endobj" at AT: what an indirect /Length names. */
struct pdf_length_def {
    uint64_t num;
    unsigned gen;
    size_t at;
    uint64_t value;
};

enum pdf_length_kind { LENGTH_NONE, LENGTH_DIRECT, LENGTH_REF };

/* What the walk needs of an object's outer dictionary. */
struct pdf_dict_keys {
    bool is_dict; /* the object is a dictionary, at DICT_START..DICT_END */
    size_t dict_start, dict_end;
    enum pdf_length_kind length_kind;
    uint64_t length; /* LENGTH_DIRECT: the value; LENGTH_REF: the object number */
    unsigned length_gen;
    size_t filter_count;
    char filters[PDF_MAX_FILTERS][PDF_MAX_NAME + 1];
    bool encrypt;                   /* an /Encrypt key */
    char subtype[PDF_MAX_NAME + 1]; /* /Subtype's name, decoded; "" for none */
    char type[PDF_MAX_NAME + 1];    /* /Type's name, decoded; "" for none */
    bool predictor;                 /* /DecodeParms names a /Predictor */
};

struct pdf_walker {
    const unsigned char *p;
    size_t n;
    const struct pdf_callbacks *cb;
    void *ctx;
    char *err;
    size_t errlen;
    enum pdf_walk_result result; /* PDF_EXACT until something fails */
    size_t last_eof;    /* where the last "%%EOF" comment starts; SIZE_MAX: none */
    size_t syntax_from; /* the first byte of syntax not yet called back */
    bool indexed;       /* DEFS holds the file's integer objects */
    struct pdf_length_def *defs;
    size_t ndefs;
};

static bool pdf_space(unsigned char c)
{
    return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool pdf_delimiter(unsigned char c)
{
    switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '[':
    case ']':
    case '{':
    case '}':
    case '/':
    case '%':
        return true;
    default:
        return false;
    }
}

static bool pdf_regular(unsigned char c)
{
    return !pdf_space(c) && !pdf_delimiter(c);
}

static bool pdf_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int pdf_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Marks the walk not exact at byte AT (the first failure is kept); returns false. */
static bool walk_fail(struct pdf_walker *w, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool walk_fail(struct pdf_walker *w, size_t at, const char *fmt, ...)
{
    char why[160];
    va_list ap;

    if (w->result != PDF_EXACT)
        return false;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    w->result = PDF_NOT_EXACT;
    errbuf_set(w->err, w->errlen, "offset %zu: %s", at, why);
    return false;
}

/* Marks the walk failed (PDF_ERROR) with WHY; returns false. */
static bool walk_error(struct pdf_walker *w, const char *why)
{
    if (w->result == PDF_EXACT) {
        w->result = PDF_ERROR;
        errbuf_set(w->err, w->errlen, "%s", why);
    }
    return false;
}

/* The first byte from I on that is neither whitespace nor in a comment;
 * notes where a "%%EOF" comment starts. */
static size_t skip_space(struct pdf_walker *w, size_t i)
{
    const unsigned char *p = w->p;

    while (i < w->n) {
        if (pdf_space(p[i])) {
            i++;
            continue;
        }
        if (p[i] != '%')
            break;
        if (w->n - i >= 5 && memcmp(p + i, "%%EOF", 5) == 0 &&
            (w->last_eof == SIZE_MAX || i > w->last_eof))
            w->last_eof = i;
        while (i < w->n && p[i] != '\r' && p[i] != '\n')
            i++;
    }
    return i;
}

/* Sorts a run of regular characters (LEN bytes at S) into a number or a keyword. */
static void classify_regular(struct pdf_token *t, const unsigned char *s, size_t len)
{
    size_t k = 0;
    bool digits = false, dot = false;

    t->type = TOK_KEYWORD;
    if (s[0] == '+' || s[0] == '-') {
        t->sign = true;
        k = 1;
    }
    for (; k < len; k++) {
        if (pdf_digit(s[k])) {
            digits = true;
            if (dot)
                continue;
            if (t->value > (UINT64_MAX - 9) / 10)
                t->overflow = true;
            else
                t->value = t->value * 10 + (uint64_t)(s[k] - '0');
        } else if (s[k] == '.' && !dot) {
            dot = true;
        } else {
            return;
        }
    }
    if (digits)
        t->type = dot ? TOK_REAL : TOK_INT;
}

/* The token after whitespace and comments from I. */
static struct pdf_token next_token(struct pdf_walker *w, size_t i)
{
    const unsigned char *p = w->p;
    size_t n = w->n, j;
    struct pdf_token t = {.type = TOK_BAD};

    i = skip_space(w, i);
    t.start = t.end = i;
    if (i >= n) {
        t.type = TOK_EOF;
        return t;
    }
    switch (p[i]) {
    case '[':
    case ']':
        t.type = p[i] == '[' ? TOK_ARRAY_OPEN : TOK_ARRAY_CLOSE;
        t.end = i + 1;
        return t;
    case '<':
        if (i + 1 < n && p[i + 1] == '<') {
            t.type = TOK_DICT_OPEN;
            t.end = i + 2;
            return t;
        }
        for (j = i + 1; j < n && (pdf_hex_value(p[j]) >= 0 || pdf_space(p[j])); j++)
            ;
        if (j < n && p[j] == '>') {
            t.type = TOK_HEX;
            j++;
        }
        t.end = j;
        return t;
    case '>':
        if (i + 1 < n && p[i + 1] == '>') {
            t.type = TOK_DICT_CLOSE;
            t.end = i + 2;
        }
        return t;
    case '(': {
        size_t depth = 1; /* a count, not recursion: nesting is free */
        for (j = i + 1; j < n; j++) {
            if (p[j] == '\\')
                j++; /* the escaped byte, whatever it is */
            else if (p[j] == '(')
                depth++;
            else if (p[j] == ')' && --depth == 0)
                break;
        }
        if (j < n) {
            t.type = TOK_STRING;
            t.end = j + 1;
        } else {
            t.end = n;
        }
        return t;
    }
    case '/':
        for (j = i + 1; j < n && pdf_regular(p[j]); j++)
            ;
        t.type = TOK_NAME;
        t.end = j;
        return t;
    case ')':
    case '{':
    case '}':
        return t;
    default:
        for (j = i; j < n && pdf_regular(p[j]); j++)
            ;
        t.end = j;
        classify_regular(&t, p + i, j - i);
        return t;
    }
}

static bool token_is(const struct pdf_walker *w, const struct pdf_token *t,
                     enum pdf_token_type type, const char *text)
{
    size_t len = strlen(text);
    return t->type == type && t->end - t->start == len &&
           memcmp(w->p + t->start, text, len) == 0;
}

static bool keyword_is(const struct pdf_walker *w, const struct pdf_token *t,
                       const char *word)
{
    return token_is(w, t, TOK_KEYWORD, word);
}

/* An integer written as a plain number that fits: an object number, a count. */
static bool token_unsigned(const struct pdf_token *t)
{
    return t->type == TOK_INT && !t->sign && !t->overflow;
}

/* Decodes the name token T (#xx escapes) into OUT, without its '/', cut to fit. */
static void name_decode(const struct pdf_walker *w, const struct pdf_token *t,
                        char out[PDF_MAX_NAME + 1])
{
    size_t o = 0;

    for (size_t i = t->start + 1; i < t->end && o < PDF_MAX_NAME; i++) {
        int hi, lo;
        if (w->p[i] == '#' && i + 2 < t->end && (hi = pdf_hex_value(w->p[i + 1])) >= 0 &&
            (lo = pdf_hex_value(w->p[i + 2])) >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = (char)w->p[i];
        }
    }
    out[o] = '\0';
}

/* A container being read: a dictionary (waiting for a key or a value) or an array. */
struct pdf_frame {
    bool dict;
    bool want_key;
};

/* Which key of the outer dictionary is being read. */
enum pdf_key {
    KEY_OTHER,
    KEY_LENGTH,
    KEY_FILTER,
    KEY_ENCRYPT,
    KEY_SUBTYPE,
    KEY_TYPE,
    KEY_DECODEPARMS,
};

/*
 * Reads one direct object from I (ISO 32000-1 7.3), with an explicit stack
 * of at most PDF_MAX_DEPTH containers; *END is where it ends.  When it is
 * a dictionary, KEYS gets its extent, /Length, /Filter and the other keys
 * struct pdf_dict_keys holds.  False when it
 * is no object (the walk is then marked not exact).
 */
static bool parse_object(struct pdf_walker *w, size_t i, size_t *end,
                         struct pdf_dict_keys *keys)
{
    struct pdf_frame stack[PDF_MAX_DEPTH];
    size_t depth = 0;
    enum pdf_key key = KEY_OTHER;

    memset(keys, 0, sizeof(*keys));
    for (;;) {
        struct pdf_token t = next_token(w, i);
        struct pdf_frame *top = depth > 0 ? &stack[depth - 1] : NULL;

        i = t.end;
        if (t.type == TOK_DICT_CLOSE || t.type == TOK_ARRAY_CLOSE) {
            if (top == NULL || top->dict != (t.type == TOK_DICT_CLOSE) ||
                (top->dict && !top->want_key))
                return walk_fail(w, t.start, "a misplaced %s",
                                 t.type == TOK_DICT_CLOSE ? "'>>'" : "']'");
            depth--;
            if (depth == 0 && top->dict) {
                keys->is_dict = true;
                keys->dict_end = t.end;
            }
        } else if (top != NULL && top->dict && top->want_key) {
            if (t.type != TOK_NAME)
                return walk_fail(w, t.start, "a dictionary key that is no name");
            top->want_key = false;
            if (depth == 1) {
                /* Decoded: a reader takes /F#69lter for /Filter (7.3.5). */
                char name[PDF_MAX_NAME + 1];
                name_decode(w, &t, name);
                key = strcmp(name, "Length") == 0        ? KEY_LENGTH
                      : strcmp(name, "Filter") == 0      ? KEY_FILTER
                      : strcmp(name, "Encrypt") == 0     ? KEY_ENCRYPT
                      : strcmp(name, "Subtype") == 0     ? KEY_SUBTYPE
                      : strcmp(name, "Type") == 0        ? KEY_TYPE
                      : strcmp(name, "DecodeParms") == 0 ? KEY_DECODEPARMS
                                                         : KEY_OTHER;
                if (key == KEY_LENGTH)
                    keys->length_kind = LENGTH_NONE; /* until a usable value */
                else if (key == KEY_FILTER)
                    keys->filter_count = 0;
                else if (key == KEY_ENCRYPT)
                    keys->encrypt = true;
            } else if (key == KEY_DECODEPARMS) {
                /* A /Predictor in the decode parameters (a dictionary, or an
                 * array of them) changes what Flate gives back. */
                char name[PDF_MAX_NAME + 1];
                name_decode(w, &t, name);
                if (strcmp(name, "Predictor") == 0)
                    keys->predictor = true;
            }
            continue;
        } else if (t.type == TOK_DICT_OPEN || t.type == TOK_ARRAY_OPEN) {
            if (depth == PDF_MAX_DEPTH)
                return walk_fail(w, t.start, "containers nested deeper than %d",
                                 PDF_MAX_DEPTH);
            if (depth == 0)
                keys->dict_start = t.start;
            stack[depth++] = (struct pdf_frame){t.type == TOK_DICT_OPEN, true};
            continue;
        } else if (t.type == TOK_INT) {
            /* N G R is one value, a reference. */
            struct pdf_token g = next_token(w, i), r = {.type = TOK_BAD};
            if (g.type == TOK_INT)
                r = next_token(w, g.end);
            if (keyword_is(w, &r, "R")) {
                if (!token_unsigned(&t) || !token_unsigned(&g) || g.value > 65535)
                    return walk_fail(w, t.start, "a reference to no object number");
                i = r.end;
                if (depth == 1 && key == KEY_LENGTH) {
                    keys->length_kind = LENGTH_REF;
                    keys->length = t.value;
                    keys->length_gen = (unsigned)g.value;
                }
            } else if (depth == 1 && key == KEY_LENGTH && token_unsigned(&t)) {
                keys->length_kind = LENGTH_DIRECT;
                keys->length = t.value;
            }
        } else if (t.type == TOK_NAME) {
            /* /Filter /Name, or /Filter [/Name ...] */
            bool filter =
                key == KEY_FILTER && (depth == 1 || (depth == 2 && !stack[1].dict));
            if (filter && keys->filter_count++ < PDF_MAX_FILTERS)
                name_decode(w, &t, keys->filters[keys->filter_count - 1]);
            else if (key == KEY_SUBTYPE && depth == 1)
                name_decode(w, &t, keys->subtype);
            else if (key == KEY_TYPE && depth == 1)
                name_decode(w, &t, keys->type);
        } else if (t.type == TOK_EOF) {
            return walk_fail(w, t.start, "the file ends inside an object");
        } else if (!(t.type == TOK_REAL || t.type == TOK_STRING || t.type == TOK_HEX ||
                     keyword_is(w, &t, "true") || keyword_is(w, &t, "false") ||
                     keyword_is(w, &t, "null"))) {
            return walk_fail(w, t.start, "%s where an object should be",
                             t.type == TOK_KEYWORD ? "a keyword"
                                                   : "bytes that are no token");
        }
        /* A value is complete. */
        if (depth == 0) {
            *end = i;
            return true;
        }
        if (stack[depth - 1].dict)
            stack[depth - 1].want_key = true;
    }
}

static int length_def_cmp(const void *a, const void *b)
{
    const struct pdf_length_def *x = a, *y = b;

    if (x->num != y->num)
        return x->num < y->num ? -1 : 1;
    if (x->gen != y->gen)
        return x->gen < y->gen ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* How far past "obj" an integer object may end: "obj\r\n 123456789\r\nendobj" fits. */
#define INDEX_WINDOW 64

/* Reads an unsigned integer at *I (after whitespace, before LIMIT) into *V. */
static bool index_uint(const struct pdf_walker *w, size_t *i, size_t limit, uint64_t *v)
{
    size_t k = *i, start;

    while (k < limit && pdf_space(w->p[k]))
        k++;
    for (start = k, *v = 0; k < limit && pdf_digit(w->p[k]) && k - start < 19; k++)
        *v = *v * 10 + (uint64_t)(w->p[k] - '0');
    if (k == start || (k < w->n && pdf_regular(w->p[k])))
        return false;
    *i = k;
    return true;
}

/*
 * Finds every "N G obj <integer> endobj" in the file, wherever it is: what
 * an indirect /Length may name, found before the walk reaches it (it often
 * follows its stream).  One pass: each "obj" costs at most INDEX_WINDOW
 * bytes forward and the whitespace and digits before it.  XXX: an object
 * in an object stream is not found (its stream's /Length is then not
 * resolved: not exact), and one in another stream's data may be.
 */
static bool index_lengths(struct pdf_walker *w)
{
    const unsigned char *p = w->p;
    size_t n = w->n, cap = 0;

    w->indexed = true;
    for (size_t i = 0; i + 3 <= n;) {
        const unsigned char *o = memmem(p + i, n - i, "obj", 3);
        if (o == NULL)
            break;
        size_t at = (size_t)(o - p), k = at, ge, gs, ne;
        i = at + 3;
        if (k == 0 || !pdf_space(p[k - 1]) || (at + 3 < n && pdf_regular(p[at + 3])))
            continue;
        while (k > 0 && pdf_space(p[k - 1]))
            k--;
        for (ge = k; k > 0 && pdf_digit(p[k - 1]) && ge - k < 5; k--)
            ;
        gs = k;
        if (gs == ge || k == 0 || !pdf_space(p[k - 1]))
            continue;
        while (k > 0 && pdf_space(p[k - 1]))
            k--;
        for (ne = k; k > 0 && pdf_digit(p[k - 1]) && ne - k < 19; k--)
            ;
        if (k == ne || (k > 0 && pdf_regular(p[k - 1])))
            continue;
        struct pdf_length_def d = {.at = at};
        uint64_t gen = 0;
        for (size_t j = k; j < ne; j++)
            d.num = d.num * 10 + (uint64_t)(p[j] - '0');
        for (size_t j = gs; j < ge; j++)
            gen = gen * 10 + (uint64_t)(p[j] - '0');
        size_t limit = n - (at + 3) < INDEX_WINDOW ? n : at + 3 + INDEX_WINDOW,
               j = at + 3;
        if (gen > 65535 || !index_uint(w, &j, limit, &d.value))
            continue;
        while (j < limit && pdf_space(p[j]))
            j++;
        if (limit - j < 6 || memcmp(p + j, "endobj", 6) != 0 ||
            (j + 6 < n && pdf_regular(p[j + 6])))
            continue;
        d.gen = (unsigned)gen;
        if (w->ndefs == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct pdf_length_def *nd = realloc(w->defs, ncap * sizeof(*nd));
            if (nd == NULL)
                return walk_error(w, "out of memory");
            w->defs = nd;
            cap = ncap;
        }
        w->defs[w->ndefs++] = d;
    }
    if (w->ndefs > 1)
        qsort(w->defs, w->ndefs, sizeof(*w->defs), length_def_cmp);
    return true;
}

/* The stream length KEYS give, in *LEN; false (not exact, or an error) when none. */
static bool stream_length(struct pdf_walker *w, const struct pdf_dict_keys *keys,
                          size_t at, uint64_t *len)
{
    if (keys->length_kind == LENGTH_DIRECT) {
        *len = keys->length;
        return true;
    }
    if (keys->length_kind != LENGTH_REF)
        return walk_fail(w, at, "a stream without a /Length integer");
    if (!w->indexed && !index_lengths(w))
        return false;
    /* The last definition of the object in the file: the latest update's. */
    size_t lo = 0, hi = w->ndefs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct pdf_length_def *d = &w->defs[mid];
        if (d->num < keys->length ||
            (d->num == keys->length && d->gen <= keys->length_gen))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || w->defs[lo - 1].num != keys->length ||
        w->defs[lo - 1].gen != keys->length_gen)
        return walk_fail(w, at, "/Length %llu %u R names no integer object",
                         (unsigned long long)keys->length, keys->length_gen);
    *len = w->defs[lo - 1].value;
    return true;
}

/* Tells the caller that the dictionary at AT names an /Encrypt dictionary. */
static bool emit_encrypted(struct pdf_walker *w, size_t at)
{
    if (w->cb != NULL && w->cb->encrypted != NULL && w->cb->encrypted(w->ctx, at) != 0)
        return walk_error(w, "the walk was stopped by its caller");
    return true;
}

/* Calls back the syntax from SYNTAX_FROM to TO. */
static bool emit_syntax(struct pdf_walker *w, size_t to)
{
    size_t from = w->syntax_from;

    w->syntax_from = to;
    if (to > from && w->cb != NULL && w->cb->syntax != NULL &&
        w->cb->syntax(w->ctx, from, (const char *)w->p + from, to - from) != 0)
        return walk_error(w, "the walk was stopped by its caller");
    return true;
}

/*
 * The stream whose keyword ends at I, of the object NUM GEN with
 * dictionary KEYS: its data, then "endstream", after which *END is.
 */
static bool walk_stream(struct pdf_walker *w, const struct pdf_token *num,
                        const struct pdf_token *gen, const struct pdf_dict_keys *keys,
                        size_t i, size_t *end)
{
    const unsigned char *p = w->p;
    size_t n = w->n;
    uint64_t len = 0;

    if (!keys->is_dict)
        return walk_fail(w, i, "a stream after no dictionary");
    /* "stream" is followed by CRLF or LF, not CR alone (7.3.8.1). */
    if (i < n && p[i] == '\n')
        i++;
    else if (n - i >= 2 && p[i] == '\r' && p[i + 1] == '\n')
        i += 2;
    else
        return walk_fail(w, i, "\"stream\" not followed by CRLF or LF");
    if (!stream_length(w, keys, i, &len))
        return false;
    if (len > n - i)
        return walk_fail(w, i, "a /Length of %llu past the end of the file",
                         (unsigned long long)len);
    size_t k = i + (size_t)len;
    while (k < n && pdf_space(p[k]))
        k++;
    if (n - k < 9 || memcmp(p + k, "endstream", 9) != 0 ||
        (k + 9 < n && pdf_regular(p[k + 9])))
        return walk_fail(w, i + (size_t)len,
                         "stream data of /Length %llu not followed by \"endstream\"",
                         (unsigned long long)len);
    if (!emit_syntax(w, i))
        return false;
    struct pdf_stream s = {
        .object = num->value,
        .generation = (unsigned)gen->value,
        .dict = (const char *)p + keys->dict_start,
        .dict_len = keys->dict_end - keys->dict_start,
        .offset = i,
        .length = (size_t)len,
        .data = p + i,
        .filter_count = keys->filter_count,
        .subtype = keys->subtype,
        .type = keys->type,
        .predictor = keys->predictor,
    };
    for (size_t f = 0; f < keys->filter_count && f < PDF_MAX_FILTERS; f++)
        s.filters[f] = keys->filters[f];
    w->syntax_from = i + (size_t)len;
    if (w->cb != NULL && w->cb->stream != NULL && w->cb->stream(w->ctx, &s) != 0)
        return walk_error(w, "the walk was stopped by its caller");
    *end = k + 9;
    return true;
}

/* The indirect object whose number is NUM: "G obj", an object, maybe a stream, "endobj".
 */
static bool walk_indirect(struct pdf_walker *w, const struct pdf_token *num, size_t *end)
{
    struct pdf_token gen = next_token(w, num->end), obj = next_token(w, gen.end);
    struct pdf_dict_keys keys;
    size_t i;

    if (!token_unsigned(num) || !token_unsigned(&gen) || gen.value > 65535 ||
        !keyword_is(w, &obj, "obj"))
        return walk_fail(w, num->start, "a number where an object should start");
    if (!parse_object(w, obj.end, &i, &keys))
        return false;
    struct pdf_token t = next_token(w, i);
    if (keyword_is(w, &t, "stream")) {
        /* A cross-reference stream stands for the trailer (7.5.8.2). */
        if (keys.encrypt && !emit_encrypted(w, keys.dict_start))
            return false;
        if (!walk_stream(w, num, &gen, &keys, t.end, &i))
            return false;
        t = next_token(w, i);
    }
    if (!keyword_is(w, &t, "endobj"))
        return walk_fail(w, t.start, "object %llu %llu without \"endobj\"",
                         (unsigned long long)num->value, (unsigned long long)gen.value);
    *end = t.end;
    return true;
}

/* A classic cross-reference table after "xref" (at I): subsections of 20-byte entries. */
static bool walk_xref(struct pdf_walker *w, size_t i, size_t *end)
{
    const unsigned char *p = w->p;
    size_t n = w->n;
    bool any = false;

    for (;;) {
        struct pdf_token first = next_token(w, i), count = next_token(w, first.end);
        if (first.type != TOK_INT && any)
            break;
        if (!token_unsigned(&first) || !token_unsigned(&count))
            return walk_fail(w, first.start, "an xref subsection without its numbers");
        size_t k = count.end;
        while (k < n && pdf_space(p[k]))
            k++;
        if (count.value > (n - k) / 20)
            return walk_fail(w, k, "xref entries past the end of the file");
        for (uint64_t e = 0; e < count.value; e++, k += 20) {
            const unsigned char *x = p + k;
            bool ok = x[10] == ' ' && x[16] == ' ' && (x[17] == 'n' || x[17] == 'f') &&
                      ((x[18] == ' ' && (x[19] == '\r' || x[19] == '\n')) ||
                       (x[18] == '\r' && x[19] == '\n'));
            for (int d = 0; d < 16 && ok; d++)
                ok = d == 10 || pdf_digit(x[d]);
            if (!ok)
                return walk_fail(w, k,
                                 "an xref entry that is not 20 bytes of its format");
        }
        i = k;
        any = true;
    }
    *end = i;
    return true;
}

/* The file from its header to its end, at the top level (7.5). */
static bool walk_file(struct pdf_walker *w)
{
    size_t i = 0, e;

    if (w->n < 5 || memcmp(w->p, "%PDF-", 5) != 0)
        return walk_fail(w, 0, "no \"%%PDF-\" header");
    for (;;) {
        struct pdf_token t = next_token(w, i);
        struct pdf_dict_keys keys;

        if (t.type == TOK_EOF)
            break;
        if (t.type == TOK_INT) {
            if (!walk_indirect(w, &t, &i))
                return false;
        } else if (keyword_is(w, &t, "xref")) {
            if (!walk_xref(w, t.end, &i))
                return false;
        } else if (keyword_is(w, &t, "trailer")) {
            if (!parse_object(w, t.end, &i, &keys))
                return false;
            if (!keys.is_dict)
                return walk_fail(w, t.end, "a trailer that is no dictionary");
            if (keys.encrypt && !emit_encrypted(w, keys.dict_start))
                return false;
        } else if (keyword_is(w, &t, "startxref")) {
            struct pdf_token at = next_token(w, t.end);
            if (!token_unsigned(&at))
                return walk_fail(w, at.start, "\"startxref\" without an offset");
            i = at.end;
        } else {
            return walk_fail(w, t.start, "%s outside any object",
                             t.type == TOK_KEYWORD ? "a keyword" : "bytes");
        }
    }
    for (e = w->n; e > 0 && pdf_space(w->p[e - 1]);)
        e--;
    if (w->last_eof == SIZE_MAX || w->last_eof + 5 != e)
        return walk_fail(w, w->last_eof == SIZE_MAX ? e : w->last_eof,
                         "the file does not end with \"%%%%EOF\"");
    return emit_syntax(w, w->n);
}

enum pdf_walk_result pdf_walk_bytes(const unsigned char *p, size_t len,
                                    const struct pdf_callbacks *cb, void *ctx, char *err,
                                    size_t errlen)
{
    struct pdf_walker w = {
        .p = p,
        .n = len,
        .cb = cb,
        .ctx = ctx,
        .err = err,
        .errlen = errlen,
        .result = PDF_EXACT,
        .last_eof = SIZE_MAX,
    };

    walk_file(&w);
    free(w.defs);
    return w.result;
}

enum pdf_walk_result pdf_walk(const struct spool *data, const struct pdf_callbacks *cb,
                              void *ctx, char *err, size_t errlen)
{
    uint64_t size = spool_size(data);
    unsigned char *buf;
    enum pdf_walk_result result;

    if (size >= SIZE_MAX || (buf = malloc(size > 0 ? (size_t)size : 1)) == NULL) {
        errbuf_set(err, errlen, "out of memory for a PDF of %llu bytes",
                   (unsigned long long)size);
        return PDF_ERROR;
    }
    if (spool_read_full(data, 0, buf, (size_t)size, err, errlen) != 0) {
        free(buf);
        return PDF_ERROR;
    }
    result = pdf_walk_bytes(buf, (size_t)size, cb, ctx, err, errlen);
    free(buf);
    return result;
}
