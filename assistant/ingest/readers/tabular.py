"""CSV and TSV (.csv, .tsv) through the standard library's csv module: one article per row.

Columns are found by their common names (title/headline, text/body/content, date/published,
url/link, source/publisher, id) or named explicitly with `--columns text=Body,title=Head`.
The file is streamed row by row, so a data set of any size is read in constant memory; a
row that is ragged, has no text or holds an oversized cell fails alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import IO

from assistant.errors import clip
from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.decode import decode, is_plain_utf8
from assistant.ingest.readers.registry import Format, register

__all__ = ["FIELDS", "parse_columns"]

# Article fields and the column names that mean them, most specific first.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id", "article_id", "guid", "uuid"),
    "title": ("title", "headline", "heading", "header"),
    "text": ("text", "body", "content", "article", "full_text", "fulltext", "story", "maintext"),
    "published": (
        "published",
        "date",
        "published_at",
        "pubdate",
        "publication_date",
        "date_published",
        "datetime",
        "timestamp",
    ),
    "url": ("url", "link", "href", "permalink"),
    "source": ("source", "publisher", "outlet", "publication", "site", "source_name"),
}
# The longest physical line read: a row that long is data gone wrong (a 1 GB cell), and
# reading it whole would hold it all in memory.
_MAX_LINE_CHARS = 4_000_000


class _LineTooLong(Exception):
    def __init__(self, lineno: int) -> None:
        self.lineno = lineno


def parse_columns(spec: str) -> dict[str, str]:
    """`text=Body,title=Headline` -> {"text": "Body", "title": "Headline"}; ValueError with
    the user's words for anything else."""
    out: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        field, sep, column = part.partition("=")
        field = field.strip().lower()
        if not sep or not column.strip():
            raise ValueError(f"--columns: {part.strip()!r} is not FIELD=COLUMN")
        if field not in FIELDS:
            raise ValueError(
                f"--columns: unknown field {field!r}; the fields are {', '.join(FIELDS)}"
            )
        out[field] = column.strip()
    return out


def _bounded_lines(fh: IO[str]) -> Iterator[str]:
    lineno = 0
    while True:
        line = fh.readline(_MAX_LINE_CHARS + 1)
        if not line:
            return
        lineno += 1
        if len(line) > _MAX_LINE_CHARS:
            raise _LineTooLong(lineno)
        yield line


def _mapping(header: list[str], explicit: Mapping[str, str]) -> dict[str, int] | str:
    """Field -> column index, or why the header does not fit."""
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    out: dict[str, int] = {}
    for field, column in explicit.items():
        if column in names:
            out[field] = names.index(column)
        elif column.lower() in lowered:
            out[field] = lowered.index(column.lower())
        else:
            shown = ", ".join(clip(n, 40) for n in names[:12])
            return f"--columns names {column!r}, which is not a column (found: {shown})"
    for field, candidates in FIELDS.items():
        if field in out:
            continue
        for cand in candidates:
            if cand in lowered:
                out[field] = lowered.index(cand)
                break
    if "text" not in out:
        shown = ", ".join(clip(n, 40) for n in names[:12]) + (", ..." if len(names) > 12 else "")
        return f"no text column (found: {shown or 'none'}); name it with --columns text=COLUMN"
    return out


def _open_text(req: ReadRequest) -> IO[str]:
    if is_plain_utf8(req.path):
        return req.path.open("r", encoding="utf-8-sig", newline="")
    if req.path.stat().st_size > req.max_bytes:
        raise ValueError(
            "not UTF-8, and too large to decode whole; save it as UTF-8 and ingest again"
        )
    return io.StringIO(decode(req.path.read_bytes(), req.label), newline="")


def read_table(req: ReadRequest) -> Iterator[ReadItem]:
    delimiter = "\t" if req.path.name.lower().endswith(".tsv") else ","
    # The module's default (131,072 characters) would fail long articles; the limit is the
    # process's, and only ever raised here.
    csv.field_size_limit(max(csv.field_size_limit(), _MAX_LINE_CHARS))
    try:
        fh = _open_text(req)
    except ValueError as exc:
        yield req.failure(str(exc))
        return
    with fh:
        rows = csv.reader(_bounded_lines(fh), delimiter=delimiter)
        try:
            header = next(rows, None)
        except (csv.Error, _LineTooLong) as exc:
            yield req.failure(f"cannot read the header row: {exc}")
            return
        if not header:
            yield req.failure("no header row")
            return
        cols = _mapping(header, req.columns)
        if isinstance(cols, str):
            yield req.failure(cols)
            return
        yield from _rows(req, rows, header, cols)


def _rows(
    req: ReadRequest, rows: Iterator[list[str]], header: list[str], cols: dict[str, int]
) -> Iterator[ReadItem]:
    n = 0
    while True:
        try:
            row = next(rows, None)
        except _LineTooLong as exc:
            yield req.failure(
                f"line {exc.lineno} is over {_MAX_LINE_CHARS:,} characters; the rest of the "
                "file was not read",
                where=f"{req.label}:{exc.lineno}",
            )
            return
        except csv.Error as exc:  # an oversized field, a NUL: this record only
            n += 1
            yield req.failure(f"row {n}: {exc}", where=f"{req.label}#row{n}")
            continue
        if row is None:
            return
        n += 1
        if not any(cell.strip() for cell in row):
            continue
        where = f"{req.label}#row{n}"
        doc_id = f"{req.doc_id}#{n}"
        if "id" in cols and cols["id"] < len(row) and row[cols["id"]].strip():
            doc_id = row[cols["id"]].strip()
        if len(row) != len(header):
            yield req.failure(
                f"row {n} has {len(row)} cells, the header {len(header)} (a stray delimiter "
                "or quote?)",
                where=where,
                doc_id=doc_id,
            )
            continue
        values = {f: row[i].strip() or None for f, i in cols.items()}
        if not values.get("text"):
            yield req.failure(f"row {n} has no text", where=where, doc_id=doc_id)
            continue
        yield req.article(
            values["text"] or "",
            doc_id=doc_id,
            path=where,
            title=values.get("title"),
            published=values.get("published"),
            source=values.get("source"),
            url=values.get("url"),
            location=f"row {n}",
        )


register(
    Format(
        name="CSV/TSV",
        suffixes=(".csv", ".tsv"),
        library="csv (standard library)",
        produces="each row; columns by common names (title, text/body, date, url, source, id) "
        "or --columns",
        read=read_table,
        ids="inside",
        streamed=True,
    )
)
