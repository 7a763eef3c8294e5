"""Sentence splitting: exact offsets, whatever the script or the spacing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from assistant.answering.sentences import split_sentences


def test_offsets_point_at_the_sentence_in_any_script() -> None:
    text = (
        "Ереван 🇦🇲 заявил. Армения — «страна». Montana Gov. Greg Gianforte declared a "
        "disaster on Tuesday.\n\n  An indented paragraph follows. Last one"
    )
    sents = split_sentences(text, base=100)
    assert [s.text for s in sents] == [
        "Ереван 🇦🇲 заявил.",
        "Армения — «страна».",
        "Montana Gov. Greg Gianforte declared a disaster on Tuesday.",
        "An indented paragraph follows.",
        "Last one",
    ]
    for s in sents:
        assert text[s.start - 100 : s.end - 100] == s.text


def test_nothing_to_split() -> None:
    assert split_sentences("") == [] and split_sentences("  \n \n\t") == []


def test_a_lone_surrogate_does_not_break_splitting() -> None:
    text = "Broken \ud800 escape here. Next sentence."
    assert [s.text for s in split_sentences(text)] == [
        "Broken \ud800 escape here.",
        "Next sentence.",
    ]


@given(st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=0x1F600), max_size=300))
def test_sentences_are_exact_ordered_and_stripped(text: str) -> None:
    last_end = -1
    for s in split_sentences(text, base=7):
        assert text[s.start - 7 : s.end - 7] == s.text
        assert s.text and s.text == s.text.strip()
        assert s.start >= last_end
        last_end = s.end
