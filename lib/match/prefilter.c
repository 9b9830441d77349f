/* prefilter - see prefilter.h. */
#include "prefilter.h"

#include <hs/hs.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct prefilter {
    size_t capacity;
    bool *covered;   /* by id */
    char **patterns; /* offered, in order */
    unsigned *flags, *ids;
    size_t count;
    hs_database_t *db;
    hs_scratch_t *prototype; /* cloned for each scan's scratch */
};

struct prefilter_scratch {
    hs_scratch_t *hs;
};

struct prefilter *prefilter_new(size_t capacity)
{
    struct prefilter *pf = calloc(1, sizeof(*pf));
    if (pf == NULL)
        return NULL;
    pf->capacity = capacity;
    size_t n = capacity ? capacity : 1;
    pf->covered = calloc(n, sizeof(*pf->covered));
    pf->patterns = calloc(n, sizeof(*pf->patterns));
    pf->flags = calloc(n, sizeof(*pf->flags));
    pf->ids = calloc(n, sizeof(*pf->ids));
    if (pf->covered == NULL || pf->patterns == NULL || pf->flags == NULL ||
        pf->ids == NULL) {
        prefilter_free(pf);
        return NULL;
    }
    return pf;
}

static bool has_non_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s & 0x80)
            return true;
    return false;
}

/* Could an inline option group, (?i) or (?mi:...), turn on caseless matching? */
static bool has_inline_caseless(const char *s)
{
    for (const char *p = strstr(s, "(?"); p != NULL; p = strstr(p + 2, "(?"))
        for (const char *q = p + 2; *q && *q != ':' && *q != ')'; q++)
            if (*q == 'i')
                return true;
    return false;
}

/*
 * PATTERN without its word-boundary assertions (\b, \B outside classes),
 * malloc'ed; a copy as it is when that is not clearly safe (\Q...\E
 * quoting, a quantified assertion); NULL when out of memory.  Removing a
 * zero-width assertion only widens what a pattern matches, which is all a
 * prefilter needs - and Hyperscan scans class-heavy patterns such as
 * \b\d{4}-\d{4}\b about twice as fast without them.
 */
static char *relax(const char *pattern)
{
    size_t len = strlen(pattern);
    char *out = malloc(len + 1), *o = out;
    bool in_class = false;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = pattern[i];
        if (c == '\\' && i + 1 < len) {
            char e = pattern[i + 1];
            if (e == 'Q' || (!in_class && (e == 'b' || e == 'B') && i + 2 < len &&
                             strchr("{*+?", pattern[i + 2]) != NULL)) {
                memcpy(out, pattern, len + 1); /* not clearly safe: as it is */
                return out;
            }
            if (!in_class && (e == 'b' || e == 'B')) {
                i++;
                continue;
            }
            *o++ = c;
            *o++ = e;
            i++;
            continue;
        }
        if (in_class) {
            if (c == '[' && i + 1 < len && pattern[i + 1] == ':') {
                /* [:alpha:] inside a class: copy through its ":]" */
                const char *end = strstr(pattern + i + 2, ":]");
                size_t n = end ? (size_t)(end - (pattern + i)) + 2 : len - i;
                memcpy(o, pattern + i, n);
                o += n;
                i += n - 1;
                continue;
            }
            if (c == ']')
                in_class = false;
            *o++ = c;
            continue;
        }
        *o++ = c;
        if (c == '[') {
            /* A ']' first in a class (after an optional '^') is literal. */
            in_class = true;
            if (i + 1 < len && pattern[i + 1] == '^')
                *o++ = pattern[++i];
            if (i + 1 < len && pattern[i + 1] == ']')
                *o++ = pattern[++i];
        }
    }
    *o = '\0';
    return out;
}

