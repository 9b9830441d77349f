/* Unit tests for config.c: table-driven good and bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

struct bad_case {
    const char *text;
    const char *want_error; /* the whole message */
};

static const struct bad_case bad_cases[] = {
    {"nosuch = 1\n", "t.conf:1: unknown parameter \"nosuch\""},
    {"# c\n\nstate_dir\n", "t.conf:3: missing '=' (expected \"name = value\")"},
    {" = x\n", "t.conf:1: continuation line without a parameter before it"},
    {"= x\n", "t.conf:1: missing parameter name before '='"},
    {"state_dir = relative/dir\n",
     "t.conf:1: bad value for state_dir: \"relative/dir\" (expected an absolute path)"},
    {"state_dir = /a\nstate_dir = /b\n", "t.conf:2: state_dir is already set at line 1"},
    {"message_memory_limit = 12q\n",
     "t.conf:1: bad value for message_memory_limit: \"12q\" (expected bytes, optionally "
     "with a k, m or g suffix; 'q' at column 3 is not a suffix)"},
    {"message_memory_limit = 2g\n",
     "t.conf:1: message_memory_limit = 2g is out of range (0 to 1073741824 bytes)"},
    {"message_memory_limit = 99999999999999999999\n",
     "t.conf:1: bad value for message_memory_limit: \"99999999999999999999\" (expected "
     "bytes, optionally with a k, m or g suffix; the number is too large)"},
    {"message_memory_limit = 18014398509481984k\n",
     "t.conf:1: bad value for message_memory_limit: \"18014398509481984k\" (expected "
     "bytes, optionally with a k, m or g suffix; the number is too large)"},
    {"milter_socket = unix:relative\n",
     "t.conf:1: bad value for milter_socket: \"unix:relative\" (a unix socket needs an "
     "absolute path)"},
    {"milter_socket = inet:0@127.0.0.1\n",
     "t.conf:1: bad value for milter_socket: \"inet:0@127.0.0.1\" (the port must be a "
     "number from 1 to 65535)"},
    {"milter_socket = inet:70000\n",
     "t.conf:1: bad value for milter_socket: \"inet:70000\" (the port must be a number "
     "from 1 to 65535)"},
    {"milter_socket = inet:25@\n",
     "t.conf:1: bad value for milter_socket: \"inet:25@\" (the host after @ is empty)"},
    {"milter_socket = /tmp/x\n",
     "t.conf:1: bad value for milter_socket: \"/tmp/x\" (expected unix:/path, "
     "inet:PORT@HOST or inet6:PORT@HOST)"},
    {"run_user = bad user\n",
     "t.conf:1: bad value for run_user: \"bad user\" (expected letters, digits, '.', '_' "
     "or '-'; ' ' at column 4 is not allowed)"},
    {"archive_max_depth = 0\n",
     "t.conf:1: bad value for archive_max_depth: \"0\" (expected a number from 1 to 20)"},
    {"hold_enable = true\n",
     "t.conf:1: bad value for hold_enable: \"true\" (expected yes or no)"},
    {"hold_scope = everyone\n",
     "t.conf:1: bad value for hold_scope: \"everyone\" (expected external or all)"},
    {"web_base_url = ftp://x\n", "t.conf:1: bad value for web_base_url: \"ftp://x\" "
                                 "(expected an http:// or https:// URL)"},
    {"web_base_url = https://x/\"><script>\n",
     "t.conf:1: bad value for web_base_url: \"https://x/\"><script>\" (spaces, quotes, "
     "<, > and non-ASCII are not allowed in it)"},
    {"notice_sender = a b@c\n",
     "t.conf:1: bad value for notice_sender: \"a b@c\" (expected local-part or "
     "local-part@domain; ' ' at column 2 is not allowed)"},
    {"notice_sender = -oQ@x\n",
     "t.conf:1: bad value for notice_sender: \"-oQ@x\" (expected local-part or "
     "local-part@domain; '-' at column 1 cannot start the address)"},
    {"notice_sender = a@b@c\n",
     "t.conf:1: bad value for notice_sender: \"a@b@c\" (expected local-part or "
     "local-part@domain; '@' at column 4 is a second '@')"},
    /* These two were accepted before. */
    {"notice_sender =\n", "t.conf:1: bad value for notice_sender: \"\" (expected "
                          "local-part or local-part@domain; the value is empty)"},
    {"notice_sender = a@.example.com\n",
     "t.conf:1: bad value for notice_sender: \"a@.example.com\" (expected local-part or "
     "local-part@domain; '.' at column 3 cannot start the domain)"},
    /* notice_sender becomes sendmail's -f argument: parse_addr_spec. */
    {"notice_sender = a,b@x.example\n",
     "t.conf:1: bad value for notice_sender: \"a,b@x.example\" (expected local-part or "
     "local-part@domain; ',' at column 2 is not allowed)"},
    {"notice_sender = (x)a@x.example\n",
     "t.conf:1: bad value for notice_sender: \"(x)a@x.example\" (expected local-part or "
     "local-part@domain; '(' at column 1 is not allowed)"},
    {"notice_sender = a..b@x.example\n",
     "t.conf:1: bad value for notice_sender: \"a..b@x.example\" (expected local-part or "
     "local-part@domain; '.' at column 3 follows another '.')"},
    {"notice_sender = -oQ\n",
     "t.conf:1: bad value for notice_sender: \"-oQ\" (expected local-part or "
     "local-part@domain; '-' at column 1 cannot start the address)"},
    /* node_name is a field of the links' token: parse_node_name, one DNS label. */
    {"node_name = mx1.corp\n",
     "t.conf:1: bad value for node_name: \"mx1.corp\" (expected a node name of letters, "
     "digits and '-', at most 63 characters; '.' at column 4 is not allowed)"},
    {"node_name = mx_1\n",
     "t.conf:1: bad value for node_name: \"mx_1\" (expected a node name of letters, "
     "digits and '-', at most 63 characters; '_' at column 3 is not allowed)"},
    {"node_name = -mx1\n",
     "t.conf:1: bad value for node_name: \"-mx1\" (expected a node name of letters, "
     "digits and '-', at most 63 characters; '-' at column 1 cannot start the name)"},
    {"node_name = "
     "a123456789b123456789c123456789d123456789e123456789f123456789abcd\n",
     "t.conf:1: bad value for node_name: "
     "\"a123456789b123456789c123456789d123456789e123456789f123456789abcd\" (expected a "
     "node name of letters, digits and '-', at most 63 characters; the name is longer "
     "than 63 characters)"},
    {"node_name =\n",
     "t.conf:1: bad value for node_name: \"\" (expected a node name of "
     "letters, digits and '-', at most 63 characters; the value is empty)"},
    {"message_memory_limit = 4mb\n",
     "t.conf:1: bad value for message_memory_limit: \"4mb\" (expected bytes, optionally "
     "with a k, m or g suffix; 'b' at column 3 follows the suffix)"},
    {"archive_max_depth = +5\n", "t.conf:1: bad value for archive_max_depth: \"+5\" "
                                 "(expected a number from 1 to 20)"},
    {"hold_minutes = 61\n",
     "t.conf:1: bad value for hold_minutes: \"61\" (expected a number from 1 to 60)"},
    {"archive_max_ratio = 10x\n", "t.conf:1: bad value for archive_max_ratio: \"10x\" "
                                  "(expected a number from 2 to 100000)"},
    {"internal_domains = corp.example, bad_domain\n",
     "t.conf:1: bad value for internal_domains: \"bad_domain\" (expected a domain name "
     "of "
     "letters, digits, '-' and '.', or .domain for its subdomains; '_' at column 4 is "
     "not "
     "allowed)"},
    {"internal_domains = example.\n",
     "t.conf:1: bad value for internal_domains: \"example.\" (expected a domain name of "
     "letters, digits, '-' and '.', or .domain for its subdomains; '.' at column 8 "
     "cannot "
     "end the domain)"},
    {"internal_domains = corp..example\n", /* accepted before */
     "t.conf:1: bad value for internal_domains: \"corp..example\" (expected a domain "
     "name of letters, digits, '-' and '.', or .domain for its subdomains; '.' at "
     "column 6 follows another '.')"},
    {"run_user =\n", "t.conf:1: bad value for run_user: \"\" (expected letters, digits, "
                     "'.', '_' or '-'; the value is empty)"},
};

