"""Follow-up questions are rewritten into standalone ones before retrieval (offline path)."""

from __future__ import annotations

import pytest

from assistant.answering.condense import is_follow_up, offline_condense

HISTORY = [
    (
        "When did the Lantern Festival in Brennick begin?",
        "In 2006 [1]\n\nSupporting passages:\n[1] “The first Lantern Festival was held in 2006.”",
    )
]


@pytest.mark.parametrize(
    "question",
    ["Who founded it?", "Who took part in it?", "Where is it held?"],
)
def test_follow_up_names_what_the_previous_turn_was_about(question: str) -> None:
    out = offline_condense(question, HISTORY)
    assert out != question
    assert "Lantern Festival" in out
    assert " it " not in f" {out.rstrip('?')} "


def test_an_ellipsis_the_resolver_cannot_place_is_read_together() -> None:
    out = offline_condense("And the budget?", HISTORY)
    assert out == (
        "And the budget? (read together with: When did the Lantern Festival in Brennick begin?)"
    )


def test_a_date_answer_is_not_an_it() -> None:
    history = [("When did the Aras 2025 exercise begin?", "September 15, 2025 [1]\n\nMore text")]
    out = offline_condense("Who took part in it?", history)
    assert out == "Who took part in the Aras 2025 exercise?"
    # Only the first line of the previous answer is read, not its quoted passages.
    assert "More text" not in out


def test_uses_the_last_turn_first() -> None:
    history = [
        ("Who founded the Lantern Festival?", "Marta Oyelaran [1]"),
        ("How many homes did Cyclone Tavi destroy?", "1,240 homes [1]"),
    ]
    out = offline_condense("When did it happen?", history)
    assert "Cyclone Tavi" in out
    assert "Lantern Festival" not in out


@pytest.mark.parametrize(
    "question",
    [
        "Who founded the Lantern Festival in the town of Brennick?",
        "How many homes did Cyclone Tavi destroy on the northern islands?",
    ],
)
def test_standalone_question_is_unchanged(question: str) -> None:
    assert not is_follow_up(question)
    assert offline_condense(question, HISTORY) == question


@pytest.mark.parametrize("history", [[], None])
def test_no_history_leaves_question_unchanged(history) -> None:
    assert offline_condense("Who founded it?", history or []) == "Who founded it?"


def test_is_follow_up_detects_pronouns_ellipsis_and_short_questions() -> None:
    assert is_follow_up("Who took part in it?")
    assert is_follow_up("What did they decide about the harbour fees in the spring?")
    assert is_follow_up("And the budget?")
    assert is_follow_up("Who won?")
    assert not is_follow_up("Which company built the Harbor Bridge in Port Velling?")


FESTIVAL = (
    "Lantern festival marks its twentieth year\n\n"
    "The Lantern Festival in the town of Brennick drew large crowds this weekend. "
    "The first Lantern Festival was held in 2006. The festival was founded by Marta Oyelaran, "
    "a retired teacher. Thousands of visitors now light lanterns along the river.\n"
)
STORM = (
    "Cyclone Tavi leaves trail of damage\n\n"
    "Cyclone Tavi swept across the northern islands on Tuesday. The storm destroyed 1,240 "
    "homes. The relief effort is led by Joon Halvorsen of the island council. Power was "
    "restored to most districts by Friday.\n"
)


@pytest.fixture
def festival_and_storm(make_assistant, write_files):
    a = make_assistant(answerer="extractive")
    assert a.ingest([write_files({"festival.txt": FESTIVAL, "storm.txt": STORM})]).added == 2
    return a


def test_assistant_ask_with_history_uses_standalone_question(festival_and_storm) -> None:
    a = festival_and_storm
    first = a.ask("When was the first Lantern Festival held?")
    assert first.standalone_question == first.question
    assert not first.abstained and "2006" in first.short

    follow = a.ask("Who founded it?", history=[(first.question, first.text)])
    assert follow.question == "Who founded it?"
    assert follow.standalone_question != follow.question
    # The pronoun is resolved from the previous question (its answer is a year, not a thing).
    assert "it?" not in follow.standalone_question
    assert "Lantern Festival" in follow.standalone_question
    assert follow.citations and {c.doc_id for c in follow.citations} == {"festival.txt"}

    # The same kind of follow-up after a turn about the storm goes to the storm article.
    other = a.ask(
        "Who leads it?",
        history=[("How many homes did Cyclone Tavi destroy?", "1,240 homes [1]")],
    )
    assert "Cyclone Tavi" in other.standalone_question
    assert other.citations and other.citations[0].doc_id == "storm.txt"


@pytest.mark.xfail(
    strict=True,
    reason="issue 19: en_core_web_sm tags the invented 'Marta Oyelaran' GPE, 'Brennick' PERSON",
)
def test_follow_up_answers_the_new_question_not_the_previous_one(festival_and_storm) -> None:
    a = festival_and_storm
    first = a.ask("When was the first Lantern Festival held?")
    follow = a.ask("Who founded it?", history=[(first.question, first.text)])
    assert not follow.abstained, follow.text
    assert "Marta Oyelaran" in follow.short, follow.text
    assert "Marta Oyelaran" in follow.citations[0].quote


def test_assistant_condense_without_history_is_identity(make_assistant) -> None:
    a = make_assistant(answerer="extractive")
    assert a.condense("Who founded it?", None) == "Who founded it?"
    assert a.condense("Who founded it?", []) == "Who founded it?"
