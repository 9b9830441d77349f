/* Unit tests for parse.c: each kind of value, good and bad, with the exact reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "parse.h"

/* A value, and either what it parses to or the reason it is refused. */
struct number_case {
    const char *in;
    unsigned long long want; /* when want_why is NULL */
    const char *want_why;    /* NULL: must parse */
};

typedef int (*number_parser)(const char *, unsigned long long *, char *, size_t);

static void check_numbers(const char *fn, number_parser parse,
                          const struct number_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char why[256] = "";
        unsigned long long got = 12345;
        int rc = parse(c[i].in, &got, why, sizeof(why));
        if (c[i].want_why == NULL) {
            if (rc != 0 || got != c[i].want)
                fail_msg("%s(\"%s\"): got rc %d, %llu (%s), want %llu", fn, c[i].in, rc,
                         got, why, c[i].want);
        } else if (rc != -1 || got != 12345 || strcmp(why, c[i].want_why) != 0) {
            fail_msg("%s(\"%s\"): got rc %d, %llu, \"%s\",\n want -1, untouched, \"%s\"",
                     fn, c[i].in, rc, got, why, c[i].want_why);
        }
    }
}

#define SIZE_E "expected bytes, optionally with a k, m or g suffix; "
static const struct number_case size_cases[] = {
    {"0", 0, NULL},
    {"512", 512, NULL},
    {"64k", 64ULL * 1024, NULL},
    {"64K", 64ULL * 1024, NULL},
    {"10m", 10ULL << 20, NULL},
    {"10M", 10ULL << 20, NULL},
    {"1g", 1ULL << 30, NULL},
    {"3G", 3ULL << 30, NULL},
    {"007", 7, NULL},
    {"18446744073709551615", 18446744073709551615ULL, NULL},
    {"17179869183g", 17179869183ULL << 30, NULL}, /* the largest g that fits */
    {"", 0, SIZE_E "the value is empty"},
    {"k", 0, SIZE_E "'k' at column 1 is not a digit"},
    {"-1", 0, SIZE_E "'-' at column 1 is not a digit"},
    {"+5k", 0, SIZE_E "'+' at column 1 is not a digit"},
    {" 5", 0, SIZE_E "' ' at column 1 is not a digit"},
    {"12q", 0, SIZE_E "'q' at column 3 is not a suffix"},
    {"10t", 0, SIZE_E "'t' at column 3 is not a suffix"},
    {"10kb", 0, SIZE_E "'b' at column 4 follows the suffix"},
    {"10 k", 0, SIZE_E "' ' at column 3 is not a suffix"},
    {"1.5m", 0, SIZE_E "'.' at column 2 is not a suffix"},
    {"5\xc2\xb5", 0, SIZE_E "byte 0xc2 at column 2 is not a suffix"},
    {"18446744073709551616", 0, SIZE_E "the number is too large"},
    {"99999999999999999999", 0, SIZE_E "the number is too large"},
    {"18014398509481984k", 0, SIZE_E "the number is too large"},
    {"17179869184g", 0, SIZE_E "the number is too large"},
};

static void test_size(void **state)
{
    (void)state;
    check_numbers("parse_size", parse_size, size_cases,
                  sizeof(size_cases) / sizeof(size_cases[0]));
}