static void test_bad_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        char err[512] = "";
        struct config *cfg = config_parse(bad_cases[i].text, strlen(bad_cases[i].text),
                                          "t.conf", err, sizeof(err));
        if (cfg != NULL || strcmp(err, bad_cases[i].want_error) != 0)
            fail_msg("case %zu: got cfg=%p error \"%s\", want NULL and \"%s\"", i,
                     (void *)cfg, err, bad_cases[i].want_error);
        config_free(cfg);
    }
}

static void test_good_file(void **state)
{
    static const char text[] = "# sendwatch test config\n"
                               "\n"
                               "milter_socket = inet:8891@127.0.0.1  \n"
                               "state_dir=/var/tmp/sw\n"
                               "temp_dir =\n"
                               "    /var/tmp/sw-spool\n"
                               "# a comment between\n"
                               "message_memory_limit = 64k\r\n"
                               "syslog_name = sendwatch-test\n"
                               "internal_domains = Corp.Example.co.jp,\n"
                               "    .corp.example.co.jp  sub.example\n"
                               "archive_max_depth = 7\n"
                               "notice_sender = sendwatch-notice+hold@Corp.example\n"
                               "node_name = Tokyo-MX-02\n"
                               "state_map_size = 2G\n";
    char err[512] = "";
    (void)state;

    struct config *cfg =
        config_parse(text, sizeof(text) - 1, "good.conf", err, sizeof(err));
    if (cfg == NULL)
        fail_msg("got error \"%s\", want success", err);
    assert_string_equal(cfg->milter_socket, "inet:8891@127.0.0.1");
    assert_string_equal(cfg->state_dir, "/var/tmp/sw");
    assert_string_equal(cfg->temp_dir, "/var/tmp/sw-spool");
    assert_int_equal(cfg->message_memory_limit, 64 * 1024);
    assert_string_equal(cfg->syslog_name, "sendwatch-test");
    assert_string_equal(cfg->run_user, "sendwatch"); /* default kept */
    assert_string_equal(cfg->source, "good.conf");
    assert_string_equal(cfg->internal_domains[0], "corp.example.co.jp");
    assert_string_equal(cfg->internal_domains[1], ".corp.example.co.jp");
    assert_string_equal(cfg->internal_domains[2], "sub.example");
    assert_null(cfg->internal_domains[3]);
    assert_int_equal(cfg->archive_max_depth, 7);
    assert_string_equal(cfg->notice_sender, "sendwatch-notice+hold@Corp.example");
    assert_string_equal(cfg->node_name, "Tokyo-MX-02");
    assert_int_equal(cfg->state_map_size, 2ULL << 30);
    config_free(cfg);
}

