#!/usr/bin/python3
"""First run and root safety.

- Config, rules, templates and the link key live in a directory only root
  can enter (the harness's etc/, as in a checkout under /root): the stack
  still holds mail, sends its notice, and reloads rules through root.
- A file a daemon cannot use stops its start at once with one line naming
  the setting and the file, and "sendwatch check" says the same line.
- A socket swapped for a symlink while the daemons start never turns root
  against another file.
- A notice that cannot be sent is retried with backoff, counted, and shown.
- The admin's tester works on a bare machine and parses mail as run_user.
"""

import os
import pwd
import signal
import smtplib
import stat
import subprocess
import sys
import unittest

import swtest

SENDER = "alice@corp.sendwatch.test"


def as_run_user():
    """preexec_fn: become the run user (for a racer, or a reader that must fail)."""
    pw = pwd.getpwnam(swtest.RUN_USER)
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=60, **kw)


class RootOnlyFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack("rootonly", holdd=True, config_extra={
            "hold_enable": "yes", "hold_minutes": "30", "hold_scope": "external",
            "notice_sender": "sendwatch@corp.sendwatch.test"})
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_etc_is_out_of_the_run_users_reach(self):
        st = os.stat(self.stack.etc)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o700))
        r = run("/usr/bin/python3", "-c", "import sys; open(sys.argv[1]).read()",
                self.stack.config_path, preexec_fn=as_run_user)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("PermissionError", r.stderr)

    def test_held_mail_gets_its_notice(self):
        msg = swtest.make_message("root-only templates", b"hold me\r\n")
        qid = self.stack.postfix.submit(SENDER, ["bob@partner.example"], msg)
        notice = swtest.poll(lambda: [m for m in self.stack.delivered()
                                      if m.header("X-Sendwatch-Notice") == "hold"
                                      and qid in m.message.get_body().get_content()],
                             60, "the hold notice of %s" % qid)[0]
        self.assertEqual(notice.rcpts, [SENDER])
        self.assertIn("送信保留", notice.header("Subject"))
        self.assertNotIn("Permission denied", self.stack.holdd.log_text())

    def test_reload_reads_rules_through_root(self):
        self.stack.write_rules("50-reload.rules",
                               "rule reloaded\n    match body keywords \"reloadword\"\n"
                               "    action reject \"refused by a reloaded rule\"\n")
        try:
            before = self.stack.milter.log_text().count("reloaded:")
            r = self.stack.sendwatch("reload")
            self.assertEqual(r.returncode, 0, r.stderr)
            swtest.poll(lambda: self.stack.milter.log_text().count("reloaded:") > before, 30,
                        "the milter to reload")
            self.assertNotIn("reload failed", self.stack.milter.log_text())
            msg = swtest.make_message("reload check", b"the reloadword is here\r\n")
            with self.assertRaises(smtplib.SMTPDataError) as e:
                self.stack.postfix.submit(SENDER, ["bob@corp.sendwatch.test"], msg)
            self.assertEqual(e.exception.smtp_code, 550)
            self.assertIn(b"refused by a reloaded rule", e.exception.smtp_error)
        finally:
            os.unlink(os.path.join(self.stack.rules_dir, "50-reload.rules"))
            self.stack.sendwatch("reload")


