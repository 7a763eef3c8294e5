"""Every answer of a suite, question by question, to check that a refactor changed none.

    .venv/bin/python evals/answer_diff.py dump SUITE --store DIR --out BEFORE.json
    (change the code)
    .venv/bin/python evals/answer_diff.py dump SUITE --store DIR --out AFTER.json
    .venv/bin/python evals/answer_diff.py compare BEFORE.json AFTER.json

SUITE is a suite YAML (evals/seeds.yaml: every config) or `rtqa` (dev, hybrid; the benchmark
is read from ../shared/bench/rtqa). Each answer keeps its text, short answer, abstention,
standalone question and citations with offsets; follow-ups are asked after their history.
Use the same store for both dumps: this compares code, not ingests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant import Assistant
from assistant.evals.suite import load_rtqa, load_suite

RTQA = Path("..") / "shared" / "bench" / "rtqa"


def dump(suite_arg: str, store: str) -> dict[str, Any]:
    if suite_arg == "rtqa":
        suite = load_rtqa(RTQA / "corpus_small.jsonl", RTQA / "dev.jsonl")
        configs = {"hybrid": {"retrieval_mode": "hybrid"}}
    else:
        suite = load_suite(suite_arg)
        configs = {name: {**suite.settings, **suite.configs[name]} for name in suite.configs}
    out: dict[str, Any] = {}
    for name, overrides in configs.items():
        overrides = {k: v for k, v in overrides.items() if k != "store"}
        a = Assistant(store=store, **{"answerer": "extractive", **overrides})
        for q in suite.questions:
            history: list[tuple[str, str]] = []
            for turn in q.history:
                history.append((turn, a.ask(turn, history=history, as_of=q.as_of).text))
            ans = a.ask(q.question, history=history or None, as_of=q.as_of)
            out[f"{name}:{q.id}"] = {
                "text": ans.text,
                "short": ans.short,
                "abstained": ans.abstained,
                "standalone": ans.standalone_question,
                "citations": [[c.number, c.doc_id, c.start, c.end] for c in ans.citations],
            }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("suite")
    d.add_argument("--store", required=True)
    d.add_argument("--out", required=True)
    c = sub.add_parser("compare")
    c.add_argument("before")
    c.add_argument("after")
    args = parser.parse_args(argv)
    if args.command == "dump":
        answers = dump(args.suite, args.store)
        Path(args.out).write_text(json.dumps(answers, indent=1, ensure_ascii=False), "utf-8")
        print(f"{len(answers)} answers written to {args.out}")
        return 0
    before = json.loads(Path(args.before).read_text("utf-8"))
    after = json.loads(Path(args.after).read_text("utf-8"))
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    print(f"{len(before)} before, {len(after)} after: {len(changed)} answers differ")
    for key in changed[:20]:
        print(
            f"  {key}: {before.get(key, {}).get('text', '-')[:60]!r} -> "
            f"{after.get(key, {}).get('text', '-')[:60]!r}"
        )
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
