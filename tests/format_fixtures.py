"""Invented news stories written in every format the readers take (PDF, Word, RTF, feeds,
web archives, CSV, e-mail) and as news-database exports (Factiva and Nexis Uni layouts).

Every town, person and fact here is made up; the layouts of the exports follow the vendors'
public descriptions of their export formats. `benchmarks/readers.py` writes its inputs with
these functions too.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import mailbox
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

TOWNS = [
    "Saltmere",
    "Brackenholt",
    "Quillford",
    "Ormsby Reach",
    "Tarrowdale",
    "Fennick",
    "Glasswater",
    "Hollin Cross",
    "Kestrel Bay",
    "Lowmoor",
    "Marram Point",
    "Nethercombe",
    "Pellow",
    "Rookhaven",
    "Sedgewick",
    "Thornbury Fen",
    "Umberley",
    "Varrow",
    "Wexcombe",
    "Yarrowby",
    "Ashdown Vale",
    "Birchcombe",
    "Coldharbour",
    "Dunmere",
    "Elmstead",
    "Foxley Green",
    "Greywell",
    "Harrowgate Sound",
    "Ivybridge Fold",
    "Juniper Wells",
]
THINGS = [
    "ferry pier",
    "library wing",
    "tram depot",
    "flood barrier",
    "school kitchen",
    "footbridge",
    "market hall",
    "lifeboat station",
    "cycle lane",
    "water tower",
]
OUTLETS = ["The Harbour Gazette", "Northern Ledger", "Coastline Daily"]


@dataclass(frozen=True)
class Story:
    """One invented article: its headline, date, outlet and paragraphs."""

    title: str
    published: dt.date
    source: str
    paragraphs: tuple[str, ...]
    slug: str

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def url(self) -> str:
        return f"https://news.example.org/{self.published:%Y/%m}/{self.slug}"


def stories(n: int, start: dt.date = dt.date(2024, 3, 1)) -> list[Story]:
    """`n` distinct stories, one a day from `start`: in each, a town's council approves a
    thing at a cost only that story states."""
    out = []
    for i in range(n):
        town = TOWNS[i % len(TOWNS)] + ("" if i < len(TOWNS) else f" {i // len(TOWNS) + 1}")
        thing = THINGS[i % len(THINGS)]
        cost = 120_000 + 7_919 * i
        day = start + dt.timedelta(days=i)
        title = f"{town} council approves a new {thing}"
        paragraphs = (
            f"The council of {town} voted on Monday to build a new {thing}, at a cost of "
            f"{cost:,} pounds, after a consultation that drew {40 + i} written replies.",
            f"Councillor Mara Quent{'' if i % 2 else 'e'} said the work would begin within "
            f"{3 + i % 9} months and that the old {thing} would stay open until then.",
            f"Residents of {town} had asked for the {thing} since the storms of the winter "
            "before, when the old one was closed for several weeks.",
        )
        out.append(Story(title, day, OUTLETS[i % len(OUTLETS)], paragraphs, f"story-{i + 1}"))
    return out


# --------------------------------------------------------------------------- exports


def factiva_text(items: Sequence[Story]) -> str:
    """A Factiva-style export: headline, word count, date, source name and code, language,
    copyright, body, and the accession number ending each article."""
    blocks = []
    for i, s in enumerate(items):
        code = "HRBG" if s.source == OUTLETS[0] else "NRTL"
        words = sum(len(p.split()) for p in s.paragraphs)
        blocks.append(
            "\n".join(
                [
                    s.title,
                    "",
                    f"{words} words",
                    f"{s.published.day} {s.published:%B %Y}",
                    s.source,
                    code,
                    "English",
                    f"Copyright {s.published.year} {s.source}. All rights reserved.",
                    "",
                    *[p + "\n" for p in s.paragraphs],
                    f"Document {code}0000{s.published:%Y%m%d}ek{i:02d}0000x",
                    "",
                    "",
                ]
            )
        )
    return "\n".join(blocks)


def nexis_text(items: Sequence[Story]) -> str:
    """A Nexis Uni-style export: headline, source, date with weekday, fields, Body, text,
    Load-Date, and End of Document."""
    blocks = []
    for s in items:
        words = sum(len(p.split()) for p in s.paragraphs)
        blocks.append(
            "\n".join(
                [
                    s.title,
                    s.source,
                    f"{s.published:%B} {s.published.day}, {s.published.year} {s.published:%A}",
                    "",
                    "Copyright 2024 Coastal Media Ltd All Rights Reserved",
                    "",
                    "Section: NEWS; Pg. 4",
                    f"Length: {words} words",
                    "Byline: Staff reporter",
                    "",
                    "Body",
                    "",
                    *[p + "\n" for p in s.paragraphs],
                    f"Load-Date: {s.published:%B} {s.published.day + 1}, {s.published.year}",
                    "",
                    "End of Document",
                    "",
                ]
            )
        )
    return "\n".join(blocks)


# --------------------------------------------------------------------------- writers


def write_pdf(
    path: Path,
    text: str,
    *,
    header: str | None = "Harbour Gazette Archive - printed for research",
    lines_per_page: int = 40,
    encrypt: str | None = None,
) -> Path:
    """`text` laid out on pages, with a running header and a `Page N of M` footer."""
    from fpdf import FPDF

    lines = [ln for para in text.split("\n") for ln in _wrap(para, 90)]
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=10)
    for n, page in enumerate(pages, start=1):
        pdf.add_page()
        if header:
            pdf.set_xy(15, 8)
            pdf.cell(0, 5, header)
        y = 20.0
        for line in page:
            pdf.set_xy(15, y)
            pdf.cell(0, 6, line)
            y += 6.2
        pdf.set_xy(15, 285)
        pdf.cell(0, 5, f"Page {n} of {len(pages)}")
    if encrypt:
        pdf.set_encryption(owner_password="owner-" + encrypt, user_password=encrypt)
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF whose pages hold only drawings, as a scan holds only images: no text layer."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        for k in range(12):
            pdf.rect(20, 20 + 18 * k, 160, 9, style="F")
    pdf.output(str(path))
    return path


def _wrap(para: str, width: int) -> list[str]:
    if not para.strip():
        return [""]
    import textwrap

    return textwrap.wrap(para, width) or [""]


def write_docx(
    path: Path,
    text: str,
    *,
    title: str | None = None,
    created: dt.datetime | None = None,
    heading: str | None = None,
) -> Path:
    import docx

    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    for para in text.split("\n"):
        document.add_paragraph(para)
    if title:
        document.core_properties.title = title
    if created:
        document.core_properties.created = created
    document.save(str(path))
    return path


def write_rtf(path: Path, text: str) -> Path:
    body = (
        text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("\n", "\\par\n")
    )
    path.write_text("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times;}}\\f0\\fs24 " + body + "}", "ascii")
    return path


def write_feed(
    path: Path, items: Sequence[Story], *, atom: bool = False, full: bool = True
) -> Path:
    from xml.sax.saxutils import escape

    if atom:
        entries = "".join(
            f"<entry><id>urn:story:{s.slug}</id><title>{escape(s.title)}</title>"
            f'<link href="{s.url}"/><updated>{s.published.isoformat()}T08:00:00Z</updated>'
            + (
                f'<content type="html">{escape("".join(f"<p>{p}</p>" for p in s.paragraphs))}'
                "</content>"
                if full
                else f"<summary>{escape(s.paragraphs[0])}</summary>"
            )
            + "</entry>"
            for s in items
        )
        xml = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>Coastline Daily</title>'
            f"<id>urn:feed:coast</id><updated>2024-04-01T00:00:00Z</updated>{entries}</feed>"
        )
    else:
        entries = "".join(
            f"<item><title>{escape(s.title)}</title><link>{s.url}</link>"
            f"<guid>{s.url}</guid><pubDate>{format_datetime(_noon(s.published))}</pubDate>"
            f"<description>{escape(s.paragraphs[0])}</description>"
            + (
                f"<content:encoded>{escape(''.join(f'<p>{p}</p>' for p in s.paragraphs))}"
                "</content:encoded>"
                if full
                else ""
            )
            + "</item>"
            for s in items
        )
        xml = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>The Harbour Gazette</title><link>https://news.example.org/</link>"
            f"<description>Invented news</description>{entries}</channel></rss>"
        )
    path.write_text(xml, encoding="utf-8")
    return path


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


def story_html(s: Story) -> str:
    paras = "".join(f"<p>{p}</p>" for p in s.paragraphs)
    return (
        f"<html><head><title>{s.title}</title>"
        f'<meta property="article:published_time" content="{s.published.isoformat()}">'
        f'<meta property="og:site_name" content="{s.source}"></head>'
        f"<body><nav>Home | World | Sport</nav><article><h1>{s.title}</h1>{paras}</article>"
        "<footer>All invented.</footer></body></html>"
    )


def write_warc(path: Path, items: Sequence[Story], *, extras: bool = True) -> Path:
    """A WARC (gzipped when the name ends .gz) with each story as an HTML 200 response, and
    with `extras` a request record, a 404 page and a PNG that the reader must skip."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=path.name.endswith(".gz"))

        def response(url: str, status: str, ctype: str, body: bytes, day: dt.date) -> None:
            headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            rec = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": f"{day.isoformat()}T10:00:00Z"},
            )
            writer.write_record(rec)

        for s in items:
            if extras:
                req = writer.create_warc_record(
                    s.url,
                    "request",
                    payload=io.BytesIO(b""),
                    http_headers=StatusAndHeaders(
                        "GET / HTTP/1.1", [("Host", "news.example.org")], is_http_request=True
                    ),
                )
                writer.write_record(req)
            response(
                s.url, "200 OK", "text/html; charset=utf-8", story_html(s).encode(), s.published
            )
        if extras:
            day = dt.date(2024, 4, 2)
            response(
                "https://news.example.org/missing", "404 Not Found", "text/html", b"<p>no</p>", day
            )
            response(
                "https://news.example.org/logo.png", "200 OK", "image/png", b"\x89PNG....", day
            )
    return path


def write_csv(
    path: Path,
    items: Sequence[Story],
    *,
    delimiter: str = ",",
    headers: Sequence[str] = ("headline", "body", "date", "link", "publisher"),
) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(headers)
        for s in items:
            w.writerow([s.title, s.text, s.published.isoformat(), s.url, s.source])
    return path


def story_message(s: Story, *, html: bool = True) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = s.title
    msg["From"] = f"{s.source} <newsletter@news.example.org>"
    msg["To"] = "reader@example.org"
    msg["Date"] = format_datetime(_noon(s.published))
    msg["Message-ID"] = make_msgid(idstring=s.slug, domain="news.example.org")
    msg.set_content(s.text)
    if html:
        msg.add_alternative(story_html(s), subtype="html")
    return msg


def write_eml(path: Path, s: Story) -> Path:
    path.write_bytes(bytes(story_message(s)))
    return path


def write_mbox(path: Path, items: Sequence[Story]) -> Path:
    box = mailbox.mbox(str(path))
    try:
        for s in items:
            box.add(story_message(s, html=s.published.day % 2 == 0))
        box.flush()
    finally:
        box.close()
    return path


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)
