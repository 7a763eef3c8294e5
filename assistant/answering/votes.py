"""Candidate values and their support: what the best sentences say the answer could be.

Every span of the wanted kind in a sentence (`spans.candidates`) is a vote for its value,
weighed by its sentence's closeness to the question, its type fit and its distance to the
question's words; a value's support is the sum over the sentences that give it, and grows
with the number of articles that agree. The fitted answer model ranks these values (or, without
one, the support does); the strategies (`strategies.py`) decide which sentences vote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from assistant import nlp
from assistant.answering.lexicon import LEXICON
from assistant.answering.qtypes import date_specificity
from assistant.answering.question import Analysis
from assistant.answering.sentences import ScoredSentence
from assistant.answering.spans import candidates, names_a_date, norm_value
from assistant.answering.tuning import TUNING

__all__ = [
    "Found",
    "Vote",
    "comparable",
    "count",
    "covers",
    "magnitude",
    "named",
    "nested",
    "vote_of",
]


@dataclass
class Vote:
    """A candidate value and its support (mutable while votes are counted)."""

    key: str
    text: str
    label: str
    support: float
    sentence: ScoredSentence  # the sentence that gives it with the most weight
    best_weight: float
    docs: set[str]
    counts_unit: bool = True
    fit: float = 1.0  # the best type fit of its mentions
    flags: set[str] = field(default_factory=set)  # the parse's roles over its mentions
    distance: float = 0.0  # the nearest of its mentions to a question word, in tokens
    source: str = ""  # how it was found (features.SOURCES), "" from the best sentences
    timely: float = 1.0  # its first article's timeliness for the question's time
    # Per article: the value's best weight there and the sentence that gives it.
    by_doc: dict[str, tuple[float, ScoredSentence]] = field(default_factory=dict)
    # Per sentence (article, offset): the value's weight there.
    by_sentence: dict[tuple[str, int], float] = field(default_factory=dict)


@dataclass(frozen=True)
class Found:
    """A short answer, the sentence it comes from, the values weighed, the hop taken; or
    `missing` when no passage holds a value of the wanted type."""

    short: str = ""
    source: ScoredSentence | None = None
    votes: list[Vote] = field(default_factory=list)
    bridge: ScoredSentence | None = None
    missing: bool = False


def count(
    analysis: Analysis,
    q_stems: set[str],
    top: Sequence[ScoredSentence],
    timeliness: Mapping[str, float] | None = None,
    source: str = "",
    broad: bool = False,
    about_names: bool = False,
) -> list[Vote]:
    """Candidate values of the wanted type in `top`, best supported first.

    A span's weight is its sentence's score times its type fit times its closeness to the
    question's words in that sentence; a value's support is the sum over every sentence
    that gives it, and grows with the number of articles that agree. `about_names`: only
    sentences about the question's named things vote (a date or a number answers only for
    them).
    """
    names = analysis.names or named(analysis)
    if about_names and names:
        # A date or number only answers if its sentence is about the same named things
        # ("the border with Turkey", not the border with Iran). The headline counts: a
        # story headlined with the name is about it even where a sentence omits it.
        # The passage around the sentence counts too: "a ceasefire was reached on
        # November 10" follows the paragraph that names the two sides.
        top = [s for s in top if covers(f"{s.rc.article.title}\n{s.rc.chunk.text}", names)]
    docs = nlp.parse_many([s.text for s in top])
    acc: dict[str, Vote] = {}
    lead = max((s.score for s in top), default=1.0) or 1.0
    for s, doc in zip(top, docs, strict=True):
        # Weaker sentences count, but much less: a value the best sentence gives should
        # not be outvoted by a name that several loosely related sentences repeat.
        relevance = s.score * (s.score / lead) ** TUNING.relevance_power
        if timeliness:
            relevance *= timeliness.get(s.rc.article.doc_id, 1.0)
        for c in candidates(doc, analysis, q_stems, broad):
            key = norm_value(c.text)
            if not key:
                continue
            weight = relevance * c.fit / (1.0 + c.distance / TUNING.proximity_scale)
            if c.label == "DATE":
                weight *= date_specificity(c.text)
            v = acc.get(key)
            doc_id = s.rc.article.doc_id
            if v is None:
                text = c.text.strip(" ,.;:")
                v = acc[key] = Vote(
                    key,
                    text,
                    c.label,
                    weight,
                    s,
                    weight,
                    {doc_id},
                    c.counts_unit,
                    c.fit,
                    flags=set(c.flags),
                    distance=c.distance,
                    source=source,
                    timely=timeliness.get(doc_id, 1.0) if timeliness else 1.0,
                )
                v.by_doc[doc_id] = (weight, s)
                v.by_sentence[(doc_id, s.start)] = weight
            else:
                if weight > v.by_doc.get(doc_id, (0.0, s))[0]:
                    v.by_doc[doc_id] = (weight, s)
                v.fit = max(v.fit, c.fit)
                v.flags |= c.flags
                v.distance = min(v.distance, c.distance)
                where = (doc_id, s.start)
                v.by_sentence[where] = max(v.by_sentence.get(where, 0.0), weight)
                v.counts_unit = v.counts_unit or c.counts_unit
                v.support += weight
                v.docs.add(s.rc.article.doc_id)
                if weight > v.best_weight:
                    v.sentence, v.best_weight = s, weight
    votes = _merge_parts(list(acc.values()))
    for v in votes:
        v.support *= 1.0 + TUNING.agreement * (len(v.docs) - 1)
    votes.sort(key=lambda v: -v.support)
    return votes


def _merge_parts(votes: list[Vote]) -> list[Vote]:
    """A value named in full and in part ("Nikol Pashinyan", "Pashinyan"; "May 18, 2025",
    "2025") is one value: the part's support goes to the fuller form. Not into a noun
    phrase: "Erdogan's statement" is not a fuller form of "Turkish" or "Erdogan"."""
    for part in sorted(votes, key=lambda v: len(v.key)):
        fuller = [
            v
            for v in votes
            if v is not part
            and v.support > 0
            and v.label != "NP"
            and f" {part.key} " in f" {v.key} "
        ]
        if fuller:
            best = max(fuller, key=lambda v: v.support)
            # From other sentences in full: inside the fuller span's own sentence, the
            # part ("Karabakh" in "recently liberated areas of Karabakh") is no second
            # mention.
            # Within a sentence the fuller span holds, only what the part weighs
            # beyond the fuller one there (a name linked to the focus noun inside a
            # weaker noun phrase lifts the phrase).
            best.support += sum(
                max(0.0, w - best.by_sentence.get(k, 0.0)) for k, w in part.by_sentence.items()
            )
            best.docs |= part.docs
            part.support = 0.0
    return [v for v in votes if v.support > 0]


def vote_of(text: str, sentence: ScoredSentence) -> Vote:
    """One sentence's vote for `text`, as strong as the sentence is close."""
    doc_id = sentence.rc.article.doc_id
    score = sentence.score
    return Vote(norm_value(text), text, "CHOICE", score, sentence, score, {doc_id})


