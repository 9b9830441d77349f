#!/usr/bin/python3
"""Send hold under faults: holdd killed with work pending, the milter killed between
its commit and its reply, a later milter that fails after the hold, mail Postfix gave
up on, a full LMDB map."""

import json
import os
import re
import shutil
import signal
import smtplib
import socket
import struct
import subprocess
import threading
import unittest

import swtest

SENDER = "alice@corp.sendwatch.test"


class HoldFaults(unittest.TestCase):
    def setUp(self):
        # "plain": a listener without milters, for mail sendwatch never sees.
        self.stack = swtest.Stack("holdfault", holdd=True, listeners={"plain": ""},
                                  config_extra={"hold_enable": "yes", "hold_minutes": "30",
                                                "hold_scope": "all"}).start()

    def tearDown(self):
        self.stack.stop()

    def held_ids(self):
        return {e["queue_id"] for e in self.stack.postfix.queue() if e["queue_name"] == "hold"}

    def test_holdd_killed_then_restarted_after_the_deadlines(self):
        ids = []
        for i in range(20):
            msg = swtest.make_message("fault %02d" % i, b"held through a crash\r\n")
            ids.append(self.stack.postfix.submit(SENDER, ["bob@partner.example"], msg))
        swtest.poll(lambda: set(ids) <= self.held_ids(), 60, "20 messages in HOLD")
        # Killed on purpose (kill() tells stop() to expect it); the restarted
        # holdd must then exit 0 like any other.
        self.assertEqual(self.stack.holdd.kill(), -signal.SIGKILL)
        # While holdd is down, the admin moves every deadline to now: the
        # requests wait in LMDB.
        for qid in ids:
            r = self.stack.sendwatch("held", "reschedule", qid, "now")
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(set(ids) <= self.held_ids())  # nothing moved without holdd
        self.stack.holdd.start(self.stack.holdd_socket)
        def released():  # the held mail, not the hold notices holdd sends as well
            return [m for m in self.stack.delivered() if not m.header("X-Sendwatch-Notice")]
        swtest.poll(lambda: len(released()) >= 20, 120, "20 releases (%s)" % self.stack.where())
        sent = self.stack.postfix.sent_ids()
        for qid in ids:
            self.assertEqual(sent.count(qid), 1, qid)
        subjects = sorted(m.header("Subject") for m in released())
        self.assertEqual(subjects, ["fault %02d" % i for i in range(20)])
        self.assertEqual(self.held_ids(), set())

    def test_a_batch_records_each_requests_asker(self):
        """Requests made while holdd is down are carried out in one batch; each
        message's outcome names who asked for it, not the batch's first asker."""
        ids = [self.stack.postfix.submit(SENDER, ["bob@partner.example"],
                                         swtest.make_message("asker %d" % i, b"x\r\n"))
               for i in range(2)]
        swtest.poll(lambda: set(ids) <= self.held_ids(), 60, "both in HOLD")
        self.assertEqual(self.stack.holdd.stop(), 0)
        r = self.stack.sendwatch("held", "release", ids[0])  # as root
        self.assertEqual(r.returncode, 0, r.stderr)
        # A second admin without root: a copy of the config they may read.
        readable = os.path.join(self.stack.workdir, "readable.conf")
        with open(self.stack.config_path, encoding="utf-8") as f, \
                open(readable, "w", encoding="utf-8") as out:
            out.write(f.read())
        os.chmod(readable, 0o644)
        # The checkout may be root's alone (/root/project): a copy of the program.
        program = os.path.join(self.stack.workdir, "sendwatch")
        shutil.copy(swtest.binary("sendwatch"), program)
        os.chmod(program, 0o755)
        r = subprocess.run(["runuser", "-u", swtest.RUN_USER, "--", program,
                            "-c", readable, "held", "release", ids[1]],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.stack.holdd.start(self.stack.holdd_socket)

        def outcomes():
            got = json.loads(self.stack.sendwatch("held", "list", "--json").stdout)
            by_id = {rec["queue_id"]: rec for rec in got}
            return [by_id[q]["outcome"] for q in ids if by_id[q]["state"] == "released"]
        swtest.poll(lambda: len(outcomes()) == 2, 60, "both released")
        self.assertEqual(outcomes(), ["requested by cli:root",
                                      "requested by cli:%s" % swtest.RUN_USER])

    def test_reconcile_adopts_only_marked_mail_and_closes_gone(self):
        """At start holdd squares LMDB with the whole queue listing.  HOLD mail it does
        not know is adopted with the default delay only when its queue file carries
        sendwatch's marker (here: LMDB was lost); an admin's postsuper -h is left
        alone.  A record whose mail vanished is closed as gone (not before its
        deadline: reconcile leaves records younger than ten minutes alone)."""
        pf = self.stack.postfix
        lost = pf.submit(SENDER, ["bob@partner.example"],
                         swtest.make_message("record lost", b"x\r\n"))
        swtest.poll(lambda: lost in self.held_ids(), 30, "%s in HOLD" % lost)
        # LMDB is lost while the daemons are down: the marked mail stays in HOLD.
        self.assertEqual(self.stack.holdd.stop(), 0)
        self.assertEqual(self.stack.milter.stop(), 0)
        state = os.path.join(self.stack.workdir, "state")
        for name in ("data.mdb", "lock.mdb"):
            os.rename(os.path.join(state, name), os.path.join(state, name + ".lost"))
        self.stack.milter.start(self.stack.socket_path)
        ours = pf.submit(SENDER, ["bob@partner.example"],
                         swtest.make_message("held by sendwatch", b"x\r\n"))
        swtest.poll(lambda: ours in self.held_ids(), 30, "%s in HOLD" % ours)
        # Behind sendwatch's back: its mail deleted, other mail put on hold.
        subprocess.run(["postsuper", "-c", pf.config_dir, "-d", ours, "hold"], check=True,
                       capture_output=True)
        self.stack.sink.stop()  # so the next mail stays in the queue
        # Through a listener without milters, so sendwatch never saw it.
        pf.submit("carol@corp.sendwatch.test", ["dave@corp.sendwatch.test"],
                  swtest.make_message("not through sendwatch", b"x\r\n"),
                  port=pf.listeners["plain"][0])
        # Deferred (the sink is down), so it is in the queue to put on hold.
        other = swtest.poll(lambda: next((e["queue_id"] for e in pf.queue()
                                          if e["sender"] == "carol@corp.sendwatch.test" and
                                          e["queue_name"] == "deferred"), None),
                            60, "the sendmail message deferred")
        subprocess.run(["postsuper", "-c", pf.config_dir, "-h", other], check=True,
                       capture_output=True)
        swtest.poll(lambda: other in self.held_ids(), 30, "%s in HOLD" % other)
        self.stack.holdd.start(self.stack.holdd_socket)
        swtest.poll(lambda: self.stack.sendwatch("held", "show", lost).returncode == 0, 60,
                    "%s adopted" % lost)
        r = self.stack.sendwatch("held", "show", lost)
        self.assertIn("state         held", r.stdout)
        self.assertIn("%s: in HOLD without sendwatch's marker: not ours, left alone" % other,
                      self.stack.holdd.log_text())
        r = self.stack.sendwatch("held", "show", other)
        self.assertIn("no such held message", r.stderr)  # never adopted
        self.assertEqual(self.stack.sendwatch("held", "show", ours).returncode, 0)
        self.assertIn("state         held", self.stack.sendwatch("held", "show", ours).stdout)
        r = self.stack.sendwatch("held", "reschedule", ours, "now")
        self.assertEqual(r.returncode, 0, r.stderr)
        swtest.poll(lambda: "state         gone" in self.stack.sendwatch(
            "held", "show", ours).stdout, 60, "%s closed as gone" % ours)
        # The admin's mail is still where the admin put it.
        self.assertIn(other, self.held_ids())
        self.stack.sink.start()


class MilterProxy:
    """A milter-protocol proxy in front of a milter, to stop one conversation at
    one exact point.

    Packets (a 4-byte big-endian length, a command byte, data) pass both ways
    until TRIPS(from_milter, command, data) is first true.  That packet is still
    passed on; from then on nothing more from the milter reaches Postfix (the
    milter is not read any more) and self.tripped is set, with the packet's data
    in self.data; cut() then hangs up on both.  Later conversations pass
    untouched.
    """

    def __init__(self, path, upstream, trips):
        self.upstream = upstream
        self.trips = trips
        self.tripped = threading.Event()
        self.data = None
        self.sides = []
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(path, 0o666)  # Postfix's smtpd and cleanup run as postfix
        self.listener.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
        self.listener.close()

    def cut(self):
        """Hangs up on Postfix and on the milter in the conversation that tripped."""
        for sock in self.sides:
            self._hang_up(sock)

    def _accept(self):
        while True:
            try:
                postfix, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._session, args=(postfix,), daemon=True).start()

    def _session(self, postfix):
        milter = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            milter.connect(self.upstream)
        except OSError:  # the milter is down: Postfix takes its default action
            milter.close()
            self._hang_up(postfix)
            return
        stalled = threading.Event()  # this conversation tripped
        threading.Thread(target=self._pump, args=(postfix, milter, False, stalled),
                         daemon=True).start()
        self._pump(milter, postfix, True, stalled)

    def _pump(self, src, dst, from_milter, stalled):
        """Passes SRC's packets to DST, one by one, until either side ends - or,
        from the milter, until the conversation tripped."""
        buf = b""
        while True:
            while len(buf) >= 5 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
                end = 4 + struct.unpack(">I", buf[:4])[0]
                packet, buf = buf[:end], buf[end:]
                if from_milter and stalled.is_set():
                    return  # the milter's answer never comes
                trip = self._trip(from_milter, packet, stalled, (src, dst))
                try:
                    dst.sendall(packet)
                except OSError:
                    return
                if trip and from_milter:
                    return
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                if not stalled.is_set():
                    self._hang_up(dst)
                return
            buf += data

    def _trip(self, from_milter, packet, stalled, sides):
        with self.lock:
            if self.tripped.is_set() or not self.trips(from_milter, packet[4:5], packet[5:]):
                return False
            self.data = packet[5:]
            self.sides = list(sides)
            stalled.set()
            self.tripped.set()
        return True

    @staticmethod
    def _hang_up(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


def marker_added(from_milter, command, data):
    """The milter adds X-Sendwatch-Hold (SMFIR_ADDHEADER)."""
    return from_milter and command == b"h" and data.startswith(b"X-Sendwatch-Hold\0")


def end_of_message(from_milter, command, data):
    """Postfix asks the milter for its end-of-message answer (SMFIC_BODYEOB)."""
    return not from_milter and command == b"E"


class MilterKilledAfterCommit(unittest.TestCase):
    def test_killed_between_commit_and_reply(self):
        """The milter has added the marker and committed the hold record (and its
        notice job), and dies before Postfix reads its reply.  The client gets 4xx
        and sends the message again, which is held under a new queue ID.  The
        orphaned record ends never-queued without a notice; the sender gets one
        notice, for the mail that is in HOLD."""
        proxy_path = os.path.join(swtest.make_workdir("milterproxy"), "milter.sock")
        stack = swtest.Stack("milterkill", holdd=True, config_extra={
            "hold_enable": "yes", "hold_minutes": "30", "hold_scope": "all",
            "hold_queue_grace": "5"}, main_extra={"smtpd_milters": "unix:" + proxy_path})
        # The marker still reaches Postfix, as it would before a real crash:
        # libmilter sends each edit as it is made, and the milter commits the
        # hold record after the marker and before its answer.
        proxy = MilterProxy(proxy_path, stack.socket_path, marker_added)
        try:
            with stack.start():
                self.check_killed_between_commit_and_reply(stack, proxy)
        finally:
            proxy.close()

    def check_killed_between_commit_and_reply(self, stack, proxy):
        pf = stack.postfix
        subject = "killed after the commit"
        msg = swtest.make_message(subject, b"held once, noticed once\r\n")
        client = smtplib.SMTP("127.0.0.1", pf.port, timeout=60,
                            local_hostname=swtest.CLIENT_NAME)
        client.ehlo("client.sendwatch.test")
        client.mail(SENDER)
        client.rcpt("bob@partner.example")
        code, _ = client.docmd("DATA")
        self.assertEqual(code, 354)
        client.send(msg + b".\r\n")
        swtest.poll(proxy.tripped.is_set, 60, "the hold marker (%s)" % stack.where())
        orphan = proxy.data.split(b"\0")[1].strip().decode()  # name NUL value NUL
        swtest.poll(lambda: stack.sendwatch("held", "show", orphan).returncode == 0, 30,
                    "the hold record of %s" % orphan)
        self.assertEqual(stack.milter.kill(), -signal.SIGKILL)  # on purpose
        proxy.cut()
        code, text = client.getreply()
        self.assertEqual(code // 100, 4, text)  # the client keeps the message
        client.close()
        self.assertEqual(pf.queue(), [])
        stack.milter.start(stack.socket_path)
        qid = pf.submit(SENDER, ["bob@partner.example"], msg)  # the client's retry
        self.assertNotEqual(qid, orphan)
        swtest.poll(lambda: any(e["queue_id"] == qid and e["queue_name"] == "hold"
                                for e in pf.queue()), 60, "%s in HOLD" % qid)

        def record(queue_id):
            r = stack.sendwatch("held", "list", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            return next((rec for rec in json.loads(r.stdout)
                         if rec["queue_id"] == queue_id), None)
        closed = swtest.poll(lambda: record(orphan)["state"] != "held" and record(orphan),
                             60, "the orphaned record %s to be closed" % orphan)
        self.assertEqual(closed["state"], "never-queued")
        self.assertIsNone(closed["notice_sent"])

        def notices():
            return [m for m in stack.delivered() if m.header("X-Sendwatch-Notice") == "hold"
                    and subject in str(m.message["Subject"])]
        swtest.poll(lambda: record(qid)["notice_sent"] and notices(), 60,
                    "the hold notice of %s (%s)" % (qid, stack.where()))
        got = notices()
        self.assertEqual(len(got), 1, [m.path for m in got])
        named = re.findall(r"\bID ([0-9A-Za-z]+)\)", got[0].message.get_content())
        self.assertEqual(named, [qid])
        self.assertEqual(record(qid)["state"], "held")


class LaterMilterFails(unittest.TestCase):
    # While a later milter decides, the queue file waits in incoming/, already
    # carrying the marker: "postcat -q" would find it there.  The helper looks for
    # it in the hold directory only (and complete), so no notice goes out.
    def test_no_notice_while_a_later_milter_decides(self):
        """sendwatch holds the message (marker added, record committed), then a milter
        after it - the bench's nullmilter, behind a proxy that keeps its end-of-message
        answer back - takes its time, and fails.  Meanwhile the queue file in
        incoming/ already carries the marker, but the mail is not in HOLD, and the
        client gets 4xx: no notice may go, and the record ends never-queued."""
        workdir = swtest.make_workdir("latermilter")
        null_path = os.path.join(workdir, "nullmilter.sock")
        proxy_path = os.path.join(workdir, "proxy.sock")
        null = swtest.Milter(workdir, None, program=swtest.binary("nullmilter"),
                             args=["unix:" + null_path],
                             log_path=os.path.join(workdir, "nullmilter.log"))
        stack = swtest.Stack("latermilter", holdd=True, config_extra={
            "hold_enable": "yes", "hold_minutes": "30", "hold_scope": "all",
            "hold_queue_grace": "5"})
        stack.postfix.postconf(smtpd_milters="unix:%s, unix:%s"
                               % (stack.socket_path, proxy_path))
        null.start(null_path)
        proxy = MilterProxy(proxy_path, null_path, end_of_message)
        try:
            with stack.start():
                self.check_no_notice_while_a_later_milter_decides(stack, proxy)
        finally:
            proxy.close()
            null.stop()
        null.check_exits()

    def check_no_notice_while_a_later_milter_decides(self, stack, proxy):
        pf = stack.postfix
        client = smtplib.SMTP("127.0.0.1", pf.port, timeout=120,
                            local_hostname=swtest.CLIENT_NAME)
        client.ehlo("client.sendwatch.test")
        client.mail(SENDER)
        client.rcpt("bob@partner.example")
        code, _ = client.docmd("DATA")
        self.assertEqual(code, 354)
        client.send(swtest.make_message("a later milter fails", b"x\r\n") + b".\r\n")
        swtest.poll(proxy.tripped.is_set, 60, "end of message at the later milter")

        def record():
            r = stack.sendwatch("held", "list", "--json")
            held = json.loads(r.stdout) if r.returncode == 0 else []
            return held[0] if held else None
        # Postfix waits on the later milter for as long as it takes holdd to
        # decide: the notice goes out (queued set) or the record is closed.
        decided = swtest.poll(lambda: record() and (record()["queued"] or record()["state"]
                                                    != "held") and record(), 60,
                              "holdd to decide on the held record (%s)" % stack.where())
        proxy.cut()  # the later milter fails: Postfix takes its default action
        code, text = client.getreply()
        self.assertEqual(code // 100, 4, text)
        client.close()
        self.assertEqual(pf.queue(), [])
        self.assertEqual((decided["state"], decided["queued"], decided["notice_sent"]),
                         ("never-queued", None, None))


class NeverQueued(unittest.TestCase):
    def test_mail_postfix_gave_up_on_gets_no_notice(self):
        """The milter committed the hold (and its notice job), then Postfix gave the
        message up (here: cleanup rejects the marker header; a crash or a client that
        hangs up does the same).  No notice may go out for mail that is not there:
        the record ends never-queued, and the sink sees nothing."""
        checks = os.path.join(swtest.make_workdir("neverq-checks"), "milter_header_checks")
        with open(checks, "w", encoding="utf-8") as f:
            f.write("/^X-Sendwatch-Hold:/ REJECT given up after the milter (test)\n")
        os.chmod(checks, 0o644)
        stack = swtest.Stack("neverq", holdd=True, config_extra={
            "hold_enable": "yes", "hold_scope": "all", "hold_queue_grace": "5"},
            main_extra={"milter_header_checks": "regexp:" + checks})
        with stack.start():
            with self.assertRaises(smtplib.SMTPDataError) as e:
                stack.postfix.submit(SENDER, ["bob@partner.example"],
                                     swtest.make_message("never queued", b"x\r\n"))
            self.assertEqual(e.exception.smtp_code // 100, 5)
            self.assertEqual(stack.postfix.queue(), [])

            def record():
                r = stack.sendwatch("held", "list", "--json")
                held = json.loads(r.stdout) if r.returncode == 0 else []
                return held[0] if held and held[0]["state"] != "held" else None
            closed = swtest.poll(record, 60, "the orphaned record to be closed")
            self.assertEqual(closed["state"], "never-queued")
            self.assertIsNone(closed["notice_sent"])
            self.assertEqual([m for m in stack.sink.messages()
                              if m.header("X-Sendwatch-Notice")], [])


class HoldMapFull(unittest.TestCase):
    def test_full_lmdb_map_tempfails_and_queues_nothing(self):
        """The hold record cannot be committed: the client gets 4xx, nothing is queued."""
        stack = swtest.Stack("holdfull", config_extra={
            "hold_enable": "yes", "hold_scope": "all", "state_map_size": "1m"})
        with stack.start():
            # Fill the map behind the running milter's back (its databases exist
            # by now, and the rules' status it writes at start is written: a
            # restart would write it again and free the pages of the old one).
            state = os.path.join(stack.workdir, "state")
            filler = os.path.join(stack.workdir, "filler.txt")
            # One-page values, one load each, until the map takes no more:
            # then there is no room left for a hold.
            loaded = 0
            for i in range(400):
                with open(filler, "w", encoding="utf-8") as f:
                    f.write("filler%04d@corp.sendwatch.test\n%s\n" % (i, "x" * 4000))
                r = subprocess.run(["mdb_load", "-T", "-s", "users", "-f", filler, state],
                                   capture_output=True, text=True, encoding="utf-8",
                                   errors="replace")
                if r.returncode != 0:
                    self.assertIn("MDB_MAP_FULL", r.stderr)
                    break
                loaded += 1
            self.assertGreater(loaded, 100)
            for name in os.listdir(state):
                swtest.chown_to(os.path.join(state, name), swtest.RUN_USER)
            with self.assertRaises(smtplib.SMTPDataError) as caught:
                stack.postfix.submit(SENDER, ["bob@partner.example"],
                                     swtest.make_message("no room", b"x\r\n"))
            self.assertEqual(caught.exception.smtp_code // 100, 4)
            self.assertEqual(stack.postfix.queue(), [])
            self.assertRegex(stack.milter.log_text(),
                             r"cannot record the hold: .*map is full.*raise state_map_size")


if __name__ == "__main__":
    swtest.main()
