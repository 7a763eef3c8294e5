"""Citations: numbered, verbatim, and only ever pointing at retrieved chunks."""

from __future__ import annotations

import re

from assistant.types import Citation, RetrievedChunk

__all__ = ["ANY_MARKER", "MARKER", "make_citation", "normalise_markers", "renumber_markers"]

# The canonical marker, one number: "[3]".
MARKER = re.compile(r"\[(\d+)\]")
# Every form a model writes citation markers in: "[1, 9]", "[1; 2]", "[1-3]", "[1000]",
# full-width "【9】" and footnote-style "[^9]". `normalise_markers` rewrites them as MARKERs.
ANY_MARKER = re.compile(r"[\[【]\^?[ \t]*(\d+(?:[ \t]*[,;\-–][ \t]*\^?\d+)*)[ \t]*[\]】]")
# A range "[1-30]" stands for each of its numbers; a longer one is not a citation range.
_MAX_RANGE = 20


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


def _numbers(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"[ \t]*[,;][ \t]*", group):
        ends = [int(x) for x in re.findall(r"\d+", part)]
        if len(ends) == 2 and 0 <= ends[1] - ends[0] <= _MAX_RANGE:
            out.extend(range(ends[0], ends[1] + 1))
        else:
            out.extend(ends)
    return out


def normalise_markers(text: str) -> str:
    """Every citation marker form in `text` as single-number markers: "[1, 9]" -> "[1][9]",
    "[2-4]" -> "[2][3][4]", "【9】" and "[^9]" -> "[9]". `renumber_markers` then keeps the
    numbers that name a source and drops the rest."""
    return ANY_MARKER.sub(lambda m: "".join(f"[{n}]" for n in _numbers(m.group(1))), text)


def renumber_markers(text: str, n_sources: int) -> tuple[str, list[int]]:
    """Drop markers that point to no source; renumber the rest 1..m by first appearance.

    Returns the new text and, for each new number, the 1-based source number it stands for.
    """
    order: list[int] = []
    text = normalise_markers(text)

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
