#!/usr/bin/python3
"""The root helper holds to its contract (holdd/helper_protocol.h).

sendwatch-helper is driven here as holdd drives it - exec'd with a clean
environment, the channel on descriptor 3, fixed-size requests - against a
private Postfix: it releases HOLD mail that carries sendwatch's marker, and
refuses short IDs, mail without the marker (an admin's postsuper -h),
recipients sendmail would split, and mail that is not a notice.
"""

import os
import socket
import struct
import subprocess
import unittest

import swtest

PROTOCOL, MAX_IDS, ID_SIZE, ADDR_SIZE, DETAIL_SIZE = 1, 512, 64, 256, 240
MAX_NOTICES = 16
RELEASE, DELETE, MARKED, LIST, SUBMIT, DELIVER, BYPASS = 1, 2, 3, 4, 5, 6, 7
BYPASS_OFF, BYPASS_ON, BYPASS_STATUS = 0, 1, 2
BYPASS_COMMAND = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "contrib", "bypass", "sendwatch-bypass")
DONE, NOT_MOVED, NOT_OURS, REFUSED, FAILED = range(5)
# protocol, op, nids, then a union of the IDs and the notices (rcpt, len).
REQUEST = struct.Struct("=3I%ds" % (MAX_IDS * ID_SIZE))
NOTICE = struct.Struct("=%dsI" % ADDR_SIZE)
REPLY = struct.Struct("=4I%dI%ds" % (MAX_IDS, DETAIL_SIZE))
SENDER = "alice@corp.sendwatch.test"


class Helper:
    """The helper as holdd runs it: channel on descriptor 3, Postfix's hold
    directory on 4, hold's hash depth (0: not hashed) and the bypass command
    as its last arguments."""

    def __init__(self, stack, depth=0):
        self.chan, theirs = socket.socketpair()
        hold = os.open(os.path.join(stack.postfix.queue_dir, "hold"),
                       os.O_RDONLY | os.O_DIRECTORY)

        def channel_and_hold():
            os.dup2(theirs.fileno(), 3)
            os.dup2(hold, 4)
        self.proc = subprocess.Popen(
            [swtest.binary("sendwatch-helper"), stack.postfix.config_dir,
             "/usr/sbin/sendmail", "sendwatch@corp.sendwatch.test", str(depth),
             os.path.abspath(BYPASS_COMMAND)],
            env={"PATH": "/usr/sbin:/usr/bin"}, pass_fds=(theirs.fileno(), hold, 3, 4),
            preexec_fn=channel_and_hold)
        theirs.close()
        os.close(hold)

    def ask(self, op, ids=(), notices=(), count=None):
        """IDS for RELEASE/DELETE/MARKED; NOTICES, (rcpt, bytes) pairs, for SUBMIT;
        COUNT alone for BYPASS (its action)."""
        if count is not None:
            packed = b""
        elif notices:
            packed = b"".join(NOTICE.pack(r.encode(), len(m)) for r, m in notices)
            count = len(notices)
        else:
            packed = b"".join(i.encode().ljust(ID_SIZE, b"\0") for i in ids)
            count = len(ids)
        self.chan.sendall(REQUEST.pack(PROTOCOL, op, count, packed) +
                          b"".join(m for _, m in notices))
        data = b""
        while len(data) < REPLY.size:
            chunk = self.chan.recv(REPLY.size - len(data))
            if not chunk:
                raise AssertionError("the helper closed the channel")
            data += chunk
        fields = REPLY.unpack(data)
        result, nids, listing_len = fields[1], fields[2], fields[3]
        listing = b""
        while len(listing) < listing_len:
            listing += self.chan.recv(listing_len - len(listing))
        detail = fields[-1].split(b"\0")[0].decode(errors="replace")
        return result, list(fields[4:4 + nids]), detail, listing

    def close(self):
        self.chan.close()
        return self.proc.wait(30)


