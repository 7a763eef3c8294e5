"""Question latency (warm, split into retrieval and answering) and cold start of `assistant ask`.

    .venv/bin/python benchmarks/questions.py --store DIR [--corpus PATH] [--cold-runs 3]

The store is filled from the corpus first if it is empty (read from ../shared at run time).
Warm: one process, the rtqa dev questions asked with `as_of` = question date, after one
warm-up question. Cold: `assistant ask` as a new process, process start to printed answer.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench" / "rtqa"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--corpus", default=str(SHARED / "corpus_small.jsonl"))
    ap.add_argument("--questions", default=str(SHARED / "dev.jsonl"))
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    from assistant import Assistant

    a = Assistant(store=args.store, answerer="extractive")
    if a.stats()["documents"] == 0:
        a.ingest([args.corpus])
    lines = Path(args.questions).read_text(encoding="utf-8").splitlines()
    qs = [json.loads(x) for x in lines if x.strip()]
    a.ask(qs[0]["question"], as_of=qs[0]["question_date"])  # warm-up: model, BM25, kernels
    retrieve, answer, total = [], [], []
    for q in qs:
        t = time.perf_counter()
        ans = a.ask(q["question"], as_of=q["question_date"])
        total.append(time.perf_counter() - t)
        retrieve.append(ans.timings.get("retrieve", 0.0))
        answer.append(ans.timings.get("answer", 0.0))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    cold = []
    exe = str(Path(sys.executable).with_name("assistant"))
    for _ in range(args.cold_runs):
        t = time.perf_counter()
        subprocess.run(
            [exe, "ask", qs[0]["question"], "--store", args.store], check=True, capture_output=True
        )
        cold.append(time.perf_counter() - t)

    res = {
        "questions": len(qs),
        "retrieve_ms": {"p50": pct(retrieve, 0.5) * 1e3, "p95": pct(retrieve, 0.95) * 1e3},
        "answer_ms": {"p50": pct(answer, 0.5) * 1e3, "p95": pct(answer, 0.95) * 1e3},
        "total_ms": {"p50": pct(total, 0.5) * 1e3, "p95": pct(total, 0.95) * 1e3},
        "cold_start_s": {"median": statistics.median(cold), "runs": cold},
        "peak_rss_mb_serving": rss,
    }
    print(f"{len(qs)} questions, warm, as_of = question date")
    for k in ("retrieve_ms", "answer_ms", "total_ms"):
        print(f"  {k:12s} p50 {res[k]['p50']:7.1f}   p95 {res[k]['p95']:7.1f}")
    print(
        f"cold start of `assistant ask`: median {res['cold_start_s']['median']:.2f} s "
        f"over {len(cold)} runs"
    )
    print(f"peak RSS while serving: {rss:.0f} MB")
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
