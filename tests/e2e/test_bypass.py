#!/usr/bin/python3
"""contrib/bypass/sendwatch-bypass: mail flows without sendwatch, then not."""

import os
import smtplib
import subprocess
import unittest

import swtest

BYPASS = os.path.join(os.path.dirname(__file__), "..", "..", "contrib", "bypass",
                      "sendwatch-bypass")


class Bypass(unittest.TestCase):
    def setUp(self):
        self.stack = swtest.Stack("bypass").start()
        # Its default: beside the settings it saves, where only root writes.
        self.save = os.path.join(self.stack.postfix.config_dir, "sendwatch_bypass.saved")

    def tearDown(self):
        self.stack.stop()

    def bypass(self, action):
        return subprocess.run([BYPASS, "-c", self.stack.postfix.config_dir,
                               "-m", self.stack.socket_path, action],
                              capture_output=True, text=True, encoding="utf-8", errors="replace")

    def postconf(self, param):
        return subprocess.run(["postconf", "-c", self.stack.postfix.config_dir, "-h", param],
                              capture_output=True, text=True, encoding="utf-8",
                              errors="replace").stdout

    def test_on_then_off(self):
        pf = self.stack.postfix
        self.assertEqual(self.stack.milter.stop(), 0)
        msg = swtest.make_message("bypassed", b"flows while sendwatch is out\r\n")
        with self.assertRaises(smtplib.SMTPResponseException):
            pf.submit("alice@corp.sendwatch.test", ["bob@partner.example"], msg)

        r = self.bypass("on")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ON: mail now leaves without sendwatch checks", r.stdout)
        self.assertTrue(os.path.exists(self.save))
        self.assertEqual(os.stat(self.save).st_mode & 0o777, 0o600)
        # Both paths out of Postfix lose sendwatch: SMTP and local submission.
        for param in ("smtpd_milters", "non_smtpd_milters"):
            self.assertNotIn(self.stack.socket_path, self.postconf(param))
        # The reload reaches new smtpd processes: poll until mail flows.
        def delivered():
            try:
                pf.submit("alice@corp.sendwatch.test", ["bob@partner.example"], msg)
                return True
            except smtplib.SMTPResponseException:
                return False
        swtest.poll(delivered, 30, "mail to flow with the bypass on")
        self.stack.wait_delivered(1)
        status = self.bypass("status")
        self.assertIn("bypass ON", status.stdout)
        self.assertEqual(status.returncode, 0)
        self.assertEqual(self.bypass("on").returncode, 1)  # already on

        r = self.bypass("off")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.save))
        for param in ("smtpd_milters", "non_smtpd_milters"):
            self.assertIn(self.stack.socket_path, self.postconf(param))
        self.assertEqual(self.bypass("status").returncode, 3)
        # sendwatch is required again: with it down, mail is refused once more.
        def refused():
            try:
                pf.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                          swtest.make_message("after bypass", b"x\r\n"))
                return False
            except smtplib.SMTPResponseException as e:
                return 400 <= e.smtp_code < 500
        swtest.poll(refused, 30, "mail to be refused again with the bypass off")
        self.assertEqual([m.header("Subject") for m in self.stack.delivered()
                          if m.header("Subject") == "bypassed"], ["bypassed"])


if __name__ == "__main__":
    swtest.main()
