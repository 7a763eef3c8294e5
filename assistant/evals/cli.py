"""`assistant eval SUITE`: run a suite, print tables, write reports, gate on thresholds.

Wire into assistant/cli.py's build_parser: `add_eval_parser(sub)`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

__all__ = ["add_eval_parser", "cmd_eval", "print_comparison", "print_report"]

# Where the benchmark sits beside a checkout of this repository (it may not be redistributed,
# so it is never packaged): relative to the working directory, overridable with --rtqa.
_RTQA = Path("..") / "shared" / "bench" / "rtqa"
_RTQA_WEEKS = Path("..") / "shared" / "bench" / "rtqa-weeks"
# The configs of the benchmark suites: the three retrieval modes, and `rules` (hybrid with the
# hand-set rules instead of the fitted answer model: the before of an after).
_BENCH_CONFIGS: dict[str, dict[str, Any]] = {
    **{m: {"retrieval_mode": m} for m in ("hybrid", "dense", "bm25")},
    "rules": {"retrieval_mode": "hybrid", "answer_model": "rules"},
}


def add_eval_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `eval` subcommand to an argparse subparsers object."""
    sp: argparse.ArgumentParser = subparsers.add_parser(
        "eval",
        help="run an evaluation suite (exit 1 when a threshold is not met)",
        description="Run an evaluation suite: a YAML file (see evals/README.md), `rtqa` or "
        "`rtqa-weeks`.",
    )
    sp.add_argument(
        "suite",
        help="suite YAML path (a timeline suite, `kind: timeline`, too: evals/timelines.yaml), "
        "`rtqa` for the rtqa benchmark, or `rtqa-weeks` for its weekly quizzes (one store per "
        "week)",
    )
    sp.add_argument(
        "--store",
        help="store folder to ingest into and reuse (default: temporary); for rtqa-weeks and "
        "timeline suites, a folder of stores (one per week, or per corpus)",
    )
    sp.add_argument("--out", help="folder for report.json, report.md and report.html")
    sp.add_argument("--compare", metavar="OLD_REPORT.json", help="show deltas against a report")
    sp.add_argument(
        "--config",
        dest="configs",
        action="append",
        metavar="NAME",
        help="run only this config of the suite (repeatable)",
    )
    sp.add_argument(
        "--judge-runs",
        type=_runs,
        default=0,
        metavar="N",
        help="judge each answer N times with the LLM (OPENAI_BASE_URL/OPENAI_API_KEY) for "
        "judged faithfulness and correctness, mean ± spread over the runs (default 0: off)",
    )
    sp.add_argument(
        "--judge-model",
        metavar="MODEL",
        help="the judge's model (default: ASSISTANT_LLM_MODEL, the answerer's)",
    )
    sp.add_argument(
        "--rtqa",
        default=str(_RTQA),
        metavar="DIR",
        help="rtqa: the benchmark's folder (default: ../shared/bench/rtqa)",
    )
    sp.add_argument(
        "--corpus",
        help="rtqa: corpus JSONL (default: corpus_small.jsonl in the --rtqa folder)",
    )
    sp.add_argument(
        "--questions",
        help="rtqa: questions JSONL (default: dev.jsonl in the --rtqa folder)",
    )
    sp.add_argument(
        "--rtqa-weeks",
        default=str(_RTQA_WEEKS),
        metavar="DIR",
        help="rtqa-weeks: the benchmark's folder (default: ../shared/bench/rtqa-weeks)",
    )
    sp.add_argument(
        "--weeks",
        default="all",
        metavar="SPEC",
        help="rtqa-weeks: which weeks: all, a year (2024), weeks (20240105), comma-separated, "
        "each optionally cut to its first N weeks (2024:10); reported by year",
    )
    sp.set_defaults(func=cmd_eval)
    return sp


def _runs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of runs (0 = off), not {text!r}")
    return n


