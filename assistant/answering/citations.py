"""Citations: numbered, verbatim, and only ever pointing at retrieved chunks."""

from __future__ import annotations

import re

from assistant.types import Citation, RetrievedChunk

__all__ = ["MARKER", "make_citation", "renumber_markers"]

MARKER = re.compile(r"\[(\d{1,3})\]")


def make_citation(number: int, rc: RetrievedChunk, start: int, end: int) -> Citation:
    """A citation quoting `rc.article.text[start:end]`, which must lie inside the chunk."""
    art = rc.article
    if not (rc.chunk.start <= start < end <= rc.chunk.end):
        raise ValueError(f"quote {start}:{end} is outside chunk {rc.chunk.chunk_id}")
    return Citation(
        number=number,
        doc_id=art.doc_id,
        title=art.title,
        source=art.source,
        url=art.url,
        published=art.published,
        chunk_id=rc.chunk.chunk_id,
        quote=art.text[start:end],
        start=start,
        end=end,
    )


def renumber_markers(text: str, n_sources: int) -> tuple[str, list[int]]:
    """Drop markers that point to no source; renumber the rest 1..m by first appearance.

    Returns the new text and, for each new number, the 1-based source number it stands for.
    """
    order: list[int] = []

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if not 1 <= n <= n_sources:
            return ""
        if n not in order:
            order.append(n)
        return f"[{order.index(n) + 1}]"

    new = MARKER.sub(sub, text)
    new = re.sub(r"(\[\d+\])(\s*\1)+", r"\1", new)  # "[1] [1]" -> "[1]"
    new = re.sub(r"[ \t]+([.,;:])", r"\1", new)
    return new, order
