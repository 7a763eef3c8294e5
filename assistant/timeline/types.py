"""The value types of a timeline: dated events, each with its verbatim quotes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from assistant.dates import ResolvedDate
from assistant.types import FrozenModel

__all__ = ["Event", "EventCitation", "EventDate", "Timeline"]

Precision = Literal["day", "week", "month", "year"]


class EventDate(FrozenModel):
    """When an event happened, as precise as the text says: a day, a week, a month, a year,
    or a range (`end`). `reported_on`: the text gives no date, so the event is dated by its
    article's publication (the lead event of a news report happened about then)."""

    start: dt.date
    end: dt.date | None = None
    precision: Precision = "day"
    reported_on: bool = False
    expression: str = Field(default="", description="The words that gave it, as written.")

    @classmethod
    def of(cls, found: ResolvedDate, expression: str = "") -> EventDate:
        return cls(start=found.day, end=found.end, precision=found.precision, expression=expression)

    @property
    def last(self) -> dt.date:
        """The last day the date may stand for (a month's last day, a range's end)."""
        return self.end or self.start

    def describe(self) -> str:
        text = ResolvedDate(self.start, self.precision, self.end).describe()
        return f"reported on {text}" if self.reported_on else text

    def agrees_with(self, other: EventDate) -> bool:
        """Both may name the same time: equal at the coarser precision, or overlapping."""
        coarse = _coarser(self.precision, other.precision)
        if self.end is not None or other.end is not None:
            return self.start <= other.last and other.start <= self.last
        return _key(self.start, coarse) == _key(other.start, coarse)


_ORDER: tuple[Precision, ...] = ("day", "week", "month", "year")


def _coarser(a: Precision, b: Precision) -> Precision:
    return _ORDER[max(_ORDER.index(a), _ORDER.index(b))]


def _key(day: dt.date, precision: Precision) -> tuple[int, ...]:
    if precision == "year":
        return (day.year,)
    if precision == "month":
        return (day.year, day.month)
    if precision == "week":
        return tuple(day.isocalendar()[:2])
    return (day.year, day.month, day.day)


class EventCitation(FrozenModel):
    """One article's report of an event: `quote` is `article_text[start:end]`, verbatim,
    and `date` is the date this article gives the event."""

    doc_id: str
    title: str
    source: str | None
    url: str | None
    published: dt.date | None
    chunk_id: str
    quote: str
    start: int
    end: int
    date: EventDate


class Event(FrozenModel):
    """One event: its date, a line describing it (the first report's sentence, verbatim, or
    an LLM's line written from the quotes), and every article reporting it. `dates` holds
    more than one date when the articles disagree on it."""

    date: EventDate
    text: str
    citations: tuple[EventCitation, ...]
    dates: tuple[EventDate, ...] = ()
    score: float = Field(default=0.0, description="Relevance to the topic (cosine).")

    @property
    def quote(self) -> str:
        return self.citations[0].quote

    @property
    def disagreement(self) -> bool:
        return len(self.dates) > 1

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.start.isoformat(),
            "end": self.date.end.isoformat() if self.date.end else None,
            "precision": self.date.precision,
            "reported_on": self.date.reported_on,
            "when": self.date.describe(),
            "text": self.text,
            "disagreement": self.disagreement,
            "dates": [
                {"date": d.start.isoformat(), "when": d.describe(), "expression": d.expression}
                for d in self.dates
            ],
            "citations": [c.model_dump(mode="json") for c in self.citations],
            "relevance": round(self.score, 3),
        }


class Timeline(FrozenModel):
    """What `Assistant.timeline` returns: the topic's events, oldest first."""

    topic: str
    events: tuple[Event, ...] = ()
    as_of: dt.date | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    articles_read: int = Field(default=0, description="Articles whose passages were read.")
    timings: dict[str, float] = Field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """The `assistant timeline --json` shape."""
        return {
            "topic": self.topic,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "articles_read": self.articles_read,
            "events": [e.to_json_dict() for e in self.events],
            "timings": self.timings,
        }
