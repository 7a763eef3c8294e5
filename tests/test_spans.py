"""Candidate answer spans: typed by the recogniser, never a restatement of the question."""

from __future__ import annotations

import pytest

from assistant import nlp
from assistant.answering.extractive import question_stems
from assistant.answering.question import analyse
from assistant.answering.spans import candidates


def spans(question: str, sentence: str) -> dict[str, float]:
    found = candidates(nlp.parse(sentence), analyse(question), question_stems(question))
    for c in found:
        # Offsets are the sentence's own, so quotes stay exact.
        assert sentence[c.start : c.end] == c.text
    return {c.text: c.fit for c in found}


def test_money_for_how_much() -> None:
    got = spans(
        "How much did the council spend on the pier?",
        "The council in Saltmarsh Bay spent $2.4 million on the pier, Mayor Ines Varga said.",
    )
    assert "$2.4 million" in got
    assert "Ines Varga" not in got


def test_person_for_who_and_not_the_place() -> None:
    got = spans(
        "Who founded the lantern festival?",
        "The lantern festival in Portland was founded by Anna Kowalski in 1998.",
    )
    assert got["Anna Kowalski"] > got.get("Portland", 0.0)


def test_spans_that_repeat_the_question_are_out() -> None:
    got = spans(
        "Who did Marta Oyelaran hire to run the festival?",
        "Marta Oyelaran hired Tomas Brandt to run the festival.",
    )
    assert "Tomas Brandt" in got
    assert "Marta Oyelaran" not in got


def test_a_new_number_is_not_a_restatement() -> None:
    got = spans(
        "How many days did the ferry strike last?",
        "The 9-day ferry strike ended on Friday after a new pay deal.",
    )
    assert any("9-day" in t for t in got)


def test_count_of_the_asked_noun_fits_better() -> None:
    got = spans(
        "How many homes did the cyclone destroy?",
        "The cyclone destroyed 1,240 homes across 12 islands.",
    )
    assert got["1,240"] > got["12"]


def test_which_country_prefers_a_country_over_a_city() -> None:
    got = spans(
        "Which country banned the toys?",
        "Officials in Lisbon said Portugal banned the toys this week.",
    )
    assert got["Portugal"] > got["Lisbon"]


def test_two_coordinated_names_answer_which_two() -> None:
    got = spans(
        "Which two countries joined the fishing treaty?",
        "Norway and Iceland joined the fishing treaty on Monday.",
    )
    assert "Norway and Iceland" in got


def test_phrase_question_gets_noun_chunks_but_not_dates() -> None:
    got = spans(
        "What did the museum buy for its new hall?",
        "On Sunday the museum bought a stained glass window for its new hall.",
    )
    assert "stained glass window" in got
    assert "Sunday" not in got


def test_a_name_the_question_holds_is_not_the_answer() -> None:
    got = spans(
        "Who was the harbor master when Varga visited the port?",
        "Harbor master Tomas Brandt welcomed Mayor Ines Varga to the port on Monday.",
    )
    assert got["Tomas Brandt"] > got.get("Ines Varga", 0.0)


def test_a_name_described_by_the_questions_other_words_is_its_referent() -> None:
    got = spans(
        "Which Kellsmouth official met the Portland mayor?",
        "Portland mayor Anna Kowalski met Kellsmouth official Tomas Brandt on Friday.",
    )
    assert got["Tomas Brandt"] > got["Anna Kowalski"]


def test_a_person_keeps_an_abbreviated_title() -> None:
    got = spans("Who lost the Kellsmouth primary?", "Rep. Ana Ruiz lost the Kellsmouth primary.")
    assert "Rep. Ana Ruiz" in got


def test_the_focus_nouns_compound_names_the_answer() -> None:
    got = spans(
        "What kind of tree did the minister plant?",
        "The minister planted a young spruce tree beside the harbor office.",
    )
    assert max(got, key=lambda t: got[t]) == "spruce tree"


def test_a_possessor_is_trimmed_from_a_name() -> None:
    got = spans(
        "Which district will the new tram line cross?",
        "The tram line will cross Kellsmouth's Orchard district, the council said.",
    )
    assert any(t.startswith("Orchard") for t in got), got
    assert not any(t.startswith("Kellsmouth’s") or t.startswith("Kellsmouth's") for t in got)


def test_a_dateline_is_not_part_of_the_story() -> None:
    got = spans(
        "Which town did the minister visit this week?",
        "PORTLAND – The transport minister visited Kellsmouth on Monday to open the terminal.",
    )
    assert "PORTLAND" not in got
    got = spans("Which alliance led the patrols?", "NATO-led patrols resumed along the coast.")
    assert "NATO" in got


@pytest.mark.parametrize(
    ("text", "label", "sentence", "expected"),
    [
        # Invented names: the sentence gives them in full, with titles.
        (
            "Tamsin Oyelaran",
            "PERSON",
            "They mourned Bishop Tamsin Oyelaran on Friday.",
            "Bishop Tamsin Oyelaran",
        ),
        (
            "Brack",
            "PERSON",
            "Lawmakers moved to impeach Harbor Secretary Ilse Brack.",
            "Harbor Secretary Ilse Brack",
        ),
        ("Valley", "LOC", "Floods hit the Port Velling Valley hardest.", "Port Velling Valley"),
        ("Lantern", "ORG", "She signed with the Kellish Lantern on Wednesday.", "Kellish Lantern"),
        # Not names: as they are.
        ("March 3, 2027", "DATE", "The bridge will reopen on March 3, 2027.", "March 3, 2027"),
        ("1,240", "CARDINAL", "The storm destroyed 1,240 homes.", "1,240"),
        ("Brennick", "GPE", "A sentence that does not hold it.", "Brennick"),
    ],
)
def test_fuller_gives_a_name_as_its_sentence_does(
    text: str, label: str, sentence: str, expected: str
) -> None:
    from assistant.answering.spans import fuller

    assert fuller(text, label, sentence) == expected
