/* rules - see rules.h.  This half reads rule files into a compiled set. */
#include "rules_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errbuf.h"
#include "files.h"
#include "normalize.h"
#include "parse.h"

/* ---------------------------------------------------------------- parsing */

/* One word of a rule line (a rules-file word, not a link token: see token.h). */
struct word {
    char *text;  /* unescaped value, owned */
    char *flags; /* regex flags, owned, or NULL */
    bool quoted; /* a "string" */
    bool regex;  /* a /regex/ */
    unsigned column;
};

struct parser {
    struct rules *rs;
    const char *file;
    const char *base_dir;
    struct files *files; /* where keyword files are read: see files.h */
    unsigned line;
    char *err;
    size_t errlen;
    struct rule *current;      /* the rule being read, or NULL */
    struct keywords *keywords; /* being built */
    size_t capacity_rules, capacity_matchers;
};

static void parse_error(struct parser *p, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void parse_error(struct parser *p, unsigned column, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    errbuf_set(p->err, p->errlen, "%s:%u:%u: %s", p->file, p->line, column, msg);
}

static void words_free(struct word *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].text);
        free(t[i].flags);
    }
    free(t);
}

/* Column (1-based, in characters) of byte offset OFF in LINE. */
static unsigned column_of(const char *line, size_t off)
{
    unsigned col = 1;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)line[i] & 0xc0) != 0x80)
            col++;
    return col;
}

/*
 * Splits LINE (LEN bytes) into tokens: words, "strings" (\" and \\
 * escapes), /regexes/flags after the word regex (\/ stands for /), up to
 * a # outside them.
 * Returns the count, or -1 with the error set.  Long because it is one
 * state machine over the line: splitting it would split the quoting rules.
 */
static ssize_t split_words(struct parser *p, const char *line, size_t len,
                           struct word **out)
{
    struct word *toks = NULL;
    size_t n = 0, cap = 0, i = 0;

    *out = NULL;
    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        if (i >= len || line[i] == '#')
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            struct word *grown = realloc(toks, cap * sizeof(*grown));
            if (grown == NULL)
                goto nomem;
            toks = grown;
        }
        /* A slash opens a regex only after the word "regex": paths stay words. */
        bool regex_next =
            n > 0 && !toks[n - 1].quoted && strcmp(toks[n - 1].text, "regex") == 0;
        struct word *t = &toks[n];
        memset(t, 0, sizeof(*t));
        t->column = column_of(line, i);
        size_t cap_text = len - i + 1;
        t->text = malloc(cap_text);
        if (t->text == NULL)
            goto nomem;
        n++;
        size_t o = 0;
        if (line[i] == '"' || (line[i] == '/' && regex_next)) {
            char close = line[i];
            t->quoted = close == '"';
            t->regex = close == '/';
            i++;
            bool closed = false;
            while (i < len) {
                if (line[i] == '\\' && i + 1 < len &&
                    (line[i + 1] == close || (t->quoted && line[i + 1] == '\\'))) {
                    t->text[o++] = line[i + 1];
                    i += 2;
                    continue;
                }
                if (line[i] == close) {
                    closed = true;
                    i++;
                    break;
                }
                t->text[o++] = line[i++];
            }
            t->text[o] = '\0';
            if (!closed) {
                parse_error(p, t->column, "unterminated %s",
                            t->quoted ? "string" : "regex");
                words_free(toks, n);
                return -1;
            }
            if (t->regex) {
                size_t f = i;
                while (i < len && line[i] >= 'a' && line[i] <= 'z')
                    i++;
                t->flags = strndup(line + f, i - f);
                if (t->flags == NULL)
                    goto nomem;
            }
            if (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' &&
                line[i] != '#') {
                parse_error(p, column_of(line, i), "expected a space after the %s",
                            t->quoted ? "string" : "regex");
                words_free(toks, n);
                return -1;
            }
        } else {
            while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
                t->text[o++] = line[i++];
            t->text[o] = '\0';
        }
    }
    *out = toks;
    return (ssize_t)n;
nomem:
    words_free(toks, n);
    errbuf_set(p->err, p->errlen, "out of memory");
    return -1;
}

