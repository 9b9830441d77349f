#!/usr/bin/python3
"""sendwatch under real systemd: the .deb installed in a fresh Debian 12 tree
booted with systemd-nspawn (one boot for the whole module), its own Postfix,
the three units running.  Under a steady load of mail each daemon is killed
(SIGKILL) and hung (SIGSTOP): systemd restarts it (the watchdog catches the
hung one), and every message Postfix accepted is delivered exactly once.
Then, with auto_bypass, a milter in a crash loop leads to the bypass, mail
flows, the admin is told, and the bypass goes off once the milter is back.

usage: test_systemd.py --deb build-deb/sendwatch_VERSION_ARCH.deb [--report FILE]

The container shares the host's network: its Postfix, web and metrics
listen on free loopback ports; the sink (smtp-sink) runs on the host.
The shipped units watch with WatchdogSec=30s; this test shortens it to 6 s
with a drop-in, so a hang is caught within the suite's time.
"""

import argparse
import collections
import glob
import hashlib
import json
import os
import re
import shutil
import smtplib
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import swtest  # noqa: E402

ARGS = None
CACHE = "/var/tmp/sendwatch-nspawn"
PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
UNITS = ("sendwatch-milter", "sendwatch-holdd", "sendwatch-web")
RULES = """\
rule no-secrets
    match body keywords "topsecret"
    action reject "no secrets"
"""
WATCHDOG_DROPIN = """\
[Service]
# The test's: a hang is caught in 6 s, not the shipped 30 s.
WatchdogSec=6s
"""


def mirror():
    try:
        with open("/etc/apt/sources.list.d/debian.sources", encoding="utf-8") as f:
            m = re.search(r"^URIs:\s*(\S+)", f.read(), re.M)
            if m:
                return m.group(1)
    except OSError:
        pass
    try:
        with open("/etc/apt/sources.list", encoding="utf-8") as f:
            m = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", f.read(), re.M)
            if m:
                return m.group(1)
    except OSError:
        pass
    return "http://deb.debian.org/debian"


def deb_depends(deb):
    """The package names the .deb depends on (versions and alternatives dropped)."""
    text = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True,
                          text=True, check=True).stdout
    return sorted({d.split("|")[0].split("(")[0].strip() for d in text.split(",")
                   if d.strip()})