static void test_defaults_and_print(void **state)
{
    struct config *cfg = config_defaults();
    char *buf = NULL;
    size_t len = 0;
    char err[256];
    (void)state;

    assert_non_null(cfg);
    FILE *mem = open_memstream(&buf, &len);
    config_print(cfg, mem);
    fclose(mem);
    /* What config_print writes must load back to the same settings. */
    struct config *again = config_parse(buf, len, "printed", err, sizeof(err));
    if (again == NULL)
        fail_msg("printed defaults do not parse: %s", err);
    assert_string_equal(again->milter_socket, cfg->milter_socket);
    assert_int_equal(again->message_memory_limit, cfg->message_memory_limit);
    free(buf);
    config_free(again);
    config_free(cfg);
    config_free(NULL);
}

static void test_load_file(void **state)
{
    char path[] = "/tmp/config_test.XXXXXX";
    char err[512] = "";
    (void)state;

    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "state_dir = /srv/sw\nbogus = 1\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);

    struct config *cfg = config_load(path, err, sizeof(err));
    assert_null(cfg);
    char want[600];
    snprintf(want, sizeof(want), "%s:2: unknown parameter \"bogus\"", path);
    assert_string_equal(err, want);
    unlink(path);

    cfg = config_load(path, err, sizeof(err));
    assert_null(cfg);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
    assert_string_equal(err, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_defaults_and_print),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
