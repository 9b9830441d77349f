#!/usr/bin/python3
"""Promises the docs make, checked through Postfix by their outcomes.

- A regex that runs past its match limit fails the message closed: 451, and
  nothing is queued (sendwatch-milter(8)).
- A message in flight keeps the rules it started with across a reload, and
  the next message gets the new ones (sendwatch-milter(8), SIGNALS).
- "held reschedule" takes +N with a unit and seconds since the epoch, and the
  hold record's deadline says so (sendwatch(8)).
- A release or delete that fails is retried after 5 s, then 10 s, ... as what
  it was, and the hold record says so (sendwatch-holdd(8)): a failed delete
  is never sent.
- "held delete -" takes the IDs on standard input, more than one batch of
  512 of them (sendwatch(8)).
"""

import json
import os
import smtplib
import subprocess
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
        client = smtplib.SMTP("127.0.0.1", pf.port, timeout=60,
                            local_hostname=swtest.CLIENT_NAME)
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
        record = self.records().get(qid)
        return int(record["deadline"]) if record else None

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

    def records(self):
        r = self.stack.sendwatch("held", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {h["queue_id"]: h for h in json.loads(r.stdout)}

    def hold(self, subject):
        qid = self.stack.postfix.submit(SENDER, ["bob@partner.example"],
                                        swtest.make_message(subject, b"x\r\n"))
        swtest.poll(lambda: any(e["queue_id"] == qid and e["queue_name"] == "hold"
                                for e in self.stack.postfix.queue()), 30, "%s in HOLD" % qid)
        return qid

    def test_failed_release_and_delete_are_retried_with_backoff(self):
        pf = self.stack.postfix
        released, deleted = self.hold("retried release"), self.hold("retried delete")
        # Postfix's commands fail while main.cf names a queue that is not
        # there (the running daemons keep what they read at start).
        main_cf = os.path.join(pf.config_dir, "main.cf")
        with open(main_cf, encoding="utf-8") as f:
            good = f.read()
        with open(main_cf, "a", encoding="utf-8") as f:
            f.write("queue_directory = /nonexistent-sendwatch-test\n")
        try:
            for verb, qid in (("release", released), ("delete", deleted)):
                r = self.stack.sendwatch("held", verb, qid)
                self.assertEqual(r.returncode, 0, r.stderr)
            # Two failed attempts each: 5 s apart, then a 10 s wait.
            recs = swtest.poll(lambda: (lambda r: r if all(
                r[q]["attempts"] == "2" for q in (released, deleted)) else None)(
                    self.records()), 60, "two failed attempts each")
            for qid, action in ((released, "release"), (deleted, "delete")):
                rec = recs[qid]
                self.assertEqual(rec["state"], "held")
                self.assertEqual(rec["retry"], action)
                self.assertEqual(rec["retry_by"], "cli:root")
                self.assertIn("fatal: chdir /nonexistent-sendwatch-test", rec["outcome"])
                self.assertEqual(int(rec["due"]) - int(rec["outcome_time"]), 10)
        finally:
            with open(main_cf, "w", encoding="utf-8") as f:
                f.write(good)
        # Mended: the next try does what was asked, for whom it was asked.
        recs = swtest.poll(lambda: (lambda r: r if r[released]["state"] != "held" and
                                    r[deleted]["state"] != "held" else None)(self.records()),
                           60, "the retries")
        self.assertEqual((recs[released]["state"], recs[released]["outcome"]),
                         ("released", "requested by cli:root"))
        self.assertEqual((recs[deleted]["state"], recs[deleted]["outcome"]),
                         ("deleted", "requested by cli:root"))
        self.stack.find("<retried-release@sendwatch.test>")
        self.assertNotIn(deleted, {e["queue_id"] for e in pf.queue()})
        self.assertNotIn("retried delete", [m.header("Subject")
                                            for m in self.stack.delivered()])

    def test_held_delete_reads_more_than_a_batch_of_ids(self):
        pf = self.stack.postfix
        before = set(self.records())
        count = 530  # past one batch of 512
        subprocess.run(["smtp-source", "-s", "5", "-m", str(count), "-f", SENDER,
                        "-t", "bob@partner.example", "-M", "client.sendwatch.test",
                        "127.0.0.1:%d" % pf.port], check=True, stdout=subprocess.DEVNULL)
        ids = swtest.poll(lambda: (lambda new: new if len(new) >= count else None)(
            set(self.records()) - before), 120, "%d hold records" % count)
        swtest.poll(lambda: ids <= {e["queue_id"] for e in pf.queue()
                                    if e["queue_name"] == "hold"}, 60, "all in HOLD")
        r = subprocess.run([swtest.binary("sendwatch"), "-c", self.stack.config_path, "held",
                            "delete", "-"], input="\n".join(sorted(ids)) + "\n",
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        swtest.poll(lambda: not ids & {e["queue_id"] for e in pf.queue()}, 120,
                    "all %d deleted from the queue" % count)
        recs = self.records()
        self.assertEqual({recs[q]["state"] for q in ids}, {"deleted"})
        self.assertEqual({recs[q]["outcome"] for q in ids}, {"requested by cli:root"})


if __name__ == "__main__":
    swtest.main()
