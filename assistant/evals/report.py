"""The `Report` of a suite run: result models, threshold gates, comparison, JSON and Markdown."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from assistant.errors import ConfigError
from assistant.evals.metrics import (
    JUDGED,
    METRICS,
    QuestionResult,
    confidence_curve,
    higher_is_better,
)
from assistant.types import FrozenModel

__all__ = [
    "Comparison",
    "ConfigResult",
    "Delta",
    "Report",
    "ThresholdCheck",
    "cell",
    "check_thresholds",
    "columns",
    "compare",
    "fmt",
    "fmt_old_new",
    "judge_note",
    "judged",
    "parse_gate",
    "to_markdown",
]

# The columns of the summary tables (terminal, Markdown, HTML): the full list is in report.json.
SUMMARY: tuple[str, ...] = tuple(
    m for m in METRICS if m not in ("recall@5", "abstain_rate") and m not in JUDGED
)


# Terminal column headers: the full names do not fit 15 columns in a terminal.
SHORT_NAMES: dict[str, str] = {
    "accuracy": "acc",
    "hit@1": "h@1",
    "hit@2": "h@2",
    "hit@5": "h@5",
    "time_recent": "t:rec",
    "time_dated": "t:date",
    "mrr@10": "mrr",
    "acc_short": "short",
    "short_precision": "shortP",
    "wrong_short": "wrong",
    "acc_text": "text",
    "cite_precision": "citeP",
    "cite_recall": "citeR",
    "quote_valid": "quote",
    "abstain_precision": "absP",
    "abstain_recall": "absR",
    "latency_p50_ms": "p50ms",
    "latency_p95_ms": "p95ms",
    "judged_faithfulness": "faith",
    "judged_correctness": "corr",
}


def judged(report: Report) -> bool:
    """Whether any config of the report was judged by an LLM."""
    return any("judge_runs" in c.metrics for c in report.configs.values())


def columns(report: Report) -> tuple[str, ...]:
    """The summary columns: the judged ones only when the run was judged."""
    return (*SUMMARY, *JUDGED) if judged(report) else SUMMARY


def cell(metric: str, metrics: Mapping[str, float | None]) -> str:
    """A metric's value for a table: judged ones as "mean±sd" (sd across judge runs)."""
    text = fmt(metric, metrics.get(metric))
    sd = metrics.get(f"{metric}_sd")
    if metric in JUDGED and sd is not None and text != "–":
        text += f"±{sd:.2f}"
    return text


def judge_note(report: Report) -> str:
    """One line on how the judged metrics were made, and how many verdicts are missing."""
    parts = []
    for name, c in report.configs.items():
        if "judge_runs" in c.metrics:
            runs = int(c.metrics.get("judge_runs") or 0)
            missing = int(c.metrics.get("judge_missing") or 0)
            parts.append(f"{name}: {runs} run{'s' * (runs != 1)}, {missing} missing")
    return (
        "judged_faithfulness / judged_correctness: LLM judge, mean ± standard deviation "
        "across runs; unreadable verdicts are missing, not 0 (" + "; ".join(parts) + ")"
    )


class ConfigResult(FrozenModel):
    name: str
    settings: dict[str, Any]
    metrics: dict[str, float | None]
    by_type: dict[str, dict[str, float | None]]
    questions: tuple[QuestionResult, ...]
    answer_mode: str = ""
    ingest_seconds: float | None = None


class ThresholdCheck(FrozenModel):
    config: str
    key: str
    metric: str
    qtype: str | None
    bound: float
    kind: str = Field(description="min or max")
    value: float | None
    passed: bool


class Delta(FrozenModel):
    config: str
    scope: str = Field(description="'overall' or a question type")
    metric: str
    old: float | None
    new: float | None
    delta: float | None
    improved: bool | None
    # Judged metrics: the standard deviation across judge runs, in each report.
    old_spread: float | None = None
    new_spread: float | None = None


class Comparison(FrozenModel):
    old_label: str
    new_label: str
    deltas: tuple[Delta, ...]
    # Questions right in the old run and wrong in the new one (config -> ids), and vice versa.
    newly_wrong: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    newly_right: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @property
    def regressions(self) -> list[Delta]:
        return [d for d in self.deltas if d.improved is False]


