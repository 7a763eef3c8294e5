"""report.html: summary tables, matplotlib charts embedded as base64 PNGs, per-question table."""

from __future__ import annotations

import base64
import io
import logging
from html import escape
from pathlib import Path
from typing import Any

from assistant.evals.metrics import JUDGED, QuestionResult, confidence_curve
from assistant.evals.report import (
    Report,
    cell,
    columns,
    fmt,
    fmt_delta,
    fmt_old_new,
    judge_note,
    judged,
)

__all__ = ["charts", "to_html", "write_html"]

logger = logging.getLogger(__name__)

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f2f2f2} tr.wrong td{background:#fff3f3} tr.right td{background:#f4fff4}
.fail{color:#b00;font-weight:bold} .pass{color:#070} .quote{color:#555;font-size:12px}
.bad{color:#b00} img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
details summary{cursor:pointer}
"""

# Metrics drawn per question type and per config: the ones that matter most at a glance.
_CHART_METRICS = ("hit@5", "mrr@10", "acc_short", "acc_text", "cite_recall", "accuracy", *JUDGED)


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _bars(ax: Any, groups: list[str], series: dict[str, list[float]]) -> None:
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (label, values) in enumerate(series.items()):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, values, width, label=label)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylim(0, 1.05)
    ax.grid(axis="y", alpha=0.3)
    # Below the axes: inside, the legend hides the bars that reach 1.0.
    ax.legend(fontsize=8, ncols=min(n, 6), loc="upper center", bbox_to_anchor=(0.5, -0.12))


def charts(report: Report) -> dict[str, str]:
    """title -> base64 PNG. Matplotlib's Agg backend: no display needed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    for name, c in report.configs.items():
        types = list(c.by_type)
        fig, ax = plt.subplots(figsize=(8, 3.5))
        series = {
            m: [c.by_type[t].get(m) or 0.0 for t in types]
            for m in _CHART_METRICS
            if any(c.by_type[t].get(m) is not None for t in types)
        }
        _bars(ax, types, series)
        ax.set_title(f"Metrics by question type ({name})")
        out[f"Metrics by question type: {name}"] = _png(fig)
        plt.close(fig)
    names = list(report.configs)
    if len(names) > 1:
        fig, ax = plt.subplots(figsize=(8, 3.5))
        metrics = [m for m in _CHART_METRICS if m != "accuracy" and m not in JUDGED]
        metrics.append("abstain_recall")
        if judged(report):
            metrics += JUDGED
        series = {n: [report.configs[n].metrics.get(m) or 0.0 for m in metrics] for n in names}
        _bars(ax, metrics, series)
        ax.set_title("Configuration comparison")
        out["Configuration comparison"] = _png(fig)
        plt.close(fig)
    rated = {n: c for n, c in report.configs.items() if any(q.confidence for q in c.questions)}
    if rated:
        fig, ax = plt.subplots(figsize=(6, 4))
        for n, c in rated.items():
            curve = confidence_curve(c.questions)
            ax.plot(
                [p["coverage"] for p in curve], [p["precision"] for p in curve], marker="o", label=n
            )
        ax.set_xlabel("coverage (questions given a short answer)")
        ax.set_ylabel("precision of the short answers")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, 1.02)
        ax.legend()
        ax.set_title("Short answers: precision against coverage by confidence")
        out["Short-answer precision and coverage"] = _png(fig)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 3))
    data = [[q.latency_ms for q in report.configs[n].questions] or [0.0] for n in names]
    # Vertical (the default): `vert=` is deprecated and `orientation=` needs matplotlib 3.10.
    ax.boxplot(data)
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set_ylabel("latency per question (ms)")
    ax.set_title("Latency distribution")
    out["Latency distribution"] = _png(fig)
    plt.close(fig)
    return out


