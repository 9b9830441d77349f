#!/usr/bin/python3
"""The README's demo: it starts, the printed swaks line delivers, stop stops."""

import http.cookiejar
import os
import re
import subprocess
import unittest
import urllib.parse
import urllib.request

import swtest

DEMO = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "demo.py")
TEXT = {"text": True, "encoding": "utf-8", "errors": "replace"}  # whatever the locale


class Demo(unittest.TestCase):
    def test_start_send_stop(self):
        d = os.path.join(swtest.make_workdir("demo"), "demo")
        r = subprocess.run(["/usr/bin/python3", DEMO, "start", "--dir", d, "--build",
                            swtest.BUILD_DIR], capture_output=True, **TEXT, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        try:
            port = int(re.search(r"smtp://127\.0\.0\.1:(\d+)", r.stdout).group(1))
            swaks = re.search(r"(swaks --server .*)\\\n\s+(--header \"Subject: hello.*\")",
                              r.stdout)
            self.assertIsNotNone(swaks, r.stdout)
            # The very line the demo prints.
            line = swaks.group(1) + swaks.group(2)
            s = subprocess.run(line, shell=True, capture_output=True, **TEXT, timeout=60)
            self.assertEqual(s.returncode, 0, s.stdout + s.stderr)
            self.assertIn("250 2.0.0 Ok: queued as", s.stdout)
            sink = os.path.join(d, "sink")
            swtest.poll(lambda: any("hello from the sendwatch demo" in swtest.read_text(
                os.path.join(sink, f)) for f in os.listdir(sink)), 30, "the demo mail at the sink")
            # The demo rules are live: a card number is refused.
            s = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % port, "--from",
                                "alice@corp.example", "--to", "bob@partner.example", "--body",
                                "card 4111 1111 1111 1111"], capture_output=True, **TEXT,
                               timeout=60)
            self.assertIn("550 5.7.1 Card numbers may not leave the company", s.stdout)
            # Held, listed, and its notice reaches the sender (at the sink).
            s = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % port, "--from",
                                "alice@corp.example", "--to", "bob@partner.example",
                                "--header", "Subject: hold me"], capture_output=True,
                               **TEXT, timeout=60)
            qid = re.search(r"queued as (\w+)", s.stdout).group(1)
            sw = [swtest.binary("sendwatch"), "-c", os.path.join(d, "etc", "sendwatch.conf")]
            listed = subprocess.run(sw + ["held", "list"], capture_output=True, **TEXT)
            self.assertIn("%s held" % qid, listed.stdout)
            swtest.poll(lambda: any("[Held] hold me" in swtest.read_text(os.path.join(sink, f))
                                    for f in os.listdir(sink)), 60, "the hold notice")
            # The encrypt rule: the attachment arrives sealed, the password separately.
            s = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % port, "--from",
                                "alice@corp.example", "--to", "bob@partner.example",
                                "--header", "Subject: secure quote", "--attach",
                                "/etc/os-release"], capture_output=True, **TEXT, timeout=60)
            self.assertIn("250 2.0.0 Ok: queued as", s.stdout)

            def sealed_and_told():
                texts = [swtest.read_text(os.path.join(sink, f)) for f in os.listdir(sink)]
                return (any("Subject: secure quote" in t and "application/zip" in t and
                            "filename=os-release.zip" in t.replace('"', '') for t in texts) and
                        any("X-Sendwatch-Notice: password" in t for t in texts))
            swtest.poll(sealed_and_told, 60, "the sealed mail and its password notice")
            # The web: the printed console URL and password sign in, and the
            # held mail is there.
            web = re.search(r"admin console: (http://127\.0\.0\.1:\d+)/admin", r.stdout).group(1)
            password = re.search(r'sign in as "admin" with the password (\S+)', r.stdout).group(1)
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            page = opener.open(web + "/admin/login", timeout=30).read().decode()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            form = urllib.parse.urlencode({"csrf": csrf, "name": "admin",
                                           "password": password}).encode()
            page = opener.open(urllib.request.Request(web + "/admin/login", data=form),
                               timeout=30).read().decode()
            self.assertIn(qid, page)
        finally:
            r = subprocess.run(["/usr/bin/python3", DEMO, "stop", "--dir", d],
                               capture_output=True, **TEXT, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("demo stopped", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(d, "demo.json")))


if __name__ == "__main__":
    swtest.main()
