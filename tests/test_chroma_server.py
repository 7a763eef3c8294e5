"""The same assistant against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port, heartbeat, start_chroma, stop_process

from assistant import Assistant
from assistant.errors import ConfigError, EmbedderMismatchError, StoreError, StoreLockedError
from assistant.testing import ConstantEmbedder

pytestmark = pytest.mark.slow

# Fictional news, written for these tests.
ARTICLES = {
    "tram.txt": "Tram line to Fennick opens\n\n"
    "The new tram line from the city centre to Fennick opened on Monday, cutting the journey "
    "to eighteen minutes. Trams run every six minutes at peak times, the operator said.\n",
    "seals.txt": "Seal pups counted on Marrow Sands\n\n"
    "Wardens counted 214 grey seal pups on Marrow Sands this winter, the highest number since "
    "records began, and asked walkers to keep their dogs on leads.\n",
    "bakery.md": "# Corran bakery wins bread prize\n\n"
    "A family bakery in Corran won the regional bread prize on Saturday for a sourdough made "
    "with rye from a nearby farm.\n",
}


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("chroma-server-data")
    port = free_port()
    proc = start_chroma(data, port, data.parent / "chroma-server.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("server-articles")
    for name, text in ARTICLES.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, chroma_url: str, embedder, folder: Path):
    a = Assistant(
        store=tmp_path_factory.mktemp("server-cache"),
        chroma_url=chroma_url,
        embedder=embedder,
        answerer="extractive",
    )
    report = a.ingest([folder])
    assert report.ok, report.failures
    assert report.added == len(ARTICLES)
    return a


def test_ingest_and_answer_through_server(served: Assistant, chroma_url: str) -> None:
    s = served.stats()
    assert s["documents"] == len(ARTICLES)
    assert s["chunks"] >= len(ARTICLES)
    assert s["store"] == chroma_url
    assert [i.doc_id for i in served.articles()] == sorted(ARTICLES)
    # Derived data (BM25 cache, lock) lives in a local folder named after the server.
    port = chroma_url.rsplit(":", 1)[1]
    assert served.store.local_dir.name == f"server-127.0.0.1-{port}"
    assert (served.bm25.folder / "stamp.json").is_file()
    for mode in ("dense", "bm25", "hybrid"):
        res = served.retrieve("how many grey seal pups on Marrow Sands", mode=mode)
        assert res.article_order[0] == "seals.txt", mode
    answer = served.ask("How many seal pups did the wardens count on Marrow Sands?")
    assert not answer.abstained
    assert answer.citations
    assert answer.citations[0].doc_id == "seals.txt"
    assert "214" in answer.text


def test_second_client_sees_the_data(
    served: Assistant, chroma_url: str, embedder, tmp_path: Path, folder: Path
) -> None:
    # A different local cache folder: the BM25 index has to be built from the server's data.
    other = Assistant(store=tmp_path / "elsewhere", chroma_url=chroma_url, embedder=embedder)
    assert [i.doc_id for i in other.articles()] == sorted(ARTICLES)
    assert other.stats()["chunks"] == served.stats()["chunks"]
    for mode in ("bm25", "hybrid"):
        res = other.retrieve("Corran sourdough bread prize", mode=mode)
        assert res.article_order[0] == "bakery.md", mode
    report = other.ingest([folder])
    assert report.added == report.updated == report.removed == 0
    assert report.unchanged == len(ARTICLES)
    assert report.chunks_embedded == 0 and report.ok


def test_reingest_embeds_nothing(served: Assistant, folder: Path) -> None:
    report = served.ingest([folder])
    assert report.unchanged == len(ARTICLES)
    assert report.chunks_embedded == report.chunks_written == 0


def test_update_and_prune_through_server(
    chroma_url: str, embedder, tmp_path: Path, write_files
) -> None:
    # Own collection on the shared server, so the other tests' data is untouched.
    a = Assistant(
        store=tmp_path / "cache", chroma_url=chroma_url, embedder=embedder, collection="upd"
    )
    folder = write_files({"tram.txt": ARTICLES["tram.txt"], "seals.txt": ARTICLES["seals.txt"]})
    assert a.ingest(folder).added == 2
    write_files({"tram.txt": ARTICLES["tram.txt"].replace("eighteen", "twenty-two")})
    (folder / "seals.txt").unlink()
    report = a.ingest(folder, prune=True)
    assert (report.updated, report.removed, report.unchanged) == (1, 1, 0)
    assert [i.doc_id for i in a.articles()] == ["tram.txt"]
    res = a.retrieve("seal pups", mode="bm25")
    assert "seals.txt" not in res.article_order
    text = a.store.get_articles(["tram.txt"])["tram.txt"].text
    assert "twenty-two" in text
    n = a.store.article_infos()["tram.txt"].n_chunks
    assert a.stats()["chunks"] == n


def test_lock_applies_to_server_stores(
    served: Assistant, chroma_url: str, embedder, folder: Path
) -> None:
    twin = Assistant(store=served.settings.store, chroma_url=chroma_url, embedder=embedder)
    with served.store.ingest_lock(), pytest.raises(StoreLockedError):
        twin.ingest([folder])


def test_embedder_mismatch_on_server(served: Assistant, chroma_url: str, tmp_path: Path) -> None:
    with pytest.raises(EmbedderMismatchError) as info:
        Assistant(
            store=tmp_path, chroma_url=chroma_url, embedder=ConstantEmbedder("fake/other", 384)
        )
    assert "fake/other" in str(info.value)
    assert served.embedder.name in str(info.value)


def test_closed_port_is_a_store_error(tmp_path: Path, embedder) -> None:
    port = free_port()  # nothing listens there once the probe socket is closed
    with pytest.raises(StoreError) as info:
        Assistant(store=tmp_path, chroma_url=f"http://127.0.0.1:{port}", embedder=embedder)
    msg = str(info.value)
    assert "chroma run" in msg
    assert f"127.0.0.1:{port}" in msg


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://127.0.0.1:8000", "http://"])
def test_malformed_url_is_a_config_error(tmp_path: Path, embedder, url: str) -> None:
    with pytest.raises(ConfigError, match="not a URL"):
        Assistant(store=tmp_path, chroma_url=url, embedder=embedder)


# ---------------------------------------------------------------------------- server faults


def test_server_stopped_and_restarted_mid_session(tmp_path: Path, embedder, folder: Path) -> None:
    """One Assistant object outlives two server outages (a clean stop, then a crash)."""
    data, log, port = tmp_path / "data", tmp_path / "server.log", free_port()
    url = f"http://127.0.0.1:{port}"
    question = "How many seal pups did the wardens count on Marrow Sands?"
    proc = start_chroma(data, port, log)
    try:
        a = Assistant(store=tmp_path / "cache", chroma_url=url, embedder=embedder)
        assert a.ingest([folder]).added == len(ARTICLES)
        assert "214" in a.ask(question).text

        for stop in (signal.SIGTERM, signal.SIGKILL):
            stop_process(proc, stop)
            assert not heartbeat(port)
            # Every kind of call says the same, naming the server, instead of an httpx error.
            calls = {
                "ask": lambda: a.ask(question),
                "stats": a.stats,
                "articles": a.articles,
                "ingest": lambda: a.ingest([folder]),
            }
            for name, call in calls.items():
                with pytest.raises(StoreError) as info:
                    call()
                msg = str(info.value)
                assert f"the Chroma server at {url} is unreachable" in msg, (name, msg)
                assert "chroma run" in msg and "--port" in msg, name

            # Same port, same data: the same Assistant object answers again, no new process.
            proc = start_chroma(data, port, log)
            answer = a.ask(question)
            assert "214" in answer.text and answer.citations[0].doc_id == "seals.txt"
            report = a.ingest([folder])  # the failed ingest above released its lock
            assert report.unchanged == len(ARTICLES) and report.chunks_written == 0
            assert a.stats()["documents"] == len(ARTICLES)
    finally:
        stop_process(proc)


def test_frozen_server_times_out(
    tmp_path: Path, embedder, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that accepts connections but never answers (SIGSTOP) must not hang a question."""
    import assistant.chroma.server

    monkeypatch.setattr(assistant.chroma.server, "SERVER_TIMEOUT_S", 2.0)
    data, log, port = tmp_path / "data", tmp_path / "server.log", free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_chroma(data, port, log)
    try:
        a = Assistant(
            store=tmp_path / "cache", chroma_url=url, embedder=embedder, collection="frozen"
        )
        assert a.ingest([folder]).added == len(ARTICLES)
        proc.send_signal(signal.SIGSTOP)
        # The message names the 2 s timeout that ended the call; `pytest.raises` returning
        # at all shows the question did not hang on the frozen server.
        with pytest.raises(StoreError) as info:
            a.ask("How many seal pups did the wardens count on Marrow Sands?")
        assert f"the Chroma server at {url} did not answer within 2 s" in str(info.value)
        proc.send_signal(signal.SIGCONT)
        assert "214" in a.ask("How many seal pups did the wardens count on Marrow Sands?").text
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
        stop_process(proc)