class HelperContract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The helper is driven by hand here, so its notices carry no
        # signature: local submissions skip the milter in this Postfix.
        cls.stack = swtest.Stack("helper", config_extra={"hold_enable": "yes",
                                                         "hold_scope": "all"},
                                 main_extra={"non_smtpd_milters": ""})
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        self.helper = Helper(self.stack)

    def tearDown(self):
        # End-of-file: a clean exit, unless the test broke the protocol.
        self.assertEqual(self.helper.close(), getattr(self, "expect_exit", 0))

    def held(self, subject):
        qid = self.stack.postfix.submit(SENDER, ["bob@partner.example"],
                                        swtest.make_message(subject, b"x\r\n"))
        swtest.poll(lambda: any(q["queue_id"] == qid and q["queue_name"] == "hold"
                                for q in self.stack.postfix.queue()), 30, "%s in HOLD" % qid)
        return qid

    def queue_of(self, qid):
        return next((q["queue_name"] for q in self.stack.postfix.queue()
                     if q["queue_id"] == qid), None)

    def test_releases_marked_mail_and_leaves_the_admins(self):
        ours = self.held("marked")
        pf = self.stack.postfix
        # An admin's hold: the same kind of mail, without sendwatch's marker (the
        # sink is down meanwhile, so it waits in the deferred queue to be held).
        self.stack.sink.stop()
        try:
            subprocess.run(["sendmail", "-C", pf.config_dir, "-f", SENDER,
                            "x@corp.sendwatch.test"], check=True,
                           input=swtest.make_message("admin's", b"x\r\n"))
            admins = swtest.poll(lambda: next((q["queue_id"] for q in pf.queue()
                                               if q["queue_name"] == "deferred"), None), 60,
                                 "the admin's mail deferred")
            subprocess.run(["postsuper", "-c", pf.config_dir, "-h", admins], check=True,
                           capture_output=True)
            swtest.poll(lambda: self.queue_of(admins) == "hold", 30, "the admin's hold")
        finally:
            self.stack.sink.start()
        result, results, _, _ = self.helper.ask(MARKED, [ours, admins])
        self.assertEqual((result, results), (DONE, [DONE, NOT_OURS]))
        result, results, detail, _ = self.helper.ask(RELEASE, [ours, admins])
        self.assertEqual((result, results), (DONE, [DONE, NOT_OURS]), detail)
        swtest.poll(lambda: self.queue_of(ours) != "hold", 30, "%s released" % ours)
        self.assertEqual(self.queue_of(admins), "hold")  # untouched
        # Gone mail: not moved (holdd then reads the listing to say why).
        subprocess.run(["postsuper", "-c", pf.config_dir, "-d", admins, "hold"], check=True,
                       capture_output=True)
        result, results, _, _ = self.helper.ask(DELETE, [admins])
        self.assertEqual((result, results), (DONE, [NOT_MOVED]))

    def test_refuses_what_is_outside_the_contract(self):
        ours = self.held("short ids")
        for ids in (["7B8C2A1F3D"], ["-d"], ["../../etc"]):
            result, _, detail, _ = self.helper.ask(RELEASE, ids)
            self.assertEqual(result, REFUSED, ids)
            self.assertIn("not a long Postfix queue ID", detail)
        self.assertEqual(self.queue_of(ours), "hold")
        notice = (b"From: sendwatch@corp.sendwatch.test\nTo: alice@corp.sendwatch.test\n"
                  b"Subject: [Held] x\nAuto-Submitted: auto-generated\n\nbody\n")
        for rcpt in ("a,b@corp.sendwatch.test", "a:b@corp.sendwatch.test",
                     "(x)a@corp.sendwatch.test", "-oQ@corp.sendwatch.test"):
            result, results, detail, _ = self.helper.ask(SUBMIT, notices=[(rcpt, notice)])
            self.assertEqual((result, results), (DONE, [REFUSED]), rcpt)
            self.assertIn("recipient refused", detail)
        plain = b"From: mallory@evil.example\nSubject: hi\n\nnot a notice\n"
        result, results, detail, _ = self.helper.ask(
            SUBMIT, notices=[("bob@partner.example", plain)])
        self.assertEqual((result, results), (DONE, [REFUSED]))
        self.assertIn("no Auto-Submitted", detail)
        result, _, detail, _ = self.helper.ask(99)
        self.assertEqual(result, REFUSED)

    def test_bypass_runs_the_one_command_on_this_postfix(self):
        pf = self.stack.postfix

        def milters():
            return subprocess.run(["postconf", "-c", pf.config_dir, "-h", "smtpd_milters"],
                                  capture_output=True, text=True, check=True).stdout.strip()
        before = milters()
        self.assertIn(self.stack.socket_path, before)
        result, _, detail, _ = self.helper.ask(BYPASS, count=BYPASS_STATUS)
        self.assertEqual(result, NOT_MOVED, detail)
        self.assertIn("bypass off", detail)
        try:
            result, _, detail, _ = self.helper.ask(BYPASS, count=BYPASS_ON)
            self.assertEqual(result, DONE, detail)
            self.assertNotIn(self.stack.socket_path, milters())
            self.assertEqual(self.helper.ask(BYPASS, count=BYPASS_STATUS)[0], DONE)
            # On twice is the command's own refusal, passed on with its words.
            result, _, detail, _ = self.helper.ask(BYPASS, count=BYPASS_ON)
            self.assertEqual(result, FAILED)
            self.assertIn("already on", detail)
        finally:
            result, _, detail, _ = self.helper.ask(BYPASS, count=BYPASS_OFF)
        self.assertEqual(result, DONE, detail)
        self.assertEqual(milters(), before)
        result, _, detail, _ = self.helper.ask(BYPASS, count=7)
        self.assertEqual(result, REFUSED)
        self.assertIn("unknown bypass action", detail)

    def test_the_only_marker_is_the_milters_own(self):
        """A client that writes the marker header, naming other held mail, does
        not get it into its queue file: the milter removes it, and adds its own."""
        victim = self.held("victim")
        pf = self.stack.postfix
        msg = swtest.make_message("forger", b"x\r\n", extra_headers=(
            "X-Sendwatch-Hold: %s" % victim, "x-sendwatch-hold:%s" % victim))
        qid = pf.submit(SENDER, ["bob@partner.example"], msg)
        swtest.poll(lambda: self.queue_of(qid) == "hold", 30, "%s in HOLD" % qid)
        headers = subprocess.run(["postcat", "-c", pf.config_dir, "-h", "-q", qid],
                                 capture_output=True, text=True, check=True).stdout
        markers = [l for l in headers.splitlines() if l.lower().startswith("x-sendwatch-hold")]
        self.assertEqual(markers, ["X-Sendwatch-Hold:%s" % qid])
        self.assertEqual(self.helper.ask(MARKED, [victim, qid])[:2], (DONE, [DONE, DONE]))

    def test_lists_the_queue_as_postqueue_prints_it(self):
        ours = self.held("listed")
        result, _, _, listing = self.helper.ask(LIST)
        self.assertEqual(result, DONE)
        self.assertIn(b'"queue_id": "%s"' % ours.encode(), listing)

    def test_submits_notices_from_notice_sender(self):
        def notice(n):
            return (b"From: sendwatch@corp.sendwatch.test\nTo: carol@partner.example\n"
                    b"Subject: [Held] submitted %d\nAuto-Submitted: auto-generated\n\n"
                    b"body\n" % n)
        # A whole batch at once; the one outside the contract is refused
        # alone, and every other one is delivered, to its own recipient only.
        batch = [("carol%d@partner.example" % n, notice(n)) for n in range(MAX_NOTICES)]
        batch[5] = ("carol5,mallory@evil.example", notice(5))
        result, results, detail, _ = self.helper.ask(SUBMIT, notices=batch)
        self.assertEqual(result, DONE, detail)
        self.assertEqual(results, [REFUSED if n == 5 else DONE for n in range(MAX_NOTICES)])
        want = {"[Held] submitted %d" % n for n in range(MAX_NOTICES) if n != 5}
        got = swtest.poll(lambda: (lambda d: want <= set(d) and d)(
            {m.header("Subject"): m for m in self.stack.delivered()}), 60,
            "the notices at the sink")
        for n in range(MAX_NOTICES):
            if n == 5:
                self.assertNotIn("[Held] submitted 5", got)
                continue
            m = got["[Held] submitted %d" % n]
            self.assertEqual(m.mail_from, "sendwatch@corp.sendwatch.test")
            self.assertEqual(m.rcpts, ["carol%d@partner.example" % n])

    def test_a_request_out_of_bounds_ends_the_helper(self):
        # More notices than one request may carry: the bytes that follow
        # cannot be trusted to be in step, so the helper refuses and exits 1.
        notice = b"Auto-Submitted: auto-generated\n\nbody\n"
        result, _, detail, _ = self.helper.ask(
            SUBMIT, notices=[("carol@partner.example", notice)] * (MAX_NOTICES + 1))
        self.assertEqual(result, REFUSED)
        self.assertIn("refused", detail)
        self.expect_exit = 1


