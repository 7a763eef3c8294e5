"""The offline answerer: quotes the sentences that answer, leads with a typed short answer.

No LLM: candidate sentences from the retrieved chunks are scored by the embedder (cosine to
the question) plus IDF-weighted word overlap; only a shortlist of them, the best by the cheap
part of the score, is embedded (see `ExtractiveAnswerer`). The question's analysis (spaCy:
wh-word, focus noun, wanted entity types; `question.py`) picks the candidate spans of the best
sentences (`spans.py`), and the value they support best is the short answer. It abstains when
the evidence is weak or no passage holds a value of the wanted type, shows both values when
articles disagree on a date or number, and can take one hop through an entity the best
sentence names.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal

import numpy as np

from assistant.answering.base import ABSTENTION, PASSAGES_LEAD, AnswerRequest, Draft, History
from assistant.answering.citations import make_citation
from assistant.answering.features import (
    CandidateView,
    candidate_features,
    confidence_features,
    evidence_features,
)
from assistant.answering.follow_up import resolve_follow_up
from assistant.answering.lexicon import LEXICON
from assistant.answering.model import AnswerModel
from assistant.answering.question import Analysis, analyse, split_parts
from assistant.answering.sentences import (
    ScoredSentence,
    content_words,
    sentence_score,
    split_sentences,
    stem,
)
from assistant.answering.spans import could_hold, fuller, norm_value
from assistant.answering.strategies import Ask, Limits, question_stems, strategy_for
from assistant.answering.tuning import TUNING
from assistant.answering.votes import Found, Vote
from assistant.dates import stated
from assistant.embeddings import Embedder
from assistant.temporal import names_a_time
from assistant.types import Citation, RetrievedChunk, TimeWindow

__all__ = [
    "STALE_DAYS",
    "ExtractiveAnswerer",
    "Reading",
    "ScoredSentence",
    "abstention_text",
    "question_stems",
]

# An article published this long before the time a question asks about ("this week", "in May
# 2025") is not evidence for it: it can announce plans, not report what happened.
STALE_DAYS = 365


def abstention_text(question: str, reason: str = "") -> str:
    """What the answer says when it abstains; `reason` says why, when it is known."""
    why = f" ({reason})" if reason else ""
    return (
        f"{ABSTENTION} None of the retrieved passages answers "
        f"“{question.strip()}” closely enough to quote{why}."
    )


@dataclass(frozen=True)
class _Candidate:
    """A sentence that could answer, with the part of its score that needs no embedding."""

    rc: RetrievedChunk
    text: str
    start: int
    end: int
    overlap: float
    bonus: float
    prior: float
    penalty: float

    @property
    def cheap(self) -> float:
        """The score without its cosine term: what the embedding shortlist ranks by."""
        return sentence_score(0.0, self.overlap) + self.bonus + self.prior - self.penalty


class ExtractiveAnswerer:
    """Offline, extractive. `threshold` is the minimum best-sentence score to answer.

    Embedding is nearly all of the answer step's time (a question's chunks hold dozens of
    candidate sentences), so only a shortlist is embedded: the `embed_limit` best candidates
    by the score's cheap part (word overlap, type bonus, rank prior, punctuation), plus the
    `per_article` best of each retrieved article. None embeds every candidate. The default
    limit gives the same answers as embedding everything, with a margin (see README).
    """

    mode = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        threshold: float = 0.42,
        max_quotes: int = 3,
        embed_limit: int | None = 20,
        per_article: int = 1,
        top_sentences: int = 8,
        top_ratio: float = 0.5,
        conflict_ratio: float = 0.3,
        bridge_pool: int = 40,
        window_relief: float = 0.07,
        model: AnswerModel | Literal["packaged"] | None = "packaged",
    ) -> None:
        self.embedder = embedder
        # The fitted answer model decides typed questions; None leaves them to the rules.
        self.model = _packaged_model() if model == "packaged" else model
        self.threshold = threshold
        self.max_quotes = max_quotes
        self.embed_limit = embed_limit
        self.per_article = per_article
        self.top_sentences = top_sentences
        self.top_ratio = top_ratio
        self.conflict_ratio = conflict_ratio
        self.bridge_pool = bridge_pool
        self.window_relief = window_relief
        self._cache: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ scoring
    def _embed_cached(self, texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for t, v in zip(todo, self.embedder.embed(todo), strict=True):
                self._cache[t] = v
            if len(self._cache) > 50_000:  # bounded: drop the oldest half
                for k in list(self._cache)[:25_000]:
                    del self._cache[k]
        return np.stack([self._cache[t] for t in texts])

    def _shortlist(self, pool: list[_Candidate]) -> list[_Candidate]:
        """The candidates worth embedding: the best `embed_limit` by the cheap score, plus
        the best `per_article` of each article (so a paraphrase, which shares few words with
        the question, still gets its cosine in every retrieved article). Candidate order is
        kept, so equal scores sort as they would without the shortlist."""
        if self.embed_limit is None or len(pool) <= self.embed_limit:
            return pool
        order = sorted(range(len(pool)), key=lambda i: -pool[i].cheap)
        keep = set(order[: self.embed_limit])
        taken: dict[str, int] = defaultdict(int)
        for i in order:
            doc = pool[i].rc.article.doc_id
            if taken[doc] < self.per_article:
                taken[doc] += 1
                keep.add(i)
        return [pool[i] for i in sorted(keep)]

    def score_sentences(
        self,
        question: str,
        chunks: Sequence[RetrievedChunk],
        q_vec: np.ndarray | None = None,
        analysis: Analysis | None = None,
    ) -> list[ScoredSentence]:
        cands: list[tuple[RetrievedChunk, str, int, int]] = []
        seen: set[tuple[str, int]] = set()
        for rc in chunks:
            for s in split_sentences(rc.chunk.text, base=rc.chunk.start):
                if len(s.text.split()) < 4 or (rc.article.doc_id, s.start) in seen:
                    continue
                if s.text == rc.article.title:
                    continue  # a headline restates the story; quote the article's sentences
                seen.add((rc.article.doc_id, s.start))
                cands.append((rc, s.text, s.start, s.end))
        if not cands:
            return []
        analysis = analysis or analyse(question)
        kind = analysis.kind
        # "Liberated or occupied?": a sentence stating one of the alternatives holds a value
        # of the wanted kind, as a sentence with a date does for "when".
        alt_stems = [{stem(w) for w in content_words(a)} for a in analysis.alternatives]
        q_words = set(content_words(question))
        sent_words = [set(content_words(t)) for _, t, _, _ in cands]
        n = len(cands)
        df: dict[str, int] = defaultdict(int)
        for ws in sent_words:
            for w in ws:
                df[w] += 1
        idf = {w: math.log(1 + n / (1 + df.get(w, 0))) for w in q_words}
        total = sum(idf.values()) or 1.0
        # Word rarity (above) is counted over every candidate, but only sentences that can
        # answer are embedded: embedding is nearly all of the answer step's time.
        pool: list[_Candidate] = []
        for (rc, text, start, end), ws in zip(cands, sent_words, strict=True):
            if not could_hold(text, kind):
                # A sentence holding no date or number cannot answer "when" or "how many";
                # skipping it before embedding keeps the answer step fast.
                continue
            pool.append(
                _Candidate(
                    rc,
                    text,
                    start,
                    end,
                    overlap=sum(idf[w] for w in q_words & ws) / total,
                    # Every date/number candidate holds a value of the wanted kind.
                    bonus=TUNING.type_bonus
                    if kind in ("date", "number")
                    or any(a and a <= {stem(w) for w in ws} for a in alt_stems)
                    else 0.0,
                    prior=0.03 / rc.rank,  # a small preference for the better-ranked articles
                    # Captions, headings and menu lines are weaker evidence.
                    penalty=0.0 if re.search(r"[.!?\"”’)]$", text) else 0.05,
                )
            )
        if not pool:
            return []
        pool = self._shortlist(pool)
        if q_vec is None:
            q_vec = self.embedder.embed([question])[0]
        cos = self._embed_cached([c.text for c in pool]) @ q_vec
        out = [
            ScoredSentence(
                c.rc,
                c.text,
                c.start,
                c.end,
                # Summed in this order on purpose: float addition is not associative, and a
                # reordering could break ties (so change answers) differently.
                sentence_score(float(v), c.overlap) + c.bonus + c.prior - c.penalty,
                float(v),
                c.overlap,
            )
            for c, v in zip(pool, cos, strict=True)
        ]
        out.sort(key=lambda s: -s.score)
        return out

    def _affinity(self, analysis: Analysis) -> dict[str, float]:
        """Per entity label, the cosine between spaCy's description of it ("People,
        including fictional") and what the question asks for (its focus noun, else its
        wh-word): a focus noun no word list knows ("superstar", "automaker") still points at
        a type."""
        asked = analysis.focus or analysis.wh
        if not asked:
            return {}
        import spacy

        labels = list(_LABEL_WORDS)
        descriptions = [spacy.explain(k) or _LABEL_WORDS[k] for k in labels]
        vecs = self._embed_cached([*descriptions, asked])
        sims = vecs[:-1] @ vecs[-1]
        return {k: float(v) for k, v in zip(labels, sims, strict=True)}

    # ------------------------------------------------------------------ short answer
    def _answer_parts(
        self,
        question: str,
        parts: Sequence[str],
        chunks: Sequence[RetrievedChunk],
        scored: Sequence[ScoredSentence],
        window: TimeWindow | None,
    ) -> Draft:
        """ "How many troops, and for how many years?": each part answered on its own (its
        sentences scored for that part), the short answers joined, every source cited."""
        shorts: list[str] = []
        leads: list[ScoredSentence] = []
        for part in parts:
            part_analysis = analyse(part)
            part_scored = self.score_sentences(part, chunks, None, part_analysis) or scored
            taken = {norm_value(t) for t in shorts}
            strategy = strategy_for(part_analysis.kind, part=True)
            found = strategy.find(
                Ask(part_analysis, part, part_scored, chunks, window, self._limits, taken)
            )
            if found.short and found.source is not None:
                shorts.append(found.short)
                leads.append(found.source)
        if not shorts:
            return Draft(
                abstention_text(question, "none of the passages answers any part of it"),
                "",
                True,
                (),
                self.mode,
                scored[0].score,
            )
        return self._compose(scored, list(zip(shorts, leads, strict=True)), [], None)

    # ------------------------------------------------------------------ answer
    def stream(self, request: AnswerRequest) -> Iterator[str | Draft]:
        """The whole answer at once (it is ready at once), then its draft."""
        draft = self.answer(
            request.question, request.chunks, request.question_vec, window=request.window
        )
        yield draft.text
        yield draft

    def condense(self, question: str, history: History) -> str:
        """A follow-up rewritten to stand alone from the previous turn, using the parse."""
        return resolve_follow_up(question, history)

    def read(
        self,
        question: str,
        chunks: Sequence[RetrievedChunk],
        q_vec: np.ndarray | None = None,
        *,
        window: TimeWindow | None = None,
        learned: bool | None = None,
    ) -> Reading:
        """What the answerer reads of the retrieved chunks for `question`: the scored
        sentences, the candidate values with their features, and the evidence features.
        `evals/fit_answer_model.py` fits the answer model on these. `learned`: the
        candidates the model weighs (default: when there is a model), else the rules'."""
        analysis = analyse(question)
        timely = [rc for rc in chunks if not _stale(rc, window)]
        scored = self.score_sentences(question, timely, q_vec, analysis)
        reading = Reading(question, analysis, tuple(chunks), tuple(timely), tuple(scored), window)
        strategy = strategy_for(analysis.kind)
        if not scored or not strategy.ranked:
            return reading
        parts = split_parts(question)
        if len(parts) > 1:
            return replace(reading, parts=tuple(parts))
        if learned is None:
            learned = self.model is not None
        found = strategy.find(
            Ask(analysis, question, scored, chunks, window, self._limits, learned=learned)
        )
        q_stems = question_stems(question)
        views = [_view(v) for v in found.votes]
        passages: dict[str, str] = defaultdict(str)
        for rc in timely:
            passages[rc.article.doc_id] += f"{rc.chunk.text}\n"
        rows = candidate_features(
            views,
            analysis,
            scored,
            q_stems,
            passages,
            self._affinity(analysis),
            analysis.slot,
        )
        evidence = evidence_features(
            analysis,
            scored,
            q_stems,
            _rare(q_stems, timely),
            has_candidate=bool(views),
            within_window=window is not None and _within(scored[0].rc, window),
        )
        return replace(reading, found=found, rows=tuple(rows), evidence=evidence)

    def answer(
        self,
        question: str,
        chunks: Sequence[RetrievedChunk],
        q_vec: np.ndarray | None = None,
        *,
        window: TimeWindow | None = None,
    ) -> Draft:
        reading = self.read(question, chunks, q_vec, window=window)
        scored = reading.scored
        if not scored:
            return self._abstain(reading, "no passage is close enough to the question")
        if reading.parts:
            if scored[0].score < self._threshold(reading):
                return self._abstain(reading, "no passage is close enough to the question")
            return self._answer_parts(question, reading.parts, reading.timely, scored, window)
        if reading.found is None or self.model is None:
            return self._answer_by_rules(reading)
        return self._answer_by_model(reading, self.model)

    @property
    def _limits(self) -> Limits:
        return Limits(
            self.top_sentences,
            self.top_ratio,
            self.max_quotes,
            self.bridge_pool,
            self.conflict_ratio,
        )

    def _ask(self, reading: Reading) -> Ask:
        """The question as the strategies read it (the rules' candidates)."""
        return Ask(
            reading.analysis,
            reading.question,
            reading.scored,
            reading.chunks,
            reading.window,
            self._limits,
        )

    def _threshold(self, reading: Reading) -> float:
        """The rules' minimum best-sentence score (used where the model does not decide)."""
        window = reading.window
        if window is not None and _within(reading.scored[0].rc, window):
            # Evidence published in the time the question asks about ("this week") is
            # evidence twice over: a looser wording match is enough.
            return self.threshold - self.window_relief
        return self.threshold

    def _abstain(self, reading: Reading, reason: str, confidence: float | None = None) -> Draft:
        window = reading.window
        if len(reading.timely) < len(reading.chunks) and window is not None:
            reason = _stale_reason(reading.chunks, window)
        best = reading.scored[0].score if reading.scored else 0.0
        return Draft(
            abstention_text(reading.question, reason),
            "",
            True,
            (),
            self.mode,
            best,
            confidence,
        )

    def _answer_by_rules(self, reading: Reading) -> Draft:
        """Why-questions, choices and (without a fitted model) the rest: the best sentence
        must pass `threshold`, the best-supported value answers."""
        analysis, scored = reading.analysis, reading.scored
        if scored[0].score < self._threshold(reading):
            return self._abstain(reading, "no passage is close enough to the question")
        strategy = strategy_for(analysis.kind)
        ask = self._ask(reading)
        found = reading.found if reading.found is not None else strategy.find(ask)
        if found.missing:
            # A "when" question whose best evidence states no date is not answered by it,
            # however close the topic (the right border, but no withdrawal date).
            return self._abstain(reading, f"none of the passages names {_describe(analysis)}")
        short, source, votes, bridge = found.short, found.source, found.votes, found.bridge
        if votes and short == votes[0].text:
            short = _stated(votes[0])
        conflict = strategy.conflict(ask, votes)
        answers = [(short, source)] if short and source is not None else []
        return self._compose(scored, answers, conflict, bridge)

    def _answer_by_model(self, reading: Reading, model: AnswerModel) -> Draft:
        """The fitted model ranks the candidate values and says how sure it is of the best:
        a short answer when sure enough, else the closest passages when they speak to the
        question, else "the articles don't say"."""
        found, scored, analysis = reading.found, reading.scored, reading.analysis
        assert found is not None
        uncovered = off_topic(reading.evidence)
        if uncovered:
            return self._abstain(reading, uncovered)
        what = _describe(analysis) if analysis.labels or analysis.focus else "what it asks"
        if not found.votes:
            # Nothing of the kind asked for in any passage ("when" and no date at all).
            return self._abstain(reading, f"none of the passages names {what}")
        logits = model.rank.logits(reading.rows)
        order = sorted(range(len(found.votes)), key=lambda i: -float(logits[i]))
        votes = [found.votes[i] for i in order]
        rows = [reading.rows[i] for i in order]
        ranked = [float(logits[i]) for i in order]
        confidence = model.confidence.probability(
            confidence_features(ranked, rows, analysis, scored[0].score)
        )
        candidate = _full(votes[0])
        strategy, ask = strategy_for(analysis.kind), self._ask(reading)
        if confidence >= model.short_threshold:
            best = votes[0]
            conflict = strategy.conflict(ask, votes)
            short = _stated(best) if best.label in ("DATE", "TIME") else candidate
            return replace(
                self._compose(scored, [(short, best.sentence)], conflict, found.bridge),
                confidence=confidence,
                candidate=candidate,
            )
        useful = model.evidence.probability({**reading.evidence, "top_prob": confidence})
        if useful >= model.passages_threshold:
            conflict = strategy.conflict(ask, votes)
            if conflict:
                # Two articles give comparable values from equally close sentences: the
                # disagreement is shown, each value cited, and neither stated as the answer.
                return replace(
                    self._compose(scored, [], conflict, None, state=False),
                    confidence=confidence,
                    candidate=candidate,
                )
            # Too unsure to state the likeliest value, but its sentence is quoted first.
            return replace(
                self._compose(scored, [], [], None, votes[0].sentence),
                confidence=confidence,
                candidate=candidate,
            )
        return replace(
            self._abstain(reading, f"the closest passages do not say {what}", confidence),
            candidate=candidate,
        )

    def _compose(
        self,
        scored: Sequence[ScoredSentence],
        answers: Sequence[tuple[str, ScoredSentence]],
        conflict: Sequence[Vote],
        bridge: ScoredSentence | None,
        first: ScoredSentence | None = None,
        state: bool = True,
    ) -> Draft:
        """The answer text: the short answer(s) with their markers (or the disagreement),
        then the quoted sentences, each cited. `first`: a sentence to quote first (without a
        short answer, the one holding the likeliest value); `state`: a disagreement is shown
        but not stated as the short answer (the model was not sure of it)."""
        best_score = scored[0].score
        # The sentences to quote: those holding the short answer first (and the one that
        # led to it, for one hop), then the best others.
        quotes: list[ScoredSentence] = []
        leads = (first, bridge, *(s for _, s in answers), *(v.sentence for v in conflict))
        for lead in leads:
            if lead is not None and not any(
                q.start == lead.start and q.rc.article.doc_id == lead.rc.article.doc_id
                for q in quotes
            ):
                quotes.append(lead)
        if not any(q.rc.rank == 1 for q in quotes):
            # The article retrieval ranked first (words, meaning and date together) is
            # quoted when one of its sentences is reasonably close, even if another
            # article's sentence scored higher on words alone.
            first = next((s for s in scored if s.rc.rank == 1), None)
            if first is not None and first.score >= TUNING.first_article_close * best_score:
                quotes.append(first)
        # The lead sentence of an answer without a short one is quoted besides the closest
        # `max_quotes`, not instead of one of them.
        limit = self.max_quotes + (1 if first is not None else 0)
        for s in scored:
            if len(quotes) >= max(limit, len(quotes)):
                break
            if s.score < 0.75 * best_score or any(
                q.start == s.start and q.rc.article.doc_id == s.rc.article.doc_id for q in quotes
            ):
                continue
            quotes.append(s)

        citations: list[Citation] = []
        number_of: dict[tuple[str, int], int] = {}
        for s in quotes:
            key = (s.rc.chunk.chunk_id, s.start)
            if key in number_of:
                continue
            number_of[key] = len(citations) + 1
            citations.append(make_citation(len(citations) + 1, s.rc, s.start, s.end))

        def mark(s: ScoredSentence) -> str:
            return f"[{number_of[(s.rc.chunk.chunk_id, s.start)]}]"

        lines: list[str] = []
        short = "; ".join(text for text, _ in answers)
        if conflict:
            parts = []
            for v in conflict:
                art = v.sentence.rc.article
                when = art.published.isoformat() if art.published else "undated"
                parts.append(f"{v.text} {mark(v.sentence)} ({art.source or art.title}, {when})")
            short = f"{conflict[0].text} or {conflict[1].text}: the sources differ" if state else ""
            lines.append("The articles disagree: " + " or ".join(parts))
        elif answers:
            via = f" (via {mark(bridge)})" if bridge is not None else ""
            lines.append("; ".join(f"{text} {mark(s)}" for text, s in answers) + via)
        lines.append("")
        lines.append("Supporting passages:" if short else PASSAGES_LEAD)
        for s in quotes:
            lines.append(f"{mark(s)} “{s.text}”")
        return Draft(
            "\n".join(lines).strip(), short, False, tuple(citations), self.mode, best_score
        )


