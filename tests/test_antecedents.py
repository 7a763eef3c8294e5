"""Scoring a pronoun's candidate referents: agreement, the named weights, and when the
choice is unsure (the resolver then reads the follow-up together with the last question)."""

from __future__ import annotations

from assistant.answering.antecedents import (
    MARGIN,
    Mention,
    agrees,
    choose,
    choose_all,
    plain,
    score,
)

SUBJECT = Mention("Tomas Ruud", "PERSON", named=True, typed=True, role="subject", weight=3.0)
PLACE = Mention("Port Velling", "GPE", named=True, typed=False, role="oblique", weight=1.0)


def test_types_agree_with_the_pronoun() -> None:
    assert agrees("he", SUBJECT) and not agrees("it", SUBJECT)
    assert agrees("there", PLACE) and agrees("it", PLACE)
    group = Mention("the harbor pilots", "PLURAL", plural=True)
    assert agrees("they", group) and not agrees("it", group)
    assert agrees("then", Mention("June 2", "DATE")) and not agrees("he", Mention("June 2", "DATE"))


def test_a_hard_type_vetoes_and_a_recognisers_label_only_costs_points() -> None:
    person = Mention("the mayor", "PERSON", typed=True)
    assert score("it", person) is None
    # "Nikki Haley" read as an organisation by the recogniser: still a candidate for "she".
    soft = Mention("Nikki Haley", "ORG", named=True, typed=False, role="subject", weight=3.0)
    hard = Mention("Nikki Haley", "ORG", named=True, typed=True, role="subject", weight=3.0)
    assert score("she", hard) is None
    assert score("she", soft) is not None and score("she", soft) < score("it", soft)  # type: ignore[operator]


def test_roles_weigh_and_older_turns_fade() -> None:
    answer = Mention("Tampa Airport", "FAC", named=True, role="oblique", weight=1.0, answer=True)
    flight = Mention("Flight 2434", "PRODUCT", named=True, role="subject", weight=3.0)
    # A stated answer to an adverbial wh-phrase ties with the subject: too close to tell.
    assert choose("it", [answer, flight]).unsure
    guessed = Mention(**{**answer.__dict__, "stated": False})
    assert choose("it", [guessed, flight]).mention == flight
    older = Mention("Flight 2434", "PRODUCT", named=True, role="subject", weight=3.0, back=1)
    assert choose("it", [answer, older]).mention == answer


def test_a_pronoun_chain_keeps_its_referent() -> None:
    chained = Mention("Gabriel Attal", "PERSON", named=True, role="subject", weight=3.0)
    chained = Mention(**{**chained.__dict__, "continued": frozenset(["he"])})
    replaced = Mention(
        "Elisabeth Borne", "PERSON", named=True, role="object", weight=2.0, answer=True
    )
    assert choose("he", [replaced, chained]).mention == chained


def test_unsure_for_an_unverified_guess_and_for_close_rivals() -> None:
    guess = Mention(
        "Oklahoma", "PERSON", named=True, role="subject", weight=3.0, answer=True, stated=False
    )
    assert choose("he", [guess]).unsure
    verified = Mention(**{**guess.__dict__, "text": "Willis Gibson", "verified": True})
    assert not choose("he", [verified]).unsure
    a = Mention("Armenia", "GPE", named=True, role="subject", weight=3.0)
    b = Mention("Azerbaijan", "GPE", named=True, role="subject", weight=3.0 - MARGIN / 2)
    assert choose("it", [a, b]).unsure


def test_pronouns_of_different_kinds_take_different_referents() -> None:
    # "When did he win it?": the stated answer (a medal the recogniser read as a person)
    # would suit "he" best on its own, but then "it" has nothing left; jointly, "it" is the
    # medal and "he" the mayor.
    medal = Mention(
        "the Harbor Medal",
        "PERSON",
        named=True,
        typed=False,
        role="object",
        weight=2.0,
        answer=True,
    )
    mayor = Mention("the mayor", "PERSON", typed=True, role="subject", weight=3.0)
    assert choose("he", [medal, mayor]).mention == medal
    he, it = choose_all([("he", [medal, mayor]), ("it", [medal, mayor])])
    assert he.mention == mayor and it.mention == medal


def test_plain_drops_the_read_together_note() -> None:
    assert plain("Who won? (read together with: When did it begin?)") == "Who won?"
    assert plain("Who won?") == "Who won?"


def test_a_plural_head_modified_by_a_nationality_is_what_they_refer_to() -> None:
    """ "the French harbor pilots": plural whatever name modifies its head, so "them" takes
    the phrase, not the nationality inside it."""
    from assistant import nlp
    from assistant.answering.antecedents import question_mentions

    found = question_mentions(nlp.parse("When do the French harbor pilots leave the port?"))
    phrase = next(m for m in found if m.text == "the French harbor pilots")
    assert phrase.plural and agrees("them", phrase)
    assert choose("them", found).mention == phrase
