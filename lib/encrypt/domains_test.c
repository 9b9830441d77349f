/* Unit tests for domains.c: the most specific line wins; every bad line is an error
 * naming its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "domains.h"

static const char table[] = "# partners whose servers refuse encrypted zips\n"
                            "example.com        none\n"
                            "secure.example.com encrypt   # their own gateway decrypts\n"
                            "\n"
                            "Partner.CO.JP.\tnone\r\n"
                            "jp encrypt\n";

static void test_most_specific_wins(void **state)
{
    (void)state;
    char err[256];
    struct domains *d = domains_parse(table, strlen(table), "t", err, sizeof(err));
    if (d == NULL)
        fail_msg("%s", err);
    static const struct {
        const char *domain;
        enum domains_action want;
    } cases[] = {
        {"example.com", DOMAINS_NONE},
        {"mail.example.com", DOMAINS_NONE},
        {"secure.example.com", DOMAINS_ENCRYPT},
        {"a.secure.example.com", DOMAINS_ENCRYPT},
        {"EXAMPLE.COM.", DOMAINS_NONE},
        {"badexample.com", DOMAINS_UNLISTED},
        {"example.org", DOMAINS_UNLISTED},
        {"partner.co.jp", DOMAINS_NONE},
        {"other.co.jp", DOMAINS_ENCRYPT},
        {"", DOMAINS_UNLISTED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        if (domains_lookup(d, cases[i].domain) != cases[i].want)
            fail_msg("%s: %s, want %s", cases[i].domain,
                     domains_action_name(domains_lookup(d, cases[i].domain)),
                     domains_action_name(cases[i].want));
    assert_int_equal(domains_count(d), 4);
    domains_free(d);
    assert_int_equal(domains_lookup(NULL, "example.com"), DOMAINS_UNLISTED);
}

static void test_errors_name_their_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"example.com\n", "f:1: want \"DOMAIN ACTION\" (encrypt or none)"},
        {"\nexample.com none extra\n", "f:2: want \"DOMAIN ACTION\" (encrypt or none)"},
        {"example.com link\n", "f:1: link: no such action (encrypt or none)"},
        {"exa_mple.com none\n", "f:1: exa_mple.com: not a domain"},
        {"a..b none\n", "f:1: a..b: not a domain"},
        {"a.example none\nb.example none\nA.Example encrypt\n",
         "f:3: a.example is listed twice (also line 1)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char err[256] = "";
        struct domains *d =
            domains_parse(cases[i].text, strlen(cases[i].text), "f", err, sizeof(err));
        assert_null(d);
        if (strcmp(err, cases[i].want) != 0)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, err, cases[i].want);
    }
    char err[256];
    assert_null(domains_load("/nonexistent/domains", err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/domains: cannot open");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_most_specific_wins),
        cmocka_unit_test(test_errors_name_their_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
