#!/usr/bin/python3
"""Mail passes Postfix + sendwatch-milter and arrives unchanged at the sink."""

import os
import re
import smtplib
import socket
import unittest

import swtest


def milter_lines(stack):
    return [l for l in stack.milter.log_text().splitlines() if "from=<" in l]


class Passthrough(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A small text limit: the 30 MB message must not be read into RAM.
        cls.stack = swtest.Stack("passthrough", config_extra={"scan_text_limit": "2m"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()  # fails unless the milter exited 0

    def find(self, message_id, timeout=60):
        return self.stack.find(message_id, timeout)

    def test_body_and_headers_unchanged(self):
        body = (b"Hello Bob,\r\n\r\n.leading dot survives stuffing\r\n"
                b"tabs\tand trailing spaces   \r\n" + b"x" * 998 + b"\r\n")
        msg = swtest.make_message("plain one", body, extra_headers=[
            "X-Folded: first part",
            "\tsecond part"])
        qid = self.stack.postfix.submit("alice@corp.sendwatch.test",
                                        ["bob@partner.example", "carol@partner.example"], msg)
        self.assertIsNotNone(qid)
        got = self.find("<plain-one@sendwatch.test>")
        self.assertEqual(got.body_bytes(), body.replace(b"\r\n", b"\n"))
        self.assertIn(b"\nX-Folded: first part\n\tsecond part\n", got.raw)
        self.assertEqual(sorted(got.rcpts), ["bob@partner.example", "carol@partner.example"])
        self.assertEqual(got.queue_id, qid)
        # The milter logged this message: queue ID, sender, recipients, size.
        line = swtest.poll(lambda: [l for l in milter_lines(self.stack) if qid in l], 10,
                           "the milter's line for %s" % qid)[0]
        m = re.search(r"%s: from=<alice@corp.sendwatch.test>, nrcpt=2, size=(\d+), "
                      r"spool=memory, attachments=0$" % qid, line)
        self.assertIsNotNone(m, line)
        # The milter saw exactly the bytes the client sent: header, blank line, body.
        # (Postfix does not pass its own Received: header to smtpd milters.)
        self.assertEqual(int(m.group(1)), len(msg))

    def test_several_messages_in_one_session_with_reset(self):
        """Multi-message sessions, an RSET mid-transaction, and an aborted DATA."""
        with smtplib.SMTP("127.0.0.1", self.stack.postfix.port, timeout=60,
                            local_hostname=swtest.CLIENT_NAME) as smtp:
            smtp.ehlo("client.sendwatch.test")
            for i in range(3):
                smtp.sendmail("alice@corp.sendwatch.test", ["bob@partner.example"],
                              swtest.make_message("multi %d" % i, b"body %d\r\n" % i))
            smtp.mail("alice@corp.sendwatch.test")
            smtp.rcpt("bob@partner.example")
            smtp.rset()  # abandoned transaction: the milter must forget it
            smtp.sendmail("alice@corp.sendwatch.test", ["dave@partner.example"],
                          swtest.make_message("multi 3", b"after reset\r\n"))
        for i in range(4):
            self.find("<multi-%d@sendwatch.test>" % i)
        # The last message has one recipient: nothing leaked from the RSET one.
        got = self.find("<multi-3@sendwatch.test>")
        self.assertEqual(got.rcpts, ["dave@partner.example"])

    def test_client_drops_connection_in_data(self):
        """A client that vanishes mid-DATA costs nothing; the next mail flows."""
        s = socket.create_connection(("127.0.0.1", self.stack.postfix.port), timeout=30)
        f = s.makefile("rwb")
        def cmd(line):
            f.write(line + b"\r\n")
            f.flush()
            reply = f.readline()
            while reply[3:4] == b"-":
                reply = f.readline()
            return reply
        f.readline()  # greeting
        self.assertTrue(cmd(b"EHLO client.sendwatch.test").startswith(b"250"))
        self.assertTrue(cmd(b"MAIL FROM:<alice@corp.sendwatch.test>").startswith(b"250"))
        self.assertTrue(cmd(b"RCPT TO:<bob@partner.example>").startswith(b"250"))
        self.assertTrue(cmd(b"DATA").startswith(b"354"))
        f.write(b"Subject: never finished\r\nMessage-ID: <dropped@sendwatch.test>\r\n\r\n")
        f.write(b"partial body " * 10000)
        f.flush()
        s.close()
        self.stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                  swtest.make_message("after drop", b"still works\r\n"))
        self.find("<after-drop@sendwatch.test>")
        self.assertFalse(any(m.header("Message-ID") == "<dropped@sendwatch.test>"
                             for m in self.stack.sink.messages()))

    def test_30mb_message_spills_to_disk(self):
        """A 30 MB message passes; the milter keeps it in a file, not in RAM."""
        line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\r\n"
        body = line * (30 * 1024 * 1024 // len(line))
        msg = swtest.make_message("thirty megabytes", body)
        qid = self.stack.postfix.submit("alice@corp.sendwatch.test",
                                        ["bob@partner.example"], msg)
        got = self.find("<thirty-megabytes@sendwatch.test>", timeout=180)
        self.assertEqual(len(got.body_bytes()), len(body.replace(b"\r\n", b"\n")))
        self.assertEqual(got.body_bytes(), body.replace(b"\r\n", b"\n"))
        lines = swtest.poll(lambda: [l for l in milter_lines(self.stack) if qid in l], 10,
                            "the milter's line for %s" % qid)
        self.assertIn("spool=file", lines[0])
        self.assertIn("limit-exceeded", lines[0])
        # Past scan_text_limit the text is not read - and that is said, not silent.
        self.assertIn("%s: a text/plain part of" % qid, self.stack.milter.log_text())
        self.assertEqual(os.listdir(os.path.join(self.stack.workdir, "tmp")), [],
                         "spill files must not outlive their message")
        if os.environ.get("SENDWATCH_SANITIZE") != "1":
            # ASan's shadow memory makes RSS meaningless; the normal build checks it.
            with open("/proc/%d/status" % self.stack.milter.proc.pid, encoding="utf-8") as f:
                hwm = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))
            self.assertLess(hwm, 20 * 1024, "milter peak RSS %d kB for a 30 MB message"
                            % hwm)


if __name__ == "__main__":
    swtest.main()
