"""LLM server faults: what is retried, the `LLMError` that remains, and `llm_fallback`.

Every fault runs against the fake OpenAI server on 127.0.0.1 (tests/fake_openai.py) with a
1 s client timeout, so a test that hangs is a bug, not a slow server.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, Fault
from news_fixture import harbor_articles, write_feed

from assistant import Answer, Assistant, LLMError
from assistant.answering.fallback import FALLBACK_NOTE, MODE_FALLBACK
from assistant.answering.llm import OpenAIChat

API_KEY = "sk-test-faults-0123456789"
TIMEOUT = 1.0

# Invented stories (tests/fixtures/news/harbor.jsonl).
ARTICLES = harbor_articles("bridge", "festival", "storm")
BRIDGE_Q = "When will the Harbor Bridge reopen?"
SCRIPTED = "Short answer: March 3, 2027\n\nThe bridge reopens on March 3, 2027 [1]."
# With history the question is first condensed: a non-streamed request.
HISTORY = [("What is being repaired in Port Velling?", "The Harbor Bridge [1].")]
CONDENSED = "When will the Harbor Bridge in Port Velling reopen?"


@dataclass(frozen=True)
class Case:
    fault: Fault
    retries: int  # llm_max_retries
    requests: int  # requests the server sees before the LLMError
    says: str  # in the LLMError message
    partial: bool = False  # text streamed before the fault (so not retried)


# Streamed answers, the server failing every request.
STREAM_CASES = [
    Case("timeout", 1, 2, f"did not answer within {TIMEOUT:g} s"),
    Case(429, 2, 3, "HTTP 429"),
    Case(500, 2, 3, "HTTP 500"),
    Case("drop", 2, 1, "broke in the middle of the reply", partial=True),
    Case("malformed", 2, 3, "not an OpenAI chat completion"),
    Case("reset", 2, 3, "broke in the middle of the reply"),
    Case("stall", 2, 1, "stopped sending in the middle of its reply", partial=True),
    Case("truncate", 2, 1, "ended before the model finished", partial=True),
]
# Non-streamed requests (the condense step), the server failing every request.
COMPLETE_CASES = [
    Case("malformed", 2, 3, "not an OpenAI chat completion"),
    Case("drop", 2, 3, "kept breaking"),
    Case(500, 1, 2, "HTTP 500"),
]


def _id(case: Case) -> str:
    return str(case.fault)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    root = tmp_path_factory.mktemp("faults")
    folder = write_feed(root / "articles", ARTICLES)
    a = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    assert a.ingest([folder]).added == len(ARTICLES)
    return root / "store"


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Our own retries back off from 0.5 s; 50 ms keeps the tests short yet measurable.
    monkeypatch.setattr(OpenAIChat, "retry_base_seconds", 0.05)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(chunk_size=8) as s:
        s.hang_seconds = 3 * TIMEOUT  # longer than the client waits; stop() releases it
        yield s


@pytest.fixture
def make(store_dir: Path, embedder, server: FakeOpenAI):
    def factory(**overrides: Any) -> Assistant:
        kwargs: dict[str, Any] = {
            "answerer": "llm",
            "openai_base_url": server.base_url,
            "openai_api_key": API_KEY,
            "llm_model": "fake-model",
            "llm_timeout": TIMEOUT,
            "top_k": 2,
        }
        kwargs.update(overrides)
        return Assistant(store=store_dir, embedder=embedder, **kwargs)

    return factory


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _article_text(a: Assistant, doc_id: str) -> str:
    return a.store.get_articles([doc_id])[doc_id].text


def _assert_clear_error(exc: LLMError, base_url: str, says: str) -> None:
    msg = str(exc)
    assert says in msg
    assert base_url in msg
    assert "ASSISTANT_LLM_FALLBACK=1" in msg  # what to do about it
    assert API_KEY not in msg and API_KEY not in repr(exc)
    assert "Traceback" not in msg
    # No chained SDK exception: it holds the request, Authorization header included.
    assert exc.__cause__ is None and exc.__context__ is None


def _assert_fallback(a: Assistant, answer: Answer, base_url: str, says: str) -> None:
    assert answer.mode == MODE_FALLBACK
    assert answer.text.startswith(FALLBACK_NOTE)
    note = answer.text.split("\n\n", 1)[0]
    assert says in note and base_url in note
    assert "ASSISTANT_LLM_FALLBACK" not in answer.text  # it is set; no need to suggest it
    assert API_KEY not in answer.text
    # The offline answer, with verbatim citations of the retrieved articles.
    assert not answer.abstained
    assert answer.short == "March 3, 2027"
    assert answer.citations
    for c in answer.citations:
        assert _article_text(a, c.doc_id)[c.start : c.end] == c.quote


# --------------------------------------------------------------------------- streamed answer


@pytest.mark.parametrize("case", STREAM_CASES, ids=_id)
def test_stream_fault_raises_clear_llm_error(make, server: FakeOpenAI, case: Case) -> None:
    server.fail_always(case.fault)
    a = make(llm_max_retries=case.retries)
    streamed: list[str] = []
    with pytest.raises(LLMError) as info:
        for item in a.stream(BRIDGE_Q):
            assert isinstance(item, str), "no Answer may follow a failed stream"
            streamed.append(item)
    assert len(server.chat_requests) == case.requests
    _assert_clear_error(info.value, server.base_url, case.says)
    assert ("partial answer was discarded" in str(info.value)) == case.partial
    assert bool(streamed) == case.partial


@pytest.mark.parametrize("case", STREAM_CASES, ids=_id)
def test_stream_fault_falls_back_to_offline_answer(make, server: FakeOpenAI, case: Case) -> None:
    server.fail_always(case.fault)
    a = make(llm_max_retries=case.retries, llm_fallback=True)
    items = list(a.stream(BRIDGE_Q))
    final = items[-1]
    assert isinstance(final, Answer)
    assert len(server.chat_requests) == case.requests
    _assert_fallback(a, final, server.base_url, case.says)
    deltas = [x for x in items[:-1] if isinstance(x, str)]
    if case.partial:
        # What streamed before the drop is set apart from the offline answer, never kept.
        assert deltas[-1] == "\n\n" + final.text
        assert "".join(deltas[:-1]) in "The bridge reopens on March 3, 2027 [1]."
    else:
        assert deltas == [final.text]


@pytest.mark.parametrize("fault", ["timeout", 429, 500, "malformed", "reset"], ids=str)
def test_transient_fault_is_retried_then_answered(make, server: FakeOpenAI, fault: Fault) -> None:
    server.fail(fault, times=1)
    server.reply(SCRIPTED)
    answer = make(llm_max_retries=1).ask(BRIDGE_Q)
    assert len(server.chat_requests) == 2
    assert answer.mode == "llm"
    assert answer.short == "March 3, 2027"
    assert [c.doc_id for c in answer.citations] == ["bridge"]


@pytest.mark.parametrize("fault", ["malformed", "reset"])
def test_own_retries_back_off(make, server: FakeOpenAI, fault: Fault) -> None:
    server.fail(fault, times=3)
    server.reply(SCRIPTED)
    answer = make(llm_max_retries=3).ask(BRIDGE_Q)
    assert answer.mode == "llm"
    times = [r.at for r in server.chat_requests]
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 0.05 s doubling, less up to 25 % jitter.
    for i, gap in enumerate(gaps):
        assert gap >= 0.75 * 0.05 * 2**i, gaps


def test_partial_stream_is_not_retried(make, server: FakeOpenAI) -> None:
    # The next reply would succeed, but text already reached the reader: a second reply
    # could differ from the first, so the answer fails rather than splicing two replies.
    server.fail("drop", times=1)
    server.reply(SCRIPTED)
    with pytest.raises(LLMError, match="partial answer was discarded"):
        make(llm_max_retries=3).ask(BRIDGE_Q)
    assert len(server.chat_requests) == 1


# --------------------------------------------------------------------------- non-streamed


@pytest.mark.parametrize("case", COMPLETE_CASES, ids=_id)
def test_condense_fault_raises_clear_llm_error(make, server: FakeOpenAI, case: Case) -> None:
    server.fail_always(case.fault)
    with pytest.raises(LLMError) as info:
        make(llm_max_retries=case.retries).ask("When does it reopen?", history=HISTORY)
    assert len(server.chat_requests) == case.requests
    assert all(r.body.get("stream") in (None, False) for r in server.chat_requests)
    _assert_clear_error(info.value, server.base_url, case.says)


@pytest.mark.parametrize("case", COMPLETE_CASES, ids=_id)
def test_condense_fault_falls_back_offline(make, server: FakeOpenAI, case: Case) -> None:
    server.fail_always(case.fault)
    a = make(llm_max_retries=case.retries, llm_fallback=True)
    answer = a.ask("When does it reopen?", history=HISTORY)
    # Condensed offline, then the streamed answer fails too and falls back.
    assert len(server.chat_requests) >= case.requests + 1
    assert "Harbor Bridge" in answer.standalone_question  # the offline condenser's work
    assert answer.mode == MODE_FALLBACK
    assert answer.text.startswith(FALLBACK_NOTE)


@pytest.mark.parametrize("fault", ["malformed", "drop"])
def test_condense_fault_is_retried_then_answered(make, server: FakeOpenAI, fault: Fault) -> None:
    server.fail(fault, times=1)
    server.reply(CONDENSED, SCRIPTED)
    answer = make(llm_max_retries=1).ask("When does it reopen?", history=HISTORY)
    assert len(server.chat_requests) == 3  # condense twice, then the answer
    assert answer.standalone_question == CONDENSED
    assert answer.mode == "llm" and answer.citations


# --------------------------------------------------------------------------- no server


def test_unreachable_server(make) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(LLMError) as info:
        make(openai_base_url=url, llm_max_retries=1).ask(BRIDGE_Q)
    _assert_clear_error(info.value, url, "cannot reach the LLM server")
    a = make(openai_base_url=url, llm_max_retries=1, llm_fallback=True)
    _assert_fallback(a, a.ask(BRIDGE_Q), url, "cannot reach the LLM server")


def test_base_url_credentials_are_not_shown(make) -> None:
    port = _free_port()
    url = f"http://user:hunter2-pass@127.0.0.1:{port}/v1?api-key=query-secret"
    with pytest.raises(LLMError) as info:
        make(openai_base_url=url, llm_max_retries=0).ask(BRIDGE_Q)
    msg = str(info.value)
    assert f"http://127.0.0.1:{port}/v1" in msg
    assert "hunter2" not in msg and "query-secret" not in msg


# --------------------------------------------------------------------------- CLI and UI


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, server: FakeOpenAI, embedder, store_dir: Path):
    import assistant.core

    # The CLI builds its own Assistant: give it the loaded embedder, not a second copy.
    monkeypatch.setattr(assistant.core, "make_embedder", lambda settings: embedder)
    for name, value in {
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": API_KEY,
        "ASSISTANT_STORE": str(store_dir),
        "ASSISTANT_ANSWERER": "llm",
        "ASSISTANT_LLM_TIMEOUT": str(TIMEOUT),
        "ASSISTANT_LLM_MAX_RETRIES": "1",
        "ASSISTANT_TOP_K": "2",
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_cli_prints_llm_error_and_exits_2(cli_env, server: FakeOpenAI, capsys) -> None:
    from assistant.cli import main

    server.fail_always("drop")
    assert main(["ask", BRIDGE_Q]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: the connection to the LLM server at ")
    assert server.base_url in err and "Traceback" not in err
    assert "answer interrupted" in out  # the streamed start is discarded, and says so
    assert API_KEY not in out + err


def test_cli_fallback_answers_offline(cli_env, server: FakeOpenAI, capsys) -> None:
    from assistant.cli import main

    server.fail_always(500)
    cli_env.setenv("ASSISTANT_LLM_FALLBACK", "1")
    assert main(["ask", BRIDGE_Q, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == MODE_FALLBACK
    assert out["answer"].startswith(FALLBACK_NOTE)
    assert out["short"] == "March 3, 2027" and out["citations"]


def test_cli_chat_reports_llm_error_and_goes_on(
    cli_env, server: FakeOpenAI, capsys, monkeypatch
) -> None:
    from assistant.cli import main

    server.fail(500, times=2)  # the first question fails after one retry
    server.reply(SCRIPTED)
    lines = iter([BRIDGE_Q, BRIDGE_Q, ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "error: the LLM server at" in out and "HTTP 500" in out
    assert "March 3, 2027" in out


def _ui_chat(a: Assistant, tmp_path: Path, question: str) -> list[tuple[Any, ...]]:
    from assistant.ui.app import _Backend

    be = _Backend(a, tmp_path / "uploads", max_upload_mb=1)
    # The chat list is updated in place between yields: keep a copy of each state.
    return [copy.deepcopy(out) for out in be.chat(question, [], [], "llm", 2, "", [], [])]


@pytest.mark.parametrize("fault", [500, "drop"], ids=str)
def test_ui_chat_shows_backend_failure_as_error(
    make, server: FakeOpenAI, tmp_path: Path, fault: Fault
) -> None:
    server.fail_always(fault)
    outputs = _ui_chat(make(llm_max_retries=0), tmp_path, BRIDGE_Q)
    messages, _history, status, markdown, _box = outputs[-1]
    last = messages[-1]
    assert last["role"] == "assistant"
    assert last["content"].startswith("⚠️ **Error:**")
    assert "Traceback" not in last["content"] and API_KEY not in last["content"]
    assert "LLM server" in last["content"]
    assert "error" in status and markdown == ""
    if fault == "drop":
        # The partial text was shown while streaming, then replaced by the error.
        assert any("The bridge" in str(o[0][-1]["content"]) for o in outputs[1:-1])
        assert "The bridge" not in last["content"].split("**Error:**")[0]


def test_ui_chat_shows_fallback_answer(make, server: FakeOpenAI, tmp_path: Path) -> None:
    server.fail_always(500)
    outputs = _ui_chat(make(llm_max_retries=0, llm_fallback=True), tmp_path, BRIDGE_Q)
    messages, history, status, markdown, _box = outputs[-1]
    assert "Offline answer" in messages[-1]["content"]
    assert FALLBACK_NOTE in markdown
    assert "Error" not in messages[-1]["content"]
    assert history and history[-1].answer.startswith(FALLBACK_NOTE)
    assert MODE_FALLBACK in status  # "Answered (extractive-fallback) from n passages"


# --------------------------------------------------------------------------- secrets

SECRET = "sk-test-SECRET-5f0c2a9e71d4b8"


def _exception_chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def test_api_key_never_leaks(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    server: FakeOpenAI,
    store_dir: Path,
    embedder,
) -> None:
    from assistant import Settings

    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level(logging.DEBUG)  # the root logger: every library's debug output too
    server.echo_auth = True  # error bodies quote the key back
    settings = Settings()
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == SECRET
    seen: list[str] = [repr(settings), str(settings), settings.model_dump_json()]

    unreachable = f"http://127.0.0.1:{_free_port()}/v1"
    faults: list[Fault | None] = [c.fault for c in STREAM_CASES] + [401, 404, None]
    for fault in faults:
        server.fail_always(fault)
        url = server.base_url if fault is not None else unreachable
        for fallback, history in ((False, None), (False, HISTORY), (True, HISTORY)):
            a = Assistant(
                settings=settings,
                store=store_dir,
                embedder=embedder,
                answerer="llm",
                openai_base_url=url,
                llm_timeout=TIMEOUT,
                llm_max_retries=0 if fault in ("timeout", "stall") else 1,
                llm_fallback=fallback,
                top_k=2,
            )
            seen.append(repr(a.settings))
            try:
                answer = a.ask(BRIDGE_Q, history=history)
            except LLMError as exc:
                assert not fallback
                for e in _exception_chain(exc):
                    seen += [str(e), repr(e), *map(str, e.args)]
            else:
                assert fallback and answer.mode == MODE_FALLBACK
                seen += [answer.text, json.dumps(answer.to_json_dict())]
    # The key was really in use: the server got it, and only the server.
    assert server.chat_requests[0].headers["Authorization"] == f"Bearer {SECRET}"
    records = caplog.records
    assert any(r.name.startswith(("openai", "httpx", "httpcore")) for r in records)
    seen += [r.getMessage() for r in records] + [caplog.text]
    leaks = [s for s in seen if SECRET in s]
    assert not leaks, leaks[:3]


def test_fallback_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import Settings

    assert Settings().llm_fallback is False
    monkeypatch.setenv("ASSISTANT_LLM_FALLBACK", "1")
    assert Settings().llm_fallback is True


def test_cli_ask_prints_the_verified_answer_not_the_raw_stream(
    cli_env, server: FakeOpenAI, capsys
) -> None:
    from assistant.cli import main

    server.reply("Short answer: March 3, 2027 [9]\n\nThe bridge reopens on March 3, 2027 [1][9].")
    assert main(["ask", BRIDGE_Q]) == 0
    out = capsys.readouterr().out
    # The invalid [9] streamed by the model is gone; the verified text is what is shown.
    assert out.startswith("Short answer: March 3, 2027") or out.startswith("The bridge")
    assert "The bridge reopens on March 3, 2027 [1]." in out
    assert "[9]" not in out
    assert out.count("The bridge reopens on March 3, 2027") == 1


def test_cli_fallback_after_a_cut_stream_leaves_no_partial_text(
    cli_env, server: FakeOpenAI, capsys
) -> None:
    from assistant.cli import main

    server.fail_always("drop")  # "The bridge " streams, then the connection is cut
    cli_env.setenv("ASSISTANT_LLM_FALLBACK", "1")
    assert main(["ask", BRIDGE_Q]) == 0
    out = capsys.readouterr().out
    assert out.startswith(FALLBACK_NOTE), out[:200]
    assert "March 3, 2027" in out


def test_one_deadline_bounds_all_attempts_of_an_answer(make, server: FakeOpenAI) -> None:
    # A server that accepts requests and never answers: with three retries of a whole
    # timeout each, the answer took timeout x 4 plus backoff (247 s with the defaults).
    server.fail_always("timeout")
    a = make(llm_max_retries=3, llm_deadline=1.5 * TIMEOUT)
    with pytest.raises(LLMError) as info:
        a.ask(BRIDGE_Q)
    msg = str(info.value)
    assert f"no whole answer within {1.5 * TIMEOUT:g} s, the deadline for one answer" in msg
    assert "ASSISTANT_LLM_DEADLINE" in msg
    # The deadline ended the attempts before the retries ran out (each waits what is left).
    assert 1 <= len(server.chat_requests) < 4
    _assert_clear_error(info.value, server.base_url, "deadline")


def test_llm_deadline_setting_is_validated() -> None:
    from assistant.config import load_settings
    from assistant.errors import ConfigError

    assert load_settings(llm_deadline=30).llm_deadline == 30
    with pytest.raises(ConfigError, match="llm_deadline"):
        load_settings(llm_deadline=0)


@pytest.mark.parametrize("history", [None, HISTORY], ids=["answer", "condense"])
def test_a_server_sending_only_keep_alives_fails_at_the_deadline(
    make, server: FakeOpenAI, history: Any
) -> None:
    # Each keep-alive resets the read timeout, and no stream event ever comes: only a
    # deadline that does not wait for events ends this (it ran for hours before).
    server.fail_always("keepalive")
    a = make(llm_max_retries=3, llm_timeout=30.0, llm_deadline=1.5 * TIMEOUT)
    with pytest.raises(LLMError) as info:
        a.ask(BRIDGE_Q if history is None else "When does it reopen?", history=history)
    msg = str(info.value)
    assert f"no whole answer within {1.5 * TIMEOUT:g} s, the deadline for one answer" in msg
    assert len(server.chat_requests) == 1  # the deadline ended it: no retry after it
    _assert_clear_error(info.value, server.base_url, "deadline")
