"""Crash safety: `assistant ingest` killed with SIGKILL at several points, then checked.

Each kill runs the real CLI in a subprocess with the real embedder. Most kill points are
hook-driven by a driver (written below, test-only) that wraps Chroma's collection calls
and kills its own process at an exact step; one is timed, on the unmodified CLI. The kill
runs go two at a time, since most of their time is loading the model.

Kill points cover a first ingest, and an update that edits, adds and prunes articles, at
every kind of write: during and after a group's chunk write, during and after its commit,
after the replaced versions' chunks are deleted, between a pruned article's record and its
chunks, and during the BM25 save.

After each kill: the store opens; every visible article is complete (all its chunks in
Chroma, with its hash) and is a real version of itself; an update never hides an article
it edits (each is its old version or its new one) nor one it does not touch; questions about
the visible articles are answered from them, quoting the old or the new text; `stats` does
not count leftover chunks; BM25 holds exactly the committed chunks; repair leaves no
orphans; and re-running ingest ends in the same store as a clean ingest into a fresh one
(article ids, content hashes, chunk ids and chunk metadata). All article text is invented
here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant

pytestmark = pytest.mark.slow

TOWNS = [
    "Saltmere", "Brackwater", "Ormsby", "Tollan", "Greywick", "Dunmore", "Kessel", "Velmar",
    "Corran", "Fennick", "Holloway", "Ambleford", "Kelby", "Marrow", "Ostbury", "Dunmarrow",
    "Göttrup", "Sainte-Élise", "Ardent", "Mill Cross",
]  # fmt: skip
EVENTS = [
    ("ferry crossings", "resumed after a week of gales kept the boats in harbour"),
    ("library", "reopened after a renovation that added a children's wing"),
    ("orchards", "lost most of their blossom to a late frost on Tuesday night"),
    ("marathon", "drew a record field of runners along the canal towpath"),
    ("bakery", "won the regional bread prize for a rye sourdough"),
    ("tram line", "opened, cutting the trip to the centre to eighteen minutes"),
    ("harbour cranes", "stood idle after a power fault on Thursday"),
    ("choir", "won the national amateur title with a programme of folk songs"),
]

N_ARTICLES = 40
GROUP = 8  # articles per write group in the driver, so an ingest has five groups
# A chunk write of one group takes ~15-80 ms here: the kill is sent a few ms into it.
DURING_DELAY_S = 0.004
# The timed kill: this long after the first write to the store's database (seen by its
# mtime) once the model loaded, i.e. while the one group's chunks and records are written.
TIMED_KILL_S = 0.03


SYLLABLES = ["ka", "lo", "mi", "ra", "tu", "ve", "zo", "ne"]


def _doc(i: int) -> str:
    return f"story-{i:02d}.txt"


def _keeper(i: int) -> str:
    """A made-up surname only article i has, so a question can single it out."""
    return (SYLLABLES[i % 8] + SYLLABLES[i // 8 % 8]).capitalize() + "vik"


MONTHS = ["March", "April", "May", "June", "July", "September"]


def _opening(i: int, version: int = 1) -> str:
    """The date article i gives for its footbridge: the edit changes it."""
    return f"{MONTHS[(i + 3 * (version - 1)) % 6]} {i % 27 + 1}, {2025 + version}"


def _bridge_question(i: int) -> str:
    return f"When will the {_keeper(i)} footbridge open?"


def _article(i: int, version: int = 1) -> str:
    town = TOWNS[i % len(TOWNS)]
    thing, what = EVENTS[i % len(EVENTS)]
    extra = (
        f"A spokesperson for the {town} council said on day {i + 3} of the month that "
        f"residents had been kept informed, and that {i + 11} volunteers had helped."
    )
    if version == 2:
        extra = f"Update: the {town} council revised its figures on day {i + 5}; {i + 29} helped."
    return (
        f"{town} {thing} story number {i}\n\n"
        f"The {thing} in {town} {what}, officials said in report {i}. "
        f"Local businesses in {town} welcomed the news, said shopkeeper {_keeper(i)}.\n\n"
        f"The {_keeper(i)} footbridge over the {town} canal will open on {_opening(i, version)}, "
        f"the council said.\n\n"
        f"{extra}\n"
    )


def _write_v1(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(N_ARTICLES):
        (folder / f"story-{i:02d}.txt").write_text(_article(i), encoding="utf-8")


EDITED = range(10)  # with GROUP, the update writes two groups: edits, then edits and additions
PRUNED = (10, 11, 12)
ADDED = range(N_ARTICLES, N_ARTICLES + 5)


def _write_v2(folder: Path) -> None:
    """Ten edited, three deleted, five added: an update run with --prune has all kinds."""
    for i in EDITED:
        (folder / f"story-{i:02d}.txt").write_text(_article(i, version=2), encoding="utf-8")
    for i in PRUNED:
        (folder / f"story-{i:02d}.txt").unlink()
    for i in ADDED:
        (folder / f"story-{i:02d}.txt").write_text(_article(i), encoding="utf-8")


# The driver: imports everything once, then forks one child per hook-driven kill point
# (two at a time). Each child runs the real CLI with Chroma's collection calls wrapped so
# it kills itself at one exact step. Forking after the imports saves ~10 s of start-up per
# run; the model itself is loaded by each child, as `assistant ingest` does. Test-only:
# nothing of this is in the assistant package.
DRIVER = r"""
import json, os, signal, sys, threading, time, traceback

