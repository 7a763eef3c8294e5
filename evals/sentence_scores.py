"""How well the sentence score finds the sentence that states the answer, against a sentence
score learned from named features, on rtqa-weeks (fit on some weeks, checked on others).

    .venv/bin/pip install -e ".[train]"          # scikit-learn, for fitting only
    .venv/bin/python evals/sentence_scores.py --stores DIR [--stores DIR2] \\
        [--fit 2023] [--check 2024] [--cache FILE]

For each answerable question of the weeks that have a store in one of the `--stores` folders
(the stores `assistant eval rtqa-weeks --store DIR` builds), the question is retrieved as of
its date and every sentence of the retrieved chunks is scored as the offline answerer scores
it (`ExtractiveAnswerer.score_sentences`, every sentence embedded). Each sentence keeps its
named features and whether it holds the gold answer's text. A logistic regression fitted on
the `--fit` weeks then ranks the `--check` weeks' sentences; the report gives, for both sets,
how often a sentence holding the answer is first, among the first three and among the first
twelve (the ones the answer model reads candidates from) under the current score and under
the learned one, over all sentences and within the shortlist the answerer embeds. Nothing is
written into the package: this measures whether the score is worth learning.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "rtqa-weeks"
CACHE = ROOT.parent / "sentence-score-cache" / "sentences.jsonl"

# The sentence's own features; `score` (the current score) is the baseline, not a feature.
FEATURES = (
    "cosine",
    "overlap",
    "article_rank_inv",
    "unfinished",
    "log_words",
    "log_start",
    "title_overlap",
    "chunk_score",
)


def collect(args: argparse.Namespace) -> None:
    from assistant import Assistant
    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.answering.sentences import content_words
    from assistant.evals.suite import contains, load_rtqa_weeks

    cache = Path(args.cache)
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if cache.exists():
        done = {json.loads(line)["id"] for line in cache.read_text().splitlines() if line}
    stores = [Path(s) for s in args.stores]
    embedder = None
    with cache.open("a", encoding="utf-8") as out:
        for suite in load_rtqa_weeks(args.rtqa_weeks, args.weeks):
            week = suite.name.rsplit(" ", 1)[-1]
            store = next((s / week for s in stores if (s / week / "chroma").exists()), None)
            todo = [q for q in suite.questions if q.id not in done and q.type == "fact"]
            if store is None or not todo:
                continue
            a = Assistant(store=store, answerer="extractive", embedder=embedder)
            embedder = a.embedder
            scorer = ExtractiveAnswerer(a.embedder, model=None, embed_limit=None)
            # The answerer as it runs: it embeds only a shortlist of the sentences.
            answerer = ExtractiveAnswerer(a.embedder, model=None)
            for q in todo:
                if not q.answers:
                    continue
                res = a.retrieve(q.question, as_of=q.as_of)
                asked = set(content_words(q.question))
                rows = []
                shortlist = {
                    (s.rc.article.doc_id, s.start)
                    for s in answerer.score_sentences(q.question, res.chunks, res.query_vec)
                }
                for s in scorer.score_sentences(q.question, res.chunks, res.query_vec):
                    title = set(content_words(s.rc.article.title or ""))
                    rows.append(
                        {
                            "score": s.score,
                            "cosine": s.cosine,
                            "overlap": s.overlap,
                            "article_rank_inv": 1.0 / s.rc.rank,
                            "unfinished": 0.0 if re.search(r"[.!?\"”’)]$", s.text) else 1.0,
                            "log_words": math.log(len(s.text.split())),
                            "log_start": math.log1p(s.start),
                            "title_overlap": len(asked & title) / max(1, len(asked)),
                            "chunk_score": s.rc.score,
                            "shortlisted": (s.rc.article.doc_id, s.start) in shortlist,
                            "right": any(contains(s.text, g) for g in q.answers),
                        }
                    )
                out.write(json.dumps({"id": q.id, "week": week, "rows": rows}) + "\n")
            print(f"{week}: {len(todo)} questions", file=sys.stderr)


def _in(rec: dict[str, Any], spec: str) -> bool:
    return any(rec["week"].startswith(p.strip()) for p in spec.split(",") if p.strip())


def _found(
    recs: Sequence[dict[str, Any]], score: Callable[[dict[str, float]], float], k: int
) -> float:
    """The share of questions with an answering sentence anywhere that have one among the
    first `k` by `score`."""
    have = [r for r in recs if any(s["right"] for s in r["rows"])]
    hit = 0
    for r in have:
        order = np.argsort(-np.array([score(s) for s in r["rows"]]), kind="stable")[:k]
        hit += any(r["rows"][i]["right"] for i in order)
    return hit / len(have) if have else 0.0


def _shortlisted(rec: dict[str, Any]) -> dict[str, Any]:
    """The sentences the answerer embeds (its shortlist)."""
    return {**rec, "rows": [s for s in rec["rows"] if s["shortlisted"]]}


def fit(args: argparse.Namespace) -> None:
    from sklearn.linear_model import LogisticRegression

    from assistant.answering.tuning import TUNING

    # The answer model reads its candidates from this many best sentences.
    read = TUNING.learned_sentences

    recs = [json.loads(line) for line in Path(args.cache).read_text().splitlines() if line]
    fit_recs = [r for r in recs if _in(r, args.fit)]
    check_recs = [r for r in recs if _in(r, args.check)]
    if not fit_recs:
        sys.exit(f"no collected questions for --fit {args.fit} in {args.cache}")
    x = np.array([[s[f] for f in FEATURES] for r in fit_recs for s in r["rows"]])
    y = np.array([s["right"] for r in fit_recs for s in r["rows"]], dtype=int)
    mean, std = x.mean(0), x.std(0)
    std[std == 0] = 1.0
    lr = LogisticRegression(C=args.c, max_iter=3000).fit((x - mean) / std, y)
    w = lr.coef_[0]

    def learned(s: dict[str, float]) -> float:
        return float(((np.array([s[f] for f in FEATURES]) - mean) / std) @ w)

    def current(s: dict[str, float]) -> float:
        return float(s["score"])

    print(
        "weights (standardised):", {f: round(float(v), 2) for f, v in zip(FEATURES, w, strict=True)}
    )
    print("| set | sentences | k | current | learned |")
    print("|---|---|---|---|---|")
    for name, rs in ((f"fit {args.fit}", fit_recs), (f"check {args.check}", check_recs)):
        for where, pool in (("all", rs), ("shortlist", [_shortlisted(r) for r in rs])):
            for k in (1, 3, read):
                # Within the shortlist, the share is still of every question with an
                # answering sentence anywhere: what the shortlist drops counts as missed.
                scale = 1.0
                if where == "shortlist":
                    have_all = sum(1 for r in rs if any(s["right"] for s in r["rows"]))
                    have_short = sum(1 for r in pool if any(s["right"] for s in r["rows"]))
                    scale = have_short / have_all if have_all else 0.0
                now = scale * _found(pool, current, k)
                fitted = scale * _found(pool, learned, k)
                print(f"| {name} ({len(rs)} q) | {where} | {k} | {now:.3f} | {fitted:.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--stores", action="append", default=[], help="folder of per-week stores")
    ap.add_argument("--rtqa-weeks", default=str(SHARED))
    ap.add_argument("--weeks", default="all", help="weeks to collect (as `assistant eval`)")
    ap.add_argument("--cache", default=str(CACHE))
    ap.add_argument("--fit", default="2023")
    ap.add_argument("--check", default="2024")
    ap.add_argument("--c", type=float, default=0.1, help="inverse regularisation strength")
    ap.add_argument("--no-collect", action="store_true", help="only fit on the cache")
    args = ap.parse_args()
    if not args.no_collect:
        if not args.stores:
            sys.exit("pass --stores DIR (a folder of per-week stores), or --no-collect")
        collect(args)
    fit(args)


if __name__ == "__main__":
    main()
