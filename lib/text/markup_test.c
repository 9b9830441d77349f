/* Unit tests for markup.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "markup.h"

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
    markup_init();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out;
        size_t len;
        assert_int_equal(markup_html_text(cases[i].in, strlen(cases[i].in), &out, &len),
                         0);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].want);
        assert_int_equal(len, strlen(out));
        free(out);
    }
}

static const struct {
    const char *in, *want;
    int want_rc;
} xml_cases[] = {
    /* Word splits a word over runs; paragraphs end in a line break. */
    {"<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"x\"><w:body>"
     "<w:p><w:r><w:t>社</w:t></w:r><w:r><w:t>外秘</w:t></w:r></w:p>"
     "<w:p><w:r><w:t>second</w:t><w:tab/><w:t>para</w:t></w:r></w:p></w:body></"
     "w:document>",
     "社外秘\nsecond\tpara\n", 0},
    /* Shared strings and cells of a spreadsheet. */
    {"<sst><si><t>顧客</t></si><si><r><t>名</t></r><r><t>簿</t></r></si></sst>",
     "顧客\n名簿\n", 0},
    {"<sheetData><row><c><v>4111</v></c><c t=\"inlineStr\"><is><t>card</t></is></c></row>"
     "</sheetData>",
     "4111\tcard\t\n", 0},
    /* The declared encoding is honoured. */
    {"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><p>\x8e\xd0\x8aO\x94\xe9</p>",
     "社外秘\n", 0},
    /* Entities: predefined ones decode; a billion-laughs bomb does not expand
     * (and the document counts as broken, so its raw bytes get scanned). */
    {"<p>a &amp; b</p>", "a & b\n", 0},
    {"<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
     "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c "
     "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
     "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]><p>x&d;y</p>",
     "x", 1},
    /* Broken XML: what came before the break. */
    {"<d><p>before</p><p>broken <b></p></d>", "before\nbroken ", 1},
};

static void test_xml_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(xml_cases) / sizeof(xml_cases[0]); i++) {
        char *out;
        size_t len;
        int rc = markup_xml_text(xml_cases[i].in, strlen(xml_cases[i].in), &out, &len);
        if (strcmp(out, xml_cases[i].want) != 0 || rc != xml_cases[i].want_rc)
            fail_msg("xml case %zu: got \"%s\" rc %d, want \"%s\" rc %d", i, out, rc,
                     xml_cases[i].want, xml_cases[i].want_rc);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cases),
                                       cmocka_unit_test(test_xml_cases)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
