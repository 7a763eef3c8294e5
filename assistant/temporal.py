"""The time a question is about, and how much an article's date counts in ranking.

`time_window(question, as_of)` reads the question's temporal expressions with
dateparser's `search_dates` ("this week", "yesterday", "in 2020", "last March", "on September
11, 2025", "two years ago") relative to the reference date (`as_of`, else today) and returns
a `TimeWindow`: the span of days the question is about and how strongly to prefer articles
published in it. `Prior.closeness` turns an article's distance from that span into a number
in [0, 1] that retrieval adds to the fused relevance score (see `assistant.retrieval`), and
the offline answer step uses to weigh the articles' values.

This module is the one home of time in ranking: the window carries the priors it was made
with (`TimeWindow.prior`), and retrieval and answering read them from the window they are
given, never from `DEFAULT_PRIORS` (a `Query` names other priors: `Query.time_priors`).

Only words that name no date ("recently", "currently", "now", "latest") are matched here, as
dateparser reads them as no date or as a point in time.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DEFAULT_PRIORS",
    "Prior",
    "TimePriors",
    "TimeWindow",
    "WindowKind",
    "names_a_time",
    "time_window",
]

logger = logging.getLogger(__name__)

# recent: the latest news ("this week", "recently"); dated: a span before the reference date
# ("in 2020", "last March"); none: the question names no time.
WindowKind = Literal["recent", "dated", "none"]

_MONTHS: tuple[str, ...] = ("january", "february", "march", "april", "may", "june", "july")
_MONTHS += ("august", "september", "october", "november", "december")
# Words that ask for the latest news without naming a date. dateparser finds no date in
# "recently", "currently" or "latest", and reads "now" as an instant.
_RECENCY_WORDS = re.compile(
    r"\b(recent|recently|currently|current|now|latest|lately|ongoing|so far|"
    r"these days|right now|at the moment)\b",
    re.IGNORECASE,
)
# A match that is only a money amount, a percentage or a small number is not a date
# (dateparser reads "$11" as November and "26" as a day of this month).
_NOT_A_DATE = re.compile(r"[$€£¥%]|^\D*\d{1,3}\D*$")

# "5000 years ago", "1,000,000 days from now": relative expressions whose day may lie outside
# the calendar (years 1 to 9999). dateparser reads those as something else ("5000" as a
# year) or as nothing, so they are found here first, left out and reported.
_RELATIVE = re.compile(
    r"\b(\d[\d,]*)\s+(day|week|month|year|decade|centur(?:y|ie)|millenni(?:um|a))s?\s+"
    r"(ago|before|earlier|back|from now|later|hence)\b",
    re.IGNORECASE,
)
# Days per unit, rounded up: an expression is out of range when even its shortest reading
# would be, so these err towards keeping an expression.
_UNIT_DAYS = {"day": 1, "week": 7, "month": 28, "year": 365, "decade": 3652}
_UNIT_DAYS |= {"centur": 36524, "millenni": 365242}

# dateparser's period names that span days (a "time" is an instant: "now").
_PERIODS = ("day", "week", "month", "year")
# Only questions holding one of these are given to dateparser: importing it and reading its
# English data costs most of a second once per process, and a search costs milliseconds,
# both wasted on the questions that name no time at all.
_MAY_HOLD_A_DATE = re.compile(
    r"\d|\b(today|tonight|yesterday|tomorrow|day|days|week|weeks|weekend|month|months|"
    r"year|years|decade|ago|now|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|"
    + "|".join(_MONTHS)
    + r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Prior:
    """One decay: an article `d` days before the window gets `1 / (1 + (d / scale) ** power)`
    (`power` 1: a long tail; larger: a sharper edge), one `d` days after it the same with
    `after_scale` (reports, reviews and anniversaries follow an event for years, while
    nothing reports it before it happens), and `weight` times that is added to its score,
    in reciprocal-rank units. With `margin`, only articles whose best chunk is within
    `margin` cosine of the best candidate's get it: reciprocal ranks hide how much better
    the first match is, and a clearly better match must keep its place whatever its date."""

    weight: float
    scale: float
    power: float = 1.0
    after_scale: float | None = None
    margin: float | None = None

    def closeness(self, days_before: float, days_after: float = 0.0) -> float:
        if days_before > 0:
            return 1.0 / (1.0 + math.pow(days_before / self.scale, self.power))
        if days_after > 0:
            scale = self.after_scale or self.scale
            return 1.0 / (1.0 + math.pow(days_after / scale, self.power))
        return 1.0


@dataclass(frozen=True)
class TimePriors:
    """The decay for each kind of window."""

    recent: Prior
    dated: Prior
    none: Prior

    def for_kind(self, kind: WindowKind) -> Prior:
        return {"recent": self.recent, "dated": self.dated, "none": self.none}[kind]


# Chosen by measurement on rtqa dev with evals/time_prior.py (docs/retrieval-and-time.md).
# Without a time in the question the prior is as strong, but only within `margin` of the
# best match, so a question naming no time still finds a clearly better older article; and
# as it decays within weeks of the reference date, it only orders the latest news.
DEFAULT_PRIORS = TimePriors(
    recent=Prior(weight=2.0, scale=7.0, power=1.0),
    dated=Prior(weight=2.0, scale=30.0, power=1.0, after_scale=1825.0),
    none=Prior(weight=2.0, scale=7.0, power=1.0, margin=0.15),
)


class TimeWindow(BaseModel):
    """The time a question was ranked for, and the date filters it was searched with.

    It carries the priors it was made with (not part of its JSON): retrieval ranks with
    `prior`, and the answer step weighs the articles' dates with it too, so tuning the
    priors (`Query.time_priors`) reaches both."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: WindowKind
    reference: dt.date = Field(description="as_of, else the day the question was asked.")
    start: dt.date | None = None
    end: dt.date | None = None
    phrase: str = Field(default="", description="The question's words that set the window.")
    ignored: tuple[str, ...] = Field(
        default=(),
        description="Time expressions of the question left out: they reach outside the "
        "calendar (before year 1 or after 9999), like “5000 years ago”.",
    )
    as_of: dt.date | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    include_undated: bool = False
    priors: TimePriors = Field(default=DEFAULT_PRIORS, exclude=True, repr=False)

    @property
    def prior(self) -> Prior:
        """The decay for this window's kind."""
        return self.priors.for_kind(self.kind)

    def with_filters(
        self,
        *,
        as_of: dt.date | None,
        since: dt.date | None,
        until: dt.date | None,
        include_undated: bool,
    ) -> TimeWindow:
        return self.model_copy(
            update={
                "as_of": as_of,
                "since": since,
                "until": until,
                "include_undated": include_undated,
            }
        )

    def describe(self) -> str:
        """One line: how the articles were ranked in time and which dates were searched."""
        ref = self.reference.isoformat()
        if self.kind == "recent" and self.start is not None:
            days = (self.reference - self.start).days + 1
            if days == 7:
                line = f"ranked for the week before {ref}"
            elif days == 1:
                line = f"ranked for {ref}"
            else:
                line = f"ranked for {self.start.isoformat()} to {ref}"
        elif self.kind == "dated" and self.start is not None and self.end is not None:
            line = f"ranked for {_span_text(self.start, self.end)}"
        else:
            line = f"ranked with a mild preference for news close to {ref}"
        if self.phrase:
            line += f" (“{self.phrase}”)"
        parts = [line]
        parts += [
            f"“{text}” ignored: it lies outside the dates that can be read (years 1 to 9999)"
            for text in self.ignored
        ]
        # as_of is an upper bound too: the dates searched end at the earlier of the two.
        upper = min((d for d in (self.until, self.as_of) if d is not None), default=None)
        if self.since is not None or self.until is not None:
            lo = self.since.isoformat() if self.since else "the earliest"
            hi = upper.isoformat() if upper else "the latest"
            parts.append(f"articles from {lo} to {hi}")
        elif self.as_of is not None:
            parts.append(f"articles published by {self.as_of.isoformat()}")
        if self.include_undated:
            parts.append("undated articles included")
        return "; ".join(parts)


