#!/usr/bin/python3
"""cmake --install puts programs, man pages and the sample config in place,
and never overwrites an admin's existing /etc/sendwatch/sendwatch.conf."""

import glob
import os
import subprocess
import unittest

import swtest


class Install(unittest.TestCase):
    def install(self, destdir):
        env = dict(os.environ, DESTDIR=destdir)
        r = subprocess.run(["cmake", "--install", swtest.BUILD_DIR, "--prefix", "/usr"],
                           env=env, capture_output=True, text=True, encoding="utf-8",
                           errors="replace")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_install_layout(self):
        dest = swtest.make_workdir("install")
        self.install(dest)
        for path in ("usr/sbin/sendwatch-milter", "usr/sbin/sendwatch",
                     "usr/share/man/man8/sendwatch.8", "usr/share/man/man8/sendwatch-milter.8",
                     "usr/share/man/man5/sendwatch.conf.5", "usr/share/man/man5/sendwatch.rules.5",
                     "usr/share/sendwatch/sendwatch.conf.sample",
                     "usr/share/sendwatch/contrib/bypass/sendwatch-bypass",
                     "usr/share/sendwatch/contrib/postfix/main.cf.sendwatch",
                     "usr/share/sendwatch/rules/30-confidential.rules",
                     "usr/sbin/sendwatch-holdd", "usr/share/man/man8/sendwatch-holdd.8",
                     "usr/share/sendwatch/contrib/postfix/milter_header_checks",
                     "usr/share/sendwatch/contrib/postfix/smtp_header_checks",
                     "usr/share/sendwatch/templates/hold-notice.ja.txt",
                     "etc/sendwatch/templates/hold-notice.ja.txt",
                     "etc/sendwatch/templates/hold-notice.en.txt",
                     "etc/sendwatch/templates/password-notice.ja.txt",
                     "etc/sendwatch/templates/password-notice.en.txt",
                     "etc/sendwatch/templates/signin-notice.ja.txt",
                     "etc/sendwatch/templates/signin-notice.en.txt",
                     "usr/sbin/sendwatch-web", "usr/share/man/man8/sendwatch-web.8",
                     "usr/sbin/sendwatch-bypass", "usr/share/man/man8/sendwatch-bypass.8",
                     "usr/lib/systemd/system/sendwatch-milter.service",
                     "usr/lib/systemd/system/sendwatch-holdd.service",
                     "usr/lib/systemd/system/sendwatch-web.service",
                     "usr/lib/tmpfiles.d/sendwatch.conf", "usr/lib/sysusers.d/sendwatch.conf",
                     "etc/sendwatch/sendwatch.conf", "etc/sendwatch/rules"):
            self.assertTrue(os.path.exists(os.path.join(dest, path)), "missing " + path)
        self.assertTrue(os.access(os.path.join(dest, "usr/share/sendwatch/contrib/bypass/"
                                               "sendwatch-bypass"), os.X_OK))
        self.assertFalse(glob.glob(os.path.join(dest, "usr/share/sendwatch/contrib/systemd",
                                                "*.in")), "unit templates installed")
        # The units name the programs where they were installed, and systemd
        # finds nothing wrong with them.
        sbin = swtest.cmake_cache("CMAKE_INSTALL_PREFIX") + "/sbin"
        for unit in ("sendwatch-milter", "sendwatch-holdd", "sendwatch-web"):
            path = os.path.join(dest, "usr/lib/systemd/system", unit + ".service")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            self.assertIn("ExecStart=%s/%s -f\n" % (sbin, unit), text)
            self.assertIn("Type=notify\n", text)
            self.assertIn("WatchdogSec=", text)
            # systemd-analyze checks the unit against this host's systemd,
            # the program where DESTDIR put it (the booted container of
            # test_systemd verifies the package's units in place).
            check = os.path.join(dest, unit + ".service")
            with open(check, "w", encoding="utf-8") as f:
                f.write(text.replace("ExecStart=%s/" % sbin, "ExecStart=%s%s/" % (dest, sbin)))
            r = subprocess.run(["systemd-analyze", "verify", "--man=no", check],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, unit + ": " + r.stdout + r.stderr)
            self.assertEqual(r.stdout + r.stderr, "", unit)
        # The installed program reads the installed config; no rule is enabled.
        r = subprocess.run([os.path.join(dest, "usr/sbin/sendwatch"), "-c",
                            os.path.join(dest, "etc/sendwatch/sendwatch.conf"), "config"],
                           capture_output=True, text=True, encoding="utf-8", errors="replace")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("rules_dir = /etc/sendwatch/rules\n", r.stdout)
        self.assertEqual(os.listdir(os.path.join(dest, "etc/sendwatch/rules")), [])

        # An admin's edits survive a reinstall.
        live = os.path.join(dest, "etc/sendwatch/sendwatch.conf")
        with open(live, "w", encoding="utf-8") as f:
            f.write("message_memory_limit = 4m\n")
        self.install(dest)
        with open(live, encoding="utf-8") as f:
            self.assertEqual(f.read(), "message_memory_limit = 4m\n")


if __name__ == "__main__":
    swtest.main()
