"""swtest - end-to-end test harness: a private Postfix with sendwatch attached.

Everything lives under one temporary directory: Postfix's config, queue,
data and log directories, an smtp-sink standing in for the internet (it
saves every message it receives), and the sendwatch daemons with a
generated config.  Postfix listens on a free loopback port and relays
everything to the sink on another.  The system's /etc/postfix is never read
or written: the instance has its own config_directory and meta_directory,
and its master.cf and postfix-files are written here.

A free port is only a guess until a daemon binds it (another test may take
it first): a start counts only once the process itself listens on its port,
and a start that failed because the port was taken picks new ports, rewrites
the config that names them and tries again (retry_ports()).

Stack.stop() fails unless every daemon it started exited with status 0, so
a sanitizer or valgrind finding at exit fails the test; a test that kills a
daemon on purpose says so (Milter.kill()).

Waiting is always polling with a deadline (poll()), never a fixed sleep.
Only processes this harness started are stopped, by their PIDs.  Files are
read and written as UTF-8 whatever the locale.

Run the tests with swtest.main(): when a test fails, the directories are
kept and their paths printed; otherwise they are removed.
"""

import email
import email.policy
import json
import os
import pwd
import grp
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("SENDWATCH_BUILD_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build"))
RUN_USER = "sendwatch"
SINK_USER = "nobody"

# The name our test clients greet with.  Given to smtplib.SMTP(), or it asks
# the resolver for this machine's name on every connection (socket.getfqdn),
# which in a chroot without DNS costs a quarter of a second each time.
CLIENT_NAME = "client.sendwatch.test"

_workdirs = []  # every directory made, for main() to keep or remove


class TimeoutError_(AssertionError):
    """A poll() deadline passed: the test fails with what it waited for."""


def poll(predicate, timeout, what, interval=0.02):
    """Calls predicate() until it returns a true value, which is returned.

    Raises TimeoutError_ naming WHAT once TIMEOUT seconds have passed.  The
    interval grows to at most 0.25 s so long waits stay cheap.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError_("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)
        interval = min(interval * 1.5, 0.25)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    Only a guess: the port is free again once this returns, and another
    process may bind it before the daemon it is meant for does.  Starts
    check that their own process listens on it, and retry_ports() picks
    another port when it was taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def listening_inodes(port):
    """Inodes of the sockets listening on TCP PORT (any address), from /proc/net."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="utf-8") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # sl local_address rem_address st ... inode; st 0A is LISTEN
            if (len(fields) > 9 and fields[3] == "0A"
                    and int(fields[1].rsplit(":", 1)[1], 16) == port):
                inodes.add(fields[9])
    return inodes


def listens(pid, port):
    """True if process PID itself holds a socket listening on TCP PORT.

    Unlike port_open(), this is not fooled by some other process that took
    the port.
    """
    inodes = listening_inodes(port)
    if not inodes or pid is None:
        return False
    fd_dir = "/proc/%d/fd" % pid
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return False
    for fd in fds:
        try:
            link = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            return True
    return False


class PortInUse(Exception):
    """A daemon could not bind its TCP port: another process holds it."""


PORT_ATTEMPTS = 5  # starts on fresh ports before retry_ports() gives up


