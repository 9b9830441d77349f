#!/usr/bin/python3
"""Send hold under load and faults: 600 held messages from 4 clients that retry
as an MTA does, while the milter and holdd are killed with SIGKILL and
restarted (twice each) and Postfix is stopped and started once.

Nothing may be lost (every message ends in HOLD, and every one a client saw
accepted is in HOLD under the queue ID it was told), nothing held twice, every
message in HOLD has its hold record, every record ends notified or closed, and
no hold notice names mail that is not in HOLD (a ghost).  A holdd killed between
handing a batch of notices to Postfix and recording it may send that batch again:
at most 16 duplicate notices per holdd kill.  The figures are printed.
"""

import collections
import json
import re
import smtplib
import subprocess
import sys
import threading
import time
import unittest

import swtest

SENDER = "alice@corp.sendwatch.test"
RCPT = "bob@partner.example"
MESSAGES = 600
CLIENTS = 4
NOTICE_BATCH = 16  # HELPER_MAX_NOTICES: what one holdd kill may send twice
RETRY_DEADLINE = 150  # seconds a client keeps trying one message


class Message:
    def __init__(self, n):
        self.subject = "fault load %04d" % n
        self.data = re.sub(rb"(?m)^\.", b"..", swtest.make_message(
            self.subject, b"held through faults, message %d\r\n" % n))
        self.queue_id = None  # from the 250 reply
        self.attempts = 0
        self.unknown = 0  # attempts that lost the connection after the final dot
        self.error = None  # why the client gave up


class Client(threading.Thread):
    """Sends its messages one connection each; a 4xx, a connection error or a
    timeout makes it try the same message again on a new connection after a
    short backoff, until RETRY_DEADLINE, as an MTA would."""

    def __init__(self, postfix, messages):
        super().__init__(daemon=True)
        self.postfix = postfix
        self.messages = messages
        self.failure = None

    def run(self):
        try:
            for m in self.messages:
                self.deliver(m)
        except BaseException as e:  # reported by the test
            self.failure = e

    def deliver(self, m):
        deadline = time.monotonic() + RETRY_DEADLINE
        backoff = 0.05
        while True:
            m.attempts += 1
            code, text = self.attempt(m)
            if code == 250:
                found = re.search(r"queued as (\w+)", text)
                m.queue_id = found.group(1) if found else None
                if m.queue_id is None:
                    m.error = "250 without a queue ID: %s" % text
                return
            if code // 100 == 5:
                m.error = "%d %s" % (code, text)
                return
            if time.monotonic() >= deadline:
                m.error = "still %d %s after %d s" % (code, text, RETRY_DEADLINE)
                return
            time.sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    def attempt(self, m):
        """One SMTP transaction: (code, text); 0 for a connection error or timeout."""
        after_dot = False
        try:
            with smtplib.SMTP("127.0.0.1", self.postfix.port, timeout=30,
                            local_hostname=swtest.CLIENT_NAME) as smtp:
                smtp.ehlo("client.sendwatch.test")
                code, text = smtp.mail(SENDER)
                if code == 250:
                    code, text = smtp.rcpt(RCPT)
                if code == 250:
                    code, text = smtp.docmd("DATA")
                if code == 354:
                    smtp.send(m.data + b".\r\n")
                    after_dot = True
                    code, text = smtp.getreply()
                return code, text.decode(errors="replace")
        except (OSError, smtplib.SMTPException) as e:
            if isinstance(e, smtplib.SMTPResponseException):
                return e.smtp_code, e.smtp_error.decode(errors="replace")
            if after_dot:
                m.unknown += 1  # queued or not: the client cannot tell
            return 0, "%s: %s" % (type(e).__name__, e)


