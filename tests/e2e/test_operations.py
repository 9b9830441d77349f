#!/usr/bin/python3
"""Running it: local submissions inspected, sendwatch's own mail recognised
by its signed header (and a forged one gaining nothing), /metrics checked by
promtool, /healthz, and holdd's automatic bypass with its alerts, audit
lines and timeline.  (The systemd units, watchdogs and recovery under load
are tested in a booted container: test_systemd.)"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import swtest

BYPASS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "contrib",
                                      "bypass", "sendwatch-bypass"))
RULES = """\
rule keep-confidential
    match body keywords "confidential"
    action store conf
    action deliver
rule no-secrets
    match body keywords "topsecret"
    action reject "no secrets"
"""
ALICE = "alice@corp.sendwatch.test"


def sendmail(pf, sender, rcpts, message):
    """Submits MESSAGE as a local program would: /usr/sbin/sendmail (pickup)."""
    subprocess.run(["sendmail", "-C", pf.config_dir, "-i", "-f", sender, "--"] + rcpts,
                   input=message, check=True, capture_output=True)


def hkdf_sha256(key, info):
    """HKDF-SHA256 with no salt, 32 bytes (RFC 5869), as OpenSSL's EVP_KDF does."""
    prk = hmac.new(b"\0" * 32, key, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def origin_header(key_path, when, rcpts, body):
    """An X-Sendwatch-Origin value, made as holdd makes it (notice_mark.h)."""
    with open(key_path, encoding="ascii") as f:
        file_key = bytes.fromhex(f.read().strip())
    key = hkdf_sha256(file_key, b"sendwatch notice mark v1")
    canon = body.replace(b"\r", b"").rstrip(b"\n")
    data = b"sendwatch notice v1\n%d\n" % when
    for r in sorted(r.lower() for r in rcpts):
        data += r.encode() + b"\n"
    data += hashlib.sha256(canon).digest()
    mac = hmac.new(key, data, hashlib.sha256).digest()
    return "v1 t=%d mac=%s" % (when, base64.urlsafe_b64encode(mac).rstrip(b"=").decode())


def metric(text, name):
    """The value of the sample NAME (with its labels) in an exposition, or None."""
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Operations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = swtest.Stack(
            "ops", holdd=True, web=True, rules={"10-ops.rules": RULES},
            config_extra={"hold_enable": "yes", "hold_minutes": "30",
                          "admin_address": "postmaster@corp.sendwatch.test"})
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def metrics_url(self):
        return "http://127.0.0.1:%d/metrics" % self.stack.metrics_port

    def test_local_submission_is_inspected(self):
        pf = self.stack.postfix
        own_before = metric(get(self.metrics_url())[1], "sendwatch_own_messages_total")
        sendmail(pf, ALICE, ["bob@partner.example"],
                 swtest.make_message("by sendmail", b"a confidential plan\r\n"))
        # Held (external, hold_enable), its copy stored, its notice sent: the
        # milter saw it, although it never came by SMTP.
        held = swtest.poll(lambda: next((q for q in pf.queue() if q["queue_name"] == "hold"
                                         and q["sender"] == ALICE), None), 60,
                           "the sendmail'd message in HOLD")
        log = swtest.poll(lambda: (lambda t: held["queue_id"] in t and t)(
            self.stack.milter.log_text()), 30, "the milter's line for it")
        self.assertRegex(log, r"%s: audit: rules=keep-confidential" % held["queue_id"])
        notice = swtest.poll(lambda: next(
            (m for m in self.stack.delivered() if m.header("X-Sendwatch-Notice") == "hold"
             and held["queue_id"] in m.message.get_content()), None), 60,
            "the hold notice")
        # The notice itself went through the milter (non_smtpd_milters) as
        # sendwatch's own - holdd's signature, made by holdd, good - so it
        # was not inspected, and the signature was removed.
        self.assertIsNone(notice.header("X-Sendwatch-Origin"))
        self.assertIsNotNone(notice.queue_id)
        log = self.stack.milter.log_text()
        self.assertRegex(log, r"%s: from=<[^>]*>, nrcpt=1: sendwatch's own message, passed "
                         r"uninspected" % notice.queue_id)
        self.assertNotRegex(log, r"%s: .*did not write" % notice.queue_id)
        self.assertGreater(metric(get(self.metrics_url())[1], "sendwatch_own_messages_total"),
                           own_before)
        # A local program's secret is refused like anyone's.
        sendmail(pf, ALICE, ["bob@partner.example"],
                 swtest.make_message("secret by sendmail", b"topsecret\r\n"))
        swtest.poll(lambda: re.search(r"audit: rules=no-secrets .*secret by sendmail",
                                      self.stack.milter.log_text()), 60,
                    "the local secret refused")

    def test_a_forged_origin_header_gains_nothing(self):
        pf = self.stack.postfix
        body = b"topsecret, but I say I am sendwatch\r\n"
        cases = {
            "garbage": "v1 t=1 mac=xyz",
            # A good MAC under a key of the user's own.
            "own key": origin_header(self.write_key(b"\x01" * 32), int(time.time()),
                                     ["eve@evil.example"], body),
            # sendwatch's key, but made for another recipient: a copied header.
            "other envelope": origin_header(self.stack.key_path, int(time.time()),
                                            ["bob@partner.example"], body),
            # sendwatch's key, for another body.
            "other body": origin_header(self.stack.key_path, int(time.time()),
                                        ["eve@evil.example"], b"harmless\r\n"),
            # sendwatch's key, long ago.
            "stale": origin_header(self.stack.key_path, int(time.time()) - 8 * 86400,
                                   ["eve@evil.example"], body),
        }
        for why, value in cases.items():
            msg = swtest.make_message("forged " + why, body,
                                      extra_headers=("X-Sendwatch-Origin: " + value,))
            with self.assertRaises(swtest.smtplib.SMTPDataError, msg=why) as e:
                pf.submit(ALICE, ["eve@evil.example"], msg)
            self.assertEqual(e.exception.smtp_code, 550, why)
        log = self.stack.milter.log_text()
        self.assertEqual(len(re.findall(r"removed 1 X-Sendwatch-Origin header\(s\) that "
                                        r"sendwatch did not write", log)), len(cases), log)
        for words in ("malformed", "forged or for another message", "stale"):
            self.assertIn("(%s)" % words, log)
        # Made exactly as holdd makes it, for this envelope and body: passed
        # uninspected (the one thing the header can do), and removed.
        good = origin_header(self.stack.key_path, int(time.time()),
                             ["eve@evil.example"], body)
        qid = pf.submit(ALICE, ["eve@evil.example"], swtest.make_message(
            "signed by the key", body, extra_headers=("X-Sendwatch-Origin: " + good,)))
        got = swtest.poll(lambda: next((m for m in self.stack.delivered()
                                        if m.header("Subject") == "signed by the key"),
                                       None), 60, "the signed message")
        self.assertIsNone(got.header("X-Sendwatch-Origin"))
        self.assertIn("%s: from=<%s>, nrcpt=1: sendwatch's own message" % (qid, ALICE),
                      self.stack.milter.log_text())

    def write_key(self, key):
        path = os.path.join(self.stack.workdir, "tmp", "users-own.key")
        with open(path, "w", encoding="ascii") as f:
            f.write(key.hex() + "\n")
        return path

    def test_metrics_and_health(self):
        pf = self.stack.postfix
        names = ("sendwatch_messages_inspected_total",
                 'sendwatch_rule_hits_total{rule="keep-confidential"}',
                 'sendwatch_verdicts_total{action="store"}')
        before = {n: metric(get(self.metrics_url())[1], n) or 0 for n in names}
        pf.submit(ALICE, ["bob@corp.sendwatch.test"],
                  swtest.make_message("counted", b"confidential\r\n"))
        status, text = get(self.metrics_url())
        self.assertEqual(status, 200)
        promtool = subprocess.run(["promtool", "check", "metrics"], input=text,
                                  capture_output=True, text=True)
        self.assertEqual(promtool.returncode, 0, promtool.stdout + promtool.stderr)
        # This message, once each.
        for n in names:
            self.assertEqual(metric(text, n), before[n] + 1, n)
        for source in ("milter", "holdd", "store", "bypass"):
            self.assertEqual(
                metric(text, 'sendwatch_metrics_readable{source="%s"}' % source), 1,
                source)
        self.assertEqual(metric(text, "sendwatch_rules_last_reload_success"), 1)
        self.assertEqual(metric(text, "sendwatch_rules_loaded"), 2)
        self.assertEqual(metric(text, "sendwatch_bypass_active"), 0)
        self.assertIn("sendwatch_inspection_seconds_bucket{le=\"+Inf\"}", text)
        # Health on both listeners; the numbers only on the loopback one.
        self.assertEqual(get(self.stack.web_url("/healthz")), (200, "ok\n"))
        self.assertEqual(get("http://127.0.0.1:%d/healthz" % self.stack.metrics_port),
                         (200, "ok\n"))
        self.assertEqual(get(self.stack.web_url("/metrics"))[0], 404)
        self.assertEqual(get("http://127.0.0.1:%d/admin" % self.stack.metrics_port)[0], 404)


class Watchdog(unittest.TestCase):
    """sd_notify as systemd would see it (a notify socket of the test's own,
    WATCHDOG_USEC = 2 s): READY once serving, and WATCHDOG pings only while
    the daemon's work really moves.  (Killed and restarted by real systemd:
    tests/systemd.)"""

    def test_pings_follow_the_work(self):
        stack = swtest.Stack("watchdog", holdd=True, web=True,
                             config_extra={"hold_enable": "yes", "hold_minutes": "30"})
        notify = {}
        for d in stack.daemons():
            notify[d.name] = swtest.NotifySocket(stack.workdir, d.name, watchdog_seconds=2)
            d.env = notify[d.name].env()
        with stack.start():
            for name, n in notify.items():
                ready = swtest.poll(lambda: n.times("READY=1"), 30, name + " READY")[0]
                swtest.poll(lambda: len([t for t in n.times("WATCHDOG=1") if t > ready]) >= 2,
                            30, name + " pinging")
            # holdd: its root helper hangs; the next job that needs it waits,
            # so the loop stops turning and the pings stop.
            holdd = notify["sendwatch-holdd"]
            helper = int(subprocess.run(["pgrep", "-P", str(stack.holdd.proc.pid)],
                                        capture_output=True, text=True).stdout.split()[0])
            os.kill(helper, signal.SIGSTOP)
            try:
                stack.postfix.submit(ALICE, ["bob@partner.example"],
                                     swtest.make_message("needs a notice", b"x\r\n"))
                stuck = swtest.poll(lambda: holdd.times("WATCHDOG=1") and (lambda t: (
                    time.time() - t > 3) and t)(holdd.times("WATCHDOG=1")[-1]), 30,
                    "holdd's pings to stop")
            finally:
                os.kill(helper, signal.SIGCONT)
            swtest.poll(lambda: holdd.times("WATCHDOG=1")[-1] > stuck, 30,
                        "holdd pinging again")
            swtest.poll(lambda: "hold notice sent" in stack.holdd.log_text(), 30,
                        "the notice sent once the helper runs")
            # The milter: its socket gone, nothing answers there, though the
            # process runs: its pings stop.
            milter = notify["sendwatch-milter"]
            os.unlink(stack.socket_path)
            swtest.poll(lambda: "health: no answer on" in stack.milter.log_text(), 30,
                        "the milter's health check failing")
            last = milter.times("WATCHDOG=1")[-1]
            swtest.poll(lambda: time.time() - last > 4, 10, "four seconds")
            self.assertEqual(milter.times("WATCHDOG=1")[-1], last,
                             "the milter pinged with nothing answering on its socket")
            self.assertIsNone(stack.milter.proc.poll())
            # The web answers throughout.
            web = notify["sendwatch-web"]
            self.assertGreater(web.times("WATCHDOG=1")[-1], time.time() - 3)
        for n in notify.values():
            n.close()


class AutoBypass(unittest.TestCase):
    """holdd's automatic bypass, without systemd: the milter stops, mail
    flows once auto_bypass_after has passed, the admin is told; the milter
    comes back, and auto_bypass_off_after later sendwatch checks mail again."""

    def test_bypass_on_and_off(self):
        stack = swtest.Stack(
            "autobypass", holdd=True, web=True, rules={"10-ops.rules": RULES},
            config_extra={"auto_bypass": "yes", "auto_bypass_after": "10",
                          "auto_bypass_off_after": "10", "bypass_command": BYPASS,
                          "admin_address": "postmaster@corp.sendwatch.test"})
        with stack.start():
            pf = stack.postfix
            metrics = "http://127.0.0.1:%d/metrics" % stack.metrics_port
            self.assertEqual(stack.milter.stop(), 0)
            stopped = time.time()
            msg = swtest.make_message("during bypass", b"topsecret\r\n")

            def accepted():
                try:
                    return pf.submit(ALICE, ["bob@partner.example"], msg)
                except swtest.smtplib.SMTPResponseException as e:
                    self.assertEqual(e.smtp_code // 100, 4)
                    return None
            qid = swtest.poll(accepted, 90, "mail accepted with the milter down", 0.5)
            on_after = time.time() - stopped
            # Not before auto_bypass_after (holdd counts whole seconds, from
            # its first failed probe): until then Postfix deferred it.
            self.assertGreaterEqual(on_after, 9)
            got = swtest.poll(lambda: next(
                (m for m in stack.delivered() if m.header("Subject") == "during bypass"),
                None), 60, "the unchecked message at the sink")
            self.assertIsNotNone(got)
            alert = swtest.poll(lambda: next(
                (m for m in stack.delivered()
                 if "automatic bypass ON" in (m.header("Subject") or "")), None), 60,
                "the bypass alert")
            self.assertEqual(alert.rcpts, ["postmaster@corp.sendwatch.test"])
            self.assertIn("UNCHECKED", alert.body_bytes().decode())
            text = get(metrics)[1]
            self.assertEqual(metric(text, "sendwatch_bypass_active"), 1)
            self.assertEqual(metric(text, "sendwatch_bypass_automatic"), 1)
            # The milter is back: after auto_bypass_off_after, checked again.
            stack.milter.start(stack.socket_path)
            back = time.time()
            swtest.poll(lambda: "automatic bypass OFF" in " ".join(
                m.header("Subject") or "" for m in stack.delivered()), 90,
                "the bypass-off alert")
            off_after = time.time() - back
            self.assertGreaterEqual(off_after, 9)
            with self.assertRaises(swtest.smtplib.SMTPDataError) as e:
                pf.submit(ALICE, ["bob@partner.example"],
                          swtest.make_message("after bypass", b"topsecret\r\n"))
            self.assertEqual(e.exception.smtp_code, 550)
            text = get(metrics)[1]
            self.assertEqual(metric(text, "sendwatch_bypass_active"), 0)
            self.assertEqual(metric(text, "sendwatch_bypass_automatic"), 0)
            self.assertEqual(metric(text, 'sendwatch_bypass_switches_total{direction="on"}'), 1)
            self.assertEqual(metric(text, 'sendwatch_bypass_switches_total{direction="off"}'),
                             1)
            audit = stack.sendwatch("audit", "--json")
            self.assertEqual(audit.returncode, 0, audit.stderr)
            lines = [e for e in json.loads(audit.stdout) if e["who"] == "sendwatch-holdd"]
            self.assertEqual([e["action"] for e in lines],
                             ["bypass off (automatic)", "bypass on (automatic)"])
            self.assertIn("the milter did not answer for", lines[1]["result"])
            log = stack.holdd.log_text()
            self.assertRegex(log, r"bypass: ON - the milter has not answered for \d+ s")
            self.assertRegex(log, r"bypass: OFF - the milter has answered for \d+ s")
            print("\nbypass timeline: milter stopped at 0 s; bypass on, mail accepted at "
                  "%.1f s (auto_bypass_after = 10); milter back, bypass off after "
                  "%.1f s (auto_bypass_off_after = 10); queue ID during bypass %s"
                  % (on_after, off_after, qid))


if __name__ == "__main__":
    swtest.main()