def _span_text(start: dt.date, end: dt.date) -> str:
    if start == end:
        return start.isoformat()
    if end == dt.date.max:  # no day after it to measure the span with
        return f"{start.isoformat()} to {end.isoformat()}"
    after = end + dt.timedelta(days=1)
    if start.day == 1 and after.day == 1:
        if start.month == 1 and after.month == 1 and after.year == start.year + 1:
            return str(start.year)
        if (after.year * 12 + after.month) - (start.year * 12 + start.month) == 1:
            return start.strftime("%B %Y")
    return f"{start.isoformat()} to {end.isoformat()}"


# "Recently" and its kin: how far back the window reaches.
RECENT_DAYS = 14


def _shift(day: dt.date, days: int) -> dt.date:
    """`day` moved by `days`, held inside the calendar (an `as_of` of 0001-01-03 has no
    week before it, and 9999-12-31 no day after)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.min if days < 0 else dt.date.max


def _span(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """The days an expression of dateparser's `period` covers around its date."""
    if period == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if period == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return dt.date(day.year, day.month, 1), dt.date(day.year, day.month, last)
    if period == "week":
        start = _shift(day, -day.weekday())
        return start, _shift(start, 6)
    return day, day


def _outside_calendar(question: str, reference: dt.date) -> list[re.Match[str]]:
    """The relative expressions of `question` that reach past year 1 or year 9999."""
    out = []
    for m in _RELATIVE.finditer(question):
        unit = next(v for k, v in _UNIT_DAYS.items() if m.group(2).lower().startswith(k))
        back = m.group(3).lower() in ("ago", "before", "earlier", "back")
        try:
            days = int(m.group(1).replace(",", "")) * unit
            reference + dt.timedelta(days=-days if back else days)
        except (OverflowError, ValueError):
            out.append(m)
    return out