#define DUR_E "expected a number and a unit s, m, h or d; "
static const struct number_case duration_cases[] = {
    {"0s", 0, NULL},
    {"90s", 90, NULL},
    {"10m", 600, NULL},
    {"2h", 7200, NULL},
    {"2d", 172800, NULL},
    {"060m", 3600, NULL},
    {"18446744073709551615s", 18446744073709551615ULL, NULL},
    {"", 0, DUR_E "the value is empty"},
    {"10", 0, DUR_E "the unit is missing"},            /* was 10 minutes in rules */
    {"10x", 0, DUR_E "'x' at column 3 is not a unit"}, /* was 10 minutes */
    {"2x", 0, DUR_E "'x' at column 2 is not a unit"},
    {"10M", 0, DUR_E "'M' at column 3 is not a unit"},
    {"10min", 0, DUR_E "'i' at column 4 follows the unit"},
    {"10mm", 0, DUR_E "'m' at column 4 follows the unit"},
    {"10 m", 0, DUR_E "' ' at column 3 is not a unit"},
    {"m", 0, DUR_E "'m' at column 1 is not a digit"},
    {"-5m", 0, DUR_E "'-' at column 1 is not a digit"},
    {"+5m", 0, DUR_E "'+' at column 1 is not a digit"},
    {"1.5h", 0, DUR_E "'.' at column 2 is not a unit"},
    {"18446744073709551616s", 0, DUR_E "the number is too large"},
    {"307445734561825861m", 0, DUR_E "the number is too large"},
    {"213503982334601d", 213503982334601ULL * 86400, NULL},
    {"213503982334602d", 0, DUR_E "the number is too large"},
};

static void test_duration(void **state)
{
    (void)state;
    check_numbers("parse_duration", parse_duration, duration_cases,
                  sizeof(duration_cases) / sizeof(duration_cases[0]));
}

#define NUM_E "expected a number; "
static const struct number_case number_cases[] = {
    {"0", 0, NULL},
    {"42", 42, NULL},
    {"18446744073709551615", 18446744073709551615ULL, NULL},
    {"", 0, NUM_E "the value is empty"},
    {"-1", 0, NUM_E "'-' at column 1 is not a digit"},
    {"+1", 0, NUM_E "'+' at column 1 is not a digit"},
    {"0x10", 0, NUM_E "'x' at column 2 is not a digit"},
    {"10k", 0, NUM_E "'k' at column 3 is not a digit"},
    {"18446744073709551616", 0, NUM_E "the number is too large"},
};

static void test_number(void **state)
{
    (void)state;
    check_numbers("parse_number", parse_number, number_cases,
                  sizeof(number_cases) / sizeof(number_cases[0]));
}

/* A text value that is checked only: NULL want_why means valid. */
struct check_case {
    const char *in;
    unsigned flags;
    const char *want_why;
};

#define NAME_E "expected letters, digits, '.', '_' or '-'; "
static const struct check_case name_cases[] = {
    {"sendwatch", 0, NULL},
    {"mx1.corp-example_2", 0, NULL},
    {".hidden", 0, NULL}, /* callers that mind (folders) check more */
    {"", 0, NAME_E "the value is empty"},
    {"bad user", 0, NAME_E "' ' at column 4 is not allowed"},
    {"a/b", 0, NAME_E "'/' at column 2 is not allowed"},
    {"o'brien", 0, NAME_E "\"'\" at column 2 is not allowed"},
    {"tab\there", 0, NAME_E "byte 0x09 at column 4 is not allowed"},
    {"\xe7\xa4\xbe", 0, NAME_E "byte 0xe7 at column 1 is not allowed"},
};

#define DOM_E "expected a domain name of letters, digits, '-' and '.'; "
#define SUB_E                                                                            \
    "expected a domain name of letters, digits, '-' and '.', or .domain for its "        \
    "subdomains; "
static const struct check_case domain_cases[] = {
    {"example.com", 0, NULL},
    {"Corp-1.Example.co.jp", 0, NULL},
    {"localhost", 0, NULL},
    {".example.com", PARSE_DOMAIN_SUBDOMAINS, NULL},
    {".example.com", 0, DOM_E "'.' at column 1 cannot start the domain"},
    {"", 0, DOM_E "the domain is empty"},
    {"example.", 0, DOM_E "'.' at column 8 cannot end the domain"},
    {"a..b", 0, DOM_E "'.' at column 3 follows another '.'"},
    {"bad_domain", 0, DOM_E "'_' at column 4 is not allowed"},
    {"exa mple.com", 0, DOM_E "' ' at column 4 is not allowed"},
    {".", PARSE_DOMAIN_SUBDOMAINS, SUB_E "nothing follows the leading '.'"},
    {"..x", PARSE_DOMAIN_SUBDOMAINS, SUB_E "'.' at column 2 cannot start the domain"},
    {".bad_domain", PARSE_DOMAIN_SUBDOMAINS, SUB_E "'_' at column 5 is not allowed"},
};

