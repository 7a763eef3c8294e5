"""The timeline suite's reports: report.json, report.md and report.html with a timeline
picture per topic (inline SVG: one dot per shown event on a date axis, green when it matches
an expected event, red when not, hollow rings for required events that were missed)."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

from assistant.evals.timelines import TimelineReport, TopicResult

__all__ = ["svg_timeline", "timeline_html", "timeline_markdown", "write_timeline_reports"]

METRICS = (
    "event_precision",
    "event_recall",
    "date_exact",
    "date_within_week",
    "disagreement_recall",
    "false_disagreements",
    "duplicates",
    "quote_valid",
    "latency_p50",
    "latency_max",
    "events_shown",
)


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric.startswith("latency_"):
        return f"{value:.2f}s"
    if metric in ("false_disagreements", "duplicates", "events_shown", "topics"):
        return str(int(value))
    return f"{value:.2f}"


def _dates(r: TopicResult) -> tuple[list[tuple[dt.date, bool, str]], list[tuple[dt.date, str]]]:
    shown: list[tuple[dt.date, bool, str]] = []
    for e in r.events:
        day = dt.date.fromisoformat(e["date"])
        shown.append((day, bool(e.get("matched")), f"{e['when']}: {e['text'][:120]}"))
    missed = [(m.expected, m.phrase) for m in r.matches if m.required and m.shown is None]
    return shown, missed


def svg_timeline(r: TopicResult, width: int = 760, height: int = 70) -> str:
    """One topic's events on a date axis (the span of its events and expected events)."""
    shown, missed = _dates(r)
    days = [d for d, _, _ in shown] + [d for d, _ in missed]
    if not days:
        return ""
    lo, hi = min(days), max(days)
    span = max((hi - lo).days, 1)
    pad = 20

    def x(d: dt.date) -> float:
        return pad + (width - 2 * pad) * (d - lo).days / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="timeline of {html.escape(r.topic)}">',
        f'<line x1="{pad}" y1="35" x2="{width - pad}" y2="35" stroke="#9ca3af"/>',
        f'<text x="{pad}" y="62" font-size="11" fill="#4b5563">{lo.isoformat()}</text>',
        f'<text x="{width - pad}" y="62" font-size="11" fill="#4b5563" '
        f'text-anchor="end">{hi.isoformat()}</text>',
    ]
    for d, ok, label in shown:
        colour = "#16a34a" if ok else "#dc2626"
        parts.append(
            f'<circle cx="{x(d):.1f}" cy="35" r="5" fill="{colour}" fill-opacity="0.8">'
            f"<title>{html.escape(label)}</title></circle>"
        )
    for d, phrase in missed:
        parts.append(
            f'<circle cx="{x(d):.1f}" cy="20" r="5" fill="none" stroke="#2563eb" '
            f'stroke-width="2"><title>missed: {html.escape(d.isoformat())} '
            f"{html.escape(phrase)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def timeline_markdown(report: TimelineReport) -> str:
    lines = [f"# Timeline suite: {report.suite}", "", f"Run {report.created}.", ""]
    lines += ["| scope | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
    for scope, ms in [("all", report.metrics), *report.by_corpus.items()]:
        lines.append(f"| {scope} | " + " | ".join(fmt(m, ms.get(m)) for m in METRICS) + " |")
    lines.append("")
    for key, bound in report.thresholds.items():
        got = report.metrics.get(key)
        state = "FAIL" if any(f.startswith(f"{key}:") for f in report.failed) else "pass"
        lines.append(f"- {state} {key} >= {bound} (got {fmt(key, got)})")
    lines.append("")
    for r in report.topics:
        lines += [
            f"## {r.id}: {r.topic} ({r.corpus})",
            "",
            f"{r.shown} shown, {r.matched_shown} matched ({r.duplicates} duplicates), "
            f"{r.required_found}/{r.required} required found, dates exact "
            f"{r.dates_exact}/{r.dates_judged}, {r.seconds:.2f}s",
            "",
        ]
        for m in r.matches:
            if m.shown is None:
                if m.required:
                    lines.append(f"- missed: {m.expected} “{m.phrase}”")
            elif not m.exact:
                lines.append(f"- dated {m.shown_when}, expected {m.expected}: “{m.phrase}”")
        for u in r.unmatched_shown:
            lines.append(f"- not expected: {u}")
        lines.append("")
    return "\n".join(lines)


def timeline_html(report: TimelineReport) -> str:
    e = html.escape
    head = "".join(f"<th>{e(m)}</th>" for m in METRICS)
    rows = "".join(
        f"<tr><td>{e(scope)}</td>"
        + "".join(f"<td>{e(fmt(m, ms.get(m)))}</td>" for m in METRICS)
        + "</tr>"
        for scope, ms in [("all", report.metrics), *report.by_corpus.items()]
    )
    topics = []
    for r in report.topics:
        misses = "".join(
            f"<li>missed: {e(str(m.expected))} “{e(m.phrase)}”</li>"
            for m in r.matches
            if m.shown is None and m.required
        ) + "".join(f"<li>not expected: {e(u)}</li>" for u in r.unmatched_shown)
        topics.append(
            f"<section><h2>{e(r.id)}: {e(r.topic)} <small>({e(r.corpus)})</small></h2>"
            f"<p>{r.shown} shown, {r.matched_shown} matched, {r.required_found}/{r.required} "
            f"required found, dates exact {r.dates_exact}/{r.dates_judged}, "
            f"{r.seconds:.2f}s</p>{svg_timeline(r)}<ul>{misses}</ul></section>"
        )
    status = "passed" if report.passed else "FAILED: " + "; ".join(report.failed)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Timeline suite {e(report.suite)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;"
        "font-size:.9em}li{font-size:.9em}</style></head><body>"
        f"<h1>Timeline suite: {e(report.suite)}</h1><p>{e(report.created)}: {e(status)}</p>"
        "<p>Green: a shown event that matches an expected one; red: one that does not; "
        "blue ring: a required event that was not shown.</p>"
        f"<table><tr><th>scope</th>{head}</tr>{rows}</table>{''.join(topics)}</body></html>"
    )


def write_timeline_reports(report: TimelineReport, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / "report.json",
        "md": out / "report.md",
        "html": out / "report.html",
    }
    data: dict[str, Any] = json.loads(report.model_dump_json())
    paths["json"].write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    paths["md"].write_text(timeline_markdown(report), encoding="utf-8")
    paths["html"].write_text(timeline_html(report), encoding="utf-8")
    return paths
