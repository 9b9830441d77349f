#!/usr/bin/python3
"""Leak-prevention rules through a real Postfix: every action, and reload."""

import base64
import io
import json
import os
import re
import subprocess
import signal
import smtplib
import unittest
import zipfile

import samples
import swtest

RULES = """\
rule store-and-deliver
    match subject keywords "STORE-ME"
    action store audit
    action deliver

rule forward-copy
    match subject keywords "BCC-ME"
    action forward audit@corp.sendwatch.test
    action deliver

rule redirect
    match subject keywords "REDIRECT-ME"
    action forward boss@corp.sendwatch.test

rule quarantine-only
    direction external
    match body,attachment-name keywords "社外秘"
    action store quarantine

rule drop
    match subject keywords "DISCARD-ME"
    action discard

rule card-reject
    match body,attachment-text regex /\\b(?:\\d[ -]?){15}\\d\\b/ validate luhn
    action reject "Card numbers may not leave the company (policy 7)"

rule defer
    match subject keywords "DEFER-ME"
    action tempfail

rule hold-later
    match subject keywords "HOLD-ME"
    action hold 10m
"""

SENDER = "alice@corp.sendwatch.test"
OUTSIDE = "bob@partner.example"


def iso2022jp_message(subject, text, to=OUTSIDE):
    """A message as Japanese mail clients send it: ISO-2022-JP, 7bit."""
    body = text.encode("iso2022_jp")
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@sendwatch.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
            "Content-Transfer-Encoding: 7bit\r\n\r\n" % (SENDER, to, subject, subject)
            ).encode() + body + b"\r\n"


SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib",
                       "message", "testdata", "view")


def sample_body(name):
    """A sample message's MIME headers and body, its address headers left out."""
    with open(os.path.join(SAMPLES, name), "rb") as f:
        raw = f.read()
    head, _, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else \
        raw.replace(b"\n", b"\r\n").partition(b"\r\n\r\n")
    keep = [line for line in head.split(b"\r\n")
            if line.lower().startswith((b"content-", b" ", b"\t"))]
    return b"\r\n".join(keep) + b"\r\n\r\n" + body


