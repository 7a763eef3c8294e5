"""What stays hand-set in the offline answerer, in one place, each value with its reason.

The choice among candidate values, the confidence in it and the decision to abstain are
learned (model.py, fitted by evals/fit_answer_model.py). What is left here shapes the
evidence the model reads (which sentences, how a value's support is summed) and the answer's
presentation; `evals/fit_answer_model.py` reads the support the same way, so a change here
needs a refit.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TUNING", "AnswerTuning"]


@dataclass(frozen=True)
class AnswerTuning:
    # The share of the question's content words the three best passages (with their titles)
    # must hold, and whether they must name at least one of its named things, before the
    # model is asked at all: below it the passages are about something else, and the answer
    # is "the articles don't say" (the learned evidence model decides above it).
    min_coverage: float = 0.3
    # Sentences the learned model reads candidates from: the best by score. More finds the
    # answer more often but costs a parse each; twelve covers the first three articles' best
    # sentences, where retrieval puts the answer for most questions.
    learned_sentences: int = 12
    # Words between a span and the question's words that halve its weight.
    proximity_scale: float = 8.0
    # Support of an untyped answer to a typed question, relative to a typed one.
    untyped: float = 0.5
    # Both sides of a conflict come from sentences at least this close to the best one.
    conflict_close: float = 0.85
    # The first-ranked article is quoted when its best sentence is at least this close.
    first_article_close: float = 0.5
    # Added to a sentence's score when it holds a value of the kind asked for.
    type_bonus: float = 0.06
    # A value from the sentence before one of the best counts this much of that one's score;
    # only the first few best sentences are looked behind.
    context: float = 0.8
    context_sentences: int = 3
    # A reason is taken from sentences at least this close to the question as the best one.
    reason_close: float = 0.8
    # Two names this alike are spellings of one name (transliterations).
    same_name: float = 0.75
    # Two figures within this factor can be one figure reported differently.
    same_size: float = 3.0
    # An alternative stated less closely than a conflicting value still counts: the question
    # itself names both, so a sentence stating either is on topic.
    choice_close: float = 0.55
    # How sharply a sentence's weight falls with its score relative to the best sentence.
    relevance_power: float = 3.0
    # Extra support per further article that gives the same value.
    agreement: float = 0.25


TUNING = AnswerTuning()
