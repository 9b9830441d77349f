#!/usr/bin/python3
"""Daemon mode, as an init script runs them: no -f, logging to syslog.

sendwatch-milter and sendwatch-holdd are started without -f.  Each must
detach (the command returns 0 at once), write its pid file, keep logging to
syslog after it has become a daemon and dropped its privileges, do its work
(mail held, its notice sent), and on SIGTERM log that it stopped and remove
its pid file.

syslog here is a datagram socket of the test's own, which the daemons see
as /dev/log: they run in a mount namespace of their own (its mounts
private, so nothing reaches the machine's), whose /dev is a
directory of the test's (null, zero, random, urandom bound from the real
/dev, and log).  Nothing on the machine is changed, and the test works
whether or not the machine runs a syslog daemon.
"""

import os
import re
import signal
import socket
import subprocess
import threading
import unittest

import swtest

SENDER = "alice@corp.sendwatch.test"

# In a private mount namespace: a /dev of our own, whose log is LOG_SOCKET.
PRIVATE_DEV = """set -e
dev=$1 log=$2; shift 2
# Nothing done here may reach the machine's own mounts.  In a chroot "/" is
# no mount point, so the /dev it has is made private instead.
mount --make-rprivate / 2>/dev/null || mount --make-rprivate /dev
for n in null zero random urandom; do : > "$dev/$n"; mount --bind "/dev/$n" "$dev/$n"; done
ln -s "$log" "$dev/log"
mount --rbind "$dev" /dev
exec "$@"
"""


class Syslog:
    """Collects what is sent to a datagram socket, as syslogd would."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)  # the daemons write as the run user, too
        self.lines = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            with self.lock:
                self.lines.append(data.decode("utf-8", "replace"))

    def text(self):
        with self.lock:
            return "\n".join(self.lines)

    def close(self):
        self.sock.close()


def read_pid(path):
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


class DaemonMode(unittest.TestCase):
    def test_daemons_detach_log_to_syslog_and_stop(self):
        stack = swtest.Stack("daemon", holdd=True, config_extra={
            "hold_enable": "yes", "hold_scope": "all", "language": "en"})
        run = os.path.join(stack.workdir, "run")
        syslog = Syslog(os.path.join(stack.workdir, "syslog.sock"))
        pids = {}
        try:
            stack.sink.start()
            stack.postfix.start()
            for name in ("milter", "holdd"):
                program = swtest.binary("sendwatch-" + name)
                dev = os.path.join(stack.workdir, "dev-" + name)
                os.makedirs(dev)
                r = subprocess.run(["unshare", "--mount", "--propagation", "unchanged",
                                    "sh", "-c", PRIVATE_DEV, "sh", dev, syslog.path,
                                    program, "-c", stack.config_path],
                                   capture_output=True, text=True, timeout=60)
                # It detached: the command itself is done, and said nothing.
                self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""), name)
                pid_file = os.path.join(run, name + ".pid")
                pids[name] = swtest.poll(lambda: read_pid(pid_file), 30,
                                         "%s's pid file" % name)
                self.assertTrue(swtest.pid_alive(pids[name]), name)
                swtest.poll(lambda: re.search(r"sendwatch-test/%s\[%d\]: starting" % (
                    name, pids[name]), syslog.text()), 30, "%s's start in syslog" % name)
            swtest.poll(lambda: os.path.exists(stack.socket_path), 30, "the milter socket")

            # It works as a daemon: held, and the notice sent, both logged.
            qid = stack.postfix.submit(SENDER, ["bob@partner.example"],
                                       swtest.make_message("daemon mode", b"x\r\n"))
            swtest.poll(lambda: any(e["queue_id"] == qid and e["queue_name"] == "hold"
                                    for e in stack.postfix.queue()), 30, "%s in HOLD" % qid)
            notice = swtest.poll(lambda: next((m for m in stack.delivered()
                                               if m.header("X-Sendwatch-Notice") == "hold"),
                                              None), 60, "the hold notice")
            self.assertIn("daemon mode", notice.header("Subject"))
            swtest.poll(lambda: re.search(r"sendwatch-test/milter\[%d\]: %s: hold: " % (
                pids["milter"], qid), syslog.text()), 30, "the milter's hold line")
            swtest.poll(lambda: re.search(r"sendwatch-test/holdd\[%d\]: %s: hold notice sent"
                                          % (pids["holdd"], qid), syslog.text()), 30,
                        "holdd's notice line")
            # Mail facility, as the docs say: <PRI> = 2 (mail) * 8 + severity.
            self.assertRegex(syslog.text(), r"<(1[6-9]|2[0-3])>\S.*sendwatch-test/milter\[")
        finally:
            for name, pid in pids.items():
                if swtest.pid_alive(pid):
                    os.kill(pid, signal.SIGTERM)
            for name, pid in pids.items():
                swtest.poll(lambda: not swtest.pid_alive(pid), 60, "%s to stop" % name)
            stack.stop()
            text = syslog.text()
            syslog.close()
        for name, pid in pids.items():
            self.assertRegex(text, r"sendwatch-test/%s\[%d\]: stopped" % (name, pid))
            self.assertFalse(os.path.exists(os.path.join(run, name + ".pid")), name)


if __name__ == "__main__":
    swtest.main()
