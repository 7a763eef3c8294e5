"""Dates in article text resolved against the article's publication date.

"On Thursday" in an article published on Thursday, August 15, 2024 is that day; "last week"
is the week before; "June 1" is June 1 of the year the article was written in (or the next,
when the sentence speaks of what will happen). `resolve` reads the expression with
dateparser relative to the publication date and keeps how precise it is; `stated` writes an
answer as a reader wants it: "Thursday (August 15, 2024)". An undated article's expressions
are left as they are: there is nothing to resolve them against.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["ResolvedDate", "resolve", "stated"]

logger = logging.getLogger(__name__)

Precision = Literal["day", "week", "month", "year"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A four-digit year: the expression is already absolute.
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")
# Words that put a sentence's date ahead of its publication ("will be banned on Monday",
# "next week", "is scheduled for June 1"): dateparser alone reads a bare weekday as past.
_FUTURE = re.compile(
    r"\b(will|shall|next|upcoming|scheduled|set to|plans? to|planned|due to|expected to|"
    r"is to|are to|going to)\b",
    re.IGNORECASE,
)
_EXPRESSION = re.compile(r"[^\w\s,.-]")
# What makes an expression a point in time rather than a duration ("three weeks"): a
# weekday, a month, or a word relating it to the day of writing.
_POINT = re.compile(
    r"\b(today|tonight|yesterday|tomorrow|last|next|this|ago|earlier|later|past|coming|"
    r"january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ResolvedDate:
    """A calendar date and how precise the text that gave it was."""

    day: dt.date
    precision: Precision

    def describe(self) -> str:
        if self.precision == "year":
            return str(self.day.year)
        if self.precision == "month":
            return f"{self.day:%B} {self.day.year}"
        if self.precision == "week":
            monday = self.day - dt.timedelta(days=self.day.weekday())
            return f"the week of {monday:%B} {monday.day}, {monday.year}"
        return f"{self.day:%B} {self.day.day}, {self.day.year}"


def resolve(text: str, published: dt.date, *, future: bool = False) -> ResolvedDate | None:
    """The date `text` names, read relative to `published`; None when it names a year
    itself (nothing to resolve) or is no date dateparser can read. `future`: the sentence
    speaks of what is to come, so "Monday" is the next Monday, not the last."""
    words = text.strip().casefold()
    if not words or _YEAR.search(words) or len(words) > 40:
        return None
    weekday = next((i for i, d in enumerate(_WEEKDAYS) if re.search(rf"\b{d}\b", words)), None)
    if weekday is not None and not re.search(r"\b(last|next|this|every|each)\b", words):
        # News convention: "on Thursday" in Thursday's paper is that day; otherwise the
        # nearest such day before (or, for what will happen, after) publication.
        shift = (published.weekday() - weekday) % 7
        day = published - dt.timedelta(days=shift)
        if future and shift:
            day += dt.timedelta(days=7)
        return ResolvedDate(day, "day")
    if not _POINT.search(words):
        return None  # a duration ("three weeks", "44 days"), not a date
    from dateparser.date import DateDataParser

    settings = {
        "RELATIVE_BASE": dt.datetime.combine(published, dt.time(12)),
        "PREFER_DATES_FROM": "future" if future else "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        data = DateDataParser(languages=["en"], settings=settings).get_date_data(
            _EXPRESSION.sub(" ", text)
        )
    except (ValueError, OverflowError, TypeError) as exc:  # dateparser's own range limits
        logger.debug("no date in %r: %s", text, exc)
        return None
    if data.date_obj is None:
        return None
    period: Precision = "day"
    for p in ("week", "month", "year"):
        if data.period == p:
            period = p
    return ResolvedDate(data.date_obj.date(), period)


def stated(text: str, published: dt.date | None, sentence: str = "") -> str:
    """`text` with the date it names when that is relative: "Thursday (August 15, 2024)",
    "last month (July 2024)"; as it is when absolute, unreadable or the article undated."""
    if published is None:
        return text
    found = resolve(text, published, future=bool(_FUTURE.search(sentence)))
    if found is None:
        return text
    described = found.describe()
    if described.casefold() in text.casefold():
        return text
    if described.casefold().startswith(text.strip().casefold()):
        return described  # "June 1" -> "June 1, 2025": only the year was missing
    return f"{text} ({described})"
