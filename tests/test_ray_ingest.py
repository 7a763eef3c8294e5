"""Distributed ingest on a two-node Ray cluster of this machine into a `chroma run` server.

The cluster is `ray start --head` on 127.0.0.2 plus `ray start --address` on 127.0.0.3, one CPU
each, so each node runs one embedding actor. Its store must equal a local ingest of the same
articles (chunk ids, texts and metadata; vectors at cosine > 0.9999; the same answers to the
seeds suite), and the local ingest's guarantees must hold: bad files reported by name,
duplicates settled, stored vectors reused, a killed actor or driver leaves whole articles and
a rerun completes to the same store. Both sides embed in fp32, so the comparison holds on any
CPU. Every server and node is stopped by the fixtures, by process id.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from servers import RayCluster, free_port, start_chroma, stop_process

from assistant import Assistant
from assistant.config import Settings
from assistant.embeddings import make_embedder
from assistant.evals import load_suite
from assistant.scale.ray_ingest import RayOptions, ray_ingest_paths

pytestmark = [
    pytest.mark.slow,
    # Ray Data warns about its own deprecated settings when its context is first read.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data"),
]

REPO = Path(__file__).resolve().parent.parent
ACTOR = "ray::MapWorker(MapBatches(_EmbedWriter))"
BATCH = 4  # articles per actor batch: the corpus is many batches, so kills land mid-ingest

TOWNS = ["Saltmere", "Brackwater", "Ormsby", "Tollan", "Greywick", "Dunmore", "Kessel"]
EVENTS = [
    ("ferry crossings", "resumed after a week of gales kept the boats in harbour"),
    ("library", "reopened after a renovation that added a children's wing"),
    ("orchards", "lost most of their blossom to a late frost on Tuesday night"),
    ("marathon", "drew a record field of runners along the canal towpath"),
    ("choir", "won the national amateur title with a programme of folk songs"),
]


def _story(i: int) -> str:
    """Invented local news, long enough for two or three chunks."""
    town, (thing, what) = TOWNS[i % len(TOWNS)], EVENTS[i % len(EVENTS)]
    body = " ".join(
        f"Residents of {town} said on day {d} that the {thing} mattered to them, and "
        f"{i + d} of them signed a letter to the council about it."
        for d in range(1, 12)
    )
    return (
        f"{town} {thing} story number {i}\n\n"
        f"The {thing} in {town} {what}, officials said in report {i}.\n\n{body}\n"
    )


def _write_corpus(root: Path, seeds: Path) -> None:
    root.mkdir(parents=True)
    shutil.copytree(seeds, root / "seeds")
    for i in range(18):
        (root / "local" / f"story-{i:02d}.txt").parent.mkdir(exist_ok=True)
        (root / "local" / f"story-{i:02d}.txt").write_text(_story(i), encoding="utf-8")
    (root / "local" / "broken.txt").write_bytes(b"\x00\x01binary\x00")  # a bad file
    lines = [
        {"id": "wire-1", "title": "Kelby bridge", "text": _story(40), "published": "2025-03-02"},
        {"id": "wire-2", "title": "Velmar mill", "text": _story(41), "source": "Wire"},
        {"id": "wire-1", "title": "Kelby bridge again", "text": _story(42)},  # a duplicate id
    ]
    text = "\n".join(json.dumps(x) for x in lines) + '\n{"id": "wire-3", "text": \n'
    (root / "wire.jsonl").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def fp32(embedder) -> Any:
    """The bundled model on the fp32 path, whatever the CPU (the Ray actors use the same)."""
    return make_embedder(Settings(embed_precision="fp32"))


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("ray-chroma")
    port = free_port()
    proc = start_chroma(data, port, data.parent / "ray-chroma.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayCluster]:
    mp = pytest.MonkeyPatch()
    for k, v in RayCluster.auth_env.items():
        mp.setenv(k, v)  # before Ray's first import in this process: it reads them then
    import ray

    c = RayCluster(nodes=2, cpus_per_node=1)
    try:
        ray.init(address=c.address, logging_level="ERROR", log_to_driver=False)
        c.wait_for_nodes(ray)
        yield c
    finally:
        ray.shutdown()
        c.stop()
        mp.undo()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("ray-corpus") / "articles"
    _write_corpus(root, seeds_dir)
    return root


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, fp32, corpus: Path) -> dict[str, Any]:
    """A local ingest (embedded store, this process) of the same corpus."""
    a = Assistant(store=tmp_path_factory.mktemp("ray-ref"), embedder=fp32, answerer="extractive")
    report = a.ingest([corpus])
    return {"assistant": a, "report": report}


def _server(tmp: Path, url: str, fp32: Any, collection: str) -> Assistant:
    return Assistant(
        store=tmp,
        chroma_url=url,
        collection=collection,
        embedder=fp32,
        answerer="extractive",
        embed_precision="fp32",
    )


def _chunks(a: Assistant) -> dict[str, tuple[str, dict[str, Any]]]:
    return {cid: (text, meta) for cid, text, meta in a.store.iter_chunks()}


def _vectors(a: Assistant, ids: list[str]) -> np.ndarray:
    res = a.store._chunks.get(ids=ids, include=["embeddings"])
    by_id = dict(zip(res["ids"], res["embeddings"], strict=True))
    return np.array([by_id[i] for i in ids], dtype=np.float64)


def _summary(a: Assistant) -> dict[str, tuple[str, int]]:
    return {d: (i.content_hash, i.n_chunks) for d, i in a.store.article_infos().items()}


def _assert_same_store(a: Assistant, ref: Assistant) -> None:
    assert _summary(a) == _summary(ref)
    mine, theirs = _chunks(a), _chunks(ref)
    assert set(mine) == set(theirs)
    for cid, (text, meta) in theirs.items():
        assert mine[cid][0] == text, cid
        assert mine[cid][1] == meta, cid
    ids = sorted(theirs)
    u, v = _vectors(a, ids), _vectors(ref, ids)
    cos = (u * v).sum(1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    assert cos.min() > 0.9999, float(cos.min())
    a.bm25.ensure_fresh()
    assert a.bm25.chunk_ids() == set(ids)


def _answers(a: Assistant) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    suite = load_suite(REPO / "evals" / "seeds.yaml")
    out = []
    for q in suite.questions:
        history: list[tuple[str, str]] = []
        for turn in q.history:
            prev = a.ask(turn, history=history or None, as_of=q.as_of)
            history.append((turn, prev.text))
        ans = a.ask(q.question, history=history or None, as_of=q.as_of)
        out.append((ans.text, tuple((c.doc_id, c.quote) for c in ans.citations)))
    return out


def _failures(report: Any) -> set[tuple[str, str]]:
    return {(f.path, f.reason) for f in report.failures}


def test_two_node_ingest_equals_local_ingest(
    cluster: RayCluster, chroma_url: str, fp32: Any, corpus: Path, reference, tmp_path: Path
) -> None:
    a = _server(tmp_path / "cache", chroma_url, fp32, "ray_equal")
    nodes_seen: set[int | None] = set()

    def watch(doc_id: str, status: str) -> None:
        nodes_seen.update(cluster.node_of(pid) for pid in cluster.processes(ACTOR))

    report = ray_ingest_paths(
        [corpus],
        store=a.store,
        embedder_name=a.embedder.name,
        chunker=a.chunker,
        bm25=a.bm25,
        options=RayOptions(cluster.address, actors=2, group_size=BATCH),
        progress=False,
        on_article=watch,
    )
    assert nodes_seen >= {0, 1}, f"embedding actors ran on nodes {nodes_seen}, not on both"
    ref = reference["report"]
    # The same counts and the same failures, by name: the binary file, the duplicate JSONL
    # id (first kept) and the malformed line.
    for field in ("added", "updated", "unchanged", "removed", "chunks_written", "doc_ids"):
        assert getattr(report, field) == getattr(ref, field), field
    assert _failures(report) == _failures(ref)
    reasons = " ".join(r for _, r in _failures(report))
    assert "binary" in reasons and "duplicate id 'wire-1'" in reasons and "line 4" in reasons
    assert report.chunks_embedded + report.chunks_reused == report.chunks_written
    _assert_same_store(a, reference["assistant"])
    # The same answers, citations and quotes on the seeds suite.
    assert _answers(a) == _answers(reference["assistant"])


def test_rerun_reuses_and_update_embeds_only_changed_chunks(
    cluster: RayCluster, chroma_url: str, fp32: Any, corpus: Path, tmp_path: Path
) -> None:
    """A store written by a local ingest, then updated on Ray: unchanged articles are passed
    over, unchanged chunk texts keep their vectors, pruning works the same."""
    folder = tmp_path / "articles"
    shutil.copytree(corpus / "local", folder)
    a = _server(tmp_path / "cache", chroma_url, fp32, "ray_rerun")
    first = a.ingest([folder])  # local, into the same server
    assert first.added == 18 and first.failed == 1
    opts = RayOptions(cluster.address, actors=1, group_size=BATCH)
    # One paragraph of one article changes and another article is deleted.
    path = folder / "story-03.txt"
    path.write_text(path.read_text().replace("report 3.", "report 3, revised."), encoding="utf-8")
    (folder / "story-17.txt").unlink()
    upd = a.ingest([folder], ray=opts, prune=True)
    assert (upd.added, upd.updated, upd.unchanged, upd.removed) == (0, 1, 16, 1)
    assert [f.path for f in upd.failures] == [str(folder / "broken.txt")]
    # Only the changed paragraph's chunk is embedded; the others keep their vectors.
    assert 0 < upd.chunks_embedded < upd.chunks_written
    assert upd.chunks_embedded + upd.chunks_reused == upd.chunks_written
    local = Assistant(store=tmp_path / "local", embedder=fp32)
    local.ingest([folder])
    assert _summary(a) == _summary(local)
    again = a.ingest([folder], ray=opts)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 17)
    assert again.chunks_embedded == again.chunks_written == 0


def _wait(condition: Any, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _assert_whole(a: Assistant, ref: Assistant) -> int:
    """Every visible article is a whole version of itself; returns how many are visible."""
    ref_summary = _summary(ref)
    chunks = _chunks(a)
    infos = a.store.article_infos()
    for doc_id, info in infos.items():
        assert ref_summary[doc_id][0] == info.content_hash, doc_id
        present = {
            cid
            for cid, (_t, m) in chunks.items()
            if m["doc_id"] == doc_id and m["article_hash"] == info.content_hash
        }
        assert len(present) == info.n_chunks == ref_summary[doc_id][1], doc_id
    assert a.stats()["chunks"] == sum(i.n_chunks for i in infos.values())
    return len(infos)


def test_killed_actor_mid_ingest(
    cluster: RayCluster, chroma_url: str, fp32: Any, corpus: Path, reference, tmp_path: Path
) -> None:
    """SIGKILL one embedding actor while the ingest runs: Ray restarts it and runs its batch
    again, the ingest completes, and the store is the local ingest's."""
    a = _server(tmp_path / "cache", chroma_url, fp32, "ray_kill_actor")
    killed: list[int] = []

    def kill_one(doc_id: str, status: str) -> None:
        if killed:
            return
        actors = sorted(cluster.processes(ACTOR))
        assert actors, "no embedding actor is running"
        os.kill(actors[-1], signal.SIGKILL)
        killed.append(actors[-1])

    report = ray_ingest_paths(
        [corpus],
        store=a.store,
        embedder_name=a.embedder.name,
        chunker=a.chunker,
        bm25=a.bm25,
        options=RayOptions(cluster.address, actors=2, group_size=BATCH),
        progress=False,
        on_article=kill_one,
    )
    assert killed and killed[0] not in cluster.processes(ACTOR)
    assert report.added == reference["report"].added
    _assert_same_store(a, reference["assistant"])


