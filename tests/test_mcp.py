"""The MCP server, driven by the official SDK's client: over stdio (`assistant mcp`, a real
process) and over HTTP on loopback (`assistant ui --mcp`'s `/mcp`, behind the UI's auth).

The store holds the invented harbor stories (tests/fixtures/news) and one long article
written here, so the size cap shows. Every quote a tool returns is checked against the
text of its article as `get_article` returns it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from news_fixture import harbor_articles, write_feed
from servers import free_port

BIN = Path(sys.executable).parent
READ_TOOLS = {"search", "ask", "list_articles", "get_article", "timeline"}
MAX_CHARS = 1000
LONG_SENTENCES = [
    f"Item {i}: the Port Velling council reviewed berth {i} and agreed to repaint its bollards."
    for i in range(1, 41)
]


# ---------------------------------------------------------------- fixtures
def _server_env() -> dict[str, str]:
    # The SDK hands a server only a few variables by default; ours needs the test cache
    # folder and the offline switches conftest set.
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    from assistant import Assistant

    root = tmp_path_factory.mktemp("mcp")
    feed = write_feed(root / "news", harbor_articles())
    long_article = {
        "id": "council",
        "title": "Council minutes: the berths",
        "source": "Port Velling Record",
        "published": "2026-11-20",
        "text": " ".join(LONG_SENTENCES),
    }
    write_feed(feed, [long_article], name="council.jsonl")
    a = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    report = a.ingest([feed])
    assert report.added == 6 and report.ok
    return root / "store"


class SyncClient:
    """An MCP `ClientSession`, driven from synchronous tests through an anyio portal."""

    def __init__(self, portal: Any, session: Any) -> None:
        self.portal = portal
        self.session = session

    def call(self, name: str, **arguments: Any) -> Any:
        return self.portal.call(self.session.call_tool, name, arguments)

    def ok(self, name: str, **arguments: Any) -> dict[str, Any]:
        result = self.call(name, **arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        # The text content is the same JSON, for clients that read only text.
        assert json.loads(result.content[0].text) == result.structured_content
        return dict(result.structured_content)

    def error(self, name: str, **arguments: Any) -> str:
        result = self.call(name, **arguments)
        assert result.is_error, f"{name}({arguments}) should have failed"
        text = " ".join(c.text for c in result.content)
        assert "Traceback" not in text and 'File "' not in text
        return text

    def tools(self) -> dict[str, Any]:
        return {t.name: t for t in self.portal.call(self.session.list_tools).tools}


@contextlib.asynccontextmanager
async def _session(transport: Any) -> AsyncIterator[Any]:
    from mcp import ClientSession

    async with transport as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


@contextlib.contextmanager
def _client(transport: Any) -> Iterator[SyncClient]:
    from anyio.from_thread import start_blocking_portal

    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_session(transport)) as session,
    ):
        yield SyncClient(portal, session)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """An inbox the server may ingest from, and beside it a folder it must never read."""
    root = tmp_path_factory.mktemp("folders")
    inbox, outside = root / "inbox", root / "outside"
    (inbox / "linked").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.md").write_text(
        "# Private notes\n\nThe lighthouse keeper's code is 4471.\n", encoding="utf-8"
    )
    (inbox / "linked" / "notes.md").symlink_to(outside / "secret.md")
    (inbox / "to-outside").symlink_to(outside, target_is_directory=True)
    (inbox / "ferry.md").write_text(
        "# Night ferry added to the Port Velling timetable\n\n"
        "Published: 2026-11-25\n\n"
        "A night ferry will cross the harbor at 23:40 from December onwards, the ferry "
        "company said on Wednesday. The crossing takes nineteen minutes.\n",
        encoding="utf-8",
    )
    return SimpleNamespace(inbox=inbox, outside=outside)


@pytest.fixture(scope="module")
def stdio(store: Path, folders: SimpleNamespace) -> Iterator[SyncClient]:
    """`assistant mcp` as a client starts it: a process speaking MCP on stdin/stdout."""
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=str(BIN / "assistant"),
        args=[
            "mcp",
            "--store",
            str(store),
            "--allow-ingest",
            str(folders.inbox),
            "--max-chars",
            str(MAX_CHARS),
        ],
        env=_server_env(),
    )
    with _client(stdio_client(params)) as client:
        yield client


# ---------------------------------------------------------------- stdio
@pytest.mark.slow
def test_tools_are_listed_with_valid_schemas_and_quoted_text_warnings(stdio: SyncClient) -> None:
    tools = stdio.tools()
    assert set(tools) == READ_TOOLS | {"ingest"}
    for name, tool in tools.items():
        Draft202012Validator.check_schema(tool.input_schema)
        Draft202012Validator.check_schema(tool.output_schema)
        assert tool.output_schema["type"] == "object"
        if name in READ_TOOLS:
            assert "quoted source text" in tool.description
            assert tool.annotations.read_only_hint is True
    assert tools["ingest"].annotations.read_only_hint is False
    search = tools["search"].input_schema
    assert search["required"] == ["query"]
    assert set(search["properties"]) == {"query", "as_of", "since", "until", "sources", "top_k"}
    assert set(tools["ask"].input_schema["properties"]) == {
        "question",
        "as_of",
        "since",
        "until",
        "sources",
        "history",
    }
    passage = tools["search"].output_schema["$defs"]["Passage"]["properties"]
    for field in ("doc_id", "title", "source", "url", "published", "chunk_id", "quote"):
        assert field in passage
    assert {"start", "end"} <= set(passage)


def _validate(client: SyncClient, tool: str, payload: dict[str, Any]) -> None:
    Draft202012Validator(client.tools()[tool].output_schema).validate(payload)


@pytest.mark.slow
def test_search_returns_dated_verbatim_passages_and_the_window_used(stdio: SyncClient) -> None:
    out = stdio.ok("search", query="When will the Harbor Bridge reopen?", as_of="2026-12-01")
    _validate(stdio, "search", out)
    first = out["passages"][0]
    assert first["doc_id"] == "bridge" and first["rank"] == 1
    assert first["published"] == "2026-11-02" and first["source"] == "Coastline Courier"
    assert first["url"] == "https://example.test/bridge"
    assert out["time_window"]["as_of"] == "2026-12-01"
    assert "articles published by 2026-12-01" in out["time_window"]["description"]
    for p in out["passages"]:
        article = stdio.ok("get_article", doc_id=p["doc_id"])
        assert article["text"][p["start"] : p["end"]] == p["quote"]
        piece = stdio.ok("get_article", doc_id=p["doc_id"], start=p["start"], end=p["end"])
        assert piece["text"] == p["quote"] and not piece["truncated"]


@pytest.mark.slow
def test_timeline_lists_dated_events_oldest_first_with_verbatim_quotes(stdio: SyncClient) -> None:
    out = stdio.ok("timeline", topic="Harbor Bridge repairs", as_of="2026-12-01")
    _validate(stdio, "timeline", out)
    assert out["topic"] == "Harbor Bridge repairs" and out["events"]
    starts = [e["date"]["start"] for e in out["events"]]
    assert starts == sorted(starts)
    for e in out["events"]:
        for c in e["citations"]:
            text = stdio.ok("get_article", doc_id=c["doc_id"])["text"]
            assert text[c["start"] : c["end"]] == c["quote"]
            assert c["published"] is None or c["published"] <= "2026-12-01"


@pytest.mark.slow
def test_search_filters_by_source_and_dates(stdio: SyncClient) -> None:
    herald = stdio.ok("search", query="storm damage homes", sources=["Island Herald"])
    assert {p["source"] for p in herald["passages"]} == {"Island Herald"}
    dated = stdio.ok("search", query="harbor", since="2026-10-01", until="2026-11-10", top_k=5)
    assert dated["passages"]
    assert all("2026-10-01" <= p["published"] <= "2026-11-10" for p in dated["passages"])
    assert stdio.ok("search", query="harbor", as_of="2020-01-01")["passages"] == []


@pytest.mark.slow
def test_results_over_the_size_cap_are_cut_and_flagged(stdio: SyncClient) -> None:
    out = stdio.ok("search", query="harbor bridge ferry council berth", top_k=6)
    assert out["truncated"] is True
    assert 0 < sum(len(p["quote"]) for p in out["passages"]) <= MAX_CHARS
    whole = " ".join(LONG_SENTENCES)
    first = stdio.ok("get_article", doc_id="council")
    assert first["truncated"] is True and first["length"] == len(whole)
    assert first["text"] == whole[:MAX_CHARS] and first["end"] == MAX_CHARS
    rest = stdio.ok("get_article", doc_id="council", start=first["end"], end=first["length"])
    assert first["text"] + rest["text"] == whole[: MAX_CHARS + len(rest["text"])]


@pytest.mark.slow
def test_ask_answers_with_verbatim_citations_and_follow_ups(stdio: SyncClient) -> None:
    out = stdio.ok("ask", question="When will the Harbor Bridge reopen?", as_of="2026-12-01")
    _validate(stdio, "ask", out)
    assert not out["abstained"] and "2027" in out["answer"]
    assert out["citations"]
    for c in out["citations"]:
        text = stdio.ok("get_article", doc_id=c["doc_id"])["text"]
        assert text[c["start"] : c["end"]] == c["quote"]
    follow = stdio.ok(
        "ask",
        question="Who said the repairs cost more than expected?",
        history=[{"question": "When will the Harbor Bridge reopen?", "answer": out["answer"]}],
    )
    assert "Whitcombe" in follow["answer"]
    none = stdio.ok("ask", question="Who won the chess olympiad in Reykjavik?")
    assert none["abstained"] is True


@pytest.mark.slow
def test_an_injected_instruction_stays_data_in_a_quote(stdio: SyncClient) -> None:
    out = stdio.ok("search", query="harbor ferry timetable", sources=["Coastline Courier"])
    quotes = [p["quote"] for p in out["passages"] if p["doc_id"] == "injection"]
    assert quotes and "Ignore all previous instructions" in quotes[0]
    # Never in what tells the agent how to use the tools.
    for tool in stdio.tools().values():
        assert "Ignore all previous" not in (tool.description or "")


@pytest.mark.slow
def test_list_articles_newest_first_by_source_dates_and_limit(stdio: SyncClient) -> None:
    everything = stdio.ok("list_articles")
    _validate(stdio, "list_articles", everything)
    days = [a["published"] for a in everything["articles"]]
    assert days == sorted(days, reverse=True) and everything["total"] >= 6
    courier = stdio.ok("list_articles", source="Coastline Courier")
    assert {a["doc_id"] for a in courier["articles"]} == {"bridge", "injection"}
    autumn = stdio.ok("list_articles", since="2026-09-01", until="2026-10-31")
    assert {a["doc_id"] for a in autumn["articles"]} == {"museum", "injection"}
    two = stdio.ok("list_articles", limit=2)
    assert len(two["articles"]) == 2 and two["truncated"] is True
    assert two["articles"] == everything["articles"][:2]


BAD_CALLS = [
    ("search", {"query": "bridge", "sources": ["Atlantis Times"]}, "unknown source 'Atlantis"),
    ("search", {"query": "bridge", "as_of": "2025-13-45"}, "not a date like 2025-01-31"),
    ("search", {"query": "bridge", "since": "yesterday"}, "since='yesterday' is not a date"),
    ("search", {"query": "bridge", "since": "2026-05-01", "until": "2026-01-01"}, "no day is"),
    ("search", {"query": "bridge", "top_k": 10**9}, "top_k=1000000000 is out of range"),
    ("search", {"query": "bridge", "top_k": 0}, "give 1 to 50"),
    ("search", {"query": "   "}, "the query is empty"),
    ("search", {"query": "bridge", "top_k": "many"}, "top_k"),
    ("search", {}, "query"),
    ("ask", {"question": "Who?", "until": "2026-02-30"}, "until='2026-02-30' is not a date"),
    ("ask", {"question": "Who?", "history": [["a", "b"]]}, "history"),
    ("ask", {"question": "x" * 5000}, "over the limit"),
    ("list_articles", {"limit": 100_000}, "limit=100000 is out of range"),
    ("list_articles", {"source": "Nobody"}, "unknown source 'Nobody'"),
    ("get_article", {"doc_id": "no-such-story"}, "no article with doc_id 'no-such-story'"),
    ("get_article", {"doc_id": "bridge", "start": 10_000}, "start=10000 is out of range"),
    ("get_article", {"doc_id": "bridge", "start": 50, "end": 10}, "end=10 is before start=50"),
    ("timeline", {"topic": "  "}, "the topic is empty"),
    ("timeline", {"topic": "bridge", "limit": 10**6}, "limit=1000000 is out of range"),
    ("timeline", {"topic": "bridge", "since": "June"}, "since='June' is not a date"),
    ("ingest", {"paths": []}, "non-empty list"),
    ("no_such_tool", {}, "no_such_tool"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("tool", "arguments", "message"), BAD_CALLS)
def test_bad_arguments_are_tool_errors_with_clear_messages(
    stdio: SyncClient, tool: str, arguments: dict[str, Any], message: str
) -> None:
    assert message in stdio.error(tool, **arguments)


@pytest.mark.slow
def test_ingest_reads_only_inside_the_allowed_folders(
    stdio: SyncClient, folders: SimpleNamespace
) -> None:
    refusals = {
        str(folders.outside / "secret.md"): "lies outside the folders",
        "../outside/secret.md": "lies outside the folders",
        str(folders.inbox / ".." / "outside"): "lies outside the folders",
        "linked/notes.md": "link that leads outside",
        "to-outside/secret.md": "link that leads outside",
        str(folders.inbox / "linked"): "holds links that lead outside",
        str(folders.inbox): "holds links that lead outside",
        "missing.md": "no such file or folder",
    }
    for path, message in refusals.items():
        assert message in stdio.error("ingest", paths=[path]), path
    # A refused path refuses the whole call: nothing of it was read.
    assert "outside" in stdio.error("ingest", paths=["ferry.md", "linked/notes.md"])
    listed = stdio.ok("list_articles", limit=500)["articles"]
    assert "ferry.md" not in {a["doc_id"] for a in listed}
    assert not stdio.ok("search", query="lighthouse keeper code")["passages"] or all(
        "4471" not in p["quote"] for p in stdio.ok("search", query="lighthouse keeper")["passages"]
    )

    out = stdio.ok("ingest", paths=["ferry.md"])
    _validate(stdio, "ingest", out)
    assert out["added"] == 1 and out["doc_ids"] == ["ferry.md"] and out["failed"] == 0
    again = stdio.ok("ingest", paths=[str(folders.inbox / "ferry.md")])
    assert again["unchanged"] == 1 and again["added"] == 0
    found = stdio.ok("search", query="night ferry harbor crossing minutes")
    assert found["passages"][0]["doc_id"] == "ferry.md"


@pytest.mark.slow
def test_help_lists_the_tools_the_server_has(stdio: SyncClient) -> None:
    shown = subprocess.run(
        [str(BIN / "assistant"), "mcp", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in stdio.tools():
        assert f"\n  {name} " in shown
    assert "docs/mcp.md" in shown and "--allow-ingest" in shown


# ---------------------------------------------------------------- stdout is the protocol's
@pytest.mark.slow
def test_a_read_only_server_writes_nothing_but_protocol_to_stdout(store: Path) -> None:
    """Raw JSON-RPC lines, the first `ask` loading every model: each line on stdout must be
    a JSON-RPC message (a model loader's print would break the client)."""
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw-test", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "ask", "arguments": {"question": "Who founded the festival?"}},
        },
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "ingest", "arguments": {"paths": ["/etc"]}},
        },
    ]
    proc = subprocess.Popen(
        [str(BIN / "assistant"), "-v", "mcp", "--store", str(store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_server_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    # Stdin stays open until every reply is in: at its end the server stops, calls and all.
    watchdog = threading.Timer(600, proc.kill)
    watchdog.start()
    replies: dict[Any, Any] = {}
    try:
        proc.stdin.write("".join(json.dumps(r) + "\n" for r in requests))
        proc.stdin.flush()
        while not {1, 2, 3, 4} <= set(replies):
            line = proc.stdout.readline()
            assert line, "the server closed stdout before answering every request"
            message = json.loads(line)  # fails on any stray output
            assert message["jsonrpc"] == "2.0"
            replies[message.get("id")] = message
        proc.stdin.close()
        assert proc.stdout.read().strip() == ""
        stderr = proc.stderr.read() if proc.stderr else ""
        proc.wait(timeout=60)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
    assert {1, 2, 3, 4} <= set(replies)
    names = {t["name"] for t in replies[2]["result"]["tools"]}
    assert names == READ_TOOLS  # read-only: no ingest tool
    answer = replies[3]["result"]["structuredContent"]
    assert "Oyelaran" in answer["answer"]
    assert replies[4]["result"]["isError"] is True  # unknown tool in a read-only server
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_a_read_only_server_needs_articles(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(BIN / "assistant"), "mcp", "--store", str(tmp_path / "nothing")],
        input="",
        capture_output=True,
        text=True,
        env=_server_env(),
        timeout=300,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- HTTP, on the UI's server
AUTH = ("agent", "s3cret:with colon")


@pytest.fixture(scope="module")
def ui_mcp(
    tmp_path_factory: pytest.TempPathFactory, store: Path, embedder
) -> Iterator[SimpleNamespace]:
    """The UI with its MCP tools at /mcp, launched as `assistant ui --mcp --auth` does."""
    from assistant import Assistant
    from assistant.mcp_server import AgentTools, mcp_lifespan
    from assistant.ui import build_app

    root = tmp_path_factory.mktemp("ui-mcp")
    mp = pytest.MonkeyPatch()
    mp.setenv("GRADIO_TEMP_DIR", str(root / "gradio-cache"))
    assistant = Assistant(store=store, embedder=embedder, answerer="extractive")
    demo = build_app(assistant, upload_dir=root / "uploads", max_upload_mb=1)
    port = free_port()
    demo.launch(
        prevent_thread_lock=True,
        server_name="127.0.0.1",
        server_port=port,
        quiet=True,
        auth=AUTH,
        app_kwargs={
            "lifespan": mcp_lifespan(AgentTools(assistant), host="127.0.0.1", credentials=AUTH)
        },
    )
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", demo=demo)
    finally:
        demo.close()
        mp.undo()


def _http_client(url: str, auth: tuple[str, str] | None) -> Any:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(auth=auth, timeout=httpx2.Timeout(300))
    return streamable_http_client(f"{url}/mcp", http_client=http)


@pytest.mark.slow
def test_http_endpoint_serves_the_same_tools_behind_the_uis_auth(ui_mcp: SimpleNamespace) -> None:
    with _client(_http_client(ui_mcp.url, AUTH)) as client:
        assert set(client.tools()) == READ_TOOLS
        out = client.ok("search", query="Who founded the lantern festival?")
        p = out["passages"][0]
        assert p["doc_id"] == "festival"
        text = client.ok("get_article", doc_id="festival")["text"]
        assert text[p["start"] : p["end"]] == p["quote"]
        answer = client.ok("ask", question="Who founded the lantern festival?")
        assert "Oyelaran" in answer["answer"]
        assert client.ok("list_articles", source="Valley Gazette")["total"] == 1
        assert "unknown source" in client.error("search", query="x", sources=["Nowhere"])


@pytest.mark.slow
def test_http_endpoint_refuses_requests_without_the_right_credentials(
    ui_mcp: SimpleNamespace,
) -> None:
    import httpx

    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream"}
    url = f"{ui_mcp.url}/mcp"
    for auth in (None, ("agent", "wrong"), ("someone", AUTH[1])):
        r = httpx.post(url, json=initialize, headers=headers, auth=auth)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
    for header in (
        "Bearer s3cret",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"x").decode(),
    ):
        r = httpx.post(url, json=initialize, headers={**headers, "Authorization": header})
        assert r.status_code == 401
    ok = httpx.post(url, json=initialize, headers=headers, auth=AUTH)
    assert ok.status_code == 200 and ok.json()["result"]["serverInfo"]["name"] == "news-assistant"
    # The UI itself still asks for its login form's cookie.
    assert httpx.get(f"{ui_mcp.url}/config").status_code == 401
    # A client of the real SDK without credentials gets nowhere either.
    with pytest.raises(Exception), _client(_http_client(ui_mcp.url, None)):  # noqa: B017
        pass


def test_launch_adds_the_mcp_lifespan_only_with_mcp(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, embedder
) -> None:
    import gradio as gr

    from assistant import Assistant
    from assistant.errors import ConfigError
    from assistant.ui import app as ui_app

    seen: dict[str, Any] = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: seen.update(kw))
    monkeypatch.setattr(
        ui_app, "Assistant", lambda store: Assistant(store=store, embedder=embedder)
    )
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio-cache"))
    ui_app.launch(store=tmp_path / "store")
    assert "app_kwargs" not in seen
    ui_app.launch(store=tmp_path / "store", mcp=True, auth="a:b")
    assert callable(seen["app_kwargs"]["lifespan"]) and seen["server_name"] == "127.0.0.1"
    with pytest.raises(ConfigError, match="--auth"):
        ui_app.launch(store=tmp_path / "store", mcp=True, share=True)


# ---------------------------------------------------------------- allowed folders (no model)
def test_allowed_folders_refuse_traversal_links_out_and_missing_paths(
    folders: SimpleNamespace,
) -> None:
    from assistant.errors import ConfigError
    from assistant.mcp_server import AllowedFolders

    allowed = AllowedFolders([folders.inbox])
    assert allowed.check("ferry.md") == (folders.inbox / "ferry.md").resolve()
    assert allowed.check(str(folders.inbox / "ferry.md")) == (folders.inbox / "ferry.md").resolve()
    for bad in (
        "../outside/secret.md",
        str(folders.outside),
        "linked/notes.md",
        "to-outside",
        str(folders.inbox),
        "nope.md",
        "",
        "a\x00b",
        "/",
    ):
        with pytest.raises(ConfigError):
            allowed.check(bad)
    with pytest.raises(ConfigError, match="no such folder"):
        AllowedFolders([folders.inbox / "missing"])
    # The outside folder itself may be allowed: then its file is fine.
    both = AllowedFolders([folders.inbox, folders.outside])
    assert both.check("linked/notes.md") == (folders.outside / "secret.md").resolve()


def test_cli_refuses_allow_ingest_without_mcp(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    assert main(["ui", "--allow-ingest", "."]) == 2
    assert "add --mcp" in capsys.readouterr().err


def test_public_names_are_pinned() -> None:
    import assistant.mcp_server as m

    assert sorted(m.__all__) == sorted(
        [
            "DEFAULT_MAX_CHARS",
            "INSTRUCTIONS",
            "MCP_PATH",
            "AgentTools",
            "AllowedFolders",
            "AnswerResult",
            "ArticleList",
            "ArticleSummary",
            "ArticleText",
            "BasicAuth",
            "CitedPassage",
            "HistoryTurn",
            "IngestProblem",
            "IngestResult",
            "Passage",
            "SearchResult",
            "WindowUsed",
            "build_server",
            "mcp_lifespan",
            "open_tools",
            "serve_stdio",
        ]
    )
