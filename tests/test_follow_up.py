"""Offline follow-ups: pronouns and ellipsis resolved from the previous turn by the parse."""

from __future__ import annotations

from assistant.answering.follow_up import resolve_follow_up


def test_he_is_the_person_of_the_previous_answer() -> None:
    history = [("Who founded the lantern festival?", "Anna Kowalski [1]\n\n[1] “...”")]
    got = resolve_follow_up("When did she start it?", history)
    assert "Anna Kowalski" in got
    assert "she" not in got.split()


def test_them_is_the_plural_noun_phrase_of_the_previous_question() -> None:
    history = [("When do the harbor pilots leave the northern pier?", "June 2 [1]")]
    got = resolve_follow_up("Who will replace them?", history)
    assert got == "Who will replace the harbor pilots?"


def test_it_is_the_previous_short_answer_when_that_names_a_thing() -> None:
    history = [("Which ship sank near the harbor?", "The Northern Gannet [1]")]
    got = resolve_follow_up("Who owned it?", history)
    assert got == "Who owned The Northern Gannet?"


def test_ellipsis_borrows_the_rest_of_the_previous_question() -> None:
    history = [("Where did the mayor meet the fishermen?", "Brennick [1]")]
    got = resolve_follow_up("On what date?", history)
    assert got == "On what date did the mayor meet the fishermen?"


def test_a_standalone_question_is_left_alone() -> None:
    history = [("Who founded the lantern festival?", "Anna Kowalski [1]")]
    question = "How many homes did Cyclone Tavi destroy?"
    assert resolve_follow_up(question, history) == question
    assert resolve_follow_up(question, []) == question


def test_abstentions_are_not_antecedents() -> None:
    history = [
        ("Who founded the lantern festival?", "Anna Kowalski [1]"),
        ("Which prize did the chess club win?", "The indexed articles don't say. None ..."),
    ]
    got = resolve_follow_up("Where does she live?", history)
    assert "Anna Kowalski" in got
