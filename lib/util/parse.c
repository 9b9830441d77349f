/*
 * parse - see parse.h.  Each checker finds the first problem and says
 * where; parse_fail() turns it into "expected E; PROBLEM".
 */
#include "parse.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"

#define PARSE_NOWHERE SIZE_MAX

/* The first thing wrong with a value: a byte offset and a predicate, or a phrase. */
struct parse_problem {
    size_t off;       /* the bad byte, or PARSE_NOWHERE */
    const char *what; /* "is not a digit" after the byte, or a phrase of its own */
};

static const char size_expected[] = "bytes, optionally with a k, m or g suffix";
static const char duration_expected[] = "a number and a unit s, m, h or d";
static const char name_expected[] = "letters, digits, '.', '_' or '-'";
static const char domain_expected[] = "a domain name of letters, digits, '-' and '.'";
static const char node_name_expected[] =
    "a node name of letters, digits and '-', at most 63 characters";

static bool parse_problem_at(struct parse_problem *pb, size_t off, const char *what)
{
    pb->off = off;
    pb->what = what;
    return false;
}

/* Writes "expected EXPECTED; PROBLEM" into WHY; returns -1 for the caller to return. */
static int parse_fail(char *why, size_t whylen, const char *expected, const char *s,
                      const struct parse_problem *pb)
{
    unsigned char c;
    char shown[16];

    if (pb->off == PARSE_NOWHERE) {
        errbuf_set(why, whylen, "expected %s; %s", expected, pb->what);
        return -1;
    }
    c = (unsigned char)s[pb->off];
    if (c == '\'')
        snprintf(shown, sizeof(shown), "\"'\"");
    else if (c >= 0x20 && c < 0x7f)
        snprintf(shown, sizeof(shown), "'%c'", c);
    else
        snprintf(shown, sizeof(shown), "byte 0x%02x", c);
    /* Bytes before the bad one are ASCII, so bytes and characters agree. */
    errbuf_set(why, whylen, "expected %s; %s at column %zu %s", expected, shown,
               pb->off + 1, pb->what);
    return -1;
}

static bool parse_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Reads the digits of S from *POS on into *N, leaving *POS after them.
 * At least one digit; false on none or on overflow.
 */
static bool parse_digits(const char *s, size_t *pos, unsigned long long *n,
                         struct parse_problem *pb)
{
    unsigned long long v = 0;
    size_t i = *pos;

    if (s[i] == '\0')
        return parse_problem_at(pb, PARSE_NOWHERE,
                                i == 0 ? "the value is empty" : "the number is missing");
    if (!parse_is_digit(s[i]))
        return parse_problem_at(pb, i, "is not a digit");
    for (; parse_is_digit(s[i]); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return parse_problem_at(pb, PARSE_NOWHERE, "the number is too large");
        v = v * 10 + d;
    }
    *n = v;
    *pos = i;
    return true;
}

/* N * MULT into *OUT; false on overflow. */
static bool parse_scale(unsigned long long n, unsigned long long mult,
                        unsigned long long *out, struct parse_problem *pb)
{
    if (n != 0 && mult > ULLONG_MAX / n)
        return parse_problem_at(pb, PARSE_NOWHERE, "the number is too large");
    *out = n * mult;
    return true;
}

int parse_number(const char *s, unsigned long long *n, char *why, size_t whylen)
{
    struct parse_problem pb;
    unsigned long long v;
    size_t pos = 0;

    if (!parse_digits(s, &pos, &v, &pb))
        return parse_fail(why, whylen, "a number", s, &pb);
    if (s[pos] != '\0') {
        parse_problem_at(&pb, pos, "is not a digit");
        return parse_fail(why, whylen, "a number", s, &pb);
    }
    *n = v;
    return 0;
}

int parse_size(const char *s, unsigned long long *bytes, char *why, size_t whylen)
{
    struct parse_problem pb;
    unsigned long long n, mult = 1, v;
    size_t pos = 0;

    if (!parse_digits(s, &pos, &n, &pb))
        return parse_fail(why, whylen, size_expected, s, &pb);
    switch (s[pos]) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mult = 1024ULL;
        break;
    case 'm':
    case 'M':
        mult = 1024ULL * 1024;
        break;
    case 'g':
    case 'G':
        mult = 1024ULL * 1024 * 1024;
        break;
    default:
        parse_problem_at(&pb, pos, "is not a suffix");
        return parse_fail(why, whylen, size_expected, s, &pb);
    }
    if (mult != 1 && s[++pos] != '\0') {
        parse_problem_at(&pb, pos, "follows the suffix");
        return parse_fail(why, whylen, size_expected, s, &pb);
    }
    if (!parse_scale(n, mult, &v, &pb))
        return parse_fail(why, whylen, size_expected, s, &pb);
    *bytes = v;
    return 0;
}

