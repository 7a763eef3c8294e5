"""How each kind of question finds its answer in the scored sentences: one small strategy per
kind (why; which of two; who/which-X; when; how many/much; what), chosen by `strategy_for`.

A strategy reads what the answerer scored (`Ask`) and returns what it found (`votes.Found`):
the values weighed and the one the rules would state. The fitted answer model ranks the
values of the strategies that say `ranked`; the others (a reason, one of two alternatives)
are stated by their own rule. Each strategy also says when two articles dispute its answer.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from assistant import nlp
from assistant.answering.question import Analysis
from assistant.answering.reasons import reason as reason_of
from assistant.answering.sentences import ScoredSentence, content_words, split_sentences, stem
from assistant.answering.tuning import TUNING
from assistant.answering.votes import (
    Found,
    Vote,
    comparable,
    count,
    covers,
    nested,
    vote_of,
)
from assistant.types import RetrievedChunk, TimeWindow

__all__ = [
    "Ask",
    "Choice",
    "Counts",
    "Dates",
    "Entities",
    "Limits",
    "Phrases",
    "Reason",
    "Strategy",
    "Values",
    "question_stems",
    "strategy_for",
]

# Specific things a second hop can go through; countries and nationalities are too general
# (a sentence naming "Armenia" is not about the same thing as every other one).
_BRIDGE_LABELS = frozenset(["PERSON", "ORG", "FAC", "EVENT", "WORK_OF_ART", "PRODUCT"])


@dataclass(frozen=True)
class Limits:
    """The answerer's settings a strategy reads (see `ExtractiveAnswerer`)."""

    top_sentences: int
    top_ratio: float
    max_quotes: int
    bridge_pool: int
    conflict_ratio: float


@dataclass(frozen=True)
class Ask:
    """One question (or one part of one) as the answerer scored it."""

    analysis: Analysis
    question: str
    scored: Sequence[ScoredSentence]  # best first; never empty
    chunks: Sequence[RetrievedChunk]
    window: TimeWindow | None
    limits: Limits
    taken: Collection[str] = ()  # earlier parts' answers, used only when nothing else is
    # Candidates for the fitted model, which weighs what the rules filter (more sentences,
    # every entity, no type filter).
    learned: bool = False


class Strategy:
    """How one kind of question is answered."""

    # The fitted answer model ranks this kind's candidate values.
    ranked: ClassVar[bool] = False

    def find(self, ask: Ask) -> Found:
        raise NotImplementedError

    def conflict(self, ask: Ask, votes: Sequence[Vote]) -> list[Vote]:
        """The values to show as a disagreement between articles ([] when there is none)."""
        return []


class Reason(Strategy):
    """ "Why ...?": the reason the closest sentences state."""

    def find(self, ask: Ask) -> Found:
        # The reason may sit in the second or third best sentence ("... invoked the pact."
        # then "It did so after troops ..."): the first that states one answers.
        scored = ask.scored
        best_score = scored[0].score
        source = scored[0]
        near = [
            s
            for s in scored[: ask.limits.max_quotes]
            if s.score >= TUNING.reason_close * best_score
        ]
        short = ""
        for sent, doc in zip(near, nlp.parse_many([s.text for s in near]), strict=True):
            short = reason_of(doc)
            if short:
                source = sent
                break
        return Found(short, source, [], None)


class Choice(Strategy):
    """ "Is it A or B?": the alternative the best sentences state; both, as a disagreement,
    when different articles state each from comparably close sentences."""

    def find(self, ask: Ask) -> Found:
        scored = ask.scored
        best_score = scored[0].score
        stating: dict[str, list[ScoredSentence]] = {}
        for alt in ask.analysis.alternatives:
            stems = {stem(w) for w in content_words(alt)}
            stating[alt] = [
                s
                for s in scored[: ask.limits.bridge_pool]
                if stems and stems <= {stem(w) for w in content_words(s.text)}
            ]
        found = sorted(
            ((alt, ss[0]) for alt, ss in stating.items() if ss), key=lambda p: -p[1].score
        )
        if not found:
            return Found(missing=True)
        first = found[0]
        votes = [vote_of(first[0], first[1])]
        for alt, _ in found[1:]:
            # The other alternative as another article states it.
            other = [
                s
                for s in stating[alt]
                if s.rc.article.doc_id != first[1].rc.article.doc_id
                and s.score >= TUNING.choice_close * best_score
            ]
            if other:
                votes.append(vote_of(alt, other[0]))
                break
        return Found(first[0], first[1], votes)

    def conflict(self, ask: Ask, votes: Sequence[Vote]) -> list[Vote]:
        return list(votes) if len(votes) > 1 else []


