#!/usr/bin/python3
"""Recipients that Postfix routes elsewhere than their last '@' says are external.

The internal domain is local to Postfix here (mydestination), and Postfix
keeps its defaults allow_percent_hack, swap_bangpath and
resolve_dequoted_address.  Then bob%evil.example@corp..., evil.example!bob@corp...
and "bob@evil.example"@corp... leave for evil.example (the test shows it: a
released one reaches the sink, "the internet", as bob@evil.example), so
sendwatch must count them as external: hold_scope = external holds them, and
a "direction external" rule applies to them.  Outcomes are read from
postqueue -j, the SMTP replies and the sink, not from log lines.
"""

import smtplib
import subprocess
import unittest

import swtest

SENDER = "alice@corp.sendwatch.test"
INSIDE = "dave@corp.sendwatch.test"
REROUTED = ["bob%evil.example@corp.sendwatch.test",
            "evil.example!bob@corp.sendwatch.test",
            '"bob@evil.example"@corp.sendwatch.test']

RULES = """\
rule outside-secret
    direction external
    match subject keywords "EXT-SECRET"
    action reject "secrets stay inside"
"""


class Routing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack(
            "routing", rules={"10-routing.rules": RULES},
            config_extra={"hold_enable": "yes", "hold_scope": "external",
                          "hold_minutes": "30"},
            main_extra={"mydestination": "corp.sendwatch.test"})
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def postconf(self, name):
        r = subprocess.run(["postconf", "-c", self.stack.postfix.config_dir, "-h", name],
                           capture_output=True, text=True, check=True)
        return r.stdout.strip()

    def send(self, subject, rcpt):
        msg = swtest.make_message(subject, b"hello\r\n", to=rcpt)
        return self.stack.postfix.submit(SENDER, [rcpt], msg)

    def queue_name(self, qid):
        for e in self.stack.postfix.queue():
            if e["queue_id"] == qid:
                return e["queue_name"]
        return None

    def test_postfix_defaults_route_them_off_site(self):
        """The premise, with Postfix's own defaults: such mail leaves for evil.example."""
        self.assertIn("corp.sendwatch.test", self.postconf("mydestination"))
        for name in ("allow_percent_hack", "swap_bangpath", "resolve_dequoted_address"):
            self.assertEqual(self.postconf(name), "yes", name)
        qid = self.send("rerouted release", REROUTED[0])
        swtest.poll(lambda: self.queue_name(qid) == "hold", 30, "%s in HOLD" % qid)
        subprocess.run(["postsuper", "-c", self.stack.postfix.config_dir, "-H", qid],
                       check=True, capture_output=True)
        subprocess.run(["postqueue", "-c", self.stack.postfix.config_dir, "-i", qid],
                       check=True, capture_output=True)
        m = self.stack.find("<rerouted-release@sendwatch.test>")
        self.assertEqual(m.rcpts, ["bob@evil.example"])

    def test_hold_scope_external_holds_them(self):
        for i, rcpt in enumerate(REROUTED):
            qid = self.send("rerouted hold %d" % i, rcpt)
            # The hold is decided before Postfix answers 250: no waiting needed.
            self.assertEqual(self.queue_name(qid), "hold", rcpt)
        qid = self.send("inside only", INSIDE)
        self.assertNotEqual(self.queue_name(qid), "hold")

    def test_direction_external_rule_applies(self):
        for rcpt in REROUTED:
            with self.assertRaises(smtplib.SMTPDataError, msg=rcpt) as cm:
                self.send("EXT-SECRET for %s" % rcpt.replace('"', ""), rcpt)
            self.assertEqual(cm.exception.smtp_code, 550, rcpt)
            self.assertIn(b"secrets stay inside", cm.exception.smtp_error)
        qid = self.send("EXT-SECRET inside", INSIDE)
        self.assertIsNotNone(qid)


if __name__ == "__main__":
    swtest.main()
