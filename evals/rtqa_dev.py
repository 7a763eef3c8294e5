"""Score the assistant on the rtqa dev questions (read from ../shared at run time).

    .venv/bin/python evals/rtqa_dev.py [--store DIR] [--modes hybrid,dense,bm25]

Scoring follows ../shared/bench/rtqa/README.md: normalised whole-word match of the gold
answer in the response, citation correct when a gold article is cited, abstention correct
when the assistant abstains. Questions flagged `needs_choices` are reported separately.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import unicodedata
from pathlib import Path

from assistant import Assistant

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "rtqa"


def norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).casefold()
    return " ".join("".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in s).split())


def contains(response: str, answer: str) -> bool:
    return f" {norm(answer)} " in f" {norm(response)} "


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default="/tmp/rtqa-store")
    ap.add_argument("--corpus", default=str(SHARED / "corpus_small.jsonl"))
    ap.add_argument("--questions", default=str(SHARED / "dev.jsonl"))
    ap.add_argument("--modes", default="hybrid,dense,bm25")
    ap.add_argument("--dump", default="")
    args = ap.parse_args()
    lines = Path(args.questions).read_text(encoding="utf-8").splitlines()
    qs = [json.loads(line) for line in lines if line.strip()]
    base = Assistant(store=args.store, answerer="extractive")
    t = time.perf_counter()
    rep = base.ingest([args.corpus], progress=True)
    print(
        f"ingest: {rep.added} added, {rep.unchanged} unchanged, {rep.failed} failed, "
        f"{rep.chunks_embedded} chunks embedded in {time.perf_counter() - t:.1f}s"
    )
    rows = []
    for mode in args.modes.split(","):
        a = Assistant(
            store=args.store, answerer="extractive", retrieval_mode=mode, embedder=base.embedder
        )
        stats: dict[str, list[float]] = {
            k: [] for k in ("hit2", "hit5", "mrr10", "text", "short", "cite", "abstain", "lat")
        }
        dump = []
        for q in qs:
            if q.get("needs_choices"):
                continue
            t = time.perf_counter()
            ans = a.ask(q["question"], as_of=q["question_date"])
            stats["lat"].append(time.perf_counter() - t)
            if q["type"] == "abstain":
                stats["abstain"].append(float(ans.abstained))
                dump.append({"q": q["question"], "abstained": ans.abstained, "text": ans.text})
                continue
            order = a.retrieve(q["question"], as_of=q["question_date"], top_k=10).article_order
            gold = set(q["gold_doc_ids"])
            rank = next((i + 1 for i, d in enumerate(order) if d in gold), None)
            stats["hit2"].append(float(rank is not None and rank <= 2))
            stats["hit5"].append(float(rank is not None and rank <= 5))
            stats["mrr10"].append(1.0 / rank if rank else 0.0)
            stats["text"].append(float(not ans.abstained and contains(ans.text, q["answer"])))
            stats["short"].append(float(not ans.abstained and contains(ans.short, q["answer"])))
            stats["cite"].append(float(any(c.doc_id in gold for c in ans.citations)))
            dump.append(
                {
                    "q": q["question"],
                    "gold": q["answer"],
                    "short": ans.short,
                    "abstained": ans.abstained,
                    "rank": rank,
                    "text": ans.text[:400],
                }
            )
        row = {
            k: (statistics.mean(v) if v else float("nan")) for k, v in stats.items() if k != "lat"
        }
        row["p50_ms"] = statistics.median(stats["lat"]) * 1000
        row["mode"] = mode
        rows.append(row)
        if args.dump:
            Path(f"{args.dump}.{mode}.json").write_text(json.dumps(dump, indent=1))
    print("| mode | hit@2 | hit@5 | MRR@10 | text acc | short acc | cite acc | abstain | p50 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['mode']} | {r['hit2']:.2f} | {r['hit5']:.2f} | {r['mrr10']:.2f} | "
            f"{r['text']:.2f} | {r['short']:.2f} | {r['cite']:.2f} | {r['abstain']:.2f} | "
            f"{r['p50_ms']:.0f} |"
        )


if __name__ == "__main__":
    main()
