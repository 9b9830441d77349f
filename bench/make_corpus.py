#!/usr/bin/python3
"""bench/make_corpus.py - a realistic MIME mail corpus for the sendwatch benchmark.

The throughput benchmark (bench/run) submits these messages through Postfix
and the milter, so they imitate what a Japanese company really sends out:

  * Japanese (~40%) and English (~60%) business mail, in the charsets and
    transfer encodings real clients use: ISO-2022-JP 7bit, UTF-8 base64,
    UTF-8 quoted-printable and Shift_JIS base64 for Japanese; US-ASCII 7bit
    and UTF-8 for English.  Japanese headers are RFC 2047 encoded.
  * text/plain only (~35%), multipart/alternative text+HTML (~20%) and
    multipart/mixed with 1-3 attachments (~45%), the latter sometimes with a
    multipart/alternative body nested inside.
  * attachments the milter has to look into: PDF (real structure: a
    Flate content stream, a JPEG image, a cross-reference table), PNG, CSV customer
    lists (UTF-8 or Shift_JIS), real .docx/.xlsx (OOXML zip) files and .zip
    archives holding a CSV; Japanese file names encoded either RFC 2231 style
    (Thunderbird, Apple Mail) or RFC 2047 inside quotes (Outlook, Gmail).
  * sizes: most messages 5-60 KB, ~25% 100 KB-1 MB, ~8% carrying one
    attachment between 1 MiB and --max-attachment.

Every message is 7-bit clean with CRLF line endings and no line longer than
998 bytes, so it can be sent verbatim over SMTP without BODY=8BITMIME.

The output depends only on the arguments: one random.Random(seed) drives
everything, Date headers are derived from the index, zip members carry a
fixed timestamp, and nothing reads the clock or calls uuid.

usage: bench/make_corpus.py OUTDIR [--count N] [--seed S] [--max-attachment BYTES]

Writes OUTDIR/0001.eml .. OUTDIR/NNNN.eml (creating OUTDIR) and prints one
JSON line: {"count":N,"bytes":TOTAL,"min":..,"max":..,"median":..}
(sizes in bytes; the median is rounded to a whole byte).
"""

import argparse
import base64
import binascii
import csv
import html
import io
import json
import os
import random
import re
import statistics
import struct
import sys
import textwrap
import unicodedata
import urllib.parse
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

CRLF = "\r\n"
MIB = 1024 * 1024
JST = timezone(timedelta(hours=9))
FIRST_DATE = datetime(2024, 10, 1, 9, 0, tzinfo=JST)  # a Tuesday
ZIP_TIMESTAMP = (2024, 10, 1, 9, 0, 0)  # fixed, so archives are reproducible

# Python codec for each MIME charset label we emit.
CODECS = {"ISO-2022-JP": "iso2022_jp", "Shift_JIS": "shift_jis",
          "UTF-8": "utf-8", "us-ascii": "ascii"}

# (charset, Content-Transfer-Encoding) of text parts, with weights.
JA_TEXT_ENCODINGS = [(("ISO-2022-JP", "7bit"), 35), (("UTF-8", "base64"), 30),
                     (("UTF-8", "quoted-printable"), 20), (("Shift_JIS", "base64"), 15)]
EN_TEXT_ENCODINGS = [(("us-ascii", "7bit"), 45), (("UTF-8", "quoted-printable"), 35),
                     (("UTF-8", "base64"), 20)]

# ---------------------------------------------------------------- people

INTERNAL_DOMAIN = "corp.example.co.jp"
INTERNAL_COMPANY = {"ja": "株式会社サンプル", "en": "Sample Corporation"}
JA_DEPTS = ["営業部", "経理部", "総務部", "開発部", "購買部", "人事部", "マーケティング部"]
EN_DEPTS = ["Sales", "Finance", "General Affairs", "Engineering", "Procurement",
            "Human Resources", "Marketing"]

# (surname, given name, romanized surname, romanized given name)
JA_NAMES = [
    ("山田", "太郎", "yamada", "taro"), ("佐藤", "花子", "sato", "hanako"),
    ("鈴木", "一郎", "suzuki", "ichiro"), ("高橋", "美咲", "takahashi", "misaki"),
    ("田中", "健太", "tanaka", "kenta"), ("伊藤", "由美", "ito", "yumi"),
    ("渡辺", "誠", "watanabe", "makoto"), ("中村", "愛", "nakamura", "ai"),
    ("小林", "大輔", "kobayashi", "daisuke"), ("加藤", "恵子", "kato", "keiko"),
    ("吉田", "翔太", "yoshida", "shota"), ("山本", "直樹", "yamamoto", "naoki"),
]
JA_PARTNERS = [("株式会社パートナー", "partner.example.com"),
               ("テスト工業株式会社", "test-kogyo.example.co.jp"),
               ("エグザンプル商事株式会社", "shoji.example.co.jp"),
               ("株式会社デモシステムズ", "demo-systems.example.jp")]
EN_NAMES = [("John", "Smith"), ("Emily", "Johnson"), ("Michael", "Brown"),
            ("Sarah", "Davis"), ("David", "Wilson"), ("Jennifer", "Garcia"),
            ("Robert", "Miller"), ("Lisa", "Anderson"), ("James", "Taylor"),
            ("Karen", "Thomas"), ("Daniel", "Moore"), ("Laura", "Martin")]
EN_PARTNERS = [("Partner Inc.", "partner.example.com"),
               ("Client Solutions LLC", "client.example.net"),
               ("Global Supply Co.", "supply.example.org"),
               ("Northwind Traders", "northwind.example.com")]
CSV_DOMAINS = ["example.co.jp", "example.ne.jp", "example.jp", "example.com", "example.net"]

# ---------------------------------------------------------------- text

JA_OPENERS = ["いつもお世話になっております。", "お世話になっております。",
              "大変お世話になっております。", "突然のご連絡失礼いたします。"]