def cmd_eval(args: argparse.Namespace) -> int:
    from rich.console import Console

    from assistant.evals.runner import run_suite, run_weeks
    from assistant.evals.suite import load_rtqa, load_rtqa_weeks

    console = Console()
    suite: Any = args.suite
    configs = args.configs
    if _is_timeline_suite(args.suite):
        return _run_timelines(args, console)
    if args.suite == "rtqa-weeks":
        weeks = load_rtqa_weeks(args.rtqa_weeks, args.weeks, configs=_BENCH_CONFIGS)
        config = (configs or ["hybrid"])[0]
        if config not in _BENCH_CONFIGS:
            raise ConfigError(
                f"rtqa-weeks: unknown config {config!r}; choose one of {', '.join(_BENCH_CONFIGS)}"
            )
        with console.status(f"running {len(weeks)} weeks…"):
            report = run_weeks(
                weeks,
                stores=args.store,
                out=args.out,
                config=config,
                compare=args.compare,
            )
        return _finish(report, args, console)
    if args.suite == "rtqa":
        rtqa_configs = _BENCH_CONFIGS
        corpus = Path(args.corpus or Path(args.rtqa) / "corpus_small.jsonl")
        questions = Path(args.questions or Path(args.rtqa) / "dev.jsonl")
        for what, path in (("corpus", corpus), ("questions", questions)):
            if not path.is_file():
                raise ConfigError(
                    f"rtqa {what} not found at {path}: pass the benchmark's folder with "
                    "--rtqa DIR (or the file with --" + what + ")"
                )
        suite = load_rtqa(corpus, questions, configs=rtqa_configs)
        configs = configs or ["hybrid"]
    with console.status("running the suite…"):
        report = run_suite(
            suite,
            store=args.store,
            out=args.out,
            configs=configs,
            compare=args.compare,
            judge_runs=getattr(args, "judge_runs", 0),
            judge_model=getattr(args, "judge_model", None),
        )
    return _finish(report, args, console)


def _is_timeline_suite(path: str) -> bool:
    """A YAML suite whose `kind` is `timeline` (evals/timelines.yaml)."""
    import yaml

    p = Path(path)
    if p.suffix not in (".yaml", ".yml") or not p.is_file():
        return False
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False  # load_suite reports it
    return isinstance(data, dict) and data.get("kind") == "timeline"


def _run_timelines(args: argparse.Namespace, console: Any) -> int:
    from assistant.evals.timeline_report import METRICS, fmt
    from assistant.evals.timelines import run_timeline_suite

    with console.status("building the timelines…"):
        report = run_timeline_suite(args.suite, stores=args.store, out=args.out)
    _print_fitted(
        console,
        f"{report.suite}: {len(report.topics)} topics",
        ["scope"],
        [
            ([scope], [fmt(m, ms.get(m)) for m in METRICS])
            for scope, ms in [("all", report.metrics), *report.by_corpus.items()]
        ],
        list(METRICS),
    )
    for key, bound in report.thresholds.items():
        failed = any(f.startswith(f"{key}:") for f in report.failed)
        mark = "[red]FAIL[/red]" if failed else "[green]pass[/green]"
        console.print(f"{mark} {key} {fmt(key, bound)} (got {fmt(key, report.metrics.get(key))})")
    if args.out:
        console.print(f"Reports written to {args.out}/report.{{json,md,html}}")
    if not report.passed:
        console.print("[red bold]Threshold(s) not met: failing.[/red bold]")
        return 1
    return 0


def _finish(report: Any, args: argparse.Namespace, console: Any) -> int:
    print_report(report, console)
    if report.comparison is not None:
        print_comparison(report.comparison, console)
    if args.out:
        console.print(f"Reports written to {args.out}/report.{{json,md,html}}")
    if not report.passed:
        console.print("[red bold]Threshold(s) not met: failing.[/red bold]")
        return 1
    return 0


def _print_fitted(
    console: Any,
    title: str,
    keys: list[str],
    rows: list[tuple[list[str], list[str]]],
    metrics: list[str],
) -> None:
    """Print a table of `keys` then `metrics` columns, split into as many tables as it takes
    for every cell to show whole at the console's width (80 in a log or a pipe): a metric
    column is never cut to "0.…"."""
    from rich.table import Table

    def width(header: str, cells: list[str]) -> int:
        return max([len(header), *(len(c) for c in cells)]) + 2  # a space either side

    # The outer edges have no padding: two spaces fewer in all.
    key_width = sum(width(k, [r[0][i] for r in rows]) for i, k in enumerate(keys)) - 2
    groups: list[list[int]] = [[]]
    used = key_width
    for j, name in enumerate(metrics):
        w = width(name, [r[1][j] for r in rows])
        if groups[-1] and used + w > console.width:
            groups.append([])
            used = key_width
        groups[-1].append(j)
        used += w
    # The title on a line of its own: a narrow continuation table would wrap it word by word.
    console.print(title, style="italic", highlight=False)
    for group in groups:
        # No rules and no edge padding: as many columns as possible fit one table.
        t = Table(box=None, pad_edge=False, padding=(0, 1), header_style="bold")
        for i, k in enumerate(keys):
            t.add_column(k, no_wrap=True, justify="left" if i == 0 else "right")
        for j in group:
            t.add_column(metrics[j], justify="right", no_wrap=True)
        for key_cells, cells in rows:
            t.add_row(*key_cells, *(cells[j] for j in group))
        console.print(t)