class HashedHold(unittest.TestCase):
    def test_finds_held_mail_where_postfix_hashes_it(self):
        """hold in hash_queue_names, two levels deep: the helper finds the queue
        file where Postfix put it (hold/X/Y/ID), and releases it."""
        stack = swtest.Stack("helperhash", config_extra={
            "hold_enable": "yes", "hold_scope": "all"}, main_extra={
            "hash_queue_names": "deferred, defer, hold", "hash_queue_depth": "2"})
        with stack.start():
            qid = stack.postfix.submit(SENDER, ["bob@partner.example"],
                                       swtest.make_message("hashed", b"x\r\n"))
            swtest.poll(lambda: any(q["queue_id"] == qid and q["queue_name"] == "hold"
                                    for q in stack.postfix.queue()), 30, "%s in HOLD" % qid)
            found = [os.path.relpath(os.path.join(d, qid), stack.postfix.queue_dir)
                     for d, _, files in os.walk(os.path.join(stack.postfix.queue_dir, "hold"))
                     if qid in files]
            self.assertRegex(found[0], r"^hold/[0-9A-F]/[0-9A-F]/%s$" % qid)
            unhashed = Helper(stack, depth=0)  # a helper told the wrong layout finds nothing
            try:
                self.assertEqual(unhashed.ask(MARKED, [qid])[:2], (DONE, [NOT_MOVED]))
            finally:
                self.assertEqual(unhashed.close(), 0)
            helper = Helper(stack, depth=2)
            try:
                self.assertEqual(helper.ask(MARKED, [qid])[:2], (DONE, [DONE]))
                result, results, detail, _ = helper.ask(RELEASE, [qid])
                self.assertEqual((result, results), (DONE, [DONE]), detail)
            finally:
                self.assertEqual(helper.close(), 0)
            stack.find("<hashed@sendwatch.test>")


if __name__ == "__main__":
    swtest.main()
