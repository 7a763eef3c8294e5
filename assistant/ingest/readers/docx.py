"""Word documents (.docx) through python-docx: paragraphs and headings in document order,
the core properties' title and date. A news-database export splits into its articles.

A .docx is a zip of XML parts. Before python-docx opens it, its members' declared sizes are
added up, so a zip bomb (a few KB that inflate to gigabytes) is refused unread; python-docx's
XML parser does not resolve entities, so an external entity cannot pull a file in.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator

from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.exports import export_articles
from assistant.ingest.readers.registry import Format, register

__all__: list[str] = []

# The most a .docx may inflate to, as a multiple of the file-size limit: text compresses
# about 4-10x, so a real document stays far below it.
_INFLATE_FACTOR = 20
# The timestamp python-docx's own blank template carries: a file written by python-docx
# without a date of its own has it, and it says nothing about the article.
_TEMPLATE_CREATED = dt.datetime(2013, 12, 23, 23, 15)


def _zip_problem(req: ReadRequest) -> str | None:
    try:
        with zipfile.ZipFile(req.path) as zf:
            names = set(zf.namelist())
            inflated = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        return f"not a readable Word document (corrupt or truncated: {exc})"
    if "word/document.xml" not in names:
        return "not a Word document (a zip without word/document.xml)"
    limit = _INFLATE_FACTOR * req.max_bytes
    if inflated > limit:
        return (
            f"refused: its parts inflate to {inflated / 1e6:,.0f} MB, over {limit / 1e6:,.0f} MB "
            "(a zip bomb, or raise ASSISTANT_MAX_FILE_MB)"
        )
    return None


def read_docx(req: ReadRequest) -> Iterator[ReadItem]:
    import docx

    problem = _zip_problem(req)
    if problem:
        yield req.failure(problem)
        return
    try:
        document = docx.Document(str(req.path))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors...
        yield req.failure(f"not a readable Word document ({type(exc).__name__}: {exc})")
        return
    paragraphs = [p.text.strip() for p in document.paragraphs]
    for table in document.tables:  # tables after the text: their cells as paragraphs
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                paragraphs.append(" | ".join(dict.fromkeys(cells)))
    text = "\n\n".join(p for p in paragraphs if p)
    if not text.strip():
        yield req.failure("the Word document has no text")
        return
    props = document.core_properties
    created = props.created
    if created is not None and created.replace(tzinfo=None) == _TEMPLATE_CREATED:
        created = None
    yield from export_articles(
        req,
        [text],
        title=props.title or None,
        published=created.date().isoformat() if created else None,
        source=None,
    )


def _sniff(head: bytes) -> bool:
    # A zip whose first member is a Word part ([Content_Types].xml, then word/...).
    return head.startswith(b"PK\x03\x04") and b"word/" in head


register(
    Format(
        name="Word",
        suffixes=(".docx",),
        library="python-docx",
        produces="paragraphs, headings and tables; title and date from its properties; a "
        "news-database export splits into its articles",
        read=read_docx,
        ids="split",
        sniff=_sniff,
    )
)
