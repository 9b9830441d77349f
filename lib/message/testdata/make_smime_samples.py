#!/usr/bin/python3
"""Builds the S/MIME samples in testdata/view/ whose content the view reads.

Run from anywhere; it rewrites the smime_*.eml files next to it.  The
messages are committed, this script says how they were made.  The key and
certificate are throwaway ones made on each run, so every run changes the
signatures' bytes.

smime_signed*: opaque signed mail (the signed entity inside the CMS
SignedData), as `openssl cms -sign -nodetach` writes it (definite lengths,
and BER with indefinite lengths and a chunked eContent with -stream), as
`openssl smime -sign -nodetach` writes it (application/x-pkcs7-mime), and
the same DER as a plain smime.p7m attachment without smime-type.

smime_compressed*: RFC 3274 compressed-data.  Debian 12's OpenSSL is built
without zlib (`openssl cms -compress` fails: "unsupported compression
algorithm"), so the CompressedData DER is written here by hand with
Python's zlib; a sample too compressible for the view's ratio limit; one
whose zlib stream is cut; a SignedData that encapsulates a CompressedData
(`openssl cms -sign -econtent_type`).

smime_enveloped.eml: `openssl cms -encrypt` (unreadable: encrypted-message).
smime_garbage.eml: smime-type=signed-data over bytes that are no CMS.
smime_deep.eml: signed five times over, deeper than the tests' max_depth.
"""

import base64
import os
import subprocess
import tempfile
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "view")
HEAD = ("From: alice@corp.example\r\nTo: bob@partner.example\r\n"
        "Subject: %s\r\nMessage-ID: <%s@corp.example>\r\nMIME-Version: 1.0\r\n")

# The signed entity: a UTF-8 body with the keyword, base64 as mail clients
# send Japanese, and a CSV attachment holding a card number.
ENTITY = (
    "Content-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n"
    "--inner\r\nContent-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n" +
    base64.encodebytes("この資料は社外秘です。\r\n".encode()).decode().replace("\n", "\r\n") +
    "--inner\r\nContent-Type: text/csv; charset=UTF-8; name=\"cards.csv\"\r\n"
    "Content-Disposition: attachment; filename=\"cards.csv\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n" +
    base64.encodebytes(b"id,name,card\r\n1,Yamada,4111 1111 1111 1111\r\n").decode()
    .replace("\n", "\r\n") +
    "--inner--\r\n").encode()


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def run(*args, data=None):
    return subprocess.run(args, check=True, capture_output=True, input=data).stdout


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def b64(data):
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


def part(subject, content_type, der, filename="smime.p7m"):
    """A message whose body is one base64 S/MIME part."""
    return (HEAD % (subject, subject.replace(" ", "-")) +
            "Content-Type: %s; name=\"%s\"\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" % (content_type, filename, filename) +
            b64(der))


