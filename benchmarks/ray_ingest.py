"""Ray ingest vs local ingest on one machine, into the same kind of `chroma run` server.

    .venv/bin/python benchmarks/ray_ingest.py [--articles 300] [--out reports/bench/ray.json]

The first N rtqa articles (read from ../shared at run time) are ingested three times, each
into a fresh collection of one `chroma run` server started here on 127.0.0.1:

* local: `Assistant.ingest` in this process (model loaded inside the timed call);
* ray, 1 worker: `--ray auto` with one embedding actor of all the machine's CPUs;
* ray, 2 workers: two actors of half the CPUs each.

The private Ray cluster is started before the runs are timed (a cluster outlives many
ingests); each Ray run pays its actors' start and model load, as the local run pays its own.
The runs are interleaved `--repeat` times and the best of each kind is compared.
Printed: chunks/s over the whole call, over its steady part (first to last committed article),
and the ratios to local. Nothing is asserted: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from chroma_server import chroma_server  # benchmarks/, the script's folder

SHARED = Path(__file__).resolve().parents[2] / "shared"


def sample(corpus: Path, n: int, dest: Path) -> int:
    with corpus.open(encoding="utf-8") as f, dest.open("w", encoding="utf-8") as out:
        k = 0
        for line in f:
            if line.strip() and k < n:
                out.write(line if line.endswith("\n") else line + "\n")
                k += 1
    return k


def run(name: str, url: str, corpus: Path, cache: Path, ray: Any = None) -> dict[str, Any]:
    from assistant import Assistant
    from assistant.scale.ray_ingest import ray_ingest_paths

    commits: list[float] = []
    t0 = time.perf_counter()
    a = Assistant(store=cache, chroma_url=url, collection=name.replace("-", "_"))
    if ray is None:
        from assistant.indexing import ingest_paths

        report = ingest_paths(
            [corpus],
            store=a.store,
            embedder=a.embedder,
            chunker=a.chunker,
            bm25=a.bm25,
            progress=False,
            on_article=lambda d, s: commits.append(time.perf_counter()),
        )
    else:
        report = ray_ingest_paths(
            [corpus],
            store=a.store,
            embedder_name=a.embedder.name,
            chunker=a.chunker,
            bm25=a.bm25,
            options=ray,
            progress=False,
            on_article=lambda d, s: commits.append(time.perf_counter()),
        )
    secs = time.perf_counter() - t0
    # Steady part: from the commit of the first group's last article (the first group pays
    # the start: model load, first batch) to the last commit.
    k = min(64, len(commits) // 4)
    steady_s = commits[-1] - commits[k - 1] if k >= 1 else float("nan")
    steady_chunks = report.chunks_written * (len(commits) - k) / max(len(commits), 1)
    out = {
        "name": name,
        "seconds": secs,
        "articles": report.added,
        "chunks": report.chunks_written,
        "chunks_per_s": report.chunks_written / secs,
        "steady_chunks_per_s": steady_chunks / steady_s if steady_s > 0 else float("nan"),
        "precision": getattr(a.embedder, "precision", None),
    }
    print(
        f"{name:<16} {secs:7.1f}s  {out['chunks_per_s']:6.1f} chunks/s  "
        f"(steady {out['steady_chunks_per_s']:6.1f})  {report.chunks_written} chunks",
        flush=True,
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(SHARED / "bench/rtqa/corpus.jsonl"))
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp_s:
        tmp = Path(tmp_s)
        corpus = tmp / "articles.jsonl"
        n = sample(Path(args.corpus), args.articles, corpus)
        cpus = os.cpu_count() or 1
        print(f"articles: {n}   cpus: {cpus}", flush=True)
        runs: dict[str, list[dict[str, Any]]] = {}
        with chroma_server(tmp / "chroma") as url:
            from assistant.scale.cluster import LOCAL, connected
            from assistant.scale.ray_ingest import RayOptions

            with connected(LOCAL):
                # Interleaved, best of --repeat: other work on the machine comes and goes,
                # and the best run of each is the one it disturbed least.
                for r in range(args.repeat):
                    name = f"local-{r}"
                    runs.setdefault("local", []).append(run(name, url, corpus, tmp / "c"))
                    for actors in (1, 2):
                        opts = RayOptions(LOCAL, actors=actors, actor_cpus=max(1.0, cpus / actors))
                        key = f"ray, {actors} worker" + ("s" if actors > 1 else "")
                        name = f"ray{actors}-{r}"
                        runs.setdefault(key, []).append(run(name, url, corpus, tmp / "c", opts))
        best = {k: max(v, key=lambda x: x["chunks_per_s"]) for k, v in runs.items()}
        local = best["local"]
        print(f"embed path: {local['precision']}; best of {args.repeat}:")
        print(
            f"{'local':<16} {local['chunks_per_s']:6.1f} chunks/s (steady "
            f"{local['steady_chunks_per_s']:6.1f})"
        )
        for k, r in best.items():
            if k == "local":
                continue
            r["vs_local"] = r["chunks_per_s"] / local["chunks_per_s"]
            r["steady_vs_local"] = r["steady_chunks_per_s"] / local["steady_chunks_per_s"]
            print(
                f"{k:<16} {r['chunks_per_s']:6.1f} chunks/s (steady "
                f"{r['steady_chunks_per_s']:6.1f})  / local = {r['vs_local']:.2f}x "
                f"(steady {r['steady_vs_local']:.2f}x)"
            )
        results = {"best": best, "runs": runs}
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"articles": n, **results}, indent=2))


if __name__ == "__main__":
    main()
