"""Question analysis: the wh-word and focus noun, read off the parse, give the wanted types."""

from __future__ import annotations

import pytest

from assistant.answering.question import analyse, split_parts


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
        # An action or a statement: the passages answer, not one value in them.
        ("What did the harbor master say?", "explain"),
        ("What will the ferry company do about the strike?", "explain"),
        ("What did the council vote to do with the old mill?", "explain"),
    ],
)
def test_untyped_questions(question: str, kind: str) -> None:
    a = analyse(question)
    assert a.kind == kind and a.labels == ()


@pytest.mark.parametrize(
    "question",
    [
        "What did the inspectors say caused the blackout?",
        "What did the report say was the cause of the flood?",
        "What did the festival founder start it with?",
    ],
)
def test_what_said_or_done_in_a_following_clause_asks_for_a_value(question: str) -> None:
    assert analyse(question).kind != "explain"


def test_focus_noun_of_a_modified_phrase() -> None:
    a = analyse("In which Danish-owned shipping company did the strike begin?")
    assert a.focus == "company" and a.labels[0] == "ORG"


def test_plural_focus_asks_for_several() -> None:
    assert analyse("Which two countries joined the treaty?").plural
    assert not analyse("Which country joined the treaty?").plural


def test_her_name_wants_a_person() -> None:
    a = analyse("The harbor master resigned this week. What is her name?")
    assert a.labels[:1] == ("PERSON",)


def test_which_one_takes_the_plural_it_picks_from() -> None:
    a = analyse("Among the companies that left the port, which one lost the most money?")
    assert a.focus == "company"


def test_which_x_s_y_asks_for_x() -> None:
    a = analyse("Which famous singer's concert was cancelled this week?")
    assert a.focus == "singer"
    assert a.labels[:1] == ("PERSON",)


def test_kind_of_asks_for_the_noun_after_of() -> None:
    assert analyse("What kind of tree did the minister plant?").focus == "tree"


def test_a_wh_subject_is_marked() -> None:
    assert analyse("Which company said it will build the bridge?").role == "subject"
    assert analyse("Which bridge did the company build?").role == ""


def test_question_proper_nouns() -> None:
    assert "varga" in analyse("Who met Ines Varga at the port?").proper


def test_alternatives_of_a_choice_question() -> None:
    a = analyse("Was the Harbor Bridge repaired or demolished?")
    assert a.kind == "choice"
    assert a.alternatives == ("repaired", "demolished")


def test_a_wh_question_with_or_is_not_a_choice() -> None:
    assert analyse("Who repaired or rebuilt the Harbor Bridge?").kind != "choice"


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "Where did the mayor go on Monday, and where did she meet the minister?",
            ["Where did the mayor go on Monday?", "where did she meet the minister?"],
        ),
        ("When did the strike end?", ["When did the strike end?"]),
        (
            "The strike ended on Friday; what did the union win?",
            ["The strike ended on Friday; what did the union win?"],
        ),
    ],
)
def test_split_parts(question: str, parts: list[str]) -> None:
    assert split_parts(question) == parts


def test_an_elliptical_second_part_keeps_the_first_parts_words() -> None:
    first, second = split_parts("How many boats sailed in the regatta, and for how many days?")
    assert first == "How many boats sailed in the regatta?"
    assert second.startswith("for how many days")
    assert "regatta" in second
    assert analyse(second).labels[:1] == ("DATE",)


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("Who is the harbor master of Port Velling?", "master"),
        ("Who was the first sailor to cross the bay?", "sailor"),
        ("Who is the spokesman for the ferry company?", "spokesman"),
    ],
)
def test_who_is_a_described_person_asks_like_which(question: str, focus: str) -> None:
    """ "Who is the spokesman?" asks what "Which spokesman?" asks: the noun is its focus."""
    a = analyse(question)
    assert a.wh == "who" and a.focus == focus and a.kind == "entity"
    assert "PERSON" in a.labels


@pytest.mark.parametrize("question", ["Who is Marta Oyelaran?", "Who is he?", "Who won the race?"])
def test_who_with_a_name_a_pronoun_or_a_verb_has_no_focus(question: str) -> None:
    assert analyse(question).focus == ""


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        # The small model tags these nouns, or a participle before them, as verbs.
        ("Which racquet sport has been blamed for the injuries?", "sport"),
        ("You can watch the final on which streaming platform?", "platform"),
        ("Which insect has been added to the endangered species list?", "insect"),
    ],
)
def test_the_noun_after_which_is_the_focus_whatever_its_tag(question: str, focus: str) -> None:
    assert analyse(question).focus == focus


@pytest.mark.parametrize(
    ("question", "wh", "focus"),
    [
        ("Fans cheered this week when the trailer came out for which film?", "which", "film"),
        ("In what may be the largest recall ever, how many cars were sold?", "how many", "cars"),
        (
            "When the weather warms up, it's time for a picnic! How many sandwiches do people eat?",
            "how many",
            "sandwiches",
        ),
        (
            "A balloon, which officials said was spying, was shot down off which state?",
            "which",
            "state",
        ),
        # The first wh-word asks; the later one is a relative clause.
        ("Which actor voices the plumber in the film, which opened this week?", "which", "actor"),
        ("When did the ferry strike end?", "when", ""),
        ("Until when did it run? (read together with: Who ran the festival?)", "when", ""),
    ],
)
def test_the_wh_word_that_asks_not_one_that_opens_a_clause(
    question: str, wh: str, focus: str
) -> None:
    a = analyse(question)
    assert (a.wh, a.focus) == (wh, focus)
