#!/usr/bin/python3
"""Crafted messages that used to slip past the rules.

Each message is built here from real encodings (Python's zipfile, tarfile,
bz2, codecs and a PNG writer) and judged by "sendwatch test --json", the
milter's own decision (lib/decide), with a small scan_text_limit and
archive budget so the limits are reached with small samples.  Each test
checks that the rule that should fire fires, and that the flag that tells
what could not be read is set (or, where everything was read, is not).
"""

import base64
import bz2
import io
import json
import os
import struct
import tarfile
import unittest
import zipfile
import zlib

import samples
import swtest

SENDER = "alice@corp.sendwatch.test"
OUTSIDE = "bob@partner.example"

RULES = """\
rule cards
    match body,attachment-text regex /\\b(?:\\d[ -]?){15}\\d\\b/ validate luhn
    action reject "card numbers"

rule plan
    match any keywords "CONFIDENTIAL-PLAN"
    action reject "confidential"

rule secret
    match any keywords "社外秘"
    action reject "secret"

rule cut
    limit-exceeded
    action hold 10m
"""

CARDS = "".join("%d,Customer %d,4111 1111 1111 1111\r\n" % (i, i) for i in range(40))


def b64_lines(data):
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def message(parts, subject="crafted"):
    """A multipart/mixed message; PARTS are (content type, name, bytes)."""
    out = ["From: <%s>" % SENDER, "To: <%s>" % OUTSIDE, "Subject: %s" % subject,
           "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b"', "",
           "--b", "Content-Type: text/plain; charset=us-ascii", "", "see attached"]
    for ctype, name, data in parts:
        out += ["--b", "Content-Type: %s%s" % (ctype, '; name="%s"' % name if name else ""),
                "Content-Transfer-Encoding: base64",
                'Content-Disposition: attachment%s' % ('; filename="%s"' % name if name else ""),
                "", b64_lines(data)]
    out += ["--b--", ""]
    return "\r\n".join(out).encode()


def zip_of(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data))


def png(size):
    """A PNG of about SIZE bytes as libpng writes it: IDAT chunks of 8 KB."""
    pixels = zlib.compress(bytes((i * 7919) % 251 for i in range(size * 2)), 1)[:size]
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 800, 600, 8, 2, 0, 0, 0))
    for i in range(0, len(pixels), 8192):
        out += png_chunk(b"IDAT", pixels[i:i + 8192])
    return out + png_chunk(b"IEND", b"")


def jpeg(size):
    """A baseline JPEG's structure: JFIF, tables, a frame, a scan of SIZE bytes, EOI."""
    scan = bytes((i * 7919) % 251 for i in range(size)).replace(b"\xff", b"\xff\x00")
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
            + b"\xff\xdb" + struct.pack(">H", 67) + bytes(65)
            + b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 600, 800, 1) + b"\x01\x11\x00"
            + b"\xff\xc4" + struct.pack(">H", 20) + bytes(18)
            + b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00" + scan + b"\xff\xd9")


def pdf(size, middle=None):
    """A PDF's first and last lines around SIZE bytes of binary streams (or MIDDLE)."""
    body = middle if middle is not None else bytes((i * 7919) % 256 for i in range(size))
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + b"\nstartxref\n9\n%%EOF\n"


