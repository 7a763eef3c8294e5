"""Conversations through the `Assistant`: the follow-up is read against the earlier answers,
shown as its standalone question, and searched with the conversation's articles kept as
candidates; offline (the resolver) and with an LLM (its condense prompt) alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI
from news_fixture import harbor_articles, write_feed

from assistant import Answer, Assistant
from assistant.conversation import Turn
from assistant.types import Citation

FIRST = "Who founded the Lantern Festival in Brennick?"
FOLLOW_UP = "Where did she start it?"


def test_a_turn_keeps_what_the_resolver_needs_from_an_answer() -> None:
    cite = Citation(
        number=1,
        doc_id="festival",
        title="t",
        source=None,
        url=None,
        published=None,
        chunk_id="c",
        quote="q",
        start=0,
        end=1,
    )
    answer = Answer(
        question="Who founded it?",
        standalone_question="Who founded the Lantern Festival?",
        text="Marta Oyelaran [1]",
        short="Marta Oyelaran",
        citations=(cite, cite),
    )
    turn = Turn.from_answer(answer)
    assert turn.short == "Marta Oyelaran" and not turn.abstained and turn.structured
    assert turn.doc_ids == ("festival",)
    assert turn.read_as == "Who founded the Lantern Festival?"
    assert turn.pair() == ("Who founded it?", "Marta Oyelaran [1]")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    root = tmp_path_factory.mktemp("conversation")
    folder = write_feed(root / "articles", harbor_articles("bridge", "festival", "storm"))
    Assistant(store=root / "store", embedder=embedder, answerer="extractive").ingest([folder])
    return root / "store"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(chunk_size=8) as s:
        yield s


def _assistant(mode: str, store_dir: Path, embedder, server: FakeOpenAI) -> Assistant:
    if mode == "extractive":
        return Assistant(store=store_dir, embedder=embedder, answerer="extractive", top_k=2)
    return Assistant(
        store=store_dir,
        embedder=embedder,
        answerer="llm",
        openai_base_url=server.base_url,
        openai_api_key="sk-test",
        llm_model="fake-model",
        top_k=2,
    )


@pytest.mark.parametrize("mode", ["extractive", "llm"])
def test_a_follow_up_is_resolved_shown_and_answered_from_the_conversations_article(
    mode: str, store_dir: Path, embedder, server: FakeOpenAI
) -> None:
    # The LLM's replies: the first answer, the condensed follow-up, the follow-up's answer.
    server.reply(
        "Short answer: Marta Oyelaran\n\nThe festival was founded by Marta Oyelaran [1].",
        "Where did Marta Oyelaran start the Lantern Festival?\n",
        "Short answer: a small park\n\nShe started it in a small park [1].",
    )
    a = _assistant(mode, store_dir, embedder, server)
    first = a.ask(FIRST)
    assert first.citations and first.citations[0].doc_id == "festival"
    second = a.ask(FOLLOW_UP, history=[first])
    # Shown: the standalone question names her, whoever rewrote it.
    assert "Marta Oyelaran" in second.standalone_question
    assert second.follow_up == "resolved"
    assert second.citations and second.citations[0].doc_id == "festival"
    assert "small park" in second.text
    # The same conversation sent as JSON clients send it, (question, answer text) pairs.
    server.reply(
        "Where did Marta Oyelaran start the Lantern Festival?\n",
        "Short answer: a small park\n\nShe started it in a small park [1].",
    )
    again = a.ask(FOLLOW_UP, history=[(FIRST, first.text)])
    # From the text alone the name is known only when the answer's first line states it.
    named = "Marta Oyelaran" if first.short else "Lantern Festival"
    assert named in again.standalone_question
    assert again.to_json_dict()["follow_up"] == "resolved"


@pytest.mark.parametrize("mode", ["extractive", "llm"])
def test_a_change_of_subject_is_searched_as_asked(
    mode: str, store_dir: Path, embedder, server: FakeOpenAI
) -> None:
    question = "How many homes did Cyclone Tavi destroy?"
    server.reply(
        "Short answer: Marta Oyelaran\n\nThe festival was founded by Marta Oyelaran [1].",
        question + "\n",
        "Short answer: 1,240 homes\n\nThe storm destroyed 1,240 homes [1].",
    )
    a = _assistant(mode, store_dir, embedder, server)
    first = a.ask(FIRST)
    second = a.ask(question, history=[first])
    assert second.standalone_question == question
    assert second.follow_up == "as-asked"
    assert "Oyelaran" not in second.standalone_question
    assert second.citations and second.citations[0].doc_id == "storm"


def test_the_conversations_articles_stay_retrieval_candidates(store_dir: Path, embedder) -> None:
    a = Assistant(store=store_dir, embedder=embedder, answerer="extractive", top_k=1)
    question = "Who said the repairs cost more than expected?"
    assert a.retrieve(question, top_k=1).article_order == ["bridge"]
    kept = a.retrieve(question, top_k=2, prefer=["festival"]).article_order
    assert "festival" in kept
    # Kept as a candidate, not forced over an article that answers clearly better.
    assert kept[0] == "bridge"
