#!/usr/bin/python3
"""The admin's command line and the milter's start-up checks."""

import os
import subprocess
import unittest

import swtest


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=60)


class CheckCommand(unittest.TestCase):
    def setUp(self):
        self.dir = swtest.make_workdir("cli")
        self.conf = os.path.join(self.dir, "sendwatch.conf")

    def write(self, text):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)

    def rules_dir(self, files):
        d = os.path.join(self.dir, "rules")
        os.makedirs(d, exist_ok=True)
        for name, text in files.items():
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(text)
        return d

    def test_good_config_passes(self):
        """A complete installation (the harness's) passes every check."""
        stack = swtest.Stack("cli-check", rules={
            "10-a.rules": "rule a\n    match body keywords \"x\"\n    action deliver\n"})
        # Without admins the web would start, but nobody could sign in: said.
        r = run(swtest.binary("sendwatch"), "-c", stack.config_path, "check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("no admins yet", r.stderr)
        r = stack.sendwatch("admin", "add", "root-admin", "--role", "admin",
                            stdin="a long password\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run(swtest.binary("sendwatch"), "-c", stack.config_path, "check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        self.assertIn("sendwatch-web: would start", r.stdout)
        self.assertEqual(r.stdout.splitlines()[:2], ["%s: ok" % stack.config_path,
                                                     "%s: 1 rules ok" % stack.rules_dir])
        self.assertIn("sendwatch-milter: would start", r.stdout)
        self.assertIn("sendwatch-holdd: would start", r.stdout)

    def test_bare_config_names_every_missing_piece(self):
        """On a machine without the installed directories, check says what is missing."""
        d = self.rules_dir({"10-a.rules": "rule a\n    match body keywords \"x\"\n"
                                          "    action deliver\n"})
        self.write("state_dir = %s/nope/state\nrules_dir = %s\nnotice_template_dir = %s/nope\n"
                   "web_key_file = %s/nope/web.key\n" % (self.dir, d, self.dir, self.dir))
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s: 1 rules ok" % d, r.stdout)
        self.assertNotIn("would start", r.stdout)
        for line in ("sendwatch: state_dir %s/nope/state: No such file or directory" % self.dir,
                     "sendwatch: notice_template_dir: %s/nope/hold-notice.ja.txt: cannot open: "
                     "No such file or directory" % self.dir,
                     "sendwatch: web_key_file %s/nope/web.key: No such file or directory "
                     "(make one with \"sendwatch key new\")" % self.dir):
            self.assertIn(line + "\n", r.stderr)
        # A problem both daemons share is said once.
        self.assertEqual(r.stderr.count("state_dir %s/nope/state" % self.dir), 1)

    def test_bad_rule_fails_with_file_line_column(self):
        d = self.rules_dir({"10-a.rules": "rule a\n    match body keywords \"x\"\n"
                                          "    action deliver\n",
                            "20-b.rules": "rule b\n    match body regex /(unclosed/\n"
                                          "    action deliver\n"})
        self.write("rules_dir = %s\n" % d)
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("sendwatch: %s/20-b.rules:2:32: bad regex: missing closing parenthesis"
                      % d, r.stderr)

    def test_bad_duration_or_size_fails_with_file_line_column(self):
        """An unknown unit is an error, not minutes; a hold past 60m is refused."""
        d = self.rules_dir({"10-a.rules": "rule a\n    size > 1\n    action hold 10x\n",
                            "20-b.rules": "rule b\n    size > 1\n    action hold 2d\n",
                            "30-c.rules": "rule c\n    size > 5mb\n    action deliver\n"})
        self.write("rules_dir = %s\n" % d)
        for name, want in (
                ("10-a.rules", '10-a.rules:3:17: bad duration "10x": expected a number and '
                               "a unit s, m, h or d; 'x' at column 3 is not a unit"),
                ("20-b.rules", "20-b.rules:3:17: hold 2d is 172800 seconds; a hold lasts "
                               "from 1m to 60m"),
                ("30-c.rules", '30-c.rules:2:12: bad size "5mb": expected bytes, optionally '
                               "with a k, m or g suffix; 'b' at column 3 follows the suffix")):
            r = run(swtest.binary("sendwatch"), "-c", self.conf, "check")
            self.assertEqual(r.returncode, 1)
            self.assertIn("sendwatch: %s/%s" % (d, want), r.stderr)
            os.unlink(os.path.join(d, name))  # the next file's error comes first now

    def test_bad_time_names_what_was_expected(self):
        """held reschedule's WHEN is read before anything else: no store needed."""
        for when, why in (("+30", "the unit is missing"),
                          ("+10x", "'x' at column 4 is not a unit"),
                          ("tomorrow", "'t' at column 1 is not a digit")):
            r = run(swtest.binary("sendwatch"), "-c", self.conf, "held", "reschedule",
                    "4fRbNh1Cz5zJ4Mk", when)
            self.assertEqual(r.returncode, 2)
            self.assertEqual(r.stderr, 'sendwatch: bad time "%s": expected now, +DURATION (a '
                             "number and a unit s, m, h or d) or seconds since the epoch; "
                             "%s\n" % (when, why))

    def test_sample_rules_are_valid(self):
        sample = os.path.join(os.path.dirname(__file__), "..", "..", "rules")
        stack = swtest.Stack("cli-sample", config_extra={"rules_dir": os.path.abspath(sample)})
        r = run(swtest.binary("sendwatch"), "-c", stack.config_path, "check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"rules: [1-9]\d* rules ok")

    def test_unknown_name_fails_with_file_and_line(self):
        self.write("state_dir = /var/lib/sendwatch\n\nholdd_minutes = 5\n")
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "check")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'sendwatch: %s:3: unknown parameter "holdd_minutes"\n'
                         % self.conf)

    def test_bad_value_fails_with_file_and_line(self):
        self.write("milter_socket = unix:run/milter.sock\n")
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:1: bad value for milter_socket" % self.conf, r.stderr)

    def test_node_name_and_notice_sender_fail_with_file_and_line(self):
        """node_name is a field of the links' token, which splits on '.';
        notice_sender becomes sendmail's -f argument: both refused at check."""
        for line, why in (
                ("node_name = mx1.corp",
                 'bad value for node_name: "mx1.corp" (expected a node name of letters, '
                 "digits and '-', at most 63 characters; '.' at column 4 is not allowed)"),
                ("notice_sender = a,b@corp.example",
                 'bad value for notice_sender: "a,b@corp.example" (expected local-part or '
                 "local-part@domain; ',' at column 2 is not allowed)")):
            self.write("state_dir = /var/lib/sendwatch\n%s\n" % line)
            r = run(swtest.binary("sendwatch"), "-c", self.conf, "check")
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr, "sendwatch: %s:2: %s\n" % (self.conf, why))

    def test_held_refuses_short_queue_ids(self):
        """Postfix reuses short IDs: release, delete and reschedule refuse them
        before anything else (no store needed)."""
        for args in (("release", "4A2B3C1D5E"), ("delete", "4A2B3C1D5E"),
                     ("reschedule", "4A2B3C1D5E", "now")):
            r = run(swtest.binary("sendwatch"), "-c", self.conf, "held", *args)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(r.stderr, "sendwatch: 4A2B3C1D5E: cannot act on a short queue "
                             "ID (Postfix reuses them; it needs enable_long_queue_ids = "
                             "yes)\n")

    def test_missing_file(self):
        r = run(swtest.binary("sendwatch"), "-c", self.conf + ".nope", "check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot open: No such file or directory", r.stderr)

    def test_config_prints_effective_values(self):
        self.write("message_memory_limit = 2m\n")
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("message_memory_limit = 2097152\n", r.stdout)
        self.assertIn("run_user = sendwatch\n", r.stdout)

    def test_sample_config_is_valid_and_states_the_defaults(self):
        sample = os.path.join(os.path.dirname(__file__), "..", "..", "conf",
                              "sendwatch.conf")
        r = run(swtest.binary("sendwatch"), "-c", sample, "config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.write("")
        defaults = run(swtest.binary("sendwatch"), "-c", self.conf, "config")
        self.assertEqual(r.stdout, defaults.stdout,
                         "conf/sendwatch.conf must list the defaults")

    def test_unknown_command(self):
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn('unknown command "frobnicate"', r.stderr)


class TestCommand(unittest.TestCase):
    """sendwatch test: the milter's inspection on a saved message."""

    SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "lib", "message", "testdata", "view")

    def setUp(self):
        self.dir = swtest.make_workdir("cli-test")
        rules = os.path.join(self.dir, "rules")
        os.makedirs(rules)
        with open(os.path.join(rules, "10-t.rules"), "w", encoding="utf-8") as f:
            f.write("rule secret-names\n"
                    "    match attachment-name keywords \"社外秘\"\n"
                    "    action store names\n"
                    "    action deliver\n"
                    "rule customers\n"
                    "    direction external\n"
                    "    match attachment-text regex /[\\w.]+@[\\w.]+/\n"
                    "    action forward audit@corp.example\n"
                    "    action deliver\n")
        self.conf = os.path.join(self.dir, "sendwatch.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("rules_dir = %s\ntemp_dir = /tmp\ninternal_domains = corp.example\n" % rules)

    def test_json(self):
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "test",
                os.path.join(self.SAMPLES, "names.eml"), "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        import json
        out = json.loads(r.stdout)
        self.assertEqual(out["from"], "a@corp.example")   # from the header
        self.assertEqual(out["to"], ["b@partner.example"])
        self.assertTrue(out["external"])
        names = {a["name"]: a for a in out["attachments"]}
        self.assertIn("社外秘.pdf", names)                  # two ISO-2022-JP words joined
        self.assertEqual(names["社外秘.pdf"]["type"], "application/pdf")
        self.assertEqual(names["社外秘.pdf"]["size"], 10)
        self.assertFalse(names["社外秘.pdf"]["encrypted"])
        self.assertTrue(names["invoice.pdf.exe"]["suspicious_name"])
        rules = {r_["name"]: r_ for r_ in out["rules"]}
        self.assertEqual(sorted(rules), ["customers", "secret-names"])
        fields = {m["field"] for m in rules["secret-names"]["matches"]}
        self.assertEqual(fields, {"attachment-name"})
        self.assertTrue(any("社外秘" in m["snippet"] for m in rules["secret-names"]["matches"]))
        self.assertEqual(out["actions"], ["store:names", "forward:audit@corp.example", "deliver"])
        self.assertIn("suspicious-name", out["flags"])

    def test_envelope_options_and_text_output(self):
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "test",
                os.path.join(self.SAMPLES, "names.eml"), "--from", "x@corp.example",
                "--to", "y@corp.example")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("direction:   internal", r.stdout)
        # Internal mail: the customers rule (direction external) does not apply.
        self.assertIn("rules:       1 matched", r.stdout)
        self.assertIn("actions:     store:names deliver", r.stdout)

    def test_missing_message(self):
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "test", "/nonexistent.eml")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent.eml: cannot open", r.stderr)


