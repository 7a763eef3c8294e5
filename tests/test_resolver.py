"""The offline follow-up resolver: pronouns by agreement, ellipsis, "that", changes of
subject, abstentions and the not-confident "read together with" form."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from assistant.answering.condense import OfflineCondenser, offline_condense
from assistant.answering.resolver import READ_TOGETHER, resolve
from assistant.conversation import Turn, as_turns
from assistant.errors import ConfigError


def _turn(question: str, short: str = "", *, abstained: bool = False, docs=()) -> Turn:
    text = "The indexed articles don't say." if abstained else f"{short} [1]"
    return Turn(
        question=question,
        answer=text,
        short="" if abstained else short,
        abstained=abstained,
        doc_ids=tuple(docs),
        structured=True,
    )


def test_he_takes_the_previous_answer_when_it_is_a_person() -> None:
    history = [_turn("Who founded the Lantern Festival in Brennick?", "Marta Oyelaran")]
    r = resolve("Where was she born?", history)
    assert r.standalone == "Where was Marta Oyelaran born?"
    assert r.kind == "resolved" and r.antecedent == "Marta Oyelaran"


def test_he_skips_a_thing_answer_for_the_person_in_the_question() -> None:
    history = [_turn("Which prize did the mayor of Brennick, Tomas Ruud, win?", "The Harbor Medal")]
    r = resolve("When did he win it?", history)
    assert "Tomas Ruud" in r.standalone
    assert "The Harbor Medal" in r.standalone  # "it": the thing the last answer named


def test_a_role_noun_is_a_person_for_he() -> None:
    history = [_turn("Did the harbor commissioner ask the council for more pilots?", "")]
    r = resolve("What did he ask for?", history)
    assert "the harbor commissioner" in r.standalone


def test_it_skips_dates_and_numbers_for_the_questions_subject() -> None:
    history = [_turn("When did the Brennick lantern parade begin?", "June 2, 2006")]
    r = resolve("Who organised it?", history)
    assert r.standalone == "Who organised the Brennick lantern parade?"


def test_they_takes_a_plural_or_a_group() -> None:
    history = [_turn("When do the harbor pilots leave the northern pier?", "June 2")]
    assert resolve("Who will replace them?", history).standalone == (
        "Who will replace the harbor pilots?"
    )


def test_there_takes_a_place() -> None:
    history = [_turn("Where did the ferry from Brennick run aground?", "Port Velling")]
    r = resolve("How many people live there?", history)
    assert r.standalone == "How many people live in Port Velling?" or "Port Velling" in r.standalone
    assert r.kind == "resolved"


def test_that_happen_asks_about_the_previous_questions_event() -> None:
    history = [_turn("Did the mayor of Brennick close the northern pier?", "")]
    r = resolve("When did that happen?", history)
    assert r.standalone == "When did the mayor of Brennick close the northern pier?"
    assert r.kind == "resolved"


def test_an_ellipsis_keeps_the_frame_with_the_new_entity_swapped_in() -> None:
    history = [_turn("How many homes did Cyclone Tavi destroy in Fiji?", "1,240 homes")]
    r = resolve("And Samoa?", history)
    assert r.standalone == "How many homes did Cyclone Tavi destroy in Samoa?"
    assert r.kind == "ellipsis"


def test_an_ellipsis_swaps_a_time() -> None:
    history = [_turn("How many visitors came to the Brennick festival in 2022?", "12,000")]
    r = resolve("What about 2023?", history)
    assert r.standalone == "How many visitors came to the Brennick festival in 2023?"


def test_a_wh_ellipsis_borrows_the_rest_of_the_previous_question() -> None:
    history = [_turn("Where did the mayor meet the fishermen?", "Brennick")]
    assert resolve("On what date?", history).standalone == (
        "On what date did the mayor meet the fishermen?"
    )


def test_a_change_of_subject_is_read_as_asked_and_not_steered() -> None:
    history = [_turn("Who founded the Lantern Festival?", "Marta Oyelaran", docs=["d1"])]
    r = resolve("How many homes did Cyclone Tavi destroy?", history)
    assert r.standalone == "How many homes did Cyclone Tavi destroy?"
    assert r.kind == "as-asked" and r.keep_articles == ()


def test_an_abstention_is_known_by_its_flag_not_its_text() -> None:
    # The abstained turn's text names a person; its flag, not its wording, rules it out.
    abstained = Turn(
        question="Who won the chess prize?",
        answer="Nobody named Ivo Grant is in the indexed articles.",
        abstained=True,
        structured=True,
    )
    history = [_turn("Who founded the Lantern Festival?", "Marta Oyelaran"), abstained]
    r = resolve("Where does she live?", history)
    assert "Marta Oyelaran" in r.standalone and "Ivo Grant" not in r.standalone


def test_not_confident_reads_together_with_the_previous_question() -> None:
    history = [_turn("How many homes did the storm destroy?", "1,240 homes", docs=["d7"])]
    r = resolve("Who is she?", history)
    assert r.kind == "read-together" and not r.confident
    assert r.standalone == (f"Who is she? ({READ_TOGETHER} How many homes did the storm destroy?)")
    # The conversation's articles stay candidates of the search.
    assert r.keep_articles == ("d7",)


def test_an_implicit_follow_up_is_read_together() -> None:
    history = [_turn("When did the Brennick lantern parade begin?", "June 2, 2006")]
    r = resolve("Who won?", history)
    assert r.kind == "read-together"
    assert "Brennick lantern parade" in r.standalone


def _asked(question: str, history: list[Turn]) -> Turn:
    """The turn as the assistant keeps it: its standalone form from the resolver."""
    read = resolve(question, history).standalone
    return Turn(question=question, standalone="" if read == question else read, structured=True)


def _answered(turn: Turn, short: str = "", candidate: str = "") -> Turn:
    return Turn(
        question=turn.question,
        answer=f"{short or candidate} [1]",
        short=short,
        candidate=candidate,
        standalone=turn.standalone,
        structured=True,
    )


def test_a_pronoun_chain_keeps_its_referent_over_the_last_answer() -> None:
    # "Whom did she hire?" answered with a person; "she" again is still the founder.
    history = [_turn("Who founded the Lantern Festival in Brennick?", "Marta Oyelaran")]
    second = _answered(_asked("Whom did she hire?", history), "Ivo Grant")
    assert second.standalone == "Whom did Marta Oyelaran hire?"
    r = resolve("How old is she?", [*history, second])
    assert r.standalone == "How old is Marta Oyelaran?"


def test_a_guessed_answer_is_substituted_only_when_its_type_is_what_was_asked() -> None:
    first = "Which painter founded the Lantern Festival in Brennick?"
    person = Turn(question=first, answer="...", candidate="Tomas Ruud", structured=True)
    r = resolve("Where was he born?", [person])
    assert r.standalone == "Where was Tomas Ruud born?"
    # A guess that is a place, for a question about a person: not substituted.
    place = Turn(question=first, answer="...", candidate="Port Velling", structured=True)
    r = resolve("Where was he born?", [place])
    assert r.kind == "read-together" and "Port Velling" not in r.standalone
    assert first in r.standalone


def test_a_stated_answer_of_another_kind_than_asked_is_not_substituted() -> None:
    # "which agency" answered with a person's title and name: "it" is not that person.
    asked = "Which agency is investigating the harbor fire?"
    history = [_turn(asked, "Harbor Authority CEO Ivo Grant")]
    r = resolve("When did it open the inquiry?", history)
    assert "Ivo Grant" not in r.standalone


def test_an_object_pronoun_is_not_bound_by_its_own_verbs_subject() -> None:
    history = [_turn("When will Marta Oyelaran receive the Harbor Medal?", "June 4")]
    r = resolve("Who wrote the festival song with her?", history)
    assert r.standalone == "Who wrote the festival song with Marta Oyelaran?"
    # A name set before the question's own clause still binds it.
    r = resolve("And Ivo Grant, when will he receive it?", history)
    assert "Marta Oyelaran" not in r.standalone and "Ivo Grant" in r.standalone


def test_a_pronoun_the_previous_question_left_open_stays_open() -> None:
    # The first answer was not stated: "he" could not be resolved, nor can the next "he".
    first = Turn(question="Who rebuilt the pier?", answer="...", structured=True)
    second = _answered(_asked("When did he start?", [first]))
    assert READ_TOGETHER in second.standalone
    r = resolve("Where does he live?", [first, second])
    assert r.kind == "read-together"
    # Read together with both earlier questions: the older one names what they are about.
    assert "When did he start?" in r.standalone and "Who rebuilt the pier?" in r.standalone


def test_a_question_that_names_nothing_is_read_together() -> None:
    history = [_turn("How many homes did Cyclone Tavi destroy in Fiji?", "1,240")]
    r = resolve("How old was the girl the rescuers found after three days?", history)
    assert r.kind == "read-together" and "Cyclone Tavi" in r.standalone


def test_the_resolved_question_is_the_condensers_output() -> None:
    history = [("Who founded the Lantern Festival in Brennick?", "Marta Oyelaran [1]")]
    assert OfflineCondenser().condense("Where was she born?", history) == (
        "Where was Marta Oyelaran born?"
    )
    assert offline_condense("Where was she born?", []) == "Where was she born?"


def test_history_items_are_checked() -> None:
    with pytest.raises(ConfigError, match="turn 1 is tuple"):
        as_turns([("only one",)])
    with pytest.raises(ConfigError, match="turn 2 is int"):
        as_turns([("q", "a"), 42])


# ---------------------------------------------------------------- fuzzing history shapes

_LABELS = ("PERSON", "GPE", "ORG", "LOC", "FAC", "NORP", "THING", "PLURAL", "PLACE", "DATE")
_QUESTIONS = [
    "Who founded the Lantern Festival in Brennick?",
    "When did it happen?",
    "How many homes did the storm destroy?",
    "Which ship sank near the harbor?",
    "What about last year?",
    "and?",
    "?",
    "Is there a festival?",
    "Where did the mayor meet the fishermen?",
    "Who won?",
]
_SHORTS = ["", "Marta Oyelaran", "1,240 homes", "June 2, 2006", "Port Velling", "The Gannet", "?"]
_FOLLOW_UPS = [
    "Who is he?",
    "When did that happen?",
    "And Samoa?",
    "What about 2023?",
    "Where is it?",
    "Who replaced them?",
    "What happened there?",
    "And then?",
    "On what date?",
    "Why?",
    "What did she say about this?",
    "Who won?",
    "How many homes did Cyclone Tavi destroy?",
]


def _histories(rng: random.Random, n: int) -> list[list[Turn | tuple[str, str]]]:
    out: list[list[Turn | tuple[str, str]]] = []
    for _ in range(n):
        turns: list[Turn | tuple[str, str]] = []
        for _ in range(rng.randint(1, 3)):
            q, short = rng.choice(_QUESTIONS), rng.choice(_SHORTS)
            shape = rng.choice(["turn", "abstained", "pair", "empty-pair", "no-short"])
            if shape == "turn":
                turns.append(_turn(q, short))
            elif shape == "abstained":
                turns.append(_turn(q, abstained=True))
            elif shape == "pair":
                turns.append((q, f"{short} [1]\n\n[1] “...”"))
            elif shape == "empty-pair":
                turns.append((q, ""))
            else:
                turns.append(Turn(question=q, answer="Some passage.", structured=True))
        out.append(turns)
    return out


def test_no_internal_value_leaks_into_the_standalone_question() -> None:
    rng = random.Random(25)
    for history, question in itertools.product(_histories(rng, 24), _FOLLOW_UPS):
        r = resolve(question, history)
        shown = r.standalone
        said = " ".join(
            [question]
            + [t.question + " " + t.answer if isinstance(t, Turn) else " ".join(t) for t in history]
        )
        assert shown.strip(), (question, history)
        assert question.strip().rstrip("?") in shown or r.kind != "as-asked"
        for word in ("None", "none", "null", "nan", *_LABELS):
            if not re.search(rf"\b{word}\b", said):
                assert not re.search(rf"\b{word}\b", shown), (question, history, shown)
        assert "about:" not in shown
        if r.kind == "read-together":
            # The question (or, with a time resolved in it, its rewrite) and the note.
            assert READ_TOGETHER in shown and shown.split(f" ({READ_TOGETHER}")[0].strip()
        else:
            assert READ_TOGETHER not in shown
