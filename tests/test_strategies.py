"""The per-kind strategies and the vote counting they share (`answering/strategies.py`,
`answering/votes.py`), on invented sentences: which strategy reads which question, how
values are counted, and when two articles are shown to disagree."""

from __future__ import annotations

import pytest

from assistant.answering.question import analyse
from assistant.answering.sentences import ScoredSentence
from assistant.answering.strategies import (
    Ask,
    Choice,
    Counts,
    Dates,
    Entities,
    Limits,
    Phrases,
    Reason,
    Values,
    question_stems,
    strategy_for,
)
from assistant.answering.votes import comparable, count, covers, magnitude, vote_of
from assistant.types import Article, Chunk, RetrievedChunk

LIMITS = Limits(top_sentences=8, top_ratio=0.5, max_quotes=3, bridge_pool=40, conflict_ratio=0.3)


def _sentence(doc_id: str, text: str, score: float, rank: int = 1) -> ScoredSentence:
    art = Article(doc_id=doc_id, title=f"{doc_id} news", text=text, content_hash=doc_id)
    chunk = Chunk(chunk_id=f"{doc_id}:0", doc_id=doc_id, index=0, text=text, start=0, end=len(text))
    rc = RetrievedChunk(chunk=chunk, article=art, score=score, rank=rank)
    return ScoredSentence(rc, text, 0, len(text), score, score, 0.0)


def _ask(question: str, *scored: ScoredSentence) -> Ask:
    return Ask(analyse(question), question, list(scored), [s.rc for s in scored], None, LIMITS)


@pytest.mark.parametrize(
    ("question", "strategy"),
    [
        ("Why did the Dunmore council close the ferry?", Reason),
        ("Was the Dunmore bridge repaired or replaced?", Choice),
        ("Who founded the Dunmore lantern festival?", Entities),
        ("When will the Dunmore ferry terminal reopen?", Dates),
        ("How many boats moved to the Dunmore harbor?", Counts),
        ("What did the Dunmore council approve?", Phrases),
    ],
)
def test_each_kind_of_question_has_its_strategy(question: str, strategy: type) -> None:
    assert isinstance(strategy_for(analyse(question).kind), strategy)


def test_a_part_of_a_two_part_question_is_read_for_a_value_not_a_choice() -> None:
    assert isinstance(strategy_for("choice", part=True), Values)
    assert isinstance(strategy_for("explain", part=True), Reason)
    assert isinstance(strategy_for("no such kind"), Values)


def test_a_name_in_full_and_in_part_is_one_value_and_agreement_adds_support() -> None:
    question = "Who leads the Dunmore harbor board?"
    one = _sentence("a", "Orla Venkatesan leads the Dunmore harbor board.", 0.8)
    two = _sentence("b", "Venkatesan has led the Dunmore harbor board since 2019.", 0.7)
    votes = count(analyse(question), question_stems(question), [one, two])
    texts = [v.text for v in votes]
    assert "Orla Venkatesan" in texts and "Venkatesan" not in texts
    full = votes[texts.index("Orla Venkatesan")]
    assert full.docs == {"a", "b"}
    alone = count(analyse(question), question_stems(question), [one])
    assert full.support > next(v.support for v in alone if v.text == "Orla Venkatesan")


def test_a_date_answers_only_from_a_sentence_about_the_named_place() -> None:
    question = "When will the Dunmore ferry terminal reopen?"
    other = _sentence("a", "The Kilbride ferry terminal will reopen on April 14, 2031.", 0.9)
    right = _sentence("b", "The Dunmore terminal will reopen on May 2, 2031, officials said.", 0.6)
    found = strategy_for(analyse(question).kind).find(_ask(question, other, right))
    assert found.short == "May 2, 2031"
    assert found.source is right


def test_how_many_counts_what_it_asks_for_without_the_model() -> None:
    question = "How many boats moved to the Dunmore harbor?"
    s = _sentence("a", "In 2030, 14 boats moved to the Dunmore harbor with 3 crews.", 0.8)
    found = strategy_for(analyse(question).kind).find(_ask(question, s))
    assert found.short == "14"


def test_two_articles_giving_comparable_dates_are_shown_as_a_disagreement() -> None:
    question = "When did the Dunmore bridge close?"
    one = _sentence("a", "The Dunmore bridge closed on March 2, 2031, engineers said.", 0.8)
    two = _sentence("b", "The Dunmore bridge closed on March 9, 2031, the council said.", 0.78, 2)
    ask = _ask(question, one, two)
    strategy = strategy_for(ask.analysis.kind)
    found = strategy.find(ask)
    shown = strategy.conflict(ask, found.votes)
    assert sorted(v.text for v in shown) == ["March 2, 2031", "March 9, 2031"]
    # A year alone is not the same precision as a day: no dispute.
    three = _sentence("b", "The Dunmore bridge closed in 2031, the council said.", 0.78, 2)
    ask = _ask(question, one, three)
    assert strategy.conflict(ask, strategy.find(ask).votes) == []


def test_a_choice_names_the_alternative_its_best_sentence_states() -> None:
    question = "Was the Dunmore bridge repaired or replaced?"
    s = _sentence("a", "The Dunmore bridge was replaced by a steel span last year.", 0.8)
    ask = _ask(question, s)
    found = Choice().find(ask)
    assert found.short == "replaced" and found.source is s
    assert Choice().conflict(ask, found.votes) == []


def test_figures_dispute_only_when_of_comparable_size() -> None:
    s = _sentence("a", "x", 0.5)
    small, large, near = vote_of("$2,000", s), vote_of("$4 billion", s), vote_of("$2,500", s)
    assert not comparable(small, large, by_size=True)
    assert comparable(small, near, by_size=True)
    assert magnitude("2.5 million people") == 2_500_000.0
    assert magnitude("no figure") is None


def test_covers_reads_names_up_to_their_ending_and_hyphenated_pairs() -> None:
    assert covers("Russian and Iranian guards", ["Russia", "Iran"])
    assert covers("the Armenia and Azerbaijan talks", ["Armenia-Azerbaijan"])
    assert not covers("the Armenia talks", ["Armenia-Azerbaijan"])
