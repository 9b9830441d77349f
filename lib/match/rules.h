/*
 * rules - the admin's leak-prevention rules: parsed, compiled once, and
 * evaluated against a message view.
 *
 * Files: every rules_dir/NAME.rules, read in name order.  A rule starts with
 * "rule NAME" at the start of a line; its other lines are indented:
 *
 *   rule card-numbers
 *       direction external
 *       not sender *@audit.example.com
 *       match body,attachment-text regex /\b(?:\d[ -]?){13,19}\b/ validate luhn count 2
 *       action store cards
 *       action deliver
 *
 * Conditions (each may start with "not"): direction internal|external,
 * sender GLOB..., recipient GLOB..., size OP SIZE, attachment-name GLOB...,
 * attachment-type GLOB..., attachment-count OP N, encrypted-archive,
 * malformed, limit-exceeded, suspicious-name, encrypted-message,
 * partial-message.  OP is > >= < <= =.  An attachment-name GLOB is tested
 * against every name of every attachment; only * and ? are wildcards, and
 * ASCII case is ignored.
 * Matchers: match FIELDS keywords "WORD"... | keywords-file FILE |
 * regex /PATTERN/FLAGS (flags i m s x), optionally "validate luhn|mynumber"
 * and "count N".  FIELDS is a comma list of subject, body, attachment-name,
 * attachment-text, header:NAME, any.  "require all" makes every matcher
 * necessary (default: any one).  Actions: store FOLDER, forward ADDRESS,
 * deliver, discard, reject "TEXT", tempfail, hold DURATION (1m to 60m),
 * encrypt (seal the attachments as the encryption policy says; on its own
 * it delivers).
 * SIZE, DURATION, N, ADDRESS, FOLDER and NAME are read by parse.h's
 * parse_size, parse_duration, parse_number, parse_address and parse_name.
 *
 * A rule matches when all its conditions hold and its matchers are
 * satisfied (a rule without matchers matches on its conditions alone).
 * Across the matching rules: reject beats tempfail; otherwise the original
 * recipients get the message only if every matching rule says deliver or
 * hold (so "store" alone quarantines and "forward" alone redirects), the
 * longest hold wins, and every store and forward is carried out.
 *
 * Keywords are NFKC-normalised like the text and matched in one
 * Hyperscan literal pass for all rules; regexes are PCRE2 in UTF mode, JIT
 * compiled, with a match limit, run only where one Hyperscan prefilter
 * pass over the text says they may match.  Errors are reported as
 * "FILE:LINE:COLUMN: message".
 *
 * A compiled rule set is immutable and may be shared by threads; each
 * evaluation has its own verdict.  Strings in a verdict that are not
 * snippets (rule names, folders, addresses, reject text) are borrowed from
 * the rule set and live as long as it does.  This module never logs.
 */
#ifndef SENDWATCH_RULES_H
#define SENDWATCH_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "view.h"

struct rules;

/* Loads every DIR/ *.rules file in name order.  NULL with ERR on any problem. */
struct rules *rules_load_dir(const char *dir, char *err, size_t errlen);

/* The same, reading the directory, the files and their keyword files
 * through FS (see files.h). */
struct files;
struct rules *rules_load_from(struct files *fs, const char *dir, char *err,
                              size_t errlen);

/*
 * Parses TEXT as the file NAME (keywords-file paths are relative to
 * BASE_DIR).  NULL with ERR on any problem.
 */
struct rules *rules_parse(const char *text, size_t len, const char *name,
                          const char *base_dir, char *err, size_t errlen);

void rules_free(struct rules *rs);
size_t rules_count(const struct rules *rs);
/* The name of rule I (0 <= I < rules_count), in file order. */
const char *rules_name(const struct rules *rs, size_t i);

struct rules_envelope {
    const char *sender;
    const char *const *recipients;
    size_t nrecipients;
    uint64_t size;
    const char *const
        *internal_domains; /* NULL-terminated; ".example" covers subdomains */
};

struct rules_hit {
    const char *rule; /* borrowed */
    enum view_field field;
    const char
        *header;    /* header name for VIEW_HEADER, else NULL (borrowed from the view) */
    int attachment; /* -1 if none */
    char *snippet;  /* owned: the match with some context, one line */
    size_t match_at, match_len; /* where in the snippet the match itself is */
};

struct rules_verdict {
    const char **matched; /* names of the matching rules, in rule order */
    size_t nmatched;
    struct rules_hit *hits;
    size_t nhits;
    const char **store; /* quarantine folders, each once */
    size_t nstore;
    const char **forward; /* addresses to add, each once */
    size_t nforward;
    bool deliver_original;   /* false: the original recipients must not get it */
    unsigned hold_seconds;   /* 0: no hold */
    const char *reject_text; /* set: reject with 550 5.7.1 and this text */
    bool tempfail;
    bool encrypt;    /* a matching rule says "action encrypt" */
    bool external;   /* some recipient is outside internal_domains */
    char error[256]; /* set when a matcher could not run: fail closed */
};

/*
 * Evaluates every rule against VIEW and ENV.  Returns 0 with VERDICT filled
 * (release it with rules_verdict_free()), -1 when out of memory.  A matcher
 * that cannot run (a PCRE2 match limit) sets verdict->error; the caller
 * must then fail closed.
 */
int rules_evaluate(const struct rules *rs, const struct view *view,
                   const struct rules_envelope *env, struct rules_verdict *verdict);
void rules_verdict_free(struct rules_verdict *verdict);

/* Check digits, exposed for tests. */
bool rules_luhn_valid(const char *digits, size_t len);
bool rules_mynumber_valid(const char *digits, size_t len);

#endif
