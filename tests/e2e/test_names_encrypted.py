#!/usr/bin/python3
"""Crafted mail that used to slip past the rules, sent through a real Postfix:
a NUL that hid ".exe" from attachment-name, and encrypted mail no rule could
see (the samples are lib/message/testdata/view/, made by make_name_samples.py)."""

import os
import re
import smtplib
import subprocess
import unittest

import swtest

RULES = """\
rule no-programs
    direction external
    attachment-name *.exe *.scr
    action reject "Programs may not be sent outside (policy 12)"

rule unreadable-mail
    direction external
    encrypted-message
    action hold 10m

rule elsewhere
    direction external
    external-body
    action reject "Links to files kept elsewhere may not be sent outside"

rule secret-name
    direction external
    match attachment-name keywords "社外秘"
    action reject "Confidential files may not be sent outside"
"""

SENDER = "alice@corp.sendwatch.test"
OUTSIDE = "bob@partner.example"
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib",
                       "message", "testdata", "view")


def sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


class NamesAndEncryption(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack("names-encrypted", rules={"10-test.rules": RULES}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()  # fails unless the milter exited 0

    def send(self, message):
        return self.stack.postfix.submit(SENDER, [OUTSIDE], message)

    def test_nul_in_a_name_does_not_hide_exe(self):
        """filename*=UTF-8''report.txt%00.exe, and an encoded-word with a NUL:
        refused by "attachment-name *.exe" at the end of DATA."""
        for name in ("name_2231_nul.eml", "name_2047_nul.eml"):
            with self.subTest(sample=name):
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    self.send(sample(name))
                self.assertEqual(caught.exception.smtp_code, 550)
                self.assertIn(b"5.7.1 Programs may not be sent outside (policy 12)",
                              caught.exception.smtp_error)
        # What the milter saw: the name whole, the NUL made visible.
        self.assertIn("suspicious-name", self.stack.milter.log_text())

    def test_a_harmless_name_passes(self):
        """The same kind of message with a plain report.txt is delivered."""
        msg = sample("name_2231_nul.eml").replace(
            b"filename*=UTF-8''report.txt%00.exe", b"filename*=UTF-8''report.txt")
        msg = msg.replace(b"<nul-in-rfc-2231@corp.example>", b"<harmless-name@corp.example>")
        self.send(msg)
        got = self.stack.find("<harmless-name@corp.example>")
        self.assertEqual(got.rcpts, [OUTSIDE])

    def test_encrypted_mail_is_held(self):
        """S/MIME enveloped data: held by "encrypted-message" (in Postfix's
        HOLD queue, not at the sink)."""
        qid = self.send(sample("kind_smime_enveloped.eml"))
        swtest.poll(lambda: any(e["queue_id"] == qid and e["queue_name"] == "hold"
                                for e in self.stack.postfix.queue()), 30,
                    "%s in HOLD (%s)" % (qid, self.stack.where()))
        self.assertRegex(self.stack.milter.log_text(),
                         r"%s: audit: rules=unreadable-mail actions=hold:600s " % re.escape(qid))
        self.assertNotIn(qid, self.stack.postfix.sent_ids())
        subprocess.run(["postsuper", "-c", self.stack.postfix.config_dir, "-d", qid, "hold"],
                       check=True, capture_output=True)


    def test_external_body_is_seen(self):
        """message/external-body (a link to a file elsewhere): flagged, so the
        rule on external-body refuses it."""
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.send(sample("kind_external_body.eml"))
        self.assertEqual(caught.exception.smtp_code, 550)
        self.assertIn(b"Links to files kept elsewhere", caught.exception.smtp_error)
        self.assertIn("external-body", self.stack.milter.log_text())

    def test_nul_inside_a_keyword_of_a_name(self):
        """filename*=UTF-8''%E7%A4%BE%00%E5%A4%96%E7%A7%98.txt: the NUL splits no
        keyword of the name."""
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.send(sample("name_2231_nul_keyword.eml"))
        self.assertEqual(caught.exception.smtp_code, 550)
        self.assertIn(b"Confidential files", caught.exception.smtp_error)

    def test_signed_smime_is_read_not_held(self):
        """S/MIME opaque signed mail is read, not taken for encrypted: not held."""
        msg = sample("kind_signed_smime.eml")
        qid = self.send(msg)
        swtest.poll(lambda: qid in self.stack.postfix.sent_ids(), 30,
                    "%s delivered (%s)" % (qid, self.stack.where()))


if __name__ == "__main__":
    swtest.main()
