#!/usr/bin/python3
"""sendwatch-web in a real headless Chromium, through a real Postfix.

One stack (milter, holdd, web, hold on for mail leaving the company) and one
browser for the module.  The buttons are clicked as people click them; what
a link scanner does (a plain GET) is done with urllib; what only a forger
does (a token signed by hand) is done here with the key file, as a forger
who stole it would.  Screenshots of the main pages are saved as artifacts
in BUILD_DIR/artifacts/web.
"""

import base64
import email
import email.policy
import hashlib
import hmac
import http.cookiejar
import json
import os
import re
import ssl
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

import swtest

RULES = """\
rule keep-copy
    match body keywords "confidential"
    action store conf
    action deliver
rule withhold
    match body keywords "withheld"
    action store held-back
"""

ALICE = "alice@corp.sendwatch.test"
CAROL = "carol@corp.sendwatch.test"
OUTSIDE = "bob@partner.example"
PASSWORDS = {"boss": "boss-password-1", "ops": "ops-password-22", "audit": "audit-password-3"}
ARTIFACTS = os.path.join(os.environ.get("SENDWATCH_BUILD_DIR", "."), "artifacts", "web")


def present(driver, element_id):
    """The elements with ELEMENT_ID, or None while the page is being reloaded
    (a page that says "being carried out" reloads itself)."""
    try:
        return driver.find_elements(By.ID, element_id)
    except WebDriverException:
        return None


