#!/usr/bin/python3
"""Send hold through a real Postfix: HOLD queue, deadline, release, delete, scope."""

import json
import re
import time
import unittest

import swtest

SENDER = "alice@corp.sendwatch.test"


class Hold(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack("hold", holdd=True, config_extra={
            "hold_enable": "yes", "hold_minutes": "30", "hold_scope": "external"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def send(self, subject, to=("bob@partner.example",)):
        msg = swtest.make_message(subject, b"please check before it leaves\r\n", to=to[0])
        return self.stack.postfix.submit(SENDER, list(to), msg)

    def in_hold(self, qid):
        return any(e["queue_id"] == qid and e["queue_name"] == "hold"
                   for e in self.stack.postfix.queue())

    def held(self, qid):
        r = self.stack.sendwatch("held", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        for rec in json.loads(r.stdout):
            if rec["queue_id"] == qid:
                return rec
        return None

    def wait_state(self, qid, state, timeout=60):
        return swtest.poll(lambda: (self.held(qid) or {}).get("state") == state and
                           self.held(qid), timeout,
                           "%s to be %s (%s)" % (qid, state, self.stack.where()))

    def delivered_subjects(self):
        return [m.header("Subject") for m in self.stack.delivered()]

    def test_held_then_released_at_its_deadline(self):
        qid = self.send("hold deadline")
        swtest.poll(lambda: self.in_hold(qid), 30, "%s in HOLD" % qid)
        rec = self.held(qid)
        self.assertEqual(rec["state"], "held")
        self.assertEqual(rec["recipient"], ["bob@partner.example"])
        self.assertEqual(rec["subject"], "hold deadline")
        self.assertGreaterEqual(int(rec["deadline"]) - int(rec["created"]), 30 * 60)
        self.assertIn("%s: hold: 1800 seconds" % qid, self.stack.milter.log_text())
        self.assertNotIn("hold deadline", self.delivered_subjects())
        # The admin moves the deadline (no test-only shortcut): it leaves once.
        r = self.stack.sendwatch("held", "reschedule", qid, "now")
        self.assertEqual(r.returncode, 0, r.stderr)
        m = self.stack.find("<hold-deadline@sendwatch.test>")
        self.assertIsNone(m.header("X-Sendwatch-Hold"))  # the marker never leaves
        rec = self.wait_state(qid, "released")
        self.assertEqual(rec["outcome"], "deadline")
        swtest.poll(lambda: qid in self.stack.postfix.sent_ids(), 30, "%s sent" % qid)
        self.assertEqual(self.stack.postfix.sent_ids().count(qid), 1)

    def test_release_now(self):
        qid = self.send("hold release")
        swtest.poll(lambda: self.in_hold(qid), 30, "%s in HOLD" % qid)
        r = self.stack.sendwatch("held", "release", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.stack.find("<hold-release@sendwatch.test>")
        rec = self.wait_state(qid, "released")
        self.assertEqual(rec["outcome"], "requested by cli")

    def test_delete_means_never(self):
        qid = self.send("hold delete")
        swtest.poll(lambda: self.in_hold(qid), 30, "%s in HOLD" % qid)
        r = self.stack.sendwatch("held", "delete", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_state(qid, "deleted")
        swtest.poll(lambda: not any(e["queue_id"] == qid for e in self.stack.postfix.queue()),
                    30, "%s gone from the queue" % qid)
        # A later release cannot bring it back.
        r = self.stack.sendwatch("held", "release", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        swtest.poll(lambda: re.search(r"%s: release requested by cli: not held" % qid,
                                      self.stack.holdd.log_text()), 30, "refusal logged")
        self.assertNotIn("hold delete", self.delivered_subjects())

    def test_internal_only_is_not_held(self):
        self.send("internal only", to=("carol@corp.sendwatch.test",))
        self.stack.find("<internal-only@sendwatch.test>")

    def test_bad_arguments(self):
        r = self.stack.sendwatch("held", "release", "../../etc/passwd")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a Postfix queue ID", r.stderr)
        r = self.stack.sendwatch("held", "reschedule", "4fRbNh1Cz5zJ4Mk", "tomorrow")
        self.assertEqual(r.returncode, 2)
        r = self.stack.sendwatch("held", "show", "4fRbNh1Cz5zJ4Mk")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no such held message", r.stderr)


if __name__ == "__main__":
    swtest.main()
