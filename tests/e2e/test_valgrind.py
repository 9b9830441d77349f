#!/usr/bin/python3
"""sendwatch-milter, holdd and web under valgrind: no memory errors, no leaks, after real use."""

import http.cookiejar
import os
import re
import signal
import smtplib
import urllib.error
import urllib.parse
import urllib.request
import unittest

import swtest

SUPPRESSIONS = os.path.join(os.path.dirname(__file__), "..", "valgrind.supp")
SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "lib", "message", "testdata", "view")
VALGRIND = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
            "--track-fds=no", "--suppressions=" + SUPPRESSIONS]

# Every kind of matcher and action, so the whole inspection runs under valgrind.
RULES = """\
rule secret
    match any keywords "社外秘" "CONFIDENTIAL" "内部顧客"
    action store secret
    action deliver
rule cards
    match body,attachment-text regex /\\b(?:\\d[ -]?){15}\\d\\b/ validate luhn
    action forward audit@corp.sendwatch.test
    action deliver
rule never
    match subject keywords "REJECT-ME"
    action reject "no"
rule reload-me
    size > 1
    action deliver
"""


class ValgrindClean(unittest.TestCase):
    def test_milter_is_valgrind_clean(self):
        stack = swtest.Stack("valgrind", config_extra={"message_memory_limit": "64k"},
                             rules={"10-vg.rules": RULES},
                             milter_wrapper=VALGRIND)
        # As under systemd: the health thread probes the socket and pings.
        notify = swtest.NotifySocket(stack.workdir, "milter", watchdog_seconds=2)
        stack.milter.env = notify.env()
        # Leaving the block stops the stack, which fails unless the milter
        # exited 0: valgrind makes it 99 on any error or leak, and the
        # failure shows the end of the milter's log (valgrind's report).
        with stack.start():
            swtest.poll(lambda: len(notify.times("WATCHDOG=1")) >= 2, 120, "milter pings")
            # In memory, spilled, a multi-message session and an abandoned one.
            stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                 swtest.make_message("vg small", b"small\r\n"))
            stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                 swtest.make_message("vg large", b"z" * 78 + b"\r\n" * 5000
                                                     + b"y" * 200000 + b"\r\n"))
            with smtplib.SMTP("127.0.0.1", stack.postfix.port, timeout=120,
                            local_hostname=swtest.CLIENT_NAME) as smtp:
                smtp.sendmail("alice@corp.sendwatch.test", ["carol@partner.example"],
                              swtest.make_message("vg multi 1", b"one\r\n"))
                smtp.mail("alice@corp.sendwatch.test")
                smtp.rcpt("bob@partner.example")
                smtp.rset()
                smtp.sendmail("alice@corp.sendwatch.test", ["carol@partner.example"],
                              swtest.make_message("vg multi 2", b"two\r\n"))
            # Real samples: Japanese encodings, names, archives, office documents.
            for name in ("iso2022jp.eml", "names.eml", "arch_archives.eml", "arch_office.eml",
                         "arch_encrypted.eml", "malformed.eml", "forwarded.eml"):
                with open(os.path.join(SAMPLES, name), "rb") as f:
                    stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                         f.read())
            with self.assertRaises(smtplib.SMTPDataError):
                stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                     swtest.make_message("REJECT-ME", b"x\r\n"))
            # A reload while running (signalled directly: under valgrind the
            # process is not named sendwatch-milter, so "sendwatch reload" refuses).
            os.kill(stack.milter.proc.pid, signal.SIGUSR1)
            swtest.poll(lambda: "reloaded:" in stack.milter.log_text(), 60, "a reload")
            stack.wait_delivered(11, timeout=180)
            self.assertIn("audit: rules=secret", stack.milter.log_text())

    def test_holdd_is_valgrind_clean(self):
        """holdd (and its root helper) through hold, notice, release and delete,
        signing what it sends, pinging a watchdog and probing the milter."""
        bypass = os.path.join(swtest.SOURCE_DIR, "contrib", "bypass", "sendwatch-bypass")
        stack = swtest.Stack("valgrind-holdd", holdd=True, config_extra={
            "hold_enable": "yes", "hold_scope": "all", "auto_bypass": "yes",
            "auto_bypass_after": "3600", "bypass_command": bypass,
            "admin_address": "postmaster@corp.sendwatch.test"})
        notify = swtest.NotifySocket(stack.workdir, "holdd", watchdog_seconds=2)
        stack.holdd.env = notify.env()
        # The exec'd root helper too (Postfix's own programs it runs are skipped),
        # with one log per process.
        logs = os.path.join(stack.workdir, "log", "valgrind")
        os.makedirs(logs)
        stack.holdd.wrapper = [a for a in VALGRIND if a != "--quiet"] + [
            "--trace-children=yes", "--trace-children-skip=/usr/sbin/*,/usr/bin/*,/bin/*",
            "--log-file=%s/%%p.log" % logs]
        with stack.start():  # stopping fails unless holdd (and the milter) exited 0
            ids = [stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                        swtest.make_message("vg hold %d" % i, b"x\r\n"))
                   for i in range(3)]
            swtest.poll(lambda: "hold notice sent" in stack.holdd.log_text(), 180, "a notice")
            swtest.poll(lambda: len(notify.times("WATCHDOG=1")) >= 2, 120, "holdd pings")
            self.assertEqual(stack.sendwatch("held", "release", ids[0]).returncode, 0)
            self.assertEqual(stack.sendwatch("held", "delete", ids[1]).returncode, 0)
            self.assertEqual(stack.sendwatch("held", "reschedule", ids[2], "now").returncode, 0)
            swtest.poll(lambda: len([m for m in stack.delivered()
                                     if (m.header("Subject") or "").startswith("vg hold")]) == 2,
                        180, "two released messages")
        texts = [swtest.read_text(os.path.join(logs, n)) for n in sorted(os.listdir(logs))]
        # The helper's own children log until they exec a (skipped) Postfix
        # program; the processes that ran to their end have a summary.
        texts = [t for t in texts if "ERROR SUMMARY" in t]
        commands = [re.search(r"Command: (\S+)", t).group(1) for t in texts]
        self.assertEqual(sorted(os.path.basename(c) for c in commands),
                         ["sendwatch-helper", "sendwatch-holdd"], texts)
        for command, text in zip(commands, texts):
            self.assertIn("ERROR SUMMARY: 0 errors", text, "%s:\n%s" % (command, text))

    def test_web_is_valgrind_clean(self):
        """sendwatch-web through every page, its forms and refusals, and a reload."""
        stack = swtest.Stack("valgrind-web", holdd=True, web=True,
                             rules={"10-vg.rules": RULES},
                             config_extra={"hold_enable": "yes", "hold_scope": "all",
                                           "user_settings_allowed": "yes",
                                           "user_password_allowed": "yes"})
        r = stack.sendwatch("admin", "add", "vg", "--role", "admin", stdin="vg-password-1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        stack.web.wrapper = VALGRIND
        notify = swtest.NotifySocket(stack.workdir, "web", watchdog_seconds=2)
        stack.web.env = notify.env()
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def get(path_or_url, data=None, use=opener):
            url = path_or_url if path_or_url.startswith("http") else stack.web_url(path_or_url)
            req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode()
                                         if data is not None else None)
            try:
                with use.open(req, timeout=120) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()

        def csrf(page):
            return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

        with stack.start():  # stopping fails unless the web exited 0 (valgrind: 99)
            with open("/proc/%d/exe" % stack.web.proc.pid, "rb"):
                self.assertIn("memcheck", os.readlink("/proc/%d/exe" % stack.web.proc.pid))
            stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                       swtest.make_message("vg web CONFIDENTIAL", b"x\r\n"))
            # Sent by holdd is not yet delivered by Postfix: wait for the sink.
            notice = swtest.poll(lambda: next((m for m in stack.delivered()
                                               if b"X-Sendwatch-Notice: hold" in m.raw), None),
                                 120, "the hold notice at the sink")
            links = re.findall(r"http://\S+", notice.message.get_body().get_content())
            status, page = get(links[0])
            self.assertEqual(status, 200)
            self.assertEqual(get(links[0], {"csrf": csrf(page), "action": "release"})[0], 200)
            self.assertEqual(get(links[0], {"csrf": csrf(page), "action": "release"})[0], 409)
            self.assertEqual(get(links[0][:-3] + "AAA")[0], 403)
            self.assertEqual(get("/n/mx1/hold/garbage")[0], 400)
            self.assertEqual(get("/nowhere")[0], 404)
            self.assertEqual(get("/admin/held", {"x": "y" * 300000})[0], 413)
            user = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            status, page = get(links[2], use=user)  # the filter center
            # Its form is bound to this browser's cookie: another one's is refused.
            self.assertEqual(get(links[2], {"csrf": csrf(page)})[0], 403)
            status, page = get(links[2], {"csrf": csrf(page)}, use=user)
            self.assertEqual(status, 200)
            status, page = get("/me/settings", use=user)
            self.assertEqual(get("/me/settings", {"csrf": csrf(page), "hold_minutes": "9",
                                                  "zip_password": "Secret-123",
                                                  "zip_password_hint": "the usual",
                                                  "language": "ja"}, use=user)[0], 200)
            status, page = get("/signin")
            self.assertEqual(get("/signin", {"csrf": csrf(page),
                                             "address": "carol@corp.sendwatch.test"})[0], 200)
            status, page = get("/admin/login")
            status, page = get("/admin/login", {"csrf": csrf(page), "name": "vg",
                                                "password": "vg-password-1"})
            self.assertEqual(status, 200, page)
            swtest.poll(lambda: "secret" in stack.sendwatch("quarantine", "list").stdout, 60,
                        "the stored copy")
            status, page = get("/admin/quarantine")
            key = re.search(r'quarantine/view\?key=([^"]+)"', page).group(1)
            for path in ("/admin/held?state=all&q=vg", "/admin/quarantine/view?key=" + key,
                         "/admin/audit", "/admin/rules", "/admin/settings", "/?lang=ja"):
                self.assertEqual(get(path)[0], 200, path)
            metrics = "http://127.0.0.1:%d" % stack.metrics_port
            self.assertEqual(get(metrics + "/metrics")[0], 200)
            self.assertEqual(get(metrics + "/healthz")[0], 200)
            self.assertEqual(get(metrics + "/nowhere")[0], 404)
            self.assertEqual(get("/healthz")[0], 200)
            swtest.poll(lambda: len(notify.times("WATCHDOG=1")) >= 2, 60, "the web pinging")
            status, page = get("/admin/held")
            os.kill(stack.web.proc.pid, signal.SIGHUP)
            swtest.poll(lambda: "admins_file reloaded" in stack.web.log_text(), 120, "a reload")
            self.assertEqual(get("/admin/logout", {"csrf": csrf(page)})[0], 200)


if __name__ == "__main__":
    swtest.main()
