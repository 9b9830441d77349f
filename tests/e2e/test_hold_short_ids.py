#!/usr/bin/python3
"""Send hold with Postfix's short queue IDs (enable_long_queue_ids = no):
Postfix reuses them, so a hold on one could later act on another message.
The milter tempfails what it should hold, and says why; nothing is queued."""

import re
import smtplib
import subprocess
import unittest

import swtest

SENDER = "alice@corp.sendwatch.test"
REASON = r"cannot hold: short queue ID \(Postfix needs enable_long_queue_ids = yes\)"


class ShortQueueIds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack("holdshort", main_extra={"enable_long_queue_ids": "no"},
                                 config_extra={"hold_enable": "yes",
                                               "hold_scope": "all"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_hold_tempfails_and_names_the_reason(self):
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.stack.postfix.submit(SENDER, ["bob@partner.example"],
                                      swtest.make_message("short id", b"hello\r\n"))
        self.assertEqual(caught.exception.smtp_code, 451)
        self.assertEqual(self.stack.postfix.queue(), [])
        m = swtest.poll(lambda: re.search(r"([0-9A-F]+): " + REASON,
                                          self.stack.milter.log_text()),
                        30, "the milter's reason (%s)" % self.stack.where())
        qid = m.group(1)
        # The ID the milter names is Postfix's, and Postfix answered 4xx for it.
        self.assertRegex(self.stack.postfix.log_text(),
                         r"%s: milter-reject: END-OF-MESSAGE .*4\.3\.0" % qid)
        self.assertEqual(self.stack.delivered(), [])
        # Nor does the command act on a short ID, read from standard input.
        r = subprocess.run([swtest.binary("sendwatch"), "-c", self.stack.config_path,
                            "held", "delete", "-"], input=qid + "\n", capture_output=True,
                           text=True, encoding="utf-8", errors="replace", timeout=120)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("%s: cannot act on a short queue ID" % qid, r.stderr)


if __name__ == "__main__":
    swtest.main()
