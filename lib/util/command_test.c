/* Unit tests for command.c: exit status, output, error, limits, failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "command.h"

static char err[256];

static void test_output_and_status(void **state)
{
    (void)state;
    struct buf out = {0}, errout = {0};
    char *echo[] = {"/bin/echo", "hello", "$HOME;", NULL}; /* no shell: taken literally */
    assert_int_equal(command_run(echo, NULL, 0, &out, &errout, 1 << 20, err, sizeof(err)),
                     0);
    assert_string_equal(out.data, "hello $HOME;\n");
    assert_int_equal(errout.len, 0);
    buf_free(&out);
    char *ls[] = {"/bin/ls", "/nonexistent-sendwatch", NULL};
    int status = command_run(ls, NULL, 0, &out, &errout, 1 << 20, err, sizeof(err));
    assert_true(status > 0);
    assert_non_null(strstr(errout.data, "nonexistent-sendwatch"));
    assert_int_equal(out.len, 0);
    buf_free(&errout);
    /* The fixed environment, not the caller's. */
    char *env[] = {"/usr/bin/env", NULL};
    assert_int_equal(command_run(env, NULL, 0, &out, NULL, 1 << 20, err, sizeof(err)), 0);
    assert_string_equal(out.data, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n");
    buf_free(&out);
}

static void test_limit_and_failures(void **state)
{
    (void)state;
    struct buf out = {0};
    char *head[] = {"/usr/bin/head", "-c", "100000", "/dev/zero", NULL};
    assert_int_equal(command_run(head, NULL, 0, &out, NULL, 4096, err, sizeof(err)), 0);
    assert_int_equal(out.len, 4096);
    buf_free(&out);
    char *missing[] = {"/nonexistent/program", NULL};
    assert_int_equal(command_run(missing, NULL, 0, &out, NULL, 4096, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "/nonexistent/program"));
    char *killed[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
    assert_int_equal(command_run(killed, NULL, 0, NULL, NULL, 4096, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "killed by signal 9"));
}

/* Input, and several at once: each gets its own, none waits on another. */
static void test_input_and_several_at_once(void **state)
{
    (void)state;
    struct command c[8];
    char input[8][32];
    char *cat[] = {"/bin/cat", NULL};
    for (int i = 0; i < 8; i++) {
        snprintf(input[i], sizeof(input[i]), "notice %d\n", i);
        command_start(&c[i], cat, input[i], strlen(input[i]));
    }
    for (int i = 0; i < 8; i++) {
        struct buf out = {0};
        assert_int_equal(command_finish(&c[i], &out, NULL, 1 << 20, err, sizeof(err)), 0);
        assert_string_equal(out.data, input[i]);
        buf_free(&out);
    }
    /* A megabyte through standard input, as no pipe would take in one go. */
    static char big[1 << 20];
    memset(big, 'x', sizeof(big));
    struct buf out = {0};
    char *wc[] = {"/usr/bin/wc", "-c", NULL};
    assert_int_equal(command_run(wc, big, sizeof(big), &out, NULL, 64, err, sizeof(err)),
                     0);
    assert_string_equal(out.data, "1048576\n");
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_and_status),
        cmocka_unit_test(test_limit_and_failures),
        cmocka_unit_test(test_input_and_several_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
