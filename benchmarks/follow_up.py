"""What a follow-up adds to the answer time: the same questions with and without history.

    .venv/bin/python benchmarks/follow_up.py --store DIR [--suite evals/conversations.yaml]

The store is filled from the suite's corpus first (read from ../shared at run time; an
unchanged store is not embedded again). For every follow-up turn of the suite's
conversations, in one process after a warm-up: the follow-up asked alone (no history), and
asked after the earlier turns' answers (history), each `--repeat` times. Prints p50/p95 of
both, of their difference per question, and of the resolver's own time (`condense`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--store", help="store folder (default: a temporary one)")
    p.add_argument("--suite", default=str(REPO / "evals" / "conversations.yaml"))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--limit", type=int, default=0, help="only the first N follow-ups")
    args = p.parse_args()

    from assistant.core import Assistant
    from assistant.evals.runner import _corpus_paths
    from assistant.evals.suite import load_suite
    from assistant.types import Answer

    suite = load_suite(args.suite)
    with tempfile.TemporaryDirectory(prefix="follow-up-bench-") as tmp:
        store = Path(args.store or tmp)
        a = Assistant(store=store, **suite.settings)
        t = time.perf_counter()
        rep = a.ingest(_corpus_paths(suite, store))
        print(
            f"ingest: {rep.added} added, {rep.unchanged} unchanged "
            f"in {time.perf_counter() - t:.1f}s"
        )
        follow_ups = [q for q in suite.questions if q.history]
        if args.limit:
            follow_ups = follow_ups[: args.limit]
        a.ask(follow_ups[0].question)  # warm-up: models and indexes loaded
        alone: list[float] = []
        with_history: list[float] = []
        condense: list[float] = []
        diffs: list[float] = []
        for q in follow_ups:
            history: list[Answer] = []
            for turn in q.history:
                history.append(a.ask(turn, history=history or None, as_of=q.as_of))
            for _ in range(args.repeat):
                t = time.perf_counter()
                a.ask(q.question, as_of=q.as_of)
                t_alone = time.perf_counter() - t
                t = time.perf_counter()
                ans = a.ask(q.question, history=history, as_of=q.as_of)
                t_hist = time.perf_counter() - t
                alone.append(t_alone * 1000)
                with_history.append(t_hist * 1000)
                condense.append(ans.timings.get("condense", 0.0) * 1000)
                diffs.append((t_hist - t_alone) * 1000)
        rows: list[tuple[str, list[float]]] = [
            ("without history", alone),
            ("with history", with_history),
            ("difference (same question)", diffs),
            ("resolver (condense)", condense),
        ]
        print(f"{len(follow_ups)} follow-ups x {args.repeat} runs, one process")
        for name, values in rows:
            print(
                f"{name:28s} p50 {statistics.median(values):7.1f} ms   "
                f"p95 {pct(values, 0.95):7.1f} ms"
            )
        extra: dict[str, Any] = {
            "p50 added": statistics.median(with_history) - statistics.median(alone)
        }
        print(f"p50 with history - p50 without: {extra['p50 added']:.1f} ms")


if __name__ == "__main__":
    main()