def browser(lang):
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--disable-gpu", "--window-size=1200,1000", "--lang=" + lang):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Web(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTIFACTS, exist_ok=True)
        cls.stack = swtest.Stack("web", holdd=True, web=True, rules={"10-web.rules": RULES},
                                 config_extra={"hold_enable": "yes", "hold_minutes": "30",
                                               "user_settings_allowed": "yes",
                                               "user_password_allowed": "yes",
                                               "time_zone": "Asia/Tokyo",
                                               "language": "en"})
        for name, role in (("boss", "admin"), ("ops", "operator"), ("audit", "auditor")):
            r = cls.stack.sendwatch("admin", "add", name, "--role", role,
                                    stdin=PASSWORDS[name] + "\n")
            assert r.returncode == 0, r.stderr
        cls.stack.start()
        cls.driver = browser("en")
        cls.counter = 0

    @classmethod
    def tearDownClass(cls):
        try:
            cls.driver.quit()
        finally:
            cls.stack.stop()

    # ---- helpers ----

    def shot(self, name, driver=None):
        (driver or self.driver).save_screenshot(os.path.join(ARTIFACTS, name + ".png"))

    def send(self, subject, sender=ALICE, to=OUTSIDE, body=b"hello\r\n"):
        Web.counter += 1
        subject = "%s %d" % (subject, Web.counter)
        msg = swtest.make_message(subject, body, sender=sender, to=to)
        qid = self.stack.postfix.submit(sender, [to], msg)
        return qid, subject

    def notice_links(self, qid):
        """The links of QID's hold notice, as it arrived at the sink."""
        def found():
            for m in self.stack.delivered():
                raw = m.raw
                if b"X-Sendwatch-Notice: hold" not in raw:
                    continue
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                text = msg.get_body().get_content()
                if qid in text:
                    return re.findall(r"https?://\S+", text)
            return None
        links = swtest.poll(found, 60, "the hold notice of %s" % qid)
        self.assertEqual(len(links), 3, links)
        return links  # send now, delete, filter center

    def arrived(self, subject):
        return [m for m in self.stack.delivered()
                if m.header("Subject") == subject]

    def held(self, qid):
        r = self.stack.sendwatch("held", "list", "--json")
        return next(h for h in json.loads(r.stdout) if h["queue_id"] == qid)

    def fetch(self, url, data=None, opener=None):
        """(status, body) of a GET, or a POST of DATA (a dict)."""
        req = urllib.request.Request(
            url, data=urllib.parse.urlencode(data).encode() if data is not None else None)
        try:
            with (opener or urllib.request.build_opener()).open(req, timeout=30) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def csrf(self, page):
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def sign_token(self, payload):
        with open(self.stack.key_path) as f:
            key = bytes.fromhex(f.read().strip())
        mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
        return payload + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def admin_opener(self, name):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, page = self.fetch(self.stack.web_url("/admin/login"), opener=opener)
        self.assertEqual(status, 200)
        status, page = self.fetch(self.stack.web_url("/admin/login"), opener=opener,
                                  data={"csrf": self.csrf(page), "name": name,
                                        "password": PASSWORDS[name]})
        self.assertEqual(status, 200, page)
        return opener

    def wait_state(self, want, timeout=60):
        """Waits for the page to show WANT.  The page reloads itself (its
        Refresh header) while holdd works: reloading it here as well would
        race that navigation, so this only looks, and a look that meets a
        reload in progress is simply a miss."""
        def shown():
            try:
                return self.driver.find_elements(
                    By.CSS_SELECTOR, "#outcome[data-state='%s']" % want)
            except WebDriverException:
                return None
        swtest.poll(shown, timeout, "the page to say %s (%s)" % (want, self.stack.where()),
                    interval=0.5)

    # ---- the notice links ----

    def test_send_now_link(self):
        qid, subject = self.send("send now")
        send_now, delete, _ = self.notice_links(qid)
        # A link scanner fetches both links: nothing changes.
        for url in (send_now, delete):
            status, page = self.fetch(url)
            self.assertEqual(status, 200)
            self.assertIn('id="release"', page)
        self.assertEqual(self.held(qid)["state"], "held")
        self.assertEqual(self.arrived(subject), [])
        self.driver.get(send_now)
        self.assertIn(subject, self.driver.find_element(By.ID, "subject").text)
        self.assertIn("(external)", self.driver.find_element(By.ID, "recipients").text)
        self.assertIn("JST", self.driver.find_element(By.TAG_NAME, "time").text)
        self.shot("confirm-en")
        self.driver.find_element(By.ID, "release").click()
        self.wait_state("released")
        self.shot("released-en")
        swtest.poll(lambda: self.arrived(subject), 60, "the released mail at the sink")
        self.assertEqual(self.held(qid)["state"], "released")

    def test_delete_link(self):
        qid, subject = self.send("delete me")
        _, delete, _ = self.notice_links(qid)
        self.driver.get(delete)
        # The delete link's own action comes first.
        buttons = self.driver.find_elements(By.CSS_SELECTOR, "#act button")
        self.assertEqual(buttons[0].get_attribute("id"), "delete")
        self.driver.find_element(By.ID, "delete").click()
        self.wait_state("deleted")
        self.assertEqual(self.held(qid)["state"], "deleted")
        self.assertNotIn(qid, [e["queue_id"] for e in self.stack.postfix.queue()])
        self.assertEqual(self.arrived(subject), [])

    def test_replayed_forged_expired_foreign_links(self):
        qid, _ = self.send("replay")
        send_now, delete, _ = self.notice_links(qid)
        status, page = self.fetch(delete)
        delete_form = {"csrf": self.csrf(page), "action": "delete"}
        status, page = self.fetch(send_now)
        form = {"csrf": self.csrf(page), "action": "release"}
        status, _ = self.fetch(send_now, data=form)
        self.assertEqual(status, 200)  # followed the redirect to the page
        status, page = self.fetch(send_now, data=form)
        self.assertEqual(status, 409)
        self.assertIn('id="replayed"', page)
        # The other link afterwards does nothing either, and shows no button.
        status, page = self.fetch(delete)
        self.assertNotIn('id="delete"', page)
        status, page = self.fetch(delete, data=delete_form)
        self.assertEqual(status, 409)
        swtest.poll(lambda: self.held(qid)["state"] == "released", 60, "released once")

        base, token = send_now.rsplit("/", 1)
        forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        status, page = self.fetch(base + "/" + forged)
        self.assertEqual(status, 403)
        self.assertIn("changed or was not made by this server", page)
        expired = self.sign_token("v1.mx1.%s.release.%d" % (qid, int(time.time()) - 60))
        status, page = self.fetch(base + "/" + expired)
        self.assertEqual(status, 410)
        self.assertIn("expired", page)
        foreign = self.sign_token("v1.mx2.%s.release.%d" % (qid, int(time.time()) + 600))
        status, page = self.fetch(base.replace("/n/mx1/", "/n/mx2/") + "/" + foreign)
        self.assertEqual(status, 404)
        self.assertIn("mx2", page)
        status, page = self.fetch(base + "/not-a-token")
        self.assertEqual(status, 400)
        # The language switch stays on the page: no path makes it lead off-site.
        status, page = self.fetch(self.stack.web_url("//evil.example/x"))
        self.assertEqual(status, 404)
        self.assertIn('href="?lang=ja"', page)
        self.assertNotIn("evil.example", page.split("<main>")[0])
        # A POST with no CSRF token is refused and does nothing.
        qid2, _ = self.send("no csrf")
        send_now2, _, _ = self.notice_links(qid2)
        status, page = self.fetch(send_now2, data={"action": "release"})
        self.assertEqual(status, 403)
        self.assertEqual(self.held(qid2)["state"], "held")
        self.assertIsNone(self.held(qid2).get("requested"))

    def test_script_subject_is_inert(self):
        qid, subject = self.send("<script>alert(1)</script><img src=x onerror=alert(2)>")
        send_now, _, _ = self.notice_links(qid)
        self.driver.get(send_now)
        with self.assertRaises(NoAlertPresentException):
            self.driver.switch_to.alert.text
        self.assertEqual(self.driver.find_element(By.ID, "subject").text, subject)
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "main script, main img"),
                         [])
        status, page = self.fetch(send_now)
        self.assertIn("&lt;script&gt;", page)

    # ---- the filter center ----

    def test_filter_center_is_each_users_own(self):
        qid_a, subj_a = self.send("alice's own")
        qid_c, subj_c = self.send("carol's own", sender=CAROL)
        _, _, center_a = self.notice_links(qid_a)
        self.notice_links(qid_c)
        user = browser("en")
        try:
            user.get(center_a)  # a GET signs nobody in
            self.assertEqual(user.get_cookie("sw_session"), None)
            user.find_element(By.ID, "open").click()
            swtest.poll(lambda: user.find_elements(By.ID, "mine"), 30, "the filter center")
            text = user.find_element(By.ID, "mine").text
            self.assertIn(subj_a, text)
            self.assertNotIn(subj_c, text)
            self.shot("filter-center", user)
            # Carol's queue ID through Alice's session: no such mail.
            cookie = user.get_cookie("sw_session")["value"]
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            opener.addheaders = [("Cookie", "sw_session=" + cookie)]
            status, page = self.fetch(self.stack.web_url("/me"), opener=opener)
            status, page = self.fetch(self.stack.web_url("/me/act"), opener=opener,
                                      data={"csrf": self.csrf(page), "id": qid_c,
                                            "action": "delete"})
            self.assertEqual(status, 404)
            self.assertEqual(self.held(qid_c)["state"], "held")
            # Her own: delete it from the filter center.
            row = user.find_element(By.CSS_SELECTOR, "tr[data-queue-id='%s']" % qid_a)
            row.find_element(By.CSS_SELECTOR, "button.delete").click()
            swtest.poll(lambda: self.held(qid_a)["state"] == "deleted", 60, "deleted")
            qid_b, subj_b = self.send("alice sends now")
            self.notice_links(qid_b)
            user.get(self.stack.web_url("/me"))
            row = user.find_element(By.CSS_SELECTOR, "tr[data-queue-id='%s']" % qid_b)
            row.find_element(By.CSS_SELECTOR, "button.release").click()
            swtest.poll(lambda: self.arrived(subj_b), 60, "sent from the filter center")
            # Settings: 7 minutes from the next message on.
            user.get(self.stack.web_url("/me/settings"))
            user.find_element(By.ID, "hold_minutes").send_keys("7")
            user.find_element(By.ID, "save").click()
            swtest.poll(lambda: user.find_elements(By.ID, "saved"), 30, "saved")
            r = self.stack.sendwatch("user", "show", ALICE)
            self.assertIn("hold_minutes  7", r.stdout)
            qid, _ = self.send("seven minutes")
            h = self.held(qid)
            self.assertEqual(int(h["deadline"]) - int(h["created"]), 7 * 60)
        finally:
            user.quit()
            self.stack.sendwatch("user", "set", ALICE, "hold_minutes=default")

    def test_sign_in_by_mail(self):
        # The same answer for an internal address, an external one and garbage.
        pages = []
        for address in (CAROL, "someone@elsewhere.example", "nobody-here"):
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            status, page = self.fetch(self.stack.web_url("/signin"), opener=opener)
            status, page = self.fetch(self.stack.web_url("/signin"), opener=opener,
                                      data={"csrf": self.csrf(page), "address": address})
            self.assertEqual(status, 200)
            pages.append(re.sub(r'value="[^"]+"', "", page))
        self.assertEqual(len(set(pages)), 1)
        # As a person asks: the form in the browser.
        asker = browser("en")
        try:
            asker.get(self.stack.web_url("/signin"))
            asker.find_element(By.ID, "address").send_keys("dave@corp.sendwatch.test")
            asker.find_element(By.ID, "send").click()
            swtest.poll(lambda: asker.find_elements(By.ID, "sent"), 30, "the answer")
            self.shot("signin-sent", asker)
        finally:
            asker.quit()

        def signin_mail(to):
            for m in self.stack.delivered():
                if b"X-Sendwatch-Notice: signin" in m.raw and m.rcpts == [to]:
                    return re.findall(r"https?://\S+", m.message.get_body().get_content())
            return None
        links = swtest.poll(lambda: signin_mail(CAROL), 60, "carol's sign-in mail")
        swtest.poll(lambda: signin_mail("dave@corp.sendwatch.test"), 60, "dave's")
        # Nothing went to the outside address, nor to the garbage.
        self.assertEqual(len([m for m in self.stack.delivered()
                              if b"X-Sendwatch-Notice: signin" in m.raw]), 2)
        user = browser("en")
        try:
            user.get(links[0])
            self.assertEqual(user.find_element(By.ID, "address").text, CAROL)
            user.find_element(By.ID, "open").click()
            swtest.poll(lambda: user.find_elements(By.ID, "mine"), 30, "carol's page")
            user.find_element(By.CSS_SELECTOR, "nav form button").click()  # sign out
            swtest.poll(lambda: user.find_elements(By.ID, "send"), 30, "the sign-in form")
            user.get(self.stack.web_url("/me"))
            self.assertTrue(user.find_elements(By.ID, "send"))  # signed out: /signin
        finally:
            user.quit()
        status, page = self.fetch(links[0])  # used once: now it says so
        self.assertEqual(status, 410)

    # ---- the admin console ----

    def test_roles_see_their_pages(self):
        pages = {"/admin/held": {"boss", "ops"}, "/admin/quarantine": {"boss", "audit"},
                 "/admin/audit": {"boss"}, "/admin/rules": {"boss"},
                 "/admin/settings": {"boss"}}
        for name in PASSWORDS:
            opener = self.admin_opener(name)
            for path, allowed in pages.items():
                status, _ = self.fetch(self.stack.web_url(path), opener=opener)
                self.assertEqual(status, 200 if name in allowed else 403, (name, path))
        # Not signed in: the sign-in page, never a page's content.
        status, page = self.fetch(self.stack.web_url("/admin/audit"))
        self.assertIn('id="login"', page)
        # A wrong password: 401, and the audit log says so.
        status, page = self.fetch(self.stack.web_url("/admin/login"))
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, page = self.fetch(self.stack.web_url("/admin/login"), opener=opener)
        status, _ = self.fetch(self.stack.web_url("/admin/login"), opener=opener,
                               data={"csrf": self.csrf(page), "name": "boss",
                                     "password": "wrong"})
        self.assertEqual(status, 401)
        status, page = self.fetch(self.stack.web_url("/admin/audit"),
                                  opener=self.admin_opener("boss"))
        self.assertIn("wrong name or password", page)
        # A new password ends the account's sessions at once (SIGHUP from the CLI).
        ops = self.admin_opener("ops")
        self.assertEqual(self.fetch(self.stack.web_url("/admin/held"), opener=ops)[0], 200)
        PASSWORDS["ops"] = "ops-password-new"
        r = self.stack.sendwatch("admin", "passwd", "ops", stdin=PASSWORDS["ops"] + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("told to read", r.stdout)
        swtest.poll(lambda: 'id="login"' in self.fetch(self.stack.web_url("/admin/held"),
                                                       opener=ops)[1], 30,
                    "the old session to end")
        self.admin_opener("ops")  # the new password works
        # A form without its CSRF token, with a valid session: refused.
        status, page = self.fetch(self.stack.web_url("/admin/held"),
                                  opener=self.admin_opener("ops"), data={"action": "release",
                                                                         "id": "x"})
        self.assertEqual(status, 403)

    def test_console_held_queue_and_quarantine(self):
        qid, subject = self.send("console release")
        self.stack.postfix.submit(ALICE, [OUTSIDE], swtest.make_message(
            "quarantined", b"this is <b>confidential</b> stuff\r\n", sender=ALICE,
            to=OUTSIDE, extra_headers=()))
        d = self.driver
        d.get(self.stack.web_url("/admin/login"))
        d.find_element(By.ID, "name").send_keys("boss")
        d.find_element(By.ID, "password").send_keys(PASSWORDS["boss"])
        d.find_element(By.ID, "login").click()
        swtest.poll(lambda: d.find_elements(By.ID, "held"), 30, "the held queue")
        # The filter form, as a person uses it.
        d.find_element(By.CSS_SELECTOR, "form.filters input[name=q]").send_keys(subject)
        d.find_element(By.CSS_SELECTOR, "form.filters button").click()
        swtest.poll(lambda: "q=" in d.current_url, 30, "the filtered list")
        self.shot("admin-held")
        rows = d.find_elements(By.CSS_SELECTOR, "#held tbody tr")
        self.assertEqual(len(rows), 1)
        rows[0].find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
        d.find_element(By.ID, "release").click()
        swtest.poll(lambda: d.find_elements(By.ID, "done"), 30, "the requests queued")
        swtest.poll(lambda: self.arrived(subject), 60, "released by the console")
        # Delete one and reschedule another, by their checkboxes.
        qid_d, subj_d = self.send("console delete")
        qid_r, subj_r = self.send("console reschedule")
        for qid, button in ((qid_d, "delete"), (qid_r, "reschedule")):
            d.get(self.stack.web_url("/admin/held?q=" + qid))
            d.find_element(By.CSS_SELECTOR, "#held input[type=checkbox]").click()
            if button == "reschedule":
                minutes = d.find_element(By.CSS_SELECTOR, "input[name=minutes]")
                minutes.clear()
                minutes.send_keys("45")
            d.find_element(By.ID, button).click()
            swtest.poll(lambda: d.find_elements(By.ID, "done"), 30, "queued")
        swtest.poll(lambda: self.held(qid_d)["state"] == "deleted", 60, "deleted")
        swtest.poll(lambda: int(self.held(qid_r)["deadline"]) - time.time() > 40 * 60, 60,
                    "rescheduled to 45 minutes from now")
        self.assertEqual(self.arrived(subj_d), [])
        # The quarantine: the match is marked, the HTML is text.
        swtest.poll(lambda: "quarantined" in self.stack.sendwatch("quarantine", "list").stdout,
                    60, "the stored copy")
        d.get(self.stack.web_url("/admin/quarantine"))
        d.find_element(By.CSS_SELECTOR, "form.filters input[name=rule]").send_keys("keep-copy")
        d.find_element(By.CSS_SELECTOR, "form.filters button").click()
        swtest.poll(lambda: "rule=keep-copy" in d.current_url, 30, "the filtered quarantine")
        self.shot("admin-quarantine")
        d.find_element(By.CSS_SELECTOR, "#quarantine a.open").click()
        swtest.poll(lambda: d.find_elements(By.ID, "matches"), 30, "the message")
        marks = [m.text for m in d.find_elements(By.CSS_SELECTOR, "pre.text mark")]
        self.assertIn("confidential", marks)
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "pre.text b"), [])
        # Its original went (store and deliver): no copy is offered again.
        self.assertEqual(d.find_elements(By.ID, "deliver"), [])
        self.assertIn("went to its recipients", d.find_element(By.ID, "original").text)
        self.shot("admin-message")
        d.get(self.stack.web_url("/admin/audit"))
        self.assertIn("release", d.find_element(By.ID, "audit").text)
        self.shot("admin-audit")
        d.get(self.stack.web_url("/admin/rules"))
        self.assertEqual(d.find_element(By.ID, "count").text, "2")
        self.assertEqual(d.find_element(By.ID, "result").text, "ok")
        self.assertEqual(d.find_element(By.ID, "rule-names").text.split("\n"),
                         ["keep-copy", "withhold"])
        d.get(self.stack.web_url("/admin/held"))
        d.find_element(By.CSS_SELECTOR, "nav form button").click()  # log out
        swtest.poll(lambda: d.find_elements(By.ID, "login"), 30, "signed out")

    def test_quarantine_deliver(self):
        """A withheld copy, sent on by an admin: once, as it came, to its recipients."""
        Web.counter += 1
        subject = "withheld %d" % Web.counter
        to = ["bob@partner.example", "dave@corp.sendwatch.test"]
        msg = swtest.make_message(subject, b"this was withheld\r\n", sender=CAROL,
                                  to=", ".join(to))
        self.stack.postfix.submit(CAROL, to, msg)
        swtest.poll(lambda: subject in self.stack.sendwatch("quarantine", "list").stdout, 60,
                    "the withheld copy")
        self.assertEqual(self.arrived(subject), [])
        opener = self.admin_opener("boss")
        status, page = self.fetch(self.stack.web_url("/admin/quarantine?rule=withhold"),
                                  opener=opener)
        key = urllib.parse.unquote(re.search(r'quarantine/view\?key=([^"]+)"', page).group(1))
        view = self.stack.web_url("/admin/quarantine/view?key=" + urllib.parse.quote(key))
        status, page = self.fetch(view, opener=opener)
        self.assertIn('id="deliver"', page)
        # Operators and auditors may not.
        status, _ = self.fetch(self.stack.web_url("/admin/quarantine/deliver"),
                               opener=self.admin_opener("audit"),
                               data={"csrf": "x", "key": key})
        self.assertEqual(status, 403)
        form = {"csrf": self.csrf(page), "key": key}
        # The deliver button, clicked by an admin in the browser.
        admin = browser("en")
        self.addCleanup(admin.quit)
        admin.get(self.stack.web_url("/admin/login"))
        admin.find_element(By.ID, "name").send_keys("boss")
        admin.find_element(By.ID, "password").send_keys(PASSWORDS["boss"])
        admin.find_element(By.ID, "login").click()
        swtest.poll(lambda: admin.find_elements(By.ID, "held"), 30, "signed in")
        admin.get(view)
        admin.find_element(By.ID, "deliver").click()
        swtest.poll(lambda: present(admin, "delivery-asked") or present(admin, "delivered"),
                    30, "the delivery asked")
        # The same form again, from another session: nothing more is delivered.
        status, page = self.fetch(self.stack.web_url("/admin/quarantine/deliver"),
                                  opener=opener, data=form)
        self.assertEqual(status, 409)
        got = swtest.poll(lambda: self.arrived(subject), 60, "the delivered copy")
        swtest.poll(lambda: 'id="delivered"' in self.fetch(view, opener=opener)[1], 30,
                    "the entry noting the delivery")
        self.assertEqual(len(got), 1)
        m = got[0]
        self.assertEqual(m.mail_from, CAROL)
        self.assertEqual(sorted(m.rcpts), sorted(to))
        self.assertNotIn(b"X-Sendwatch-Envelope", m.raw)
        self.assertNotIn(b"X-Sendwatch-Rules", m.raw)
        self.assertIn(b"this was withheld", m.raw)
        status, page = self.fetch(self.stack.web_url("/admin/audit"), opener=opener)
        self.assertIn("quarantine-deliver-asked", page)
        self.assertIn("quarantine-deliver", page)
        # The delete button, clicked: the entry and its file are gone.
        admin.get(view)
        self.assertTrue(admin.find_elements(By.ID, "delivered"))
        self.assertEqual(admin.find_elements(By.ID, "deliver"), [])  # done: no button
        admin.find_element(By.ID, "delete").click()
        swtest.poll(lambda: admin.find_elements(By.ID, "quarantine"), 30, "the list")
        self.assertNotIn(subject, self.stack.sendwatch("quarantine", "list").stdout)
        self.assertEqual(self.fetch(view, opener=opener)[0], 404)

    def test_japanese_pages(self):
        qid, subject = self.send("日本語の件名")
        send_now, _, _ = self.notice_links(qid)
        ja = browser("ja")
        try:
            ja.get(send_now)
            self.assertEqual(ja.find_element(By.TAG_NAME, "h1").text, "保留中のメール")
            self.assertEqual(ja.find_element(By.ID, "release").text, "今すぐ送信")
            self.assertIn("日本語の件名", ja.find_element(By.ID, "subject").text)
            self.shot("confirm-ja", ja)
            # Drawn with a real font: two different words make different
            # pictures (without a CJK font both are rows of the same box).
            a = ja.find_element(By.ID, "release").screenshot_as_png
            ja.execute_script("arguments[0].textContent = '削除保留送'",
                              ja.find_element(By.ID, "release"))
            b = ja.find_element(By.ID, "release").screenshot_as_png
            ja.execute_script("arguments[0].textContent = '送保留削除'",
                              ja.find_element(By.ID, "release"))
            c = ja.find_element(By.ID, "release").screenshot_as_png
            self.assertNotEqual(b, c, "Japanese drawn as empty boxes (fonts-noto-cjk?)")
            self.assertNotEqual(a, b)
            self.assertTrue(ja.execute_script(
                "return document.fonts.check('16px \"Noto Sans CJK JP\"', '保留')"))
            # The switch: English on request, kept by a cookie.
            ja.find_element(By.CSS_SELECTOR, ".lang a[lang=en]").click()
            self.assertEqual(ja.find_element(By.TAG_NAME, "h1").text, "Held mail")
        finally:
            ja.quit()



