#!/usr/bin/python3
"""Builds the name samples in testdata/view/.

Run from anywhere; it rewrites the name_*.eml files next to it.  The
messages are committed, this script says how they were made.

name_*: attachment names as crafted senders write them (a NUL in RFC 2231
and in an RFC 2047 encoded-word, name= and filename= that disagree either
way, an upper-case extension, a Japanese ISO-2022-JP RFC 2231 name in
continuations, a control character in a zip entry name).
"""

import base64
import io
import os
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "view")
HEAD = ("From: alice@corp.example\r\nTo: bob@partner.example\r\n"
        "Subject: %s\r\nMessage-ID: <%s@corp.example>\r\nMIME-Version: 1.0\r\n")


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def with_attachment(subject, part_headers, data=b"MZ not really a program\r\n"):
    """A multipart/mixed message: a text part and one base64 attachment."""
    b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return (HEAD % (subject, subject.replace(" ", "-")) +
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            "--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nsee attached\r\n"
            "--b\r\n" + part_headers + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            b64 + "--b--\r\n")


def write(name, text):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)


def names():
    write("name_2231_nul.eml", with_attachment(
        "nul in rfc 2231",
        "Content-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''report.txt%00.exe"))
    word = base64.b64encode(b"report.txt\0.exe").decode()
    write("name_2047_nul.eml", with_attachment(
        "nul in an encoded-word",
        "Content-Type: application/octet-stream; name=\"=?UTF-8?B?%s?=\"\r\n"
        "Content-Disposition: attachment" % word))
    write("name_mismatch.eml", with_attachment(
        "name and filename disagree",
        "Content-Type: application/octet-stream; name=\"a.txt\"\r\n"
        "Content-Disposition: attachment; filename=\"a.exe\""))
    # The other way round: the name a scanner preferring filename= sees is
    # harmless, the one a client preferring name= shows is a program.
    write("name_mismatch_reverse.eml", with_attachment(
        "name and filename disagree the other way",
        "Content-Type: application/octet-stream; name=\"a.exe\"\r\n"
        "Content-Disposition: attachment; filename=\"a.txt\""))
    write("name_upper.eml", with_attachment(
        "upper-case extension",
        "Content-Type: application/octet-stream; name=\"SETUP.EXE\"\r\n"
        "Content-Disposition: attachment; filename=\"SETUP.EXE\""))
    # 社外秘.xlsx as Thunderbird writes a long ISO-2022-JP name: RFC 2231
    # continuations, the escape sequences percent-encoded, the last one plain.
    jis = "社外秘".encode("iso2022_jp")
    pct = "".join("%%%02X" % b for b in jis)
    write("name_ja_2231.eml", with_attachment(
        "japanese rfc 2231 name",
        "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
        "Content-Disposition: attachment;\r\n filename*0*=ISO-2022-JP''%s;\r\n"
        " filename*1*=%s;\r\n filename*2=\".xlsx\"" % (pct[:15], pct[15:]),
        b"PK not really a workbook\r\n"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        entry = zipfile.ZipInfo("notes.txt\x01.EXE", date_time=(2026, 1, 5, 9, 0, 0))
        z.writestr(entry, b"MZ not really a program\r\n")
    write("name_in_zip.eml", with_attachment(
        "control character in a zip entry",
        "Content-Type: application/zip; name=\"notes.zip\"", buf.getvalue()))


def main():
    names()


if __name__ == "__main__":
    main()