def test_killed_driver_leaves_whole_articles_and_rerun_completes(
    cluster: RayCluster, chroma_url: str, fp32: Any, corpus: Path, reference, tmp_path: Path
) -> None:
    """SIGKILL `assistant ingest --ray` once some articles are committed: the store holds
    whole articles only, and the next ingest (taking over the dead driver's lease at once)
    completes to the local ingest's store."""
    a = _server(tmp_path / "cache", chroma_url, fp32, "ray_kill_driver")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_EMBED_PRECISION="fp32", RAY_USAGE_STATS_ENABLED="0", **cluster.auth_env)
    log = (tmp_path / "driver.log").open("wb")
    cmd = [sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--ray", cluster.address]
    cmd += ["--ray-actors", "2", "--ray-batch", str(BATCH), "--chroma-url", chroma_url]
    cmd += ["--store", str(tmp_path / "driver-cache")]
    env["ASSISTANT_COLLECTION"] = "ray_kill_driver"
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: a.store.count()[0] > 0 or proc.poll() is not None, "a first commit")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    assert proc.returncode == -signal.SIGKILL, (tmp_path / "driver.log").read_text()[-3000:]
    # Ray ends a dead driver's actors; wait for that, then the store is still.
    _wait(lambda: not cluster.processes(ACTOR), "the dead driver's actors to end")
    visible = _assert_whole(a, reference["assistant"])
    assert visible > 0
    print(f"{visible} of {len(_summary(reference['assistant']))} articles visible after the kill")
    report = a.ingest([corpus], ray=RayOptions(cluster.address, actors=2, group_size=BATCH))
    assert report.added == len(_summary(reference["assistant"])) - visible
    _assert_same_store(a, reference["assistant"])