def office_zip(first, members):
    """An office document as Office and LibreOffice write it: FIRST (name, data)
    stored, the rest deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo(first[0]), first[1])
        for name, data in members:
            z.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                 'openxmlformats.org/package/2006/content-types"><Default Extension="xml" '
                 'ContentType="application/xml"/></Types>')
ODF_MIMETYPE = ("mimetype", "application/vnd.oasis.opendocument.text")
ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
PPT_NS = ('xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
          'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"')


def odt_with_header(header_text):
    """An ODF text document whose page header (in styles.xml) says HEADER_TEXT."""
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content %s>'
               '<office:body><office:text><text:p>Quarterly report</text:p></office:text>'
               '</office:body></office:document-content>' % ODF_NS)
    styles = ('<?xml version="1.0" encoding="UTF-8"?><office:document-styles %s>'
              '<office:master-styles><style:master-page style:name="Standard">'
              '<style:header><text:p>%s</text:p></style:header></style:master-page>'
              '</office:master-styles></office:document-styles>' % (ODF_NS, header_text))
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return office_zip(ODF_MIMETYPE, [("META-INF/manifest.xml", manifest),
                                     ("content.xml", content), ("styles.xml", styles)])


def pptx_with_master(master_text, layout_text):
    """A presentation whose slide master and layout carry text; its slide does not."""
    def sld(root, text):
        return ('<?xml version="1.0" encoding="UTF-8"?><p:%s %s><p:cSld><p:spTree><p:sp>'
                '<p:txBody><a:p><a:r><a:t>%s</a:t></a:r></a:p></p:txBody></p:sp>'
                '</p:spTree></p:cSld></p:%s>' % (root, PPT_NS, text, root))
    return office_zip(("[Content_Types].xml", CONTENT_TYPES), [
        ("_rels/.rels", '<?xml version="1.0"?><Relationships/>'),
        ("ppt/presentation.xml", '<?xml version="1.0"?><p:presentation %s/>' % PPT_NS),
        ("ppt/slides/slide1.xml", sld("sld", "Agenda")),
        ("ppt/slideMasters/slideMaster1.xml", sld("sldMaster", master_text)),
        ("ppt/slideLayouts/slideLayout1.xml", sld("sldLayout", layout_text))])


class Crafted(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Not started: "sendwatch test" needs the config and rules only.
        cls.stack = swtest.Stack("crafted", rules={"10-crafted.rules": RULES}, config_extra={
            "scan_text_limit": "256k", "archive_max_expanded": "8m",
            "archive_max_entries": "60"})
        cls.count = 0

    def judge(self, raw):
        Crafted.count += 1
        path = os.path.join(self.stack.workdir, "crafted-%d.eml" % self.count)
        with open(path, "wb") as f:
            f.write(raw)
        r = self.stack.sendwatch("test", path, "--from", SENDER, "--to", OUTSIDE, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def assert_judged(self, raw, rules, flags=(), not_flags=(), what=""):
        got = self.judge(raw)
        names = [r["name"] for r in got["rules"]]
        for rule in rules:
            self.assertIn(rule, names, "%s: rule %s did not fire: %s" % (what, rule, got))
        for flag in flags:
            self.assertIn(flag, got["flags"], "%s: flag %s not set: %s" % (what, flag, got))
        for flag in not_flags:
            self.assertNotIn(flag, got["flags"], "%s: flag %s set: %s" % (what, flag, got))
        return got

    def test_type_and_magic_is_no_pass(self):
        """A part labelled image/png or application/pdf and starting with its magic
        is read when it is not that format to its end, or its name says text: the
        issue's cards.csv sent as image/png (\\x89PNG, then card numbers), the same
        named .png, a PDF that is a CSV after its first line.  Real images and PDFs
        are read in full (exact sizes), fire nothing and set no flag."""
        csv_png = b"\x89PNG\r\n\x1a\n" + (CARDS * 130).encode()
        crafted = {
            "cards.csv as image/png": message([("image/png", "cards.csv", csv_png)]),
            "PNG magic then CSV, named .png": message([("image/png", "scan.png", csv_png)]),
            "PDF first line then CSV": message([("application/pdf", "quote.pdf", pdf(
                0, (CARDS * 130).encode()))]),
        }
        for what, raw in crafted.items():
            with self.subTest(what):
                self.assert_judged(raw, ["cards"], not_flags=["limit-exceeded"], what=what)
        real = [("image/png", "screen.png", png(600 * 1024)),
                ("image/jpeg", "photo.jpg", jpeg(600 * 1024)),
                ("application/pdf", "catalog.pdf", samples.pdf_of(
                    [(b"/Filter /FlateDecode", samples.flate(b"q 600 0 0 800 0 0 cm /I Do Q")),
                     (b"/Subtype /Image /Filter /DCTDecode", jpeg(200 * 1024))]))]
        got = self.judge(message(real))
        self.assertEqual(got["rules"], [], got)
        self.assertEqual(got["flags"], [], got)
        self.assertEqual([(a["name"], a["size"]) for a in got["attachments"]],
                         [(name, len(data)) for _, name, data in real])
        # A file that starts like a PDF but is none to its end is read for its
        # runs, up to scan_text_limit: past it, the cut is flagged, and so is
        # the broken PDF (an image whole to its end is not cut, however long).
        self.assert_judged(message([("application/pdf", "catalog.pdf", pdf(600 * 1024))]),
                           ["cut"], flags=["limit-exceeded", "malformed"],
                           what="PDF past the limit")

    def test_binary_head_is_no_pass(self):
        """A file that is neither an archive nor text by its head - the magic of
        a PNG, a few hundred binary bytes, then a CSV of card numbers marked
        社外秘 and CONFIDENTIAL-PLAN - is read for its text runs: named cards.png
        (image/png), named cards.dat in a zip, the CSV in UTF-8 or in
        Shift_JIS, stray binary bytes clinging to it."""
        head = b"\x89PNG\r\n\x1a\n" + bytes((i * 7919) % 256 for i in range(400)) + b"\xfd"
        text = "社外秘 CONFIDENTIAL-PLAN\r\n" + CARDS
        for charset in ("utf-8", "cp932"):
            cards = head + text.encode(charset) + bytes(range(32)) * 4
            samples = {
                "cards.png": message([("image/png", "cards.png", cards)]),
                "cards.dat in a zip": message([("application/zip", "cards.zip",
                                                zip_of([("cards.dat", cards)]))]),
            }
            for what, raw in samples.items():
                with self.subTest(what, charset=charset):
                    self.assert_judged(raw, ["cards", "plan", "secret"],
                                       not_flags=["limit-exceeded"],
                                       what="%s (%s)" % (what, charset))

    def test_text_cut_is_flagged(self):
        """A file read as text only because it looks like text (no text name or
        type) is cut at scan_text_limit: the cut is flagged, at top level and in a
        zip, so a rule on limit-exceeded holds what the keyword rule cannot see."""
        notes = bytes(i * 7 % 251 for i in range(160 * 1024)).hex().encode()
        notes += b"\nCONFIDENTIAL-PLAN\n"
        samples = {
            "top level": message([("application/octet-stream", "notes.dat", notes)]),
            "in a zip": message([("application/zip", "notes.zip",
                                  zip_of([("notes.dat", notes)]))]),
        }
        for what, raw in samples.items():
            with self.subTest(what):
                self.assert_judged(raw, ["cut"], flags=["limit-exceeded"], what=what)

    def test_office_parts_count(self):
        """Office structure parts (styles, themes) count toward the entries and
        expanded bytes, and a non-zip named like an office document is read like
        any archive: a tar.bz2 named doc.odt holding a large styles.xml, a zip
        named .docx with many theme parts or one huge styles part, are flagged."""
        big = (b"<style:style style:name='P1'/>" * 400000)[:9 * 1024 * 1024]
        tar = io.BytesIO()
        with tarfile.open(fileobj=tar, mode="w:bz2") as t:
            for name, data in (ODF_MIMETYPE[0], ODF_MIMETYPE[1].encode()), ("styles.xml", big):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        themes = [("word/theme/theme%d.xml" % i, "<a:theme/>") for i in range(80)]
        samples = {
            "tar.bz2 named .odt": message([("application/vnd.oasis.opendocument.text",
                                            "doc.odt", tar.getvalue())]),
            "80 theme parts": message([("application/octet-stream", "doc.docx", office_zip(
                ("[Content_Types].xml", CONTENT_TYPES), themes))]),
            "a 9 MB styles part": message([("application/octet-stream", "doc.docx", office_zip(
                ("[Content_Types].xml", CONTENT_TYPES), [("word/styles.xml", big)]))]),
        }
        for what, raw in samples.items():
            with self.subTest(what):
                self.assert_judged(raw, ["cut"], flags=["limit-exceeded"], what=what)

    def test_office_text_users_see(self):
        """ODF page headers (styles.xml) and PPTX slide masters and layouts are
        read; "[Content_Types].xml" is a name, not a pattern that hides t.xml."""
        docx = office_zip(("[Content_Types].xml", CONTENT_TYPES), [
            ("word/document.xml", "<w:document/>"), ("t.xml", CARDS)])
        samples = {
            "odt header": (message([("application/vnd.oasis.opendocument.text", "r.odt",
                                     odt_with_header("CONFIDENTIAL-PLAN"))]), "plan"),
            "pptx master": (message([("application/octet-stream", "deck.pptx",
                                      pptx_with_master("CONFIDENTIAL-PLAN", "Title"))]),
                            "plan"),
            "pptx layout": (message([("application/octet-stream", "deck.pptx",
                                      pptx_with_master("Title", "CONFIDENTIAL-PLAN"))]),
                            "plan"),
            "t.xml in a docx": (message([("application/octet-stream", "r.docx", docx)]),
                                "cards"),
        }
        for what, (raw, rule) in samples.items():
            with self.subTest(what):
                self.assert_judged(raw, [rule], not_flags=["limit-exceeded", "malformed"],
                                   what=what)

    def test_pdf_read_through_its_structure(self):
        """A PDF that is one to its end is read as a reader sees it: its page's
        compressed text inflated (社外秘 and CONFIDENTIAL-PLAN found), its JPEG
        image not read - so a 600 KB PDF passes a 256 KB scan_text_limit with
        no cut - and text where no reader looks (after a stream's compressed
        data, in a "JPEG" that is a CSV) read too.  An encrypted one is
        flagged, and a page that does not inflate is flagged malformed."""
        page = samples.flate("BT (社外秘 CONFIDENTIAL-PLAN) Tj ET".encode())
        photo = (b"/Subtype /Image /Width 800 /Height 600 /Filter /DCTDecode",
                 jpeg(600 * 1024))
        real = samples.pdf_of([(b"/Filter /FlateDecode", page), photo])
        self.assert_judged(message([("application/pdf", "plan.pdf", real)]),
                           ["plan", "secret"], not_flags=["limit-exceeded", "malformed"],
                           what="compressed page text")
        got = self.judge(message([("application/pdf", "photo.pdf", samples.pdf_of(
            [(b"/Filter /FlateDecode", samples.flate(b"q 800 0 0 600 0 0 cm /Im1 Do Q")),
             photo]))]))
        self.assertEqual((got["rules"], got["flags"]), ([], []), got)
        hidden = {
            "after the compressed data": samples.pdf_of(
                [(b"/Filter /FlateDecode", samples.flate(b"BT ET")
                  + b"\n" + CARDS.encode())]),
            "a CSV as a DCTDecode image": samples.pdf_of(
                [(b"/Filter /DCTDecode", CARDS.encode())]),
        }
        for what, pdf_bytes in hidden.items():
            with self.subTest(what):
                self.assert_judged(message([("application/pdf", "q.pdf", pdf_bytes)]),
                                   ["cards"], not_flags=["limit-exceeded"], what=what)
        self.assert_judged(message([("application/pdf", "locked.pdf", samples.pdf_of(
            [(b"/Filter /FlateDecode", bytes(range(256)) * 4)],
            b"/Encrypt << /Filter /Standard /V 2 >>"))]), [], flags=["encrypted-archive"],
            not_flags=["malformed"], what="encrypted")
        self.assert_judged(message([("application/pdf", "broken.pdf", samples.pdf_of(
            [(b"/Filter /FlateDecode", b"BT (CONFIDENTIAL-PLAN) Tj ET" + bytes(32))]))]),
            ["plan"], flags=["malformed"], what="a page that does not inflate")

    def test_image_metadata_is_read(self):
        """An image that is one to its end, large enough for the probe that
        spares it the spool (600 KB), still has its metadata read: a CSV of
        cards in a JPEG comment, 社外秘 in a PNG's compressed zTXt chunk, a GIF
        comment.  Its pixels are not read, and no flag is set."""
        photo = jpeg(600 * 1024)
        with_comment = (photo[:2] + b"\xff\xfe" + struct.pack(">H", len(CARDS) + 2)
                        + CARDS.encode() + photo[2:])
        screen = png(600 * 1024)
        ztxt = png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress("社外秘".encode()))
        with_ztxt = screen[:33] + ztxt + screen[33:]
        gif = (b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0, 0, 0)
               + b"\x21\xfe" + bytes([len(CARDS[:250])]) + CARDS[:250].encode() + b"\0"
               + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02PX\0\x3b")
        samples_ = {
            "a JPEG comment": (("image/jpeg", "photo.jpg", with_comment), ["cards"]),
            "a PNG zTXt chunk": (("image/png", "screen.png", with_ztxt), ["secret"]),
            "a GIF comment": (("image/gif", "icon.gif", gif), ["cards"]),
        }
        for what, (part, rules) in samples_.items():
            with self.subTest(what):
                got = self.assert_judged(message([part]), rules, what=what)
                self.assertEqual(got["flags"], [], got)
        got = self.judge(message([("image/jpeg", "photo.jpg", photo),
                                  ("image/png", "screen.png", screen)]))
        self.assertEqual((got["rules"], got["flags"]), ([], []), got)

    def test_utf16_text_is_read(self):
        """Excel's "Unicode Text" and Notepad's "Unicode" (UTF-16 with a byte order
        mark, no charset label), at top level and inside a zip, and UTF-16 without
        a mark under a name that says nothing: read as text, flagged relabeled."""
        le_bom = b"\xff\xfe" + ("CONFIDENTIAL-PLAN\r\n" + CARDS).encode("utf-16-le")
        be_bom = b"\xfe\xff" + ("CONFIDENTIAL-PLAN\r\n" + CARDS).encode("utf-16-be")
        le_bare = ("CONFIDENTIAL-PLAN\r\n" + CARDS).encode("utf-16-le")
        samples = {
            "top-level .txt": message([("text/plain", "export.txt", le_bom)]),
            "top-level .dat": message([("application/octet-stream", "notes.dat", be_bom)]),
            "in a zip": message([("application/zip", "export.zip",
                                  zip_of([("export.txt", le_bom)]))]),
            "in a zip, no mark, no text name": message(
                [("application/zip", "export.zip", zip_of([("notes.dat", le_bare)]))]),
        }
        for what, raw in samples.items():
            with self.subTest(what):
                self.assert_judged(raw, ["cards", "plan"], flags=["charset-relabeled"],
                                   not_flags=["limit-exceeded"], what=what)


if __name__ == "__main__":
    swtest.main()