class Values(Strategy):
    """A value of the wanted type ("what ...?"): the best-supported span of the best
    sentences; when none holds one, a value one hop away (through an entity the best
    sentence names)."""

    ranked = True
    # Only sentences about the question's named things vote.
    about_names: ClassVar[bool] = False
    # Two figures dispute each other only when they are of comparable size.
    by_size: ClassVar[bool] = False
    # Two articles giving different values is shown as a disagreement.
    disputes: ClassVar[bool] = True

    def find(self, ask: Ask) -> Found:
        analysis, scored = ask.analysis, ask.scored
        best_score = scored[0].score
        if ask.learned:
            top = list(scored[: TUNING.learned_sentences])
        else:
            top = [
                s
                for s in scored[: ask.limits.top_sentences]
                if s.score >= ask.limits.top_ratio * best_score
            ]
        q_stems = question_stems(ask.question)
        bridge: ScoredSentence | None = None
        votes = self.count(
            analysis, q_stems, top, _timeliness(ask.chunks, ask.window), broad=ask.learned
        )
        if not votes:
            votes, bridge = self.fallback(ask, q_stems, top)
        if not ask.learned:
            votes = self.keep(analysis, votes)
        if votes:
            fresh = [v for v in votes if v.key not in ask.taken] or votes
            return Found(fresh[0].text, fresh[0].sentence, votes, bridge)
        if analysis.labels:
            return Found(missing=True)
        return Found("", None, votes, bridge)

    def count(
        self,
        analysis: Analysis,
        q_stems: set[str],
        top: Sequence[ScoredSentence],
        timeliness: dict[str, float] | None = None,
        source: str = "",
        broad: bool = False,
    ) -> list[Vote]:
        return count(analysis, q_stems, top, timeliness, source, broad, self.about_names)

    def fallback(
        self, ask: Ask, q_stems: set[str], top: Sequence[ScoredSentence]
    ) -> tuple[list[Vote], ScoredSentence | None]:
        """Values found another way when the best sentences hold none."""
        if ask.analysis.labels:
            return self.bridge(ask, q_stems)
        return [], None

    def keep(self, analysis: Analysis, votes: list[Vote]) -> list[Vote]:
        """The rules' type filter, where no fitted model weighs `counts_unit` instead."""
        return votes

    def bridge(self, ask: Ask, q_stems: set[str]) -> tuple[list[Vote], ScoredSentence | None]:
        """One hop: the best sentence names an entity the question does not; a sentence
        elsewhere in the retrieved set about that entity may hold the wanted value."""
        analysis, scored = ask.analysis, ask.scored
        best = scored[0]
        if not covers(f"{best.rc.article.title}\n{best.text}", analysis.names):
            return [], None  # the first hop must be about what the question names
        (doc,) = nlp.parse_many([best.text])
        bridges = [
            e.text
            for e in doc.ents
            if e.label_ in _BRIDGE_LABELS
            and not all(stem(w) in q_stems for w in content_words(e.text))
        ]
        for name in bridges:
            others = [
                s
                for s in scored[: ask.limits.bridge_pool]
                if name in s.text
                and (s.rc.article.doc_id, s.start) != (best.rc.article.doc_id, best.start)
            ]
            if not others:
                continue
            # The bridge sentence is scored as well as the sentence that named the entity.
            lifted = [
                ScoredSentence(s.rc, s.text, s.start, s.end, best.score, s.cosine, s.overlap)
                for s in others[:3]
            ]
            # The bridge sentence names the entity, not the question's own names.
            hop = replace(analysis, names=())
            votes = self.count(hop, q_stems | set(content_words(name)), lifted, source="bridge")
            if votes:
                return votes, best
        return [], None

    def conflict(self, ask: Ask, votes: Sequence[Vote]) -> list[Vote]:
        """The best value and another article's own best value, when that article gives a
        different one from a sentence nearly as close to the question as the first's.

        Per article, not by total support: the value several sentences repeat would always
        outvote the one article that disagrees. Dates and numbers of the same precision
        (not "September 2020" against "November 10, 2020"); names only when they are
        spellings of one name ("Nakhijevan", "Nakhichevan"): two articles naming two
        people are usually two stories, two dates for one event are a disagreement.
        """
        if len(votes) < 2 or not self.disputes:
            return []
        first = votes[0]
        rivals: list[tuple[float, Vote, ScoredSentence]] = []
        for doc_id in {d for v in votes for d in v.by_doc} - set(first.by_doc):
            weight, v = max(
                ((v.by_doc[doc_id][0], v) for v in votes if doc_id in v.by_doc),
                key=lambda p: p[0],
            )
            sentence = v.by_doc[doc_id][1]
            if (
                v.label == first.label
                and nested(v.key, first.key) is False
                and sentence.score >= TUNING.conflict_close * first.sentence.score
                and weight >= ask.limits.conflict_ratio * first.best_weight
                and comparable(first, v, self.by_size)
            ):
                rivals.append((weight, v, sentence))
        if not rivals:
            return []
        _, rival, sentence = max(rivals, key=lambda r: r[0])
        return [first, replace(rival, sentence=sentence)]


