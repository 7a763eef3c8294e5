"""A timeline as Markdown (for notes and the CLI) and as CSV (for spreadsheets).

Article text is data: Markdown's special characters in quotes and titles are escaped, so a
quote can never become a link, an image or a heading in the reader's renderer."""

from __future__ import annotations

import csv
import io

from assistant.timeline.types import Event, Timeline

__all__ = ["CSV_COLUMNS", "to_csv", "to_markdown"]

CSV_COLUMNS = (
    "date",
    "end",
    "precision",
    "reported_on",
    "when",
    "event",
    "disagreement",
    "source",
    "title",
    "published",
    "url",
    "doc_id",
    "quote",
    "quote_start",
    "quote_end",
    "date_in_this_article",
)

_MARKDOWN_SPECIAL = "\\`*_{}[]<>()#+-.!|~"


def _md(text: str) -> str:
    """`text` on one line with every Markdown special character escaped."""
    flat = " ".join(text.split())
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in flat)


def _when(e: Event) -> str:
    if not e.disagreement:
        return e.date.describe()
    return " or ".join(d.describe() for d in e.dates) + " (the articles disagree)"


def to_markdown(timeline: Timeline) -> str:
    lines = [f"# Timeline: {_md(timeline.topic)}", ""]
    if not timeline.events:
        lines.append("No dated events about this topic were found in the indexed articles.")
        return "\n".join(lines) + "\n"
    for e in timeline.events:
        lines.append(f"- **{_md(_when(e))}**: {_md(e.text)}")
        for c in e.citations:
            where = _md(c.source or c.title or c.doc_id)
            date = c.published.isoformat() if c.published else "undated"
            link = f" <{c.url}>" if c.url and c.url.startswith(("http://", "https://")) else ""
            said = f" ({_md(c.date.describe())})" if e.disagreement else ""
            lines.append(f"  - {where}, {date}{said}: “{_md(c.quote)}”{link}")
    return "\n".join(lines) + "\n"


def to_csv(timeline: Timeline) -> str:
    """One row per citation, so every quote and its offsets are kept."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for e in timeline.events:
        for c in e.citations:
            w.writerow(
                [
                    e.date.start.isoformat(),
                    e.date.end.isoformat() if e.date.end else "",
                    e.date.precision,
                    e.date.reported_on,
                    _when(e),
                    e.text,
                    e.disagreement,
                    c.source or "",
                    c.title,
                    c.published.isoformat() if c.published else "",
                    c.url or "",
                    c.doc_id,
                    c.quote,
                    c.start,
                    c.end,
                    c.date.describe(),
                ]
            )
    return out.getvalue()
