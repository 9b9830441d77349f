#!/usr/bin/python3
"""Promises the docs make, checked through Postfix by their outcomes.

- A regex that runs past its match limit fails the message closed: 451, and
  nothing is queued (sendwatch-milter(8)).
- A message in flight keeps the rules it started with across a reload, and
  the next message gets the new ones (sendwatch-milter(8), SIGNALS).
- "held reschedule" takes +N with a unit and seconds since the epoch, and the
  hold record's deadline says so (sendwatch(8)).
"""

import smtplib
import time
import unittest

import swtest

SENDER = "alice@corp.sendwatch.test"

OLD_RULES = """\
rule slow
    match body regex /^(a|a)*$/mx
    action reject "never reached"
rule old-word
    match body keywords "inflight"
    action reject "refused by the rules in force at MAIL FROM"
"""
NEW_RULES = """\
rule new-word
    match body keywords "afterwards"
    action reject "refused by the reloaded rules"
"""


class Promises(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack("promises", holdd=True, rules={"10-old.rules": OLD_RULES},
                                 config_extra={"hold_enable": "yes", "hold_scope": "all"})
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_a_regex_past_its_match_limit_fails_closed(self):
        body = b"a" * 40 + b"!\r\n"  # (a|a)* backtracks 2^40 ways before it gives up
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.stack.postfix.submit(SENDER, ["bob@corp.sendwatch.test"],
                                      swtest.make_message("match limit", body))
        self.assertEqual(caught.exception.smtp_code, 451)
        self.assertEqual([q for q in self.stack.postfix.queue()
                          if q["sender"] == SENDER and q["queue_name"] != "hold"], [])
        self.assertIn("match limit exceeded", self.stack.milter.log_text())

    def test_mail_in_flight_keeps_its_rules_across_a_reload(self):
        pf = self.stack.postfix
        client = smtplib.SMTP("127.0.0.1", pf.port, timeout=60)
        try:
            client.ehlo("client.sendwatch.test")
            client.mail(SENDER)          # the rules in force now are pinned
            client.rcpt("bob@corp.sendwatch.test")
            before = self.stack.milter.log_text().count("reloaded:")
            self.stack.write_rules("10-old.rules", NEW_RULES)
            r = self.stack.sendwatch("reload")
            self.assertEqual(r.returncode, 0, r.stderr)
            swtest.poll(lambda: self.stack.milter.log_text().count("reloaded:") > before, 30,
                        "the reload")
            code, text = client.data(swtest.make_message("in flight", b"inflight\r\n"))
            self.assertEqual(code, 550, text)
            self.assertIn(b"refused by the rules in force at MAIL FROM", text)
        finally:
            client.close()
        # The next message has the new rules: the old word passes (held: hold is
        # on for all), the new one is refused.
        qid = pf.submit(SENDER, ["bob@corp.sendwatch.test"],
                        swtest.make_message("after reload", b"inflight\r\n"))
        self.assertIsNotNone(qid)
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            pf.submit(SENDER, ["bob@corp.sendwatch.test"],
                      swtest.make_message("new rules", b"afterwards\r\n"))
        self.assertIn(b"refused by the reloaded rules", caught.exception.smtp_error)
        self.stack.write_rules("10-old.rules", OLD_RULES)
        self.assertEqual(self.stack.sendwatch("reload").returncode, 0)

    def deadline(self, qid):
        r = self.stack.sendwatch("held", "show", qid)
        for line in r.stdout.splitlines():
            if line.startswith("deadline "):
                return int(line.split()[1])
        return None

    def test_reschedule_takes_a_duration_and_an_epoch_time(self):
        qid = self.stack.postfix.submit(SENDER, ["bob@partner.example"],
                                        swtest.make_message("reschedule", b"x\r\n"))
        swtest.poll(lambda: self.deadline(qid), 30, "%s's hold record" % qid)
        for when, want in (("+2h", lambda t0: t0 + 7200), ("+90s", lambda t0: t0 + 90),
                           ("+1d", lambda t0: t0 + 86400),
                           ("2000000000", lambda t0: 2000000000)):
            t0 = int(time.time())
            r = self.stack.sendwatch("held", "reschedule", qid, when)
            self.assertEqual(r.returncode, 0, r.stderr)
            target = want(t0)
            got = swtest.poll(lambda: (lambda d: d if d is not None and abs(d - target) <= 3
                                       else None)(self.deadline(qid)), 30,
                              "the deadline %s (%s)" % (target, when))
            self.assertLessEqual(abs(got - target), 3, when)
        for bad in ("+2x", "+30", "2h", "-5m"):
            r = self.stack.sendwatch("held", "reschedule", qid, bad)
            self.assertEqual(r.returncode, 2, bad)


if __name__ == "__main__":
    swtest.main()
