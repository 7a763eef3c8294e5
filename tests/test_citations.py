"""Citation markers and quotes: never invented, always verbatim and inside the chunk."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from assistant.answering.citations import (
    MARKER,
    inert_markers,
    make_citation,
    renumber_markers,
)
from assistant.answering.llm import parse_llm_output
from assistant.types import Article, Chunk, Citation, RetrievedChunk

TEXT = (
    "Crews in Port Velling have finished replacing the cables of the Harbor Bridge. "
    "The bridge will reopen on March 3, 2027. Ferries will keep running until then."
)


def _retrieved(start: int, end: int) -> RetrievedChunk:
    article = Article(
        doc_id="bridge.txt",
        title="Harbor Bridge repairs near completion",
        text=TEXT,
        published=dt.date(2026, 11, 2),
        source="Coastline Courier",
        url="https://example.test/bridge",
        content_hash="0" * 64,
    )
    chunk = Chunk(
        chunk_id="bridge.txt#0",
        doc_id="bridge.txt",
        index=0,
        text=TEXT[start:end],
        start=start,
        end=end,
    )
    return RetrievedChunk(chunk=chunk, article=article, score=1.0, rank=1)


# --------------------------------------------------------------------------- renumber_markers


def test_invented_marker_is_dropped() -> None:
    text, order = renumber_markers("It reopens in March [1]. Officials confirmed it [7].", 2)
    assert "[7]" not in text
    assert text == "It reopens in March [1]. Officials confirmed it."
    assert order == [1]


def test_markers_renumbered_by_first_appearance() -> None:
    text, order = renumber_markers("First [3]. Second [1]. Again [3].", 3)
    assert text == "First [1]. Second [2]. Again [1]."
    # New [1] stands for source 3, new [2] for source 1.
    assert order == [3, 1]


def test_unused_sources_leave_no_gaps() -> None:
    text, order = renumber_markers("Only the fourth source [4] is cited, twice [4].", 5)
    assert {int(m) for m in MARKER.findall(text)} == {1}
    assert order == [4]


@pytest.mark.parametrize("bad", ["[0]", "[6]", "[99]", "[123]"])
def test_out_of_range_markers_are_removed(bad: str) -> None:
    text, order = renumber_markers(f"A claim {bad}. Another [2].", 5)
    assert bad not in text
    assert order == [2]
    assert text == "A claim. Another [1]."


def test_repeated_adjacent_markers_collapse() -> None:
    text, order = renumber_markers("Both say so [2] [2]. And [1][1].", 2)
    assert text == "Both say so [1]. And [2]."
    assert order == [2, 1]


def test_adjacent_different_markers_are_kept() -> None:
    text, order = renumber_markers("Two sources agree [2][1].", 2)
    assert text == "Two sources agree [1][2]."
    assert order == [2, 1]


def test_no_sources_drops_every_marker() -> None:
    text, order = renumber_markers("Invented [1] and [2].", 0)
    assert MARKER.search(text) is None
    assert order == []


def test_text_without_markers_is_unchanged() -> None:
    assert renumber_markers("Nothing cited here.", 3) == ("Nothing cited here.", [])


def test_marker_numbers_always_within_range_and_contiguous() -> None:
    raw = "a [5] b [9] c [2] d [5] e [1] f [40] g [2]"
    text, order = renumber_markers(raw, 5)
    used = sorted({int(m) for m in MARKER.findall(text)})
    assert used == list(range(1, len(order) + 1))
    assert order == [5, 2, 1]
    assert all(1 <= n <= 5 for n in order)


# Unicode spellings of a marker to a source that does not exist (99) beside a real one (1):
# each must be read as a marker, so the 99 is dropped, never left in the text unverified.
UNICODE_MARKERS = [
    "\uff3b1\uff3d\uff3b99\uff3d",  # full-width brackets
    "[1\u201499]",  # em dash range (too long a range: two numbers)
    "[1\u201099]",  # Unicode hyphen
    "[1,\u00a099]",  # no-break space
    "[1][ ^99]",  # a space before the footnote caret
    "[\uff11, \uff19\uff19]",  # full-width digits
    "\u30141\u3015[99]",  # tortoise-shell brackets
]


@pytest.mark.parametrize("marker", UNICODE_MARKERS)
def test_unicode_marker_spellings_are_parsed_and_checked(marker: str) -> None:
    text, order = renumber_markers(f"The bridge reopens in March {marker}.", 2)
    assert text == "The bridge reopens in March [1].", text
    assert order == [1]


@pytest.mark.parametrize("marker", UNICODE_MARKERS)
def test_unicode_markers_leave_the_short_answer(marker: str) -> None:
    short, body = parse_llm_output(f"Short answer: March 3, 2027 {marker}\n\nIt reopens {marker}.")
    assert short == "March 3, 2027", short
    assert "99" not in MARKER.sub("", body) and "\uff3b" not in body


def test_unicode_folding_touches_only_markers() -> None:
    text = "Area 5 km² [\uff21] and \uff3bnote\uff3d stay as written [2\u20133]."
    assert renumber_markers(text, 3)[0] == (
        "Area 5 km² [\uff21] and \uff3bnote\uff3d stay as written [1][2]."
    )


def test_article_markers_in_any_spelling_are_made_inert() -> None:
    assert inert_markers("see \uff3b7\uff3d and [1\u20143] and [ ^2]") == (
        "see (7) and (1-3) and (2)"
    )


# --------------------------------------------------------------------------- make_citation


def test_make_citation_quotes_article_verbatim() -> None:
    rc = _retrieved(0, len(TEXT))
    start = TEXT.index("The bridge will reopen")
    end = TEXT.index("2027.") + len("2027.")
    c = make_citation(2, rc, start, end)
    assert isinstance(c, Citation)
    assert c.number == 2
    assert c.quote == "The bridge will reopen on March 3, 2027."
    assert TEXT[c.start : c.end] == c.quote
    assert c.doc_id == "bridge.txt"
    assert c.chunk_id == "bridge.txt#0"
    assert c.title == "Harbor Bridge repairs near completion"
    assert c.source == "Coastline Courier"
    assert c.url == "https://example.test/bridge"
    assert c.published == dt.date(2026, 11, 2)


def test_make_citation_accepts_the_whole_chunk() -> None:
    start = TEXT.index("The bridge")
    rc = _retrieved(start, len(TEXT))
    c = make_citation(1, rc, start, len(TEXT))
    assert c.quote == TEXT[start:]


@pytest.mark.parametrize(
    ("qstart", "qend"),
    [
        (0, 20),  # before the chunk starts
        (40, 90),  # straddles the chunk's start
        (100, 200),  # runs past the chunk's end
        (150, 150),  # empty
        (120, 110),  # reversed
    ],
)
def test_make_citation_rejects_quotes_outside_the_chunk(qstart: int, qend: int) -> None:
    rc = _retrieved(80, 140)
    with pytest.raises(ValueError, match="outside chunk"):
        make_citation(1, rc, qstart, qend)


def test_citation_is_frozen() -> None:
    c = make_citation(1, _retrieved(0, len(TEXT)), 0, 10)
    with pytest.raises(ValidationError):
        c.quote = "something else"  # type: ignore[misc]
