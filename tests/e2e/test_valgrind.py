#!/usr/bin/python3
"""sendwatch-milter under valgrind: no memory errors, no leaks, after real mail."""

import os
import smtplib
import unittest

import swtest


class ValgrindClean(unittest.TestCase):
    def test_milter_is_valgrind_clean(self):
        stack = swtest.Stack("valgrind", config_extra={"message_memory_limit": "64k"},
                             milter_wrapper=[
                                 "valgrind", "--quiet", "--error-exitcode=99",
                                 "--leak-check=full", "--show-leak-kinds=definite,indirect",
                                 "--errors-for-leak-kinds=definite,indirect",
                                 "--track-fds=no"])
        stack.start()
        try:
            # In memory, spilled, a multi-message session and an abandoned one.
            stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                 swtest.make_message("vg small", b"small\r\n"))
            stack.postfix.submit("alice@corp.sendwatch.test", ["bob@partner.example"],
                                 swtest.make_message("vg large", b"z" * 78 + b"\r\n" * 5000
                                                     + b"y" * 200000 + b"\r\n"))
            with smtplib.SMTP("127.0.0.1", stack.postfix.port, timeout=120) as smtp:
                smtp.sendmail("alice@corp.sendwatch.test", ["carol@partner.example"],
                              swtest.make_message("vg multi 1", b"one\r\n"))
                smtp.mail("alice@corp.sendwatch.test")
                smtp.rcpt("bob@partner.example")
                smtp.rset()
                smtp.sendmail("alice@corp.sendwatch.test", ["carol@partner.example"],
                              swtest.make_message("vg multi 2", b"two\r\n"))
            stack.wait_delivered(4, timeout=120)
        finally:
            rc = stack.stop()
        self.assertEqual(rc, 0, "valgrind reported errors (exit %r):\n%s" % (
            rc, stack.milter.log_text()[-5000:]))


if __name__ == "__main__":
    swtest.main()
