"""Citations: numbered, verbatim, and only ever pointing at retrieved chunks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from assistant.types import Citation, RetrievedChunk

__all__ = [
    "ANY_MARKER",
    "MARKER",
    "inert_markers",
    "make_citation",
    "normalise_markers",
    "renumber_markers",
]

# The canonical marker, one number: "[3]".
MARKER = re.compile(r"\[(\d+)\]")
# Every form a model writes citation markers in, once Unicode variants are folded (see
# `_fold`): "[1, 9]", "[1; 2]", "[1-3]", "[1000]", "【9】" and footnote-style "[^9]" or
# "[ ^9]". `normalise_markers` rewrites them as MARKERs.
ANY_MARKER = re.compile(
    r"[\[【][ \t]*\^?[ \t]*(\d+(?:[ \t]*[,;\-–][ \t]*\^?[ \t]*\d+)*)[ \t]*[\]】]"
)
# What may be a marker in any Unicode spelling: an opening bracket (ASCII, full-width,
# lenticular, tortoise-shell), a short run without brackets or line breaks, a closing one.
# Only such spans are folded: folding a whole answer would rewrite its text ("km²").
_CANDIDATE = re.compile(r"[\[［【〔〖][^\[\]［］【】〔〕〖〗\n]{1,60}[\]］】〕〗]")
# Dashes a model may write in a range ("[1—3]", "[1‐3]", "[1−3]"): all read as "-".
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d]")
_BRACKETS = str.maketrans("〔〖〕〗", "[[]]")
# A range "[1-30]" stands for each of its numbers; a longer one is not a citation range.
_MAX_RANGE = 20


def _fold(span: str) -> str:
    """`span` with Unicode brackets, digits, dashes and spaces in their ASCII forms (NFKC
    turns full-width "［９］" into "[9]" and a no-break space into a space)."""
    folded = _DASHES.sub("-", unicodedata.normalize("NFKC", span).translate(_BRACKETS))
    return re.sub(r"\s", " ", folded)


def _rewrite(text: str, render: Callable[[str], str]) -> str:
    """`text` with each marker, in whatever spelling, replaced by `render(its numbers)`,
    where the numbers are the folded marker's inside ("1, 9", "2-4")."""

    def one(m: re.Match[str]) -> str:
        found = ANY_MARKER.fullmatch(_fold(m.group(0)))
        return render(found.group(1)) if found else m.group(0)

    return _CANDIDATE.sub(one, text)


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
    "[2-4]" and "[2—4]" -> "[2][3][4]", "【9】", "［9］" and "[^9]" -> "[9]".
    `renumber_markers` then keeps the numbers that name a source and drops the rest."""
    return _rewrite(text, lambda group: "".join(f"[{n}]" for n in _numbers(group)))


def inert_markers(text: str) -> str:
    """`text` with every citation marker, in any spelling, made "(n)" text: an article's
    own "[7]" or "［7］" must not reach a model as a marker it could cite with."""
    return _rewrite(text, lambda group: f"({group})")


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
