"""JSON Lines (.jsonl): one article per line, `{"id", "text", "title", "published", ...}`.

Streamed: benchmark corpora are tens of MB, and held whole (as bytes, text and a list of
lines) they were the largest thing in an ingest. So the file-size limit does not apply; each
line is checked on its own."""

from __future__ import annotations

import json
from collections.abc import Iterator

from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.decode import decode, is_plain_utf8, split_lines, utf8_lines
from assistant.ingest.readers.registry import Format, register
from assistant.types import IngestFailure

__all__: list[str] = []


def _lines(req: ReadRequest) -> Iterator[str | IngestFailure]:
    """The lines of the file, streamed when it is UTF-8; other encodings are decoded whole,
    as `decode` does for any file."""
    if is_plain_utf8(req.path):
        yield from utf8_lines(req.path)
        return
    data = req.path.read_bytes()
    try:
        text = decode(data, req.label)
    except (ValueError, UnicodeDecodeError) as exc:
        yield req.failure(str(exc))
        return
    del data
    yield from split_lines(text)


def read_jsonl(req: ReadRequest) -> Iterator[ReadItem]:
    lines = _lines(req)
    lineno = 0
    while True:
        try:
            line = next(lines, None)
        except OSError as exc:  # the file went away or failed to read part-way
            yield req.failure(f"cannot read: {exc.strerror or exc}")
            return
        except UnicodeDecodeError as exc:  # rewritten since it was checked to be UTF-8
            yield req.failure(f"changed while being read ({exc})")
            return
        if line is None:
            return
        if isinstance(line, IngestFailure):
            yield line
            return
        lineno += 1
        if not line.strip():
            continue
        where = f"{req.path}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            # exc.msg alone is cut ("Unterminated string starting at"): say where.
            yield req.failure(
                f"malformed JSON at line {lineno}, column {exc.colno}: {exc.msg}", where=where
            )
            continue
        if not isinstance(rec, dict):
            yield req.failure("line is not a JSON object", where=where)
            continue
        doc_id, body = rec.get("id"), rec.get("text")
        if not isinstance(doc_id, str | int) or str(doc_id).strip() == "":
            yield req.failure("missing 'id'", where=where)
            continue
        if not isinstance(body, str) or not body.strip():
            yield req.failure(f"article {doc_id!r} has no 'text'", where=where, doc_id=str(doc_id))
            continue
        yield req.article(
            body,
            doc_id=str(doc_id),
            path=where,
            title=rec.get("title") or None,
            published=rec.get("published") or None,
            source=rec.get("source") or None,
            url=rec.get("url") or None,
            location=f"line {lineno}",
        )


register(
    Format(
        name="JSON Lines",
        suffixes=(".jsonl",),
        library="(standard library)",
        produces='each line {"id", "text", "title", "published", "source", "url"}',
        read=read_jsonl,
        ids="inside",
        streamed=True,
    )
)
