/* Unit tests for html.c (escaping) and session.c (CSRF tokens, throttle, sessions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "web.h"

static char *printed(const char *fmt, const char *arg)
{
    struct page p = {0};
    html_printf(&p, fmt, arg);
    assert_false(p.failed);
    return p.body.data ? p.body.data : strdup("");
}

static void test_escaping(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"<script>alert('x')</script>",
         "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
        {"a & \"b\"", "a &amp; &quot;b&quot;"},
        {"件名\xff\xfe", "件名\xef\xbf\xbd\xef\xbf\xbd"},         /* not UTF-8 */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
        {"\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong '/' */
        {"bell\x07\x1b[31m", "bell\xef\xbf\xbd\xef\xbf\xbd[31m"},
        {"a\r\nb\rc\n", "a\nb\nc\n"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = printed("%s", cases[i].in);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
        free(got);
    }
}

static void test_conversions(void **state)
{
    (void)state;
    struct page p = {0};
    html_printf(&p, "<b>%r</b>%s %d %u %ld %lld %zu 100%%", "<i>", "<", -1, 2u, 3L, 4LL,
                (size_t)5);
    assert_string_equal(p.body.data, "<b><i></b>&lt; -1 2 3 4 5 100%");
    buf_free(&p.body);
    /* NULL strings are empty, not a crash */
    char *got = printed("[%s]", NULL);
    assert_string_equal(got, "[]");
    free(got);
}

static void test_csrf_and_throttle(void **state)
{
    (void)state;
    struct web w = {0};
    memset(w.form_key, 7, sizeof(w.form_key));
    char a[64], b[64], c[64];
    csrf_token(&w, "s:one", a, sizeof(a));
    csrf_token(&w, "s:one", b, sizeof(b));
    csrf_token(&w, "s:two", c, sizeof(c));
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 43);
    memset(w.form_key, 8, sizeof(w.form_key));
    csrf_token(&w, "s:one", b, sizeof(b));
    assert_string_not_equal(a, b); /* another key, another token */

    w.throttle = throttle_new();
    assert_non_null(w.throttle);
    long wait = 0;
    for (int i = 0; i < 5; i++) {
        assert_true(throttle_allows(&w, "login:boss", &wait));
        throttle_failed(&w, "login:boss");
    }
    assert_false(throttle_allows(&w, "login:boss", &wait));
    assert_true(wait >= 1);
    assert_true(throttle_allows(&w, "login:other", &wait)); /* per key */
    throttle_clear(&w, "login:boss");
    assert_true(throttle_allows(&w, "login:boss", &wait));
    throttle_free(w.throttle);
}

static void test_sessions(void **state)
{
    (void)state;
    struct web w = {0};
    pthread_rwlock_init(&w.admins_lock, NULL);
    w.sessions = sessions_new(30);
    char id1[64], id2[64];
    assert_int_equal(session_start(&w, SESSION_USER, "alice@corp.example", "", id1), 0);
    assert_int_equal(session_start(&w, SESSION_USER, "alice@corp.example", "", id2), 0);
    assert_int_equal(strlen(id1), 43);
    assert_string_not_equal(id1, id2); /* fresh every time: no fixation */
    session_end(&w, id1);
    session_end(&w, id2);
    sessions_free(w.sessions);
    pthread_rwlock_destroy(&w.admins_lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_csrf_and_throttle),
        cmocka_unit_test(test_sessions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