def _is_date(text: str) -> bool:
    words = text.lower().split()
    if any(w.strip(",.") in _MONTHS for w in words):
        return True
    return not _NOT_A_DATE.search(text)


def _search(question: str, reference: dt.date) -> list[tuple[str, dt.date, str]]:
    if not _MAY_HOLD_A_DATE.search(question):
        return []
    from dateparser.search import search_dates

    settings: dict[str, Any] = {
        "RELATIVE_BASE": dt.datetime.combine(reference, dt.time()),
        "PREFER_DATES_FROM": "past",
        "RETURN_TIME_AS_PERIOD": True,
    }
    try:
        found = search_dates(question, languages=["en"], settings=settings, add_period=True)
    except Exception as exc:  # a parser bug must not fail a question: rank without time
        logger.warning("could not read the dates in %r (%s)", question, exc)
        return []
    out: list[tuple[str, dt.date, str]] = []
    for item in found or ():
        text, when, period = item[0], item[1], item[2] if len(item) > 2 else "day"
        if _is_date(text):
            out.append((text.strip(), when.date(), str(period or "day")))
    return out


def time_window(
    question: str, as_of: dt.date | None = None, priors: TimePriors = DEFAULT_PRIORS
) -> TimeWindow:
    """The window `question` is about, relative to `as_of` (None: today), ranked with the
    decay `priors` give its kind.

    An expression that reaches the reference date ("this week", "this year", "yesterday",
    a weekday) or lies after it ("next month": news about plans is published now) asks for
    recent articles; one wholly before it ("in 2020", "last March") names a window there.
    With several, the first recent one wins, else the first dated one.
    """
    reference = as_of or dt.date.today()
    recent: TimeWindow | None = None
    dated: TimeWindow | None = None
    outside = _outside_calendar(question, reference)
    for found in outside:  # blanked, not cut: the rest of the question keeps its offsets
        question = question[: found.start()] + " " * len(found.group(0)) + question[found.end() :]
    ignored = tuple(found.group(0) for found in outside)
    for text, day, period in _search(question, reference):
        if period not in _PERIODS:
            continue  # "now": an instant, read below as a recency word
        start, end = _span(day, period)
        if start > reference:
            # Still to come ("next month"): news about plans is the latest news.
            start, end = _shift(reference, -6), reference
        if end >= _shift(reference, -7):
            if recent is None:
                if period == "week":  # "this week": the seven days before, not since Monday
                    start = min(start, _shift(reference, -6))
                recent = TimeWindow(
                    kind="recent", reference=reference, start=start, end=reference, phrase=text
                )
        elif dated is None:
            dated = TimeWindow(kind="dated", reference=reference, start=start, end=end, phrase=text)
    if recent is None and dated is None:
        m = _RECENCY_WORDS.search(question)
        if m:
            recent = TimeWindow(
                kind="recent",
                reference=reference,
                start=_shift(reference, -(RECENT_DAYS - 1)),
                end=reference,
                phrase=m.group(0),
            )
    window = recent or dated or TimeWindow(kind="none", reference=reference)
    if ignored or priors is not DEFAULT_PRIORS:
        window = window.model_copy(update={"ignored": ignored, "priors": priors})
    return window


def names_a_time(window: TimeWindow) -> bool:
    """The window comes from a date or period the question names ("this week", "in May
    2025"), not from a word like "recently" or "current", which ask for the latest news
    the articles have, however old that is."""
    if window.kind == "none" or window.start is None:
        return False
    return not _RECENCY_WORDS.fullmatch(window.phrase)