/* The duration in S from POS on (digits, one unit, the end) into *SECONDS. */
static bool parse_duration_at(const char *s, size_t pos, unsigned long long *seconds,
                              struct parse_problem *pb)
{
    unsigned long long n, mult;

    if (!parse_digits(s, &pos, &n, pb))
        return false;
    switch (s[pos]) {
    case 's':
        mult = 1;
        break;
    case 'm':
        mult = 60;
        break;
    case 'h':
        mult = 3600;
        break;
    case 'd':
        mult = 24 * 3600;
        break;
    case '\0':
        return parse_problem_at(pb, PARSE_NOWHERE, "the unit is missing");
    default:
        return parse_problem_at(pb, pos, "is not a unit");
    }
    if (s[pos + 1] != '\0')
        return parse_problem_at(pb, pos + 1, "follows the unit");
    return parse_scale(n, mult, seconds, pb);
}

int parse_duration(const char *s, unsigned long long *seconds, char *why, size_t whylen)
{
    struct parse_problem pb;
    unsigned long long v;

    if (!parse_duration_at(s, 0, &v, &pb))
        return parse_fail(why, whylen, duration_expected, s, &pb);
    *seconds = v;
    return 0;
}

int parse_name(const char *s, char *why, size_t whylen)
{
    struct parse_problem pb;

    if (*s == '\0') {
        parse_problem_at(&pb, PARSE_NOWHERE, "the value is empty");
        return parse_fail(why, whylen, name_expected, s, &pb);
    }
    for (size_t i = 0; s[i] != '\0'; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || parse_is_digit(c) ||
              c == '.' || c == '_' || c == '-')) {
            parse_problem_at(&pb, i, "is not allowed");
            return parse_fail(why, whylen, name_expected, s, &pb);
        }
    }
    return 0;
}

static bool parse_is_letter_or_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || parse_is_digit(c);
}

int parse_node_name(const char *s, char *why, size_t whylen)
{
    struct parse_problem pb;
    size_t len = strlen(s);

    if (len == 0) {
        parse_problem_at(&pb, PARSE_NOWHERE, "the value is empty");
        return parse_fail(why, whylen, node_name_expected, s, &pb);
    }
    for (size_t i = 0; i < len; i++) {
        if (parse_is_letter_or_digit(s[i]))
            continue;
        if (s[i] != '-')
            parse_problem_at(&pb, i, "is not allowed");
        else if (i == 0)
            parse_problem_at(&pb, i, "cannot start the name");
        else if (i == len - 1)
            parse_problem_at(&pb, i, "cannot end the name");
        else
            continue;
        return parse_fail(why, whylen, node_name_expected, s, &pb);
    }
    if (len > PARSE_NODE_NAME_MAX) {
        parse_problem_at(&pb, PARSE_NOWHERE, "the name is longer than 63 characters");
        return parse_fail(why, whylen, node_name_expected, s, &pb);
    }
    return 0;
}

/*
 * The domain name in S from FROM on (to the end): see parse_domain().
 * Offsets in *PB are within S, so an address's domain reports its column
 * in the address.
 */
static bool parse_domain_at(const char *s, size_t from, unsigned flags,
                            struct parse_problem *pb)
{
    const char *d = s + from;
    size_t i = 0, len = strlen(d);

    if (len == 0)
        return parse_problem_at(pb, PARSE_NOWHERE, "the domain is empty");
    if (len > 253)
        return parse_problem_at(pb, PARSE_NOWHERE,
                                "the domain is longer than 253 characters");
    if (d[0] == '.' && (flags & PARSE_DOMAIN_SUBDOMAINS))
        i = 1;
    for (size_t start = i; d[i] != '\0'; i++) {
        char c = d[i];
        if (c == '.') {
            if (i == start)
                return parse_problem_at(pb, from + i, "cannot start the domain");
            if (d[i - 1] == '.')
                return parse_problem_at(pb, from + i, "follows another '.'");
            if (d[i + 1] == '\0')
                return parse_problem_at(pb, from + i, "cannot end the domain");
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     parse_is_digit(c) || c == '-')) {
            return parse_problem_at(pb, from + i, "is not allowed");
        }
    }
    if (i == 1 && d[0] == '.')
        return parse_problem_at(pb, PARSE_NOWHERE, "nothing follows the leading '.'");
    return true;
}

int parse_domain(const char *s, unsigned flags, char *why, size_t whylen)
{
    struct parse_problem pb;

    if (!parse_domain_at(s, 0, flags, &pb))
        return parse_fail(why, whylen,
                          (flags & PARSE_DOMAIN_SUBDOMAINS)
                              ? "a domain name of letters, digits, '-' and '.', or "
                                ".domain for its subdomains"
                              : domain_expected,
                          s, &pb);
    return 0;
}

