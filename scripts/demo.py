#!/usr/bin/python3
"""The local demo: a private Postfix + sendwatch (milter, holdd, web) + a sink, left running.

  demo.py start [--build DIR] [--dir DIR]   (re)start the demo
  demo.py stop [--dir DIR]                  stop what start started

It uses the end-to-end test harness (tests/harness/swtest.py), so the demo
is the same stack the tests drive.  Everything lives in one directory
(default /var/tmp/sendwatch-demo); the processes started are recorded in
demo.json there, and stop ends exactly those, by PID.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "harness"))
import swtest  # noqa: E402

DEFAULT_DIR = "/var/tmp/sendwatch-demo"
DEMO_RULES = """\
# Rules to try: see the README and sendwatch.rules(5) for more.
rule demo-confidential
    match subject,body,attachment-name,attachment-text keywords "社外秘" "confidential"
    action store confidential
    action deliver

rule demo-cards
    match body,attachment-text regex /\\b(?:\\d[ -]?){12,18}\\d\\b/ validate luhn
    action reject "Card numbers may not leave the company (sendwatch demo rule)"

rule demo-hold
    match subject keywords "hold me"
    action hold 2m

rule demo-encrypt
    match subject keywords "secure"
    action encrypt
"""
SMTPD_PORT = 2525
SINK_PORT = 2526
WEB_PORT = 8025
METRICS_PORT = 9925  # metrics_listen's default


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def stop(demo_dir):
    state_path = os.path.join(demo_dir, "demo.json")
    if not os.path.exists(state_path):
        print("no demo running in %s" % demo_dir)
        return
    with open(state_path, encoding="utf-8") as f:
        state = json.load(f)
    subprocess.run(["postfix", "-c", state["postfix_config"], "stop"],
                   capture_output=True)
    # The web and holdd first (holdd drives Postfix), the milter, the sink.
    for name in ("web", "holdd", "milter", "sink"):
        if name + "_pid" not in state:
            continue
        pid = state[name + "_pid"]
        # Only a PID that still runs the program we started is ours to end.
        if state[name + "_program"] in cmdline(pid):
            os.kill(pid, signal.SIGTERM)
            swtest.poll(lambda: not swtest.pid_alive(pid), 30, "%s %d to exit" % (name, pid))
    master = state.get("master_pid")
    if master:
        swtest.poll(lambda: not swtest.pid_alive(master), 30, "Postfix master to exit")
    os.unlink(state_path)
    print("demo stopped")


def start(demo_dir, build):
    swtest.BUILD_DIR = build
    if os.path.exists(os.path.join(demo_dir, "demo.json")):
        stop(demo_dir)
    shutil.rmtree(demo_dir, ignore_errors=True)
    os.makedirs(demo_dir)
    os.chmod(demo_dir, 0o755)
    smtpd_port = SMTPD_PORT if not swtest.port_open(SMTPD_PORT) else swtest.free_port()
    sink_port = SINK_PORT if not swtest.port_open(SINK_PORT) else swtest.free_port()
    web_port = WEB_PORT if not swtest.port_open(WEB_PORT) else swtest.free_port()
    metrics_port = (METRICS_PORT if not swtest.port_open(METRICS_PORT)
                    else swtest.free_port())
    # Should a port be taken between the check above and the bind, the
    # harness may move to another: the ports printed below are the real ones.
    stack = swtest.Stack("demo", workdir=demo_dir, smtpd_port=smtpd_port,
                         sink_port=sink_port, config_extra={"syslog_name": "sendwatch-demo"},
                         rules={"10-demo.rules": DEMO_RULES}, holdd=True,
                         ports_may_change=True, web=True, web_port=web_port,
                         metrics_port=metrics_port)
    # Notices in English; the harness gives the stack the source tree's
    # templates and a fresh link key, in its root-only etc directory.
    with open(stack.config_path, "a", encoding="utf-8") as f:
        f.write("language = en\nuser_settings_allowed = yes\n")
    # The console's first admin, with a fresh password shown once below.
    password = secrets.token_urlsafe(12)
    r = stack.sendwatch("admin", "add", "admin", "--role", "admin", stdin=password + "\n")
    if r.returncode != 0:
        sys.exit("demo: sendwatch admin add: " + r.stderr)
    stack.start()
    state = {
        "postfix_config": stack.postfix.config_dir,
        "master_pid": stack.postfix.master_pid(),
        "milter_pid": stack.milter.proc.pid,
        "milter_program": "sendwatch-milter",
        "sink_pid": stack.sink.proc.pid,
        "holdd_pid": stack.holdd.proc.pid,
        "holdd_program": "sendwatch-holdd",
        "sink_program": "smtp-sink",
        "web_pid": stack.web.proc.pid,
        "web_program": "sendwatch-web",
    }
    with open(os.path.join(demo_dir, "demo.json"), "w", encoding="utf-8") as f:
        json.dump(state, f, indent=2)
    print("""
