/*
 * rules_internal - the compiled rule set, shared by rules_parse.c (which
 * builds it) and rules_eval.c (which runs it).  Private to the rules
 * module: nothing outside lib/rules_*.c includes this.
 */
#ifndef SENDWATCH_RULES_INTERNAL_H
#define SENDWATCH_RULES_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywords.h"
#include "prefilter.h"
#include "rules.h"

/* Backtracking budget per regex match: a hostile message cannot stall us. */
#define RULES_MATCH_LIMIT 5000000
#define RULES_SNIPPETS    3  /* kept per matcher */
#define RULES_CONTEXT     24 /* bytes of context on each side of a snippet */
#define RULES_MIN_HOLD    60 /* seconds: action hold takes 1m to 60m */
#define RULES_MAX_HOLD    3600
#define RULES_MAX_COUNT   999999999 /* attachment-count */

enum condition_kind {
    COND_DIRECTION,
    COND_SENDER,
    COND_RECIPIENT,
    COND_SIZE,
    COND_ATTACHMENT_NAME,
    COND_ATTACHMENT_TYPE,
    COND_ATTACHMENT_COUNT,
    COND_FLAG,
};

enum compare_op { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ };

struct condition {
    enum condition_kind kind;
    bool negate;
    char **patterns; /* globs, lower case */
    size_t npatterns;
    enum compare_op op;
    uint64_t number;
    unsigned flag; /* VIEW_* for COND_FLAG */
    bool external; /* for COND_DIRECTION */
};

enum validator { VALIDATE_NONE, VALIDATE_LUHN, VALIDATE_MYNUMBER };

struct matcher {
    unsigned fields; /* VIEW_* mask */
    char *header;    /* for header:NAME, else NULL (then VIEW_HEADER means any header) */
    bool is_regex;
    bool jit; /* compiled for the JIT */
    pcre2_code *re;
    char *source; /* "pattern/flags", to find twins */
    size_t twin;  /* the first matcher with the same regex, validator and
                   * fields (itself if none): twins share one scan */
    enum validator validator;
    unsigned min_count;
    struct rule *rule;
};

enum delivery {
    DELIVERY_UNSET,
    DELIVERY_DELIVER,
    DELIVERY_DISCARD,
    DELIVERY_REJECT,
    DELIVERY_TEMPFAIL,
    DELIVERY_HOLD
};

struct rule {
    char *name;
    struct condition *conditions;
    size_t nconditions;
    size_t first_matcher, nmatchers; /* in rules->matchers */
    bool require_all;
    char **store;
    size_t nstore;
    char **forward;
    size_t nforward;
    enum delivery delivery;
    char *reject_text;
    unsigned hold_seconds;
    bool encrypt; /* "action encrypt": seal the attachments; delivers unless
                   * another action says otherwise */
};

struct rules {
    struct rule *rules;
    size_t nrules;
    struct matcher *matchers;
    size_t nmatchers;
    struct keywords *keywords;
    unsigned keyword_fields; /* fields any keyword matcher looks at */
    pcre2_match_context *match_context;
    struct prefilter *prefilter; /* which regexes may match a text, in one pass */
};

#endif