JA_SENTENCES = [
    "先日はお忙しいところお時間をいただき、誠にありがとうございました。",
    "標記の件につきまして、下記のとおりご連絡いたします。",
    "ご依頼いただいておりました件について、社内で確認いたしました。",
    "型番ＡＢＣ１２３の在庫状況について、確認が取れましたのでご報告いたします。",
    "納期につきましては、来週金曜日を予定しております。",
    "第３四半期の販売実績を取りまとめましたので、共有いたします。",
    "ご不明な点がございましたら、お気軽にお問い合わせください。",
    "お手数ですが、内容をご確認のうえ、ご返信いただけますと幸いです。",
    "打ち合わせの日程につきまして、以下の候補日でご都合はいかがでしょうか。",
    "来月の定例会議は、本社３階の会議室Ｂにて開催いたします。",
    "先方からの回答が届き次第、改めてご連絡いたします。",
    "価格改定につきましては、４月１日ご発注分より適用となります。",
    "請求書の送付先が変更となりましたので、ご留意ください。",
    "ご指摘いただいた点につきましては、次回の更新で修正いたします。",
    "恐れ入りますが、今週中にご回答いただけますでしょうか。",
    "本件の担当は、営業部の佐藤に変更となりました。",
    "契約書の原本は、本日郵送にてお送りいたしました。",
    "ご注文いただいた商品は、明日出荷予定です。",
    "支払条件は、月末締め翌月末払いでお願いいたします。",
    "お振込先：みずほ銀行 本店 普通 1234567 ｶ)ｻﾝﾌﾟﾙ",
    "ｷｬﾝﾍﾟｰﾝ期間中は、送料無料となります。",
    "管理番号はＰＯ２０２４１０１５です。",
    "現在、システムメンテナンスのため一部サービスを停止しております。",
    "新製品のカタログをお送りいたしますので、ぜひご覧ください。",
]
JA_ATTACHMENT_SENTENCES = [
    "添付の見積書をご確認ください。",
    "資料を添付いたしましたので、ご査収のほどよろしくお願いいたします。",
    "顧客リストを添付にてお送りいたします。取り扱いにはご注意ください。",
    "修正版の資料を添付いたします。差し替えをお願いいたします。",
    "添付ファイルにパスワードは設定しておりません。",
]
JA_CLOSINGS = ["よろしくお願いいたします。", "何卒よろしくお願い申し上げます。",
               "引き続きよろしくお願いいたします。", "以上、よろしくお願いいたします。"]
JA_SUBJECTS = ["お見積書送付の件", "【ご確認】納期について", "Re: 打ち合わせ日程のご相談",
               "ご請求書送付のご案内（{m}月分）", "顧客リスト送付の件",
               "【重要】価格改定のお知らせ", "議事録の共有（{m}月{d}日開催分）",
               "Fw: 新製品カタログのご案内", "ご注文内容の確認（注文番号{n}）",
               "Re: 契約書ご確認のお願い"]
JA_WEEKDAYS = "月火水木金土日"

EN_GREETINGS = ["Hi {name},", "Hello {name},", "Dear {name},"]
EN_SENTENCES = [
    "I hope this email finds you well.",
    "Thank you for your quick reply.",
    "Thanks for taking the time to meet with us last week.",
    "Following up on our call yesterday, I wanted to summarize the next steps.",
    "As discussed, we will ship the remaining units by the end of the month.",
    "Could you please confirm the delivery address for order PO-{n}?",
    "Our finance team has approved the revised budget for Q{q}.",
    "The updated price list will take effect on the first of next month.",
    "Please let me know if you have any questions or concerns.",
    "We would like to schedule a short call to review the contract terms.",
    "Would Tuesday or Wednesday afternoon work for you?",
    "I have copied my colleague, who will handle the logistics from our side.",
    "Unfortunately, the shipment was delayed due to customs clearance.",
    "We appreciate your patience while we look into this issue.",
    "The invoice number is INV-{n}, and payment is due within 30 days.",
    "Our engineering team has reviewed the specification and has a few comments.",
    "Please note that our office will be closed for the national holiday.",
    "I'll send the final version once legal has signed off.",
    "Let's aim to finalize everything before the end of the quarter.",
    "We're happy to offer a 5% discount on orders over 500 units.",
    "The revised schedule - pending your approval - moves the launch by two weeks.",
]
EN_ATTACHMENT_SENTENCES = [
    "Please find attached the quotation you requested.",
    "I've attached the customer list for the upcoming campaign.",
    "Attached is the signed agreement for your records.",
    "The attached files contain the updated forecast and supporting data.",
    "I've attached a few screenshots showing the error.",
]
EN_CLOSINGS = ["Best regards,", "Kind regards,", "Thanks,", "Sincerely,", "Best,"]
EN_SUBJECTS = ["Quotation for project {n}", "Re: Delivery schedule", "Invoice INV-{n}",
               "Meeting request: contract review", "Updated price list for Q{q}",
               "Fwd: Customer list for Q{q} campaign", "Action required: purchase order PO-{n}",
               "Minutes of the weekly sync", "Re: Specification review comments",
               "Shipping delay notice"]
EN_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
             "Nov", "Dec"]

