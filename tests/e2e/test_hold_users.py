#!/usr/bin/python3
"""A sender's own hold settings (user_settings_allowed), through a real Postfix."""

import json
import unittest

import swtest


class UserSettings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack("holdusers", config_extra={
            "hold_enable": "no", "user_settings_allowed": "yes"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def send(self, sender, subject):
        msg = swtest.make_message(subject, b"hello\r\n", sender=sender)
        return self.stack.postfix.submit(sender, ["bob@partner.example"], msg)

    def test_own_hold_settings(self):
        sw = self.stack.sendwatch
        r = sw("user", "set", "Alice@corp.sendwatch.test", "hold_enable=yes", "hold_minutes=5")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = sw("user", "show", "alice@corp.sendwatch.test")
        self.assertIn("in effect:    hold on, 5 minutes", r.stdout)
        qid = self.send("alice@corp.sendwatch.test", "alice holds")
        swtest.poll(lambda: any(e["queue_id"] == qid and e["queue_name"] == "hold"
                                for e in self.stack.postfix.queue()), 30, "alice's in HOLD")
        rec = next(h for h in json.loads(sw("held", "list", "--json").stdout)
                   if h["queue_id"] == qid)
        self.assertEqual(int(rec["deadline"]) - int(rec["created"]), 5 * 60)
        # Others keep the admin's policy: no hold.
        self.send("dave@corp.sendwatch.test", "dave sends")
        self.stack.find("<dave-sends@sendwatch.test>")
        # Back to the admin's setting.
        r = sw("user", "set", "alice@corp.sendwatch.test", "hold_enable=default")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("hold_minutes  5", sw("user", "show", "alice@corp.sendwatch.test").stdout)
        self.send("alice@corp.sendwatch.test", "alice again")
        self.stack.find("<alice-again@sendwatch.test>")

    def test_bad_settings(self):
        sw = self.stack.sendwatch
        r = sw("user", "set", "alice@corp.sendwatch.test", "hold_minutes=61")
        self.assertEqual(r.returncode, 2)
        self.assertIn("hold_minutes must be a number from 1 to 60", r.stderr)
        r = sw("user", "set", "alice@corp.sendwatch.test", "color=blue")
        self.assertEqual(r.returncode, 2)
        r = sw("user", "show", "not an address")
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    swtest.main()
