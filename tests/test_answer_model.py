"""The fitted answer model: it loads and checks itself, and its confidence decides the form
of an offline answer (short answer, closest passages, or "the articles don't say")."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from news_fixture import harbor_articles, write_feed

from assistant import Assistant
from assistant.answering.base import PASSAGES_LEAD
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.features import (
    CANDIDATE_FEATURES,
    CONFIDENCE_FEATURES,
    EVIDENCE_FEATURES,
)
from assistant.answering.model import AnswerModel, Logistic, default_model_path
from assistant.errors import ModelError

ARTICLES = harbor_articles("bridge", "festival", "storm", "museum")


def test_the_packaged_model_loads_and_names_every_feature() -> None:
    model = AnswerModel.load()
    assert model.rank.features == CANDIDATE_FEATURES
    assert model.confidence.features == CONFIDENCE_FEATURES
    assert model.evidence.features == EVIDENCE_FEATURES
    assert 0.0 < model.short_threshold < 1.0
    assert 0.0 <= model.passages_threshold < 1.0
    assert "fitted_on" in model.about
    # Inspectable: every weight is a finite number next to its feature's name.
    assert all(np.isfinite(w) for _, w in model.rank.weights())


def test_a_model_from_other_features_is_refused_with_how_to_refit(tmp_path: Path) -> None:
    data = json.loads(default_model_path().read_text(encoding="utf-8"))
    data["rank"]["features"] = data["rank"]["features"][:-1]
    bad = tmp_path / "model.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match="refit"):
        AnswerModel.load(bad)
    with pytest.raises(ModelError, match="cannot read"):
        AnswerModel.load(tmp_path / "missing.json")


def test_logistic_probability_follows_its_weights() -> None:
    lg = Logistic(
        ("a", "b"), np.zeros(2), np.ones(2), np.array([2.0, -1.0]), 0.0
    )  # invented weights
    low = lg.probability({"a": 0.0, "b": 1.0})
    high = lg.probability({"a": 1.0, "b": 0.0})
    assert 0.0 < low < 0.5 < high < 1.0
    assert lg.weights()[0] == ("a", 2.0)


@pytest.fixture(scope="module")
def harbor(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    root = tmp_path_factory.mktemp("answer-model")
    a = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    assert a.ingest([write_feed(root / "articles", ARTICLES)]).ok
    return root / "store"


def _with(model: AnswerModel, short: float, passages: float) -> AnswerModel:
    return dataclasses.replace(model, short_threshold=short, passages_threshold=passages)


def _ask(store: Path, embedder, model: AnswerModel, question: str):
    answerer = ExtractiveAnswerer(embedder, model=model)
    a = Assistant(store=store, embedder=embedder, answerer_backend=answerer)
    return a.ask(question)


def test_confidence_decides_the_answers_form(harbor: Path, embedder) -> None:
    model = AnswerModel.load()
    question = "When will the bridge reopen?"
    sure = _ask(harbor, embedder, _with(model, 0.0, 0.0), question)
    assert sure.short and not sure.abstained
    assert sure.confidence is not None and 0.0 <= sure.confidence <= 1.0
    assert sure.best_candidate and sure.best_candidate in sure.short
    assert "Confidence in the short answer" in sure.confidence_note()
    # Never sure enough for a short answer: the closest passages, cited, and no short one.
    unsure = _ask(harbor, embedder, _with(model, 1.01, 0.0), question)
    assert not unsure.abstained and unsure.short == ""
    assert unsure.text.startswith(PASSAGES_LEAD) and unsure.citations
    assert unsure.confidence == pytest.approx(sure.confidence)
    assert "too low" in unsure.confidence_note()
    # Nor sure that the passages answer: the articles don't say.
    silent = _ask(harbor, embedder, _with(model, 1.01, 1.01), question)
    assert silent.abstained and silent.short == "" and not silent.citations
    payload = silent.to_json_dict()
    assert payload["confidence"] == pytest.approx(sure.confidence, abs=1e-3)
    assert payload["best_candidate"] == sure.best_candidate


def test_rules_alone_still_answer_without_a_model(harbor: Path, embedder) -> None:
    answerer = ExtractiveAnswerer(embedder, model=None)
    a = Assistant(store=harbor, embedder=embedder, answerer_backend=answerer)
    answer = a.ask("When will the bridge reopen?")
    assert "March 3, 2027" in answer.short and answer.confidence is None
