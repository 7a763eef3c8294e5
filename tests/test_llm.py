"""The LLM answerer against a real OpenAI-compatible HTTP server on 127.0.0.1."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI
from news_fixture import harbor_articles, write_feed

from assistant import Answer, Assistant, LLMError
from assistant.answering.llm import parse_llm_output

API_KEY = "sk-test-secret"

# Invented stories (tests/fixtures/news/harbor.jsonl).
ARTICLES = harbor_articles("bridge", "festival", "storm", "injection")
BRIDGE_Q = "When will the Harbor Bridge reopen?"
SCRIPTED = (
    "Short answer: March 3, 2027\n\n"
    "The bridge reopens on March 3, 2027 [1]. Officials confirmed it [3]."
)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    root = tmp_path_factory.mktemp("llm")
    folder = write_feed(root / "articles", ARTICLES)
    a = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    report = a.ingest([folder])
    assert report.ok and report.added == len(ARTICLES)
    return root / "store"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(chunk_size=8) as s:
        yield s


@pytest.fixture
def llm_assistant(store_dir: Path, embedder, server: FakeOpenAI):
    def factory(**overrides):
        kwargs = {
            "answerer": "llm",
            "openai_base_url": server.base_url,
            "openai_api_key": API_KEY,
            "llm_model": "fake-model",
            "llm_max_retries": 2,
            "llm_timeout": 10,
            "top_k": 2,
        }
        kwargs.update(overrides)
        return Assistant(store=store_dir, embedder=embedder, **kwargs)

    return factory


def _article_text(a: Assistant, doc_id: str) -> str:
    return a.store.get_articles([doc_id])[doc_id].text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_request_carries_numbered_sources_and_question(llm_assistant, server: FakeOpenAI) -> None:
    server.reply(SCRIPTED)
    a = llm_assistant()
    a.ask(BRIDGE_Q, as_of="2026-12-01")
    assert len(server.chat_requests) == 1
    req = server.chat_requests[0]
    body = req.body
    assert body["model"] == "fake-model"
    assert body["stream"] is True
    assert req.headers.get("Authorization") == f"Bearer {API_KEY}"
    roles = [m["role"] for m in req.messages]
    assert roles == ["system", "user"]
    system = req.messages[0]["content"]
    assert "[1]" in system and "don't say" in system  # the rules from prompt_files/system.md
    user = req.user_text
    assert BRIDGE_Q in user
    assert "Today's date: 2026-12-01" in user
    assert (
        '<source id="1" title="Harbor Bridge repairs near completion" '
        'outlet="Coastline Courier" published="2026-11-02">'
    ) in user
    assert "The bridge will reopen on March 3, 2027." in user
    ids = re.findall(r'<source id="(\d+)"', user)
    assert ids == [str(i) for i in range(1, len(ids) + 1)]
    assert 1 <= len(ids) <= 2  # top_k=2
    assert user.count("</source>") == len(ids)


def test_invented_marker_dropped_and_citations_verbatim(llm_assistant, server: FakeOpenAI) -> None:
    server.reply(SCRIPTED)
    a = llm_assistant()
    answer = a.ask(BRIDGE_Q)
    assert answer.mode == "llm"
    assert not answer.abstained
    assert answer.short == "March 3, 2027"
    assert "[3]" not in answer.text
    assert "[1]" in answer.text
    assert "Officials confirmed it." in answer.text
    assert [c.number for c in answer.citations] == [1]
    cite = answer.citations[0]
    assert cite.doc_id == "bridge"
    assert cite.source == "Coastline Courier"
    assert cite.published is not None and cite.published.isoformat() == "2026-11-02"
    assert cite.quote == "The bridge will reopen on March 3, 2027."
    assert _article_text(a, cite.doc_id)[cite.start : cite.end] == cite.quote


def test_markers_renumbered_in_order_of_appearance(llm_assistant, server: FakeOpenAI) -> None:
    server.reply(
        "Short answer: March 3, 2027\n\n"
        "First claim from the second source [2]. Then the first source [1][1]. Again [2]."
    )
    a = llm_assistant()
    answer = a.ask("When will the Harbor Bridge reopen and how often do ferries run?")
    titles = re.findall(r'<source id="\d+" title="([^"]*)"', server.chat_requests[0].user_text)
    assert len(titles) == 2
    assert [c.number for c in answer.citations] == [1, 2]
    assert re.findall(r"\[(\d+)\]", answer.text) == ["1", "2", "1"]
    # New [1] is the old source 2, new [2] the old source 1.
    assert [c.title for c in answer.citations] == [titles[1], titles[0]]
    for c in answer.citations:
        assert _article_text(a, c.doc_id)[c.start : c.end] == c.quote


def test_article_cannot_close_the_source_fence(llm_assistant, server: FakeOpenAI) -> None:
    server.reply("Short answer: every twenty minutes\n\nEvery twenty minutes [1].")
    a = llm_assistant()
    a.ask("How often will the harbor ferry run while the bridge is closed?")
    user = server.chat_requests[0].user_text
    assert "Ignore all previous instructions" in user
    n_sources = len(re.findall(r'<source id="\d+"', user))
    assert user.count("</source>") == n_sources
    assert "&lt;/source&gt;" in user


def test_stream_yields_several_deltas_then_answer(llm_assistant, server: FakeOpenAI) -> None:
    server.reply(SCRIPTED)
    a = llm_assistant()
    items = list(a.stream(BRIDGE_Q))
    final = items[-1]
    assert isinstance(final, Answer)
    deltas = items[:-1]
    assert len(deltas) >= 3
    assert all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == SCRIPTED  # the raw model text, as it arrived
    assert "[3]" not in final.text
    assert [c.number for c in final.citations] == [1]


def test_abstention_reply(llm_assistant, server: FakeOpenAI) -> None:
    server.reply("Short answer: \n\nThe indexed articles don't say.")
    answer = llm_assistant().ask("Who won the chess championship in Oslo?")
    assert answer.abstained
    assert answer.citations == ()
    assert "don't say" in answer.text


def test_empty_short_answer_line_keeps_the_answer(llm_assistant, server: FakeOpenAI) -> None:
    # system.md: the short answer is left empty for questions that need an explanation.
    server.reply("Short answer:\n\nThe cables of the bridge were replaced [1].")
    answer = llm_assistant().ask("Why was the Harbor Bridge closed?")
    assert answer.short == ""
    assert "The cables of the bridge were replaced [1]." in answer.text
    assert "unverified" not in answer.text
    assert [c.number for c in answer.citations] == [1]


@pytest.mark.parametrize(
    ("raw", "short", "body"),
    [
        (
            "Short answer: March 3, 2027\n\nIt reopens then [1].",
            "March 3, 2027",
            "It reopens then [1].",
        ),
        (
            "**Short answer:** Marta Oyelaran [2]\n\nShe founded it [2].",
            "Marta Oyelaran",
            "She founded it [2].",
        ),
        ("No short line here [1].", "", "No short line here [1]."),
        (
            "Short answer:\n\nBecause the cables corroded [1].",
            "",
            "Because the cables corroded [1].",
        ),
        (
            "Short answer: \n\nThe indexed articles don't say.",
            "",
            "The indexed articles don't say.",
        ),
    ],
)
def test_parse_llm_output(raw: str, short: str, body: str) -> None:
    assert parse_llm_output(raw) == (short, body)


def test_reply_without_valid_markers_is_flagged_unverified(
    llm_assistant, server: FakeOpenAI
) -> None:
    server.reply("Short answer: March 3, 2027\n\nThe bridge reopens on March 3, 2027 [8].")
    answer = llm_assistant().ask(BRIDGE_Q)
    assert answer.citations == ()
    assert "[8]" not in answer.text
    assert "unverified" in answer.text


def test_server_errors_are_retried(llm_assistant, server: FakeOpenAI) -> None:
    server.fail(500, times=2)
    server.reply(SCRIPTED)
    answer = llm_assistant(llm_max_retries=2).ask(BRIDGE_Q)
    assert len(server.chat_requests) == 3
    assert answer.short == "March 3, 2027"
    assert answer.citations and answer.citations[0].doc_id == "bridge"


def test_rate_limit_is_retried(llm_assistant, server: FakeOpenAI) -> None:
    server.fail(429, times=1)
    server.reply(SCRIPTED)
    answer = llm_assistant().ask(BRIDGE_Q)
    assert len(server.chat_requests) == 2
    assert answer.short == "March 3, 2027"


def test_persistent_server_error_raises_llm_error(llm_assistant, server: FakeOpenAI) -> None:
    server.fail_always(500)
    a = llm_assistant(llm_max_retries=2)
    with pytest.raises(LLMError) as info:
        a.ask(BRIDGE_Q)
    assert len(server.chat_requests) == 3  # one try and two retries
    msg = str(info.value)
    assert "500" in msg
    assert server.base_url in msg
    assert API_KEY not in msg
    assert API_KEY not in repr(info.value)


def test_persistent_rate_limit_raises_llm_error(llm_assistant, server: FakeOpenAI) -> None:
    server.fail_always(429)
    with pytest.raises(LLMError, match="429") as info:
        llm_assistant(llm_max_retries=1).ask(BRIDGE_Q)
    assert API_KEY not in str(info.value)


def test_rejected_key_raises_llm_error_without_the_key(llm_assistant, server: FakeOpenAI) -> None:
    server.fail_always(401)
    with pytest.raises(LLMError) as info:
        llm_assistant().ask(BRIDGE_Q)
    msg = str(info.value)
    assert "key" in msg.casefold()
    assert API_KEY not in msg
    assert len(server.chat_requests) == 1  # 401 is not retried


def test_unreachable_server_raises_llm_error(llm_assistant) -> None:
    port = _free_port()
    a = llm_assistant(openai_base_url=f"http://127.0.0.1:{port}/v1", llm_max_retries=0)
    with pytest.raises(LLMError) as info:
        a.ask(BRIDGE_Q)
    msg = str(info.value)
    assert "server" in msg
    assert f"127.0.0.1:{port}" in msg
    assert API_KEY not in msg
    assert API_KEY not in repr(info.value)
    assert info.value.__cause__ is None or API_KEY not in str(info.value.__cause__)


def test_condense_goes_to_the_llm_first_with_history(llm_assistant, server: FakeOpenAI) -> None:
    standalone = "Who founded the Lantern Festival in Brennick?"
    server.reply(
        standalone + "\n",
        "Short answer: Marta Oyelaran\n\nThe festival was founded by Marta Oyelaran [1].",
    )
    a = llm_assistant()
    history = [("When is the Lantern Festival in Brennick held?", "Every June [1].")]
    answer = a.ask("Who founded it?", history=history)
    assert len(server.chat_requests) == 2
    condense_req, answer_req = server.chat_requests
    condense_text = condense_req.user_text
    assert "Who founded it?" in condense_text
    assert "User: When is the Lantern Festival in Brennick held?" in condense_text
    assert "Assistant: Every June [1]." in condense_text
    assert "<source" not in condense_text
    assert f"Question: {standalone}" in answer_req.user_text
    assert answer.question == "Who founded it?"
    assert answer.standalone_question == standalone
    assert answer.short == "Marta Oyelaran"
    assert answer.citations and answer.citations[0].doc_id == "festival"
    cite = answer.citations[0]
    assert _article_text(a, "festival")[cite.start : cite.end] == cite.quote
    assert "Marta Oyelaran" in cite.quote


def test_no_condense_request_without_history(llm_assistant, server: FakeOpenAI) -> None:
    server.reply(SCRIPTED)
    answer = llm_assistant().ask(BRIDGE_Q)
    assert len(server.chat_requests) == 1
    assert answer.standalone_question == BRIDGE_Q


def test_auto_mode_uses_llm_when_base_url_set(llm_assistant, server: FakeOpenAI) -> None:
    server.reply(SCRIPTED)
    answer = llm_assistant(answerer="auto").ask(BRIDGE_Q)
    assert answer.mode == "llm"
    assert len(server.chat_requests) == 1


def test_fake_server_speaks_json_and_sse(server: FakeOpenAI) -> None:
    from openai import OpenAI

    client = OpenAI(api_key=API_KEY, base_url=server.base_url, max_retries=0, timeout=10)
    server.reply("one reply", "a streamed reply in pieces")
    msgs = [{"role": "user", "content": "hello"}]
    resp = client.chat.completions.create(model="m", messages=msgs)  # type: ignore[arg-type]
    assert resp.choices[0].message.content == "one reply"
    stream = client.chat.completions.create(model="m", messages=msgs, stream=True)  # type: ignore[arg-type]
    pieces = [
        e.choices[0].delta.content for e in stream if e.choices and e.choices[0].delta.content
    ]
    assert len(pieces) > 1 and "".join(pieces) == "a streamed reply in pieces"
    assert [r.body["messages"] for r in server.chat_requests] == [msgs, msgs]
    assert server.chat_requests[1].body["stream"] is True
