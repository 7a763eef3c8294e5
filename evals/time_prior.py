"""Measure the time prior's decay shapes on retrieval (rtqa dev and the seeds suite).

    .venv/bin/python evals/time_prior.py --store /tmp/rtqa-store [--seeds-store /tmp/seeds]

Each question is embedded once; every candidate prior then re-ranks its candidates
(`Assistant.retrieve` of a `Query` with `time_priors`, given the embedding), so the grid is
cheap. Prints hit@1/2/5 and MRR@10 per setting, for the questions of each window kind and
overall, with the parser's time per question. The stores are filled from the corpora first
if empty (read from ../shared at run time, never copied).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant import Assistant
from assistant.evals.suite import Question, load_rtqa, load_suite
from assistant.query import Query
from assistant.temporal import DEFAULT_PRIORS, Prior, TimePriors, time_window

ROOT = Path(__file__).resolve().parent
# No time prior at all: ranking by relevance alone, the baseline of every prior.
NO_PRIOR = TimePriors(*[Prior(weight=0.0, scale=1.0)] * 3)
SHARED = ROOT.parent.parent / "shared"


def _prepare(a: Assistant, qs: list[Question]) -> list[dict[str, Any]]:
    out = []
    parse_ms = []
    for q in qs:
        if not q.sources:
            continue
        day = dt.date.fromisoformat(q.as_of) if q.as_of else dt.date.today()
        t = time.perf_counter()
        window = time_window(q.question, day)
        parse_ms.append((time.perf_counter() - t) * 1e3)
        vec = a.embedder.embed([q.question])[0]
        out.append({"q": q, "window": window, "vec": vec, "as_of": q.as_of})
    print(
        f"  parser: p50 {statistics.median(parse_ms):.2f} ms, max {max(parse_ms):.2f} ms; "
        + ", ".join(
            f"{k} {sum(1 for p in out if p['window'].kind == k)}"
            for k in ("recent", "dated", "none")
        )
    )
    return out


def _score(a: Assistant, prepared: list[dict[str, Any]], priors: TimePriors | None) -> dict:
    rows: dict[str, list[float]] = {}
    for p in prepared:
        q = p["q"]
        query = Query(q.question, as_of=q.as_of, top_k=10, time_priors=priors or NO_PRIOR)
        res = a.retrieve(query, query_vec=p["vec"])
        order = res.article_order
        rank = next((i + 1 for i, d in enumerate(order) if d in q.sources), None)
        for scope in ("all", p["window"].kind):
            r = rows.setdefault(scope, [])
            r.append(rank or 99)
    out = {}
    for scope, ranks in rows.items():
        n = len(ranks)
        out[scope] = {
            "n": n,
            "hit@1": sum(r <= 1 for r in ranks) / n,
            "hit@2": sum(r <= 2 for r in ranks) / n,
            "hit@5": sum(r <= 5 for r in ranks) / n,
            "mrr@10": sum(1 / r for r in ranks if r <= 10) / n,
        }
    return out


def _line(name: str, m: dict) -> str:
    cells = " ".join(
        f"{s}(n={v['n']}) h1 {v['hit@1']:.2f} h2 {v['hit@2']:.2f} h5 {v['hit@5']:.2f} "
        f"mrr {v['mrr@10']:.2f} |"
        for s, v in sorted(m.items())
    )
    return f"{name:42s} {cells}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default="", help="rtqa store (corpus_small; empty: skip)")
    ap.add_argument("--seeds-store", default="", help="seeds store (empty: skip the seeds)")
    ap.add_argument("--grid", action="store_true", help="search decay shapes, not only defaults")
    args = ap.parse_args()

    suites = []
    embedder = None
    if args.store:
        rtqa = load_rtqa(
            SHARED / "bench/rtqa/corpus_small.jsonl",
            SHARED / "bench/rtqa/dev.jsonl",
            configs={"hybrid": {}},
        )
        a = Assistant(store=args.store, answerer="extractive")
        embedder = a.embedder
        a.ingest(list(rtqa.corpus))
        suites.append(("rtqa dev", a, _prepare(a, list(rtqa.questions))))
    if args.seeds_store:
        seeds = load_suite(ROOT / "seeds.yaml")
        s = Assistant(store=args.seeds_store, answerer="extractive", embedder=embedder)
        s.ingest(list(seeds.corpus))
        suites.append(("seeds", s, _prepare(s, list(seeds.questions))))

    for title, asst, prepared in suites:
        print(f"== {title}")
        print(_line("no time prior", _score(asst, prepared, None)))
        print(_line("default", _score(asst, prepared, DEFAULT_PRIORS)))
        if not args.grid:
            continue
        grids = {
            "recent": itertools.product(
                (2.0, 4.0), (3.0, 7.0, 14.0), (1.0, 2.0), (None,), (None, 0.05, 0.1, 0.15)
            ),
            "none": itertools.product(
                (0.5, 1.0, 2.0, 4.0), (7.0, 14.0), (1.0, 2.0), (None,), (None, 0.05, 0.1, 0.15)
            ),
            "dated": itertools.product(
                (0.5, 1.0, 2.0), (30.0, 90.0), (1.0, 2.0), (None, 1825.0), (None, 0.1)
            ),
        }
        for kind, grid in grids.items():
            if not any(p["window"].kind == kind for p in prepared):
                continue
            for w, scale, power, after, margin in grid:
                prior = Prior(w, scale, power, after, margin)
                priors = replace(DEFAULT_PRIORS, **{kind: prior})
                m = _score(asst, prepared, priors)
                m = {k: v for k, v in m.items() if k in ("all", kind)}
                print(_line(f"{kind}: {prior}", m))


if __name__ == "__main__":
    main()