# Attachment file names per kind and language ({n}, {m}, {q} filled at random).
FILENAMES = {
    "pdf": (["見積書_{n}.pdf", "請求書_{m}月分.pdf", "製品カタログ.pdf"],
            ["Quotation_{n}.pdf", "Invoice_INV-{n}.pdf", "Product_Catalog_2024.pdf"]),
    "png": (["スクリーンショット_{n}.png", "構成図.png"], ["screenshot_{n}.png", "diagram.png"]),
    "csv": (["顧客リスト_{n}.csv", "取引先一覧.csv"], ["customer_list_{n}.csv", "contacts.csv"]),
    "docx": (["議事録_{m}月.docx", "契約書（案）.docx"], ["Meeting_Minutes.docx", "Draft_Agreement.docx"]),
    "xlsx": (["売上集計_第{q}四半期.xlsx", "顧客管理表.xlsx"], ["Forecast_Q{q}.xlsx", "Customers.xlsx"]),
    "zip": (["顧客データ_{n}.zip"], ["customers_{n}.zip", "export_{n}.zip"]),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
# Kinds of attachment, with weights: everyday ones, and those that can be
# inflated to a requested size cheaply (random payload, no compression).
SMALL_KINDS = [("pdf", 30), ("csv", 20), ("docx", 15), ("xlsx", 15), ("png", 12), ("zip", 8)]
SIZED_KINDS_MEDIUM = [("pdf", 45), ("png", 20), ("docx", 15), ("csv", 20)]
SIZED_KINDS_LARGE = [("pdf", 55), ("png", 25), ("docx", 20)]


def pick(rng, weighted):
    """One item of a [(item, weight), ...] list."""
    items, weights = zip(*weighted)
    return rng.choices(items, weights)[0]


def fill(rng, template):
    """Fills the {n} {m} {d} {q} placeholders of a template with random values."""
    return template.format(n=rng.randint(10000, 99999), m=rng.randint(1, 12),
                           d=rng.randint(1, 28), q=rng.randint(1, 4))


def for_charset(text, charset):
    """Makes TEXT encodable in CHARSET the way real mailers do.

    ISO-2022-JP (RFC 1468) has no half-width katakana, so mailers convert
    them to their full-width forms; NFKC on just those runs does that
    (and composes ｶﾞ into ガ) without touching full-width ＡＢＣ１２３.
    """
    if charset == "ISO-2022-JP":
        return re.sub("[\uff61-\uff9f]+", lambda m: unicodedata.normalize("NFKC", m.group()),
                      text)
    return text


def check_fragments():
    """Fails early if someone adds Japanese text a charset we use cannot carry."""
    texts = (JA_OPENERS + JA_SENTENCES + JA_ATTACHMENT_SENTENCES + JA_CLOSINGS + JA_SUBJECTS
             + JA_DEPTS + [n for row in JA_NAMES for n in row[:2]]
             + [c for c, _ in JA_PARTNERS] + [n for j, _ in FILENAMES.values() for n in j]
             + ja_signature(Person("山田 太郎", "x@y", "山田", "株式会社サンプル", "営業部")))
    for text in texts:
        for charset in ("ISO-2022-JP", "Shift_JIS"):
            try:
                for_charset(text, charset).encode(CODECS[charset])
            except UnicodeEncodeError:
                sys.exit("make_corpus: %r cannot be encoded in %s" % (text, charset))


# ---------------------------------------------------------------- headers

def header(name, *tokens):
    """A header field "Name: tok tok ...", folded (CRLF SP) before 78 columns.

    Tokens are never split, so callers pass encoded words, address pieces or
    parameters as separate tokens and folding happens only between them.
    """
    lines = [name + ":"]
    for tok in tokens:
        if len(lines[-1]) + 1 + len(tok) > 78 and lines[-1] != name + ":":
            lines.append(" " + tok)
        else:
            lines[-1] += " " + tok
    return CRLF.join(lines)


def param_header(name, value, params):
    """A header with a MIME value and ;-separated parameters, e.g. Content-Type."""
    tokens = [value] + params
    return header(name, *[t + ";" for t in tokens[:-1]], tokens[-1])


def encoded_words(text, charset):
    """TEXT as RFC 2047 B-encoded words of at most 75 characters each.

    Each word is encoded separately, so for ISO-2022-JP every word starts and
    ends in ASCII state and multi-byte characters are never split.
    """
    text = for_charset(text, charset)

    def word(s):
        return "=?%s?B?%s?=" % (charset, base64.b64encode(s.encode(CODECS[charset])).decode())

    words, chunk = [], ""
    for ch in text:
        if chunk and len(word(chunk + ch)) > 75:
            words.append(word(chunk))
            chunk = ch
        else:
            chunk += ch
    words.append(word(chunk))
    return words


def phrase_tokens(text, charset):
    """Header tokens for free text: plain words if ASCII, else encoded words.

    A leading ASCII "Re:"/"Fw:" stays readable, as clients leave it.
    """
    if text.isascii():
        return text.split(" ")
    prefix, sep, rest = text.partition(" ")
    if sep and prefix in ("Re:", "Fw:", "Fwd:"):
        return [prefix] + encoded_words(rest, charset)
    return encoded_words(text, charset)


def address_list_header(name, people, charset):
    tokens = []
    for i, person in enumerate(people):
        tokens += phrase_tokens(person.display, charset) + ["<%s>" % person.address]
        if i < len(people) - 1:
            tokens[-1] += ","
    return header(name, *tokens)


def filename_params(key, filename, style):
    """The name=/filename= parameter(s) for FILENAME, as a given client writes them.

    "rfc2231": filename*=UTF-8''%E8%A6%8B... split into filename*0*, *1*...
    continuations when long (Thunderbird, Apple Mail).  "rfc2047": an encoded
    word inside the quoted string (Outlook, Gmail) - not what RFC 2047 allows,
    but what most mail in the wild looks like, so the milter must cope.
    """
    if filename.isascii():
        return ['%s="%s"' % (key, filename)]
    if style == "rfc2231":
        encoded = urllib.parse.quote(filename, safe="")
        # At most 20 characters (<= 60 octets escaped) per continuation.
        chunks = re.findall(r"(?:%[0-9A-F]{2}|[^%]){1,20}", encoded)
        if len(chunks) == 1:
            return ["%s*=UTF-8''%s" % (key, encoded)]
        return ["%s*%d*=%s%s" % (key, i, "UTF-8''" if i == 0 else "", chunk)
                for i, chunk in enumerate(chunks)]
    return ['%s="%s"' % (key, " ".join(encoded_words(filename, "UTF-8")))]


# ---------------------------------------------------------------- MIME tree

@dataclass
class Part:
    """A MIME entity: folded header fields plus either a body or children."""
    headers: list
    body: bytes = b""               # transfer-encoded, CRLF line ends (leaf parts)
    boundary: str = ""              # multipart only
    children: list = field(default_factory=list)
    preamble: str = ""

    def render(self):
        out = [CRLF.join(self.headers).encode("ascii"), b"\r\n\r\n"]
        if not self.children:
            out.append(self.body)
            return b"".join(out)
        if self.preamble:
            out.append((self.preamble + CRLF).encode("ascii"))
        for child in self.children:
            out += [b"--", self.boundary.encode("ascii"), b"\r\n", child.render()]
        out += [b"--", self.boundary.encode("ascii"), b"--\r\n"]
        return b"".join(out)


def crlf_lines(data):
    """Bytes with LF line ends turned to CRLF, ending in CRLF."""
    if not data.endswith(b"\n"):
        data += b"\n"
    return data.replace(b"\n", b"\r\n")


def base64_body(data):
    return crlf_lines(base64.encodebytes(data))  # 76-character lines


def encode_text(text, charset, cte):
    """TEXT (LF line ends) in CHARSET and CTE, as a CRLF body."""
    text = for_charset(text, charset)
    if charset == "ISO-2022-JP":
        # Line by line, so each line returns to ASCII before its CRLF (RFC 1468).
        return b"".join(line.encode("iso2022_jp") + b"\r\n" for line in text.split("\n"))
    raw = text.encode(CODECS[charset])
    if cte == "base64":
        return base64_body(crlf_lines(raw))
    if cte == "quoted-printable":
        return crlf_lines(binascii.b2a_qp(raw, istext=True))
    return crlf_lines(raw)  # 7bit: the text is ASCII


def text_part(text, subtype, charset, cte):
    return Part([param_header("Content-Type", "text/" + subtype, ['charset="%s"' % charset]),
                 header("Content-Transfer-Encoding", cte)],
                encode_text(text, charset, cte))


def multipart(subtype, boundary, children):
    return Part([param_header("Content-Type", "multipart/" + subtype,
                              ['boundary="%s"' % boundary])],
                boundary=boundary, children=children)


@dataclass
class Attachment:
    kind: str
    filename: str
    data: bytes
    charset: str = ""               # text attachments (CSV) only


def attachment_part(att, style):
    params = ['charset="%s"' % att.charset] if att.charset else []
    disposition = "inline" if att.kind == "png" and style == "rfc2231" else "attachment"
    return Part([param_header("Content-Type", CONTENT_TYPES[att.kind],
                              params + filename_params("name", att.filename, style)),
                 header("Content-Transfer-Encoding", "base64"),
                 param_header("Content-Disposition", disposition,
                              filename_params("filename", att.filename, style))],
                base64_body(att.data))


# ---------------------------------------------------------------- mail clients

def hexdigits(rng, n):
    return "%0*X" % (n, rng.getrandbits(4 * n))


def alnum(rng, n):
    return "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                               k=n))


# Each client: identifying header, boundary style, file name style, preamble.
MAILERS = [
    {"header": ("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) "
                              "Gecko/20100101 Thunderbird/115.15.0"),
     "boundary": lambda rng: "------------" + alnum(rng, 24),
     "filenames": "rfc2231", "preamble": "This is a multi-part message in MIME format."},
    {"header": ("X-Mailer", "Microsoft Outlook 16.0"),
     "boundary": lambda rng: "----=_NextPart_000_%s_01DB%s.%s" % (
         hexdigits(rng, 4), hexdigits(rng, 4), hexdigits(rng, 8)),
     "filenames": "rfc2047", "preamble": "This is a multipart message in MIME format."},
    {"header": None,  # Gmail adds no mailer header
     "boundary": lambda rng: "0000000000" + hexdigits(rng, 18).lower(),
     "filenames": "rfc2047", "preamble": ""},
    {"header": ("X-Mailer", "Apple Mail (2.3774.600.62)"),
     "boundary": lambda rng: "Apple-Mail=_%s-%s-%s-%s-%s" % (
         hexdigits(rng, 8), hexdigits(rng, 4), hexdigits(rng, 4), hexdigits(rng, 4),
         hexdigits(rng, 12)),
     "filenames": "rfc2231", "preamble": ""},
    {"header": ("X-Mailer", "Becky! ver. 2.81.05 [ja]"),
     "boundary": lambda rng: "__BNC_%s" % hexdigits(rng, 16),
     "filenames": "rfc2047", "preamble": ""},
]


# ---------------------------------------------------------------- bodies

@dataclass
class Person:
    display: str                    # display name in the mail's language
    address: str
    short: str                      # surname (Japanese) or first name (English)
    company: str
    dept: str


def internal_person(rng, lang):
    """Someone at our company; Japanese staff, named in kanji or romaji."""
    sur, given, rsur, rgiven = rng.choice(JA_NAMES)
    address = "%s.%s@%s" % (rgiven, rsur, INTERNAL_DOMAIN)
    if lang == "ja":
        return Person("%s %s" % (sur, given), address, sur, INTERNAL_COMPANY["ja"],
                      rng.choice(JA_DEPTS))
    return Person("%s %s" % (rgiven.title(), rsur.title()), address, rgiven.title(),
                  INTERNAL_COMPANY["en"], rng.choice(EN_DEPTS))


def external_person(rng, lang):
    if lang == "ja":
        sur, given, rsur, rgiven = rng.choice(JA_NAMES)
        company, domain = rng.choice(JA_PARTNERS)
        return Person("%s %s" % (sur, given), "%s.%s@%s" % (rsur, rgiven, domain), sur,
                      company, rng.choice(JA_DEPTS))
    first, last = rng.choice(EN_NAMES)
    company, domain = rng.choice(EN_PARTNERS)
    return Person("%s %s" % (first, last), "%s.%s@%s" % (first.lower(), last.lower(), domain),
                  first, company, rng.choice(EN_DEPTS))


def ja_signature(person):
    rule = "─" * 30
    return [rule, "%s %s" % (person.company, person.dept), person.display,
            "〒100-0005 東京都千代田区丸の内１丁目２番３号 ＡＢＣビル３Ｆ",
            "TEL: 03-1234-5678  FAX: 03-1234-5679", "E-mail: " + person.address, rule]


def en_signature(person):
    return ["--", person.display, "%s, %s" % (person.dept, person.company),
            "Tel: +81-3-1234-5678", person.address]


def wrap_ja(lines, columns=76):
    """Japanese mail is hand-wrapped at ~38 full-width characters per line.

    Width is counted in columns (full-width = 2) so that ASCII lines such
    as addresses are not broken.
    """
    out = []
    for line in lines:
        current, width = "", 0
        for ch in line:
            w = 2 if unicodedata.east_asian_width(ch) in "FW" else 1
            if width + w > columns:
                out.append(current)
                current, width = "", 0
            current += ch
            width += w
        out.append(current)
    return out


def ja_core(rng, sender, rcpt, attachment_names):
    """One Japanese message body (no quoted history), as lines."""
    lines = [rcpt.company, "%s %s様" % (rcpt.dept, rcpt.short), "",
             rng.choice(JA_OPENERS), "%s %sの%sです。" % (sender.company, sender.dept, sender.short),
             ""]
    for _ in range(rng.randint(2, 4)):
        lines += rng.sample(JA_SENTENCES, rng.randint(1, 3)) + [""]
    if attachment_names:
        lines += [rng.choice(JA_ATTACHMENT_SENTENCES)] + ["・" + n for n in attachment_names] + [""]
    lines += [rng.choice(JA_CLOSINGS), ""] + ja_signature(sender)
    return wrap_ja(lines)


def en_core(rng, sender, rcpt, attachment_names):
    """One English message body (no quoted history), as lines."""
    lines = [rng.choice(EN_GREETINGS).format(name=rcpt.short), ""]
    for _ in range(rng.randint(2, 5)):
        sentences = [fill(rng, s) for s in rng.sample(EN_SENTENCES, rng.randint(2, 4))]
        lines += textwrap.wrap(" ".join(sentences), 72) + [""]
    if attachment_names:
        lines += [rng.choice(EN_ATTACHMENT_SENTENCES)] + ["- " + n for n in attachment_names] + [""]
    lines += [rng.choice(EN_CLOSINGS), sender.display, ""] + en_signature(sender)
    return lines


def format_quote_date(date, lang):
    if lang == "ja":
        return "%d年%d月%d日(%s) %02d:%02d" % (date.year, date.month, date.day,
                                           JA_WEEKDAYS[date.weekday()], date.hour, date.minute)
    return "%s, %s %d, %d at %d:%02d %s" % (
        EN_WEEKDAYS[date.weekday()], EN_MONTHS[date.month - 1], date.day, date.year,
        (date.hour + 11) % 12 + 1, date.minute, "AM" if date.hour < 12 else "PM")


def compose_body(rng, lang, sender, rcpt, subject, attachment_names, date, target_chars):
    """The body text: a new message, then quoted earlier messages of the thread.

    Real business mail carries its thread along, which is also what makes
    plain-text messages reach realistic sizes; history is added until the
    text is TARGET_CHARS long.  Quoting is Gmail/Thunderbird style (nested
    "> ") or Outlook style ("-----Original Message-----" blocks).
    """
    core = ja_core if lang == "ja" else en_core
    lines = core(rng, sender, rcpt, attachment_names)
    outlook_style = rng.random() < 0.4
    writer, reader = rcpt, sender
    depth = 0
    while sum(len(line) + 1 for line in lines) < target_chars and depth < 8:
        depth += 1
        date -= timedelta(minutes=rng.randint(40, 3000))
        previous = core(rng, writer, reader, [])
        when = format_quote_date(date, lang)
        if outlook_style:
            labels = (["差出人", "送信日時", "宛先", "件名"] if lang == "ja"
                      else ["From", "Sent", "To", "Subject"])
            lines += ["", "-----Original Message-----",
                      "%s: %s <%s>" % (labels[0], writer.display, writer.address),
                      "%s: %s" % (labels[1], when),
                      "%s: %s <%s>" % (labels[2], reader.display, reader.address),
                      "%s: %s" % (labels[3], subject), ""] + previous
        else:
            intro = ("%s %s <%s>:" if lang == "ja" else "On %s, %s <%s> wrote:") % (
                when, writer.display, writer.address)
            lines += ["", ">" * (depth - 1) + (" " if depth > 1 else "") + intro]
            lines += [">" * depth + (" " + line if line else "") for line in previous]
        writer, reader = reader, writer
    return "\n".join(lines) + "\n"


def smarten(text):
    """Typographic quotes and dashes, as Outlook and Apple Mail type them."""
    return text.replace("'", "\u2019").replace(" - ", " \u2013 ")


def to_html(text, charset, lang):
    """A simple styled HTML rendering of the plain text, one line per source line."""
    rows = []
    for line in text.rstrip("\n").split("\n"):
        content = html.escape(line, quote=False) or "<br>"
        if line.startswith(">"):
            rows.append('<div style="color:#5f6368;border-left:2px solid #ccc;'
                        'padding-left:6px">%s</div>' % content)
        else:
            rows.append("<div>%s</div>" % content)
    font = ('"Meiryo UI", "Yu Gothic", sans-serif' if lang == "ja"
            else 'Calibri, Arial, sans-serif')
    return "\n".join(
        ["<html>", "<head>",
         '<meta http-equiv="Content-Type" content="text/html; charset=%s">' % charset,
         "<style>", "body { font-family: %s; font-size: 10.5pt; color: #1f1f1f; }" % font,
         "div { margin: 0; line-height: 1.5; }", "</style>", "</head>",
         '<body lang="%s">' % lang] + rows + ["</body>", "</html>", ""])


# ---------------------------------------------------------------- attachments

def fake_contact(rng, lang):
    """name, email, phone, company of an invented customer."""
    if lang == "ja":
        sur, given, rsur, rgiven = rng.choice(JA_NAMES)
        name = "%s %s" % (sur, given)
        local = "%s.%s%d" % (rgiven, rsur, rng.randint(1, 99))
        phone = "%s-%04d-%04d" % (rng.choice(["03", "06", "090", "080", "070"]),
                                  rng.randint(0, 9999), rng.randint(0, 9999))
        company = rng.choice(JA_PARTNERS)[0]
    else:
        first, last = rng.choice(EN_NAMES)
        name = "%s %s" % (first, last)
        local = "%s.%s%d" % (first.lower(), last.lower(), rng.randint(1, 99))
        phone = "+1-%s-555-01%02d" % (rng.choice(["212", "312", "415", "206"]),
                                      rng.randint(0, 99))
        company = rng.choice(EN_PARTNERS)[0]
    return [name, "%s@%s" % (local, rng.choice(CSV_DOMAINS)), phone, company]


def csv_header(lang):
    return (["氏名", "メールアドレス", "電話番号", "会社名"] if lang == "ja"
            else ["name", "email", "phone", "company"])


def make_csv(rng, lang, target_bytes):
    """A customer list of about TARGET_BYTES characters (CRLF rows, like Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)  # lineterminator is \r\n
    writer.writerow(csv_header(lang))
    while out.tell() < target_bytes:
        writer.writerow(fake_contact(rng, lang))
    return out.getvalue()


def csv_attachment(rng, lang, filename, target_bytes):
    # Japanese Excel writes Shift_JIS; newer exports use UTF-8 with a BOM.
    if lang == "ja" and rng.random() < 0.5:
        return Attachment("csv", filename, make_csv(rng, lang, target_bytes).encode("shift_jis"),
                          "Shift_JIS")
    bom = "\ufeff" if rng.random() < 0.5 else ""
    return Attachment("csv", filename, (bom + make_csv(rng, lang, target_bytes)).encode("utf-8"),
                      "UTF-8")


def make_jpeg_bytes(rng, size):
    """A baseline JPEG's structure around SIZE bytes of entropy-coded data:
    SOI, APP0, DQT, SOF0, DHT, SOS, random scan bytes (0xFF stuffed with 00,
    as an encoder writes them), EOI."""
    def segment(marker, body):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
    head = (b"\xff\xd8" +
            segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00") +
            segment(0xDB, b"\x00" + bytes(range(1, 65))) +
            segment(0xC0, b"\x08" + struct.pack(">HH", 1080, 1920) + b"\x01\x01\x11\x00") +
            segment(0xC4, b"\x00" + bytes([0, 1, 5, 1, 1, 1, 1, 1, 1] + [0] * 7) +
                    bytes(range(12))) +
            segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"))
    scan = rng.randbytes(max(0, size - len(head) - 2)).replace(b"\xff", b"\xff\x00")
    return head + scan + b"\xff\xd9"


def make_pdf(rng, size):
    """A PDF as a PDF writer makes it: a page whose Flate-compressed content
    stream draws a line of text and a JPEG (DCTDecode) that fills the rest
    of SIZE, and a cross-reference table whose offsets are right - so that a
    reader that walks a PDF's structure meets what real mail carries."""
    text = b"BT /F1 12 Tf 72 720 Td (Quotation %d - see the attached figures) Tj ET\n" % (
        rng.randint(1000, 99999))
    content = zlib.compress(text)
    image = make_jpeg_bytes(rng, max(0, size - 900))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content +
        b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width 1920 /Height 1080 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(image) +
        image + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, xref))
    return bytes(out)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data))


