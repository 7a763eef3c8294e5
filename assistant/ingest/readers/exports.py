"""Multi-article exports of news databases, split into their articles.

Researchers download articles from news databases as one PDF, Word, RTF or text file holding
dozens of them. Two layouts are recognised, from the vendors' documented export formats:

- Factiva: each article ends with its accession number on a line of its own,
  ``Document NYTF000020230105ej150001m``; the header block under the headline states the
  word count (``812 words``), the date (``5 January 2023``), the source's name and code, the
  language and the copyright line.
- Nexis Uni (LexisNexis): each article ends with ``End of Document``; the headline is
  followed by the source, the date (``January 5, 2023 Thursday``) and ``Section:``,
  ``Length:``, ``Byline:`` lines, the text follows a ``Body`` line and ends before
  ``Load-Date:`` / ``Classification``.

A file with neither layout stays one article, as it always was.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from assistant.ingest.dates import find_header_date
from assistant.ingest.readers.base import ReadItem, ReadRequest

__all__ = ["ExportArticle", "export_articles", "is_export_marker", "split_export"]

# Factiva's accession numbers are 20-32 letters and digits (source code, date, sequence).
_FACTIVA_END = re.compile(r"^[ \t]*Document[ \t]+([A-Za-z0-9]{20,32})[ \t]*$", re.MULTILINE)
_NEXIS_END = re.compile(r"^[ \t]*End of Document[ \t]*$", re.MULTILINE | re.IGNORECASE)
# Lines a header block is made of, by their first words.
_WORDS = re.compile(r"^[\d,.]+ words$", re.IGNORECASE)
_NEXIS_FIELD = re.compile(
    r"^(Section|Length|Byline|Dateline|Highlight|Correction|Copyright|Publication-Type|"
    r"Language|Journal Code)\b:?",
    re.IGNORECASE,
)
# The fields after an article's text ("Load-Date: January 6, 2023", "Classification").
_NEXIS_TAIL = re.compile(
    r"^[ \t]*(?:(?:Load-Date|Subject|Geographic|Graphic|Notes|Publication-Type|"
    r"Document-Type|Language):|Classification[ \t]*$)",
    re.IGNORECASE | re.MULTILINE,
)
_COPYRIGHT = re.compile(r"^(Copyright|\(c\)|©)", re.IGNORECASE)
# How far into an article its header block may reach, in non-empty lines.
_HEADER_LINES = 14


@dataclass(frozen=True)
class ExportArticle:
    """One article of an export: its text and what its header block stated."""

    text: str
    start: int  # offsets in the export's text, to tell its pages
    end: int
    title: str | None
    published: str | None
    source: str | None
    identifier: str | None  # the database's document id (Factiva's accession number)


def _lead(block: str) -> int:
    return len(block) - len(block.lstrip())


def _lines(block: str) -> list[str]:
    return [ln.strip() for ln in block.splitlines() if ln.strip()]


def _line_offset(block: str, line: int) -> int:
    """Where the block's `line`-th non-empty line starts (its end when there is none)."""
    starts = [m.start() for m in re.finditer(r"(?m)^[ \t]*\S", block)]
    return starts[line] if line < len(starts) else len(block)


def _body_from(block: str, line: int) -> str:
    """The block's text from its `line`-th non-empty line on, as written: the line breaks
    inside paragraphs and between them are the document's own."""
    return block[_line_offset(block, line) :].strip()


def _factiva(block: str, identifier: str, start: int) -> ExportArticle:
    lines = _lines(block)
    head = lines[:_HEADER_LINES]
    title = head[0] if head else None
    date_i = next((i for i, ln in enumerate(head) if i and find_header_date(ln) == ln), None)
    published = head[date_i] if date_i is not None else None
    source = head[date_i + 1] if date_i is not None and date_i + 1 < len(head) else None
    # The body starts after the last header line: copyright, language, source code, count.
    body_i = 1
    for i, ln in enumerate(head):
        if i == 0:
            continue
        if (
            _COPYRIGHT.match(ln)
            or _WORDS.match(ln)
            or (date_i is not None and i <= date_i + 1)
            or (date_i is not None and i <= date_i + 3 and len(ln) <= 12)
        ):
            body_i = i + 1
    body = _body_from(block, body_i)
    return ExportArticle(
        body,
        start + _lead(block),
        start + len(block.rstrip()),
        title,
        published,
        source,
        identifier,
    )