#define ADDR_E  "expected local-part@domain; "
#define LOCAL_E "expected local-part or local-part@domain; "
static const struct check_case address_cases[] = {
    /* what rules' forward takes */
    {"audit@example.com", 0, NULL},
    {"o'brien+dlp@corp.example", 0, NULL},
    {"a!#$%&*/=?^_`{|}~.b@x", 0, NULL},
    {"-archive@example.com", 0, NULL},
    {".a..b.@x", 0, NULL}, /* dots anywhere: what some phones' addresses look like */
    {"user@localhost", 0, NULL},
    {"postmaster", PARSE_ADDRESS_LOCAL_ALONE, NULL},
    {"", 0, ADDR_E "the value is empty"},
    {"not-an-address", 0, ADDR_E "there is no '@'"},
    {"@example.com", 0, ADDR_E "the local-part before '@' is empty"},
    {"a@", 0, ADDR_E "the domain is empty"},
    {"a@b@c", 0, ADDR_E "'@' at column 4 is a second '@'"},
    {"a b@c", 0, ADDR_E "' ' at column 2 is not allowed"},
    {"<a@b>", 0, ADDR_E "'<' at column 1 is not allowed"},
    {"\"a\"@b", 0, ADDR_E "'\"' at column 1 is not allowed"},
    {"a(b)@c", 0, ADDR_E "'(' at column 2 is not allowed"},
    {"a@b!c", 0, ADDR_E "'!' at column 4 is not allowed"},
    {"a@.example.com", 0, ADDR_E "'.' at column 3 cannot start the domain"},
    {"a@example.com.", 0, ADDR_E "'.' at column 14 cannot end the domain"},
    {"a@[192.0.2.1]", 0, ADDR_E "'[' at column 3 is not allowed"},
    {"caf\xc3\xa9@x", 0, ADDR_E "byte 0xc3 at column 4 is not allowed"},
    {"", PARSE_ADDRESS_LOCAL_ALONE, LOCAL_E "the value is empty"},
};