static int push_string(char ***list, size_t *n, const char *s)
{
    char **grown = realloc(*list, (*n + 1) * sizeof(**list));
    if (grown == NULL)
        return -1;
    *list = grown;
    grown[*n] = strdup(s);
    if (grown[*n] == NULL)
        return -1;
    (*n)++;
    return 0;
}

static void lowercase(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static bool parse_op(const char *s, enum compare_op *op)
{
    static const struct {
        const char *text;
        enum compare_op op;
    } ops[] = {{">", OP_GT}, {">=", OP_GE}, {"<", OP_LT}, {"<=", OP_LE}, {"=", OP_EQ}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++)
        if (strcmp(s, ops[i].text) == 0) {
            *op = ops[i].op;
            return true;
        }
    return false;
}

/* A store folder: a name (parse_name) that is no hidden or parent directory. */
static bool valid_folder(struct parser *p, const struct word *t)
{
    char why[256];
    if (parse_name(t->text, why, sizeof(why)) != 0) {
        parse_error(p, t->column, "bad folder name \"%s\": %s", t->text, why);
        return false;
    }
    if (t->text[0] == '.') {
        parse_error(p, t->column, "bad folder name \"%s\": it must not start with '.'",
                    t->text);
        return false;
    }
    if (strlen(t->text) > 64) {
        parse_error(p, t->column, "bad folder name \"%s\": longer than 64 characters",
                    t->text);
        return false;
    }
    return true;
}

/* Parses "subject,body,header:X-Foo,any" into a field mask. */
static bool parse_fields(struct parser *p, const struct word *t, struct matcher *m)
{
    char *copy = strdup(t->text), *save = NULL;
    if (copy == NULL)
        return false;
    m->fields = 0;
    for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        if (strcmp(f, "subject") == 0)
            m->fields |= VIEW_SUBJECT;
        else if (strcmp(f, "body") == 0)
            m->fields |= VIEW_BODY;
        else if (strcmp(f, "attachment-name") == 0)
            m->fields |= VIEW_ATTACHMENT_NAME;
        else if (strcmp(f, "attachment-text") == 0)
            m->fields |= VIEW_ATTACHMENT_TEXT;
        else if (strcmp(f, "any") == 0)
            m->fields |= VIEW_ALL_FIELDS;
        else if (strncmp(f, "header:", 7) == 0 && f[7] != '\0' && m->header == NULL) {
            m->fields |= VIEW_HEADER;
            m->header = strdup(f + 7);
        } else {
            parse_error(p, t->column,
                        "unknown field \"%s\" (expected subject, body, "
                        "attachment-name, attachment-text, header:NAME or any)",
                        f);
            free(copy);
            return false;
        }
    }
    free(copy);
    if (m->fields == 0) {
        parse_error(p, t->column, "no field to match in");
        return false;
    }
    return true;
}

/* Adds one keyword (NFKC-normalised, like the text it is matched in). */
static bool add_keyword(struct parser *p, const char *word, unsigned column, unsigned id)
{
    char *norm;
    size_t len;
    int rc = normalize_text(word, strlen(word), &norm, &len);
    if (rc == -2) {
        parse_error(p, column, "keyword is not valid UTF-8");
        return false;
    }
    if (rc != 0 || (len > 0 && keywords_add(p->keywords, norm, len, id) != 0)) {
        free(rc == 0 ? norm : NULL);
        errbuf_set(p->err, p->errlen, "out of memory");
        return false;
    }
    free(norm);
    if (len == 0) {
        parse_error(p, column, "empty keyword");
        return false;
    }
    return true;
}

