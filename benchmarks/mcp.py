"""What the MCP server adds to a call: p50 of `search` and `ask` through a real MCP client
(stdio, `assistant mcp` as its own process) against the same calls in Python.

    .venv/bin/python benchmarks/mcp.py [--store DIR] [--rounds 5] [--out reports/bench/mcp.json]

The store is filled from the seed articles (../shared/corpus/seeds, read at run time) when it
is empty. Questions: those of evals/seeds.yaml. Both sides are warmed up first (models
loaded); then each round asks every question once in Python and once through MCP,
alternately, so a busy machine slows both alike. Python: `Assistant.retrieve` / `.ask`;
MCP: `search` (top_k as the settings') / `ask` via `ClientSession.call_tool`, timed from
the client's request to its parsed result.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "corpus" / "seeds"
BIN = Path(sys.executable).parent


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


@contextlib.asynccontextmanager
async def _session(store: Path) -> AsyncIterator[Any]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=str(BIN / "assistant"), args=["mcp", "--store", str(store)], env=dict(os.environ)
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", type=Path, help="the seeds store (default: a temporary one)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from anyio.from_thread import start_blocking_portal

    from assistant import Assistant

    tmp = None
    store = args.store
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-mcp-")
        store = Path(tmp.name) / "store"
    a = Assistant(store=store, answerer="extractive")
    if a.store.count()[0] == 0:
        a.ingest([SEEDS])
    suite = yaml.safe_load((REPO / "evals" / "seeds.yaml").read_text(encoding="utf-8"))
    questions = [q["question"] for q in suite["questions"]]

    times: dict[str, list[float]] = {
        k: [] for k in ("py_search", "mcp_search", "py_ask", "mcp_ask")
    }
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_session(store)) as session,
    ):

        def mcp(name: str, arguments: dict[str, Any]) -> float:
            t = time.perf_counter()
            result = portal.call(session.call_tool, name, arguments)
            took = time.perf_counter() - t
            if result.is_error or result.structured_content is None:
                raise SystemExit(f"{name} failed through MCP: {result.content}")
            return took

        def py(fn: Any, question: str) -> float:
            t = time.perf_counter()
            fn(question)
            return time.perf_counter() - t

        # Warm-up: the embedder and the answerer load on first use, on both sides.
        mcp("ask", {"question": questions[0]})
        a.ask(questions[0])
        for _ in range(args.rounds):
            for q in questions:
                times["py_search"].append(py(a.retrieve, q))
                times["mcp_search"].append(mcp("search", {"query": q}))
                times["py_ask"].append(py(a.ask, q))
                times["mcp_ask"].append(mcp("ask", {"question": q}))

    ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
    report = {
        "calls_each": len(times["py_search"]),
        "p50_ms": {k: round(v, 2) for k, v in ms.items()},
        "p90_ms": {k: round(1000 * pct(v, 0.9), 2) for k, v in times.items()},
        "overhead_p50_ms": {
            "search": round(ms["mcp_search"] - ms["py_search"], 2),
            "ask": round(ms["mcp_ask"] - ms["py_ask"], 2),
        },
        "cpus": os.cpu_count(),
    }
    for tool in ("search", "ask"):
        print(
            f"mcp {tool}: p50 {ms['mcp_' + tool]:.1f} ms through MCP (stdio) vs "
            f"{ms['py_' + tool]:.1f} ms in Python: overhead "
            f"{report['overhead_p50_ms'][tool]:+.1f} ms p50 "  # type: ignore[index]
            f"({report['calls_each']} calls each)"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
