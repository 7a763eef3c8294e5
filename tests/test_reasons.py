"""The reason clause of a sentence, read off its parse: the short answer to "why"."""

from __future__ import annotations

import pytest

from assistant import nlp
from assistant.answering.reasons import reason


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The Kellsmouth ferry was suspended on Monday because the harbor wall cracked.",
            "because the harbor wall cracked",
        ),
        ("Some Tarlow vans were recalled this week over fire risks.", "over fire risks"),
        (
            "The mayor criticized the council for its failure to repair the pier.",
            "its failure to repair the pier",
        ),
        (
            "Varga cited the port authority's failure to dredge the channel.",
            "the port authority's failure to dredge the channel",
        ),
        ("The regatta was cancelled due to high winds on the bay.", "due to high winds"),
    ],
)
def test_reason_clauses(sentence: str, expected: str) -> None:
    assert expected in reason(nlp.parse(sentence))


def test_a_sentence_without_a_reason_gives_none() -> None:
    assert reason(nlp.parse("The new terminal opened on Monday with six gates.")) == ""


def test_as_part_of_is_no_reason() -> None:
    got = reason(nlp.parse("As part of his visit, the minister planted a spruce tree."))
    assert got == ""