import chromadb, sentence_transformers, torch, transformers  # the slow imports, shared
from chromadb.api.models.Collection import Collection
from llama_index.retrievers.bm25 import BM25Retriever

import assistant.indexing
from assistant.cli import main


def run(job):
    log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    assistant.indexing.GROUP_SIZE = job["group"]
    counts = {}

    def due(name):
        counts[name] = counts.get(name, 0) + 1
        return job["hook"] == name and counts[name] == job["at"]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def kind(coll):
        return "chunks" if coll.name.endswith("_chunks") else "articles"

    real_upsert, real_delete = Collection.upsert, Collection.delete
    real_persist = BM25Retriever.persist

    def kill_soon(delay):
        # Chroma's Rust write holds the GIL, so no thread of ours could run during it: the
        # kill comes from a forked helper process while the call is under way.
        target = os.getpid()
        if os.fork() == 0:
            time.sleep(delay)
            os.kill(target, signal.SIGKILL)
            os._exit(0)

    def upsert(self, *args, **kwargs):
        if due(f"during-{kind(self)}-upsert"):
            kill_soon(job["delay"])
        out = real_upsert(self, *args, **kwargs)
        if due(f"after-{kind(self)}-upsert"):
            die()
        return out

    def delete(self, *args, **kwargs):
        out = real_delete(self, *args, **kwargs)
        if due(f"after-{kind(self)}-delete"):
            die()
        return out

    def persist(self, *args, **kwargs):
        real_persist(self, *args, **kwargs)
        if due("after-bm25-persist"):
            die()

    Collection.upsert, Collection.delete, BM25Retriever.persist = upsert, delete, persist
    try:
        rc = main(job["args"])
    except BaseException:
        traceback.print_exc()
        rc = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)


jobs = json.loads(open(sys.argv[1]).read())
pending, running, results = list(jobs), {}, []
while pending or running:
    while pending and len(running) < 2:
        job = pending.pop(0)
        pid = os.fork()
        if pid == 0:
            run(job)
        running[pid] = (job, time.perf_counter())
    pid, status = os.wait()
    job, t0 = running.pop(pid)
    results.append(
        {
            "name": job["name"],
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "seconds": time.perf_counter() - t0,
        }
    )
