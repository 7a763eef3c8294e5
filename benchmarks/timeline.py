"""`Assistant.timeline` latency on the rtqa store: p50/p90 and where the time goes.

    .venv/bin/python benchmarks/timeline.py --store DIR [--corpus PATH] [--rounds 3]

The store is filled from the corpus first if it is empty (read from ../shared at run time; the
800-article corpus_small.jsonl takes 20-30 minutes to ingest here, so reuse a store). The
topics are the rtqa topics of evals/timelines.yaml; one warm-up timeline first (a topic of
another corpus), so the models are loaded. Round 1 asks each topic for the first time in the
process: its sentences are parsed and embedded afresh (`first`, the figure that counts for a
new topic). Later rounds ask the same topics again (`repeat`): their sentences' parses,
vectors and dates come from the in-process caches, as when a user changes the date range.
Each timeline's wall time and CPU time (all threads) are kept: on a shared machine the wall
time follows the load average (printed beside the figures), the CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench" / "rtqa"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--corpus", default=str(SHARED / "corpus_small.jsonl"))
    ap.add_argument("--suite", default=str(REPO / "evals" / "timelines.yaml"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="write the figures as JSON here")
    args = ap.parse_args()

    from assistant import Assistant
    from assistant.evals.timelines import load_timeline_suite

    suite = load_timeline_suite(args.suite)
    topics = [t.topic for t in suite.topics if t.corpus == "rtqa"]
    # The warm-up loads the models on a topic of another corpus: none of the measured
    # topics' sentences are in the caches before round 1.
    warm_up = next((t.topic for t in suite.topics if t.corpus != "rtqa"), "warm-up")
    a = Assistant(store=args.store)
    if a.store.count()[0] == 0:
        print(f"ingesting {args.corpus} (once)…", file=sys.stderr)
        a.ingest([args.corpus])
    a.timeline(warm_up)
    load_before = os.getloadavg()[0]
    walls: dict[str, list[float]] = {"first": [], "repeat": []}
    cpus: dict[str, list[float]] = {"first": [], "repeat": []}
    steps: dict[str, dict[str, list[float]]] = {"first": {}, "repeat": {}}
    for r in range(args.rounds):
        kind = "first" if r == 0 else "repeat"
        for topic in topics:
            t, c = time.perf_counter(), time.process_time()
            tl = a.timeline(topic)
            walls[kind].append(time.perf_counter() - t)
            cpus[kind].append(time.process_time() - c)
            for k, v in tl.timings.items():
                steps[kind].setdefault(k, []).append(v)
    result: dict[str, object] = {"topics": len(topics), "rounds": args.rounds}
    for kind in ("first", "repeat"):
        if not walls[kind]:
            continue
        result[kind] = {
            "timelines": len(walls[kind]),
            "p50_s": round(statistics.median(walls[kind]), 3),
            "p90_s": round(pct(walls[kind], 0.9), 3),
            "max_s": round(max(walls[kind]), 3),
            "cpu_p50_s": round(statistics.median(cpus[kind]), 3),
            "steps_p50": {
                k: round(statistics.median(v), 3) for k, v in sorted(steps[kind].items())
            },
        }
    result.update(
        {
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "cpus": os.cpu_count(),
            "articles": a.store.count()[0],
        }
    )
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
