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
        self.save = os.path.join(self.stack.workdir, "state", "bypass.saved")

    def tearDown(self):
        self.stack.stop()

    def bypass(self, action):
        return subprocess.run([BYPASS, "-c", self.stack.postfix.config_dir, "-f", self.save,
                               "-m", self.stack.socket_path, action],
                              capture_output=True, text=True, encoding="utf-8", errors="replace")

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
        # The reload reaches new smtpd processes: poll until mail flows.
        def delivered():
            try:
                pf.submit("alice@corp.sendwatch.test", ["bob@partner.example"], msg)
                return True
            except smtplib.SMTPResponseException:
                return False
        swtest.poll(delivered, 30, "mail to flow with the bypass on")
        self.stack.wait_delivered(1)
        self.assertIn("bypass ON", self.bypass("status").stdout)
        self.assertEqual(self.bypass("on").returncode, 1)  # already on

        r = self.bypass("off")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.save))
        self.assertIn(self.stack.socket_path, subprocess.run(
            ["postconf", "-c", pf.config_dir, "-h", "smtpd_milters"],
            capture_output=True, text=True, encoding="utf-8", errors="replace").stdout)
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
