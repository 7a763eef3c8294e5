"""What the offline answerer embeds: only sentences that can answer, and at most a shortlist.

Embedding candidate sentences is nearly all of the answer step's time, so the answerer skips
sentences that hold no value of the wanted kind (they could never be kept) and embeds only
the best candidates by the score's cheap part. These tests pin both down with an embedder
that records what it is asked to embed, and check the answers against embedding everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from unittest import mock

import numpy as np
import pytest

import assistant.answering.extractive as extractive
from assistant.answering.extractive import ExtractiveAnswerer, ScoredSentence
from assistant.answering.question import Analysis, analyse
from assistant.answering.sentences import split_sentences
from assistant.answering.spans import could_hold
from assistant.embeddings import Embedder
from assistant.testing import HashEmbedder
from assistant.types import Article, Chunk, RetrievedChunk

# Fictional news: every fact below is invented for these tests. Of the ferry story's
# sentences only one states a date; the others talk about the same terminal. No sentence
# names anyone or anything either (a name would make it a candidate for any question).
FERRY = (
    "The Kellsmouth ferry terminal has been closed for repairs since the storm. The old "
    "loading ramps at the ferry terminal were replaced by engineers. The passengers have been "
    "using buses along the coast road. The council said the terminal work went well. The "
    "ferry terminal will reopen on April 14, 2027, the council said. The shops near the pier "
    "hope trade will recover soon. The fishermen moved their boats to the northern harbor. "
    "The council thanked residents for their patience with the terminal."
)
HARBOR = (
    "The northern harbor is busier than it has been for decades. The fishermen say the water "
    "is calmer there. A new fish market opened beside the harbor in 2019. The traders sell "
    "crabs and mussels every morning. The harbor master wants a second breakwater."
)
PIER = (
    "The old pier is a favourite walk for families. Its wooden boards were painted blue by "
    "volunteers. The café at the end of the pier sells ice cream. The anglers gather there at "
    "dawn. A plaque remembers the storm that damaged the pier long ago."
)


class CountingEmbedder:
    """Wraps an embedder and records every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)


class EverythingEmbedded(ExtractiveAnswerer):
    """The answerer as it was before the typed prefilter: every sentence is embedded and
    scored, then those holding no value of the wanted kind are dropped."""

    def score_sentences(
        self,
        question: str,
        chunks: Sequence[RetrievedChunk],
        q_vec: np.ndarray | None = None,
        analysis: Analysis | None = None,
    ) -> list[ScoredSentence]:
        kind = (analysis or analyse(question)).kind
        # Every sentence passes the cheap test while scoring (so all are embedded and, for
        # dates and numbers, get the bonus the typed ones really earn); it is applied after.
        with mock.patch.object(extractive, "could_hold", lambda *_: True):
            everything = super().score_sentences(question, chunks, q_vec, analysis)
        if kind not in ("date", "number"):
            return everything
        return [s for s in everything if could_hold(s.text, kind)]


def _retrieved(doc_id: str, title: str, text: str, rank: int) -> RetrievedChunk:
    art = Article(doc_id=doc_id, title=title, text=text, content_hash=doc_id)
    chunk = Chunk(chunk_id=f"{doc_id}:0", doc_id=doc_id, index=0, text=text, start=0, end=len(text))
    return RetrievedChunk(chunk=chunk, article=art, score=1.0 / rank, rank=rank)


CHUNKS = [
    _retrieved("ferry", "Kellsmouth ferry terminal closed for repairs", FERRY, 1),
    _retrieved("harbor", "A busy northern harbor", HARBOR, 2),
    _retrieved("pier", "The old pier", PIER, 3),
]
DATE_Q = "When will the Kellsmouth ferry terminal reopen?"
# One question of each type: date, number, person, explain, entity.
QUESTIONS = (
    DATE_Q,
    "How many boats moved to the northern harbor?",
    "Who painted the pier?",
    "Why was the ferry terminal closed?",
    "What did the fishermen do at the northern harbor?",
)


def _sentences() -> list[str]:
    return [s.text for rc in CHUNKS for s in split_sentences(rc.chunk.text)]


def _drafts_equal(a: ExtractiveAnswerer, b: ExtractiveAnswerer, question: str) -> None:
    da, db = a.answer(question, CHUNKS), b.answer(question, CHUNKS)
    assert (da.text, da.short, da.abstained, da.citations) == (
        db.text,
        db.short,
        db.abstained,
        db.citations,
    )
    # Not bit-for-bit: a sentence's vector can move in its last bits with the other texts
    # embedded in the same call (padding to the call's longest).
    assert da.best_score == pytest.approx(db.best_score, abs=1e-6)


