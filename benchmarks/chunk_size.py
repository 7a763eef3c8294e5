"""How the chunk size was chosen: rtqa dev retrieval and answers at several chunk sizes.

    .venv/bin/python benchmarks/chunk_size.py [--sizes 128,192,254] [--out reports/chunks]

Each size gets its own store built from `corpus_small.jsonl` (read from ../shared at run
time) and the dev questions through the offline answerer with hybrid retrieval, `as_of` =
question date. Sizes are MiniLM word pieces; the model reads 256, so every size here is
embedded whole (llama-index's default of 1024 tokens would be truncated for most chunks).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

RTQA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "rtqa"
METRICS = ("hit@5", "mrr@10", "acc_short", "acc_text", "cite_recall", "abstain_recall")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="128,192,254")
    ap.add_argument("--corpus", default=str(RTQA / "corpus_small.jsonl"))
    ap.add_argument("--questions", default=str(RTQA / "dev.jsonl"))
    ap.add_argument("--out", default="reports/chunks")
    args = ap.parse_args()

    from assistant.evals import load_rtqa, run_suite

    sizes = [int(x) for x in args.sizes.split(",")]
    configs = {
        f"chunk{s}": {"chunk_size": s, "chunk_overlap": min(32, s // 6), "retrieval_mode": "hybrid"}
        for s in sizes
    }
    suite = load_rtqa(args.corpus, args.questions, configs=configs)
    report = run_suite(suite, out=args.out)
    header = f"{'config':10s} {'ingest s':>9s} " + " ".join(f"{m:>14s}" for m in METRICS)
    print(header)
    for name, res in report.configs.items():
        got = [res.metrics.get(m) for m in METRICS]
        vals = " ".join(f"{v:14.3f}" if v is not None else f"{'-':>14s}" for v in got)
        print(f"{name:10s} {res.ingest_seconds or 0.0:9.1f} {vals}")
    print(f"reports in {args.out}")


if __name__ == "__main__":
    main()
