/* Unit tests for address.c: the one definition of "internal". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "address.h"

static const char *const domains[] = {"corp.example", ".group.example", NULL};

static const struct {
    const char *address;
    bool internal;
} cases[] = {
    {"alice@corp.example", true},
    {"alice@CORP.Example", true},      /* case does not matter */
    {"alice@sub.corp.example", false}, /* "corp.example" is only itself */
    {"bob@tokyo.group.example", true}, /* ".group.example" covers subdomains */
    {"bob@group.example", false},      /* ... but not itself */
    {"bob@evilgroup.example", false},  /* a suffix is not a subdomain */
    {"carol@partner.example", false},
    {"\"x@corp.example\"@partner.example", false}, /* the last '@' decides */
    /* Postfix may route these off-site (percent hack, bang path, dequoted
     * local part, source route): never internal. */
    {"bob%evil.example@corp.example", false},
    {"evil.example!bob@corp.example", false},
    {"\"bob@evil.example\"@corp.example", false},
    {"bob@evil.example@corp.example", false},
    {"\"bob%evil.example\"@corp.example", false},
    {"@relay.example:bob@corp.example", false},
    {"@corp.example,@relay.example:bob@corp.example", false},
    {"bob.smith+tag@corp.example", true}, /* '+', '.' and '-' route nowhere */
    {"\"bob smith\"@corp.example", true},
    {"no-at-sign", false},
    {"", false},
};

static void test_internal(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        if (address_is_internal(cases[i].address, domains) != cases[i].internal)
            fail_msg("%s: got %s, want %s", cases[i].address,
                     cases[i].internal ? "external" : "internal",
                     cases[i].internal ? "internal" : "external");
    assert_false(address_is_internal("alice@corp.example", NULL));
}

static void test_destination(void **state)
{
    static const struct {
        const char *address, *want; /* NULL: routes by its last '@' */
    } routes[] = {
        {"bob%evil.example@corp.example", "bob@evil.example"},
        {"bob%a.example%evil.example@corp.example", "bob%a.example@evil.example"},
        {"evil.example!bob@corp.example", "bob@evil.example"},
        {"\"bob@evil.example\"@corp.example", "bob@evil.example"},
        {"\"bob%evil.example\"@corp.example", "bob@evil.example"},
        {"bob@evil.example@corp.example", "bob@evil.example"},
        {"@relay.example:bob%evil.example@corp.example", "bob@evil.example"},
        {"@relay.example:bob@corp.example", "bob@corp.example"},
        {"@relay.example", NULL},
        {"alice@corp.example", NULL},
        {"\"bob smith\"@corp.example", NULL},
        {"no-at-sign", NULL},
    };
    char out[128];
    (void)state;
    for (size_t i = 0; i < sizeof(routes) / sizeof(*routes); i++) {
        bool routed = address_destination(routes[i].address, out, sizeof(out));
        if (routed != (routes[i].want != NULL) ||
            (routed && strcmp(out, routes[i].want) != 0))
            fail_msg("%s: got %s \"%s\", want %s", routes[i].address,
                     routed ? "routed" : "not routed", out,
                     routes[i].want ? routes[i].want : "not routed");
    }
    /* Too long for OUT: still routed, OUT empty. */
    assert_true(address_destination("bob%evil.example@corp.example", out, 8));
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_internal),
                                       cmocka_unit_test(test_destination)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