class FaultLoad(unittest.TestCase):
    def setUp(self):
        self.stack = swtest.Stack("faultload", holdd=True, config_extra={
            "hold_enable": "yes", "hold_scope": "all", "hold_minutes": "60",
            "hold_queue_grace": "5"}).start()

    def tearDown(self):
        self.stack.stop()

    def records(self):
        r = self.stack.sendwatch("held", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def queue(self):
        return self.stack.postfix.queue()

    def faults(self, acked, log):
        """Kills and restarts, spread over the sending: each one once the clients
        have had a given share of the messages accepted."""
        stack = self.stack
        plan = [(0.10, "kill -9 the milter"), (0.22, "kill -9 holdd"),
                (0.36, "postfix stop/start"), (0.50, "kill -9 the milter"),
                (0.64, "kill -9 holdd")]
        for share, what in plan:
            swtest.poll(lambda: acked() >= share * MESSAGES, 120,
                        "%d%% of the messages accepted before: %s" % (share * 100, what))
            t = time.monotonic()
            if what == "kill -9 the milter":
                self.assertEqual(stack.milter.kill(), -9)
                stack.milter.start(stack.socket_path)
            elif what == "kill -9 holdd":
                self.assertEqual(stack.holdd.kill(), -9)
                stack.holdd.start(stack.holdd_socket)
            else:
                stack.postfix.stop()
                stack.postfix.start()
            log.append("%s at %d accepted (%.1f s)" % (what, acked(), time.monotonic() - t))

    def test_600_held_through_kills_and_a_postfix_restart(self):
        started = time.monotonic()
        messages = [Message(n) for n in range(MESSAGES)]
        clients = [Client(self.stack.postfix, messages[i::CLIENTS]) for i in range(CLIENTS)]
        for c in clients:
            c.start()
        fault_log = []
        self.faults(lambda: sum(1 for m in messages if m.queue_id), fault_log)
        for c in clients:
            c.join(RETRY_DEADLINE * 2)
            self.assertFalse(c.is_alive(), "a client did not finish")
            if c.failure:
                raise c.failure
        sent = time.monotonic()
        self.assertEqual([(m.subject, m.error) for m in messages if m.error], [])

        # Settled: every message in HOLD, every record notified or closed, and
        # no notice left in Postfix's queue (all at the sink).
        by_subject = {m.subject: m for m in messages}

        def settled():
            queue = self.queue()
            held = {e["queue_id"] for e in queue if e["queue_name"] == "hold"}
            records = self.records()
            subjects = {r["subject"] for r in records if r["queue_id"] in held}
            return (subjects >= set(by_subject) and
                    all(r["state"] != "held" or r["notice_sent"] for r in records) and
                    len(held) == len(queue) and (queue, records))
        queue, records = swtest.poll(settled, 120, "every message in HOLD and noticed (%s)"
                                     % self.stack.where())
        done = time.monotonic()

        held = {e["queue_id"] for e in queue}
        record_of = {r["queue_id"]: r for r in records}
        in_hold = collections.defaultdict(list)  # subject: its queue IDs in HOLD
        for qid in held:
            in_hold[record_of[qid]["subject"] if qid in record_of else None].append(qid)
        notices = collections.defaultdict(list)  # held queue ID: the notices' own IDs
        unreadable = []
        for m in self.stack.sink.messages():
            if m.header("X-Sendwatch-Notice") != "hold":
                continue
            named = re.findall(r"\bID ([0-9A-Za-z]+)\)", m.message.get_content())
            if len(named) != 1:
                unreadable.append(m.path)
                continue
            notices[named[0]].append(m.queue_id)
        ghosts = sorted(q for q in notices if q not in held)
        resent = sum(len(set(ids)) - 1 for ids in notices.values())  # by holdd
        redelivered = sum(len(ids) - len(set(ids)) for ids in notices.values())  # by Postfix
        states = collections.Counter(r["state"] for r in records)
        figures = {
            "messages": MESSAGES,
            "accepted (250)": sum(1 for m in messages if m.queue_id),
            "SMTP attempts": sum(m.attempts for m in messages),
            "connections lost after the final dot": sum(m.unknown for m in messages),
            "in HOLD": len(held),
            "hold records by state": dict(states),
            "never-queued records": states.get("never-queued", 0),
            "hold notices at the sink": sum(len(ids) for ids in notices.values()),
            "ghost notices": len(ghosts),
            "duplicate notices (sent again by holdd)": resent,
            "duplicate notices (delivered again by Postfix)": redelivered,
            "unreadable notices": len(unreadable),
            "holdd kills": 2,
            "faults": fault_log,
            "time sending (s)": round(sent - started, 1),
            "time until settled (s)": round(done - started, 1),
        }
        print("\nfault load figures:\n" + json.dumps(figures, indent=1, ensure_ascii=False),
              file=sys.stderr)

        # Nothing lost: every accepted message is in HOLD under the ID its client
        # was told, and every subject is in HOLD.
        self.assertEqual([m.subject for m in messages if m.queue_id not in held], [])
        self.assertEqual(sorted(set(by_subject) - set(in_hold)), [])
        # Nothing held twice, and nothing in HOLD that sendwatch has no record of.
        self.assertEqual({s: q for s, q in in_hold.items() if len(q) > 1}, {})
        self.assertEqual(len(held), MESSAGES)
        self.assertEqual(sorted(q for q in held if record_of.get(q, {}).get("state") != "held"),
                         [])
        # Every record that is not in HOLD was closed as never-queued, noticeless.
        for r in records:
            if r["queue_id"] not in held:
                self.assertEqual((r["queue_id"], r["state"], r["notice_sent"]),
                                 (r["queue_id"], "never-queued", None))
        # Notices: one for each message in HOLD, none for anything else.
        self.assertEqual(ghosts, [])
        self.assertEqual(unreadable, [])
        self.assertEqual(sorted(held - set(notices)), [])
        self.assertLessEqual(resent, NOTICE_BATCH * 2)


if __name__ == "__main__":
    swtest.main()
