"""`Assistant.timeline` latency on the rtqa store: warm p50/p90 and where the time goes.

    .venv/bin/python benchmarks/timeline.py --store DIR [--corpus PATH] [--rounds 3]

The store is filled from the corpus first if it is empty (read from ../shared at run time; the
800-article corpus_small.jsonl takes 20-30 minutes to ingest here, so reuse a store). The
topics are the rtqa topics of evals/timelines.yaml; one warm-up timeline first. The load
average is printed beside the figures: on a shared machine it explains most of the spread.
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

    topics = [t.topic for t in load_timeline_suite(args.suite).topics if t.corpus == "rtqa"]
    a = Assistant(store=args.store)
    if a.store.count()[0] == 0:
        print(f"ingesting {args.corpus} (once)…", file=sys.stderr)
        a.ingest([args.corpus])
    a.timeline("warm-up: " + topics[0])
    load_before = os.getloadavg()[0]
    totals: list[float] = []
    steps: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for topic in topics:
            t = time.perf_counter()
            tl = a.timeline(topic)
            totals.append(time.perf_counter() - t)
            for k, v in tl.timings.items():
                steps.setdefault(k, []).append(v)
    result = {
        "topics": len(topics),
        "timelines": len(totals),
        "p50_s": round(statistics.median(totals), 3),
        "p90_s": round(pct(totals, 0.9), 3),
        "max_s": round(max(totals), 3),
        "steps_p50": {k: round(statistics.median(v), 3) for k, v in sorted(steps.items())},
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "articles": a.store.count()[0],
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