def print_report(report: Any, console: Any) -> None:
    from rich.markup import escape

    from assistant.evals.report import SHORT_NAMES, SUMMARY, cell, fmt, judged

    modes = ", ".join(sorted({c.answer_mode for c in report.configs.values()}))
    metrics = [SHORT_NAMES.get(col, col) for col in SUMMARY]

    _print_fitted(
        console,
        f"{report.suite}: {report.n_questions} questions, {modes} answerer",
        ["config"],
        [
            ([name], [fmt(m, c.metrics.get(m)) for m in SUMMARY])
            for name, c in report.configs.items()
        ],
        metrics,
    )
    for name, c in report.configs.items():
        _print_fitted(
            console,
            f"by question type: {name}",
            ["type", "n"],
            [
                ([qt, str(int(ms.get("n") or 0))], [fmt(m, ms.get(m)) for m in SUMMARY])
                for qt, ms in c.by_type.items()
            ],
            metrics,
        )
    if report.skipped:
        console.print(f"skipped: {report.skipped}")
    console.print(
        "acc: accuracy, h@k: hit@k, t:rec/t:date: share of questions ranked for the latest "
        "news / for a dated span, short/text: answer accuracy, citeP/R: citation "
        "precision/recall, quote: valid quotes, absP/R: abstention precision/recall",
        style="dim",
    )
    if judged(report):
        # A table of its own: two "0.75±0.35" columns more would not fit 100 columns.
        _print_fitted(
            console,
            "judged by the LLM: mean ± standard deviation across runs",
            ["config", "type", "n"],
            [
                (
                    [name if scope == "all" else "", scope, str(int(ms.get("n") or 0))],
                    [
                        cell("judged_faithfulness", ms),
                        cell("judged_correctness", ms),
                        str(int(ms.get("judge_runs") or 0)),
                        str(int(ms.get("judge_missing") or 0)),
                    ],
                )
                for name, c in report.configs.items()
                for scope, ms in [("all", c.metrics), *c.by_type.items()]
            ],
            ["faithfulness", "correctness", "runs", "missing"],
        )
        console.print(
            "faithfulness: claims supported by the cited passages; correctness: matches the "
            "expected answer (abstain questions: abstained). missing: unreadable verdicts, "
            "left out of the means.",
            style="dim",
        )
        gaps = [
            f"{name} {q.id} {m}"
            for name, c in report.configs.items()
            for q in c.questions
            for m in (q.judged.missing if q.judged else ())
        ]
        for gap in gaps[:10]:  # all of them are in report.md and report.html
            console.print(f"[yellow]missing verdict:[/yellow] {escape(gap)}")
        if len(gaps) > 10:
            console.print(f"[yellow]… and {len(gaps) - 10} more missing verdicts[/yellow]")
    for ch in report.checks:
        mark = "[green]pass[/green]" if ch.passed else "[red]FAIL[/red]"
        console.print(
            f"{mark} {ch.config} {escape(ch.key)} {ch.kind} {fmt(ch.metric, ch.bound)}"
            f" (got {fmt(ch.metric, ch.value)})"
        )


def print_comparison(cmp: Any, console: Any) -> None:
    from rich.table import Table

    from assistant.evals.report import fmt_delta, fmt_old_new

    t = Table(title=f"change since {cmp.old_label}")
    for col in ("config", "scope", "metric", "old", "new", "delta"):
        t.add_column(col)
    for d in cmp.deltas:
        if d.improved is None:
            continue
        style = "green" if d.improved else "red"
        t.add_row(
            d.config,
            d.scope,
            d.metric,
            *fmt_old_new(d),
            f"[{style}]{fmt_delta(d)}[/{style}]",
        )
    console.print(t)
    for name, ids in cmp.newly_wrong.items():
        if ids:
            console.print(f"[red]newly wrong in {name}:[/red] {', '.join(ids)}")