print(json.dumps(results))
"""


@dataclass(frozen=True)
class KillPoint:
    name: str
    corpus: str  # "v1": fresh store, first ingest; "v2": store holding v1, update with prune
    hook: str | None  # driver hook; None: the plain CLI, killed on a timer
    at: int = 1  # the hook fires on its at-th call
    note: str = ""


KILL_POINTS = [
    KillPoint(
        "mid-chunk-write", "v1", "during-chunks-upsert", 3, "4 ms into group 3's chunk write"
    ),
    KillPoint("chunks-not-committed", "v1", "after-chunks-upsert", 2, "group 2 chunks, no commit"),
    KillPoint("mid-commit", "v1", "during-articles-upsert", 4, "4 ms into group 4's commit"),
    KillPoint("mid-bm25-save", "v1", "after-bm25-persist", 1, "all committed, BM25 half saved"),
    KillPoint("timed", "v1", None, note="plain CLI, killed 30 ms into its first write"),
    # The update (10 edits in two groups, 5 additions, 3 prunes): every write point.
    KillPoint(
        "update-mid-chunk-write", "v2", "during-chunks-upsert", 1, "4 ms into new chunks' write"
    ),
    KillPoint("update-uncommitted", "v2", "after-chunks-upsert", 1, "new chunks beside old"),
    KillPoint("update-mid-commit", "v2", "during-articles-upsert", 1, "4 ms into the commit"),
    KillPoint(
        "update-old-chunks-kept", "v2", "after-articles-upsert", 1, "committed, old chunks left"
    ),
    KillPoint("update-group-done", "v2", "after-chunks-delete", 1, "group 1 whole, group 2 not"),
    KillPoint(
        "update-second-group", "v2", "after-chunks-upsert", 2, "group 2's chunks, not committed"
    ),
    KillPoint("mid-prune", "v2", "after-articles-delete", 1, "pruned record gone, chunks not"),
    KillPoint("prune-one-done", "v2", "after-chunks-delete", 3, "one article pruned whole"),
    KillPoint("update-bm25-save", "v2", "after-bm25-persist", 1, "all committed, BM25 half saved"),
    KillPoint("timed-update", "v2", None, note="plain CLI, killed 30 ms into its first write"),
]


@dataclass
class Killed:
    point: KillPoint
    store: Path
    corpus: Path
    returncode: int
    seconds: float
    log: str


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def _cli_args(point: KillPoint, store: Path, corpus: Path) -> list[str]:
    args = ["ingest", str(corpus), "--store", str(store)]
    return [*args, "--prune"] if point.corpus == "v2" else args


def _run_hooked(jobs: list[tuple[KillPoint, Path, Path]], root: Path) -> list[Killed]:
    spec = [
        {
            "name": p.name,
            "hook": p.hook,
            "at": p.at,
            "group": GROUP,
            "delay": DURING_DELAY_S,
            "args": _cli_args(p, store, corpus),
            "log": str(root / f"{p.name}.log"),
        }
        for p, store, corpus in jobs
    ]
    (root / "jobs.json").write_text(json.dumps(spec), encoding="utf-8")
    driver = root / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(driver), str(root / "jobs.json")],
        env=_env(),
        capture_output=True,
        text=True,
        # A hang guard only: every kill point's ingest runs in this one driver, and on a
        # machine busy with other work that takes several minutes.
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {r["name"]: r for r in json.loads(proc.stdout.strip().splitlines()[-1])}
    out = []
    for p, store, corpus in jobs:
        r = results[p.name]
        log = (root / f"{p.name}.log").read_text(encoding="utf-8", errors="replace")
        rc = -r["signal"] if r["signal"] else r["exit"]
        out.append(Killed(p, store, corpus, rc, r["seconds"], log))
    return out


def _run_timed(point: KillPoint, store: Path, corpus: Path) -> Killed:
    """The unmodified CLI in a process of its own, killed shortly after it starts writing.

    Nothing is written while the model loads and embeds, so a kill then would test little:
    the clock starts when the store's database changes after the model has loaded."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "-v", *_cli_args(point, store, corpus)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    loaded = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "loaded sentence-transformers" in line:
                loaded.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    db = store / "chroma" / "chroma.sqlite3"
    if loaded.wait(timeout=180):
        before = db.stat().st_mtime_ns
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if db.stat().st_mtime_ns != before:
                time.sleep(TIMED_KILL_S)
                break
            time.sleep(0.001)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    rc = proc.wait(timeout=60)
    reader.join(timeout=10)
    return Killed(point, store, corpus, rc, time.perf_counter() - t0, "".join(lines))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[dict[str, Any]]:
    """Corpora, clean reference stores, and every kill point's killed store."""
    root = tmp_path_factory.mktemp("crash")
    v1 = root / "corpus-v1"
    _write_v1(v1)
    upd = root / "corpus-update"  # holds v1 while the template store is built, then v2
    _write_v1(upd)
    template = Assistant(store=root / "template", embedder=embedder)
    assert template.ingest([upd]).added == N_ARTICLES
    _write_v2(upd)
    jobs = []
    for p in KILL_POINTS:
        store = root / f"store-{p.name}"
        if p.corpus == "v2":
            # A copy (not the template's own folder): this process holds the template open,
            # and an open embedded client does not see another process's writes.
            shutil.copytree(root / "template", store)
        jobs.append((p, store, v1 if p.corpus == "v1" else upd))
    t0 = time.perf_counter()
    hooked = [j for j in jobs if j[0].hook is not None]
    timed = [j for j in jobs if j[0].hook is None]
    with ThreadPoolExecutor(max_workers=1) as pool:  # one at a time, beside the driver
        timed_runs = [pool.submit(_run_timed, *j) for j in timed]
        killed = [*_run_hooked(hooked, root), *(r.result() for r in timed_runs)]
    kill_seconds = time.perf_counter() - t0
    print(f"\n{len(killed)} kill runs in {kill_seconds:.1f}s")

    refs = {}
    for name, folder in (("v1", v1), ("v2", upd)):
        ref = Assistant(store=root / f"reference-{name}", embedder=embedder)
        report = ref.ingest([folder])
        assert report.ok
        refs[name] = ref
    yield {"killed": {k.point.name: k for k in killed}, "refs": refs, "kill_seconds": kill_seconds}


