"""What the MCP server adds to a call: p50 of `search` and `ask` through a real MCP client
(stdio, `assistant mcp` as its own process) against the same calls in Python. (Not named
mcp.py: run as a script, that would shadow the SDK's `mcp` package.)

    .venv/bin/python benchmarks/mcp_overhead.py [--store DIR] [--rounds 5] [--out FILE.json]

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
import subprocess
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
# A pause before each timed call. onnxruntime's threads spin for a while after each run:
# on a machine with few cores, a call started at once would share them with the other
# process's spinning threads (the previous call's), and whichever side goes second pays.
PAUSE = 0.05


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
    from jsonschema import Draft202012Validator

    from assistant import Assistant

    tmp = None
    store = args.store
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-mcp-")
        store = Path(tmp.name) / "store"
    if Assistant(store=store).store.count()[0] == 0:
        # In a process of its own: ingest loads torch, whose idle threads would then share
        # the cores with the calls timed here.
        subprocess.run(
            [str(BIN / "assistant"), "ingest", str(SEEDS), "--store", str(store)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    a = Assistant(store=store, answerer="extractive")
    suite = yaml.safe_load((REPO / "evals" / "seeds.yaml").read_text(encoding="utf-8"))
    questions = [q["question"] for q in suite["questions"]]

    kinds = ("py_search", "mcp_search", "py_ask", "mcp_ask", "py_read", "mcp_read")
    times: dict[str, list[float]] = {k: [] for k in kinds}
    times.update({"check_search": [], "check_ask": [], "check_get_article": []})
    # The transport's own cost: a call that does almost nothing (ten characters of an
    # article) on both sides.
    doc_id = a.articles()[0].doc_id
    tiny = {"doc_id": doc_id, "start": 0, "end": 10}
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_session(store)) as session,
    ):
        listed = portal.call(session.list_tools).tools
        validators = {t.name: Draft202012Validator(t.output_schema) for t in listed}

        def mcp(name: str, arguments: dict[str, Any]) -> float:
            time.sleep(PAUSE)
            t = time.perf_counter()
            result = portal.call(session.call_tool, name, arguments)
            took = time.perf_counter() - t
            if result.is_error or result.structured_content is None:
                raise SystemExit(f"{name} failed through MCP: {result.content}")
            # What the SDK's client spends checking the result against the tool's output
            # schema (jsonschema, inside call_tool): the same check again, timed.
            t = time.perf_counter()
            for _ in validators[name].iter_errors(result.structured_content):
                raise SystemExit(f"{name}: result does not match its schema")
            times[f"check_{name}"].append(time.perf_counter() - t)
            return took

        def py(fn: Any, question: str) -> float:
            time.sleep(PAUSE)
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
                times["py_read"].append(py(lambda _: a.get_articles([doc_id]), q))
                times["mcp_read"].append(mcp("get_article", tiny))

    ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
    report = {
        "calls_each": len(times["py_search"]),
        "p50_ms": {k: round(v, 2) for k, v in ms.items()},
        "p90_ms": {k: round(1000 * pct(v, 0.9), 2) for k, v in times.items()},
        "overhead_p50_ms": {
            "search": round(ms["mcp_search"] - ms["py_search"], 2),
            "ask": round(ms["mcp_ask"] - ms["py_ask"], 2),
            "get_article (transport)": round(ms["mcp_read"] - ms["py_read"], 2),
        },
        "cpus": os.cpu_count(),
        # Other people's work on the machine: what the figures were measured under.
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    for tool, key in (("search", "search"), ("ask", "ask"), ("get_article", "read")):
        print(
            f"mcp {tool}: p50 {ms['mcp_' + key]:.1f} ms through MCP (stdio) vs "
            f"{ms['py_' + key]:.1f} ms in Python: overhead "
            f"{ms['mcp_' + key] - ms['py_' + key]:+.1f} ms p50, of which the client's "
            f"schema check {ms['check_' + tool]:.1f} ms "
            f"({report['calls_each']} calls each, load average {os.getloadavg()[0]:.1f})"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