def _nexis(block: str, start: int) -> ExportArticle:
    lines = _lines(block)
    head = lines[:_HEADER_LINES]
    title = head[0] if head else None
    source = head[1] if len(head) > 1 and not find_header_date(head[1]) else None
    published = next((find_header_date(ln) for ln in head[1:] if find_header_date(ln)), None)
    body_i = next((i + 1 for i, ln in enumerate(lines) if ln.lower() == "body"), None)
    if body_i is None:  # no "Body" line: after the last field of the header
        body_i = 1
        for i, ln in enumerate(head):
            if i and (_NEXIS_FIELD.match(ln) or ln == source or find_header_date(ln) == ln):
                body_i = i + 1
    begin = _line_offset(block, body_i)
    tail = _NEXIS_TAIL.search(block, begin)
    body = block[begin : tail.start() if tail is not None else len(block)].strip()
    return ExportArticle(
        body, start + _lead(block), start + len(block.rstrip()), title, published, source, None
    )


def is_export_marker(line: str) -> bool:
    """True for a line that ends an article of a recognised export layout."""
    return bool(_FACTIVA_END.fullmatch(line) or _NEXIS_END.fullmatch(line))


def split_export(text: str) -> list[ExportArticle]:
    """The articles of an export in a recognised layout; [] when none is recognised."""
    ends = list(_FACTIVA_END.finditer(text))
    if ends:
        out, pos = [], 0
        for m in ends:
            # The article's pages run to its end marker, which is part of it.
            art = _factiva(text[pos : m.start()], m.group(1), pos)
            out.append(dataclasses.replace(art, end=m.end()))
            pos = m.end()
        return out
    ends = list(_NEXIS_END.finditer(text))
    if ends:
        out, pos = [], 0
        for m in ends:
            out.append(dataclasses.replace(_nexis(text[pos : m.start()], pos), end=m.end()))
            pos = m.end()
        return out
    return []


def _page_span(starts: Sequence[int], lo: int, hi: int) -> str:
    """The pages (1-based) of the text between offsets lo and hi."""
    first = bisect.bisect_right(starts, lo)
    last = bisect.bisect_right(starts, max(lo, hi - 1))
    return f"page {first}" if first == last else f"pages {first}-{last}"


def export_articles(
    req: ReadRequest,
    pages: Sequence[str],
    *,
    paged: bool = False,
    tidy: Callable[[str], str] | None = None,
    **meta: str | None,
) -> Iterator[ReadItem]:
    """The articles of a document whose text is `pages`: one per article of a recognised
    export layout (ids `<file id>#1`, `#2`, ...), else the whole document as one article
    with `meta` (title, published, ... from the file's own properties). `paged`: the pages
    are real pages (a PDF), so each article's location names its page range; `tidy` is
    applied to each article's text (the PDF reader joins its lines into paragraphs)."""
    tidy = tidy or (lambda text: text)
    sep = "\n\n"
    text = sep.join(pages)
    starts, pos = [], 0
    for page in pages:
        starts.append(pos)
        pos += len(page) + len(sep)
    articles = split_export(text)
    if not articles:
        location = _page_span(starts, 0, len(text)) if paged else None
        yield req.article(tidy(text), location=location, **meta)
        return
    for n, art in enumerate(articles, start=1):
        where = f"article {n} of {len(articles)}"
        if paged:
            where += f", {_page_span(starts, art.start, art.end)}"
        if art.identifier:
            where += f", document {art.identifier}"
        doc_id = f"{req.doc_id}#{n}"
        if not art.text.strip():
            yield req.failure(f"{where}: no article text", where=f"{req.label}#{n}", doc_id=doc_id)
            continue
        yield req.article(
            tidy(art.text),
            doc_id=doc_id,
            path=f"{req.label}#{n}",
            title=art.title,
            published=art.published,
            source=art.source,
            location=where,
        )