/* May C appear in a local-part?  RFC 5322's atext, and '.'. */
static bool parse_local_char(char c)
{
    return parse_is_letter_or_digit(c) || c == '.' ||
           (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/*
 * The local-part S[0, LEN): its characters, and when STRICT a dot-atom
 * (no leading, trailing or doubled '.') that does not start with '-'.
 */
static bool parse_local_part(const char *s, size_t len, bool strict,
                             struct parse_problem *pb)
{
    if (strict && s[0] == '-')
        return parse_problem_at(pb, 0, "cannot start the address");
    for (size_t i = 0; i < len; i++) {
        if (!parse_local_char(s[i]))
            return parse_problem_at(pb, i, "is not allowed");
        if (!strict || s[i] != '.')
            continue;
        if (i == 0)
            return parse_problem_at(pb, i, "cannot start the local-part");
        if (s[i - 1] == '.')
            return parse_problem_at(pb, i, "follows another '.'");
        if (i == len - 1)
            return parse_problem_at(pb, i, "cannot end the local-part");
    }
    return true;
}

/* parse_address() and, when STRICT, parse_addr_spec(). */
static bool parse_address_check(const char *s, unsigned flags, bool strict,
                                struct parse_problem *pb)
{
    const char *at = strchr(s, '@');
    size_t local_len = at ? (size_t)(at - s) : strlen(s);

    if (*s == '\0')
        return parse_problem_at(pb, PARSE_NOWHERE, "the value is empty");
    if (strlen(s) > PARSE_ADDRESS_MAX)
        return parse_problem_at(pb, PARSE_NOWHERE,
                                "the address is longer than 254 characters");
    if (local_len == 0)
        return parse_problem_at(pb, PARSE_NOWHERE, "the local-part before '@' is empty");
    if (!parse_local_part(s, local_len, strict, pb))
        return false;
    if (at == NULL) {
        if (flags & PARSE_ADDRESS_LOCAL_ALONE)
            return true;
        return parse_problem_at(pb, PARSE_NOWHERE, "there is no '@'");
    }
    const char *second = strchr(at + 1, '@');
    if (second != NULL)
        return parse_problem_at(pb, (size_t)(second - s), "is a second '@'");
    return parse_domain_at(s, local_len + 1, 0, pb);
}

static int parse_address_with(const char *s, unsigned flags, bool strict, char *why,
                              size_t whylen)
{
    struct parse_problem pb;

    if (!parse_address_check(s, flags, strict, &pb))
        return parse_fail(why, whylen,
                          (flags & PARSE_ADDRESS_LOCAL_ALONE)
                              ? "local-part or local-part@domain"
                              : "local-part@domain",
                          s, &pb);
    return 0;
}

int parse_address(const char *s, unsigned flags, char *why, size_t whylen)
{
    return parse_address_with(s, flags, false, why, whylen);
}

int parse_addr_spec(const char *s, unsigned flags, char *why, size_t whylen)
{
    return parse_address_with(s, flags, true, why, whylen);
}

int parse_when(const char *s, time_t now, time_t *at, char *why, size_t whylen)
{
    static const char expected[] =
        "now, +DURATION (a number and a unit s, m, h or d) or seconds since the epoch";
    struct parse_problem pb;
    unsigned long long n;
    size_t pos = 0;

    if (strcmp(s, "now") == 0) {
        *at = now;
        return 0;
    }
    if (s[0] == '+') {
        if (!parse_duration_at(s, 1, &n, &pb))
            return parse_fail(why, whylen, expected, s, &pb);
        if (n > (unsigned long long)PARSE_WHEN_MAX_AHEAD) {
            parse_problem_at(&pb, PARSE_NOWHERE, "that is more than 100 years ahead");
            return parse_fail(why, whylen, expected, s, &pb);
        }
        *at = now + (time_t)n;
        return 0;
    }
    if (!parse_digits(s, &pos, &n, &pb))
        return parse_fail(why, whylen, expected, s, &pb);
    if (s[pos] != '\0') {
        parse_problem_at(&pb, pos, "is not a digit");
        return parse_fail(why, whylen, expected, s, &pb);
    }
    if (n > (unsigned long long)(now > 0 ? now : 0) + PARSE_WHEN_MAX_AHEAD) {
        parse_problem_at(&pb, PARSE_NOWHERE, "that is more than 100 years ahead");
        return parse_fail(why, whylen, expected, s, &pb);
    }
    *at = (time_t)n;
    return 0;
}