class Entities(Values):
    """ "Who/which X ...?": a named thing. When the best sentences name none, the sentence
    before one of them (which often names what the next describes), then one hop, then any
    span the sentence ties to the question's focus noun."""

    def fallback(
        self, ask: Ask, q_stems: set[str], top: Sequence[ScoredSentence]
    ) -> tuple[list[Vote], ScoredSentence | None]:
        votes, bridge = self.context(ask, q_stems, top)
        if not votes and ask.analysis.labels:
            votes, bridge = self.bridge(ask, q_stems)
        if not votes:
            # The recogniser missed or mislabelled the name (a festival's name as nothing):
            # any entity or noun phrase may answer, with less weight. Without the
            # recogniser's type, only a span the sentence itself ties to the focus noun, or
            # a quoted title, is trusted.
            analysis = ask.analysis
            untyped = Analysis(analysis.wh, analysis.focus, (), "phrase")
            votes = [
                v
                for v in self.count(untyped, q_stems, top, source="untyped")
                if v.label in ("FOCUS", "QUOTE")
            ]
            for v in votes:
                v.support *= TUNING.untyped
        return votes, bridge

    def context(
        self, ask: Ask, q_stems: set[str], top: Sequence[ScoredSentence]
    ) -> tuple[list[Vote], ScoredSentence | None]:
        """Values of the wanted type in the sentence just before one of the best: a sentence
        often describes ("the hugely popular harbor festival") what the one before it names.
        The earlier sentence is weighed at `TUNING.context` of the later one's score; the
        later one is returned, to be quoted as well."""
        for s in top[: TUNING.context_sentences]:
            before = [
                p
                for p in split_sentences(s.rc.chunk.text, base=s.rc.chunk.start)
                if p.end <= s.start and len(p.text.split()) >= 3
            ]
            if not before:
                continue
            p = before[-1]
            lifted = ScoredSentence(
                s.rc, p.text, p.start, p.end, TUNING.context * s.score, s.cosine, s.overlap
            )
            votes = self.count(ask.analysis, q_stems, [lifted], source="context")
            if votes:
                return votes, s
        return [], None


class Dates(Values):
    """ "When ...?", "for how long ...?": a date or a duration from a sentence about the
    question's named things."""

    about_names = True

    def keep(self, analysis: Analysis, votes: list[Vote]) -> list[Vote]:
        if any(not v.counts_unit for v in votes) and any(v.counts_unit for v in votes):
            # "For how many years": "5 years", not the number of troops beside it.
            return [v for v in votes if v.counts_unit]
        return votes


class Counts(Values):
    """ "How many/much ...?": a figure from a sentence about the question's named things,
    counting what the question counts."""

    about_names = True
    by_size = True

    def keep(self, analysis: Analysis, votes: list[Vote]) -> list[Vote]:
        if analysis.focus:
            # "How many soldiers" is not answered by a count of something else.
            return [v for v in votes if v.counts_unit]
        return votes


class Phrases(Values):
    """ "What ...?" asking for a thing or an event: a noun phrase or a name."""


class _AnyValue(Values):
    """A value for a question of no known kind (or a part of a two-part question asking for
    one of two alternatives): no disagreement is shown."""

    disputes = False


_STRATEGIES: dict[str, Strategy] = {
    "explain": Reason(),
    "choice": Choice(),
    "entity": Entities(),
    "date": Dates(),
    "number": Counts(),
    "phrase": Phrases(),
}
_ANY_VALUE = _AnyValue()


def strategy_for(kind: str, *, part: bool = False) -> Strategy:
    """The strategy for a question of `kind` (`question.Analysis.kind`). `part`: for one part
    of a two-part question, which is always read for a value or a reason."""
    strategy = _STRATEGIES.get(kind, _ANY_VALUE)
    if part and not isinstance(strategy, Values | Reason):
        return _ANY_VALUE
    return strategy


def question_stems(question: str) -> set[str]:
    """The question's content words, hyphenated ones also in parts ("Russian-led")."""
    words = content_words(question)
    return set(words) | {stem(p) for w in words if "-" in w for p in w.split("-") if p}


def _timeliness(
    chunks: Sequence[RetrievedChunk], window: TimeWindow | None
) -> dict[str, float] | None:
    """Per article, how much its values count for a question about a time ("as of this
    week", "in 2020"): fully inside it, half as much far from it, so the latest figure wins
    over last month's. An undated article counts as the mean of the dated ones."""
    if window is None or window.kind == "none" or window.start is None or window.end is None:
        return None
    prior = window.prior
    out: dict[str, float] = {}
    for rc in chunks:
        day = rc.article.published
        if day is not None:
            before = max((window.start - day).days, 0)
            after = max((day - window.end).days, 0)
            out[rc.article.doc_id] = 0.5 + 0.5 * prior.closeness(before, after)
    if not out:
        return None
    neutral = sum(out.values()) / len(out)
    for rc in chunks:
        out.setdefault(rc.article.doc_id, neutral)
    return out
