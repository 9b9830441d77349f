#!/usr/bin/python3
"""Send hold through a real Postfix: HOLD queue, deadline, release, delete, scope."""

import base64
import hashlib
import hmac
import json
import os
import re
import time
import unittest

import swtest

SENDER = "alice@corp.sendwatch.test"


class Hold(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack("hold", holdd=True, config_extra={
            "hold_enable": "yes", "hold_minutes": "30", "hold_scope": "external",
            "notice_sender": "sendwatch@corp.sendwatch.test",
            "web_base_url": "https://mail.corp.sendwatch.test/sendwatch",
            "node_name": "mx7"})
        cls.key_path = cls.stack.key_path
        cls.stack.start()

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
        self.assertEqual(int(rec["deadline"]) - int(rec["created"]), 30 * 60)
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
        self.assertEqual(rec["outcome"], "requested by cli:root")

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
        swtest.poll(lambda: re.search(r"%s: release requested by cli:root: not held" % qid,
                                      self.stack.holdd.log_text()), 30, "refusal logged")
        self.assertNotIn("hold delete", self.delivered_subjects())

    def notice_for(self, qid):
        def find():
            for m in self.stack.delivered():
                if m.header("X-Sendwatch-Notice") == "hold" and qid in m.message.get_content():
                    return m
            return None
        return swtest.poll(find, 60, "the hold notice of %s (%s)" % (qid, self.stack.where()))

    def verify(self, url):
        r = self.stack.sendwatch("token", "verify", url)
        return r.returncode, r.stdout.strip()

    def test_notice_lists_recipients_and_links_verify(self):
        qid = self.send("notice 社外秘 test", to=("bob@partner.example", "carol@corp.sendwatch.test"))
        swtest.poll(lambda: self.in_hold(qid), 30, "%s in HOLD" % qid)
        m = self.notice_for(qid)
        self.assertEqual(m.rcpts, [SENDER])
        self.assertEqual(str(m.message["Subject"]), "[送信保留] notice 社外秘 test")
        head = m.raw.split(b"\n\n")[0]
        self.assertRegex(head, rb"\nSubject: =\?(UTF-8|utf-8)\?")  # RFC 2047 on the wire
        head.decode("ascii")  # every header byte is ASCII
        self.assertEqual(m.header("Auto-Submitted"), "auto-generated")
        body = m.message.get_content()
        self.assertIn("bob@partner.example （社外）", body)
        self.assertIn("carol@corp.sendwatch.test\n", body)
        self.assertNotIn("carol@corp.sendwatch.test （社外）", body)
        links = re.findall(r"https://mail\.corp\.sendwatch\.test/sendwatch/n/mx7/hold/\S+", body)
        self.assertEqual(len(links), 2, body)
        release, delete = links
        rc, out = self.verify(release)
        self.assertEqual(rc, 0, out)
        self.assertIn("queue_id=%s action=release node=mx7" % qid, out)
        rc, out = self.verify(delete)
        self.assertEqual(rc, 0, out)
        self.assertIn("action=delete", out)
        # One byte changed anywhere in the token: refused.
        token = release.rsplit("/", 1)[1]
        for i in (3, len(token) // 2, len(token) - 1):
            forged = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
            rc, out = self.verify(forged)
            self.assertEqual(rc, 1, (i, out))
            self.assertTrue(out.startswith("invalid:"), out)
        # Another queue ID with this signature: refused.
        parts = token.split(".")
        parts[2] = "4fRbNh1Cz5zJ4Mk"
        rc, out = self.verify(".".join(parts))
        self.assertEqual((rc, out), (1, "invalid: bad signature (changed, or made with another key)"))
        # A genuine signature (made here with the key) over a past expiry: refused.
        with open(self.key_path, encoding="utf-8") as f:
            key = bytes.fromhex(f.read().strip())
        payload = "v1.mx7.%s.release.%d" % (qid, int(time.time()) - 60)
        sig = base64.urlsafe_b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest())
        rc, out = self.verify(payload + "." + sig.decode().rstrip("="))
        self.assertEqual((rc, out), (1, "invalid: expired"))
        self.assertIn("%s: hold notice sent to <%s>" % (qid, SENDER), self.stack.holdd.log_text())

    def test_notice_resists_header_injection(self):
        """A subject whose encoded-word hides CR LF and a Bcc: line adds no header."""
        evil = "=?UTF-8?B?%s?=" % base64.b64encode(
            "invoice\r\nBcc: evil@attacker.example\r\nX-Evil: 1".encode()).decode()
        msg = ("From: %s\r\nTo: bob@partner.example\r\nSubject: %s\r\n"
               "Message-ID: <evil@sendwatch.test>\r\n\r\nbody\r\n" % (SENDER, evil)).encode()
        qid = self.stack.postfix.submit(SENDER, ["bob@partner.example"], msg)
        m = self.notice_for(qid)
        self.assertEqual(m.rcpts, [SENDER])
        head = m.raw.split(b"\n\n")[0]
        self.assertNotRegex(head, rb"(?m)^(Bcc|X-Evil):")
        self.assertIn("invoice  Bcc: evil@attacker.example  X-Evil: 1", str(m.message["Subject"]))

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
