"""Where a candidate stands against the question's wh-phrase (answering/alignment.py), on
invented sentences parsed by the real spaCy model."""

from __future__ import annotations

import pytest

from assistant import nlp
from assistant.answering.alignment import ALIGNMENT_FEATURES, Slot, align
from assistant.answering.question import analyse
from assistant.answering.strategies import question_stems


def _features(question: str, sentence: str, value: str) -> dict[str, float]:
    doc = nlp.parse(sentence)
    at = sentence.index(value)
    span = doc.char_span(at, at + len(value), alignment_mode="expand")
    assert span is not None
    return align(doc, span, analyse(question).slot, question_stems(question))


@pytest.mark.parametrize(
    ("question", "slot"),
    [
        ("Who founded the lantern festival?", Slot("found", "subject")),
        ("Harbor owners approved the sale of which ferry company?", Slot("sale", "of")),
        ("How many volunteers cleaned the beach?", Slot("clean", "subject")),
    ],
)
def test_the_wh_phrase_is_placed_by_its_head_word_and_relation(question: str, slot: Slot) -> None:
    assert analyse(question).slot == slot


def test_a_question_without_a_wh_phrase_has_no_slot() -> None:
    assert analyse("Tell me about the harbor.").slot == Slot()


def test_the_value_in_the_wh_phrase_place_aligns_and_the_other_does_not() -> None:
    question = "Harbor owners approved the sale of which ferry company?"
    sentence = (
        "Harbor owners approved the sale of Bluewater Ferries on Monday from the Tessel Trust."
    )
    right = _features(question, sentence, "Bluewater Ferries")
    other = _features(question, sentence, "Tessel Trust")
    assert right["slot_head"] == right["slot_relation"] == 1.0
    assert other["slot_relation"] == 0.0


def test_an_agent_stands_where_the_subject_of_the_question_does() -> None:
    question = "Who founded the lantern festival?"
    sentence = "The lantern festival was founded by Marta Oyelaran in 2009."
    founder = _features(question, sentence, "Marta Oyelaran")
    festival = _features(question, sentence, "The lantern festival")
    assert founder["slot_relation"] == 1.0
    assert festival["slot_relation"] == 0.0


def test_a_value_in_a_side_clause_covers_less_of_the_question() -> None:
    question = "How many volunteers cleaned the beach on Saturday?"
    sentence = (
        "About 300 volunteers cleaned the beach on Saturday, after a storm that damaged 12 piers."
    )
    main = _features(question, sentence, "300")
    side = _features(question, sentence, "12")
    assert main["clause_cover"] > side["clause_cover"]
    assert main["tree_closeness"] >= side["tree_closeness"]
    assert set(main) == set(ALIGNMENT_FEATURES)
    assert all(0.0 <= v <= 1.0 for v in main.values())
