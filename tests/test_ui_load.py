"""A bounded load test of the UI's `/ask` API: many clients at once, every answer intact.

20 `gradio_client` clients on 127.0.0.1 ask 300 questions in all (our seeds suite's single-turn
questions, over and over). Every reply must be exactly what the same question gets when asked
alone in-process: concurrency may slow answers down, never change or break them. The test
stops by itself (fixed question count, per-call timeout); it prints p50/p95 latency (run with
`-s` to see them) but asserts no wall-clock limit.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.evals import load_suite

REPO = Path(__file__).resolve().parent.parent
CLIENTS = 20
PER_CLIENT = 15
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder, seeds_dir) -> Iterator[Any]:
    from assistant import Assistant
    from assistant.ui import build_app

    root = tmp_path_factory.mktemp("load")
    mp = pytest.MonkeyPatch()
    mp.setenv("GRADIO_TEMP_DIR", str(root / "gradio-cache"))
    assistant = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    assistant.ingest([seeds_dir])
    demo = build_app(assistant, upload_dir=root / "uploads", max_upload_mb=1)
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", assistant=assistant)
    finally:
        demo.close()
        mp.undo()


def test_concurrent_clients_get_the_same_answers_as_one_client(served: Any) -> None:
    from gradio_client import Client

    suite = load_suite(REPO / "evals" / "seeds.yaml")
    questions = [(q.question, q.as_of or "") for q in suite.questions if not q.history]
    assert len(questions) >= 10
    # What each question gets when asked alone, in-process: the reference for every reply.
    expected = {q: served.assistant.ask(q, as_of=as_of or None).text for q, as_of in questions}

    latencies: list[float] = []
    errors: list[str] = []
    mismatches: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(n: int) -> None:
        try:
            c = Client(served.url, verbose=False)
        except Exception as exc:  # a client that cannot even connect is an error too
            with lock:
                errors.append(f"client {n}: {exc!r}")
            return
        start.wait(timeout=120)
        for i in range(PER_CLIENT):
            question, as_of = questions[(n * PER_CLIENT + i) % len(questions)]
            t = time.perf_counter()
            try:
                out = c.predict(question, [], as_of, api_name="/ask")
            except Exception as exc:
                with lock:
                    errors.append(f"client {n}, {question!r}: {exc!r}")
                continue
            took = time.perf_counter() - t
            with lock:
                latencies.append(took)
                if out.get("answer") != expected[question]:
                    mismatches.append(question)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=600)
    wall = time.perf_counter() - t0

    assert not any(th.is_alive() for th in threads), "a client never finished"
    assert errors == []
    assert mismatches == []
    assert len(latencies) == CLIENTS * PER_CLIENT
    qs = statistics.quantiles(latencies, n=20)
    print(
        f"\n/ask load: {CLIENTS} clients, {len(latencies)} questions in {wall:.1f}s "
        f"({len(latencies) / wall:.1f}/s), p50 {statistics.median(latencies) * 1e3:.0f} ms, "
        f"p95 {qs[18] * 1e3:.0f} ms, errors {len(errors)}"
    )