def _table(header: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _judged_cells(q: QuestionResult) -> list[str]:
    """The judged scores of one answer (mean over runs, and each run), and the judge's notes."""
    rec = q.judged
    if rec is None:
        return ["–", "–", ""]
    out = []
    for metric, runs in zip(JUDGED, (rec.faithfulness, rec.correctness), strict=True):
        each = " ".join(fmt(metric, v) for v in runs)
        out.append(f"{fmt(metric, q.scores.get(metric))}<div class=quote>runs: {each}</div>")
    notes = "".join(f"<div class=bad>missing: {escape(m)}</div>" for m in rec.missing)
    if rec.notes:
        items = "<br>".join(escape(n) for n in rec.notes)
        notes += f"<details><summary>judge's notes</summary>{items}</details>"
    return [*out, notes]


def _questions_table(report: Report, name: str) -> str:
    c = report.configs[name]
    with_judge = any(q.judged is not None for q in c.questions)
    rows, classes = [], []
    for q in c.questions:
        cites = "<br>".join(
            f"[{x.number}] {escape(x.doc_id)}"
            + ("" if x.expected or not q.sources else " <span class=bad>(unexpected)</span>")
            + ("" if x.valid else " <span class=bad>(quote invalid)</span>")
            + f"<div class=quote>“{escape(x.quote[:160])}”</div>"
            for x in q.citations
        )
        expected = escape(", ".join(q.answers))
        if q.all_of:
            expected += ("; " if expected else "") + "all of: " + escape(", ".join(q.all_of))
        asked = escape(q.question)
        if q.history:
            prior = "<br>".join(escape(u) for u, _ in q.history)
            asked = f"<div class=quote>after: {prior}</div>{asked}"
        if q.standalone_question != q.question:
            asked += f"<div class=quote>as: {escape(q.standalone_question)}</div>"
        answer = "<i>(abstained)</i> " if q.abstained else ""
        answer += f"<b>{escape(q.short)}</b>" if q.short else ""
        answer += f"<details><summary>full text</summary>{escape(q.text)}</details>"
        rows.append(
            [
                escape(q.id),
                escape(q.type),
                asked,
                expected or "<i>abstain</i>",
                answer,
                cites,
                escape(", ".join(q.retrieved[:5])),
                f"{q.latency_ms:.0f}",
                "✓" if q.correct else "✗",
                "<br>".join(escape(w) for w in q.why),
                *(_judged_cells(q) if with_judge else []),
            ]
        )
        classes.append("right" if q.correct else "wrong")
    header = ["id", "type", "question", "expected", "answer", "citations", "top 5 retrieved"]
    header += ["ms", "ok", "why wrong"]
    if with_judge:
        header += ["faith (judged)", "corr (judged)", "judge"]
    return _table(header, rows, classes)


def to_html(report: Report) -> str:
    parts = [
        "<!doctype html><html><head><meta charset=utf-8>",
        f"<title>Eval: {escape(report.suite)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Eval report: {escape(report.suite)}</h1>",
        f"<p>{escape(report.created)} · {report.n_questions} questions · corpus "
        f"{escape(', '.join(report.corpus))}</p>",
    ]
    if report.skipped:
        parts.append(f"<p>Skipped: {escape(str(report.skipped))}</p>")
    cols = columns(report)
    rows = [
        [escape(n), escape(c.answer_mode), *(cell(m, c.metrics) for m in cols)]
        for n, c in report.configs.items()
    ]
    parts += ["<h2>Configurations</h2>", _table(["config", "answerer", *cols], rows)]
    if judged(report):
        parts.append(f"<p>{escape(judge_note(report))}</p>")
    if report.checks:
        rows = [
            [
                escape(ch.config),
                escape(ch.key),
                f"{ch.kind} {fmt(ch.metric, ch.bound)}",
                fmt(ch.metric, ch.value),
                "<span class=pass>pass</span>" if ch.passed else "<span class=fail>FAIL</span>",
            ]
            for ch in report.checks
        ]
        parts += ["<h2>Thresholds</h2>", _table(["config", "metric", "bound", "value", ""], rows)]
    if report.comparison is not None:
        moved = [d for d in report.comparison.deltas if d.improved is not None]
        rows = [
            [
                escape(d.config),
                escape(d.scope),
                escape(d.metric),
                *fmt_old_new(d),
                f"<span class={'pass' if d.improved else 'fail'}>{fmt_delta(d)}</span>",
            ]
            for d in moved
        ]
        parts += [
            f"<h2>Change since {escape(report.comparison.old_label)}</h2>",
            _table(["config", "scope", "metric", "old", "new", "delta"], rows),
        ]
    try:
        images = charts(report)
    except ImportError:  # matplotlib missing: the tables still make a useful report
        logger.warning("matplotlib is not installed: report.html has no charts")
        images = {}
    parts.append("<h2>Charts</h2>")
    for title, b64 in images.items():
        parts.append(
            f"<h3>{escape(title)}</h3><img alt='{escape(title)}' src='data:image/png;base64,{b64}'>"
        )
    for name, c in report.configs.items():
        rows = [
            [escape(t), fmt("n", ms.get("n")).split(".")[0], *(cell(m, ms) for m in cols)]
            for t, ms in c.by_type.items()
        ]
        parts += [
            f"<h2>By question type: {escape(name)}</h2>",
            _table(["type", "n", *cols], rows),
        ]
        parts += [f"<h2>Questions: {escape(name)}</h2>", _questions_table(report, name)]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(report: Report, path: Path) -> Path:
    path.write_text(to_html(report), encoding="utf-8")
    return path
