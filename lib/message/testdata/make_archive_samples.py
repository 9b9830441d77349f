#!/usr/bin/python3
"""Builds the archive and office-document samples in testdata/view/.

Run from anywhere; it rewrites the arch_*.eml files next to it.  The
messages are committed, this script says how they were made.  7-Zip (7zz)
makes the AES-encrypted zip, as a real client would.
"""

import base64
import gzip
import io
import os
import subprocess
import tarfile
import tempfile
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "view")


def zip_bytes(files, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()


def docx(paragraphs):
    body = "".join("<w:p>%s</w:p>" % "".join("<w:r><w:t>%s</w:t></w:r>" % run for run in p)
                   for p in paragraphs)
    return zip_bytes([
        ("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
        ("_rels/.rels", "<Relationships/>"),
        ("word/document.xml", '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>%s</w:body></w:document>' % body),
        ("word/styles.xml", "<w:styles xmlns:w='x'><w:t>STYLE-NOT-TEXT</w:t></w:styles>"),
    ])


def xlsx(strings, numbers):
    sst = "".join("<si><t>%s</t></si>" % s for s in strings)
    cells = "".join('<c r="A%d"><v>%s</v></c>' % (i + 1, n) for i, n in enumerate(numbers))
    return zip_bytes([
        ("[Content_Types].xml", "<Types/>"),
        ("xl/workbook.xml", "<workbook/>"),
        ("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8"?><sst>%s</sst>' % sst),
        ("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row>%s</row></sheetData></worksheet>" % cells),
    ])


def pptx(text):
    return zip_bytes([
        ("[Content_Types].xml", "<Types/>"),
        ("ppt/slides/slide1.xml", '<p:sld xmlns:p="p" xmlns:a="a"><a:p><a:r><a:t>%s</a:t></a:r></a:p></p:sld>' % text),
    ])


def odt(text):
    # ODF: "mimetype" first and stored, then content.xml.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", '<office:document-content xmlns:office="o" xmlns:text="t"><office:body><office:text><text:p>%s</text:p></office:text></office:body></office:document-content>' % text)
    return buf.getvalue()


def message(name, attachments, prefix="arch"):
    """Writes PREFIX_NAME.eml: a multipart/mixed message with base64 attachments
    [(filename, type, bytes)]."""
    lines = ["From: a@corp.example", "To: b@partner.example", "Subject: %s" % name,
             "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="arch"', "",
             "--arch", "Content-Type: text/plain", "", "see attached"]
    for fname, ctype, data in attachments:
        lines += ["--arch", "Content-Type: %s" % ctype,
                  'Content-Disposition: attachment; filename="%s"' % fname,
                  "Content-Transfer-Encoding: base64", ""]
        lines += base64.encodebytes(data).decode().splitlines()
    lines += ["--arch--", ""]
    with open(os.path.join(OUT, "%s_%s.eml" % (prefix, name)), "wb") as f:
        f.write("\r\n".join(lines).encode())


def shift_jis_named_zip():
    """A zip whose entry name is Shift_JIS without the UTF-8 flag (Windows Explorer)."""
    sjis = "顧客名簿.csv".encode("cp932")
    placeholder = b"X" * len(sjis)
    data = zip_bytes([(placeholder.decode(), "name,mail\r\nyamada,y@example.jp\r\n")])
    return data.replace(placeholder, sjis)


def main():
    office = docx([["社", "外秘の", "設計書"], ["second paragraph"]])
    message("office", [
        ("design.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", office),
        ("cards.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         xlsx(["顧客リスト", "card"], ["4111111111111111"])),
        ("slides.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
         pptx("極秘スライド")),
        ("memo.odt", "application/vnd.oasis.opendocument.text", odt("ODF confidential memo")),
        # A docx renamed to .pdf: looked into by content, not by name.
        ("renamed.pdf", "application/pdf", docx([["hidden in a renamed docx"]])),
    ])

    # Archives: nested zip holding a docx and a CSV; tar.gz; lone .gz; Shift_JIS names.
    inner = zip_bytes([("list.csv", "id,name\n1,内部顧客\n"), ("spec.docx", office)])
    outer = zip_bytes([("readme.txt", "outer readme"), ("inner.zip", inner)])
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w:gz") as t:
        data = "tar member secret text\n".encode()
        info = tarfile.TarInfo("dir/notes.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    message("archives", [
        ("bundle.zip", "application/zip", outer),
        ("logs.tar.gz", "application/gzip", tbuf.getvalue()),
        ("single.csv.gz", "application/gzip", gzip.compress("gz,only\n1,gzipped row\n".encode(), mtime=0)),
        ("japanese.zip", "application/zip", shift_jis_named_zip()),
    ])

    # Disguises: a plain zip named .docx, a .gz inside a zip, a gzip named .dat.
    message("disguised", [
        ("notes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         zip_bytes([("customers.csv", "name,note\nyamada,disguised-in-docx\n")])),
        ("bundle2.zip", "application/zip",
         zip_bytes([("secret.csv.gz", gzip.compress(b"id,row\n1,gz-in-zip-row\n", mtime=0))])),
        ("report.dat", "application/octet-stream",
         gzip.compress(b"id,row\n1,gz-named-dat-row\n", mtime=0)),
    ])

    # Limits: a zip bomb (ratio), deep nesting (depth), many entries (count).
    bomb = zip_bytes([("zeros.bin", b"\0" * (20 * 1024 * 1024))])
    deep = zip_bytes([("level6.txt", "deepest text")])
    for level in range(5, 0, -1):
        deep = zip_bytes([("level%d.zip" % level, deep)])
    many = zip_bytes([("f%03d.txt" % i, "file %d" % i) for i in range(150)])
    message("bomb", [("bomb.zip", "application/zip", bomb)])
    message("deep", [("deep.zip", "application/zip", deep)])
    message("many", [("many.zip", "application/zip", many)])

    # Encryption: an AES zip made by 7-Zip, and a broken zip.
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "secret.txt"), "w") as f:
            f.write("encrypted content\n")
        subprocess.run(["7zz", "a", "-tzip", "-mem=AES256", "-ppassword", "enc.zip", "secret.txt"],
                       cwd=d, check=True, capture_output=True)
        with open(os.path.join(d, "enc.zip"), "rb") as f:
            encrypted = f.read()
    broken = outer[: len(outer) // 2]
    message("encrypted", [("enc.zip", "application/zip", encrypted),
                          ("broken.zip", "application/zip", broken),
                          ("photo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
                          ("locked.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)])


if __name__ == "__main__":
    main()