class Actions(unittest.TestCase):
    follow_ups = 0

    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack("rules", rules={"10-test.rules": RULES}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()  # fails unless the milter exited 0

    def send(self, subject, body=b"hello\r\n", rcpts=(OUTSIDE,), message=None):
        msg = message or swtest.make_message(subject, body, sender=SENDER, to=rcpts[0])
        return self.stack.postfix.submit(SENDER, list(rcpts), msg)

    def delivered_rcpts(self, message_id):
        """All recipients the sink got MESSAGE_ID for."""
        rcpts = []
        for m in self.stack.delivered():
            if m.header("Message-ID") == message_id:
                rcpts.extend(m.rcpts)
        return sorted(rcpts)

    def quarantine(self):
        r = self.stack.sendwatch("quarantine", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def assert_never_delivered(self, message_id):
        """MESSAGE_ID is not in the queue and never reaches the sink: a follow-up
        sent after it is delivered, the queue is empty, and the sink has only
        the follow-up (the outcome, not Postfix's log line)."""
        # Its own subject: one quoting the first could match the same rule.
        Actions.follow_ups += 1
        subject = "follow-up-%d" % Actions.follow_ups
        self.send(subject)
        self.stack.find("<%s@sendwatch.test>" % subject)
        swtest.poll(lambda: self.stack.postfix.queue() == [], 30, "an empty queue")
        self.assertEqual(self.delivered_rcpts(message_id), [])

    def test_store_and_deliver(self):
        qid = self.send("STORE-ME please")
        got = self.stack.find("<STORE-ME-please@sendwatch.test>")
        self.assertEqual(got.rcpts, [OUTSIDE])
        entries = [e for e in self.quarantine() if e["queue_id"] == qid]
        self.assertEqual(len(entries), 1)
        e = entries[0]
        self.assertEqual(e["folder"], "audit")
        self.assertEqual(e["rule"], ["store-and-deliver"])
        self.assertEqual(e["sender"], SENDER)
        self.assertEqual(e["rcpt"], [OUTSIDE])
        self.assertEqual(e["subject"], "STORE-ME please")
        self.assertTrue(any("subject: STORE-ME please" in m for m in e["match"]), e["match"])
        # The copy is a readable Maildir message with the envelope on top.
        path = os.path.join(self.stack.quarantine_dir, "audit", "new", e["file"])
        with open(path, "rb") as f:
            copy = f.read()
        self.assertIn(b"X-Sendwatch-Queue-ID: %s\r\n" % qid.encode(), copy)
        self.assertIn(b"X-Sendwatch-Envelope-To: <%s>\r\n" % OUTSIDE.encode(), copy)
        self.assertIn(b"Subject: STORE-ME please\r\n", copy)
        self.assertTrue(copy.endswith(b"hello\r\n"))
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        # One audit line for the message.
        self.assertRegex(self.stack.milter.log_text(),
                         r"%s: audit: rules=store-and-deliver actions=store:audit deliver "
                         r"from=<%s> nrcpt=1 subject=\"STORE-ME please\"" % (qid, SENDER))

    def test_forward_adds_a_recipient(self):
        self.send("BCC-ME now")
        swtest.poll(lambda: len(self.delivered_rcpts("<BCC-ME-now@sendwatch.test>")) == 2, 30,
                    "delivery to both recipients (%s)" % self.stack.where())
        self.assertEqual(self.delivered_rcpts("<BCC-ME-now@sendwatch.test>"),
                         ["audit@corp.sendwatch.test", OUTSIDE])

    def test_forward_alone_redirects(self):
        self.send("REDIRECT-ME now", rcpts=(OUTSIDE, "carol@partner.example"))
        got = self.stack.find("<REDIRECT-ME-now@sendwatch.test>")
        self.assertEqual(got.rcpts, ["boss@corp.sendwatch.test"])
        self.assertEqual(self.delivered_rcpts("<REDIRECT-ME-now@sendwatch.test>"),
                         ["boss@corp.sendwatch.test"])

    def test_store_alone_quarantines_japanese_mail(self):
        """社外秘 in an ISO-2022-JP body: stored, and not delivered."""
        qid = self.send(None, message=iso2022jp_message("jp-secret",
                                                        "この見積は社外秘です。"))
        self.assert_never_delivered("<jp-secret@sendwatch.test>")
        entries = [e for e in self.quarantine() if e["queue_id"] == qid]
        self.assertEqual([e["folder"] for e in entries], ["quarantine"])
        self.assertTrue(any("社外秘" in m for m in entries[0]["match"]), entries[0]["match"])
        self.assertNotIn(qid, self.stack.postfix.sent_ids())
        self.assertEqual(self.stack.postfix.queue(), [])

    def test_internal_mail_is_not_quarantined(self):
        """direction external: the same mail to a colleague is delivered."""
        self.send(None, message=iso2022jp_message("jp-internal", "この見積は社外秘です。",
                                                  to="carol@corp.sendwatch.test"),
                  rcpts=("carol@corp.sendwatch.test",))
        self.stack.find("<jp-internal@sendwatch.test>")

    def test_discard(self):
        qid = self.send("DISCARD-ME please")
        self.assert_never_delivered("<DISCARD-ME-please@sendwatch.test>")
        self.assertNotIn(qid, self.stack.postfix.sent_ids())

    def test_reject_gives_the_rule_text(self):
        body = b"pay with 4111 1111 1111 1111 thanks\r\n"
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.send("card", body)
        self.assertEqual(caught.exception.smtp_code, 550)
        self.assertIn(b"5.7.1 Card numbers may not leave the company (policy 7)",
                      caught.exception.smtp_error)

    def test_reject_reads_every_way_a_client_may(self):
        """Crafted mail a receiving client still opens: the card is only in the
        reading GMime does not take (a second boundary parameter; a boundary line
        with text after it; base64 that goes on after its padding; a number
        broken by a format=flowed soft line break, or by a NUL byte), or in a
        file a client opens otherwise than its label says (a zip as text/plain,
        a CSV behind a PNG's magic, a multipart under a second Content-Type,
        S/MIME opaque signed content).  Each one is refused."""
        import base64
        card = base64.encodebytes(b"list: 4111 1111 1111 1111\n")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("cards.csv", "1,Yamada,4111 1111 1111 1111\r\n")
        zipped_csv = buf.getvalue()
        head = ("From: <%s>\r\nTo: <%s>\r\nSubject: crafted\r\nMIME-Version: 1.0\r\n"
                % (SENDER, OUTSIDE)).encode()
        attachment = (b"Content-Type: application/octet-stream; name=\"l.csv\"\r\n"
                      b"Content-Transfer-Encoding: base64\r\n\r\n" + card)
        crafted = {
            "two boundaries": head +
            b"Content-Type: multipart/mixed; boundary=\"A\"; boundary=\"B\"\r\n\r\n"
            b"--A\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\n" + attachment +
            b"--B--\r\n--A--\r\n",
            "prefix boundary": head +
            b"Content-Type: multipart/mixed; boundary=\"A\"\r\n\r\n"
            b"--A\r\nContent-Type: text/plain\r\n\r\nhi\r\n--A-x\r\n" + attachment +
            b"--A--\r\n",
            "after padding": head +
            b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"aGk=" + card.replace(b"\n", b"") + b"\r\n",
            "flowed": head +
            b"Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\n"
            b"pay with 4111 111 \r\n1 1111 1111 thanks\r\n",
            # Postfix passes a raw NUL in a body line on; clients show nothing.
            "nul in the number": head +
            b"Content-Type: text/plain\r\n\r\npay with 4111 1111\x00 1111 1111\r\n",
            # A zip labelled text/plain: a client opens it by its bytes.
            "zip as text/plain": head +
            b"Content-Type: text/plain; name=\"notes.txt\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.encodebytes(zipped_csv) + b"\r\n",
            # A PNG's magic, binary bytes, then the CSV: read for its text runs.
            "csv behind a png": head +
            b"Content-Type: image/png; name=\"cards.png\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.encodebytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) +
                               b"list: 4111 1111 1111 1111\r\n") + b"\r\n",
            # multipart/mixed, then text/plain on one part: GMime takes the
            # last; a client taking the first opens the attachment.
            "two content types": head +
            b"Content-Type: multipart/mixed; boundary=\"A\"\r\n\r\n"
            b"--A\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n"
            b"Content-Type: text/plain\r\n\r\nhi\r\n--B\r\n" + attachment +
            b"--B--\r\n--A--\r\n",
            # S/MIME opaque signed (openssl cms -sign -nodetach): the signed
            # entity inside holds the card.
            "s/mime opaque signed": head + sample_body("smime_signed.eml"),
            # An exact JPEG with the card in its comment segment (exiftool
            # -Comment): large enough for the probe that spares it the spool.
            "card in a jpeg comment": head +
            b"Content-Type: image/jpeg; name=\"photo.jpg\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.encodebytes(b"\xff\xd8\xff\xfe\x00\x1dlist: 4111 1111 1111 1111\r\n"
                               b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
                               + bytes(i % 255 for i in range(300000)) + b"\xff\xd9")
            + b"\r\n",
            # A PDF whose page draws the card from a Flate (zlib) content
            # stream: only its inflated text says it.
            "card in a pdf's compressed page": head +
            b"Content-Type: application/pdf; name=\"quote.pdf\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.encodebytes(samples.pdf_of([(b"/Filter /FlateDecode", samples.flate(
                b"BT 72 712 Td (card 4111 1111 1111 1111) Tj ET"))])) + b"\r\n",
        }
        for what, message in crafted.items():
            with self.assertRaises(smtplib.SMTPDataError, msg=what) as caught:
                self.send(None, message=message)
            self.assertEqual(caught.exception.smtp_code, 550, what)

    def test_reject_finds_a_card_in_a_zipped_csv(self):
        """The same card number inside a CSV inside a zip inside base64."""
        import io
        import zipfile
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("export/cards.csv", "name,card\r\nyamada,4111-1111-1111-1111\r\n")
        msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: export\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
               "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
               "Content-Type: application/zip; name=\"export.zip\"\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n%s--b--\r\n"
               % (SENDER, OUTSIDE, base64.encodebytes(buf.getvalue()).decode()))
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.send(None, message=msg.encode())
        self.assertEqual(caught.exception.smtp_code, 550)

    def test_tempfail(self):
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            self.send("DEFER-ME now")
        self.assertEqual(caught.exception.smtp_code, 451)
        self.assertIn(b"4.7.1 sendwatch: message deferred by policy", caught.exception.smtp_error)

    def test_hold_action_holds(self):
        """A rule's hold: audit line, the mail in Postfix's HOLD queue (test_hold: the rest)."""
        qid = self.send("HOLD-ME later")
        swtest.poll(lambda: re.search(r"%s: audit: rules=hold-later actions=hold:600s " % qid,
                                      self.stack.milter.log_text()), 30, "the audit line")
        swtest.poll(lambda: any(e["queue_id"] == qid and e["queue_name"] == "hold"
                                for e in self.stack.postfix.queue()), 30, "%s in HOLD" % qid)
        r = self.stack.sendwatch("held", "list", "--json")
        rec = next(h for h in json.loads(r.stdout) if h["queue_id"] == qid)
        self.assertEqual(int(rec["deadline"]) - int(rec["created"]), 600)  # the rule's 10m
        # Out of the way of the tests that expect an empty queue.
        subprocess.run(["postsuper", "-c", self.stack.postfix.config_dir, "-d", qid, "hold"],
                       check=True, capture_output=True)

    def test_unmatched_mail_passes_untouched(self):
        body = b"nothing to see\r\n"
        self.send("ordinary", body)
        got = self.stack.find("<ordinary@sendwatch.test>")
        self.assertEqual(got.body_bytes(), body.replace(b"\r\n", b"\n"))
        self.assertEqual(got.rcpts, [OUTSIDE])


