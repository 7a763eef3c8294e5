"""The Chroma server's own write ceiling: chunks/s with 1, 2 and 4 concurrent writers.

    .venv/bin/python benchmarks/chroma_writes.py [--articles 600] [--out reports/bench/writes.json]

The first N rtqa articles are cleaned, chunked and embedded once with our model (cached in
`--vectors`, so a second run skips it); then each writer count writes all of them into a
fresh collection of one `chroma run` server on 127.0.0.1, the articles split between writer
processes, each calling `Store.write_articles` on groups of 64 articles: the exact write of
an ingest (chunks, article records, stale-chunk lookup), with no embedding. What a Ray
ingest's actors can write at most, however many embed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from chroma_server import chroma_server  # benchmarks/, the script's folder

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[2] / "shared"
GROUP = 64


def prepare(corpus: Path, n: int, cache: Path) -> dict[str, Any]:
    """Articles, chunks and their vectors (our model), cached as JSON + npz."""
    from assistant.chunking import Chunker
    from assistant.config import Settings
    from assistant.embeddings import make_embedder
    from assistant.indexing import article_salt
    from assistant.ingest import build_article, read_paths
    from assistant.types import Article

    meta, vec_path = cache.with_suffix(".json"), cache.with_suffix(".npz")
    if meta.exists() and vec_path.exists():
        data = json.loads(meta.read_text())
        if data["articles_asked"] == n:
            with np.load(vec_path) as z:
                data["vectors"] = z["vectors"]
            return data
    embedder = make_embedder(Settings())
    chunker = Chunker()
    arts: list[Article] = []
    for item in read_paths([corpus]):
        if len(arts) >= n:
            break
        art = build_article(item, salt=article_salt(chunker, embedder.name))  # type: ignore[arg-type]
        if isinstance(art, Article):
            arts.append(art)
    chunks = chunker.split_many(arts)
    texts = [c.text for cs in chunks for c in cs]
    t = time.perf_counter()
    vectors = embedder.embed(texts)
    print(f"embedded {len(texts)} chunks once in {time.perf_counter() - t:.0f}s", flush=True)
    data = {
        "articles_asked": n,
        "articles": [a.model_dump(mode="json") for a in arts],
        "chunks": [[c.model_dump() for c in cs] for cs in chunks],
        "embedder": embedder.name,
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps(data))
    np.savez(vec_path, vectors=vectors)
    data["vectors"] = vectors
    return data


def writer(
    url: str, collection: str, embedder: str, items: list[Any], start: Any, out: Any
) -> None:
    from assistant.config import Settings
    from assistant.store import Store
    from assistant.types import Article, Chunk

    store = Store(
        Settings(chroma_url=url, collection=collection, store=tempfile.mkdtemp()),
        embedder_name=embedder,
        dimension=384,
    )
    groups = []
    for i in range(0, len(items), GROUP):
        groups.append(
            [
                (
                    Article.model_validate(a),
                    [Chunk.model_validate(c) for c in cs],
                    np.asarray(v, dtype=np.float32),
                )
                for a, cs, v in items[i : i + GROUP]
            ]
        )
    start.wait()
    t = time.perf_counter()
    for g in groups:
        store.write_articles(g)
    out.put(time.perf_counter() - t)


def run(url: str, data: dict[str, Any], writers: int) -> dict[str, float]:
    vectors = data["vectors"]
    items, k = [], 0
    for a, cs in zip(data["articles"], data["chunks"], strict=True):
        items.append((a, cs, vectors[k : k + len(cs)].tolist()))
        k += len(cs)
    n_chunks = k
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(writers + 1), ctx.Queue()
    shares = [items[i::writers] for i in range(writers)]
    collection = f"writes{writers}_{os.getpid()}"
    procs = [
        ctx.Process(target=writer, args=(url, collection, data["embedder"], s, start, out))
        for s in shares
    ]
    for p in procs:
        p.start()
    start.wait()
    t = time.perf_counter()
    per_writer = [out.get(timeout=3600) for _ in procs]
    wall = time.perf_counter() - t
    for p in procs:
        p.join(timeout=60)
    res = {
        "writers": writers,
        "chunks": n_chunks,
        "seconds": wall,
        "chunks_per_s": n_chunks / wall,
        "slowest_writer_s": max(per_writer),
    }
    print(f"{writers} writer(s): {wall:6.1f}s  {res['chunks_per_s']:7.1f} chunks/s", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(SHARED / "bench/rtqa/corpus.jsonl"))
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--writers", default="1,2,4")
    ap.add_argument("--vectors", default="reports/bench/write-vectors")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    data = prepare(Path(args.corpus), args.articles, Path(args.vectors))
    print(f"articles: {len(data['articles'])}   chunks: {len(data['vectors'])}", flush=True)
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp,
        chroma_server(Path(tmp) / "chroma") as url,
    ):
        for w in (int(x) for x in args.writers.split(",")):
            results.append(run(url, data, w))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"runs": results}, indent=2))


if __name__ == "__main__":
    main()