class DirectHttps(unittest.TestCase):
    """sendwatch-web speaking HTTPS itself (web_tls_cert, web_tls_key)."""

    def test_https_with_secure_cookies(self):
        port = swtest.free_port()
        stack = swtest.Stack("web-tls", web=True, web_port=port, config_extra={
            "web_base_url": "https://127.0.0.1:%d" % port})
        cert = os.path.join(stack.etc, "cert.pem")
        key = os.path.join(stack.etc, "key.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2", "-subj",
                            "/CN=127.0.0.1"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        os.chmod(key, 0o600)
        with open(stack.config_path, "a", encoding="utf-8") as f:
            f.write("web_tls_cert = %s\nweb_tls_key = %s\n" % (cert, key))
        with stack.start():
            context = ssl.create_default_context(cafile=cert)
            context.check_hostname = False
            with urllib.request.urlopen("https://127.0.0.1:%d/admin/login" % port,
                                        context=context, timeout=30) as resp:
                self.assertEqual(resp.status, 200)
                self.assertIn("max-age=", resp.headers["Strict-Transport-Security"])
                cookie = resp.headers["Set-Cookie"]
                self.assertIn("Secure", cookie)
                self.assertIn("HttpOnly", cookie)
                self.assertIn("SameSite=Strict", cookie)
                self.assertIn('id="login"', resp.read().decode())
            # Plain HTTP on the HTTPS port gets no page.
            with self.assertRaises(Exception):
                urllib.request.urlopen("http://127.0.0.1:%d/admin/login" % port, timeout=10)
        self.assertIn("(https)", stack.web.log_text())


if __name__ == "__main__":
    swtest.main()
