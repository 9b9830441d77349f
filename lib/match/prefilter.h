/*
 * prefilter - one pass over a text tells which regexes cannot match it.
 *
 * A rule set holds dozens of regexes; running each over a large text
 * (a CSV of thousands of lines) is a pass per regex.  Hyperscan compiles
 * them together, in its prefilter mode, into one automaton that reads the
 * text once and reports every regex that may match.  PCRE2 stays the
 * authority: it runs only for those regexes, and its matches (counts,
 * validators, snippets) are the result.  A "no" from the prefilter must be
 * exact, so a regex is left out (and always run) whenever the two engines
 * could disagree:
 *  - Hyperscan cannot compile it (unsupported syntax, or it matches empty);
 *  - flag x (extended syntax), which Hyperscan does not take as a flag;
 *  - caseless matching of a pattern with non-ASCII characters: PCRE2 folds
 *    Unicode case, Hyperscan without UCP folds ASCII only.  (For ASCII
 *    patterns the one difference, PCRE2 also matching KELVIN SIGN for k and
 *    LONG S for s, cannot occur: texts are NFKC, which maps both to ASCII.)
 * Both engines get the same UTF-8 mode with ASCII \d \w \s \b (no UCP).
 * When Hyperscan is unusable on this CPU, or a scan fails, every regex runs.
 *
 * A built prefilter is read-only and shared; each thread scans with its own
 * scratch.
 */
#ifndef SENDWATCH_PREFILTER_H
#define SENDWATCH_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>

struct prefilter;
struct prefilter_scratch;

/* An empty prefilter for regexes numbered below CAPACITY; NULL when out of memory. */
struct prefilter *prefilter_new(size_t capacity);

/*
 * Offers regex ID (< capacity): PATTERN in PCRE2 syntax (UTF-8), FLAGS a
 * string of i, m, s, x.  Returns 0, or -1 when out of memory.
 */
int prefilter_add(struct prefilter *pf, unsigned id, const char *pattern,
                  const char *flags);

/* Compiles what was offered.  Returns 0, or -1 when out of memory. */
int prefilter_build(struct prefilter *pf);

/* Does the prefilter answer for regex ID?  (Otherwise it must always run.) */
bool prefilter_covers(const struct prefilter *pf, unsigned id);

/* How many regexes it answers for. */
size_t prefilter_count(const struct prefilter *pf);

void prefilter_free(struct prefilter *pf);

/* A scratch for one thread; NULL when out of memory or nothing is covered. */
struct prefilter_scratch *prefilter_scratch_new(const struct prefilter *pf);
void prefilter_scratch_free(struct prefilter_scratch *s);

/*
 * Scans LEN bytes of TEXT (valid UTF-8) and sets MAYBE[id] to true for
 * every covered regex that may match (MAYBE has capacity entries, cleared
 * by the caller).  Returns 0, or -1 when the scan failed: then nothing can
 * be ruled out.
 */
int prefilter_scan(const struct prefilter *pf, struct prefilter_scratch *s,
                   const char *text, size_t len, bool *maybe);

#endif
