/*
 * keywords - find many keywords in one pass (Aho-Corasick).
 *
 * All keywords of all rules go into one automaton, so scanning a text costs
 * the same for 10 keywords or 1,000: one table lookup per byte, plus the
 * hits.  Matching is on bytes of UTF-8 with ASCII letters folded to lower
 * case (non-ASCII letters match as written; the normalize module has
 * already turned full-width Latin into ASCII).
 *
 * Build: keywords_new(), keywords_add() for each keyword with the caller's
 * id, keywords_compile().  A compiled set is immutable: any number of
 * threads may scan with it at once.  keywords_free() releases it.
 */
#ifndef SENDWATCH_KEYWORDS_H
#define SENDWATCH_KEYWORDS_H

#include <stddef.h>

struct keywords;

struct keywords *keywords_new(void);
void keywords_free(struct keywords *kw);

/* Adds WORD (LEN > 0 bytes) reported as ID.  0, or -1 when out of memory. */
int keywords_add(struct keywords *kw, const char *word, size_t len, unsigned id);

/* Builds the automaton.  0, or -1 when out of memory.  No adds after it. */
int keywords_compile(struct keywords *kw);

/*
 * Calls HIT(CTX, id, start, end) for every occurrence in TEXT, overlapping
 * ones included, in order of END; START and END are byte offsets of the
 * occurrence ([start, end)).
 */
void keywords_scan(const struct keywords *kw, const char *text, size_t len,
                   void (*hit)(void *ctx, unsigned id, size_t start, size_t end),
                   void *ctx);

#endif