/* parse_addr_spec: what may become a command-line argument (sendmail -f, recipients). */
static const struct check_case addr_spec_cases[] = {
    {"alice@corp.example", 0, NULL},
    {"sendwatch-notice+hold@Corp.example", 0, NULL},
    {"o'brien@x.example", 0, NULL},
    {"a!#$%&'*+/=?^_`{|}~-@x.example", 0, NULL}, /* all of atext: execve has no shell */
    {"first.middle.last@x.example", 0, NULL},
    {"a-@x", 0, NULL},
    {"user@localhost", 0, NULL},
    {"postmaster", PARSE_ADDRESS_LOCAL_ALONE, NULL},
    {"postmaster", 0, ADDR_E "there is no '@'"},
    {"", 0, ADDR_E "the value is empty"},
    {"", PARSE_ADDRESS_LOCAL_ALONE, LOCAL_E "the value is empty"},
    {"@x.example", 0, ADDR_E "the local-part before '@' is empty"},
    {"a@", 0, ADDR_E "the domain is empty"},
    {"a,b@x.example", 0, ADDR_E "',' at column 2 is not allowed"},
    {"a;b@x", 0, ADDR_E "';' at column 2 is not allowed"},
    {"a:b@x", 0, ADDR_E "':' at column 2 is not allowed"},
    {"(x)a@x.example", 0, ADDR_E "'(' at column 1 is not allowed"},
    {"a)@x", 0, ADDR_E "')' at column 2 is not allowed"},
    {"<a@x>", 0, ADDR_E "'<' at column 1 is not allowed"},
    {"a>@x", 0, ADDR_E "'>' at column 2 is not allowed"},
    {"-oQ@x.example", 0, ADDR_E "'-' at column 1 cannot start the address"},
    {"-oQ", PARSE_ADDRESS_LOCAL_ALONE,
     LOCAL_E "'-' at column 1 cannot start the address"},
    {"-", 0, ADDR_E "'-' at column 1 cannot start the address"},
    {"\"a b\"@x.example", 0, ADDR_E "'\"' at column 1 is not allowed"},
    {"a\\b@x", 0, ADDR_E "'\\' at column 2 is not allowed"},
    {"a[b]@x", 0, ADDR_E "'[' at column 2 is not allowed"},
    {"a]@x", 0, ADDR_E "']' at column 2 is not allowed"},
    {"a b@x", 0, ADDR_E "' ' at column 2 is not allowed"},
    {"a\tb@x", 0, ADDR_E "byte 0x09 at column 2 is not allowed"},
    {"a\nb@x", 0, ADDR_E "byte 0x0a at column 2 is not allowed"},
    {"a\x7f@x", 0, ADDR_E "byte 0x7f at column 2 is not allowed"},
    {"caf\xc3\xa9@x", 0, ADDR_E "byte 0xc3 at column 4 is not allowed"},
    {"a@b@c", 0, ADDR_E "'@' at column 4 is a second '@'"},
    {"a@x@y", PARSE_ADDRESS_LOCAL_ALONE, LOCAL_E "'@' at column 4 is a second '@'"},
    {".a@x", 0, ADDR_E "'.' at column 1 cannot start the local-part"},
    {"a.@x", 0, ADDR_E "'.' at column 2 cannot end the local-part"},
    {"a..b@x", 0, ADDR_E "'.' at column 3 follows another '.'"},
    {".", PARSE_ADDRESS_LOCAL_ALONE,
     LOCAL_E "'.' at column 1 cannot start the local-part"},
    /* The domain is parse_domain's: a '-' after '@' cannot read as an option. */
    {"a@-x", 0, NULL},
    {"a@.x", 0, ADDR_E "'.' at column 3 cannot start the domain"},
    {"a@x.", 0, ADDR_E "'.' at column 4 cannot end the domain"},
    {"a@x..y", 0, ADDR_E "'.' at column 5 follows another '.'"},
    {"a@[192.0.2.1]", 0, ADDR_E "'[' at column 3 is not allowed"},
    {"a@x_y", 0, ADDR_E "'_' at column 4 is not allowed"},
    {"a@x,b@y", 0, ADDR_E "'@' at column 6 is a second '@'"},
    {"a@x,y", 0, ADDR_E "',' at column 4 is not allowed"},
    {"a@x y", 0, ADDR_E "' ' at column 4 is not allowed"},
};

typedef int (*check_parser)(const char *, unsigned, char *, size_t);

static int name_with_flags(const char *s, unsigned flags, char *why, size_t whylen)
{
    (void)flags;
    return parse_name(s, why, whylen);
}

static void check_texts(const char *fn, check_parser parse, const struct check_case *c,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char why[256] = "";
        int rc = parse(c[i].in, c[i].flags, why, sizeof(why));
        if (c[i].want_why == NULL ? rc != 0 : rc != -1 || strcmp(why, c[i].want_why) != 0)
            fail_msg("%s(\"%s\", %u): got rc %d \"%s\",\n want %s", fn, c[i].in,
                     c[i].flags, rc, why, c[i].want_why ? c[i].want_why : "valid");
    }
}

static void test_name(void **state)
{
    (void)state;
    check_texts("parse_name", name_with_flags, name_cases,
                sizeof(name_cases) / sizeof(name_cases[0]));
}