int prefilter_add(struct prefilter *pf, unsigned id, const char *pattern,
                  const char *flags)
{
    unsigned hs_flags = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8;
    bool caseless = false;

    if (id >= pf->capacity)
        return 0;
    for (const char *f = flags; *f; f++) {
        switch (*f) {
        case 'i':
            hs_flags |= HS_FLAG_CASELESS;
            caseless = true;
            break;
        case 'm':
            hs_flags |= HS_FLAG_MULTILINE;
            break;
        case 's':
            hs_flags |= HS_FLAG_DOTALL;
            break;
        default:
            return 0; /* x, or anything else: not covered, always run */
        }
    }
    if (has_non_ascii(pattern) && (caseless || has_inline_caseless(pattern)))
        return 0;
    char *copy = relax(pattern);
    if (copy == NULL)
        return -1;
    pf->patterns[pf->count] = copy;
    pf->flags[pf->count] = hs_flags;
    pf->ids[pf->count] = id;
    pf->count++;
    return 0;
}

/* Removes offered pattern I (one Hyperscan could not compile). */
static void drop_offer(struct prefilter *pf, size_t i)
{
    free(pf->patterns[i]);
    memmove(&pf->patterns[i], &pf->patterns[i + 1], (pf->count - i - 1) * sizeof(char *));
    memmove(&pf->flags[i], &pf->flags[i + 1], (pf->count - i - 1) * sizeof(unsigned));
    memmove(&pf->ids[i], &pf->ids[i + 1], (pf->count - i - 1) * sizeof(unsigned));
    pf->count--;
    pf->patterns[pf->count] = NULL; /* moved down */
}

int prefilter_build(struct prefilter *pf)
{
    if (hs_valid_platform() != HS_SUCCESS)
        pf->count = 0; /* no SSSE3: PCRE2 alone (the offers are freed later) */
    /* Each refused pattern is dropped and the rest compiled again. */
    while (pf->count > 0) {
        hs_compile_error_t *error = NULL;
        hs_error_t rc =
            hs_compile_multi((const char *const *)pf->patterns, pf->flags, pf->ids,
                             (unsigned)pf->count, HS_MODE_BLOCK, NULL, &pf->db, &error);
        if (rc == HS_SUCCESS)
            break;
        int bad = error ? error->expression : -1;
        hs_free_compile_error(error);
        if (bad < 0 || (size_t)bad >= pf->count)
            return -1; /* not a pattern's fault: out of memory */
        drop_offer(pf, (size_t)bad);
    }
    if (pf->count > 0 && hs_alloc_scratch(pf->db, &pf->prototype) != HS_SUCCESS)
        return -1;
    for (size_t i = 0; i < pf->count; i++)
        pf->covered[pf->ids[i]] = true;
    return 0;
}

bool prefilter_covers(const struct prefilter *pf, unsigned id)
{
    return pf != NULL && pf->db != NULL && id < pf->capacity && pf->covered[id];
}

size_t prefilter_count(const struct prefilter *pf)
{
    return pf != NULL && pf->db != NULL ? pf->count : 0;
}

void prefilter_free(struct prefilter *pf)
{
    if (pf == NULL)
        return;
    for (size_t i = 0; i < pf->capacity; i++)
        free(pf->patterns[i]);
    hs_free_scratch(pf->prototype);
    hs_free_database(pf->db);
    free(pf->covered);
    free(pf->patterns);
    free(pf->flags);
    free(pf->ids);
    free(pf);
}

struct prefilter_scratch *prefilter_scratch_new(const struct prefilter *pf)
{
    if (prefilter_count(pf) == 0)
        return NULL;
    struct prefilter_scratch *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    if (hs_clone_scratch(pf->prototype, &s->hs) != HS_SUCCESS) {
        free(s);
        return NULL;
    }
    return s;
}

void prefilter_scratch_free(struct prefilter_scratch *s)
{
    if (s == NULL)
        return;
    hs_free_scratch(s->hs);
    free(s);
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    ((bool *)ctx)[id] = true;
    return 0;
}

int prefilter_scan(const struct prefilter *pf, struct prefilter_scratch *s,
                   const char *text, size_t len, bool *maybe)
{
    if (prefilter_count(pf) == 0 || s == NULL || len > UINT_MAX)
        return -1;
    return hs_scan(pf->db, text, (unsigned)len, 0, s->hs, on_match, maybe) == HS_SUCCESS
               ? 0
               : -1;
}