@dataclass(frozen=True)
class Reading:
    """What the answerer read for one question (`ExtractiveAnswerer.read`)."""

    question: str
    analysis: Analysis
    chunks: tuple[RetrievedChunk, ...]
    timely: tuple[RetrievedChunk, ...]  # the chunks not stale for the question's time
    scored: tuple[ScoredSentence, ...]
    window: TimeWindow | None
    parts: tuple[str, ...] = ()  # a two-part question's parts ("how many ..., and when")
    found: Found | None = None  # the candidate values, best supported first
    rows: tuple[dict[str, float], ...] = ()  # their features (features.CANDIDATE_FEATURES)
    evidence: dict[str, float] = field(default_factory=dict)  # features.EVIDENCE_FEATURES


def _view(v: Vote) -> CandidateView:
    return CandidateView(
        text=v.text,
        label=v.label,
        support=v.support,
        fit=v.fit,
        docs=len(v.docs),
        sentences=max(1, len(v.by_sentence)),
        sentence=v.sentence,
        distance=v.distance,
        counts_unit=v.counts_unit,
        flags=frozenset(v.flags),
        source=v.source,
        timely=v.timely,
    )


def _rare(q_stems: set[str], chunks: Sequence[RetrievedChunk]) -> set[str]:
    """The question's words the fewest retrieved chunks hold: what is specific to it."""
    if not q_stems or not chunks:
        return set()
    held = [{stem(w) for w in content_words(rc.chunk.text)} for rc in chunks]
    counts = {w: sum(1 for h in held if w in h) for w in q_stems}
    least = min(counts.values())
    return {w for w, n in counts.items() if n == least}


