"""Filtered questions (by doc id, as the UI's article filter asks) while another process
updates the articles they are filtered to.

A reader's embedded Chroma keeps the index it loaded; a writer deletes the replaced chunks
before it records that the store changed. Chroma's filtered search then fails on the deleted
records ("Error finding id"), and the reader must ask again on the store as it is now.
Articles generated here are invented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection
from chromadb.errors import InternalError
from test_concurrency import _corpus, _story, run_stepping_ingest

from assistant import Assistant

pytestmark = pytest.mark.slow

QUESTION = "When will the museum reopen after the repairs to its roof?"
UPDATED = [f"upd-{i:02d}.txt" for i in range(8)]


@pytest.fixture
def store(tmp_path: Path, embedder) -> tuple[Assistant, Path]:
    """A store of 40 articles, 8 of which another process updates; few candidates, so a
    question filtered to one article goes to Chroma's filtered search."""
    a = Assistant(store=tmp_path / "store", embedder=embedder, candidate_k=3, top_k=1)
    assert a.ingest([_corpus(tmp_path / "other", "other", 32)]).added == 32
    corpus = _corpus(tmp_path / "news", "upd", 8)
    assert a.ingest([corpus]).added == 8
    return a, corpus


def _filtered_answers(a: Assistant) -> list[tuple[str, list[str]]]:
    """Each updated article, asked about filtered to it alone: (article, what was found)."""
    return [(d, a.retrieve(QUESTION, doc_ids=[d]).article_order) for d in UPDATED]


def test_a_query_meeting_a_deleted_record_is_asked_again(
    store: tuple[Assistant, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _corpus_dir = store
    real = Collection.query
    failed: list[Any] = []

    def query_failing_once(self: Collection, *args: Any, **kwargs: Any) -> Any:
        if not failed and kwargs.get("where") is not None:
            failed.append(kwargs["where"])
            raise InternalError("Error executing plan: Internal error: Error finding id")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "query", query_failing_once)
    found = a.retrieve(QUESTION, doc_ids=[UPDATED[3]]).article_order
    assert failed, "the filtered search was never asked"
    assert found == [UPDATED[3]]


def test_filtered_questions_while_another_process_updates_them(
    store: tuple[Assistant, Path], tmp_path: Path
) -> None:
    """After each of the writer's Chroma writes (the deletion of replaced chunks included,
    before the writer records the change), every filtered question finds its article."""
    a, corpus = store
    for i in range(8):  # every article changes, so every group replaces chunks
        text, _date = _story(i, "upd")
        (corpus / f"upd-{i:02d}.txt").write_text(text + "\nCorrected on Friday.\n", "utf-8")
    answers: list[tuple[str, str, list[str]]] = []  # (writer's last step, article, found)
    errors: list[tuple[str, BaseException]] = []

    def ask_filtered(step: str) -> None:
        for _ in range(3):
            try:
                answers.extend((step, d, found) for d, found in _filtered_answers(a))
            except Exception as exc:  # recorded, and the test fails on it
                errors.append((step, exc))

    out = run_stepping_ingest(corpus, Path(a.settings.store), tmp_path, ask_filtered)
    assert "8 updated" in " ".join(out.split())
    assert errors == []
    assert any(step.startswith("delete") for step, _d, _f in answers)
    wrong = [(step, d, found) for step, d, found in answers if found != [d]]
    assert wrong == []
    assert len(answers) >= 6 * 3 * len(UPDATED)
