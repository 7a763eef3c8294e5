"""Several UI/API replicas on one `chroma run` server share what it holds, BM25 included.

Two web UIs (each with its own local folder, as on two machines) serve one Chroma server;
a third process ingests a new article with the CLI; both answer a question about it through
their `/ask` API at once, with a citation. A replica whose folder is shared with the writer
(shared storage) loads the index the writer saved instead of rebuilding it, and no replica
reads every article record to learn that nothing changed: one call to the server's state.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from servers import free_port, start_chroma, stop_process

from assistant import Assistant

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

NEW_ARTICLE = (
    "Lighthouse on Greywick Point relit\n\n"
    "The lighthouse on Greywick Point was relit on Friday after a two-year restoration, "
    "the coastal trust said. Its new lamp can be seen 31 kilometres out to sea, and the "
    "keeper's cottage will open to visitors in May.\n"
)
QUESTION = "How far out to sea can the Greywick Point lighthouse be seen?"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("replicas-chroma")
    port = free_port()
    proc = start_chroma(data, port, data.parent / "replicas-chroma.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def _replica(store: Path, url: str, embedder: Any) -> Assistant:
    return Assistant(store=store, chroma_url=url, embedder=embedder, answerer="extractive")


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, chroma_url: str, embedder, seeds_dir: Path
) -> Iterator[SimpleNamespace]:
    from assistant.ui import build_app

    root = tmp_path_factory.mktemp("replicas")
    mp = pytest.MonkeyPatch()
    mp.setenv("GRADIO_TEMP_DIR", str(root / "gradio-cache"))
    writer = _replica(root / "writer", chroma_url, embedder)
    assert writer.ingest([seeds_dir]).added == 5
    replicas, demos, urls = [], [], []
    try:
        for name in ("one", "two"):
            a = _replica(root / name, chroma_url, embedder)
            demo = build_app(a, upload_dir=root / f"uploads-{name}", max_upload_mb=1)
            port = free_port()
            demo.launch(
                prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True
            )
            replicas.append(a)
            demos.append(demo)
            urls.append(f"http://127.0.0.1:{port}/")
        yield SimpleNamespace(root=root, writer=writer, replicas=replicas, urls=urls)
    finally:
        for demo in demos:
            demo.close()
        mp.undo()


def _ask(url: str, question: str) -> dict[str, Any]:
    from gradio_client import Client

    return Client(url, verbose=False).predict(question, [], "", api_name="/ask")


def _cli_ingest(folder: Path, url: str, store: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    cmd = [sys.executable, "-m", "assistant.cli", "ingest", str(folder), "--chroma-url", url]
    proc = subprocess.run(
        [*cmd, "--store", str(store)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_article_ingested_by_a_third_process_is_answered_by_both_replicas(
    world: SimpleNamespace, chroma_url: str, write_files
) -> None:
    seeds_q = "When do the Russian border guards leave the Armenia-Iran border?"
    for url in world.urls:
        assert "January 1, 2025" in _ask(url, seeds_q)["answer"]
        before = _ask(url, QUESTION)
        assert "greywick.txt" not in {c["doc_id"] for c in before["citations"]}
    _cli_ingest(write_files({"greywick.txt": NEW_ARTICLE}), chroma_url, world.root / "third")
    for url in world.urls:
        after = _ask(url, QUESTION)
        assert not after["abstained"], after["answer"]
        assert after["citations"][0]["doc_id"] == "greywick.txt"
        assert "31 kilometres" in after["answer"]


def test_no_change_costs_one_state_call_not_every_record(
    world: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = world.replicas[0]
    a.ask(QUESTION)  # brought up to date

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read every article record although nothing changed")

    monkeypatch.setattr(a.store, "stamp", refuse)
    monkeypatch.setattr(a.store, "article_infos", refuse)
    for _ in range(3):
        assert not a.ask(QUESTION).abstained


def test_replica_on_shared_storage_loads_the_writers_index(
    world: SimpleNamespace, embedder, monkeypatch: pytest.MonkeyPatch, write_files, chroma_url
) -> None:
    """The writer records the stamp of the set it indexed on the server and saves the index
    in its folder; a replica sharing that folder loads it, with neither a rebuild nor a read
    of every article record. A replica with a folder of its own rebuilds from the records."""
    shared = _replica(world.writer.settings.store, chroma_url, embedder)
    own = world.replicas[1]
    own.ask(QUESTION)
    shared.ask(QUESTION)
    update = write_files({"kelby.txt": NEW_ARTICLE.replace("Greywick", "Kelby")}, "more")
    assert world.writer.ingest([update]).added == 1
    state = shared.store.generation_state()
    assert state.stamp == world.writer.store.stamp()

    calls: dict[str, int] = {"rebuild": 0, "stamp": 0}

    def counting(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(shared.bm25, "rebuild", counting("rebuild", shared.bm25.rebuild))
    monkeypatch.setattr(shared.store, "stamp", counting("stamp", shared.store.stamp))
    res = shared.retrieve("Kelby Point lighthouse", mode="bm25")
    assert res.article_order[0] == "kelby.txt"
    assert calls == {"rebuild": 0, "stamp": 0}

    monkeypatch.setattr(own.bm25, "rebuild", counting("rebuild", own.bm25.rebuild))
    assert own.retrieve("Kelby Point lighthouse", mode="bm25").article_order[0] == "kelby.txt"
    assert calls["rebuild"] == 1
