"""`assistant timeline "TOPIC"`: the topic's events, oldest first, each with its sources."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_timeline_parser"]


def _print(timeline: Any) -> None:
    from rich.console import Console

    from assistant.cli import _shown

    console = Console()
    console.print(f"[bold]Timeline: {_shown(timeline.topic)}[/bold]", highlight=False)
    if not timeline.events:
        console.print(
            "No dated events about this topic were found in the indexed articles.", style="dim"
        )
        return
    for e in timeline.events:
        when = (
            " or ".join(d.describe() for d in e.dates) + " [red](the articles disagree)[/red]"
            if e.disagreement
            else _shown(e.date.describe())
        )
        console.print(f"\n[bold]{when}[/bold]  {_shown(e.text)}", highlight=False)
        for c in e.citations:
            date = c.published.isoformat() if c.published else "date unknown"
            said = f" — gives {_shown(c.date.describe())}" if e.disagreement else ""
            console.print(
                f"    {_shown(c.source or c.title)}, {date}{said}: “{_shown(c.quote)}” "
                f"({_shown(c.doc_id)}, chars {c.start}-{c.end})",
                style="dim",
                highlight=False,
            )


def cmd_timeline(args: argparse.Namespace) -> int:
    from assistant.cli import _assistant
    from assistant.query import CLI_NAMES, Query
    from assistant.timeline import to_markdown

    # Checked before the store opens, so errors name the options as typed (`--since`).
    when = Query.build("", names=CLI_NAMES, as_of=args.as_of, since=args.since, until=args.until)
    a = _assistant(args, asking=True)
    timeline = a.timeline(
        args.topic, since=when.since, until=when.until, as_of=when.as_of, limit=args.limit
    )
    if args.json:
        print(json.dumps(timeline.to_json_dict(), ensure_ascii=False, indent=2))
    elif args.markdown:
        print(to_markdown(timeline), end="")
    else:
        _print(timeline)
    return 0


def add_timeline_parser(sub: Any) -> None:
    sp = sub.add_parser(
        "timeline", help="how a story unfolded: its events, dated and cited, oldest first"
    )
    sp.add_argument("topic", help='the story, e.g. "Artemis I launch"')
    sp.add_argument("--since", help="only events dated on or after YYYY-MM-DD")
    sp.add_argument("--until", help="only events dated on or before YYYY-MM-DD")
    sp.add_argument(
        "--as-of",
        dest="as_of",
        help="read only articles published by YYYY-MM-DD (the timeline as known that day)",
    )
    sp.add_argument("--limit", type=int, default=30, help="most events shown (default 30)")
    out = sp.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the timeline as JSON")
    out.add_argument("--markdown", action="store_true", help="print the timeline as Markdown")
    sp.add_argument("--store", help="store folder (default: vectorstore, or ASSISTANT_STORE)")
    sp.add_argument(
        "--chroma-url", dest="chroma_url", help="http://host:port of a `chroma run` server"
    )
    sp.set_defaults(func=cmd_timeline)