class Report(FrozenModel):
    suite: str
    suite_path: str | None = None
    created: str
    corpus: tuple[str, ...]
    n_questions: int
    skipped: dict[str, int] = Field(default_factory=dict)
    configs: dict[str, ConfigResult]
    checks: tuple[ThresholdCheck, ...] = ()
    comparison: Comparison | None = None

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> str:
        return self.model_dump_json(indent=1)

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any] | Report) -> Report:
        if isinstance(source, Report):
            return source
        if isinstance(source, Mapping):
            return cls.model_validate(dict(source))
        try:
            return cls.model_validate_json(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read report {source}: {exc}") from exc


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- gates

_GATE = re.compile(r"^(?P<metric>[a-z0-9_@]+)(?:\[(?P<qtype>[a-z]+)\])?$")


def parse_gate(key: str) -> tuple[str, str | None]:
    """`acc_short` -> ("acc_short", None); `acc_short[fact]` -> ("acc_short", "fact")."""
    m = _GATE.match(key.strip())
    if not m or m["metric"] not in METRICS:
        raise ConfigError(f"unknown threshold {key!r}: metrics are {', '.join(METRICS)}")
    return m["metric"], m["qtype"]


def check_thresholds(result: ConfigResult, gates: Mapping[str, float]) -> list[ThresholdCheck]:
    """A minimum for each metric (a maximum for latency); a metric with no value fails."""
    checks = []
    for key, bound in gates.items():
        metric, qtype = parse_gate(key)
        source = result.metrics if qtype is None else result.by_type.get(qtype, {})
        value = source.get(metric)
        upper = not higher_is_better(metric)
        ok = value is not None and (value <= bound if upper else value >= bound)
        checks.append(
            ThresholdCheck(
                config=result.name,
                key=key,
                metric=metric,
                qtype=qtype,
                bound=bound,
                kind="max" if upper else "min",
                value=value,
                passed=ok,
            )
        )
    return checks


# ---------------------------------------------------------------- comparison


def _num(x: Any) -> float | None:
    return None if x is None or _nan(x) else float(x)


def _delta(
    config: str,
    scope: str,
    metric: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> Delta:
    o, n = _num(old.get(metric)), _num(new.get(metric))
    d = None if o is None or n is None else n - o
    old_sd, new_sd = _num(old.get(f"{metric}_sd")), _num(new.get(f"{metric}_sd"))
    # Latency jitters from run to run: only a change over 25% and 20 ms counts.
    if d is None or d == 0 or metric.startswith("time_"):
        improved = None  # time_* describe the questions asked, not how well they were served
    elif not higher_is_better(metric):
        noise = abs(d) <= max(0.25 * abs(o or 0.0), 20.0)
        improved = None if noise else d < 0
    elif metric in JUDGED:
        # A judged score moves between judgings of the same answers: a change within the
        # larger spread of the two reports is not counted as better or worse.
        improved = None if abs(d) <= max(old_sd or 0.0, new_sd or 0.0) else d > 0
    else:
        improved = d > 0
    return Delta(
        config=config,
        scope=scope,
        metric=metric,
        old=o,
        new=n,
        delta=d,
        improved=improved,
        old_spread=old_sd if metric in JUDGED else None,
        new_spread=new_sd if metric in JUDGED else None,
    )


def _nan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def compare(
    old: str | Path | Mapping[str, Any] | Report, new: str | Path | Mapping[str, Any] | Report
) -> Comparison:
    """Metric deltas (overall and per type) of the configs both reports ran.

    `Delta.improved` is None when a metric did not move (latency: within noise).
    """
    a, b = Report.load(old), Report.load(new)
    deltas: list[Delta] = []
    newly_wrong: dict[str, tuple[str, ...]] = {}
    newly_right: dict[str, tuple[str, ...]] = {}
    for name, nc in b.configs.items():
        oc = a.configs.get(name)
        if oc is None:
            continue
        for m in METRICS:
            deltas.append(_delta(name, "overall", m, oc.metrics, nc.metrics))
        for t, ms in nc.by_type.items():
            om = oc.by_type.get(t, {})
            for m in METRICS:
                if higher_is_better(m):  # per-type latency has too few samples to compare
                    deltas.append(_delta(name, t, m, om, ms))
        before = {q.id: q.correct for q in oc.questions}
        newly_wrong[name] = tuple(q.id for q in nc.questions if before.get(q.id) and not q.correct)
        newly_right[name] = tuple(
            q.id for q in nc.questions if before.get(q.id) is False and q.correct
        )
    return Comparison(
        old_label=a.created,
        new_label=b.created,
        deltas=tuple(d for d in deltas if d.old is not None or d.new is not None),
        newly_wrong=newly_wrong,
        newly_right=newly_right,
    )


# ---------------------------------------------------------------- text renderings


def fmt(metric: str, value: float | None) -> str:
    if value is None or _nan(value):
        return "–"
    whole = metric.startswith("latency") or metric == "wrong_short"
    return f"{value:.0f}" if whole else f"{value:.2f}"


def fmt_old_new(d: Delta) -> tuple[str, str]:
    """The old and new values of a delta, judged ones with their spread."""
    old = {d.metric: d.old, f"{d.metric}_sd": d.old_spread}
    new = {d.metric: d.new, f"{d.metric}_sd": d.new_spread}
    return cell(d.metric, old), cell(d.metric, new)


def fmt_delta(d: Delta) -> str:
    if d.delta is None:
        return "new" if d.old is None else "gone"
    return f"{d.delta:+.0f}" if d.metric.startswith("latency") else f"{d.delta:+.2f}"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return out


def to_markdown(report: Report) -> str:
    lines = [f"# Eval report: {report.suite}", ""]
    lines.append(
        f"{report.created} · {report.n_questions} questions · corpus {', '.join(report.corpus)}"
    )
    if report.skipped:
        lines.append(f"Skipped: {', '.join(f'{k} {v}' for k, v in report.skipped.items())}")
    cols = columns(report)
    lines += ["", "## Configurations", ""]
    rows = [
        [name, c.answer_mode, *(cell(m, c.metrics) for m in cols)]
        for name, c in report.configs.items()
    ]
    lines += _md_table(["config", "answerer", *cols], rows)
    if judged(report):
        lines += ["", judge_note(report)]
    for name, c in report.configs.items():
        lines += ["", f"## By question type: {name}", ""]
        rows = [
            [t, fmt("n", ms.get("n")).split(".")[0], *(cell(m, ms) for m in cols)]
            for t, ms in c.by_type.items()
        ]
        lines += _md_table(["type", "n", *cols], rows)
    for name, c in report.configs.items():
        curve = confidence_curve(c.questions)
        if any(q.confidence is not None for q in c.questions):
            lines += [
                "",
                f"## Short-answer precision and coverage by confidence: {name}",
                "",
                "At each threshold: the questions whose best candidate would be stated "
                "(coverage), the share of those that are right (precision; a candidate for an "
                "unanswerable question is wrong), and the answerable questions answered right.",
                "",
            ]
            rows = [
                [
                    f"{p['threshold']:.1f}",
                    f"{p['coverage']:.2f}",
                    f"{p['precision']:.2f}",
                    f"{p['short']:.2f}",
                ]
                for p in curve
            ]
            lines += _md_table(["confidence >=", "coverage", "precision", "short"], rows)
    if report.checks:
        lines += ["", "## Thresholds", ""]
        rows = [
            [
                ch.config,
                ch.key,
                f"{ch.kind} {fmt(ch.metric, ch.bound)}",
                fmt(ch.metric, ch.value),
                "pass" if ch.passed else "FAIL",
            ]
            for ch in report.checks
        ]
        lines += _md_table(["config", "metric", "bound", "value", "result"], rows)
    if report.comparison is not None:
        lines += ["", "## Change since the old report", ""]
        lines += comparison_markdown(report.comparison)
    for name, c in report.configs.items():
        wrong = [q for q in c.questions if not q.correct]
        lines += ["", f"## Wrong answers: {name} ({len(wrong)} of {len(c.questions)})", ""]
        rows = [
            [q.id, q.type, q.question, q.short or ("(abstained)" if q.abstained else ""), *q.why]
            for q in wrong
        ]
        lines += _md_table(
            ["id", "type", "question", "short answer", "why"],
            [[*r[:4], "; ".join(r[4:])] for r in rows],
        )
    for name, c in report.configs.items():
        gaps = [(q.id, m) for q in c.questions if q.judged for m in q.judged.missing]
        if gaps:
            lines += ["", f"## Missing judge verdicts: {name} ({len(gaps)})", ""]
            lines += _md_table(["id", "verdict"], [[i, m] for i, m in gaps])
    return "\n".join(lines) + "\n"


def comparison_markdown(cmp: Comparison) -> list[str]:
    moved = [d for d in cmp.deltas if d.improved is not None]
    lines = [f"Old report: {cmp.old_label}. Changed metrics: {len(moved)}.", ""]
    rows = [[d.config, d.scope, d.metric, *fmt_old_new(d), fmt_delta(d)] for d in moved]
    lines += _md_table(["config", "scope", "metric", "old", "new", "delta"], rows)
    for name, ids in cmp.newly_wrong.items():
        if ids:
            lines.append(f"\nNewly wrong in {name}: {', '.join(ids)}")
    for name, ids in cmp.newly_right.items():
        if ids:
            lines.append(f"\nNewly right in {name}: {', '.join(ids)}")
    return lines


def write_json(report: Report, path: Path) -> Path:
    path.write_text(report.to_json(), encoding="utf-8")
    return path
