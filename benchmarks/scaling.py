"""Scaling: ingest time, question latency and peak memory at growing corpus sizes.

    .venv/bin/python benchmarks/scaling.py [--sizes 100,400,800,3697] [--out reports/bench]
                                           [--ingest-only]

Each size runs in two fresh processes (read from ../shared at run time, never copied):

* ingest: the first N articles of `corpus.jsonl` into a new embedded store; seconds,
  chunks/s and the process's peak RSS (model load included: that is what a user's
  `assistant ingest` costs);
* serve: a new process opens that store and asks the rtqa dev questions warm, with
  `as_of` = question date; retrieval and answer p50/p95 and the serving peak RSS.

Ratios are taken against the smallest size of the same run, so a busy machine shifts all
rows alike. Writes `scaling.json` and `scaling.png` (time and latency against size).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

RTQA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "rtqa"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))] if s else 0.0


def _ingest(corpus: Path, n: int, store: Path) -> dict[str, Any]:
    from assistant import Assistant

    data = store.parent / f"corpus-{n}.jsonl"
    with corpus.open(encoding="utf-8") as src, data.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= n:
                break
            dst.write(line)
    a = Assistant(store=store, answerer="extractive")
    # The model load is reported by cold start, not here. Warm the runtime that ingest's
    # large batches use (torch): a one-text call would load the question path's
    # onnxruntime instead, which `assistant ingest` itself does not load.
    a.embedder.embed(["warm up"] * (getattr(a.embedder, "small_call", 0) + 1))
    t = time.perf_counter()
    rep = a.ingest([data])
    secs = time.perf_counter() - t
    return {
        "articles": rep.added,
        "chunks": rep.chunks_written,
        "seconds": secs,
        "chunks_per_s": rep.chunks_written / secs,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _serve(questions: Path, store: Path) -> dict[str, Any]:
    from assistant import Assistant

    a = Assistant(store=store, answerer="extractive")
    lines = questions.read_text(encoding="utf-8").splitlines()
    qs = [json.loads(x) for x in lines if x.strip()]
    a.ask(qs[0]["question"], as_of=qs[0]["question_date"])  # warm-up: model, BM25, kernels
    retrieve, answer = [], []
    for q in qs:
        ans = a.ask(q["question"], as_of=q["question_date"])
        retrieve.append(ans.timings.get("retrieve", 0.0) * 1e3)
        answer.append(ans.timings.get("answer", 0.0) * 1e3)
    return {
        "questions": len(qs),
        "retrieve_ms_p50": _pct(retrieve, 0.5),
        "retrieve_ms_p95": _pct(retrieve, 0.95),
        "answer_ms_p50": _pct(answer, 0.5),
        "answer_ms_p95": _pct(answer, 0.95),
        "serve_peak_rss_mb": _peak_rss_mb(),
    }


def _child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["articles"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(sizes, [r["seconds"] for r in rows], "o-")
    left.set(xlabel="articles", ylabel="ingest seconds", title="Ingest time")
    right.plot(sizes, [r["retrieve_ms_p50"] for r in rows], "o-", label="retrieval p50")
    right.plot(sizes, [r["answer_ms_p50"] for r in rows], "s-", label="answer p50")
    right.plot(sizes, [r["retrieve_ms_p95"] for r in rows], "o--", label="retrieval p95")
    right.set(xlabel="articles", ylabel="ms", title="Question latency (warm)")
    right.legend()
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,400,800,3697")
    ap.add_argument("--corpus", default=str(RTQA / "corpus.jsonl"))
    ap.add_argument("--questions", default=str(RTQA / "dev.jsonl"))
    ap.add_argument("--out", default="reports/bench")
    ap.add_argument(
        "--ingest-only",
        action="store_true",
        help="measure ingest only (no serving process, no plot); prints one line per size",
    )
    # Internal: one measurement in this (fresh) process, printed as one JSON line.
    ap.add_argument("--worker", choices=["ingest", "serve"], help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--store", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker == "ingest":
        print(json.dumps(_ingest(Path(args.corpus), args.n, Path(args.store))))
        return
    if args.worker == "serve":
        print(json.dumps(_serve(Path(args.questions), Path(args.store))))
        return

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    common = ["--corpus", args.corpus, "--questions", args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.sizes.split(",")):
            store = Path(tmp) / f"store-{n}" / "store"
            store.parent.mkdir(parents=True)
            row = _child(["--worker", "ingest", "--n", str(n), "--store", str(store), *common])
            if args.ingest_only:
                print(
                    f"{row['articles']:5d} articles {row['chunks']:6d} chunks  "
                    f"ingest {row['seconds']:7.1f}s ({row['chunks_per_s']:5.1f} chunks/s, "
                    f"peak {row['peak_rss_mb']:5.0f} MB)",
                    flush=True,
                )
                rows.append(row)
                continue
            row |= _child(["--worker", "serve", "--store", str(store), *common])
            rows.append(row)
            print(
                f"{row['articles']:5d} articles {row['chunks']:6d} chunks  "
                f"ingest {row['seconds']:7.1f}s ({row['chunks_per_s']:5.1f} chunks/s, "
                f"peak {row['peak_rss_mb']:5.0f} MB)  retrieval p50/p95 "
                f"{row['retrieve_ms_p50']:5.1f}/{row['retrieve_ms_p95']:5.1f} ms  "
                f"answer p50/p95 {row['answer_ms_p50']:5.1f}/{row['answer_ms_p95']:5.1f} ms  "
                f"serving peak {row['serve_peak_rss_mb']:4.0f} MB",
                flush=True,
            )
    if args.ingest_only:
        return
    base = rows[0]
    print("\nagainst the smallest size of this run:")
    for r in rows:
        per_chunk = (r["seconds"] / r["chunks"]) / (base["seconds"] / base["chunks"])
        print(
            f"{r['articles']:5d} articles: {r['articles'] / base['articles']:5.1f}x articles, "
            f"ingest time per chunk {per_chunk:4.2f}x, "
            f"retrieval p50 {r['retrieve_ms_p50'] / base['retrieve_ms_p50']:4.2f}x, "
            f"answer p50 {r['answer_ms_p50'] / base['answer_ms_p50']:4.2f}x"
        )
    summary = {
        "rows": rows,
        "median_chunks_per_s": statistics.median(r["chunks_per_s"] for r in rows),
    }
    (out / "scaling.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    _plot(rows, out / "scaling.png")
    print(f"\nwrote {out / 'scaling.json'} and {out / 'scaling.png'}")


if __name__ == "__main__":
    main()