def retry_ports(what, start, repick, attempts=PORT_ATTEMPTS):
    """Calls START() until it does not raise PortInUse; returns its value.

    Before each new try REPICK() chooses new ports and rewrites the config
    that names them.  REPICK None means the caller gave the port and did not
    allow another: the first PortInUse then fails the start, as does the
    last of ATTEMPTS.
    """
    for attempt in range(1, attempts + 1):
        try:
            return start()
        except PortInUse as e:
            if repick is None:
                raise AssertionError("%s; the port was given explicitly, so it is not "
                                     "changed" % e) from None
            if attempt == attempts:
                raise AssertionError("%s: the port was taken on each of %d tries; last: %s"
                                     % (what, attempts, e)) from None
            print("%s: port taken, trying new ports (%d of %d): %s"
                  % (what, attempt + 1, attempts, e), file=sys.stderr)
            repick()
    raise AssertionError("unreachable")


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def read_text_from(path, offset):
    """The file's text from byte OFFSET on ("" if it is not there)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def wait_listening(proc, port, what, log, timeout=30, in_use=("Address already in use",)):
    """Waits until child process PROC itself listens on TCP PORT.

    Raises PortInUse if PROC exited because the port was taken: LOG() (its
    log since this start) has one of IN_USE, or another process listens on
    the port now.  Raises AssertionError if it exited for any other reason,
    or if the deadline passed (PROC is then still running: the caller ends it).
    """
    poll(lambda: proc.poll() is not None or listens(proc.pid, port), timeout,
         "%s (pid %d) to listen on port %d" % (what, proc.pid, port))
    if proc.poll() is None:
        return
    text = log()
    if any(p in text for p in in_use) or listening_inodes(port):
        raise PortInUse("%s could not listen on port %d (exit %d): the port is in use; "
                        "its log:\n%s" % (what, port, proc.returncode, tail(text, 5)))
    raise AssertionError("%s exited with %d before it listened on port %d; its log:\n%s"
                         % (what, proc.returncode, port, tail(text)))


def tail(text, lines=60, chars=6000):
    """The last LINES lines (at most CHARS characters) of TEXT."""
    return "\n".join(text.splitlines()[-lines:])[-chars:]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); look at its state.
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8", errors="replace") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def binary(name):
    """Path of one of our programs in the build directory."""
    sub = {"sendwatch-milter": "milter", "sendwatch": "cli", "sendwatch-holdd": "holdd",
           "sendwatch-web": "web",
           "sendwatch-helper": "holdd",
           "nullmilter": "bench"}[name]
    path = os.path.abspath(os.path.join(BUILD_DIR, sub, name))
    if not os.access(path, os.X_OK):
        raise AssertionError("%s not built (looked for %s)" % (name, path))
    return path


def cmake_cache(name):
    """A value from the build's CMakeCache.txt (what it was configured with)."""
    with open(os.path.join(BUILD_DIR, "CMakeCache.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.rstrip("\n").split("=", 1)[1]
    raise AssertionError("%s is not in %s/CMakeCache.txt" % (name, BUILD_DIR))


def check_setup():
    """Fails with what to do when this machine cannot run the tests.

    The one place that checks for root and for the users and groups the
    harness chowns to (scripts/install-deps makes the sendwatch ones;
    Debian's postfix package the others).
    """
    if os.geteuid() != 0:
        raise AssertionError("end-to-end tests start Postfix and must run as root")
    missing = []
    for user in (RUN_USER, SINK_USER, "postfix"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            missing.append("user %s" % user)
    for group in (RUN_USER, "nogroup", "postfix", "postdrop"):
        try:
            grp.getgrnam(group)
        except KeyError:
            missing.append("group %s" % group)
    if missing:
        raise AssertionError("this machine lacks what the end-to-end tests need (%s): "
                             "run scripts/install-deps (as root) first" % ", ".join(missing))


def make_workdir(tag):
    check_setup()
    path = tempfile.mkdtemp(prefix="sendwatch-%s-" % tag)
    os.chmod(path, 0o755)  # Postfix and the unprivileged daemons must reach in
    _workdirs.append(path)
    return path


def read_text(path):
    """The file's text ("" if it is not there yet), undecodable bytes replaced."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def chown_to(path, user, group=None):
    uid = pwd.getpwnam(user).pw_uid
    gid = grp.getgrnam(group).gr_gid if group else pwd.getpwnam(user).pw_gid
    os.chown(path, uid, gid)


def add_note(exc, note):
    """Adds NOTE to exception EXC (shown with its traceback)."""
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:  # Python < 3.11
        exc.args = exc.args + (note,)


class SinkMessage:
    """One message as saved by smtp-sink."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            data = f.read()
        head, _, rest = data.partition(b"\nReceived: from ")
        self.mail_from = None
        self.rcpts = []
        for line in head.split(b"\n"):
            if line.startswith(b"X-Mail-Args: "):
                self.mail_from = line[13:].decode().split()[0].strip("<>")
            elif line.startswith(b"X-Rcpt-Args: "):
                self.rcpts.append(line[13:].decode().split()[0].strip("<>"))
        # The sink's own Received header is three lines; the message follows.
        lines = rest.split(b"\n", 3)
        self.raw = lines[3] if len(lines) > 3 else b""
        if self.raw.endswith(b"\n\n"):
            self.raw = self.raw[:-1]  # the sink appends an empty line
        self.message = email.message_from_bytes(self.raw, policy=email.policy.default)
        # Postfix's Received: "(Postfix) with ESMTP id ID" for SMTP, and
        # "(Postfix, from userid N)\n\tid ID" for mail from sendmail (notices).
        m = re.search(rb"\(Postfix(?:, from userid \d+)?\)\s+(?:with E?SMTP )?id ([0-9A-Za-z]+)",
                      self.raw)
        self.queue_id = m.group(1).decode() if m else None

    def header(self, name):
        return self.message.get(name)

    def body_bytes(self):
        """The body as received, LF line ends (the sink drops CRs)."""
        return self.raw.split(b"\n\n", 1)[1] if b"\n\n" in self.raw else b""


class Sink:
    """smtp-sink on a loopback port, saving each message to its own file.

    PORT given: that port, and no other unless PORT_MAY_CHANGE.  When a
    start finds its port taken it moves to a free one and calls
    on_port_change(port), which Stack sets to point Postfix's relayhost there.
    """

    def __init__(self, workdir, dump=True, port=None, port_may_change=False):
        self.dump = dump
        self.dir = os.path.join(workdir, "sink")
        os.makedirs(self.dir)
        chown_to(self.dir, SINK_USER, "nogroup")
        self.log_path = os.path.join(workdir, "log", "sink.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.port_fixed = port is not None and not port_may_change
        self.port = port or free_port()
        self.on_port_change = None
        self.proc = None

    def start(self):
        if self.proc is not None:
            raise AssertionError("smtp-sink already started (pid %d)" % self.proc.pid)
        retry_ports("smtp-sink", self._start_once, None if self.port_fixed else self._repick)

    def _repick(self):
        self.port = free_port()
        if self.on_port_change:
            self.on_port_change(self.port)

    def _start_once(self):
        offset = log_size(self.log_path)
        self.log = open(self.log_path, "ab")
        dump = ["-d", self.dir + "/msg."] if self.dump else []
        self.proc = subprocess.Popen(
            ["smtp-sink", "-u", SINK_USER] + dump + ["127.0.0.1:%d" % self.port, "512"],
            stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_listening(self.proc, self.port, "smtp-sink", timeout=10,
                           log=lambda: read_text_from(self.log_path, offset))
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if self.proc:
            self.log.close()
        self.proc = None

    def files(self):
        return sorted(os.path.join(self.dir, n) for n in os.listdir(self.dir))

    def messages(self):
        return [SinkMessage(p) for p in self.files()]


MASTER_CF = """\
# Written by the sendwatch test harness.  chroot is off everywhere.
{smtpd}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# The queue and data directories postfix-script creates and checks; the
# format is Postfix's postfix-files(5).  Nothing else is needed to start.
POSTFIX_FILES = """\
$data_directory:d:$mail_owner:-:700:uc
$queue_directory:d:root:-:755:uc
$queue_directory/active:d:$mail_owner:-:700:ucr
$queue_directory/bounce:d:$mail_owner:-:700:ucr
$queue_directory/corrupt:d:$mail_owner:-:700:ucr
$queue_directory/defer:d:$mail_owner:-:700:ucr
$queue_directory/deferred:d:$mail_owner:-:700:ucr
$queue_directory/flush:d:$mail_owner:-:700:ucr
$queue_directory/hold:d:$mail_owner:-:700:ucr
$queue_directory/incoming:d:$mail_owner:-:700:ucr
$queue_directory/private:d:$mail_owner:-:700:uc
$queue_directory/maildrop:d:$mail_owner:$setgid_group:730:uc
$queue_directory/public:d:$mail_owner:$setgid_group:710:uc
$queue_directory/pid:d:root:-:755:uc
$queue_directory/saved:d:$mail_owner:-:700:ucr
$queue_directory/trace:d:$mail_owner:-:700:ucr
"""


class Postfix:
    """A private Postfix instance relaying everything to SINK_PORT.

    self.port is the main smtpd listener (main.cf's smtpd_milters): PORT, or
    a free one.  LISTENERS maps a name to the smtpd_milters of one more
    loopback listener ("" for none); self.listeners[name] is (port, milters).
    When start() finds a port taken it moves the listeners to free ports and
    rewrites master.cf - all but a PORT given without PORT_MAY_CHANGE.
    """

    def __init__(self, workdir, sink_port, smtpd_milters, main_extra=None,
                 listeners=None, port=None, port_may_change=False):
        self.workdir = workdir
        self.config_dir = os.path.join(workdir, "postfix")
        self.queue_dir = os.path.join(workdir, "queue")
        self.data_dir = os.path.join(workdir, "data")
        self.log_path = os.path.join(workdir, "log", "postfix.log")
        self.port_fixed = port is not None and not port_may_change
        self.port = port or free_port()
        self.listeners = {"default": (self.port, None)}
        for name, milters in (listeners or {}).items():
            self.listeners[name] = (free_port(), milters)
        os.makedirs(self.config_dir)
        os.makedirs(self.queue_dir)
        os.makedirs(self.data_dir)
        chown_to(self.data_dir, "postfix")
        # "postfix start" runs postsuper, which drops to mail_owner and, with
        # postlogd not up yet, opens maillog_file itself when it has something
        # to say - such as a maildrop file that sendmail is still writing (a
        # notice sent while Postfix was down).  A log file only root may write
        # makes that fatal, and the start fails.
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        open(self.log_path, "ab").close()
        chown_to(self.log_path, "postfix")
        settings = {
            "compatibility_level": "3.6",
            "meta_directory": self.config_dir,
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "mx.sendwatch.test",
            "mydomain": "sendwatch.test",
            "myorigin": "$mydomain",
            "mydestination": "",
            "relayhost": "[127.0.0.1]:%d" % sink_port,
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            "maillog_file": self.log_path,
            "maillog_file_prefixes": workdir,
            "enable_long_queue_ids": "yes",
            "smtpd_milters": smtpd_milters,
            # Local submissions (sendmail: notices, applications) pass
            # sendwatch too, as contrib/postfix sets it up.
            "non_smtpd_milters": smtpd_milters,
            "milter_default_action": "tempfail",
            "milter_protocol": "6",
            "message_size_limit": str(64 * 1024 * 1024),
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
        }
        # The send-hold header checks exactly as contrib/postfix ships them.
        for name in ("milter_header_checks", "smtp_header_checks"):
            shutil.copy(os.path.join(SOURCE_DIR, "contrib", "postfix", name),
                        os.path.join(self.config_dir, name))
            settings[name] = "regexp:" + os.path.join(self.config_dir, name)
        settings.update(main_extra or {})
        with open(os.path.join(self.config_dir, "main.cf"), "w", encoding="utf-8") as f:
            f.write("# Written by the sendwatch test harness.\n")
            for k, v in settings.items():
                f.write("%s = %s\n" % (k, v))
        self.write_master_cf()
        with open(os.path.join(self.config_dir, "postfix-files"), "w", encoding="utf-8") as f:
            f.write(POSTFIX_FILES)

    def write_master_cf(self):
        """master.cf with one smtpd per listener; None keeps main.cf's milters."""
        smtpd = []
        for port, milters in self.listeners.values():
            line = "127.0.0.1:%d inet n - n - - smtpd" % port
            if milters is not None:
                line += "\n  -o smtpd_milters=%s" % milters
            smtpd.append(line)
        with open(os.path.join(self.config_dir, "master.cf"), "w", encoding="utf-8") as f:
            f.write(MASTER_CF.format(smtpd="\n".join(smtpd)))

    def _postfix(self, *args, check=True):
        return subprocess.run(["postfix", "-c", self.config_dir] + list(args),
                              check=check, capture_output=True, text=True,
                              encoding="utf-8", errors="replace")

    def master_pid(self):
        """The PID in master.pid (which may be stale: see running())."""
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid"),
                      encoding="utf-8") as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running(self):
        pid = self.master_pid()
        return pid is not None and pid_alive(pid)

    def start(self):
        retry_ports("Postfix", self._start_once, self._repick)

    def _repick(self):
        """Free ports for every listener whose port may change; rewrites master.cf."""
        for name, (port, milters) in self.listeners.items():
            if name == "default":
                if self.port_fixed:
                    continue
                self.port = port = free_port()
            else:
                port = free_port()
            self.listeners[name] = (port, milters)
        self.write_master_cf()

    def _start_once(self):
        offset = log_size(self.log_path)
        r = self._postfix("start", check=False)
        if r.returncode != 0:
            # postfix start returns once master gave up; its reason may reach
            # the log a moment later.
            bind = r"fatal: bind 127\.0\.0\.1 port (\d+): Address already in use"

            def why_logged():
                text = read_text_from(self.log_path, offset)
                return (re.search(bind, text) or "startup failed" in text) and text
            try:
                log = poll(why_logged, 10, "Postfix to log why it did not start")
            except TimeoutError_:
                log = read_text_from(self.log_path, offset)
            m = re.search(bind, log)
            why = "postfix start failed: %s%s\nlog: %s" % (r.stdout, r.stderr, tail(log, 20))
            if not m:
                raise AssertionError(why)
            if int(m.group(1)) == self.port and self.port_fixed:
                raise AssertionError("%s\nport %d was given explicitly, so it is not changed"
                                     % (why, self.port))
            raise PortInUse("Postfix could not listen on port %s: the port is in use"
                            % m.group(1))
        # master binds every inet listener before postfix start returns; it
        # is master itself (not whoever took a port) that must hold them.
        pid = self.master_pid()
        for port, _ in self.listeners.values():
            poll(lambda: listens(pid, port), 20,
                 "Postfix master %s to listen on port %d" % (pid, port))

    def stop(self):
        pid = self.master_pid()
        if pid is None or not pid_alive(pid):
            return
        self._postfix("stop", check=False)
        poll(lambda: not pid_alive(pid), 30, "Postfix master %d to exit" % pid)

    def postconf(self, **settings):
        """Changes main.cf settings and reloads the running Postfix."""
        args = ["%s=%s" % kv for kv in settings.items()]
        subprocess.run(["postconf", "-c", self.config_dir, "-e"] + args, check=True)
        if self.running():
            self._postfix("reload")

    def set_relay_port(self, port):
        """Relays to the sink on PORT from now on (the sink moved)."""
        self.postconf(relayhost="[127.0.0.1]:%d" % port)

    def flush(self):
        subprocess.run(["postqueue", "-c", self.config_dir, "-f"], check=True)

    def queue(self):
        """postqueue -j as a list of dicts (may be empty)."""
        r = subprocess.run(["postqueue", "-c", self.config_dir, "-j"],
                           capture_output=True, text=True, check=True,
                           encoding="utf-8", errors="replace")
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def log_text(self):
        return read_text(self.log_path)

    def sent_ids(self):
        """Queue IDs Postfix logged as delivered (status=sent)."""
        return re.findall(r"postfix/smtp\[\d+\]: (\w+): to=.* status=sent", self.log_text())

    def submit(self, sender, recipients, message, port=None):
        """Sends MESSAGE (bytes or str) over SMTP; returns the queue ID.

        SMTP errors propagate as smtplib exceptions, which carry the code.
        """
        if isinstance(message, str):
            message = message.encode()
        with smtplib.SMTP("127.0.0.1", port or self.port, timeout=120,
                          local_hostname=CLIENT_NAME) as smtp:
            smtp.ehlo("client.sendwatch.test")
            code, resp = smtp.mail(sender)
            if code >= 400:
                raise smtplib.SMTPSenderRefused(code, resp, sender)
            for r in recipients:
                code, resp = smtp.rcpt(r)
                if code >= 400:
                    raise smtplib.SMTPRecipientsRefused({r: (code, resp)})
            code, resp = smtp.data(message)
            if code != 250:
                raise smtplib.SMTPDataError(code, resp)
            m = re.search(rb"queued as (\w+)", resp)
            return m.group(1).decode() if m else None


class Milter:
    """One of our daemons in the foreground (sendwatch-milter by default;
    sendwatch-holdd and the bench's nullmilter too), logging to LOG_PATH.

    Every exit of a process it started is recorded with the status it was
    expected to have; check_exits() (which Stack.stop() calls) fails on any
    other.  The expected status is 0 - unless a test kills the daemon on
    purpose and says so: kill(), or stop(sig, expect=...).
    """

    def __init__(self, workdir, config_path, program=None, args=None, wrapper=None,
                 log_path=None, env=None):
        self.workdir = workdir
        self.env = env  # added to the environment (e.g. NOTIFY_SOCKET)
        self.config_path = config_path
        self.program = program or binary("sendwatch-milter")
        self.name = os.path.basename(self.program)
        self.args = args if args is not None else ["-f", "-c", config_path]
        self.wrapper = wrapper or []
        self.log_path = log_path or os.path.join(workdir, "log", "milter.log")
        self.proc = None
        self.exits = []  # [status, expected, pid, checked] per process ended

    def start(self, socket_path):
        if self.proc is not None:
            if self.proc.poll() is None:
                raise AssertionError("%s already running (pid %d)" % (self.name, self.proc.pid))
            self._ended(0)  # it died on its own since: check_exits() judges it
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        if os.path.exists(socket_path):
            os.unlink(socket_path)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.wrapper + [self.program] + self.args,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **self.env) if self.env else None)
        poll(lambda: os.path.exists(socket_path) or self.proc.poll() is not None, 60,
             "the %s socket %s" % (self.name, socket_path))
        if self.proc.poll() is not None:
            pid, rc = self.proc.pid, self._ended(0)
            self.exits[-1][3] = True  # reported here, not again by check_exits()
            raise AssertionError("%s (pid %d) exited with %s while starting; %s" % (
                self.name, pid, describe_status(rc), self.log_tail()))

    def _ended(self, expected):
        """Records the exit of the process (which has ended); returns its status."""
        self.log.close()
        rc, pid, self.proc = self.proc.returncode, self.proc.pid, None
        self.exits.append([rc, expected, pid, False])
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=60, expect=0):
        """Stops the daemon with SIG; returns its exit status (negative: killed by
        a signal), or None if it was not started.

        EXPECT is the status check_exits() accepts for this exit.  A process
        that had already died is judged by the same EXPECT.
        """
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._ended(expect)
                self.exits[-1][3] = True
                raise AssertionError("%s did not stop within %d s of %s; killed; %s" % (
                    self.name, timeout, sig.name, self.log_tail())) from None
        return self._ended(expect)

    def kill(self):
        """Kills the daemon with SIGKILL on purpose (a crash the test makes).

        Returns its status; check_exits() accepts -SIGKILL for this one exit.
        """
        return self.stop(signal.SIGKILL, expect=-signal.SIGKILL)

    def exit_errors(self):
        """A message for each recorded exit, not yet checked, whose status was
        not the expected one; marks all recorded exits checked."""
        errors = []
        for record in self.exits:
            rc, expected, pid, checked = record
            if not checked and rc != expected:
                errors.append("%s (pid %d) exited with %s, expected %s; %s" % (
                    self.name, pid, describe_status(rc), describe_status(expected),
                    self.log_tail()))
            record[3] = True
        return errors

    def check_exits(self):
        """Fails (AssertionError) unless every process ended so far exited with
        the status it was expected to (0 unless the test said otherwise)."""
        errors = self.exit_errors()
        if errors:
            raise AssertionError("\n".join(errors))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        return read_text(self.log_path)

    def log_tail(self):
        return "the end of %s:\n%s" % (self.log_path, tail(self.log_text()))


def describe_status(rc):
    """An exit status as Popen gives it, in words."""
    if rc is not None and rc < 0:
        try:
            return "status %d (killed by %s)" % (rc, signal.Signals(-rc).name)
        except ValueError:
            pass
    return "status %s" % rc


class NotifySocket:
    """What systemd's notify socket would receive from a daemon (sd_notify):
    a datagram socket in WORKDIR whose messages a thread keeps, each with
    the time it came.  env() is what to start the daemon with: NOTIFY_SOCKET,
    and WATCHDOG_USEC when WATCHDOG_SECONDS is given."""

    def __init__(self, workdir, name, watchdog_seconds=None):
        self.path = os.path.join(workdir, "run", "notify-%s.sock" % name)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)  # the daemon sends as run_user after the drop
        self.watchdog_seconds = watchdog_seconds
        self.messages = []  # (time, text)
        self.lock = threading.Lock()
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            with self.lock:
                self.messages.append((time.time(), data.decode(errors="replace")))

    def env(self):
        e = {"NOTIFY_SOCKET": self.path}
        if self.watchdog_seconds:
            e["WATCHDOG_USEC"] = str(int(self.watchdog_seconds * 1e6))
        return e

    def times(self, word):
        """When messages saying WORD (e.g. "READY=1", "WATCHDOG=1") came."""
        with self.lock:
            return [t for t, m in self.messages if word in m.split("\n")]

    def close(self):
        self.sock.close()


class Stack:
    """Postfix + sink + sendwatch-milter, wired together in one workdir.

    CONFIG_EXTRA adds sendwatch.conf lines; MAIN_EXTRA adds main.cf settings;
    LISTENERS adds smtpd ports with their own smtpd_milters (see Postfix);
    SINK_DUMP=False makes the sink count messages without saving them;
    WORKDIR, SMTPD_PORT and SINK_PORT replace the temporary ones (the demo);
    the ports are then used as given unless PORTS_MAY_CHANGE;
    RULES maps file names in rules_dir to their text; HOLDD also runs
    sendwatch-holdd (started after Postfix, stopped before it); WEB also runs
    sendwatch-web on WEB_PORT (default: a free one), its links' base URL, with
    /metrics on METRICS_PORT (default: a free one).

    stop() fails unless every daemon exited with status 0 (see Milter).
    Used as a context manager (with stack: ...) it stops on leaving, and an
    error from stopping does not hide the one that ended the block.
    """

    def __init__(self, tag, config_extra=None, main_extra=None, milter_wrapper=None,
                 listeners=None, sink_dump=True, workdir=None, smtpd_port=None,
                 sink_port=None, rules=None, holdd=False, ports_may_change=False,
                 web=False, web_port=None, metrics_port=None):
        check_setup()
        self.workdir = workdir or make_workdir(tag)
        for d in ("log", "run", "state", "tmp", "quarantine"):
            os.makedirs(os.path.join(self.workdir, d))
        for d in ("tmp", "state", "quarantine", "run"):
            chown_to(os.path.join(self.workdir, d), RUN_USER)
        os.chmod(os.path.join(self.workdir, "tmp"), 0o700)
        os.chmod(os.path.join(self.workdir, "run"), 0o755)
        # What an admin keeps in /etc/sendwatch - config, rules, notice
        # templates, the link key - lives in a directory only root can
        # enter, as in a checkout under /root: the daemons must read it all
        # before they drop to the run user, and reload through root.
        self.etc = os.path.join(self.workdir, "etc")
        os.makedirs(os.path.join(self.etc, "rules"))
        os.chmod(self.etc, 0o700)
        self.rules_dir = os.path.join(self.etc, "rules")
        self.templates_dir = os.path.join(self.etc, "templates")
        shutil.copytree(os.path.join(SOURCE_DIR, "templates"), self.templates_dir)
        self.key_path = os.path.join(self.etc, "web.key")
        self.quarantine_dir = os.path.join(self.workdir, "quarantine")
        for name, text in (rules or {}).items():
            self.write_rules(name, text)
        self.socket_path = os.path.join(self.workdir, "run", "milter.sock")
        self.config_path = os.path.join(self.etc, "sendwatch.conf")
        settings = {
            "milter_socket": "unix:" + self.socket_path,
            "state_dir": os.path.join(self.workdir, "state"),
            "temp_dir": os.path.join(self.workdir, "tmp"),
            "run_user": RUN_USER,
            "syslog_name": "sendwatch-test",
            "milter_pid_file": os.path.join(self.workdir, "run", "milter.pid"),
            "rules_dir": self.rules_dir,
            "notice_template_dir": self.templates_dir,
            "web_key_file": self.key_path,
            "quarantine_dir": os.path.join(self.workdir, "quarantine"),
            "internal_domains": "corp.sendwatch.test",
            "holdd_socket": os.path.join(self.workdir, "run", "holdd.sock"),
            "holdd_pid_file": os.path.join(self.workdir, "run", "holdd.pid"),
            "postfix_config_dir": os.path.join(self.workdir, "postfix"),
            "holdd_helper": binary("sendwatch-helper"),
        }
        self.holdd_socket = settings["holdd_socket"]
        self.admins_path = os.path.join(self.etc, "admins")
        settings["admins_file"] = self.admins_path
        settings["web_pid_file"] = os.path.join(self.workdir, "run", "web.pid")
        self.web_pid_file = settings["web_pid_file"]
        self.web_port = None
        self.metrics_port = None
        if web:
            self.web_port = web_port or free_port()
            settings["web_listen"] = "127.0.0.1:%d" % self.web_port
            settings["web_base_url"] = "http://127.0.0.1:%d" % self.web_port
            self.metrics_port = metrics_port or free_port()
            settings["metrics_listen"] = "127.0.0.1:%d" % self.metrics_port
        settings.update(config_extra or {})
        with open(self.config_path, "w", encoding="utf-8") as f:
            for k, v in settings.items():
                f.write("%s = %s\n" % (k, v))
        r = self.sendwatch("key", "new")
        if r.returncode != 0:
            raise AssertionError("sendwatch key new: " + r.stdout + r.stderr)
        self.sink = Sink(self.workdir, dump=sink_dump, port=sink_port,
                         port_may_change=ports_may_change)
        self.postfix = Postfix(self.workdir, self.sink.port,
                               "unix:" + self.socket_path, main_extra, listeners,
                               port=smtpd_port, port_may_change=ports_may_change)
        self.sink.on_port_change = self.postfix.set_relay_port
        self.milter = Milter(self.workdir, self.config_path, wrapper=milter_wrapper)
        self.web = None
        if web:
            self.web = Milter(self.workdir, self.config_path,
                              program=binary("sendwatch-web"),
                              log_path=os.path.join(self.workdir, "log", "web.log"))
        self.holdd = None
        if holdd:
            self.holdd = Milter(self.workdir, self.config_path,
                                program=binary("sendwatch-holdd"),
                                log_path=os.path.join(self.workdir, "log", "holdd.log"))

    def daemons(self):
        return [d for d in (self.milter, self.holdd, self.web) if d is not None]

    def web_url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.web_port, path)

    def start(self):
        try:
            self.sink.start()
            self.milter.start(self.socket_path)
            self.postfix.start()
            if self.holdd:
                self.holdd.start(self.holdd_socket)
            if self.web:
                # Its pid file is written once it serves.
                self.web.start(self.web_pid_file)
        except BaseException:
            try:
                self.stop()
            except Exception as e:  # the first error is the one to report
                print("while cleaning up: %s" % e, file=sys.stderr)
            raise
        return self

    def stop(self):
        """Stops holdd, Postfix, the milter and the sink - each one even when
        stopping another failed - and then fails unless every daemon started
        (the milter, holdd) exited with status 0, or with what the test said
        to expect when it killed one on purpose (Milter.kill()).

        The first error is raised, with any later ones added as notes.
        Returns the milter's exit status (None if the test had stopped it).
        """
        errors = []
        rc = None

        def step(action):
            try:
                return action()
            except Exception as e:
                errors.append(e)
                return None

        if self.web:
            step(self.web.stop)
        if self.holdd:
            step(self.holdd.stop)
        step(self.postfix.stop)
        rc = step(self.milter.stop)
        step(self.sink.stop)
        exit_errors = [m for d in self.daemons() for m in d.exit_errors()]
        if exit_errors:
            errors.append(AssertionError("\n".join(exit_errors)))
        if errors:
            for e in errors[1:]:
                add_note(errors[0], "also, while stopping the stack: %s: %s"
                         % (type(e).__name__, e))
            raise errors[0]
        return rc

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            self.stop()
            return False
        try:
            self.stop()
        except Exception as e:  # the block's own error is the first: keep it
            add_note(exc, "also, while stopping the stack: %s: %s" % (type(e).__name__, e))
        return False

    def write_rules(self, name, text):
        """Writes rules_dir/NAME (in the root-only etc directory)."""
        path = os.path.join(self.rules_dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o644)

    def sendwatch(self, *args, stdin=None):
        """Runs the sendwatch command with this stack's config (STDIN: its input)."""
        return subprocess.run([binary("sendwatch"), "-c", self.config_path] + list(args),
                              capture_output=True, text=True, encoding="utf-8",
                              errors="replace", timeout=120, input=stdin)

    def delivered(self):
        """The sink's messages that Postfix has logged as sent.

        smtp-sink writes a file while the message streams in and closes it
        before it answers 250, and Postfix logs status=sent after the 250:
        so a message whose queue ID is logged as sent is complete.
        """
        sent = set(self.postfix.sent_ids())
        return [m for m in self.sink.messages() if m.queue_id in sent]

    def wait_delivered(self, count, timeout=60):
        """Waits until COUNT messages were delivered; returns them."""
        return poll(lambda: len(self.delivered()) >= count and self.delivered(), timeout,
                    "%d deliveries (%s)" % (count, self.where()))

    def find(self, message_id, timeout=60):
        """Waits for the delivered message with MESSAGE_ID and returns it."""
        def found():
            for m in self.delivered():
                if m.header("Message-ID") == message_id:
                    return m
            return None
        return poll(found, timeout, "%s at the sink (%s)" % (message_id, self.where()))

    def where(self):
        return "workdir %s (postfix log, milter log and sink files)" % self.workdir


def make_message(subject, body, sender="alice@corp.sendwatch.test",
                 to="bob@partner.example", extra_headers=()):
    """A simple RFC 5322 message with CRLF line ends, as bytes."""
    lines = ["From: <%s>" % sender, "To: <%s>" % to, "Subject: %s" % subject,
             "Message-ID: <%s@sendwatch.test>" % subject.replace(" ", "-"),
             "Date: Sat, 28 Nov 2026 06:00:00 +0000", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=us-ascii"]
    lines.extend(extra_headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def main():
    """unittest.main() that keeps the workdirs of a failed run and says where."""
    prog = unittest.main(exit=False, verbosity=2)
    ok = prog.result.wasSuccessful()
    if ok and not os.environ.get("SENDWATCH_KEEP"):
        for d in _workdirs:
            shutil.rmtree(d, ignore_errors=True)
    elif _workdirs:
        print("kept for inspection (logs in */log/):", file=sys.stderr)
        for d in _workdirs:
            print("  " + d, file=sys.stderr)
    sys.exit(0 if ok else 1)
