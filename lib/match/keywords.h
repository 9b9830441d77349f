/*
 * keywords - find many keywords in one pass.
 *
 * All keywords of all rules go into one Hyperscan literal database, so
 * scanning a text costs about the same for 10 keywords or 1,000: one pass
 * at several GB/s, plus the hits.  Matching is on bytes of UTF-8 with ASCII
 * letters folded to lower case (non-ASCII letters match as written; the
 * normalize module has already turned full-width Latin into ASCII).
 *
 * Build: keywords_new(), keywords_add() for each keyword with the caller's
 * id, keywords_compile().  A compiled set is immutable: any number of
 * threads may scan with it at once, each with its own scratch
 * (keywords_scratch_new()).  keywords_free() releases it.
 */
#ifndef SENDWATCH_KEYWORDS_H
#define SENDWATCH_KEYWORDS_H

#include <stddef.h>

struct keywords;
struct keywords_scratch;

struct keywords *keywords_new(void);
void keywords_free(struct keywords *kw);

/* Adds WORD (LEN > 0 bytes) reported as ID.  0, or -1 when out of memory. */
int keywords_add(struct keywords *kw, const char *word, size_t len, unsigned id);

/*
 * Builds the database.  0, or -1 with ERR filled (out of memory, or a CPU
 * Hyperscan cannot run on: then no keyword could ever match, so loading
 * rules must fail).  No adds after it.
 */
int keywords_compile(struct keywords *kw, char *err, size_t errlen);

/* A scratch for one thread's scans; NULL when out of memory. */
struct keywords_scratch *keywords_scratch_new(const struct keywords *kw);
void keywords_scratch_free(struct keywords_scratch *s);

/*
 * Calls HIT(CTX, id, start, end) for every occurrence in TEXT, overlapping
 * ones included, in order of END (occurrences ending at the same byte in
 * no particular order); START and END are byte offsets of the occurrence
 * ([start, end)).  Returns 0, or -1 when the scan failed (then the hits
 * are incomplete and the caller must not trust "no match").
 */
int keywords_scan(const struct keywords *kw, struct keywords_scratch *s, const char *text,
                  size_t len,
                  void (*hit)(void *ctx, unsigned id, size_t start, size_t end),
                  void *ctx);

#endif
