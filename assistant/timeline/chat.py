"""A timeline as a chat answer: "what happened with X?" gets a short dated list, each line
the verbatim sentence of its first report with its citation number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from assistant.timeline.types import Timeline
from assistant.types import Answer, Citation

if TYPE_CHECKING:
    from assistant.core import Assistant

__all__ = ["CHAT_EVENTS", "timeline_answer", "timeline_stream"]

# Events in a chat answer: a short timeline; the Timeline tab and CLI show the full one.
CHAT_EVENTS = 8


def timeline_answer(question: str, timeline: Timeline) -> Answer:
    """`timeline` as an `Answer` to `question`: one line per event, cited."""
    citations: list[Citation] = []
    lines: list[str] = []
    for e in timeline.events:
        c = e.citations[0]
        citations.append(
            Citation(
                number=len(citations) + 1,
                doc_id=c.doc_id,
                title=c.title,
                source=c.source,
                url=c.url,
                published=c.published,
                chunk_id=c.chunk_id,
                quote=c.quote,
                start=c.start,
                end=c.end,
            )
        )
        when = (
            " or ".join(d.describe() for d in e.dates) + " (the articles disagree)"
            if e.disagreement
            else e.date.describe()
        )
        more = len(e.citations) - 1
        also = f" (also reported by {more} more article{'s' if more != 1 else ''})" if more else ""
        lines.append(f"- {when}: “{c.quote}” [{len(citations)}]{also}")
    if not lines:
        text = f"The indexed articles report no dated events about {timeline.topic}."
        return Answer(
            question=question,
            standalone_question=question,
            text=text,
            abstained=True,
            mode="timeline",
        )
    head = f"Timeline of {timeline.topic}, oldest first:"
    return Answer(
        question=question,
        standalone_question=question,
        text="\n".join([head, *lines]),
        citations=tuple(citations),
        mode="timeline",
        timings=timeline.timings,
    )


def timeline_stream(
    assistant: Assistant,
    question: str,
    topic: str,
    *,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    until: dt.date | str | None = None,
) -> Iterator[str | Answer]:
    """Like `Assistant.stream`: the answer's text, then the `Answer`."""
    tl = assistant.timeline(topic, since=since, until=until, as_of=as_of, limit=CHAT_EVENTS)
    answer = timeline_answer(question, tl)
    yield answer.text
    yield answer
