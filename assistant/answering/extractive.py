"""The offline answerer: quotes the sentences that answer, leads with a short answer.

No LLM: candidate sentences from the retrieved chunks are scored by the embedder (cosine to
the question) plus IDF-weighted word overlap, plus a bonus when a sentence holds the kind of
value the question asks for (a date for "when", a number for "how many", a name for "who").
Only sentences that hold such a value are candidates, and only a shortlist of them, the best
by the cheap part of the score, is embedded (see `ExtractiveAnswerer`).
The short answer is the span of that kind that the best sentences agree on. When the best
evidence is weak the answerer abstains; when articles give different values it shows each.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answering.base import AnswerRequest, Draft
from assistant.answering.citations import make_citation
from assistant.answering.places import is_known_place
from assistant.answering.qtypes import (
    QType,
    Span,
    candidate_spans,
    date_specificity,
    question_type,
    wants_title,
)
from assistant.answering.sentences import (
    STOPWORDS,
    content_words,
    sentence_score,
    split_sentences,
)
from assistant.embeddings import Embedder
from assistant.types import Citation, RetrievedChunk

__all__ = ["ExtractiveAnswerer", "ScoredSentence", "abstention_text"]


def abstention_text(question: str) -> str:
    return (
        "The indexed articles don't say. None of the retrieved passages answers "
        f"“{question.strip()}” closely enough to quote."
    )


@dataclass(frozen=True)
class ScoredSentence:
    rc: RetrievedChunk
    text: str
    start: int  # in the article
    end: int
    score: float
    cosine: float
    overlap: float


def proper_nouns(question: str) -> list[str]:
    """Capitalised words of a question, except its first word ("When", "Who")."""
    toks = re.findall(r"[A-Za-z][\w'’]*", question)
    return [t for t in toks[1:] if t[0].isupper() and t.casefold() not in STOPWORDS]


def covers(sentence: str, names: Sequence[str]) -> bool:
    """Every name occurs in the sentence (Russia/Russian match on a shared stem)."""
    low = sentence.casefold()
    return all(n.casefold()[: max(4, len(n) - 3)] in low for n in names)


def _norm_value(s: str) -> str:
    s = re.sub(
        r"^(by|until|before|after|since|from|through|about|around|approximately|nearly|"
        r"almost|more than|over|at least|some|up to)\s+",
        "",
        s.strip(),
        flags=re.I,
    )
    return " ".join(re.sub(r"[^\w]", " ", s.casefold()).split())


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
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.max_quotes = max_quotes
        self.embed_limit = embed_limit
        self.per_article = per_article
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
        self, question: str, chunks: Sequence[RetrievedChunk], q_vec: np.ndarray | None = None
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
        qtype = question_type(question)
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
            if qtype != "explain" and not candidate_spans(text, qtype, q_words):
                # A sentence holding no new value of the wanted kind cannot answer; without
                # this a follow-up re-answers the previous question (its words were carried
                # over).
                continue
            pool.append(
                _Candidate(
                    rc,
                    text,
                    start,
                    end,
                    overlap=sum(idf[w] for w in q_words & ws) / total,
                    # Every date/number candidate holds a value of the wanted kind.
                    bonus=0.06 if qtype in ("date", "number") else 0.0,
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

    # ------------------------------------------------------------------ short answer
    def _short(
        self, question: str, qtype: QType, top: Sequence[ScoredSentence]
    ) -> tuple[str, ScoredSentence | None]:
        """The short answer and the sentence it was taken from (which its marker cites)."""
        if qtype == "explain" or not top:
            return "", None
        if qtype in ("date", "number"):
            # A date or number only answers if its sentence is about the same named things.
            # The headline counts: a sentence of a story headlined with the name is about it
            # even when it does not repeat the name ("... said about 300 books were damaged").
            names = proper_nouns(question)
            top = [s for s in top if covers(f"{s.rc.article.title}\n{s.text}", names)]
        q_words = set(content_words(question))
        votes: dict[str, float] = defaultdict(float)
        first: dict[str, tuple[Span, int]] = {}
        title_q = wants_title(question)
        for i, s in enumerate(top):
            spans = candidate_spans(s.text, qtype, q_words)
            typed = [sp for sp in spans if sp.kind in ("date", "number")]
            if qtype in ("date", "number"):
                spans = typed
            q_pos = [
                m.start() for w in q_words for m in re.finditer(re.escape(w), s.text.casefold())
            ]
            for sp in spans:
                dist = min((abs(sp.start - p) for p in q_pos), default=60)
                weight = s.score * (1.0 / (1.0 + dist / 40.0))
                if sp.kind == "name":
                    weight *= 1.6 if qtype in ("person", "place", "entity") else 1.0
                    ntok = len(sp.text.split())
                    if qtype == "place" and is_known_place(sp.text):
                        weight *= 2.5
                    elif qtype == "person" and 2 <= ntok <= 3 and not is_known_place(sp.text):
                        weight *= 1.5
                elif sp.kind == "quoted":
                    weight *= 3.0 if title_q else 1.5
                elif sp.kind == "phrase":
                    weight *= 0.7
                elif sp.kind == "date":
                    weight *= date_specificity(sp.text)
                key = _norm_value(sp.text)
                if not key:
                    continue
                votes[key] += weight
                if key not in first:
                    first[key] = (sp, i)
        if not votes:
            return "", None
        best = max(votes, key=lambda k: votes[k])
        span, i = first[best]
        # `top` may have been narrowed above: return the sentence, not an index into it.
        return span.text.strip(" ,.;:"), top[i]

    # ------------------------------------------------------------------ answer
    def stream(self, request: AnswerRequest) -> Iterator[str | Draft]:
        """The whole answer at once (it is ready at once), then its draft."""
        draft = self.answer(request.question, request.chunks, request.question_vec)
        yield draft.text
        yield draft

    def answer(
        self, question: str, chunks: Sequence[RetrievedChunk], q_vec: np.ndarray | None = None
    ) -> Draft:
        scored = self.score_sentences(question, chunks, q_vec)
        if not scored or scored[0].score < self.threshold:
            best = scored[0].score if scored else 0.0
            return Draft(abstention_text(question), "", True, (), self.mode, best)
        qtype = question_type(question)
        best = scored[0].score
        top = [s for s in scored[:6] if s.score >= 0.85 * best]
        short, source = self._short(question, qtype, top)
        if qtype in ("date", "number") and not short:
            # A "when" question whose best evidence states no date is not answered by it,
            # however close the topic (e.g. the right border, but no withdrawal date).
            return Draft(abstention_text(question), "", True, (), self.mode, best)

        # The sentences to quote: the one holding the short answer first, then the best others.
        quotes: list[ScoredSentence] = []
        if source is not None:
            quotes.append(source)
        for s in scored:
            if len(quotes) >= self.max_quotes:
                break
            if s.score < 0.75 * best or any(
                q.start == s.start and q.rc.article.doc_id == s.rc.article.doc_id for q in quotes
            ):
                continue
            quotes.append(s)

        # Conflicts: typed values from different articles among the top sentences.
        conflict: list[tuple[str, ScoredSentence]] = []
        if qtype in ("date", "number") and short:
            q_words = set(content_words(question))
            per_doc: dict[str, tuple[str, ScoredSentence]] = {}
            for s in top:
                doc = s.rc.article.doc_id
                spans = candidate_spans(s.text, qtype, q_words)
                if doc not in per_doc and spans and s.score >= 0.9 * best:
                    per_doc[doc] = (spans[0].text.strip(" ,.;:"), s)
            values = {_norm_value(v) for v, _ in per_doc.values()}
            if len(per_doc) > 1 and len(values) > 1:
                conflict = list(per_doc.values())
                for _, s in conflict:
                    if s not in quotes:
                        quotes.append(s)

        citations: list[Citation] = []
        number_of: dict[tuple[str, int], int] = {}
        for s in quotes:
            key = (s.rc.chunk.chunk_id, s.start)
            number_of[key] = len(citations) + 1
            citations.append(make_citation(len(citations) + 1, s.rc, s.start, s.end))

        def mark(s: ScoredSentence) -> str:
            return f"[{number_of[(s.rc.chunk.chunk_id, s.start)]}]"

        lines: list[str] = []
        if conflict:
            lines.append("The articles disagree:")
            for value, s in conflict:
                art = s.rc.article
                when = art.published.isoformat() if art.published else "undated"
                lines.append(f"- {value} {mark(s)} ({art.source or art.title}, {when})")
        elif short and source is not None:
            lines.append(f"{short} {mark(source)}")
        lines.append("")
        lines.append("Supporting passages:" if short or conflict else "From the articles:")
        for s in quotes:
            lines.append(f"{mark(s)} “{s.text}”")
        return Draft("\n".join(lines).strip(), short, False, tuple(citations), self.mode, best)