sendwatch demo running in {dir}
  Postfix (private instance)  smtp://127.0.0.1:{port}   config {dir}/postfix
  sendwatch-milter            {conf}, log {dir}/log/milter.log
  sendwatch-holdd             releases held mail, log {dir}/log/holdd.log
  sendwatch-web               {web}  (admin console: {web}/admin, log {dir}/log/web.log)
                              sign in as "admin" with the password {password}
                              Prometheus metrics: {metrics}/metrics (loopback only)
  the internet (smtp-sink)    127.0.0.1:{sink}, saves each message in {dir}/sink/

Send a mail through it:
  swaks --server 127.0.0.1:{port} --from alice@corp.example --to bob@partner.example \\
        --header "Subject: hello from the sendwatch demo"

See what arrived, and what sendwatch and Postfix logged:
  ls -l {dir}/sink/ && cat {dir}/sink/msg.*
  cat {dir}/log/milter.log {dir}/log/postfix.log

Try the demo rules ({rules}/10-demo.rules):
  swaks --server 127.0.0.1:{port} --from alice@corp.example --to bob@partner.example \\
        --header "Subject: plan" --body "This plan is confidential."
      -> delivered, and a copy kept:  {sw} -c {conf} quarantine list
  swaks --server 127.0.0.1:{port} --from alice@corp.example --to bob@partner.example \\
        --body "card 4111 1111 1111 1111"
      -> rejected: 550 5.7.1 Card numbers may not leave the company
  swaks --server 127.0.0.1:{port} --from alice@corp.example --to bob@partner.example \\
        --header "Subject: hold me"
      -> held for 2 minutes; alice gets a notice (in {dir}/sink/) whose send-now and
         delete links open pages of sendwatch-web; the held queue is also at {web}/admin/held:
         {sw} -c {conf} held list
         {sw} -c {conf} held release QUEUE_ID     (or: delete, reschedule)
  swaks --server 127.0.0.1:{port} --from alice@corp.example --to bob@partner.example \\
        --header "Subject: secure quote" --attach /etc/os-release
      -> the attachment arrives sealed in an AES-256 zip (os-release.zip); alice gets
         the password in a separate notice, [Password] secure quote (in {dir}/sink/)
  {sw} -c {conf} test SOME.eml     what the rules make of a saved message

Local programs are inspected too (Postfix's non_smtpd_milters):
  printf 'Subject: from a script\n\nThis is confidential.\n' | \
      sendmail -C {dir}/postfix -f alice@corp.example bob@partner.example
  {sw} -c {conf} audit          who changed what (web, admins, automatic bypass)

Stop it:  scripts/demo stop
""".format(dir=demo_dir, port=stack.postfix.port, sink=stack.sink.port,
           sw=swtest.binary("sendwatch"), conf=stack.config_path, rules=stack.rules_dir,
           web=stack.web_url(), password=password,
           metrics="http://127.0.0.1:%d" % stack.metrics_port))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=("start", "stop"))
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("demo: run as root (it starts a private Postfix)")
    if args.action == "start":
        start(os.path.abspath(args.dir), os.path.abspath(args.build))
    else:
        stop(os.path.abspath(args.dir))


if __name__ == "__main__":
    main()