def make_png(rng, size):
    """PNG signature, a real IHDR, then random bytes as IDAT and an IEND."""
    head = b"\x89PNG\r\n\x1a\n" + png_chunk(
        b"IHDR", struct.pack(">IIBBBBB", rng.randint(320, 1920), rng.randint(240, 1080),
                             8, 2, 0, 0, 0))
    tail = png_chunk(b"IEND", b"")
    return head + png_chunk(b"IDAT", rng.randbytes(max(0, size - len(head) - len(tail) - 12))) + tail


def zip_bytes(members):
    """A zip archive of (name, data, compress_type) with fixed timestamps."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, method in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OOXML_CT = "application/vnd.openxmlformats-officedocument."


def content_types_xml(overrides, extra_defaults=()):
    defaults = [("rels", "application/vnd.openxmlformats-package.relationships+xml"),
                ("xml", "application/xml")] + list(extra_defaults)
    return (XML_DECL + '<Types xmlns="%s">' % CT_NS
            + "".join('<Default Extension="%s" ContentType="%s"/>' % d for d in defaults)
            + "".join('<Override PartName="%s" ContentType="%s"/>' % o for o in overrides)
            + "</Types>")


def rels_xml(rels):
    """A relationships part from (id, type suffix, target) triples."""
    return (XML_DECL + '<Relationships xmlns="%s">' % PKG_RELS_NS
            + "".join('<Relationship Id="%s" Type="%s/%s" Target="%s"/>' % (i, DOC_RELS_NS, t, tgt)
                      for i, t, tgt in rels)
            + "</Relationships>")


def make_docx(rng, lang, image_size=0):
    """A minimal valid .docx; IMAGE_SIZE > 0 embeds a PNG to reach a given size."""
    sentences = JA_SENTENCES if lang == "ja" else EN_SENTENCES
    paragraphs = [fill(rng, s) for s in rng.choices(sentences, k=rng.randint(8, 30))]
    document = (XML_DECL + '<w:document xmlns:w="%s"><w:body>' % WORD_NS
                + "".join('<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % xml_escape(p)
                          for p in paragraphs)
                + "<w:sectPr/></w:body></w:document>")
    deflate = zipfile.ZIP_DEFLATED
    members = [
        ("[Content_Types].xml", content_types_xml(
            [("/word/document.xml", OOXML_CT + "wordprocessingml.document.main+xml")],
            [("png", "image/png")] if image_size else []).encode(), deflate),
        ("_rels/.rels", rels_xml([("rId1", "officeDocument", "word/document.xml")]).encode(),
         deflate),
        ("word/document.xml", document.encode(), deflate),
    ]
    if image_size:
        # Stored, not deflated: the payload is random, compressing it is wasted time.
        members += [("word/_rels/document.xml.rels",
                     rels_xml([("rId1", "image", "media/image1.png")]).encode(), deflate),
                    ("word/media/image1.png", make_png(rng, image_size), zipfile.ZIP_STORED)]
    return zip_bytes(members)


def make_xlsx(rng, lang):
    """A minimal valid .xlsx: one sheet of customer rows, all strings shared."""
    rows = [csv_header(lang)] + [fake_contact(rng, lang) for _ in range(rng.randint(10, 120))]
    strings, index = [], {}
    cells = []
    for r, row in enumerate(rows, 1):
        refs = []
        for col, value in zip("ABCD", row):
            if value not in index:
                index[value] = len(strings)
                strings.append(value)
            refs.append('<c r="%s%d" t="s"><v>%d</v></c>' % (col, r, index[value]))
        cells.append('<row r="%d">%s</row>' % (r, "".join(refs)))
    sheet = (XML_DECL + '<worksheet xmlns="%s"><sheetData>%s</sheetData></worksheet>'
             % (SHEET_NS, "".join(cells)))
    shared = (XML_DECL + '<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
              % (SHEET_NS, 4 * len(rows), len(strings),
                 "".join("<si><t>%s</t></si>" % xml_escape(s) for s in strings)))
    workbook = (XML_DECL + '<workbook xmlns="%s" xmlns:r="%s"><sheets>'
                '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
                % (SHEET_NS, DOC_RELS_NS))
    deflate = zipfile.ZIP_DEFLATED
    sml = OOXML_CT + "spreadsheetml."
    return zip_bytes([
        ("[Content_Types].xml", content_types_xml([
            ("/xl/workbook.xml", sml + "sheet.main+xml"),
            ("/xl/worksheets/sheet1.xml", sml + "worksheet+xml"),
            ("/xl/sharedStrings.xml", sml + "sharedStrings+xml")]).encode(), deflate),
        ("_rels/.rels", rels_xml([("rId1", "officeDocument", "xl/workbook.xml")]).encode(),
         deflate),
        ("xl/workbook.xml", workbook.encode(), deflate),
        ("xl/_rels/workbook.xml.rels", rels_xml([
            ("rId1", "worksheet", "worksheets/sheet1.xml"),
            ("rId2", "sharedStrings", "sharedStrings.xml")]).encode(), deflate),
        ("xl/worksheets/sheet1.xml", sheet.encode(), deflate),
        ("xl/sharedStrings.xml", shared.encode(), deflate),
    ])


def make_attachment(rng, kind, lang, size=None):
    """An attachment of KIND; SIZE (bytes) only for kinds that can be sized."""
    filename = fill(rng, rng.choice(FILENAMES[kind][0 if lang == "ja" else 1]))
    if kind == "pdf":
        return Attachment(kind, filename, make_pdf(rng, size or rng.randint(8000, 30000)))
    if kind == "png":
        return Attachment(kind, filename, make_png(rng, size or rng.randint(5000, 25000)))
    if kind == "csv":
        return csv_attachment(rng, lang, filename, size or rng.randint(1500, 12000))
    if kind == "docx":
        return Attachment(kind, filename, make_docx(rng, lang, size or 0))
    if kind == "xlsx":
        return Attachment(kind, filename, make_xlsx(rng, lang))
    # zip: an exported customer list, as people send them "to be safe"
    data = make_csv(rng, lang, rng.randint(3000, 25000)).encode("utf-8")
    return Attachment(kind, filename, zip_bytes([("customers.csv", data, zipfile.ZIP_DEFLATED)]))


def make_attachments(rng, lang, size_class, max_attachment):
    """1-3 attachments; medium and large messages get one big sized one first."""
    def small():
        return make_attachment(rng, pick(rng, SMALL_KINDS), lang)

    if size_class == "small":
        return [small() for _ in range(pick(rng, [(1, 60), (2, 30), (3, 10)]))]
    if size_class == "medium":
        # 90-600 KB raw is 123-820 KB in base64: with text and an extra small
        # attachment the message stays between 100 KB and 1 MB.
        kind = pick(rng, SIZED_KINDS_MEDIUM)
        size = min(rng.randint(90000, 600000), max_attachment)
    else:
        kind = pick(rng, SIZED_KINDS_LARGE)
        size = rng.randint(min(MIB, max_attachment), max_attachment)
    big = make_attachment(rng, kind, lang, size)
    return [big] + [small() for _ in range(rng.randint(0, 1))]


def unique_filenames(attachments):
    """Renames repeated file names "x (2).pdf", as a user saving twice would get."""
    seen = set()
    for att in attachments:
        stem, _, ext = att.filename.rpartition(".")
        n = 1
        while att.filename in seen:
            n += 1
            att.filename = "%s (%d).%s" % (stem, n, ext)
        seen.add(att.filename)
    return attachments


# ---------------------------------------------------------------- messages

@dataclass
class Spec:
    lang: str                       # "ja" or "en"
    size_class: str                 # "small", "medium" or "large"
    structure: str                  # "plain", "alternative" or "mixed"


def quota(count, shares):
    """COUNT labels split by SHARES [(label, fraction)], the last taking the rest."""
    out = []
    for label, share in shares[:-1]:
        out += [label] * min(round(count * share), count - len(out))
    return out + [shares[-1][0]] * (count - len(out))


def make_plan(rng, count):
    """The (language, size, structure) of every message.

    Stratified rather than drawn independently so that even a 10-message
    corpus has the intended mix.  Medium and large messages need an
    attachment, so they are all multipart/mixed and the text-only and
    alternative messages come from the small ones.
    """
    langs = quota(count, [("ja", 0.40), ("en", 0.60)])
    sizes = quota(count, [("large", 0.08), ("medium", 0.25), ("small", 0.67)])
    rng.shuffle(langs)
    rng.shuffle(sizes)
    small_structures = quota(sizes.count("small"), [
        ("plain", 0.35 * count / max(1, sizes.count("small"))),
        ("alternative", 0.20 * count / max(1, sizes.count("small"))),
        ("mixed", 0)])
    rng.shuffle(small_structures)
    structures = [small_structures.pop() if s == "small" else "mixed" for s in sizes]
    return [Spec(*spec) for spec in zip(langs, sizes, structures)]


def body_part(rng, text, lang, charset, cte, with_html, mailer):
    if not with_html:
        return text_part(text, "plain", charset, cte)
    return multipart("alternative", mailer["boundary"](rng),
                     [text_part(text, "plain", charset, cte),
                      text_part(to_html(text, charset, lang), "html", charset, cte)])


def office_hours_date(rng, index):
    """A weekday 09:00-18:00 JST date: six messages a day from FIRST_DATE on,
    the day from the index, the time of day from the seeded generator."""
    day = FIRST_DATE
    for _ in range((index - 1) // 6):
        day += timedelta(days=3 if day.weekday() == 4 else 1)  # Friday -> Monday
    return day + timedelta(minutes=rng.randint(0, 9 * 60 - 1), seconds=rng.randint(0, 59))


def build_message(rng, index, seed, spec, max_attachment):
    lang = spec.lang
    mailer = rng.choice(MAILERS)
    charset, cte = pick(rng, JA_TEXT_ENCODINGS if lang == "ja" else EN_TEXT_ENCODINGS)
    header_charset = "UTF-8" if charset == "UTF-8" else "ISO-2022-JP"

    sender = internal_person(rng, lang)
    to = [external_person(rng, lang) for _ in range(pick(rng, [(1, 70), (2, 20), (3, 10)]))]
    cc = [internal_person(rng, lang) for _ in range(pick(rng, [(0, 55), (1, 30), (2, 15)]))]
    subject = fill(rng, rng.choice(JA_SUBJECTS if lang == "ja" else EN_SUBJECTS))
    date = office_hours_date(rng, index)

    attachments = (unique_filenames(make_attachments(rng, lang, spec.size_class,
                                                     max_attachment))
                   if spec.structure == "mixed" else [])
    target_chars = rng.randint(1200, 6000) if lang == "ja" else rng.randint(3000, 14000)
    text = compose_body(rng, lang, sender, to[0], subject, [a.filename for a in attachments],
                        date, target_chars)
    if charset == "UTF-8" and lang == "en":
        text = smarten(text)

    with_html = (spec.structure == "alternative"
                 or (spec.structure == "mixed" and rng.random() < 0.3))
    root = body_part(rng, text, lang, charset, cte, with_html, mailer)
    if attachments:
        root = multipart("mixed", mailer["boundary"](rng),
                         [root] + [attachment_part(a, mailer["filenames"]) for a in attachments])
    if root.children:
        root.preamble = mailer["preamble"]

    top = [address_list_header("From", [sender], header_charset),
           address_list_header("To", to, header_charset)]
    if cc:
        top.append(address_list_header("Cc", cc, header_charset))
    top += [header("Subject", *phrase_tokens(subject, header_charset)),
            header("Date", format_datetime(date)),
            header("Message-ID", "<%d.%d@bench.sendwatch.test>" % (index, seed))]
    if subject.startswith("Re:"):
        parent = "<%s@%s>" % (hexdigits(rng, 16).lower(), to[0].address.split("@")[1])
        top += [header("In-Reply-To", parent), header("References", parent)]
    if mailer["header"]:
        top.append(header(*mailer["header"]))
    top.append(header("MIME-Version", "1.0"))
    root.headers = top + root.headers
    return root.render()


# ---------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(description="Generate a realistic MIME mail corpus.")
    p.add_argument("outdir")
    p.add_argument("--count", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-attachment", type=int, default=5 * MIB, metavar="BYTES")
    args = p.parse_args(argv)
    if args.count < 1:
        p.error("--count must be at least 1")
    if args.max_attachment < 32768:
        p.error("--max-attachment must be at least 32768")
    return args


def main(argv=None):
    args = parse_args(argv)
    check_fragments()
    rng = random.Random(args.seed)
    os.makedirs(args.outdir, exist_ok=True)
    sizes = []
    for index, spec in enumerate(make_plan(rng, args.count), 1):
        data = build_message(rng, index, args.seed, spec, args.max_attachment)
        with open(os.path.join(args.outdir, "%04d.eml" % index), "wb") as f:
            f.write(data)
        sizes.append(len(data))
    print(json.dumps({"count": len(sizes), "bytes": sum(sizes), "min": min(sizes),
                      "max": max(sizes), "median": round(statistics.median(sizes))},
                     separators=(",", ":")))


if __name__ == "__main__":
    main()
