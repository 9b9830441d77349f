#!/usr/bin/python3
"""Attachment encryption through a real Postfix: the zip at the sink opens with
the password from the notice that also arrived there, the files come back
byte for byte under their Japanese names, and every other byte of the
message is as it was sent."""

import base64
import hashlib
import os
import re
import smtplib
import subprocess
import tempfile
import unittest

import swtest
import samples

SENDER = "alice@corp.sendwatch.test"
CSV = "名前,カード\r\n山田,4111 1111 1111 1111\r\n".encode("utf-8") * 40
XLSX = os.urandom(3000)  # stands for an office file: stored, not deflated
PNG = (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + os.urandom(17) +
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = samples.pdf_of([(b"/Filter /FlateDecode", samples.flate(b"BT (plan) Tj ET"))])


def b64_lines(data):
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def message(subject, to="bob@partner.example", png_too=True, csv_too=True):
    """A text body, (CSV_TOO) a CSV named in RFC 2231, an .xlsx named in RFC
    2047, a PDF and (PNG_TOO) a PNG image; CRLF line ends."""
    parts = [
        "From: <%s>" % SENDER, "To: <%s>" % to, "Subject: %s" % subject,
        "Message-ID: <%s@sendwatch.test>" % subject.replace(" ", "-"),
        "Date: Mon, 30 Nov 2026 06:00:00 +0000", "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="=_b1"', "",
        "This is a multi-part message in MIME format.",
        "--=_b1", "Content-Type: text/plain; charset=utf-8", "",
        "見積と顧客リストを送ります。", "",
    ]
    if csv_too:
        parts += [
            "--=_b1", "Content-Type: text/csv; charset=utf-8",
            "Content-Disposition: attachment;",
            " filename*=UTF-8''%E9%A1%A7%E5%AE%A2%E3%83%AA%E3%82%B9%E3%83%88.csv",
            "Content-Transfer-Encoding: base64", "", b64_lines(CSV)]
    parts += [
        "--=_b1",
        'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;'
        ' name="=?UTF-8?B?6KaL56mN5pu4Lnhsc3g=?="',
        'Content-Disposition: attachment; filename="=?UTF-8?B?6KaL56mN5pu4Lnhsc3g=?="',
        "Content-Transfer-Encoding: base64", "", b64_lines(XLSX),
        "--=_b1", 'Content-Type: application/pdf; name="plan.pdf"',
        "Content-Transfer-Encoding: base64", "", b64_lines(PDF),
    ]
    if png_too:
        parts += ["--=_b1", 'Content-Type: image/png; name="photo.png"',
                  "Content-Disposition: inline; filename=photo.png",
                  "Content-Transfer-Encoding: base64", "", b64_lines(PNG)]
    parts += ["--=_b1--", "epilogue stays", ""]
    return "\r\n".join(parts).encode("utf-8")


SEALED = {"顧客リスト.csv": CSV, "見積書.xlsx": XLSX, "plan.pdf": PDF}


def segments(raw):
    """The body of RAW (LF line ends) cut at its =_b1 delimiter lines."""
    body = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[1]
    return re.split(rb"\n--=_b1(?:--)?\n", b"\n" + body)


class EncryptBase(unittest.TestCase):
    CONFIG = {}

    @classmethod
    def setUpClass(cls):
        config = {"encrypt_attachments": "yes", "encrypt_targets": "documents",
                  "notice_sender": "sendwatch@corp.sendwatch.test",
                  "message_size_limit": str(64 * 1024 * 1024)}
        config.update(cls.CONFIG)
        cls.stack = swtest.Stack("encrypt", holdd=True, config_extra=config)
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def send(self, subject, to=("bob@partner.example",), **kw):
        return self.stack.postfix.submit(SENDER, list(to), message(subject, to=to[0], **kw))

    def delivered(self, subject):
        return self.stack.find("<%s@sendwatch.test>" % subject.replace(" ", "-"))

    def notices(self, qid, kind="password"):
        return [m for m in self.stack.delivered()
                if m.header("X-Sendwatch-Notice") == kind and qid in m.message.get_content()]

    def password_notice(self, qid, timeout=60):
        return swtest.poll(lambda: self.notices(qid) and self.notices(qid)[0], timeout,
                           "the password notice of %s (%s)" % (qid, self.stack.where()))

    def zip_of(self, got):
        zips = [p for p in got.message.walk() if p.get_content_type() == "application/zip"]
        self.assertEqual(len(zips), 1, got.raw[:3000])
        return zips[0]

    def extract(self, data, password, listing_codepage=None):
        """Files of the zip DATA (name -> bytes) as 7-Zip extracts them, and its
        listing (with -mcp=LISTING_CODEPAGE)."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "in.zip")
            with open(path, "wb") as f:
                f.write(data)
            out = os.path.join(d, "out")
            # 7-Zip for Linux writes and lists a name without the UTF-8 flag as
            # its raw bytes, whatever -mcp says: those must be the CP932 bytes.
            env = dict(os.environ, LC_ALL="C.UTF-8")
            charset = "cp932" if listing_codepage == 932 else "utf-8"
            r = subprocess.run(["7zz", "x", "-y", "-p" + password, "-o" + out, path]
                               + (["-mcp=%s" % listing_codepage] if listing_codepage else []),
                               capture_output=True, env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            files = {}
            for name in os.listdir(out.encode()):
                with open(os.path.join(out.encode(), name), "rb") as f:
                    files[name.decode(charset)] = f.read()
            r = subprocess.run(["7zz", "l", "-slt", "-p" + password, path]
                               + (["-mcp=%s" % listing_codepage] if listing_codepage else []),
                               capture_output=True, env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            return files, r.stdout.decode(charset, "replace")

    def check_sealed(self, subject, qid, listing_codepage=None, method="AES-256"):
        got = self.delivered(subject)
        sent = message(subject)
        # The headers as sent, in order; the other parts byte for byte.
        sent_head = sent.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        self.assertIn(sent_head, got.raw, got.raw[:2000])
        before, after = segments(sent), segments(got.raw)
        self.assertEqual(after[0], before[0])  # the preamble
        self.assertEqual(after[1], before[1])  # the text
        self.assertEqual(after[-2], before[-2])  # the PNG
        self.assertEqual(after[-1], before[-1])  # the epilogue
        self.assertEqual(len(after), len(before) - 2)  # three parts became one
        part = self.zip_of(got)
        self.assertEqual(part.get_filename(), "顧客リスト.zip")
        notice = self.password_notice(qid)
        self.assertEqual(notice.rcpts, [SENDER])
        self.assertEqual(str(notice.message["Subject"]), "[パスワード通知] " + subject)
        body = notice.message.get_content()
        password = re.search(r"パスワード: (\S+)", body).group(1)
        self.assertIn("顧客リスト.zip", body)
        files, listing = self.extract(part.get_payload(decode=True), password,
                                      listing_codepage)
        self.assertEqual(sorted(files), sorted(SEALED))
        for name, data in SEALED.items():
            self.assertEqual(hashlib.sha256(files[name]).hexdigest(),
                             hashlib.sha256(data).hexdigest(), name)
        self.assertIn("Method = %s" % method, listing)
        for name in SEALED:
            self.assertIn("Path = %s\n" % name, listing)
        # A wrong password opens nothing.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "in.zip")
            with open(path, "wb") as f:
                f.write(part.get_payload(decode=True))
            r = subprocess.run(["7zz", "t", "-pWRONG-password", path], capture_output=True)
            self.assertNotEqual(r.returncode, 0)
        # No log line and no held record carries the password.
        for log in (self.stack.milter.log_text(), self.stack.holdd.log_text()):
            self.assertNotIn(password, log)
        self.assertIn("%s: password notice sent to <%s>" % (qid, SENDER),
                      self.stack.holdd.log_text())
        return part, password


class Encrypt(EncryptBase):
    def test_sealed_with_the_password_from_the_notice(self):
        qid = self.send("sealed quote")
        part, password = self.check_sealed("sealed quote", qid)
        self.assertIn("encrypt: 3 file(s) sealed into", self.stack.milter.log_text())

    def test_an_attachment_without_a_name_is_sealed_too(self):
        """A PDF part with no name and no disposition is a file all the same
        (the rules read it as one): it is sealed, never left in clear."""
        subject = "nameless quote"
        msg = ("From: <%s>\r\nTo: <bob@partner.example>\r\nSubject: %s\r\n"
               "Message-ID: <nameless-quote@sendwatch.test>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
               "--b\r\nContent-Type: text/plain\r\n\r\nsee the pdf\r\n"
               "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64"
               "\r\n\r\n%s\r\n--b--\r\n" % (SENDER, subject, b64_lines(PDF))).encode()
        qid = self.stack.postfix.submit(SENDER, ["bob@partner.example"], msg)
        got = self.delivered(subject)
        self.assertNotIn(b"application/pdf", got.raw)
        part = self.zip_of(got)
        notice = self.password_notice(qid)
        password = re.search(r"パスワード: (\S+)", notice.message.get_content()).group(1)
        files, _ = self.extract(part.get_payload(decode=True), password)
        self.assertEqual(list(files.values()), [PDF])

    def test_internal_only_mail_is_untouched(self):
        subject = "internal quote"
        qid = self.send(subject, to=("carol@corp.sendwatch.test",))
        got = self.delivered(subject)
        self.assertEqual(segments(got.raw), segments(message(subject)))
        self.assertEqual(self.notices(qid), [])

    def test_tester_shows_and_writes_what_would_leave(self):
        with tempfile.TemporaryDirectory() as d:
            eml = os.path.join(d, "m.eml")
            with open(eml, "wb") as f:
                f.write(message("tester quote"))
            out = os.path.join(d, "out.eml")
            r = self.stack.sendwatch("test", eml, "--json", "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            import json
            enc = json.loads(r.stdout)["encryption"]
            self.assertEqual(enc["encrypt"], True)
            self.assertEqual(enc["because"], "policy")
            self.assertEqual(enc["zip"], "顧客リスト.zip")
            self.assertEqual(sorted(enc["files"]), sorted(SEALED))
            self.assertEqual(len(enc["password"]), 12)
            self.assertIn("encrypt", json.loads(r.stdout)["actions"])
            with open(out, "rb") as f:
                written = f.read()
            import email
            import email.policy
            m = email.message_from_bytes(written, policy=email.policy.default)
            zips = [p for p in m.walk() if p.get_content_type() == "application/zip"]
            files, _ = self.extract(zips[0].get_payload(decode=True), enc["password"])
            self.assertEqual(files["顧客リスト.csv"], CSV)
            # --out never overwrites.
            r = self.stack.sendwatch("test", eml, "--out", out)
            self.assertEqual(r.returncode, 1)
            self.assertIn("never overwrites", r.stderr)

    def test_full_disk_while_sealing_tempfails(self):
        """temp_dir fills up while the zip is written: 451, a log line that says
        so, nothing queued - and the same message goes through once there is room."""
        import pwd
        tmp = os.path.join(self.stack.workdir, "tmp")
        user = pwd.getpwnam(swtest.RUN_USER)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700,uid=%d,gid=%d"
                            % (user.pw_uid, user.pw_gid), "sendwatch-full", tmp],
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("cannot mount a small tmpfs here: " + r.stderr.strip())
        big = os.urandom(400 * 1024)  # kept in memory (message_memory_limit), not the zip
        subject = "full disk quote"
        msg = message(subject).replace(b64_lines(XLSX).encode(), b64_lines(big).encode())
        try:
            with self.assertRaises(smtplib.SMTPDataError) as caught:
                self.stack.postfix.submit(SENDER, ["bob@partner.example"], msg)
            self.assertEqual(caught.exception.smtp_code, 451)
        finally:
            subprocess.run(["umount", tmp], check=True)
        log = self.stack.milter.log_text()
        self.assertRegex(log, r"temporary failure: cannot encrypt the attachments: .*"
                              r"(No space left on device|Write error)")
        self.assertEqual([e for e in self.stack.postfix.queue()
                          if e.get("queue_name") != "hold"], [])
        qid = self.stack.postfix.submit(SENDER, ["bob@partner.example"], msg)
        got = self.delivered(subject)
        self.assertEqual(len([p for p in got.message.walk()
                              if p.get_content_type() == "application/zip"]), 1)
        self.password_notice(qid)

    def reload_with(self, text):
        with open(self.stack.config_path, "w", encoding="utf-8") as f:
            f.write(text)
        before = self.stack.milter.log_text().count("reloaded:")
        r = self.stack.sendwatch("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        swtest.poll(lambda: self.stack.milter.log_text().count("reloaded:") > before, 30,
                    "the milter's reload")

    def test_too_large_once_encrypted_gets_a_clear_5xx(self):
        """Postfix takes the message as sent; sealed, it would be over the limit,
        which the milter says with its own 552 instead of Postfix's after a yes."""
        # What Postfix counts of this message (no CSV: sealing it hardly changes
        # its size), from its own log line for an internal copy, which is not
        # sealed.  The limit leaves 100 bytes less than the milter's budget for
        # the queue file's envelope (1 KB and 300 bytes a recipient): Postfix
        # must still take the original, or the budget is too small.
        qid = self.send("too large quote", to=("carol@corp.sendwatch.test",),
                        csv_too=False)
        size = swtest.poll(lambda: re.search(r"%s: from=<[^>]*>, size=(\d+)" % qid,
                                             self.stack.postfix.log_text()), 30,
                           "Postfix's size of %s" % qid)
        limit = int(size.group(1)) + 1024 + 300 - 100
        with open(self.stack.config_path, encoding="utf-8") as f:
            text = f.read()
        try:
            self.stack.postfix.postconf(message_size_limit=str(limit))
            self.reload_with(text.replace("message_size_limit = %d" % (64 * 1024 * 1024),
                                          "message_size_limit = %d" % limit))
            with self.assertRaises(smtplib.SMTPDataError) as caught:
                self.send("too large quote", csv_too=False)
            self.assertEqual(caught.exception.smtp_code, 552)
            self.assertIn(b"5.3.4 sendwatch: message too large once its attachments are "
                          b"encrypted", caught.exception.smtp_error)
            self.assertIn("over message_size_limit (%d)" % limit, self.stack.milter.log_text())
            # The same message, not sealed, passes the same limit.
            qid = self.send("too large quote", to=("carol@corp.sendwatch.test",),
                            csv_too=False)
            self.assertIsNotNone(qid)
        finally:
            self.stack.postfix.postconf(message_size_limit=str(64 * 1024 * 1024))
            self.reload_with(text)


class EncryptCp932Zipcrypto(EncryptBase):
    CONFIG = {"encrypt_name_charset": "cp932", "encrypt_method": "zipcrypto",
              "language": "ja"}

    def test_cp932_names_and_zipcrypto_open_in_7zip_and_unzip(self):
        qid = self.send("cp932 quote")
        part, password = self.check_sealed("cp932 quote", qid, listing_codepage=932,
                                           method="ZipCrypto")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "in.zip")
            with open(path, "wb") as f:
                f.write(part.get_payload(decode=True))
            r = subprocess.run(["unzip", "-P", password, "-p", path, "plan.pdf"],
                               capture_output=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, PDF)
            # The names are CP932 bytes, without the UTF-8 flag.
            r = subprocess.run(["unzip", "-Z", "-v", path], capture_output=True)
            self.assertIn("顧客リスト.csv".encode("cp932"), r.stdout)


