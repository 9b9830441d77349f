#!/usr/bin/python3
"""One decision: what "sendwatch test --json" says equals what the milter did.

Over a table of configs (hold policy off, external-only, all with senders'
own settings) and messages (plain, internal, a rule's hold, a stored copy, a
rejection, a sender who turned hold off), each message is first shown to
"sendwatch test" and then sent through Postfix.  What Postfix and sendwatch
then did - refused it, held it (and for how long, from the hold record),
delivered it, stored a copy - must be what the test printed.
"""

import json
import os
import re
import smtplib
import unittest

import swtest

RULES = """\
rule rule-hold
    match subject keywords "holdme"
    action hold 20m
rule keep-copy
    match body keywords "confidential"
    action store conf
    action deliver
rule no-cards
    match body regex /\\b(?:\\d[ -]?){12,18}\\d\\b/ validate luhn
    action reject "no card numbers"
"""

CONFIGS = [
    {"hold_enable": "no"},
    {"hold_enable": "yes", "hold_scope": "external", "hold_minutes": "15"},
    {"hold_enable": "yes", "hold_scope": "all", "hold_minutes": "5",
     "user_settings_allowed": "yes"},
]

ALICE = "alice@corp.sendwatch.test"
CAROL = "carol@corp.sendwatch.test"  # has turned her own hold off
MESSAGES = [
    # (name, sender, recipient, subject, body)
    ("plain-out", ALICE, "bob@partner.example", "plain", "hello"),
    ("plain-in", ALICE, "dave@corp.sendwatch.test", "plain", "hello"),
    ("rule-hold-in", ALICE, "dave@corp.sendwatch.test", "holdme please", "hello"),
    ("stored-out", ALICE, "bob@partner.example", "report", "this is confidential"),
    ("card-out", ALICE, "bob@partner.example", "card", "4111 1111 1111 1111"),
    ("carol-out", CAROL, "bob@partner.example", "from carol", "hello"),
]


class Decision(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack("decision", rules={"10-decision.rules": RULES})
        with open(cls.stack.config_path, encoding="utf-8") as f:
            cls.base_config = f.read()
        cls.stack.start()
        r = cls.stack.sendwatch("user", "set", CAROL, "hold_enable=no")
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def use_config(self, extra):
        with open(self.stack.config_path, "w", encoding="utf-8") as f:
            f.write(self.base_config + "".join("%s = %s\n" % kv for kv in extra.items()))
        before = self.stack.milter.log_text().count("reloaded:")
        r = self.stack.sendwatch("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        swtest.poll(lambda: self.stack.milter.log_text().count("reloaded:") > before, 30,
                    "the milter to reload")

    def stored(self):
        r = self.stack.sendwatch("quarantine", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return len(json.loads(r.stdout))

    def predicted(self, path, sender, rcpt):
        r = self.stack.sendwatch("test", path, "--from", sender, "--to", rcpt, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def outcome(self, sender, rcpt, raw, stored_before):
        """What happened to RAW through Postfix: a set of action words like the test's."""
        try:
            qid = self.stack.postfix.submit(sender, [rcpt], raw)
        except smtplib.SMTPDataError as e:
            self.assertEqual(e.smtp_code, 550, e)
            return {"reject"}, 0
        words = set()
        if self.stored() > stored_before:
            words.add("store:conf")
        # In HOLD, or delivered (on its way through incoming/active it is neither yet).
        held = swtest.poll(lambda: [q for q in self.stack.postfix.queue()
                                    if q["queue_id"] == qid and q["queue_name"] == "hold"] or
                           qid in self.stack.postfix.sent_ids(), 60,
                           "%s held or delivered" % qid)
        if held is True:
            words.add("deliver")
            return words, 0
        listed = self.stack.sendwatch("held", "list", "--json")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        fields = next(h for h in json.loads(listed.stdout) if h["queue_id"] == qid)
        seconds = int(fields["deadline"]) - int(fields["created"])
        words.add("hold:%ds" % seconds)
        return words, seconds

    def test_the_tester_says_what_the_milter_does(self):
        checked = 0
        for n, extra in enumerate(CONFIGS):
            self.use_config(extra)
            for name, sender, rcpt, subject, body in MESSAGES:
                with self.subTest(config=extra, message=name):
                    raw = swtest.make_message("%s %d %s" % (subject, n, name),
                                              body.encode() + b"\r\n", sender=sender, to=rcpt)
                    path = os.path.join(self.stack.workdir, "%s-%d.eml" % (name, n))
                    with open(path, "wb") as f:
                        f.write(raw)
                    said = self.predicted(path, sender, rcpt)
                    did, seconds = self.outcome(sender, rcpt, raw, self.stored())
                    self.assertEqual(set(said["actions"]), did,
                                     "sendwatch test said %s, the milter did %s"
                                     % (said["actions"], sorted(did)))
                    self.assertEqual(said["hold"]["seconds"], seconds)
                    checked += 1
        self.assertEqual(checked, len(CONFIGS) * len(MESSAGES))


if __name__ == "__main__":
    swtest.main()
