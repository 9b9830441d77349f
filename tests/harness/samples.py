"""samples - files built for the end-to-end tests from real encodings.

pdf_of() writes a PDF as a producer does: numbered objects, a catalog and
one page, the given streams, a cross-reference table whose offsets are
right, a trailer and %%EOF (qpdf --check finds no error in one).
"""

import zlib


def flate(data):
    """DATA as a Flate (zlib) stream's bytes."""
    return zlib.compress(data)


def pdf_of(streams, trailer_extra=b""):
    """A one-page PDF; STREAMS are (dictionary entries, data) pairs, the first of
    them the page's contents.  TRAILER_EXTRA goes into the trailer dictionary."""
    count = 3 + len(streams)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>"]
    for entries, data in streams:
        objs.append(b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data
                    + b"\nendstream")
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (count + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        count + 1, trailer_extra, xref)
    return out
