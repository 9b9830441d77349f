/*
 * keywords - see keywords.h.
 *
 * Hyperscan's literal API (hs_compile_lit_multi) takes the keywords as
 * bytes, NULs included, with no regex syntax to escape.  Caseless literals
 * outside UTF-8 mode fold ASCII letters only, which is the matching this
 * module promises.  Each literal is numbered by its place in the list; the
 * list gives back the caller's id and the length (so the start of a hit).
 */
#include "keywords.h"

#include "errbuf.h"

#include <hs/hs.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct keywords_entry {
    char *word; /* until compile */
    size_t len;
    unsigned id;
};

struct keywords {
    struct keywords_entry *entries;
    size_t count, cap;
    bool compiled;
    hs_database_t *db;       /* NULL for an empty set */
    hs_scratch_t *prototype; /* cloned for each thread's scratch */
};

struct keywords_scratch {
    hs_scratch_t *hs;
};

struct keywords *keywords_new(void)
{
    return calloc(1, sizeof(struct keywords));
}

void keywords_free(struct keywords *kw)
{
    if (kw == NULL)
        return;
    for (size_t i = 0; i < kw->count; i++)
        free(kw->entries[i].word);
    free(kw->entries);
    hs_free_scratch(kw->prototype);
    hs_free_database(kw->db);
    free(kw);
}

int keywords_add(struct keywords *kw, const char *word, size_t len, unsigned id)
{
    if (kw->compiled || len == 0 || kw->count >= UINT_MAX)
        return -1;
    if (kw->count == kw->cap) {
        size_t cap = kw->cap ? kw->cap * 2 : 64;
        struct keywords_entry *grown = realloc(kw->entries, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        kw->entries = grown;
        kw->cap = cap;
    }
    char *copy = malloc(len);
    if (copy == NULL)
        return -1;
    memcpy(copy, word, len);
    kw->entries[kw->count++] = (struct keywords_entry){copy, len, id};
    return 0;
}

int keywords_compile(struct keywords *kw, char *err, size_t errlen)
{
    const char **words = NULL;
    unsigned *flags = NULL, *ids = NULL;
    size_t *lens = NULL;
    int rc = -1;

    if (kw->compiled) {
        errbuf_set(err, errlen, "keywords compiled twice");
        return -1;
    }
    if (kw->count == 0) {
        kw->compiled = true;
        return 0;
    }
    if (hs_valid_platform() != HS_SUCCESS) {
        errbuf_set(err, errlen,
                   "keyword matching needs Hyperscan, which does not run "
                   "on this CPU (it needs SSSE3)");
        return -1;
    }
    words = malloc(kw->count * sizeof(*words));
    flags = malloc(kw->count * sizeof(*flags));
    ids = malloc(kw->count * sizeof(*ids));
    lens = malloc(kw->count * sizeof(*lens));
    if (words == NULL || flags == NULL || ids == NULL || lens == NULL) {
        errbuf_set(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < kw->count; i++) {
        words[i] = kw->entries[i].word;
        lens[i] = kw->entries[i].len;
        flags[i] = HS_FLAG_CASELESS;
        ids[i] = (unsigned)i;
    }
    hs_compile_error_t *error = NULL;
    if (hs_compile_lit_multi(words, flags, ids, lens, (unsigned)kw->count, HS_MODE_BLOCK,
                             NULL, &kw->db, &error) != HS_SUCCESS) {
        errbuf_set(err, errlen, "cannot compile the keywords: %s",
                   error ? error->message : "unknown error");
        hs_free_compile_error(error);
        goto done;
    }
    if (hs_alloc_scratch(kw->db, &kw->prototype) != HS_SUCCESS) {
        errbuf_set(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < kw->count; i++) {
        free(kw->entries[i].word);
        kw->entries[i].word = NULL;
    }
    kw->compiled = true;
    rc = 0;
done:
    free(words);
    free(flags);
    free(ids);
    free(lens);
    return rc;
}

struct keywords_scratch *keywords_scratch_new(const struct keywords *kw)
{
    struct keywords_scratch *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    if (kw->prototype != NULL && hs_clone_scratch(kw->prototype, &s->hs) != HS_SUCCESS) {
        free(s);
        return NULL;
    }
    return s;
}

void keywords_scratch_free(struct keywords_scratch *s)
{
    if (s == NULL)
        return;
    hs_free_scratch(s->hs);
    free(s);
}

struct scan {
    const struct keywords *kw;
    void (*hit)(void *ctx, unsigned id, size_t start, size_t end);
    void *ctx;
};

static int on_match(unsigned int index, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ctx)
{
    const struct scan *scan = ctx;
    const struct keywords_entry *e = &scan->kw->entries[index];
    (void)from; /* Hyperscan gives no start without SOM; the length does */
    (void)flags;
    scan->hit(scan->ctx, e->id, (size_t)to - e->len, (size_t)to);
    return 0;
}

int keywords_scan(const struct keywords *kw, struct keywords_scratch *s, const char *text,
                  size_t len,
                  void (*hit)(void *ctx, unsigned id, size_t start, size_t end),
                  void *ctx)
{
    if (!kw->compiled)
        return -1;
    if (kw->db == NULL)
        return 0; /* no keywords: nothing can match */
    if (s == NULL || s->hs == NULL || len > UINT_MAX)
        return -1;
    struct scan scan = {kw, hit, ctx};
    return hs_scan(kw->db, text, (unsigned)len, 0, s->hs, on_match, &scan) == HS_SUCCESS
               ? 0
               : -1;
}
