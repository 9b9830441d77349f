#!/usr/bin/python3
"""Builds the binary-file samples in testdata/view/ (bin_*.eml).

Run from anywhere; it rewrites the bin_*.eml files next to it.  The
messages are committed, this script says how they were made.  Each is a
file that is neither an archive nor text by its head, so only its text
runs (extract_file_text() in extract.c) can show what it carries:

  bin_cards_png.eml  cards.png (image/png): a PNG's magic, a few hundred
                     binary bytes (NUL, controls, bytes no charset reads),
                     then - with two stray bytes clinging to it - a UTF-8
                     CSV of card numbers marked 社外秘, then more binary
                     bytes around a Shift_JIS run (a stray byte at each
                     end) and an ISO-2022-JP run
  bin_cards_zip.eml  the same bytes as cards.dat in cards.zip
  bin_logo_png.eml   a real, exact PNG (zlib-compressed pixels): no text
"""

import io
import random
import struct
import zipfile
import zlib

from make_archive_samples import message


def noise(rng, n):
    """N binary bytes, with a NUL every 16 so that no run of them is long,
    and a run that no charset reads cleanly (80 A0 FD FE)."""
    out = bytearray(rng.randrange(256) for _ in range(n))
    out[::16] = bytes(len(out[::16]))
    return bytes(out) + b"\0\x80\xa0\xfd\xfe\x81\0"


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data))


def logo_png():
    """A 64x32 RGB PNG as any encoder writes it: IHDR, one zlib IDAT, IEND."""
    rows = b"".join(b"\0" + bytes((x * 4 + y * 7) % 256 for x in range(64 * 3))
                    for y in range(32))
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 32, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(rows, 9)) + png_chunk(b"IEND", b""))


def main():
    rng = random.Random(20240611)
    csv = "".join("%d,顧客%d,4111 1111 1111 1111,社外秘\r\n" % (i, i) for i in range(1200))
    # Stray bytes no charset reads, with no control between them and the text.
    cards = (b"\x89PNG\r\n\x1a\n" + noise(rng, 400) + b"\xfd\x9f" + csv.encode("utf-8")
             + noise(rng, 200) + b"\xfe" + "顧客名簿の控え,山田".encode("cp932") + b"\xfd"
             + noise(rng, 200) + "極秘資料です".encode("iso-2022-jp") + noise(rng, 100))
    message("cards_png", [("cards.png", "image/png", cards)], "bin")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("cards.dat", cards)
    message("cards_zip", [("cards.zip", "application/zip", buf.getvalue())], "bin")
    message("logo_png", [("logo.png", "image/png", logo_png())], "bin")


if __name__ == "__main__":
    main()
