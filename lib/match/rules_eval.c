/* rules - see rules.h.  This half runs a compiled set over a message's view. */
#include "rules_internal.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"

/* ------------------------------------------------------------- evaluation */

bool rules_luhn_valid(const char *digits, size_t len)
{
    unsigned sum = 0, n = 0;
    for (size_t i = len; i-- > 0;) {
        if (digits[i] < '0' || digits[i] > '9')
            continue;
        unsigned d = (unsigned)(digits[i] - '0');
        if (n % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        n++;
    }
    return n >= 12 && n <= 19 && sum % 10 == 0;
}

/* The Japanese Individual Number: 11 digits and a check digit. */
bool rules_mynumber_valid(const char *digits, size_t len)
{
    int d[12], n = 0;
    for (size_t i = 0; i < len; i++) {
        if (digits[i] >= '0' && digits[i] <= '9') {
            if (n == 12)
                return false;
            d[n++] = digits[i] - '0';
        }
    }
    if (n != 12)
        return false;
    int sum = 0;
    for (int k = 1; k <= 11; k++) {
        int p = d[11 - k]; /* P_k counts from the digit left of the check digit */
        int q = k <= 6 ? k + 1 : k - 5;
        sum += p * q;
    }
    int r = sum % 11;
    int check = r <= 1 ? 0 : 11 - r;
    return check == d[11];
}

/* Per-evaluation state. */
struct eval {
    const struct rules *rs;
    const struct view *view;
    unsigned *counts; /* per matcher */
    bool *candidate;  /* per rule: conditions hold */
    struct rules_verdict *v;
    const struct view_text *text; /* being scanned */
    bool failed;
};

static bool glob_any(char *const *patterns, size_t n, const char *value)
{
    for (size_t i = 0; i < n; i++)
        if (fnmatch(patterns[i], value, FNM_CASEFOLD) == 0)
            return true;
    return false;
}

/* Steps over one UTF-8 character of S (at least one byte). */
static const char *utf8_next(const char *s)
{
    s++;
    while (((unsigned char)*s & 0xc0) == 0x80)
        s++;
    return s;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * An attachment-name glob: "*" is any run of characters, "?" one
 * character, and every other character itself - "[" and backslash too, as file
 * names have them ("report[1].xlsx" is a literal name, not a character
 * class as fnmatch(3) would read it).  ASCII letters match in either case:
 * ".EXE" runs like ".exe" (PATTERN was lower-cased when parsed).
 */
static bool name_glob(const char *pattern, const char *name)
{
    const char *star = NULL, *resume = NULL;

    while (*name != '\0') {
        if (*pattern == '*') {
            star = ++pattern;
            resume = name;
        } else if (*pattern == '?') {
            pattern++;
            name = utf8_next(name);
        } else if (*pattern != '\0' && *pattern == ascii_lower(*name)) {
            pattern++;
            name++;
        } else if (star != NULL) {
            /* Let the last star take one more character, and retry. */
            pattern = star;
            name = resume = utf8_next(resume);
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

/* Does any name of attachment A (or "" when it has none) match a pattern? */
static bool attachment_name_matches(char *const *patterns, size_t n,
                                    const struct view_attachment *a)
{
    for (size_t i = 0; i < n; i++) {
        if (a->nnames == 0 && name_glob(patterns[i], ""))
            return true;
        for (size_t j = 0; j < a->nnames; j++)
            if (name_glob(patterns[i], a->names[j]))
                return true;
    }
    return false;
}

/* ADDRESS matches "user@dom", "*@dom" or "@dom" (domain only). */
static bool address_pattern_matches(const char *pat, const char *address)
{
    if (pat[0] == '@') {
        const char *at = strrchr(address, '@');
        return at && strcasecmp(at, pat) == 0;
    }
    return fnmatch(pat, address, FNM_CASEFOLD) == 0;
}

/*
 * Does ADDRESS match a pattern?  An address that Postfix may route
 * elsewhere than its last '@' says (address.h: "bob%evil.example@corp.example")
 * has two readings, as written and where it goes next, and the rule must
 * fail closed either way: a condition that holds (sender, recipient) holds
 * when either reading matches; under "not" (NEGATED) the address counts as
 * matching only when both do.  So neither "recipient @evil.example" nor
 * "not recipient @corp.example" is dodged by a percent hack.
 */
static bool address_matches(char *const *patterns, size_t n, const char *address,
                            bool negated)
{
    char routed[4096]; /* far beyond what Postfix takes in a command line */
    bool two = address_destination(address, routed, sizeof(routed));
    bool as_written = false, as_routed = false;

    if (two && routed[0] == '\0')
        return !negated; /* cannot tell where it goes: fail closed either way */
    for (size_t i = 0; i < n; i++) {
        as_written = as_written || address_pattern_matches(patterns[i], address);
        as_routed = as_routed || (two && address_pattern_matches(patterns[i], routed));
    }
    if (!two)
        return as_written;
    return negated ? as_written && as_routed : as_written || as_routed;
}

static bool compare(uint64_t a, enum compare_op op, uint64_t b)
{
    switch (op) {
    case OP_GT:
        return a > b;
    case OP_GE:
        return a >= b;
    case OP_LT:
        return a < b;
    case OP_LE:
        return a <= b;
    case OP_EQ:
        return a == b;
    }
    return false;
}

static bool condition_holds(const struct condition *c, const struct view *view,
                            const struct rules_envelope *env, bool external)
{
    bool holds = false;
    size_t natt = view_attachment_count(view);

    switch (c->kind) {
    case COND_DIRECTION:
        holds = c->external == external;
        break;
    case COND_SENDER:
        holds = address_matches(c->patterns, c->npatterns, env->sender ? env->sender : "",
                                c->negate);
        break;
    case COND_RECIPIENT:
        for (size_t i = 0; i < env->nrecipients && !holds; i++)
            holds =
                address_matches(c->patterns, c->npatterns, env->recipients[i], c->negate);
        break;
    case COND_SIZE:
        holds = compare(env->size, c->op, c->number);
        break;
    case COND_ATTACHMENT_NAME:
        for (size_t i = 0; i < natt && !holds; i++)
            holds = attachment_name_matches(c->patterns, c->npatterns,
                                            view_attachment_at(view, i));
        break;
    case COND_ATTACHMENT_TYPE:
        for (size_t i = 0; i < natt && !holds; i++)
            holds = glob_any(c->patterns, c->npatterns,
                             view_attachment_at(view, i)->content_type);
        break;
    case COND_ATTACHMENT_COUNT:
        holds = compare(natt, c->op, c->number);
        break;
    case COND_FLAG:
        holds = (view_flags(view) & c->flag) != 0;
        break;
    }
    return holds != c->negate;
}

/*
 * A one-line snippet of TEXT around [start, end), cut at UTF-8 boundaries;
 * where it starts in TEXT into *FROM_OUT.
 */
static char *make_snippet(const char *text, size_t len, size_t start, size_t end,
                          size_t *from_out)
{
    size_t from = start > RULES_CONTEXT ? start - RULES_CONTEXT : 0;
    size_t to = end + RULES_CONTEXT < len ? end + RULES_CONTEXT : len;
    while (from > 0 && ((unsigned char)text[from] & 0xc0) == 0x80)
        from--;
    while (to < len && ((unsigned char)text[to] & 0xc0) == 0x80)
        to++;
    char *s = malloc(to - from + 1);
    if (s == NULL)
        return NULL;
    *from_out = from;
    for (size_t i = from; i < to; i++)
        s[i - from] =
            (text[i] == '\n' || text[i] == '\r' || text[i] == '\t') ? ' ' : text[i];
    s[to - from] = '\0';
    return s;
}

static void record_hit(struct eval *e, const struct matcher *m, size_t start, size_t end)
{
    size_t id = (size_t)(m - e->rs->matchers);
    if (++e->counts[id] > RULES_SNIPPETS)
        return;
    struct rules_verdict *v = e->v;
    struct rules_hit *grown = realloc(v->hits, (v->nhits + 1) * sizeof(*grown));
    if (grown == NULL) {
        e->failed = true;
        return;
    }
    v->hits = grown;
    struct rules_hit *h = &v->hits[v->nhits];
    h->rule = m->rule->name;
    h->field = e->text->field;
    h->header = e->text->name;
    h->attachment = e->text->attachment;
    size_t from = 0;
    h->snippet = make_snippet(e->text->text, e->text->len, start, end, &from);
    h->match_at = start - from;
    h->match_len = end - start;
    if (h->snippet == NULL) {
        e->failed = true;
        return;
    }
    v->nhits++;
}

/* Does matcher M look at text T? */
static bool matcher_sees(const struct matcher *m, const struct view_text *t)
{
    if (!(m->fields & t->field))
        return false;
    if (t->field == VIEW_HEADER && m->header != NULL)
        return t->name != NULL && strcasecmp(t->name, m->header) == 0;
    return true;
}

static void keyword_hit(void *ctx, unsigned id, size_t start, size_t end)
{
    struct eval *e = ctx;
    const struct matcher *m = &e->rs->matchers[id];
    if (e->candidate[m->rule - e->rs->rules] && matcher_sees(m, e->text))
        record_hit(e, m, start, end);
}

/* Is twin matcher M of a candidate rule, looking at this text, still counting? */
static bool regex_wanted(const struct eval *e, const struct matcher *m)
{
    size_t id = (size_t)(m - e->rs->matchers);
    return e->candidate[m->rule - e->rs->rules] && matcher_sees(m, e->text) &&
           !(e->counts[id] >= m->min_count && e->counts[id] >= RULES_SNIPPETS);
}

/* Does any member of the twin group of regex PRIMARY still want this text? */
static bool group_wanted(const struct eval *e, size_t primary)
{
    const struct matcher *all = e->rs->matchers;
    for (size_t j = primary; j < e->rs->nmatchers; j++)
        if (all[j].twin == primary && regex_wanted(e, &all[j]))
            return true;
    return false;
}

/* Scans the text with the regex of twin group PRIMARY, for all its members. */
static void run_regex(struct eval *e, const struct matcher *m, pcre2_match_data *md)
{
    const struct view_text *t = e->text;
    const struct matcher *all = e->rs->matchers;
    size_t primary = (size_t)(m - all), n = e->rs->nmatchers;
    PCRE2_SIZE offset = 0;

    /* Enough for every member's verdict and snippets: stop early. */
    while (offset <= t->len && group_wanted(e, primary)) {
        /* The JIT entry point skips the interpreter's option checks: it
         * matters for texts with many matches (a CSV of addresses). */
        int rc = m->jit ? pcre2_jit_match(m->re, (PCRE2_SPTR)t->text, t->len, offset,
                                          PCRE2_NO_UTF_CHECK, md, e->rs->match_context)
                        : pcre2_match(m->re, (PCRE2_SPTR)t->text, t->len, offset,
                                      PCRE2_NO_UTF_CHECK, md, e->rs->match_context);
        if (rc == PCRE2_ERROR_NOMATCH)
            return;
        if (rc < 0) {
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(rc, msg, sizeof(msg));
            snprintf(e->v->error, sizeof(e->v->error), "rule %s: regex match failed: %s",
                     m->rule->name, (const char *)msg);
            return;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t start = ov[0], end = ov[1];
        bool valid = true;
        if (m->validator == VALIDATE_LUHN)
            valid = rules_luhn_valid(t->text + start, end - start);
        else if (m->validator == VALIDATE_MYNUMBER)
            valid = rules_mynumber_valid(t->text + start, end - start);
        for (size_t j = primary; valid && j < n; j++)
            if (all[j].twin == primary && regex_wanted(e, &all[j]))
                record_hit(e, &all[j], start, end);
        /* Next search after this match; an empty match moves one character. */
        offset = end > start ? end : end + 1;
        while (offset < t->len && ((unsigned char)t->text[offset] & 0xc0) == 0x80)
            offset++;
    }
}

static int push_unique(const char ***list, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], s) == 0)
            return 0;
    const char **grown = realloc(*list, (*n + 1) * sizeof(**list));
    if (grown == NULL)
        return -1;
    *list = grown;
    grown[(*n)++] = s;
    return 0;
}

/* Folds the matched rule R into the verdict (see rules.h for the order). */
static int apply_rule(struct rules_verdict *v, const struct rule *r)
{
    const char **grown = realloc(v->matched, (v->nmatched + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    v->matched = grown;
    v->matched[v->nmatched++] = r->name;
    for (size_t i = 0; i < r->nstore; i++)
        if (push_unique(&v->store, &v->nstore, r->store[i]) != 0)
            return -1;
    for (size_t i = 0; i < r->nforward; i++)
        if (push_unique(&v->forward, &v->nforward, r->forward[i]) != 0)
            return -1;
    switch (r->delivery) {
    case DELIVERY_REJECT:
        if (v->reject_text == NULL)
            v->reject_text = r->reject_text;
        break;
    case DELIVERY_TEMPFAIL:
        v->tempfail = true;
        break;
    case DELIVERY_HOLD:
        if (r->hold_seconds > v->hold_seconds)
            v->hold_seconds = r->hold_seconds;
        break;
    case DELIVERY_DELIVER:
        break;
    case DELIVERY_UNSET:
        /* encrypt alone delivers, sealed; with store or forward it is their
         * quarantine or redirect, sealed. */
        if (r->encrypt && r->nstore == 0 && r->nforward == 0)
            break;
        v->deliver_original = false;
        break;
    case DELIVERY_DISCARD:
        v->deliver_original = false;
        break;
    }
    v->encrypt = v->encrypt || r->encrypt;
    return 0;
}

/*
 * Long on purpose: the conditions, the two prefilter passes and the
 * per-text scans share one candidate set, one match-data block and one
 * scratch per engine, allocated once per message; split up, each part
 * would need them all passed in, and the hot loop would pay for it.
 */
int rules_evaluate(const struct rules *rs, const struct view *view,
                   const struct rules_envelope *env, struct rules_verdict *v)
{
    struct eval e = {.rs = rs, .view = view, .v = v};
    pcre2_match_data *md = NULL;
    struct prefilter_scratch *scratch = NULL;
    struct keywords_scratch *kw_scratch = NULL;
    bool *maybe = NULL;
    int rc = -1;

    memset(v, 0, sizeof(*v));
    v->deliver_original = true;
    for (size_t i = 0; i < env->nrecipients && !v->external; i++)
        v->external = !address_is_internal(env->recipients[i], env->internal_domains);
    if (rs->nrules == 0)
        return 0;

    e.counts = calloc(rs->nmatchers ? rs->nmatchers : 1, sizeof(*e.counts));
    e.candidate = calloc(rs->nrules, sizeof(*e.candidate));
    md = pcre2_match_data_create(1, NULL);
    maybe = calloc(rs->nmatchers ? rs->nmatchers : 1, sizeof(*maybe));
    if (e.counts == NULL || e.candidate == NULL || md == NULL || maybe == NULL)
        goto done;
    /* Without a scratch (out of memory) every scan "fails": all regexes run. */
    scratch = prefilter_scratch_new(rs->prefilter);
    kw_scratch = keywords_scratch_new(rs->keywords); /* NULL: scans fail, closed */

    /* Conditions first: they are cheap and spare the scanning. */
    unsigned keyword_fields = 0;
    bool any_regex = false;
    for (size_t i = 0; i < rs->nrules; i++) {
        const struct rule *r = &rs->rules[i];
        bool ok = true;
        for (size_t j = 0; j < r->nconditions && ok; j++)
            ok = condition_holds(&r->conditions[j], view, env, v->external);
        e.candidate[i] = ok;
        for (size_t j = 0; ok && j < r->nmatchers; j++) {
            const struct matcher *m = &rs->matchers[r->first_matcher + j];
            if (m->is_regex)
                any_regex = true;
            else
                keyword_fields |= m->fields;
        }
    }

    /* One pass per text finds every keyword of every rule. */
    size_t ntexts = view_text_count(view);
    for (size_t t = 0; t < ntexts && !e.failed; t++) {
        e.text = view_text_at(view, t);
        if ((keyword_fields & e.text->field) &&
            keywords_scan(rs->keywords, kw_scratch, e.text->text, e.text->len,
                          keyword_hit, &e) != 0 &&
            v->error[0] == '\0')
            snprintf(v->error, sizeof(v->error), "keyword scan failed");
        if (!any_regex)
            continue;
        bool prefiltered = false;
        for (size_t m = 0; m < rs->nmatchers && !e.failed; m++) {
            const struct matcher *mt = &rs->matchers[m];
            if (!mt->is_regex || mt->twin != m)
                continue;
            if (prefilter_covers(rs->prefilter, (unsigned)m)) {
                if (!group_wanted(&e, m))
                    continue;
                /* One pass tells which of the regexes can match this text;
                 * if it fails, all of them run. */
                if (!prefiltered) {
                    memset(maybe, 0, rs->nmatchers * sizeof(*maybe));
                    if (prefilter_scan(rs->prefilter, scratch, e.text->text, e.text->len,
                                       maybe) != 0)
                        memset(maybe, 1, rs->nmatchers * sizeof(*maybe));
                    prefiltered = true;
                }
                if (!maybe[m])
                    continue;
            }
            run_regex(&e, mt, md); /* for every twin that wants it */
        }
    }
    if (e.failed)
        goto done;

    /* Which rules match, and what they ask for together. */
    for (size_t i = 0; i < rs->nrules; i++) {
        const struct rule *r = &rs->rules[i];
        if (!e.candidate[i])
            continue;
        bool matched = r->nmatchers == 0 || r->require_all;
        for (size_t j = 0; j < r->nmatchers; j++) {
            const struct matcher *m = &rs->matchers[r->first_matcher + j];
            bool ok = e.counts[r->first_matcher + j] >= m->min_count;
            matched = r->require_all ? matched && ok : matched || ok;
        }
        if (matched && apply_rule(v, r) != 0)
            goto done;
    }
    /* Drop the snippets of rules that did not match in the end. */
    size_t kept = 0;
    for (size_t i = 0; i < v->nhits; i++) {
        bool matched = false;
        for (size_t j = 0; j < v->nmatched && !matched; j++)
            matched = v->hits[i].rule == v->matched[j];
        if (matched)
            v->hits[kept++] = v->hits[i];
        else
            free(v->hits[i].snippet);
    }
    v->nhits = kept;
    if (v->reject_text != NULL || v->tempfail)
        v->hold_seconds = 0;
    rc = 0;
done:
    prefilter_scratch_free(scratch);
    keywords_scratch_free(kw_scratch);
    free(maybe);
    pcre2_match_data_free(md);
    free(e.counts);
    free(e.candidate);
    if (rc != 0)
        rules_verdict_free(v);
    return rc;
}

void rules_verdict_free(struct rules_verdict *v)
{
    for (size_t i = 0; i < v->nhits; i++)
        free(v->hits[i].snippet);
    free(v->hits);
    free(v->matched);
    free(v->store);
    free(v->forward);
    memset(v, 0, sizeof(*v));
}
