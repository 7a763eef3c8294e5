"""Question analysis: the wh-word and focus noun, read off the parse, give the wanted types."""

from __future__ import annotations

import pytest

from assistant.answering.question import analyse


@pytest.mark.parametrize(
    ("question", "first_label", "kind"),
    [
        ("Which country will the glass museum move to?", "GPE", "entity"),
        ("In which city did the mayor open the terminal?", "GPE", "entity"),
        ("Which company bought the ferry line?", "ORG", "entity"),
        ("Which of the teams won the regatta?", "ORG", "entity"),
        ("Which show won the most awards this year?", "WORK_OF_ART", "entity"),
        ("Who founded the lantern festival?", "PERSON", "entity"),
        ("Where did the cyclone make landfall?", "GPE", "entity"),
        ("When will the bridge reopen?", "DATE", "date"),
        ("On what date did the ferry strike end?", "DATE", "date"),
        ("How many homes did the storm destroy?", "CARDINAL", "number"),
        ("How much did the council spend on the pier?", "MONEY", "number"),
        ("What did the repaired pier cost?", "MONEY", "number"),
        ("How wide is the new canal?", "QUANTITY", "number"),
        ("How long is the harbor wall?", "QUANTITY", "number"),
        ("How many days did the strike last?", "DATE", "date"),
        ("How long did the strike last?", "DATE", "date"),
    ],
)
def test_wanted_types(question: str, first_label: str, kind: str) -> None:
    a = analyse(question)
    assert a.labels and a.labels[0] == first_label, a
    assert a.kind == kind


def test_who_prefers_a_person_then_an_organisation() -> None:
    labels = analyse("Who will replace the border guards?").labels
    assert labels.index("PERSON") < labels.index("ORG")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Why did the mayor close the harbor?", "explain"),
        ("How did the crews repair the cables?", "explain"),
        ("What kind of tree did the minister plant?", "phrase"),
        ("What did the festival founder start it with?", "phrase"),
    ],
)
def test_untyped_questions(question: str, kind: str) -> None:
    a = analyse(question)
    assert a.kind == kind and a.labels == ()


def test_focus_noun_of_a_modified_phrase() -> None:
    a = analyse("In which Danish-owned shipping company did the strike begin?")
    assert a.focus == "company" and a.labels[0] == "ORG"


def test_plural_focus_asks_for_several() -> None:
    assert analyse("Which two countries joined the treaty?").plural
    assert not analyse("Which country joined the treaty?").plural
