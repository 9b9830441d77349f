#!/usr/bin/python3
"""Held mail still gets signed by a DKIM signer listed after sendwatch (OpenDKIM).

smfi_quarantine would stop the milter chain at sendwatch, and postsuper -H
does not run milters again: released mail would leave unsigned.  The
marker header keeps the chain whole; the signature must verify on arrival.
"""

import base64
import os
import pwd
import re
import subprocess
import unittest

import dkim

import swtest

SENDER = "alice@corp.sendwatch.test"


class HoldDkim(unittest.TestCase):
    def setUp(self):
        self.stack = swtest.Stack("holddkim", holdd=True, config_extra={
            "hold_enable": "yes", "hold_minutes": "30", "hold_scope": "external",
            "encrypt_attachments": "yes"})
        work = self.stack.workdir
        keys = os.path.join(work, "dkim")
        os.makedirs(keys)
        subprocess.run(["opendkim-genkey", "-D", keys, "-d", "corp.sendwatch.test",
                        "-s", "test"], check=True)
        owner = pwd.getpwnam("opendkim")
        for name in os.listdir(keys):
            os.chown(os.path.join(keys, name), owner.pw_uid, owner.pw_gid)
        with open(os.path.join(keys, "test.txt"), encoding="utf-8") as f:
            # test._domainkey IN TXT ( "v=DKIM1; h=sha256; k=rsa; " "p=..." "..." )
            self.txt = "".join(re.findall(r'"([^"]*)"', f.read())).encode()
        self.keys = keys
        self.opendkim = None
        self.opendkim_log_path = os.path.join(work, "log", "opendkim.log")
        self.port = swtest.free_port()
        self.addCleanup(self.stop_opendkim)  # after tearDown, and if setUp fails
        # A free port is a guess: if it is taken before opendkim binds it,
        # opendkim exits and we try again on another.
        swtest.retry_ports("opendkim", self.start_opendkim, self.repick_port)
        # sendwatch first, then the signer: what is signed is what leaves.
        self.stack.postfix.postconf(smtpd_milters="unix:%s, inet:127.0.0.1:%d" % (
            self.stack.socket_path, self.port))
        self.stack.start()

    def write_opendkim_conf(self):
        conf = os.path.join(self.keys, "opendkim.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("Syslog no\nBackground no\nMode s\nDomain corp.sendwatch.test\n"
                    "Selector test\nKeyFile %s/test.private\n"
                    "Socket inet:%d@127.0.0.1\nUserID opendkim\n"
                    "Canonicalization relaxed/simple\nInternalHosts 127.0.0.1\n"
                    # the test key lives under /tmp, which opendkim calls unsafe
                    "RequireSafeKeys no\n"
                    % (self.keys, self.port))
        return conf

    def repick_port(self):
        self.port = swtest.free_port()

    def start_opendkim(self):
        conf = self.write_opendkim_conf()
        offset = swtest.log_size(self.opendkim_log_path)
        self.opendkim_log = open(self.opendkim_log_path, "ab")
        self.opendkim = subprocess.Popen(["opendkim", "-f", "-x", conf],
                                         stdout=self.opendkim_log, stderr=subprocess.STDOUT)
        try:
            # opendkim says only "smfi_opensocket() failed" when the port is
            # taken; wait_listening() then sees another process on it.
            swtest.wait_listening(self.opendkim, self.port, "opendkim",
                                  lambda: swtest.read_text_from(self.opendkim_log_path, offset))
        except BaseException:
            self.stop_opendkim()
            raise

    def stop_opendkim(self):
        if self.opendkim is None:
            return
        if self.opendkim.poll() is None:
            self.opendkim.terminate()
            self.opendkim.wait(30)
        self.opendkim_log.close()
        self.opendkim = None

    def tearDown(self):
        self.stack.stop()

    def dns(self, name, timeout=5):
        return self.txt if name == b"test._domainkey.corp.sendwatch.test." else None

    def test_released_mail_carries_a_valid_signature(self):
        msg = swtest.make_message("signed after hold", b"check the signature\r\n")
        qid = self.stack.postfix.submit(SENDER, ["bob@partner.example"], msg)
        swtest.poll(lambda: any(e["queue_id"] == qid and e["queue_name"] == "hold"
                                for e in self.stack.postfix.queue()), 30, "%s in HOLD" % qid)
        r = self.stack.sendwatch("held", "release", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.stack.find("<signed-after-hold@sendwatch.test>")
        self.assertIsNotNone(got.header("DKIM-Signature"), got.raw[:2000])
        self.assertIsNone(got.header("X-Sendwatch-Hold"))
        self.assertTrue(dkim.verify(got.raw, dnsfunc=self.dns), got.raw[:2000])
        # And the check can fail: one changed byte in the body breaks it.
        tampered = got.raw.replace(b"check the signature", b"check the signaturE")
        self.assertFalse(dkim.verify(tampered, dnsfunc=self.dns))

    def test_sealed_mail_carries_a_valid_signature(self):
        """The signer after sendwatch signs the rewritten body: it verifies."""
        csv = base64.b64encode("名前,カード\r\n山田,4111 1111 1111 1111\r\n".encode()).decode()
        msg = ("From: <%s>\r\nTo: <bob@partner.example>\r\nSubject: signed sealed\r\n"
               "Message-ID: <signed-sealed@sendwatch.test>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
               "--b\r\nContent-Type: text/plain\r\n\r\nthe list\r\n"
               "--b\r\nContent-Type: text/csv; name=list.csv\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n" % (SENDER, csv))
        qid = self.stack.postfix.submit(SENDER, ["bob@partner.example"], msg)
        swtest.poll(lambda: any(e["queue_id"] == qid and e["queue_name"] == "hold"
                                for e in self.stack.postfix.queue()), 30, "%s in HOLD" % qid)
        r = self.stack.sendwatch("held", "release", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.stack.find("<signed-sealed@sendwatch.test>")
        self.assertIn(b"Content-Type: application/zip", got.raw)
        self.assertNotIn(csv.encode(), got.raw)
        self.assertTrue(dkim.verify(got.raw, dnsfunc=self.dns), got.raw[:3000])
        tampered = got.raw.replace(b"the list", b"the List")
        self.assertFalse(dkim.verify(tampered, dnsfunc=self.dns))


if __name__ == "__main__":
    swtest.main()