def off_topic(evidence: Mapping[str, float]) -> str:
    """Why the best passages cannot answer, from their evidence features ("" when they may):
    they name none of the question's named things, or hold little of its words."""
    if evidence.get("names_covered", 1.0) == 0.0:
        return "the closest passages name none of the things the question names"
    if evidence.get("coverage_top3", 1.0) < TUNING.min_coverage:
        return "the closest passages hold little of what the question asks about"
    return ""


def _full(v: Vote) -> str:
    """A name as its sentence gives it in full ("Pope Benedict XVI" for "Benedict XVI")."""
    return fuller(v.text, v.label, v.sentence.text)


def _stated(v: Vote) -> str:
    """A date as a date: "Thursday (August 15, 2024)", read against its article's date."""
    if v.label not in ("DATE", "TIME"):
        return v.text
    return stated(v.text, v.sentence.rc.article.published, v.sentence.text)


@cache
def _packaged_model() -> AnswerModel:
    return AnswerModel.load()


def _stale(rc: RetrievedChunk, window: TimeWindow | None) -> bool:
    """Published long before the time the question asks about ("this week", "in May 2025"):
    such an article cannot report what happened then."""
    if window is None or window.start is None or rc.article.published is None:
        return False
    if not names_a_time(window) or window.since is not None or window.until is not None:
        # "Recently" asks for the latest the articles have; a reader who set a date range
        # has said which time they mean.
        return False
    return (window.start - rc.article.published).days > STALE_DAYS


def _within(rc: RetrievedChunk, window: TimeWindow) -> bool:
    published = rc.article.published
    if window.start is None or window.end is None or published is None:
        return False
    return window.start <= published <= window.end


def _stale_reason(chunks: Sequence[RetrievedChunk], window: TimeWindow) -> str:
    dates = [rc.article.published for rc in chunks if rc.article.published is not None]
    newest = max(dates).isoformat() if dates else "unknown"
    return (
        f"the matching articles were published more than {STALE_DAYS} days before "
        f"{window.phrase or 'the time asked about'} (the newest on {newest})"
    )


_LABEL_WORDS = LEXICON.label_words


def _describe(analysis: Analysis) -> str:
    if analysis.focus:
        return f"the {analysis.focus} asked for"
    return _LABEL_WORDS.get(analysis.labels[0], "the value asked for")
