"""The timeline's cheap steps before the costly ones: sentences that cannot be about the
topic are neither parsed nor embedded, and a sentence is embedded once per embedder."""

from __future__ import annotations

import datetime as dt

import numpy as np

from assistant.testing import HashEmbedder
from assistant.timeline.extract import dated_sentences
from assistant.timeline.vectors import SentenceVectors, sentence_vectors
from assistant.types import Article, Chunk, RetrievedChunk

ON_TOPIC = (
    "The Harbor Bridge was closed to traffic on March 2, 2026, after inspectors found cracks."
)
ASIDE = "A new bakery opened on Elm Street on March 3, 2026, serving rye bread and pastries."


def _retrieved(doc_id: str, text: str, chunk_id: str) -> RetrievedChunk:
    article = Article(
        doc_id=doc_id,
        title=f"Report {doc_id}",
        text=text,
        published=dt.date(2026, 3, 4),
        content_hash=doc_id,
    )
    chunk = Chunk(chunk_id=chunk_id, doc_id=doc_id, index=0, text=text, start=0, end=len(text))
    return RetrievedChunk(chunk=chunk, article=article, score=1.0, rank=0)


TOPIC = "Harbor Bridge closure"


def _quotes(
    emb: HashEmbedder,
    chunks: list[RetrievedChunk],
    passages: dict[str, np.ndarray],
    timings: dict[str, float] | None = None,
) -> list[str]:
    out = dated_sentences(
        chunks,
        emb.embed([TOPIC])[0],
        emb,
        # Bag-of-words cosines are never negative: every sentence embedded would be kept,
        # so what is left out was left out by the filter.
        min_relevance=0.0,
        topic=TOPIC,
        passages=passages,
        timings=timings,
    )
    return [c.citation.quote for c in out]


def test_sentences_sharing_no_topic_word_in_a_far_passage_are_neither_parsed_nor_embedded() -> None:
    emb = HashEmbedder()
    topic_vec = emb.embed([TOPIC])[0]
    chunks = [_retrieved("a", ON_TOPIC, "a-0"), _retrieved("b", ASIDE, "b-0")]
    # The aside's passage points away from the topic; the bridge report's passage at it.
    timings: dict[str, float] = {}
    emb.calls.clear()
    assert _quotes(emb, chunks, {"a-0": topic_vec, "b-0": -topic_vec}, timings) == [ON_TOPIC]
    assert timings["sentences_read"] == 2 and timings["sentences_parsed"] == 1
    assert [t for call in emb.calls[1:] for t in call] == [ON_TOPIC]  # [0]: the topic


def test_a_sentence_in_a_passage_close_to_the_topic_is_read_without_its_words() -> None:
    emb = HashEmbedder()
    chunks = [_retrieved("b", ASIDE, "b-0")]
    assert _quotes(emb, chunks, {"b-0": emb.embed([TOPIC])[0]}) == [ASIDE]
    # Without stored vectors nothing is left out either.
    assert _quotes(emb, chunks, {}) == [ASIDE]


def test_sentence_vectors_embed_each_text_once_and_stay_bounded() -> None:
    emb = HashEmbedder()
    cache = SentenceVectors(emb, size=3)
    first, n = cache.embed(["alpha beta", "gamma", "alpha beta"])
    assert n == 2 and emb.calls == [["alpha beta", "gamma"]]
    np.testing.assert_allclose(first[0], first[2])
    np.testing.assert_allclose(first, emb.embed(["alpha beta", "gamma", "alpha beta"]))
    emb.calls.clear()
    again, n = cache.embed(["gamma", "alpha beta"])
    assert n == 0 and emb.calls == []
    np.testing.assert_allclose(again, first[[1, 0]])
    cache.embed(["delta", "epsilon"])  # four texts in a cache of three: the oldest goes
    emb.calls.clear()
    _, n = cache.embed(["gamma"])
    assert n == 1 and emb.calls == [["gamma"]]
    empty, n = cache.embed([])
    assert empty.shape == (0, emb.dimension) and n == 0


def test_each_embedder_has_its_own_cache() -> None:
    a, b = HashEmbedder(), HashEmbedder(name="fake/other")
    assert sentence_vectors(a) is sentence_vectors(a)
    assert sentence_vectors(a) is not sentence_vectors(b)
