"""The named features the answer model reads, computed from a real retrieval and parse of
invented stories (tests/fixtures/news/harbor.jsonl)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from news_fixture import harbor_articles, write_feed

from assistant import Assistant
from assistant.answering.extractive import ExtractiveAnswerer, Reading
from assistant.answering.features import (
    CANDIDATE_FEATURES,
    CONFIDENCE_FEATURES,
    EVIDENCE_FEATURES,
    confidence_features,
)

ARTICLES = harbor_articles("bridge", "festival", "storm", "museum")


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory, embedder):
    root: Path = tmp_path_factory.mktemp("features")
    a = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    assert a.ingest([write_feed(root / "articles", ARTICLES)]).ok
    answerer = ExtractiveAnswerer(embedder, model=None)

    def read(question: str) -> Reading:
        res = a.retrieve(question)
        return answerer.read(question, res.chunks, res.query_vec, window=res.window, learned=True)

    return read


def _row(reading: Reading, text: str) -> dict[str, float]:
    assert reading.found is not None
    for v, row in zip(reading.found.votes, reading.rows, strict=True):
        if text in v.text:
            return row
    raise AssertionError(f"{text!r} is not a candidate: {[v.text for v in reading.found.votes]}")


def test_every_candidate_has_every_named_feature(reader) -> None:
    reading = reader("How many homes did the cyclone destroy?")
    assert reading.found is not None and reading.rows
    for row in reading.rows:
        assert set(CANDIDATE_FEATURES) <= set(row)
        assert all(math.isfinite(row[name]) for name in CANDIDATE_FEATURES)
    assert set(reading.evidence) | {"top_prob"} == set(EVIDENCE_FEATURES)


def test_features_say_what_the_rules_know(reader) -> None:
    reading = reader("How many homes did the cyclone destroy?")
    count = _row(reading, "1,240")
    # A number of the wanted type that counts the question's unit, near its words.
    assert count["wanted_first"] == 1.0 and count["counts_unit"] == 1.0
    assert count["label_number"] == 1.0 and count["has_digit"] == 1.0
    assert count["proximity"] > 0.5
    assert count["chunk_mentions"] > 0 and 0 < count["article_share"] <= 1
    who = reader("Who founded the Lantern Festival?")
    founder = _row(who, "Marta Oyelaran")
    assert founder["capitalised"] == 1.0 and founder["question_words"] == 0.0


def test_broad_candidates_keep_what_the_type_filter_would_drop(reader) -> None:
    # "Who": the recogniser's label on an invented name may be wrong; the learned model
    # still sees every entity, with `unwanted` saying its label was not asked for.
    reading = reader("Who founded the Lantern Festival?")
    assert reading.found is not None
    labels = {v.label for v in reading.found.votes}
    assert len(labels) > 1
    assert any(row["unwanted"] == 1.0 for row in reading.rows)


def test_confidence_features_read_the_ranked_candidates(reader) -> None:
    reading = reader("When will the bridge reopen?")
    rows = list(reading.rows)
    logits = [2.0] + [0.0] * (len(rows) - 1)  # invented scores: the first clearly ahead
    f = confidence_features(logits, rows, reading.analysis, reading.scored[0].score)
    assert set(f) == set(CONFIDENCE_FEATURES)
    assert f["kind_date"] == 1.0 and f["top_logit"] == 2.0
    assert f["margin"] == (2.0 if len(rows) > 1 else 5.0)
    assert 0.0 < f["top_share"] <= 1.0
    empty = confidence_features([], [], reading.analysis, 0.5)
    assert empty["top_logit"] == 0.0 and empty["best_score"] == 0.5