static bool load_keywords_file(struct parser *p, const struct word *t, unsigned id)
{
    char path[PATH_MAX], why[512];
    const char *text;
    size_t size;
    if (t->text[0] == '/')
        snprintf(path, sizeof(path), "%s", t->text);
    else
        snprintf(path, sizeof(path), "%s/%s", p->base_dir, t->text);
    if (files_read(p->files, path, &text, &size, why, sizeof(why)) != 0) {
        parse_error(p, t->column, "keywords file %s", why);
        return false;
    }
    unsigned lineno = 0, added = 0;
    bool ok = true;
    for (const char *line = text; ok && line < text + size;) {
        const char *nl = memchr(line, '\n', (size_t)(text + size - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(text + size - line);
        const char *next = nl ? nl + 1 : text + size;
        n = strnlen(line, n); /* a NUL ends the keyword, as it always did */
        lineno++;
        while (n > 0 &&
               (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        while (n > 0 && (*line == ' ' || *line == '\t')) {
            line++;
            n--;
        }
        if (n == 0 || *line == '#') {
            line = next;
            continue;
        }
        char *norm;
        size_t len;
        int rc = normalize_text(line, n, &norm, &len);
        if (rc == -2) {
            errbuf_set(p->err, p->errlen, "%s:%u:1: keyword is not valid UTF-8", path,
                       lineno);
            ok = false;
        } else if (rc != 0 ||
                   (len > 0 && keywords_add(p->keywords, norm, len, id) != 0)) {
            errbuf_set(p->err, p->errlen, "out of memory");
            ok = false;
        } else if (len > 0) {
            added++;
        }
        if (rc == 0)
            free(norm);
        line = next;
    }
    if (ok && added == 0) {
        parse_error(p, t->column, "keywords file %s has no keywords", path);
        ok = false;
    }
    return ok;
}

static struct matcher *new_matcher(struct parser *p)
{
    struct rules *rs = p->rs;
    if (rs->nmatchers == p->capacity_matchers) {
        size_t cap = p->capacity_matchers ? p->capacity_matchers * 2 : 16;
        struct matcher *grown = realloc(rs->matchers, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        rs->matchers = grown;
        p->capacity_matchers = cap;
    }
    struct matcher *m = &rs->matchers[rs->nmatchers++];
    memset(m, 0, sizeof(*m));
    m->min_count = 1;
    p->current->nmatchers++;
    return m;
}

/*
 * match FIELDS keywords "w"... | keywords-file F | regex /re/f  [validate V] [count N]
 * Long because the three matcher kinds share the field list, the options
 * and one error style (FILE:LINE:COLUMN), and twin regexes are merged here.
 */
static bool parse_match(struct parser *p, struct word *t, size_t n)
{
    if (n < 3) {
        parse_error(p, t[0].column,
                    "expected: match FIELDS keywords|keywords-file|regex ...");
        return false;
    }
    struct matcher *m = new_matcher(p);
    if (m == NULL) {
        errbuf_set(p->err, p->errlen, "out of memory");
        return false;
    }
    unsigned id = (unsigned)(p->rs->nmatchers - 1);
    if (!parse_fields(p, &t[1], m))
        return false;
    size_t i = 3;
    if (strcmp(t[2].text, "keywords") == 0 && !t[2].quoted) {
        unsigned count = 0;
        for (; i < n && t[i].quoted; i++, count++)
            if (!add_keyword(p, t[i].text, t[i].column, id))
                return false;
        if (count == 0) {
            parse_error(p, i < n ? t[i].column : t[2].column,
                        "keywords must be \"quoted\" strings");
            return false;
        }
        p->rs->keyword_fields |= m->fields;
    } else if (strcmp(t[2].text, "keywords-file") == 0 && !t[2].quoted) {
        if (n < 4 || t[3].regex) {
            parse_error(p, t[2].column, "keywords-file needs a file name");
            return false;
        }
        if (!load_keywords_file(p, &t[3], id))
            return false;
        p->rs->keyword_fields |= m->fields;
        i = 4;
    } else if (strcmp(t[2].text, "regex") == 0 && !t[2].quoted) {
        if (n < 4 || !t[3].regex) {
            parse_error(p, n < 4 ? t[2].column : t[3].column, "expected /PATTERN/FLAGS");
            return false;
        }
        uint32_t options = PCRE2_UTF;
        for (const char *f = t[3].flags; *f; f++) {
            if (*f == 'i')
                options |= PCRE2_CASELESS;
            else if (*f == 'm')
                options |= PCRE2_MULTILINE;
            else if (*f == 's')
                options |= PCRE2_DOTALL;
            else if (*f == 'x')
                options |= PCRE2_EXTENDED;
            else {
                parse_error(p, t[3].column,
                            "unknown regex flag '%c' (expected i, m, s or x)", *f);
                return false;
            }
        }
        int code;
        PCRE2_SIZE offset;
        m->re = pcre2_compile((PCRE2_SPTR)t[3].text, PCRE2_ZERO_TERMINATED, options,
                              &code, &offset, NULL);
        if (m->re == NULL) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof(msg));
            /* Point at the offending character: after the opening slash. */
            parse_error(p, t[3].column + 1 + column_of(t[3].text, offset) - 1,
                        "bad regex: %s", (const char *)msg);
            return false;
        }
        m->is_regex = true;
        m->source = malloc(strlen(t[3].text) + strlen(t[3].flags) + 2);
        if (m->source == NULL) {
            errbuf_set(p->err, p->errlen, "out of memory");
            return false;
        }
        sprintf(m->source, "%s/%s", t[3].text, t[3].flags);
        /* JIT where the platform has it; the interpreter otherwise. */
        m->jit = pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE) == 0;
        i = 4;
    } else {
        parse_error(p, t[2].column,
                    "expected keywords, keywords-file or regex, not \"%s\"", t[2].text);
        return false;
    }
    while (i < n) {
        if (strcmp(t[i].text, "validate") == 0 && i + 1 < n) {
            if (!m->is_regex) {
                parse_error(p, t[i].column, "validate works with regex matchers only");
                return false;
            }
            if (strcmp(t[i + 1].text, "luhn") == 0)
                m->validator = VALIDATE_LUHN;
            else if (strcmp(t[i + 1].text, "mynumber") == 0)
                m->validator = VALIDATE_MYNUMBER;
            else {
                parse_error(p, t[i + 1].column,
                            "unknown validator \"%s\" (expected luhn or "
                            "mynumber)",
                            t[i + 1].text);
                return false;
            }
            i += 2;
        } else if (strcmp(t[i].text, "count") == 0 && i + 1 < n) {
            unsigned long long c;
            if (parse_number(t[i + 1].text, &c, NULL, 0) != 0 || c < 1 || c > 100000) {
                parse_error(p, t[i + 1].column,
                            "count must be a number from 1 to 100000");
                return false;
            }
            m->min_count = (unsigned)c;
            i += 2;
        } else {
            parse_error(p, t[i].column, "unexpected \"%s\" (expected validate or count)",
                        t[i].text);
            return false;
        }
    }
    /* The same regex, validator and fields in another rule (tiers such as
     * "count 2: reject" and "count 1: store") is scanned once for both. */
    m->twin = id;
    for (size_t j = 0; m->is_regex && j < id; j++) {
        const struct matcher *o = &p->rs->matchers[j];
        if (o->is_regex && strcmp(o->source, m->source) == 0 &&
            o->validator == m->validator && o->fields == m->fields &&
            ((o->header == NULL && m->header == NULL) ||
             (o->header != NULL && m->header != NULL &&
              strcmp(o->header, m->header) == 0))) {
            m->twin = o->twin;
            break;
        }
    }
    return true;
}

/*
 * One condition line.  Long because it is a table in code: one branch per
 * condition kind (direction, sender, recipient, size, attachment name,
 * type and count, flags), each with its own FILE:LINE:COLUMN errors.
 */
static bool parse_condition(struct parser *p, struct word *t, size_t n)
{
    struct rule *r = p->current;
    bool negate = false;
    if (strcmp(t[0].text, "not") == 0) {
        negate = true;
        t++;
        n--;
        if (n == 0) {
            parse_error(p, t[-1].column, "\"not\" needs a condition after it");
            return false;
        }
    }
    struct condition c = {.negate = negate};
    const char *kw = t[0].text;
    /* Every flag is a condition but charset-relabeled, which is no sign of
     * anything hidden: many mailers mislabel. */
    for (unsigned flag = 1; flag <= VIEW_FLAG_LAST; flag <<= 1)
        if (flag != VIEW_CHARSET_RELABELED && strcmp(kw, view_flag_name(flag)) == 0) {
            if (n != 1) {
                parse_error(p, t[1].column, "%s takes no arguments", kw);
                return false;
            }
            c.kind = COND_FLAG;
            c.flag = flag;
            goto add;
        }
    if (strcmp(kw, "direction") == 0) {
        if (n != 2 || (strcmp(t[1].text, "internal") && strcmp(t[1].text, "external"))) {
            parse_error(p, n > 1 ? t[1].column : t[0].column,
                        "expected: direction internal|external");
            return false;
        }
        c.kind = COND_DIRECTION;
        c.external = strcmp(t[1].text, "external") == 0;
        goto add;
    }
    if (strcmp(kw, "size") == 0 || strcmp(kw, "attachment-count") == 0) {
        c.kind = kw[0] == 's' ? COND_SIZE : COND_ATTACHMENT_COUNT;
        if (n != 3 || !parse_op(t[1].text, &c.op)) {
            parse_error(p, n > 1 ? t[1].column : t[0].column,
                        "expected: %s >|>=|<|<=|= %s", kw,
                        c.kind == COND_SIZE ? "SIZE" : "NUMBER");
            return false;
        }
        char why[256];
        unsigned long long number;
        if (c.kind == COND_SIZE) {
            if (parse_size(t[2].text, &number, why, sizeof(why)) != 0) {
                parse_error(p, t[2].column, "bad size \"%s\": %s", t[2].text, why);
                return false;
            }
        } else if (parse_number(t[2].text, &number, NULL, 0) != 0 ||
                   number > RULES_MAX_COUNT) {
            parse_error(p, t[2].column, "bad number \"%s\" (expected 0 to %u)", t[2].text,
                        RULES_MAX_COUNT);
            return false;
        }
        c.number = number;
        goto add;
    }
    static const struct {
        const char *name;
        enum condition_kind kind;
    } globs[] = {{"sender", COND_SENDER},
                 {"recipient", COND_RECIPIENT},
                 {"attachment-name", COND_ATTACHMENT_NAME},
                 {"attachment-type", COND_ATTACHMENT_TYPE}};
    for (size_t i = 0; i < sizeof(globs) / sizeof(*globs); i++)
        if (strcmp(kw, globs[i].name) == 0) {
            c.kind = globs[i].kind;
            if (n < 2) {
                parse_error(p, t[0].column, "%s needs at least one pattern", kw);
                return false;
            }
            for (size_t j = 1; j < n; j++) {
                if (push_string(&c.patterns, &c.npatterns, t[j].text) != 0) {
                    errbuf_set(p->err, p->errlen, "out of memory");
                    return false;
                }
                lowercase(c.patterns[c.npatterns - 1]);
            }
            goto add;
        }
    parse_error(p, t[0].column, "unknown condition \"%s\"", kw);
    return false;
add : {
    struct condition *grown =
        realloc(r->conditions, (r->nconditions + 1) * sizeof(*grown));
    if (grown == NULL) {
        errbuf_set(p->err, p->errlen, "out of memory");
        return false;
    }
    r->conditions = grown;
    r->conditions[r->nconditions++] = c;
    return true;
}
}

static bool set_delivery(struct parser *p, const struct word *t, enum delivery d)
{
    if (p->current->delivery != DELIVERY_UNSET) {
        parse_error(p, t->column,
                    "conflicting actions: only one of deliver, discard, "
                    "reject, tempfail and hold per rule");
        return false;
    }
    p->current->delivery = d;
    return true;
}

static bool parse_action(struct parser *p, struct word *t, size_t n)
{
    struct rule *r = p->current;
    if (n < 2) {
        parse_error(p, t[0].column,
                    "action needs a verb (store, forward, deliver, encrypt, "
                    "discard, reject, tempfail, hold)");
        return false;
    }
    const char *verb = t[1].text;
    size_t want_args = (strcmp(verb, "store") == 0 || strcmp(verb, "forward") == 0 ||
                        strcmp(verb, "reject") == 0 || strcmp(verb, "hold") == 0)
                           ? 1
                           : 0;
    if (n != 2 + want_args) {
        parse_error(p, n > 2 + want_args ? t[2 + want_args].column : t[1].column,
                    want_args ? "action %s needs one argument"
                              : "action %s takes no argument",
                    verb);
        return false;
    }
    if (strcmp(verb, "store") == 0) {
        if (!valid_folder(p, &t[2]))
            return false;
        return push_string(&r->store, &r->nstore, t[2].text) == 0;
    }
    if (strcmp(verb, "forward") == 0) {
        char why[256];
        if (parse_address(t[2].text, 0, why, sizeof(why)) != 0) {
            parse_error(p, t[2].column, "bad address \"%s\": %s", t[2].text, why);
            return false;
        }
        return push_string(&r->forward, &r->nforward, t[2].text) == 0;
    }
    if (strcmp(verb, "deliver") == 0)
        return set_delivery(p, &t[1], DELIVERY_DELIVER);
    if (strcmp(verb, "encrypt") == 0) {
        r->encrypt = true;
        return true;
    }
    if (strcmp(verb, "discard") == 0)
        return set_delivery(p, &t[1], DELIVERY_DISCARD);
    if (strcmp(verb, "tempfail") == 0)
        return set_delivery(p, &t[1], DELIVERY_TEMPFAIL);
    if (strcmp(verb, "reject") == 0) {
        if (!t[2].quoted) {
            parse_error(p, t[2].column, "reject text must be a \"quoted\" string");
            return false;
        }
        for (const char *c = t[2].text; *c; c++)
            if ((unsigned char)*c < ' ' || *c == 127 || (unsigned char)*c >= 128) {
                /* SMTP replies are ASCII; a CR/LF would forge a reply line. */
                parse_error(p, t[2].column,
                            "reject text must be one line of printable ASCII");
                return false;
            }
        if (strlen(t[2].text) > 400) {
            parse_error(p, t[2].column, "reject text longer than 400 bytes");
            return false;
        }
        if (!set_delivery(p, &t[1], DELIVERY_REJECT))
            return false;
        r->reject_text = strdup(t[2].text);
        return r->reject_text != NULL;
    }
    if (strcmp(verb, "hold") == 0) {
        unsigned long long secs;
        char why[256];
        if (parse_duration(t[2].text, &secs, why, sizeof(why)) != 0) {
            parse_error(p, t[2].column, "bad duration \"%s\": %s", t[2].text, why);
            return false;
        }
        if (secs < RULES_MIN_HOLD || secs > RULES_MAX_HOLD) {
            parse_error(p, t[2].column,
                        "hold %s is %llu seconds; a hold lasts from 1m to 60m", t[2].text,
                        secs);
            return false;
        }
        r->hold_seconds = (unsigned)secs;
        return set_delivery(p, &t[1], DELIVERY_HOLD);
    }
    parse_error(p, t[1].column, "unknown action \"%s\"", verb);
    return false;
}

/* Checks a finished rule as a whole. */
static bool finish_rule(struct parser *p, unsigned rule_line)
{
    struct rule *r = p->current;
    unsigned saved = p->line;

    p->current = NULL;
    if (r == NULL)
        return true;
    p->line = rule_line;
    bool ok = true;
    if (r->nstore == 0 && r->nforward == 0 && !r->encrypt &&
        r->delivery == DELIVERY_UNSET) {
        parse_error(p, 1, "rule %s has no action", r->name);
        ok = false;
    } else if (r->encrypt &&
               (r->delivery == DELIVERY_DISCARD || r->delivery == DELIVERY_REJECT ||
                r->delivery == DELIVERY_TEMPFAIL)) {
        parse_error(p, 1,
                    "rule %s: encrypt cannot be combined with discard, reject or "
                    "tempfail (nothing would be sent)",
                    r->name);
        ok = false;
    } else if (r->nforward > 0 &&
               (r->delivery == DELIVERY_DISCARD || r->delivery == DELIVERY_REJECT ||
                r->delivery == DELIVERY_TEMPFAIL)) {
        parse_error(p, 1,
                    "rule %s: forward cannot be combined with discard, reject or "
                    "tempfail (nothing would be sent)",
                    r->name);
        ok = false;
    }
    p->line = saved;
    return ok;
}

static bool parse_rule_start(struct parser *p, struct word *t, size_t n)
{
    if (n != 2 || t[1].quoted || t[1].regex) {
        parse_error(p, n > 2 ? t[2].column : t[0].column, "expected: rule NAME");
        return false;
    }
    char why[256];
    if (parse_name(t[1].text, why, sizeof(why)) != 0) {
        parse_error(p, t[1].column, "bad rule name \"%s\": %s", t[1].text, why);
        return false;
    }
    for (size_t i = 0; i < p->rs->nrules; i++)
        if (strcmp(p->rs->rules[i].name, t[1].text) == 0) {
            parse_error(p, t[1].column, "rule %s is defined twice", t[1].text);
            return false;
        }
    if (p->rs->nrules == p->capacity_rules) {
        size_t cap = p->capacity_rules ? p->capacity_rules * 2 : 16;
        struct rule *grown = realloc(p->rs->rules, cap * sizeof(*grown));
        if (grown == NULL) {
            errbuf_set(p->err, p->errlen, "out of memory");
            return false;
        }
        p->rs->rules = grown;
        p->capacity_rules = cap;
    }
    struct rule *r = &p->rs->rules[p->rs->nrules++];
    memset(r, 0, sizeof(*r));
    r->first_matcher = p->rs->nmatchers;
    r->name = strdup(t[1].text);
    p->current = r;
    return r->name != NULL;
}

/* Parses one file's text into P's rule set. */
static bool parse_text(struct parser *p, const char *text, size_t len)
{
    size_t pos = 0;
    unsigned rule_line = 0;

    p->line = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        p->line++;
        if (memchr(line, '\0', n) != NULL) {
            parse_error(p, 1, "NUL byte in line");
            return false;
        }
        struct word *t;
        ssize_t nt = split_words(p, line, n, &t);
        if (nt < 0)
            return false;
        if (nt == 0) {
            free(t);
            continue;
        }
        bool indented = line[0] == ' ' || line[0] == '\t';
        bool ok;
        if (!indented) {
            if (strcmp(t[0].text, "rule") != 0) {
                parse_error(p, t[0].column,
                            "expected \"rule NAME\" (lines inside a rule are "
                            "indented)");
                ok = false;
            } else {
                ok = finish_rule(p, rule_line) && parse_rule_start(p, t, (size_t)nt);
                rule_line = p->line;
            }
        } else if (p->current == NULL) {
            parse_error(p, t[0].column, "indented line outside a rule");
            ok = false;
        } else if (strcmp(t[0].text, "match") == 0) {
            ok = parse_match(p, t, (size_t)nt);
        } else if (strcmp(t[0].text, "action") == 0) {
            ok = parse_action(p, t, (size_t)nt);
        } else if (strcmp(t[0].text, "require") == 0) {
            ok = nt == 2 &&
                 (strcmp(t[1].text, "all") == 0 || strcmp(t[1].text, "any") == 0);
            if (ok)
                p->current->require_all = strcmp(t[1].text, "all") == 0;
            else
                parse_error(p, t[0].column, "expected: require all|any");
        } else {
            ok = parse_condition(p, t, (size_t)nt);
        }
        words_free(t, (size_t)nt);
        if (!ok)
            return false;
    }
    return finish_rule(p, rule_line);
}

static struct rules *rules_new(struct parser *p)
{
    struct rules *rs = calloc(1, sizeof(*rs));
    if (rs == NULL)
        return NULL;
    rs->match_context = pcre2_match_context_create(NULL);
    p->keywords = keywords_new();
    if (rs->match_context == NULL || p->keywords == NULL) {
        pcre2_match_context_free(rs->match_context);
        keywords_free(p->keywords);
        free(rs);
        return NULL;
    }
    pcre2_set_match_limit(rs->match_context, RULES_MATCH_LIMIT);
    p->rs = rs;
    return rs;
}

/* Offers every scanned regex (one per twin group) to the prefilter. */
static int build_prefilter(struct rules *rs)
{
    rs->prefilter = prefilter_new(rs->nmatchers);
    if (rs->prefilter == NULL)
        return -1;
    for (size_t i = 0; i < rs->nmatchers; i++) {
        const struct matcher *m = &rs->matchers[i];
        if (!m->is_regex || m->twin != i)
            continue;
        /* source is "PATTERN/FLAGS"; flags never hold a slash. */
        char *pattern = strdup(m->source);
        if (pattern == NULL)
            return -1;
        char *slash = strrchr(pattern, '/');
        *slash = '\0';
        int rc = prefilter_add(rs->prefilter, (unsigned)i, pattern, slash + 1);
        free(pattern);
        if (rc != 0)
            return -1;
    }
    return prefilter_build(rs->prefilter);
}

static struct rules *rules_finish(struct parser *p, bool ok)
{
    struct rules *rs = p->rs;
    if (ok && keywords_compile(p->keywords, p->err, p->errlen) != 0)
        ok = false;
    rs->keywords = p->keywords;
    /* Matchers moved while growing: point them at their rules now. */
    for (size_t i = 0; i < rs->nrules; i++)
        for (size_t j = 0; j < rs->rules[i].nmatchers; j++)
            rs->matchers[rs->rules[i].first_matcher + j].rule = &rs->rules[i];
    if (ok && build_prefilter(rs) != 0) {
        errbuf_set(p->err, p->errlen, "out of memory");
        ok = false;
    }
    if (!ok) {
        rules_free(rs);
        return NULL;
    }
    return rs;
}

struct rules *rules_parse(const char *text, size_t len, const char *name,
                          const char *base_dir, char *err, size_t errlen)
{
    struct files *fs = files_new();
    struct parser p = {
        .file = name, .base_dir = base_dir, .files = fs, .err = err, .errlen = errlen};
    if (fs == NULL || rules_new(&p) == NULL) {
        files_free(fs);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    struct rules *rs = rules_finish(&p, parse_text(&p, text, len));
    files_free(fs);
    return rs;
}

struct rules *rules_load_from(struct files *fs, const char *dir, char *err, size_t errlen)
{
    struct parser p = {.base_dir = dir, .files = fs, .err = err, .errlen = errlen};
    const char *const *names;
    size_t count;
    char why[512];

    if (files_list(fs, dir, ".rules", &names, &count, why, sizeof(why)) != 0) {
        errbuf_set(err, errlen, "rules_dir %s", why);
        return NULL;
    }
    if (rules_new(&p) == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++) {
        char path[PATH_MAX];
        const char *text;
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (files_read(fs, path, &text, &len, why, sizeof(why)) != 0) {
            errbuf_set(err, errlen, "rules_dir: %s", why);
            ok = false;
            break;
        }
        p.file = path;
        ok = parse_text(&p, text, len);
    }
    return rules_finish(&p, ok);
}

struct rules *rules_load_dir(const char *dir, char *err, size_t errlen)
{
    struct files *fs = files_new();
    if (fs == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    struct rules *rs = rules_load_from(fs, dir, err, errlen);
    files_free(fs);
    return rs;
}

void rules_free(struct rules *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->nrules; i++) {
        struct rule *r = &rs->rules[i];
        for (size_t j = 0; j < r->nconditions; j++) {
            for (size_t k = 0; k < r->conditions[j].npatterns; k++)
                free(r->conditions[j].patterns[k]);
            free(r->conditions[j].patterns);
        }
        free(r->conditions);
        for (size_t j = 0; j < r->nstore; j++)
            free(r->store[j]);
        free(r->store);
        for (size_t j = 0; j < r->nforward; j++)
            free(r->forward[j]);
        free(r->forward);
        free(r->reject_text);
        free(r->name);
    }
    prefilter_free(rs->prefilter);
    for (size_t i = 0; i < rs->nmatchers; i++) {
        pcre2_code_free(rs->matchers[i].re);
        free(rs->matchers[i].source);
        free(rs->matchers[i].header);
    }
    free(rs->rules);
    free(rs->matchers);
    keywords_free(rs->keywords);
    pcre2_match_context_free(rs->match_context);
    free(rs);
}

size_t rules_count(const struct rules *rs)
{
    return rs->nrules;
}

const char *rules_name(const struct rules *rs, size_t i)
{
    return i < rs->nrules ? rs->rules[i].name : NULL;
}