static void test_domain(void **state)
{
    char longest[254], too_long[255];
    (void)state;
    check_texts("parse_domain", parse_domain, domain_cases,
                sizeof(domain_cases) / sizeof(domain_cases[0]));
    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    memset(too_long, 'a', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    if (parse_domain(longest, 0, NULL, 0) != 0)
        fail_msg("parse_domain(253 characters): got -1, want 0");
    char why[256];
    if (parse_domain(too_long, 0, why, sizeof(why)) != -1 ||
        strcmp(why, DOM_E "the domain is longer than 253 characters") != 0)
        fail_msg("parse_domain(254 characters): got \"%s\", want too long", why);
}

/* 254 characters are the most: 64 + '@' + 189, then one more. */
static void check_address_length(const char *fn, check_parser parse)
{
    char longest[PARSE_ADDRESS_MAX + 1], too_long[PARSE_ADDRESS_MAX + 2], why[256] = "";

    memset(longest, 'a', sizeof(longest) - 1);
    longest[64] = '@';
    longest[sizeof(longest) - 1] = '\0';
    if (parse(longest, 0, why, sizeof(why)) != 0)
        fail_msg("%s(254 characters): got \"%s\", want valid", fn, why);
    memset(too_long, 'a', sizeof(too_long) - 1);
    too_long[64] = '@';
    too_long[sizeof(too_long) - 1] = '\0';
    if (parse(too_long, 0, why, sizeof(why)) != -1 ||
        strcmp(why, ADDR_E "the address is longer than 254 characters") != 0)
        fail_msg("%s(255 characters): got \"%s\", want too long", fn, why);
    if (parse(too_long, PARSE_ADDRESS_LOCAL_ALONE, why, sizeof(why)) != -1 ||
        strcmp(why, LOCAL_E "the address is longer than 254 characters") != 0)
        fail_msg(
            "%s(255 characters, local-part alone allowed): got \"%s\", want too long", fn,
            why);
}

static void test_address(void **state)
{
    (void)state;
    check_texts("parse_address", parse_address, address_cases,
                sizeof(address_cases) / sizeof(address_cases[0]));
    check_address_length("parse_address", parse_address);
}

static void test_addr_spec(void **state)
{
    (void)state;
    check_texts("parse_addr_spec", parse_addr_spec, addr_spec_cases,
                sizeof(addr_spec_cases) / sizeof(addr_spec_cases[0]));
    check_address_length("parse_addr_spec", parse_addr_spec);
    /* Whatever parse_addr_spec takes, parse_address takes too. */
    for (size_t i = 0; i < sizeof(addr_spec_cases) / sizeof(addr_spec_cases[0]); i++) {
        const struct check_case *c = &addr_spec_cases[i];
        if (c->want_why == NULL && parse_address(c->in, c->flags, NULL, 0) != 0)
            fail_msg("parse_address(\"%s\", %u): got -1, want valid (parse_addr_spec "
                     "takes it)",
                     c->in, c->flags);
    }
}

#define NODE_E "expected a node name of letters, digits and '-', at most 63 characters; "
static const struct check_case node_name_cases[] = {
    {"mx1", 0, NULL},
    {"MX-1", 0, NULL},
    {"a", 0, NULL},
    {"1", 0, NULL},
    {"mx-tokyo-02", 0, NULL},
    {"", 0, NODE_E "the value is empty"},
    {"mx1.corp", 0, NODE_E "'.' at column 4 is not allowed"},
    {"mx_1", 0, NODE_E "'_' at column 3 is not allowed"},
    {"-mx1", 0, NODE_E "'-' at column 1 cannot start the name"},
    {"mx1-", 0, NODE_E "'-' at column 4 cannot end the name"},
    {"-", 0, NODE_E "'-' at column 1 cannot start the name"},
    {"mx 1", 0, NODE_E "' ' at column 3 is not allowed"},
    {"mx/1", 0, NODE_E "'/' at column 3 is not allowed"},
    {"mx\xc3\xa9", 0, NODE_E "byte 0xc3 at column 3 is not allowed"},
};

static int node_name_with_flags(const char *s, unsigned flags, char *why, size_t whylen)
{
    (void)flags;
    return parse_node_name(s, why, whylen);
}

static void test_node_name(void **state)
{
    char longest[PARSE_NODE_NAME_MAX + 1], too_long[PARSE_NODE_NAME_MAX + 2],
        why[256] = "";
    (void)state;
    check_texts("parse_node_name", node_name_with_flags, node_name_cases,
                sizeof(node_name_cases) / sizeof(node_name_cases[0]));
    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    if (parse_node_name(longest, why, sizeof(why)) != 0)
        fail_msg("parse_node_name(63 characters): got \"%s\", want valid", why);
    memset(too_long, 'a', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    if (parse_node_name(too_long, why, sizeof(why)) != -1 ||
        strcmp(why, NODE_E "the name is longer than 63 characters") != 0)
        fail_msg("parse_node_name(64 characters): got \"%s\", want too long", why);
}

#define WHEN_E                                                                           \
    "expected now, +DURATION (a number and a unit s, m, h or d) or seconds since the "   \
    "epoch; "
#define NOW ((time_t)1800000000)
static const struct {
    const char *in;
    time_t want;
    const char *want_why;
} when_cases[] = {
    {"now", NOW, NULL},
    {"+0s", NOW, NULL},
    {"+90s", NOW + 90, NULL},
    {"+10m", NOW + 600, NULL},
    {"+2h", NOW + 7200, NULL},
    {"+1d", NOW + 86400, NULL},
    {"1700000000", 1700000000, NULL}, /* the past: at once */
    {"0", 0, NULL},
    {"+36500d", NOW + PARSE_WHEN_MAX_AHEAD, NULL},
    {"4953600000", NOW + PARSE_WHEN_MAX_AHEAD, NULL},
    {"", 0, WHEN_E "the value is empty"},
    {"tomorrow", 0, WHEN_E "'t' at column 1 is not a digit"},
    {"Now", 0, WHEN_E "'N' at column 1 is not a digit"},
    {"+", 0, WHEN_E "the number is missing"},
    {"+30", 0, WHEN_E "the unit is missing"}, /* was 30 seconds */
    {"+10x", 0, WHEN_E "'x' at column 4 is not a unit"},
    {"+ 10m", 0, WHEN_E "' ' at column 2 is not a digit"},
    {"-10m", 0, WHEN_E "'-' at column 1 is not a digit"},
    {"10m", 0, WHEN_E "'m' at column 3 is not a digit"},
    {"+36501d", 0, WHEN_E "that is more than 100 years ahead"},
    {"4953600001", 0, WHEN_E "that is more than 100 years ahead"},
    {"+18446744073709551616s", 0, WHEN_E "the number is too large"},
    {"99999999999999999999", 0, WHEN_E "the number is too large"},
};

static void test_when(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(when_cases) / sizeof(when_cases[0]); i++) {
        char why[256] = "";
        time_t got = 12345;
        int rc = parse_when(when_cases[i].in, NOW, &got, why, sizeof(why));
        if (when_cases[i].want_why == NULL) {
            if (rc != 0 || got != when_cases[i].want)
                fail_msg("parse_when(\"%s\"): got rc %d, %lld (%s), want %lld",
                         when_cases[i].in, rc, (long long)got, why,
                         (long long)when_cases[i].want);
        } else if (rc != -1 || got != 12345 || strcmp(why, when_cases[i].want_why) != 0) {
            fail_msg("parse_when(\"%s\"): got rc %d, %lld, \"%s\",\n want -1, "
                     "untouched, \"%s\"",
                     when_cases[i].in, rc, (long long)got, why, when_cases[i].want_why);
        }
    }
}

/* A short buffer gets a truncated, NUL-terminated reason; NULL gets none. */
static void test_why_buffer(void **state)
{
    char why[8];
    unsigned long long n;
    (void)state;
    memset(why, 'z', sizeof(why));
    assert_int_equal(parse_duration("2x", &n, why, sizeof(why)), -1);
    if (strcmp(why, "expecte") != 0)
        fail_msg("got \"%.8s\", want \"expecte\"", why);
    assert_int_equal(parse_duration("2x", &n, NULL, 0), -1);
    assert_int_equal(parse_name("a b", NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number),    cmocka_unit_test(test_size),
        cmocka_unit_test(test_duration),  cmocka_unit_test(test_name),
        cmocka_unit_test(test_domain),    cmocka_unit_test(test_address),
        cmocka_unit_test(test_addr_spec), cmocka_unit_test(test_node_name),
        cmocka_unit_test(test_when),      cmocka_unit_test(test_why_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