def _chunk_table(a: Assistant) -> dict[str, tuple[str, str, int, int, int]]:
    return {
        cid: (m["doc_id"], m["article_hash"], int(m["index"]), int(m["start"]), int(m["end"]))
        for cid, _text, m in a.store.iter_chunks()
    }


def _committed_chunks(a: Assistant) -> set[str]:
    infos = a.store.article_infos()
    return {
        cid
        for cid, (doc, h, *_rest) in _chunk_table(a).items()
        if doc in infos and infos[doc].content_hash == h
    }


def _summary(a: Assistant) -> dict[str, tuple[str, int]]:
    return {d: (i.content_hash, i.n_chunks) for d, i in a.store.article_infos().items()}


@pytest.mark.parametrize("name", [p.name for p in KILL_POINTS])
def test_killed_ingest_leaves_a_consistent_store(
    world: dict[str, Any], embedder, name: str
) -> None:
    k: Killed = world["killed"][name]
    assert k.returncode == -signal.SIGKILL, f"not killed (it finished first?):\n{k.log[-3000:]}"
    ref = world["refs"][k.point.corpus]
    ref_summary = _summary(ref)

    # 1. The store opens, and every visible article is complete and a real version of itself.
    a = Assistant(store=k.store, embedder=embedder, answerer="extractive")
    infos = a.store.article_infos()
    table = _chunk_table(a)
    allowed = {d: {h} for d, (h, _n) in ref_summary.items()}
    if k.point.corpus == "v2":  # an update may have been cut before or after any article
        v1_ref = world["refs"]["v1"]
        for d, i in v1_ref.store.article_infos().items():
            allowed.setdefault(d, set()).add(i.content_hash)
    for doc_id, info in infos.items():
        assert info.content_hash in allowed.get(doc_id, set()), doc_id
        article = a.store.get_articles([doc_id])[doc_id]
        expected = {c.chunk_id for c in a.chunker.split(article)}
        present = {
            cid for cid, (d, h, *_r) in table.items() if d == doc_id and h == info.content_hash
        }
        assert present == expected, f"{doc_id} is visible but incomplete"
        assert info.n_chunks == len(expected)
    if k.point.corpus == "v2":
        # Articles the update did not touch, and those it edits, are never hidden, whatever
        # the kill point: an edited one is its old version or its new one.
        untouched = [f"story-{i:02d}.txt" for i in range(13, N_ARTICLES)]
        assert set(untouched) <= set(infos)
        hidden = [_doc(i) for i in EDITED if _doc(i) not in infos]
        assert not hidden, f"the killed update hid {hidden}"
    # `stats` counts the committed chunks only, not what the kill left behind.
    assert a.stats()["chunks"] == sum(i.n_chunks for i in infos.values())

    # 2. BM25 (rebuilt or loaded on open) holds exactly the committed chunks.
    committed = _committed_chunks(a)
    a.bm25.ensure_fresh()
    assert a.bm25.chunk_ids() == committed

    # 3. Questions are answered from what is visible: each edited article (and one nobody
    # touched) is found and quoted, from its old text or its new one.
    asked = [*EDITED, 20] if k.point.corpus == "v2" else [3, 20]
    old_hashes = {d: {i.content_hash} for d, i in world["refs"]["v1"].store.article_infos().items()}
    answered = 0
    for i in asked:
        if _doc(i) not in infos:
            continue  # a first ingest cut before this article
        # Found among all articles by its name alone, then answered from it (the offline
        # answerer needs the filter here: forty near-identical stories otherwise).
        assert a.retrieve(_bridge_question(i), mode="bm25").article_order[0] == _doc(i)
        answer = a.ask(_bridge_question(i), doc_ids=[_doc(i)])
        assert not answer.abstained, (_doc(i), answer.text)
        cite = answer.citations[0]
        assert cite.doc_id == _doc(i), (_doc(i), answer.text)
        # The visible version's date, quoted from it: old and new never mix.
        version = 1 if infos[_doc(i)].content_hash in old_hashes.get(_doc(i), ()) else 2
        assert answer.short == _opening(i, version), (_doc(i), version, answer.text)
        assert cite.quote in _article(i, version), cite.quote
        answered += 1

    # 4. Repair (what the next ingest does first) removes every orphan.
    with a.store.ingest_lock():
        orphans = a.store.repair()
    assert set(_chunk_table(a)) == committed
    assert orphans == len(table) - len(committed)

    # 5. Re-running ingest finishes the job: the same store as a clean ingest.
    report = a.ingest([k.corpus], prune=k.point.corpus == "v2")
    assert report.ok, report.failures
    assert _summary(a) == ref_summary
    assert _chunk_table(a) == _chunk_table(ref)
    assert a.bm25.chunk_ids() == set(_chunk_table(ref))
    assert not list(a.store.local_dir.glob(".bm25-*")), "a killed BM25 save left its folder"
    fresh = Assistant(store=k.store, embedder=embedder)  # and so does a later process
    assert fresh.ingest([k.corpus]).chunks_written == 0
    print(
        f"{name}: {k.point.note}; killed after {k.seconds:.1f}s with {len(infos)} articles "
        f"visible, {answered} answered, {orphans} orphan chunks repaired, {report.added} added and "
        f"{report.updated} updated on resume"
    )


def test_every_kill_run_was_killed(world: dict[str, Any]) -> None:
    # Each run was cut by SIGKILL (none finished first), whatever the machine's speed; the
    # time they took is printed by the fixture, never asserted.
    finished = [n for n, k in world["killed"].items() if k.returncode != -signal.SIGKILL]
    assert not finished, finished