class Reload(unittest.TestCase):
    def setUp(self):
        self.stack = swtest.Stack("reload", rules={"10-a.rules": """\
rule no-secrets
    match subject keywords "SECRET"
    action reject "no secrets"
"""}).start()

    def tearDown(self):
        self.stack.stop()

    def subject_refused(self, subject):
        try:
            self.stack.postfix.submit(SENDER, [OUTSIDE], swtest.make_message(subject, b"x\r\n"))
            return False
        except smtplib.SMTPDataError as e:
            return e.smtp_code == 550

    def test_bad_rules_keep_the_old_ones(self):
        self.assertTrue(self.subject_refused("SECRET one"))
        self.stack.write_rules("20-bad.rules", "rule broken\n    action explode\n")
        # The admin's command refuses and does not signal.
        r = self.stack.sendwatch("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("20-bad.rules:2:12: unknown action \"explode\"", r.stderr)
        self.assertIn("not reloaded", r.stderr)
        # Even a direct signal keeps the old rules in force, and says why.
        os.kill(self.stack.milter.proc.pid, signal.SIGUSR1)
        swtest.poll(lambda: "reload failed, keeping the rules in force" in
                    self.stack.milter.log_text(), 30, "the milter to refuse the bad rules")
        self.assertIn("20-bad.rules:2:12", self.stack.milter.log_text())
        self.assertTrue(self.subject_refused("SECRET two"))
        self.stack.postfix.submit(SENDER, [OUTSIDE], swtest.make_message("harmless", b"x\r\n"))
        self.stack.find("<harmless@sendwatch.test>")

    def test_good_rules_take_effect(self):
        self.assertTrue(self.subject_refused("SECRET one"))
        self.stack.write_rules("10-a.rules", "rule no-drafts\n    match subject keywords "
                                             "\"DRAFT\"\n    action reject \"no drafts\"\n")
        r = self.stack.sendwatch("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("told to reload 1 rules", r.stdout)
        swtest.poll(lambda: "reloaded: 1 rules" in self.stack.milter.log_text(), 30,
                    "the milter to reload")
        self.assertTrue(self.subject_refused("DRAFT"))
        self.assertFalse(self.subject_refused("SECRET three"))


if __name__ == "__main__":
    swtest.main()