class MilterStartup(unittest.TestCase):
    """A daemon with a bad setup says why in one line and exits 1."""

    def setUp(self):
        self.dir = swtest.make_workdir("milter-start")
        self.conf = os.path.join(self.dir, "sendwatch.conf")

    def base(self, key_name="web.key"):
        """Settings every start needs: rules (root's), state, spill, quarantine and
        run directories (the run user's), the key (KEY_NAME, made when it is the
        usual one)."""
        rules = os.path.join(self.dir, "rules")
        os.makedirs(rules, exist_ok=True)
        for d in ("state", "tmp", "quarantine", "run"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
            swtest.chown_to(os.path.join(self.dir, d), swtest.RUN_USER)
        # The link key, root's and 0600: the milter derives its password key from it.
        key = os.path.join(self.dir, key_name)
        if key_name == "web.key" and not os.path.exists(key):
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, (os.urandom(32).hex() + "\n").encode())
            os.close(fd)
        return ("rules_dir = %s\nstate_dir = %s/state\nmilter_pid_file = %s/run/milter.pid\n"
                "quarantine_dir = %s/quarantine\nweb_key_file = %s\n"
                % (rules, self.dir, self.dir, self.dir, key))

    def start(self, text, key_name="web.key"):
        if "temp_dir" not in text:
            text += "temp_dir = %s/tmp\n" % self.dir
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(self.base(key_name) + text)
        return run(swtest.binary("sendwatch-milter"), "-f", "-c", self.conf)

    def test_bad_config(self):
        r = self.start("temp_dir = tmp\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn(":6: bad value for temp_dir", r.stderr)

    def test_unwritable_temp_dir(self):
        tmp = os.path.join(self.dir, "roots-tmp")
        os.makedirs(tmp)  # owned by root, mode 755: the run user cannot write
        r = self.start("milter_socket = unix:%s/run/m.sock\ntemp_dir = %s\n" % (self.dir, tmp))
        self.assertEqual(r.returncode, 1)
        self.assertIn("temp_dir %s: sendwatch cannot write to it: Permission denied" % tmp,
                      r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "run", "m.sock")))

    def test_socket_directory_must_be_run_users(self):
        """The socket is bound with run_user's rights: a root-only directory is refused
        at start, with the setting named."""
        r = self.start("milter_socket = unix:%s/m.sock\n" % self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn("milter_socket: the directory of %s: sendwatch cannot write to it: "
                      "Permission denied" % self.dir, r.stderr)

    def test_needs_the_key_file(self):
        """The milter seals zip passwords with a key derived from web_key_file:
        without the file it does not start, and says so."""
        r = self.start("milter_socket = unix:%s/run/m.sock\n" % self.dir, key_name="nope.key")
        self.assertEqual(r.returncode, 1)
        self.assertIn("web_key_file %s/nope.key: No such file or directory (make one with "
                      "\"sendwatch key new\")" % self.dir, r.stderr)

    def test_refuses_root_as_run_user(self):
        r = self.start("milter_socket = unix:%s/run/m.sock\nrun_user = root\n" % self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn('run_user: "root" is root; the daemons refuse to run as root', r.stderr)

    def test_drops_privileges(self):
        """Started as root, the milter runs as run_user with its socket 0660."""
        sock = os.path.join(self.dir, "run", "m.sock")
        m = swtest.Milter(self.dir, self.conf)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(self.base() + "milter_socket = unix:%s\ntemp_dir = %s/tmp\n" % (sock, self.dir))
        m.start(sock)
        # Cleanups run last-in first: stop, then fail unless it exited 0 - as
        # errors of their own, so a failure below is still reported first.
        self.addCleanup(m.check_exits)
        self.addCleanup(m.stop)
        want = swtest.pwd.getpwnam(swtest.RUN_USER).pw_uid

        def uids():
            with open("/proc/%d/status" % m.proc.pid, encoding="utf-8") as f:
                line = [l for l in f.read().splitlines() if l.startswith("Uid:")][0]
            return set(int(x) for x in line.split()[1:])
        # The socket appears while the milter is still root (it binds it
        # with run_user's rights, then drops): wait for the drop.
        swtest.poll(lambda: uids() == {want} or m.proc.poll() is not None, 30,
                    "the milter to drop to %s" % swtest.RUN_USER)
        self.assertEqual(uids(), {want})
        st = os.stat(sock)
        self.assertEqual(st.st_mode & 0o777, 0o660)
        self.assertEqual(st.st_uid, want)
        self.assertEqual(st.st_gid, swtest.grp.getgrnam("postfix").gr_gid)


if __name__ == "__main__":
    swtest.main()