class EncryptMixedRecipients(EncryptBase):
    """A partner exempted by the domain table, beside a recipient who is not:
    the strictest action for all - both get the zip, and the log says so."""
    TABLE = None

    @classmethod
    def setUpClass(cls):
        # Root's file in /tmp (sticky, root owns the entry): read at start as root.
        import tempfile as tf
        fd, cls.TABLE = tf.mkstemp(prefix="sendwatch-domains-")
        os.write(fd, b"partner.example none\n")
        os.close(fd)
        os.chmod(cls.TABLE, 0o644)
        cls.CONFIG = {"encrypt_domains_file": cls.TABLE}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.TABLE)

    def test_the_strictest_for_all(self):
        # The partner alone: exempted, sent as it was.
        subject = "partner only quote"
        qid = self.send(subject, to=("bob@partner.example",))
        self.assertEqual(segments(self.delivered(subject).raw), segments(message(subject)))
        self.assertEqual(self.notices(qid), [])
        # The partner and another outside recipient: sealed for both.
        subject = "mixed quote"
        qid = self.send(subject, to=("bob@partner.example", "dan@other.example"))
        got = [m for m in self.stack.delivered()
               if m.header("Message-ID") == "<mixed-quote@sendwatch.test>"]
        swtest.poll(lambda: len([m for m in self.stack.delivered()
                                 if m.header("Message-ID") == "<mixed-quote@sendwatch.test>"
                                 ]) >= 1, 60, "the mixed message")
        got = [m for m in self.stack.delivered()
               if m.header("Message-ID") == "<mixed-quote@sendwatch.test>"]
        rcpts = sorted(r for m in got for r in m.rcpts)
        self.assertEqual(rcpts, ["bob@partner.example", "dan@other.example"])
        for m in got:
            self.zip_of(m)
        self.password_notice(qid)
        self.assertIn("recipients under different actions get the strictest: 1 exempted",
                      self.stack.milter.log_text())