def nested(a: str, b: str) -> bool:
    """One value holds the other ("2020" in "november 10 2020")."""
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def comparable(a: Vote, b: Vote, by_size: bool = False) -> bool:
    """Two values that can be the same fact told differently. `by_size`: figures (for "how
    many/much") compare by magnitude."""
    if a.label == "DATE":
        return date_specificity(a.text) == date_specificity(b.text)
    if by_size:
        x, y = magnitude(a.text), magnitude(b.text)
        # "$2,000" per household and "$4 billion" in all are two figures, not a dispute.
        return x is not None and y is not None and max(x, y) <= TUNING.same_size * min(x, y)
    return SequenceMatcher(None, a.key, b.key).ratio() >= TUNING.same_name


_SCALE_WORDS = LEXICON.scale_words


def magnitude(text: str) -> float | None:
    """The size of the first figure in `text` ("2.5 million" -> 2500000.0), None if none."""
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion|trillion)?", text, re.I)
    if not m:
        return None
    value = float(m.group(1).replace(",", ""))
    return value * _SCALE_WORDS.get((m.group(2) or "").lower(), 1.0) or None


def named(analysis: Analysis) -> tuple[str, ...]:
    """The question's proper nouns the recogniser left unnamed ("Aras" of "Aras 2025"),
    without calendar words ("May")."""
    return tuple(sorted(w for w in analysis.proper if len(w) > 3 and not names_a_date(w)))


def covers(text: str, names: Sequence[str]) -> bool:
    """Every name occurs in `text`, up to its ending ("Russia"/"Russian", "Iran"/"Iranian");
    a hyphenated pair ("Armenia-Azerbaijan") counts as its two names."""
    low = text.casefold()
    parts = [p for n in names for p in n.split("-") if p]
    return all(p.casefold()[: max(4, len(p) - 3)] in low for p in parts)