# DER, just what CompressedData needs (RFC 5652, RFC 3274).
def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytes([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7f]
        while arc > 0x7f:
            arc >>= 7
            chunk.insert(0, 0x80 | (arc & 0x7f))
        out += bytes(chunk)
    return tlv(0x06, out)


ID_DATA = "1.2.840.113549.1.7.1"
ID_CT_COMPRESSED = "1.2.840.113549.1.9.16.1.9"
ID_ALG_ZLIB = "1.2.840.113549.1.9.16.3.8"


def compressed_data(zlib_bytes):
    """ContentInfo { id-ct-compressedData, CompressedData { 0, zlib, id-data } }."""
    encap = tlv(0x30, oid(ID_DATA) + tlv(0xa0, tlv(0x04, zlib_bytes)))
    body = tlv(0x30, tlv(0x02, b"\x00") + tlv(0x30, oid(ID_ALG_ZLIB)) + encap)
    return tlv(0x30, oid(ID_CT_COMPRESSED) + tlv(0xa0, body))


def signed(tmp, cert, key, data, *extra):
    src = os.path.join(tmp, "in")
    with open(src, "wb") as f:
        f.write(data)
    return run("openssl", "cms", "-sign", "-nodetach", "-in", src, "-signer", cert,
               "-inkey", key, "-outform", "DER", *extra)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        key, cert = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
            "-out", cert, "-subj", "/CN=alice@corp.example", "-days", "3650")
        src = os.path.join(tmp, "entity")
        with open(src, "wb") as f:
            f.write(ENTITY)

        # openssl writes the whole message: its headers, then the blob.
        mail = run("openssl", "cms", "-sign", "-nodetach", "-in", src, "-signer", cert,
                   "-inkey", key, "-outform", "SMIME", "-from", "alice@corp.example",
                   "-to", "bob@partner.example", "-subject", "smime signed")
        write("smime_signed.eml", crlf(b"Message-ID: <smime-signed@corp.example>\n" + mail))
        mail = run("openssl", "cms", "-sign", "-nodetach", "-stream", "-in", src,
                   "-signer", cert, "-inkey", key, "-outform", "SMIME", "-from",
                   "alice@corp.example", "-to", "bob@partner.example", "-subject",
                   "smime signed streamed")
        write("smime_signed_ber.eml",
              crlf(b"Message-ID: <smime-signed-ber@corp.example>\n" + mail))
        mail = run("openssl", "smime", "-sign", "-nodetach", "-in", src, "-signer", cert,
                   "-inkey", key, "-from", "alice@corp.example", "-to",
                   "bob@partner.example", "-subject", "smime signed x-pkcs7")
        write("smime_signed_x_pkcs7.eml",
              crlf(b"Message-ID: <smime-signed-x@corp.example>\n" + mail))
        # Saved signed mail sent on as an attachment: no smime-type, only the name.
        der = signed(tmp, cert, key, ENTITY)
        write("smime_signed_p7m.eml",
              HEAD % ("p7m signed attachment", "p7m-signed") +
              "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
              "--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nsee attached\r\n"
              "--b\r\nContent-Type: application/octet-stream; name=\"smime.p7m\"\r\n"
              "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n" + b64(der) + "--b--\r\n")

        compressed = compressed_data(zlib.compress(ENTITY, 9))
        write("smime_compressed.eml", part(
            "smime compressed",
            "application/pkcs7-mime; smime-type=compressed-data", compressed, "smime.p7z"))
        # 4 MB that deflate to a few KB: far past the tests' ratio of 100.
        bomb = (b"Content-Type: text/plain; charset=us-ascii\r\n\r\nbomb start\r\n" +
                b"A" * (4 << 20) + b"\r\nbomb end\r\n")
        write("smime_compressed_bomb.eml", part(
            "smime compressed bomb",
            "application/pkcs7-mime; smime-type=compressed-data",
            compressed_data(zlib.compress(bomb, 9)), "smime.p7z"))
        cut = zlib.compress(ENTITY, 9)
        write("smime_compressed_broken.eml", part(
            "smime compressed broken",
            "application/pkcs7-mime; smime-type=compressed-data",
            compressed_data(cut[:len(cut) // 2]), "smime.p7z"))
        der = signed(tmp, cert, key, compressed, "-binary", "-econtent_type",
                     ID_CT_COMPRESSED)
        write("smime_signed_compressed.eml", part(
            "smime signed compressed",
            "application/pkcs7-mime; smime-type=signed-data", der))

        mail = run("openssl", "cms", "-encrypt", "-aes256", "-in", src, "-from",
                   "alice@corp.example", "-to", "bob@partner.example", "-subject",
                   "smime enveloped", cert)
        write("smime_enveloped.eml",
              crlf(b"Message-ID: <smime-enveloped@corp.example>\n" + mail))

        write("smime_garbage.eml", part(
            "smime garbage",
            "application/pkcs7-mime; smime-type=signed-data",
            b"\x30\x82\x01\x00 this is no CMS at all " * 8))

        # Signed, and that signed again, five times: the innermost text lies
        # deeper than the tests' max_depth of 4.
        entity = (b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                  b"deepest signed text\r\n")
        for _ in range(5):
            src = os.path.join(tmp, "layer")
            with open(src, "wb") as f:
                f.write(entity)
            entity = crlf(run("openssl", "cms", "-sign", "-nodetach", "-in", src,
                              "-signer", cert, "-inkey", key, "-outform", "SMIME"))
        head = (HEAD % ("smime deep", "smime-deep")).replace("MIME-Version: 1.0\r\n", "")
        write("smime_deep.eml", head + entity.decode())


if __name__ == "__main__":
    main()