class EncryptHeld(EncryptBase):
    CONFIG = {"hold_enable": "yes", "hold_minutes": "30"}

    def in_hold(self, qid):
        return any(e["queue_id"] == qid and e["queue_name"] == "hold"
                   for e in self.stack.postfix.queue())

    def test_password_only_after_the_release(self):
        qid = self.send("held quote")
        swtest.poll(lambda: self.in_hold(qid), 30, "%s in HOLD" % qid)
        # The hold notice comes; the password notice does not, yet.
        swtest.poll(lambda: self.notices(qid, "hold"), 60, "the hold notice of %s" % qid)
        self.assertEqual(self.notices(qid), [])
        r = self.stack.sendwatch("held", "release", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        part, password = self.check_sealed("held quote", qid)
        r = self.stack.sendwatch("held", "show", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(password, r.stdout + r.stderr)
        r = self.stack.sendwatch("held", "list", "--json")
        self.assertNotIn(password, r.stdout)
        # The job kept it sealed: never in the state store's file in clear, not
        # even in pages LMDB freed when the job went.
        with open(os.path.join(self.stack.workdir, "state", "data.mdb"), "rb") as f:
            self.assertNotIn(password.encode(), f.read())

    def test_no_password_after_a_delete(self):
        qid = self.send("deleted quote")
        swtest.poll(lambda: self.in_hold(qid), 30, "%s in HOLD" % qid)
        swtest.poll(lambda: self.notices(qid, "hold"), 60, "the hold notice of %s" % qid)
        r = self.stack.sendwatch("held", "delete", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        swtest.poll(lambda: "%s: deleted" % qid in self.stack.holdd.log_text(), 60,
                    "%s deleted" % qid)
        # A later message's password arrives; this one's never does.
        later = self.send("after delete quote")
        swtest.poll(lambda: self.in_hold(later), 30, "%s in HOLD" % later)
        self.stack.sendwatch("held", "release", later)
        self.password_notice(later)
        self.assertEqual(self.notices(qid), [])


class EncryptOwnPassword(EncryptBase):
    CONFIG = {"user_settings_allowed": "yes", "user_password_allowed": "yes"}
    PASSWORD = "Tokyo-2026!pass"

    def test_the_senders_own_password_and_only_its_hint_in_the_notice(self):
        r = self.stack.sendwatch("user", "password", SENDER, "--hint", "いつもの合言葉",
                                 stdin=self.PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(self.PASSWORD, r.stdout + r.stderr)
        r = self.stack.sendwatch("user", "show", SENDER)
        self.assertIn("zip_password  (set, sealed)", r.stdout)
        self.assertIn("zip_password_hint いつもの合言葉", r.stdout)
        # Only "user password" writes one; a plain one through "user set" is refused.
        r = self.stack.sendwatch("user", "set", SENDER, "zip_password=hunter22")
        self.assertEqual(r.returncode, 2)
        self.assertIn("zip_password must be set with", r.stderr)
        qid = self.send("own password quote")
        got = self.delivered("own password quote")
        files, _ = self.extract(self.zip_of(got).get_payload(decode=True), self.PASSWORD)
        self.assertEqual(files["顧客リスト.csv"], CSV)
        body = self.password_notice(qid).message.get_content()
        self.assertIn("送信者が決めたパスワードです（ヒント: いつもの合言葉）", body)
        self.assertNotIn(self.PASSWORD, body)
        self.assertIn("the sender's own password", self.stack.milter.log_text())
        # Nowhere in clear: not in the logs, not in the state store's file.
        for log in (self.stack.milter.log_text(), self.stack.holdd.log_text()):
            self.assertNotIn(self.PASSWORD, log)
        with open(os.path.join(self.stack.workdir, "state", "data.mdb"), "rb") as f:
            self.assertNotIn(self.PASSWORD.encode(), f.read())
        # Removed: a fresh password per message again.
        r = self.stack.sendwatch("user", "password", SENDER, "--remove")
        self.assertEqual(r.returncode, 0, r.stderr)
        qid = self.send("fresh again quote")
        body = self.password_notice(qid).message.get_content()
        fresh = re.search(r"パスワード: (\S+)", body).group(1)
        self.assertNotEqual(fresh, self.PASSWORD)
        files, _ = self.extract(self.zip_of(self.delivered("fresh again quote"))
                                .get_payload(decode=True), fresh)
        self.assertEqual(files["plan.pdf"], PDF)


if __name__ == "__main__":
    swtest.main()