def test_date_question_embeds_only_sentences_that_state_a_date(embedder) -> None:
    counting = CountingEmbedder(embedder)
    a = ExtractiveAnswerer(counting, threshold=0.42, embed_limit=None)
    draft = a.answer(DATE_Q, CHUNKS)
    assert draft.short == "April 14, 2027"

    dated = [t for t in _sentences() if could_hold(t, "date")]
    assert any("2027" in t for t in dated)
    assert len(dated) < len(_sentences()) - 10
    # Of the articles' sentences, only those that can state a date are embedded (the rest of
    # what is embedded is the question and the answer model's type descriptions).
    sentences = set(_sentences())
    embedded = [t for t in counting.texts if t in sentences]
    assert sorted(embedded) == sorted(dated)


def test_typed_prefilter_answers_as_embedding_everything(embedder) -> None:
    for q in QUESTIONS:
        _drafts_equal(
            ExtractiveAnswerer(embedder, embed_limit=None),
            EverythingEmbedded(embedder, embed_limit=None),
            q,
        )


def test_typed_prefilter_keeps_the_scores_of_scoring_everything() -> None:
    # Word rarity (IDF) must still count the sentences that are not embedded: with it
    # counted over the typed sentences only, these scores would differ.
    emb = HashEmbedder()
    got = ExtractiveAnswerer(emb, embed_limit=None).score_sentences(DATE_Q, CHUNKS)
    want = EverythingEmbedded(emb, embed_limit=None).score_sentences(DATE_Q, CHUNKS)
    assert [(s.text, s.score, s.overlap) for s in got] == [
        (s.text, s.score, s.overlap) for s in want
    ]
    assert got and all(could_hold(s.text, "date") for s in got)


def test_no_typed_sentence_embeds_nothing() -> None:
    counting = CountingEmbedder(HashEmbedder())
    a = ExtractiveAnswerer(counting)
    draft = a.answer("How many crabs do the traders sell?", CHUNKS[2:])  # the pier: no numbers
    assert draft.abstained
    assert counting.texts == []


@pytest.mark.parametrize(("limit", "per_article"), [(3, 0), (3, 1), (5, 2)])
def test_shortlist_embeds_the_best_by_the_cheap_score(limit: int, per_article: int) -> None:
    counting = CountingEmbedder(HashEmbedder())
    q = "What did the fishermen do at the northern harbor?"  # an entity question
    a = ExtractiveAnswerer(counting, embed_limit=limit, per_article=per_article)
    scored = a.score_sentences(q, CHUNKS)
    embedded = {t for t in counting.texts if t != q}
    assert {s.text for s in scored} == embedded

    # The full pool, and each sentence's cheap score (its score without the cosine term).
    full = ExtractiveAnswerer(HashEmbedder(), embed_limit=None).score_sentences(q, CHUNKS)
    assert len(full) > limit + 3 * per_article
    cheap = {s.text: s.score - 0.5 * s.cosine for s in full}
    doc = {s.text: s.rc.article.doc_id for s in full}
    left_out = set(cheap) - embedded
    assert len(embedded) <= limit + 3 * per_article and left_out
    # No sentence left out beats the limit-th best (ties may fall either side).
    cut = sorted(cheap.values(), reverse=True)[limit - 1]
    assert all(cheap[t] <= cut + 1e-9 for t in left_out)
    # Every article has its `per_article` best embedded.
    for d in ("ferry", "harbor", "pier"):
        mine = sorted((cheap[t] for t in embedded if doc[t] == d), reverse=True)
        assert len(mine) >= per_article
        if per_article:
            assert all(cheap[t] <= mine[per_article - 1] + 1e-9 for t in left_out if doc[t] == d)


def test_shortlist_keeps_the_default_answers(embedder) -> None:
    # On these small stories the default shortlist holds every sentence that matters.
    for q in QUESTIONS:
        _drafts_equal(
            ExtractiveAnswerer(embedder), EverythingEmbedded(embedder, embed_limit=None), q
        )


def test_sentence_vectors_are_cached_across_questions() -> None:
    counting = CountingEmbedder(HashEmbedder())
    a = ExtractiveAnswerer(counting, embed_limit=None)
    a.answer("Why was the ferry terminal closed?", CHUNKS)
    first = len(counting.texts)
    a.answer("Why did the ferry terminal close?", CHUNKS)
    assert len(counting.texts) == first + 1  # only the new question
