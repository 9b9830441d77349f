#!/usr/bin/python3
"""Builds the name and unreadable-kind samples in testdata/view/.

Run from anywhere; it rewrites the name_*.eml and kind_*.eml files next to
it.  The messages are committed, this script says how they were made.

name_*: attachment names as crafted senders write them (a NUL in RFC 2231
and in an RFC 2047 encoded-word, name= and filename= that disagree either
way, an upper-case extension, a Japanese ISO-2022-JP RFC 2231 name in
continuations, a control character in a zip entry name).

kind_*: mail no one but its recipient can read, made by the real tools
with throwaway keys (openssl for S/MIME, gpg for OpenPGP), a
message/partial fragment and a message/external-body reference;
kind_signed_* are signed, not encrypted.
"""

import base64
import io
import os
import subprocess
import tempfile
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
    # A NUL inside a keyword of the name: "社<NUL>外秘.txt".
    write("name_2231_nul_keyword.eml", with_attachment(
        "nul inside a keyword",
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''%E7%A4%BE%00%E5%A4%96%E7%A7%98.txt",
        b"nothing secret in the text\r\n"))
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


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def smime(tmp):
    key, cert = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
        "-out", cert, "-subj", "/CN=bob@partner.example", "-days", "3650")
    inner = crlf("Content-Type: text/plain; charset=UTF-8\n\n社外秘: the real content\n")
    src = os.path.join(tmp, "inner.txt")
    with open(src, "w", encoding="utf-8") as f:
        f.write(inner)
    # openssl writes the whole message: headers (x-pkcs7-mime) and the blob.
    enc = run("openssl", "smime", "-encrypt", "-aes256", "-in", src, "-from",
              "alice@corp.example", "-to", "bob@partner.example", "-subject",
              "smime x-pkcs7-mime", cert).decode()
    write("kind_smime_x_pkcs7.eml", crlf("Message-ID: <smime-x@corp.example>\n" + enc))
    headers, blob = crlf(enc).split("\r\n\r\n", 1)
    # The same blob as RFC 8551 and Outlook label it.
    write("kind_smime_enveloped.eml", HEAD % ("smime enveloped", "smime-enveloped") +
          "Content-Type: application/pkcs7-mime; smime-type=enveloped-data;"
          " name=\"smime.p7m\"\r\n"
          "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
          "Content-Transfer-Encoding: base64\r\n\r\n" + blob)
    # Saved encrypted mail sent on as a plain attachment: only the name says it.
    write("kind_smime_p7m_attachment.eml", with_attachment(
        "p7m attachment",
        "Content-Type: application/octet-stream; name=\"smime.p7m\"\r\n"
        "Content-Disposition: attachment; filename=\"smime.p7m\"",
        base64.b64decode(blob)))
    signed = run("openssl", "smime", "-sign", "-nodetach", "-in", src, "-signer", cert,
                 "-inkey", key, "-from", "alice@corp.example", "-to",
                 "bob@partner.example", "-subject", "smime signed-data").decode()
    write("kind_signed_smime.eml", crlf("Message-ID: <smime-signed@corp.example>\n" + signed))


def pgp(tmp):
    home = os.path.join(tmp, "gnupg")
    os.mkdir(home, 0o700)
    gpg = ("gpg", "--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback",
           "--passphrase", "")
    run(*gpg, "--quick-gen-key", "bob@partner.example", "default", "default", "never")
    text = "社外秘: the real content\n".encode()
    armor = run(*gpg, "--trust-model", "always", "--encrypt", "--armor", "-r",
                "bob@partner.example", input=text).decode()
    write("kind_pgp_mime.eml", HEAD % ("pgp mime", "pgp-mime") +
          "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";"
          " boundary=\"e\"\r\n\r\n"
          "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
          "--e\r\nContent-Type: application/pgp-encrypted\r\n"
          "Content-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n"
          "--e\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
          "Content-Description: OpenPGP encrypted message\r\n"
          "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n" +
          crlf(armor) + "\r\n--e--\r\n")
    write("kind_pgp_inline.eml", HEAD % ("pgp inline", "pgp-inline") +
          "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + crlf(armor))
    clear = run(*gpg, "--clearsign", input=b"nothing secret here\n").decode()
    write("kind_signed_pgp.eml", HEAD % ("pgp clearsigned", "pgp-clearsigned") +
          "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + crlf(clear))


def partial():
    # Fragment 1 of 2 of a message, as RFC 2046 5.2.2 splits it.
    inner = crlf("Subject: quarterly figures\nMessage-ID: <whole@corp.example>\n"
                 "MIME-Version: 1.0\nContent-Type: text/plain\n\nfirst half of the text\n")
    write("kind_partial.eml", HEAD % ("quarterly figures (1/2)", "partial-1") +
          "Content-Type: message/partial; id=\"whole@corp.example\"; number=1; total=2\r\n"
          "\r\n" + inner)


def external_body():
    # The content is elsewhere (RFC 2046 5.2.3): a URL, an FTP or a local file.
    write("kind_external_body.eml", HEAD % ("figures, fetch them", "external-body") +
          "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
          "--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nsee the link\r\n"
          "--b\r\nContent-Type: message/external-body; access-type=URL;\r\n"
          " URL=\"https://files.example.net/figures.xlsx\"\r\n\r\n"
          "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
          "Content-ID: <figures@corp.example>\r\n\r\n"
          "--b--\r\n")


def main():
    names()
    with tempfile.TemporaryDirectory() as tmp:
        smime(tmp)
        pgp(tmp)
    partial()
    external_body()


if __name__ == "__main__":
    main()
