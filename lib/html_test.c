/* Unit tests for html.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "html.h"

static const struct {
    const char *in, *want;
} cases[] = {
    {"<p>This is <b>社</b>外秘</p>", "This is 社外秘\n"},
    {"<div>a</div><div>b</div>", "a\nb\n"},
    {"x<br>y", "x\ny\n"}, /* libxml2 wraps bare text in an implied <p> */
    {"<script>var secret='no';</script><style>p{}</style>visible", "visible\n"},
    {"&lt;tag&gt; &amp; &#x793E;&#22806;&#31192; &nbsp;", "<tag> & 社外秘 \xc2\xa0\n"},
    {"<img alt=\"社外秘\" src=x>", " 社外秘 "},
    {"<span style=\"display:none\">hidden</span>shown", "hiddenshown"},
    {"<p>unclosed <b>bold <i>italic", "unclosed bold italic\n"},
    {"<meta charset=\"shift_jis\"><p>機密</p>", "機密\n"},
    {"<!-- comment -->text", "text\n"},
    {"", ""},
};

static void test_cases(void **state)
{
    (void)state;
    html_init();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out;
        size_t len;
        assert_int_equal(html_to_text(cases[i].in, strlen(cases[i].in), &out, &len), 0);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].want);
        assert_int_equal(len, strlen(out));
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cases)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