class BadFilesStopTheStart(unittest.TestCase):
    """Each case: the daemon exits 1 at once with the line, and check prints it too."""

    def setUp(self):
        self.stack = swtest.Stack("badfiles", holdd=True)

    def assert_refused(self, program, line):
        r = run(swtest.binary(program), "-f", "-c", self.stack.config_path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(line, r.stderr)
        self.assertIn("not started", r.stderr)
        c = self.stack.sendwatch("check")
        self.assertEqual(c.returncode, 1, c.stdout)
        self.assertIn("sendwatch: " + line, c.stderr)

    def test_missing_template(self):
        path = os.path.join(self.stack.templates_dir, "hold-notice.en.txt")
        os.unlink(path)
        self.assert_refused("sendwatch-holdd", "notice_template_dir: %s: cannot open: No such "
                            "file or directory" % path)

    def test_unknown_placeholder(self):
        path = os.path.join(self.stack.templates_dir, "hold-notice.ja.txt")
        with open(path, "a", encoding="utf-8") as f:
            f.write("送信: {sendnow_url}\n")
        lines = swtest.read_text(path).count("\n")
        self.assert_refused("sendwatch-holdd", "notice_template_dir: %s:%d: unknown placeholder "
                            "{sendnow_url}" % (path, lines))

    def test_template_that_is_not_text(self):
        path = os.path.join(self.stack.templates_dir, "hold-notice.en.txt")
        with open(path, "wb") as f:
            f.write(b"Subject: x\n\n\xff\xfe binary\n")
        self.assert_refused("sendwatch-holdd", "notice_template_dir: %s: not UTF-8 text" % path)

    def test_key_others_can_read(self):
        os.chmod(self.stack.key_path, 0o640)
        self.assert_refused("sendwatch-holdd", "web_key_file %s: must be a regular file that "
                            "only its owner can read (chmod 600)" % self.stack.key_path)

    def test_key_missing(self):
        os.unlink(self.stack.key_path)
        self.assert_refused("sendwatch-holdd", "web_key_file %s: No such file or directory "
                            "(make one with \"sendwatch key new\")" % self.stack.key_path)

    def test_rules_file_that_is_not_a_file(self):
        path = os.path.join(self.stack.rules_dir, "20-odd.rules")
        os.mkdir(path)
        r = run(swtest.binary("sendwatch-milter"), "-f", "-c", self.stack.config_path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("rules_dir: %s: not a regular file" % path, r.stderr)
        c = self.stack.sendwatch("check")
        self.assertEqual(c.returncode, 1)
        self.assertIn("sendwatch: rules_dir: %s: not a regular file\n" % path, c.stderr)

    def test_rules_the_run_user_could_change(self):
        """Root reads the rules for the milter: a rules_dir run_user owns is refused."""
        swtest.chown_to(self.stack.rules_dir, swtest.RUN_USER)
        r = run(swtest.binary("sendwatch-milter"), "-f", "-c", self.stack.config_path)
        self.assertEqual(r.returncode, 1, r.stderr)
        line = ("rules_dir %s: refused: run_user sendwatch owns %s, so a compromised daemon "
                "could change what root reads for it" % (self.stack.rules_dir,
                                                          self.stack.rules_dir))
        self.assertIn(line, r.stderr)
        c = self.stack.sendwatch("check")
        self.assertEqual(c.returncode, 1)
        self.assertIn("sendwatch: " + line, c.stderr)

    def test_keyword_list_the_run_user_could_swap(self):
        """A keywords-file in a directory run_user may write to could become a symlink
        to /etc/shadow: refused, with the rule's file, line and column."""
        lists = os.path.join(self.stack.workdir, "lists")
        os.mkdir(lists)
        with open(os.path.join(lists, "kw.txt"), "w", encoding="utf-8") as f:
            f.write("secret\n")
        os.chmod(lists, 0o777)
        self.stack.write_rules("30-kw.rules", "rule kw\n    match body keywords-file %s/kw.txt\n"
                               "    action deliver\n" % lists)
        c = self.stack.sendwatch("check")
        self.assertEqual(c.returncode, 1)
        self.assertIn("30-kw.rules:2:30: keywords file %s/kw.txt: refused: run_user sendwatch "
                      "may write to %s" % (lists, lists), c.stderr)

    def test_templates_the_run_user_could_change(self):
        swtest.chown_to(self.stack.templates_dir, swtest.RUN_USER)
        path = os.path.join(self.stack.templates_dir, "hold-notice.ja.txt")
        self.assert_refused("sendwatch-holdd", "notice_template_dir: %s: refused: run_user "
                            "sendwatch owns %s" % (path, self.stack.templates_dir))

    def test_state_dir_the_run_user_cannot_write(self):
        state = os.path.join(self.stack.workdir, "state")
        os.chown(state, 0, 0)
        line = "state_dir %s: sendwatch cannot read and write in it: Permission denied" % state
        self.assert_refused("sendwatch-milter", line)
        self.assert_refused("sendwatch-holdd", line)


class DaemonMode(unittest.TestCase):
    """Without -f the milter becomes a daemon (daemon(3) forks): its root loader must
    live on, so that reload still reads the root-only rules."""

    def test_reload_after_daemonizing(self):
        stack = swtest.Stack("daemon")
        pidfile = os.path.join(stack.workdir, "run", "milter.pid")
        stack.sink.start()
        try:
            r = run(swtest.binary("sendwatch-milter"), "-c", stack.config_path)
            self.assertEqual(r.returncode, 0, r.stderr)
            pid = swtest.poll(lambda: swtest.read_text(pidfile).strip(), 30, "the pid file")
            pid = int(pid)
            swtest.poll(lambda: os.path.exists(stack.socket_path), 30, "the milter socket")
            loaders = [p for p in os.listdir("/proc") if p.isdigit()
                       and swtest.read_text("/proc/%s/comm" % p).strip() == "sendwatch-load"]
            self.assertTrue(loaders, "no root loader after daemon(3)")
            stack.postfix.start()
            stack.write_rules("50-daemon.rules",
                              "rule daemon\n    match body keywords \"daemonword\"\n"
                              "    action reject \"refused after a reload\"\n")
            r = stack.sendwatch("reload")
            self.assertEqual(r.returncode, 0, r.stderr)

            def refused():
                try:
                    stack.postfix.submit(SENDER, ["bob@corp.sendwatch.test"],
                                         swtest.make_message("daemon", b"daemonword\r\n"))
                except smtplib.SMTPDataError as e:
                    return e.smtp_code == 550 and b"refused after a reload" in e.smtp_error
                return False
            swtest.poll(refused, 30, "the reloaded rule to refuse mail")
        finally:
            stack.postfix.stop()
            if os.path.exists(pidfile):
                pid = int(swtest.read_text(pidfile))
                os.kill(pid, signal.SIGTERM)
                swtest.poll(lambda: not swtest.pid_alive(pid), 30, "the milter to stop")
            stack.sink.stop()


RACER = r"""
import os, stat, sys, time
sock, victim, stop = sys.argv[1:4]
spare = sock + ".racer"
end = time.monotonic() + 120
while time.monotonic() < end and not os.path.exists(stop):
    # The moment the daemon's socket appears, a symlink to the victim takes
    # its place in one rename: root's next step by name would follow it.
    if not os.path.lexists(spare):
        os.symlink(victim, spare)
    try:
        if stat.S_ISSOCK(os.lstat(sock).st_mode):
            os.rename(spare, sock)
    except OSError:
        pass
"""


class SocketRace(unittest.TestCase):
    """run_user swaps the sockets for symlinks to a root-owned file, in a loop, while
    the daemons start again and again: the file keeps its owner, mode and bytes."""

    STARTS = 12

    def test_symlinked_sockets_never_reach_root_files(self):
        stack = swtest.Stack("race", holdd=True)
        victim = os.path.join(stack.workdir, "victim")
        with open(victim, "w", encoding="utf-8") as f:
            f.write("precious\n")
        os.chmod(victim, 0o600)
        before = os.stat(victim)
        for program, sock in (("sendwatch-milter", stack.socket_path),
                              ("sendwatch-holdd", stack.holdd_socket)):
            stop = os.path.join(stack.workdir, "stop-racer")
            racer = subprocess.Popen(["/usr/bin/python3", "-c", RACER, sock, victim, stop],
                                     preexec_fn=as_run_user)
            started = 0
            try:
                for _ in range(self.STARTS):
                    if os.path.lexists(sock):  # the last round's symlink: a fresh race
                        os.unlink(sock)
                    log = os.path.join(stack.workdir, "log", "race.log")
                    with open(log, "wb") as out:
                        p = subprocess.Popen([swtest.binary(program), "-f", "-c",
                                              stack.config_path], stdout=out,
                                             stderr=subprocess.STDOUT)
                    # Started (it logs "starting:" after the drop) or refused.
                    swtest.poll(lambda: "starting:" in swtest.read_text(log)
                                or p.poll() is not None, 30, "%s to start or exit" % program)
                    if p.poll() is None:
                        started += 1
                        # Past its start-up, nothing more to race: no need to wait
                        # for a clean stop (the milter's takes up to 5 s).
                        p.send_signal(signal.SIGKILL)
                    p.wait(30)
                    st = os.stat(victim)
                    self.assertEqual((st.st_uid, st.st_gid, st.st_mode),
                                     (before.st_uid, before.st_gid, before.st_mode),
                                     "%s changed %s: %s" % (program, victim,
                                                            swtest.read_text(log)))
            finally:
                open(stop, "w").close()
                racer.wait(30)
                os.unlink(stop)
            print("%s: %d of %d starts got past the racer" % (program, started, self.STARTS),
                  file=sys.stderr)
        self.assertEqual(swtest.read_text(victim), "precious\n")


class NoticeRetry(unittest.TestCase):
    """sendmail fails: the notice waits with backoff, counted in the hold record and
    logged; once sendmail works it goes out, and the record says when."""

    def test_failed_notice_is_retried_counted_and_shown(self):
        workdir = swtest.make_workdir("noticeretry")
        flag = os.path.join(workdir, "sendmail-works")
        fake = os.path.join(workdir, "sendmail")
        with open(fake, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\n[ -e %s ] && exec /usr/sbin/sendmail \"$@\"\n"
                    "echo 'sendmail is down for this test' >&2\nexit 75\n" % flag)
        os.chmod(fake, 0o755)
        stack = swtest.Stack("noticeretry", holdd=True, workdir=os.path.join(workdir, "s"),
                             config_extra={"hold_enable": "yes", "hold_scope": "all",
                                           "sendmail_path": fake})
        stack.start()
        try:
            qid = stack.postfix.submit(SENDER, ["bob@partner.example"],
                                       swtest.make_message("notice retry", b"x\r\n"))
            swtest.poll(lambda: "hold notice failed (attempt 2)" in stack.holdd.log_text(),
                        60, "two failed attempts")
            self.assertIn("%s: hold notice failed (attempt 1), retrying in 5 s: failed: "
                          "sendmail exit 75" % qid, stack.holdd.log_text())
            shown = stack.sendwatch("held", "show", qid)
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertRegex(shown.stdout, r"notice_attempts +[2-9]")
            self.assertIn("sendmail is down for this test", shown.stdout)
            open(flag, "w").close()
            swtest.poll(lambda: "%s: hold notice sent" % qid in stack.holdd.log_text(), 60,
                        "the notice once sendmail works")
            shown = stack.sendwatch("held", "show", qid)
            self.assertRegex(shown.stdout, r"notice_sent +\d+")
            self.assertNotIn("notice_error", shown.stdout)
        finally:
            stack.stop()


class Tester(unittest.TestCase):
    """sendwatch test on a bare machine: no installed directories, files root's."""

    def setUp(self):
        self.dir = swtest.make_workdir("bare")
        self.private = os.path.join(self.dir, "private")
        os.makedirs(os.path.join(self.private, "rules"))
        os.chmod(self.private, 0o700)
        with open(os.path.join(self.private, "rules", "10.rules"), "w", encoding="utf-8") as f:
            f.write("rule secret\n    match body keywords \"社外秘\"\n    action reject \"secret\"\n")
        self.msg = os.path.join(self.private, "m.eml")
        with open(self.msg, "wb") as f:
            f.write(swtest.make_message("bare", "これは社外秘です\r\n".encode()))
        self.conf = os.path.join(self.private, "sendwatch.conf")

    def write_conf(self, extra=""):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("rules_dir = %s/rules\n%s" % (self.private, extra))

    def test_bare_machine_uses_a_private_temp_dir(self):
        missing = os.path.join(self.dir, "not-installed")
        self.write_conf("temp_dir = %s\nmessage_memory_limit = 0\n" % missing)
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "test", self.msg, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"rules":[{"name":"secret"', r.stdout)
        self.assertRegex(r.stderr, r"temp_dir %s does not exist: using /tmp/sendwatch-test-\w+ "
                         r"for this test" % missing)
        used = r.stderr.split("using ")[1].split()[0]
        self.assertFalse(os.path.exists(used), "the private directory is removed")

    def test_mail_is_parsed_as_the_run_user(self):
        """A spill directory only root may write to fails the test: not root any more."""
        roots = os.path.join(self.dir, "roots-tmp")
        os.makedirs(roots)
        os.chmod(roots, 0o700)
        self.write_conf("temp_dir = %s\nmessage_memory_limit = 0\n" % roots)
        r = run(swtest.binary("sendwatch"), "-c", self.conf, "test", self.msg)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("cannot create spill file in %s: Permission denied" % roots, r.stderr)


if __name__ == "__main__":
    swtest.main()
