"""What sharing BM25 between replicas of one Chroma server costs, by where the index lives.

    .venv/bin/python benchmarks/shared_bm25.py [--sizes 800,3697] [--out reports/bench/bm25.json]

For each size, the first N rtqa articles are ingested into a `chroma run` server on 127.0.0.1
(with a fast stand-in embedder: BM25's costs do not depend on the vectors). Then, each in a
fresh process so times and peak memory are its own:

* check: what a replica pays per question to learn whether the store changed: one read of
  the server's state collection, against reading every article record (the stamp);
* rebuild: a replica with a folder of its own builds the index from Chroma's records;
* load: a replica whose folder is the writer's (shared storage) loads the saved index;

plus the index's size on disk. Figures are printed with a linear projection to a million
articles. Nothing is asserted: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from chroma_server import chroma_server  # benchmarks/, the script's folder

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SHARED = Path(__file__).resolve().parents[2] / "shared"
MILLION = 1_000_000


def _assistant(store: str, url: str, collection: str) -> Any:
    from assistant import Assistant
    from assistant.testing import HashEmbedder

    return Assistant(
        store=store, chroma_url=url, collection=collection, embedder=HashEmbedder(dimension=384)
    )


def child(mode: str, store: str, url: str, collection: str) -> dict[str, float]:
    """One measurement, in this (fresh) process."""
    from llama_index.core.schema import TextNode  # noqa: F401 - imported before timing
    from llama_index.retrievers.bm25 import BM25Retriever  # noqa: F401

    a = _assistant(store, url, collection)
    base = _vm("VmRSS")
    out: dict[str, float] = {"rss_before_mb": base}
    if mode == "check":
        a.store.generation_state()  # connection warm
        state = [_timed(a.store.generation_state) for _ in range(30)]
        stamp = [_timed(a.store.stamp) for _ in range(5)]
        out.update(state_ms=statistics.median(state) * 1e3, stamp_ms=statistics.median(stamp) * 1e3)
    else:
        t = time.perf_counter()
        a.bm25.ensure_fresh()
        out["seconds"] = time.perf_counter() - t
        out["chunks"] = len(a.bm25.chunk_ids())
    out["peak_rss_mb"] = _vm("VmHWM")
    return out


def _vm(field: str) -> float:
    """This process's memory in MB from /proc (getrusage's peak would include the parent's:
    Linux keeps it across exec)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _run_child(mode: str, store: Path, url: str, collection: str) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(store), url, collection],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def measure(url: str, corpus: Path, n: int, tmp: Path) -> dict[str, Any]:
    part = tmp / f"first-{n}.jsonl"
    with corpus.open(encoding="utf-8") as f, part.open("w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i >= n:
                break
            out.write(line)
    collection = f"bm25_{n}"
    writer_store = tmp / f"writer-{n}"
    t = time.perf_counter()
    report = _assistant(str(writer_store), url, collection).ingest([part])
    ingest_s = time.perf_counter() - t
    folder = next(writer_store.glob("server-*")) / "bm25"
    res: dict[str, Any] = {
        "articles": report.added,
        "chunks": report.chunks_written,
        "ingest_s": ingest_s,
        "index_mb": _size_mb(folder),
        "check": _run_child("check", writer_store, url, collection),
        "rebuild": _run_child("rebuild", tmp / f"replica-{n}", url, collection),
        "load": _run_child("load", writer_store, url, collection),
    }
    print(
        f"{res['articles']:>6} articles {res['chunks']:>7} chunks | per question: state "
        f"{res['check']['state_ms']:.1f} ms vs every record {res['check']['stamp_ms']:.0f} ms | "
        f"rebuild {res['rebuild']['seconds']:.1f} s (peak {res['rebuild']['peak_rss_mb']:.0f} MB) "
        f"| load {res['load']['seconds']:.2f} s (peak {res['load']['peak_rss_mb']:.0f} MB) | "
        f"index {res['index_mb']:.0f} MB",
        flush=True,
    )
    return res


def project(r: dict[str, Any]) -> dict[str, float]:
    """Linear in the number of articles (chunks per article stay flat; see docs/performance.md)."""
    k = MILLION / r["articles"]
    return {
        "stamp_s": r["check"]["stamp_ms"] * k / 1e3,
        "rebuild_s": r["rebuild"]["seconds"] * k,
        "rebuild_gb": (r["rebuild"]["peak_rss_mb"] - r["rebuild"]["rss_before_mb"]) * k / 1e3,
        "load_s": r["load"]["seconds"] * k,
        "index_gb": r["index_mb"] * k / 1e3,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(*sys.argv[2:6])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(SHARED / "bench/rtqa/corpus.jsonl"))
    ap.add_argument("--sizes", default="800,3697")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-bm25-") as tmp_s:
        tmp = Path(tmp_s)
        with chroma_server(tmp / "chroma") as url:
            for n in (int(x) for x in args.sizes.split(",")):
                results.append(measure(url, Path(args.corpus), n, tmp))
    p = project(results[-1])
    print(
        f"projected to {MILLION:,} articles: every record read {p['stamp_s']:.0f} s; rebuild "
        f"{p['rebuild_s'] / 3600:.1f} h and {p['rebuild_gb']:.0f} GB per replica; load "
        f"{p['load_s'] / 60:.1f} min; index {p['index_gb']:.1f} GB"
    )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"sizes": results, "million": p}, indent=2))


if __name__ == "__main__":
    main()
