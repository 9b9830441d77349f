#!/usr/bin/python3
"""With the milter down and milter_default_action = tempfail, nothing passes."""

import smtplib
import unittest

import swtest


class MilterDown(unittest.TestCase):
    def setUp(self):
        # A small memory limit, so a modest message goes to the spill directory.
        self.stack = swtest.Stack("failure",
                                  config_extra={"message_memory_limit": "256k"}).start()

    def tearDown(self):
        self.stack.stop()  # fails unless each milter process exited 0

    def test_tempfail_then_resend(self):
        self.assertEqual(self.stack.milter.stop(), 0, self.stack.milter.log_text())
        msg = swtest.make_message("while down", b"must not pass unchecked\r\n")
        with self.assertRaises(smtplib.SMTPResponseException) as caught:
            self.stack.postfix.submit("alice@corp.sendwatch.test",
                                      ["bob@partner.example"], msg)
        code = caught.exception.smtp_code
        self.assertTrue(400 <= code < 500, "got %d, want a 4xx tempfail" % code)
        # Nothing was queued, so nothing can leak out later either.
        self.assertEqual(self.stack.postfix.queue(), [])
        self.assertEqual(self.stack.sink.files(), [])

        # The client retries once the milter is back: delivered.
        self.stack.milter.start(self.stack.socket_path)
        qid = self.stack.postfix.submit("alice@corp.sendwatch.test",
                                        ["bob@partner.example"], msg)
        got = self.stack.wait_delivered(1)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].queue_id, qid)
        self.assertEqual(got[0].header("Subject"), "while down")

    def test_spill_failure_tempfails(self):
        """A spill directory that fails mid-message: 4xx, never a silent pass."""
        import os
        tmp = os.path.join(self.stack.workdir, "tmp")
        os.chmod(tmp, 0o500)  # the run user can no longer create files there
        try:
            body = b"y" * 80 + b"\r\n"
            msg = swtest.make_message("spill fails", body * 30000)  # > the 256k limit
            with self.assertRaises(smtplib.SMTPResponseException) as caught:
                self.stack.postfix.submit("alice@corp.sendwatch.test",
                                          ["bob@partner.example"], msg)
            self.assertEqual(caught.exception.smtp_code, 451)
            self.assertIn(b"sendwatch: temporary failure", caught.exception.smtp_error)
        finally:
            os.chmod(tmp, 0o700)
        self.assertIn("temporary failure: cannot create spill file in %s" % tmp,
                      self.stack.milter.log_text())
        self.assertEqual(self.stack.postfix.queue(), [])
        self.assertEqual(self.stack.sink.files(), [])


if __name__ == "__main__":
    swtest.main()
