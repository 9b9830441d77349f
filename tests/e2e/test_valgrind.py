#!/usr/bin/python3
"""sendwatch-milter under valgrind: no memory errors, no leaks, after real mail."""

import os
import re
import signal
import smtplib
import unittest

import swtest

SUPPRESSIONS = os.path.join(os.path.dirname(__file__), "..", "valgrind.supp")
SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "lib", "message", "testdata", "view")
VALGRIND = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
            "--track-fds=no", "--suppressions=" + SUPPRESSIONS]

# Every kind of matcher and action, so the whole inspection runs under valgrind.
RULES = """\
rule secret
    match any keywords "社外秘" "CONFIDENTIAL" "内部顧客"
    action store secret
    action deliver
rule cards
    match body,attachment-text regex /\\b(?:\\d[ -]?){15}\\d\\b/ validate luhn
    action forward audit@corp.sendwatch.test
    action deliver
rule never
    match subject keywords "REJECT-ME"
    action reject "no"
rule reload-me
    size > 1
    action deliver
"""


class ValgrindClean(unittest.TestCase):
    def test_milter_is_valgrind_clean(self):
        stack = swtest.Stack("valgrind", config_extra={"message_memory_limit": "64k"},
                             rules={"10-vg.rules": RULES},
                             milter_wrapper=VALGRIND)
        # Leaving the block stops the stack, which fails unless the milter
        # exited 0: valgrind makes it 99 on any error or leak, and the
        # failure shows the end of the milter's log (valgrind's report).
        with stack.start():
            # In memory, spilled, a multi-message session and an abandoned one.
            stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                 swtest.make_message("vg small", b"small\r\n"))
            stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                 swtest.make_message("vg large", b"z" * 78 + b"\r\n" * 5000
                                                     + b"y" * 200000 + b"\r\n"))
            with smtplib.SMTP("127.0.0.1", stack.postfix.port, timeout=120,
                            local_hostname=swtest.CLIENT_NAME) as smtp:
                smtp.sendmail("alice@corp.sendwatch.test", ["carol@partner.example"],
                              swtest.make_message("vg multi 1", b"one\r\n"))
                smtp.mail("alice@corp.sendwatch.test")
                smtp.rcpt("bob@partner.example")
                smtp.rset()
                smtp.sendmail("alice@corp.sendwatch.test", ["carol@partner.example"],
                              swtest.make_message("vg multi 2", b"two\r\n"))
            # Real samples: Japanese encodings, names, archives, office documents.
            for name in ("iso2022jp.eml", "names.eml", "arch_archives.eml", "arch_office.eml",
                         "arch_encrypted.eml", "malformed.eml", "forwarded.eml"):
                with open(os.path.join(SAMPLES, name), "rb") as f:
                    stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                         f.read())
            with self.assertRaises(smtplib.SMTPDataError):
                stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                     swtest.make_message("REJECT-ME", b"x\r\n"))
            # A reload while running (signalled directly: under valgrind the
            # process is not named sendwatch-milter, so "sendwatch reload" refuses).
            os.kill(stack.milter.proc.pid, signal.SIGUSR1)
            swtest.poll(lambda: "reloaded:" in stack.milter.log_text(), 60, "a reload")
            stack.wait_delivered(11, timeout=180)
            self.assertIn("audit: rules=secret", stack.milter.log_text())

    def test_holdd_is_valgrind_clean(self):
        """holdd (and its root helper) through hold, notice, release and delete."""
        stack = swtest.Stack("valgrind-holdd", holdd=True, config_extra={
            "hold_enable": "yes", "hold_scope": "all"})
        # The exec'd root helper too (Postfix's own programs it runs are skipped),
        # with one log per process.
        logs = os.path.join(stack.workdir, "log", "valgrind")
        os.makedirs(logs)
        stack.holdd.wrapper = [a for a in VALGRIND if a != "--quiet"] + [
            "--trace-children=yes", "--trace-children-skip=/usr/sbin/*,/usr/bin/*,/bin/*",
            "--log-file=%s/%%p.log" % logs]
        with stack.start():  # stopping fails unless holdd (and the milter) exited 0
            ids = [stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                        swtest.make_message("vg hold %d" % i, b"x\r\n"))
                   for i in range(3)]
            swtest.poll(lambda: "hold notice sent" in stack.holdd.log_text(), 180, "a notice")
            self.assertEqual(stack.sendwatch("held", "release", ids[0]).returncode, 0)
            self.assertEqual(stack.sendwatch("held", "delete", ids[1]).returncode, 0)
            self.assertEqual(stack.sendwatch("held", "reschedule", ids[2], "now").returncode, 0)
            swtest.poll(lambda: len([m for m in stack.delivered()
                                     if (m.header("Subject") or "").startswith("vg hold")]) == 2,
                        180, "two released messages")
        texts = [swtest.read_text(os.path.join(logs, n)) for n in sorted(os.listdir(logs))]
        # The helper's own children log until they exec a (skipped) Postfix
        # program; the processes that ran to their end have a summary.
        texts = [t for t in texts if "ERROR SUMMARY" in t]
        commands = [re.search(r"Command: (\S+)", t).group(1) for t in texts]
        self.assertEqual(sorted(os.path.basename(c) for c in commands),
                         ["sendwatch-helper", "sendwatch-holdd"], texts)
        for command, text in zip(commands, texts):
            self.assertIn("ERROR SUMMARY: 0 errors", text, "%s:\n%s" % (command, text))


if __name__ == "__main__":
    swtest.main()