def base_tree(deb, root):
    """ROOT: a minbase bookworm with systemd, Postfix and what the .deb needs.
    debootstrap once per package list; later runs unpack the cached tarball."""
    include = ["systemd", "systemd-sysv", "dbus", "postfix", "procps"] + deb_depends(deb)
    include = sorted(set(include))
    key = hashlib.sha256(",".join(include).encode()).hexdigest()[:16]
    tarball = os.path.join(CACHE, "bookworm-%s.tar" % key)
    if not os.path.exists(tarball):
        os.makedirs(CACHE, exist_ok=True)
        work = tarball + ".d"
        shutil.rmtree(work, ignore_errors=True)
        started = time.time()
        r = subprocess.run(["debootstrap", "--variant=minbase", "--include=" + ",".join(include),
                            "bookworm", work, mirror()], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("debootstrap failed: " + swtest.tail(r.stdout + r.stderr))
        subprocess.run(["tar", "-C", work, "-cf", tarball + ".tmp", "."], check=True)
        os.rename(tarball + ".tmp", tarball)
        shutil.rmtree(work, ignore_errors=True)
        print("debootstrap: %.0f s" % (time.time() - started), flush=True)
    os.makedirs(root)
    subprocess.run(["tar", "-C", root, "-xf", tarball], check=True)


def chroot(root, *cmd, input=None):
    r = subprocess.run(["chroot", root, "/usr/bin/env", "-i", PATH, "LANG=C.UTF-8"] + list(cmd),
                       capture_output=True, text=True, input=input)
    if r.returncode != 0:
        raise AssertionError("in the tree: %s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                             swtest.tail(r.stdout + r.stderr)))
    return r.stdout


def write(root, path, text, mode=0o644):
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(full, mode)


def set_config(root, settings):
    """Sets each NAME = VALUE in the tree's sendwatch.conf: the line that sets
    it is replaced (a parameter may be set once), or one is added."""
    path = os.path.join(root, "etc/sendwatch/sendwatch.conf")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for name, value in settings.items():
        line = "%s = %s" % (name, value)
        text, n = re.subn(r"^%s\s*=.*$" % re.escape(name), line, text, flags=re.M)
        if n == 0:
            text += "\n" + line + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def ensure_cgroups():
    """systemd-nspawn needs a cgroup hierarchy.  A suite run inside a chroot
    (fresh-run.sh's) has a bare sysfs there: mount what this kind of host
    has, the hybrid layout (systemd's named v1 hierarchy and the unified one)."""
    base = "/sys/fs/cgroup"
    if os.path.exists(os.path.join(base, "cgroup.controllers")) or \
            os.path.isdir(os.path.join(base, "systemd", "cgroup.procs")) or \
            os.path.exists(os.path.join(base, "systemd", "cgroup.procs")):
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", base], check=True)
    for name in ("systemd", "unified"):
        os.makedirs(os.path.join(base, name), exist_ok=True)
    subprocess.run(["mount", "-t", "cgroup", "-o", "none,name=systemd", "cgroup",
                    os.path.join(base, "systemd")], check=True)
    subprocess.run(["mount", "-t", "cgroup2", "cgroup2", os.path.join(base, "unified")],
                   check=True)


def root_is_a_mount():
    """Whether "/" is a mount point here - not so inside a plain chroot, where
    systemd-nspawn cannot make its mounts private (EINVAL)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        return any(line.split()[4] == "/" for line in f if len(line.split()) > 4)


def nspawn_command(root):
    cmd = ["systemd-nspawn", "-D", root, "--boot", "--register=no", "--keep-unit",
           "--console=pipe", "--machine=sendwatch-test"]
    if root_is_a_mount():
        return cmd
    # In a chroot: a mount namespace of its own where "/" is a mount (a
    # recursive bind of the chroot onto a directory of its own), then nspawn.
    os.makedirs("/run/sendwatch-nspawn-root", exist_ok=True)
    return ["unshare", "-m", "--propagation", "unchanged", "sh", "-c",
            'mount --rbind / /run/sendwatch-nspawn-root && '
            'mount --make-rprivate /run/sendwatch-nspawn-root && '
            'exec chroot /run/sendwatch-nspawn-root "$@"', "sh"] + cmd


class Container:
    """The booted tree: commands run inside with nsenter."""

    def __init__(self, root, log_path):
        ensure_cgroups()
        self.root = root
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            nspawn_command(root), stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        self.leader = swtest.poll(self._leader, 60, "the container's init")
        state = swtest.poll(lambda: self.system_state(), 180, "systemd to finish booting",
                            0.5)
        if state not in ("running", "degraded"):
            raise AssertionError("the container's systemd is %s" % state)

    def _leader(self):
        if self.proc.poll() is not None:
            raise AssertionError("systemd-nspawn ended: exit %d" % self.proc.returncode)
        r = subprocess.run(["pgrep", "-x", "-P", str(self.proc.pid), "systemd"],
                           capture_output=True, text=True)
        pids = r.stdout.split()
        return int(pids[0]) if pids else None

    def run(self, *cmd, check=True, input=None, timeout=120):
        # -r -w: the container's root and directory, which entering its
        # mount namespace alone does not give when nspawn ran in a chroot.
        r = subprocess.run(["nsenter", "-t", str(self.leader), "-a", "-r", "-w", "--",
                            "/usr/bin/env",
                            "-i", PATH, "LANG=C.UTF-8"] + list(cmd),
                           capture_output=True, text=True, input=input, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("in the container: %s: exit %d: %s" % (
                " ".join(cmd), r.returncode, swtest.tail(r.stdout + r.stderr)))
        return r

    def system_state(self):
        r = self.run("systemctl", "is-system-running", check=False)
        state = r.stdout.strip()
        return state if state in ("running", "degraded", "maintenance") else None

    def show(self, unit, *props):
        out = self.run("systemctl", "show", unit, "-p", ",".join(props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def main_pid(self, unit):
        return int(self.show(unit, "MainPID")["MainPID"])

    def journal(self, unit):
        return self.run("journalctl", "-u", unit, "--no-pager", "-o", "short-iso-precise",
                        check=False).stdout

    def stop(self):
        if self.proc.poll() is None:
            self.run("systemctl", "poweroff", "--no-block", check=False)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Load(threading.Thread):
    """A steady load: one message every INTERVAL seconds, each with its own
    Message-ID, every other one to an outside address (held for a minute).
    A message Postfix refuses for now (4xx, or no connection) is sent again
    until it is accepted; one whose answer was lost is set aside as
    uncertain (the client cannot know), never sent twice."""

    def __init__(self, port, prefix, interval=0.2):
        super().__init__(daemon=True)
        self.port, self.prefix, self.interval = port, prefix, interval
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.accepted = {}   # message id -> (accept time, queue id)
        self.uncertain = set()
        self.attempts = []   # (start, end, message id, outcome)
        self.retry = collections.deque()
        self.next_n = 0

    def message(self, n):
        to = "bob@partner.example" if n % 2 else "carol@corp.sendwatch.test"
        mid = "%s-%05d" % (self.prefix, n)
        return mid, to, swtest.make_message(mid, b"steady load %d\r\n" % n, to=to)

    def send(self, n):
        mid, to, msg = self.message(n)
        start = time.time()
        outcome, qid = "refused", None
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=90) as smtp:
                smtp.ehlo("load.sendwatch.test")
                code, resp = smtp.mail("alice@corp.sendwatch.test")
                if code == 250:
                    code, resp = smtp.rcpt(to)
                if code == 250:
                    try:
                        code, resp = smtp.data(msg)
                    except (OSError, smtplib.SMTPServerDisconnected):
                        outcome = "uncertain"
                        code = None
                if code == 250:
                    outcome = "accepted"
                    m = re.search(rb"queued as (\w+)", resp)
                    qid = m.group(1).decode() if m else None
        except (OSError, smtplib.SMTPException):
            pass
        end = time.time()
        with self.lock:
            self.attempts.append((start, end, mid, outcome))
            if outcome == "accepted":
                self.accepted[mid] = (end, qid)
            elif outcome == "uncertain":
                self.uncertain.add(mid)
            else:
                self.retry.append(n)

    def run(self):
        while not self.stop_event.is_set():
            with self.lock:
                n = self.retry.popleft() if self.retry else None
            if n is None:
                n = self.next_n
                self.next_n += 1
            self.send(n)
            self.stop_event.wait(self.interval)

    def finish(self, deadline=120):
        """Stops new messages; sends what was refused until accepted."""
        self.stop_event.set()
        self.join(120)
        end = time.time() + deadline
        while self.retry and time.time() < end:
            self.send(self.retry.popleft())
        if self.retry:
            raise AssertionError("%d messages still refused after %d s" % (len(self.retry),
                                                                          deadline))

    def first_accept_after(self, t):
        with self.lock:
            ends = [e for s, e, _, o in self.attempts if s >= t and o == "accepted"]
        return min(ends) if ends else None


def submit(port, subject, body, to="bob@partner.example"):
    """One message over SMTP; smtplib's exceptions carry a refusal's code."""
    with smtplib.SMTP("127.0.0.1", port, timeout=90) as smtp:
        smtp.sendmail("alice@corp.sendwatch.test", [to],
                      swtest.make_message(subject, body, to=to))


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except Exception as e:  # noqa: BLE001 - any failure is "not answering"
        return None, str(e)


class Systemd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("systemd-nspawn", "debootstrap", "nsenter", "promtool"):
            if shutil.which(tool) is None:
                raise AssertionError("%s is missing: run scripts/install-deps" % tool)
        cls.workdir = swtest.make_workdir("systemd")
        cls.report = {"kills": {}, "bypass": {}}
        cls.root = os.path.join(cls.workdir, "root")
        started = time.time()
        base_tree(ARGS.deb, cls.root)
        cls.smtp_port, cls.web_port, cls.metrics_port = (swtest.free_port() for _ in range(3))
        cls.sink = swtest.Sink(cls.workdir)
        cls.sink.start()
        cls.install_and_configure()
        cls.report["setup_seconds"] = round(time.time() - started, 1)
        cls.box = Container(cls.root, os.path.join(cls.workdir, "log", "container.log"))
        cls.report["boot_seconds"] = round(time.time() - started - cls.report["setup_seconds"], 1)

    @classmethod
    def install_and_configure(cls):
        root = cls.root
        shutil.copy(ARGS.deb, os.path.join(root, "var", "tmp", "sendwatch.deb"))
        postfix_before = cls.postfix_config(root)
        out = chroot(root, "dpkg", "-i", "/var/tmp/sendwatch.deb")
        assert "sendwatch is installed" in out, out
        # It says what to add to Postfix, and adds nothing itself.
        assert "postconf -e 'smtpd_milters = unix:/sendwatch/milter.sock'" in out, out
        assert cls.postfix_config(root) == postfix_before, "the package changed Postfix"
        # The package never edits Postfix's config: this is the admin's part.
        share = "/usr/share/sendwatch/contrib/postfix/"
        for name in ("milter_header_checks", "smtp_header_checks"):
            shutil.copy(os.path.join(root, share.lstrip("/"), name),
                        os.path.join(root, "etc/postfix", "sendwatch_" + name))
        chroot(root, "postconf", "-e",
               "myhostname = mx.sendwatch.test", "mydomain = sendwatch.test",
               "myorigin = $mydomain", "mydestination =",
               "relayhost = [127.0.0.1]:%d" % cls.sink.port,
               "inet_interfaces = loopback-only", "inet_protocols = ipv4",
               "mynetworks = 127.0.0.0/8", "smtp_dns_support_level = disabled",
               "smtpd_milters = unix:/sendwatch/milter.sock",
               "non_smtpd_milters = unix:/sendwatch/milter.sock",
               "milter_default_action = tempfail", "enable_long_queue_ids = yes",
               "milter_header_checks = regexp:/etc/postfix/sendwatch_milter_header_checks",
               "smtp_header_checks = regexp:/etc/postfix/sendwatch_smtp_header_checks",
               "smtp_tls_security_level = none", "smtpd_tls_security_level = none")
        master = os.path.join(root, "etc/postfix/master.cf")
        with open(master, encoding="utf-8") as f:
            text = f.read()
        text, n = re.subn(r"^smtp\s+inet\s.*$",
                          "127.0.0.1:%d inet n - y - - smtpd" % cls.smtp_port, text, flags=re.M)
        assert n == 1, "no smtp inet line in master.cf"
        write(root, "/etc/postfix/master.cf", text)
        set_config(root, {
            "internal_domains": "corp.sendwatch.test", "hold_enable": "yes",
            "hold_minutes": "1", "hold_scope": "external",
            "notice_sender": "sendwatch@corp.sendwatch.test",
            "admin_address": "postmaster@corp.sendwatch.test",
            "web_listen": "127.0.0.1:%d" % cls.web_port,
            "web_base_url": "http://127.0.0.1:%d" % cls.web_port,
            "metrics_listen": "127.0.0.1:%d" % cls.metrics_port, "language": "en"})
        write(root, "/etc/sendwatch/rules/10-test.rules", RULES)
        for unit in UNITS:
            write(root, "/etc/systemd/system/%s.service.d/test.conf" % unit, WATCHDOG_DROPIN)
        # Not started by the package: the admin starts them (enabled at boot).
        for unit in UNITS:
            assert os.path.islink(os.path.join(
                root, "etc/systemd/system/multi-user.target.wants/%s.service" % unit)), unit
        chroot(root, "sendwatch", "check")

    @staticmethod
    def postfix_config(root):
        """Postfix's config files, by name, as bytes."""
        d = os.path.join(root, "etc/postfix")
        files = {}
        for n in sorted(os.listdir(d)):
            if os.path.isfile(os.path.join(d, n)):
                with open(os.path.join(d, n), "rb") as f:
                    files[n] = f.read()
        return files

    @classmethod
    def tearDownClass(cls):
        try:
            box = getattr(cls, "box", None)
            if box is not None:
                for unit in UNITS + ("postfix@-",):
                    with open(os.path.join(cls.workdir, "log", unit + ".journal"), "w",
                              encoding="utf-8") as f:
                        f.write(box.journal(unit))
                box.stop()
        finally:
            cls.sink.stop()
            if ARGS.report:
                with open(ARGS.report, "w", encoding="utf-8") as f:
                    json.dump(cls.report, f, indent=2)

    def active(self, unit):
        s = self.box.show(unit, "ActiveState", "SubState", "MainPID")
        return s["ActiveState"] == "active" and s["SubState"] == "running" and \
            int(s["MainPID"]) > 0

    def test_1_units_run_and_recover(self):
        box = self.box
        for unit in UNITS + ("postfix",):
            swtest.poll(lambda: self.active(unit) or box.show(unit, "ActiveState")[
                "ActiveState"] == "active", 60, unit + " active")
        self.assertEqual(get("http://127.0.0.1:%d/healthz" % self.web_port), (200, "ok\n"))
        status, text = get("http://127.0.0.1:%d/metrics" % self.metrics_port)
        self.assertEqual(status, 200)
        promtool = subprocess.run(["promtool", "check", "metrics"], input=text,
                                  capture_output=True, text=True)
        self.assertEqual(promtool.returncode, 0, promtool.stdout + promtool.stderr)
        # The sandbox did not get in the way of the real work: mail inspected
        # (a secret refused), held, its notice sent, by a local submission too.
        with self.assertRaises(smtplib.SMTPDataError) as e:
            submit(self.smtp_port, "secret", b"topsecret\r\n")
        self.assertEqual(e.exception.smtp_code, 550)
        box.run("sendmail", "-i", "-f", "alice@corp.sendwatch.test", "--",
                "dave@partner.example",
                input="Subject: by sendmail\nMessage-ID: <local-1@sendwatch.test>\n\nhi\n")
        swtest.poll(lambda: any(h["subject"] == "by sendmail" and h["state"] == "held"
                                for h in json.loads(box.run("sendwatch", "held", "list",
                                                            "--json").stdout)),
                    60, "the local message held")

        load = Load(self.smtp_port, "recovery")
        load.start()
        swtest.poll(lambda: len(load.accepted) >= 10, 60, "the load running")
        for unit in UNITS:
            for sig in ("SIGKILL", "SIGSTOP"):
                self.kill_and_wait(load, unit, sig)
                # A little steady load between two faults.
                n = len(load.accepted)
                swtest.poll(lambda: len(load.accepted) >= n + 10, 60, "the load again")
        load.finish()
        self.check_delivered_once(load, "recovery")

    def watchdog_kills(self, unit):
        return len(re.findall(r"Watchdog timeout", self.box.journal(unit)))

    def kill_and_wait(self, load, unit, sig):
        box = self.box
        old = box.main_pid(unit)
        restarts = int(box.show(unit, "NRestarts")["NRestarts"])
        watchdog = self.watchdog_kills(unit)
        t0 = time.time()
        box.run("systemctl", "kill", "--kill-who=main", "-s", sig, unit)
        # Back: a new main process that told systemd it is ready (Type=notify).
        swtest.poll(lambda: box.main_pid(unit) not in (0, old) and self.active(unit), 120,
                    "%s back after %s" % (unit, sig), 0.05)
        back = time.time() - t0
        accepted = swtest.poll(lambda: load.first_accept_after(t0), 120,
                               "mail accepted after %s of %s" % (sig, unit), 0.05)
        result = box.show(unit, "Result", "NRestarts")
        entry = {"back_seconds": round(back, 2),
                 "mail_accepted_after_seconds": round(accepted - t0, 2),
                 "restarts": int(result["NRestarts"])}
        if unit == "sendwatch-web":
            # Answering again, as a user would see it.
            swtest.poll(lambda: get("http://127.0.0.1:%d/healthz" % self.web_port)[0] == 200,
                        60, "the web answering")
            entry["answering_after_seconds"] = round(time.time() - t0, 2)
        self.report["kills"]["%s %s" % (unit, sig)] = entry
        print("%s %s: back in %.2f s, mail accepted %.2f s after the signal" % (
            unit, sig, back, accepted - t0), flush=True)
        # One fault, one restart; a hang is what the watchdog caught, a
        # kill is not (and nothing else was killed by it meanwhile).
        self.assertEqual(entry["restarts"], restarts + 1, unit + " " + sig)
        self.assertEqual(self.watchdog_kills(unit), watchdog + (sig == "SIGSTOP"),
                         unit + " " + sig)

    def delivered_ids(self, prefix):
        counts = collections.Counter()
        for m in self.sink.messages():
            mid = m.header("Message-ID") or ""
            mm = re.match(r"<(%s-\d+)@sendwatch\.test>" % prefix, mid)
            if mm:
                counts[mm.group(1)] += 1
        return counts

    def check_delivered_once(self, load, phase):
        want = set(load.accepted)
        # Held mail goes out a minute after it came: wait for all of it.
        def all_there():
            c = self.delivered_ids(load.prefix)
            return want <= set(c) and c
        swtest.poll(all_there, 240, "every accepted message delivered", 1)
        # Then nothing left anywhere - Postfix's queue empty - and counted
        # again, so a late second copy would show.
        swtest.poll(lambda: self.box.run("postqueue", "-j").stdout.strip() == "", 120,
                    "Postfix's queue empty", 1)
        counts = self.delivered_ids(load.prefix)
        lost = sorted(want - set(counts))
        duplicated = sorted(m for m, n in counts.items() if n > 1)
        unexpected = sorted(set(counts) - want - load.uncertain)
        self.report[phase] = {"accepted": len(want), "delivered": len(counts),
                              "lost": len(lost), "duplicated": len(duplicated),
                              "uncertain_answers": len(load.uncertain),
                              "attempts": len(load.attempts)}
        print("%s: %d accepted, %d delivered, lost %d, duplicated %d, %d answers lost"
              % (phase, len(want), len(counts), len(lost), len(duplicated),
                 len(load.uncertain)), flush=True)
        self.assertEqual(lost, [])
        self.assertEqual(duplicated, [])
        self.assertEqual(unexpected, [])
        # Nothing is left in HOLD either: every held message went out once.
        held = json.loads(self.box.run("sendwatch", "held", "list", "--json").stdout)
        self.assertEqual([h for h in held if h.get("state") == "held"
                          and h.get("subject", "").startswith(load.prefix)], [])

    def test_2_auto_bypass_in_a_crash_loop(self):
        box = self.box
        set_config(self.root, {"auto_bypass": "yes", "auto_bypass_after": "15",
                               "auto_bypass_off_after": "15"})
        box.run("systemctl", "restart", "sendwatch-holdd")
        swtest.poll(lambda: self.active("sendwatch-holdd"), 60, "holdd restarted")
        load = Load(self.smtp_port, "bypass")
        load.start()
        swtest.poll(lambda: len(load.accepted) >= 5, 60, "the load running")
        timeline = []
        t0 = time.time()

        def mark(what):
            timeline.append((round(time.time() - t0, 1), what))
            print("%6.1f s  %s" % (time.time() - t0, what), flush=True)
        mark("crash loop starts: the milter is killed whenever it comes back")
        kills, bypass_on = 0, None
        while time.time() - t0 < 60:
            pid = box.main_pid("sendwatch-milter")
            if pid > 0:
                box.run("systemctl", "kill", "--kill-who=main", "-s", "SIGKILL",
                        "sendwatch-milter", check=False)
                kills += 1
            status = box.run("sendwatch-bypass", "status", check=False)
            if bypass_on is None and status.returncode == 0:
                bypass_on = time.time()
                mark("bypass on: " + status.stdout.strip())
            if bypass_on is not None and time.time() - bypass_on > 10:
                break
            time.sleep(0.1)  # the crash loop's pace, not a wait for a condition
        self.assertIsNotNone(bypass_on, "no bypass within 60 s of the crash loop")
        first = load.first_accept_after(t0)
        accepted = swtest.poll(lambda: load.first_accept_after(bypass_on - 1), 60,
                               "mail accepted with the bypass on")
        mark("mail accepted again (first at %.1f s)" % (accepted - t0))
        alert = swtest.poll(lambda: next(
            (m for m in self.sink.messages()
             if "automatic bypass ON" in (m.header("Subject") or "")), None), 60,
            "the bypass alert at the sink")
        self.assertEqual(alert.rcpts, ["postmaster@corp.sendwatch.test"])
        mark("alert at the sink: %s" % alert.header("Subject"))
        mark("crash loop ends after %d kills" % kills)
        swtest.poll(lambda: self.active("sendwatch-milter"), 60, "the milter back")
        mark("milter active (READY: it answered a negotiation)")
        swtest.poll(lambda: box.run("sendwatch-bypass", "status", check=False).returncode == 3,
                    90, "the bypass off again", 0.2)
        mark("bypass off")
        off_alert = swtest.poll(lambda: next(
            (m for m in self.sink.messages()
             if "automatic bypass OFF" in (m.header("Subject") or "")), None), 60,
            "the bypass-off alert")
        mark("alert at the sink: %s" % off_alert.header("Subject"))
        # Checked again: a secret is refused.
        with self.assertRaises(smtplib.SMTPDataError) as e:
            submit(self.smtp_port, "secret again", b"topsecret\r\n")
        self.assertEqual(e.exception.smtp_code, 550)
        mark("a secret is refused again (550)")
        load.finish()
        audit = json.loads(box.run("sendwatch", "audit", "--json").stdout)
        switches = [a["action"] for a in audit if a["who"] == "sendwatch-holdd"]
        self.assertEqual(switches, ["bypass off (automatic)", "bypass on (automatic)"])
        self.report["bypass"] = {"timeline": timeline, "kills": kills,
                                 "first_accept_seconds": round(first - t0, 1) if first else None}
        self.check_delivered_once(load, "bypass_mail")

    def test_3_purge_keeps_the_state_unless_asked(self):
        box = self.box
        exists = lambda path: box.run("test", "-e", path, check=False).returncode == 0  # noqa
        self.assertTrue(exists("/var/lib/sendwatch/data.mdb"))
        # Installed again over itself (an upgrade): the running services are
        # restarted, the admin's config kept without a question.
        pids = {u: box.main_pid(u) for u in UNITS}
        box.run("dpkg", "-i", "/var/tmp/sendwatch.deb", input="")
        for unit in UNITS:
            swtest.poll(lambda: self.active(unit) and box.main_pid(unit) != pids[unit], 60,
                        unit + " restarted by the upgrade")
        self.assertIn("metrics_listen = 127.0.0.1:%d" % self.metrics_port,
                      box.run("cat", "/etc/sendwatch/sendwatch.conf").stdout)
        out = box.run("dpkg", "--purge", "sendwatch")
        self.assertIn("/var/lib/sendwatch kept", out.stdout + out.stderr)
        for unit in UNITS:
            self.assertNotEqual(box.show(unit, "ActiveState")["ActiveState"], "active", unit)
        for gone in ("/usr/sbin/sendwatch-milter", "/lib/systemd/system/sendwatch-milter.service",
                     "/etc/sendwatch/sendwatch.conf", "/etc/sendwatch/web.key",
                     "/etc/sendwatch/templates", "/var/spool/sendwatch", "/run/sendwatch",
                     "/var/spool/postfix/sendwatch"):
            self.assertFalse(exists(gone), gone + " left after purge")
        # The admin's own rules stay (dpkg never owned them); so does the state.
        self.assertTrue(exists("/etc/sendwatch/rules/10-test.rules"))
        self.assertTrue(exists("/var/lib/sendwatch/data.mdb"))
        # Installed again, it finds its state; purged when asked, it goes.
        box.run("dpkg", "-i", "/var/tmp/sendwatch.deb")
        box.run("env", "SENDWATCH_PURGE_STATE=yes", "dpkg", "--purge", "sendwatch")
        self.assertFalse(exists("/var/lib/sendwatch"))
        # The Postfix config is as the admin left it: the package touched none of it.
        self.assertIn("unix:/sendwatch/milter.sock", box.run(
            "postconf", "-h", "smtpd_milters").stdout)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--deb", default=None)
    parser.add_argument("--report", default=None)
    ARGS, rest = parser.parse_known_args()
    if ARGS.deb is None:
        debs = glob.glob(os.path.join(swtest.SOURCE_DIR, "build-deb", "sendwatch_*.deb"))
        if len(debs) != 1:
            sys.exit("test_systemd: no .deb: run scripts/package first, or give --deb")
        ARGS.deb = debs[0]
    sys.argv = [sys.argv[0]] + rest
    swtest.main()


if __name__ == "__main__":
    main()
