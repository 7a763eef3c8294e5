"""Dates in article text resolved against the article's publication date.

"On Thursday" in an article published on Thursday, August 15, 2024 is that day; "last week"
is the week before; "June 1" is June 1 of the year the article was written in (or the next,
when the sentence speaks of what will happen). `resolve` reads the expression with
dateparser relative to the publication date and keeps how precise it is; `stated` writes an
answer as a reader wants it: "Thursday (August 15, 2024)". An undated article's expressions
are left as they are: there is nothing to resolve them against.

`read` takes any expression, absolute ("November 9, 2020", "March 2022", "2020", "June 1-5,
2022") or relative, and `mentions` finds every date a text names with spaCy's DATE entities
and reads each one: the timelines date their events with them (`assistant.timeline`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "DateMention",
    "ResolvedDate",
    "may_name_a_date",
    "mentions",
    "read",
    "resolve",
    "stated",
]

logger = logging.getLogger(__name__)

Precision = Literal["day", "week", "month", "year"]
Tense = Literal["past", "future"]

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
    """A calendar date and how precise the text that gave it was; `end` is the last day of
    a range the text gives ("June 1-5, 2022"), None for a single date."""

    day: dt.date
    precision: Precision
    end: dt.date | None = None

    def describe(self) -> str:
        if self.end is not None and self.end != self.day:
            last = ResolvedDate(self.end, self.precision).describe()
            return f"{ResolvedDate(self.day, self.precision).describe()} to {last}"
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
    settings = {
        "RELATIVE_BASE": dt.datetime.combine(published, dt.time(12)),
        "PREFER_DATES_FROM": "future" if future else "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        data = _parser(settings).get_date_data(_EXPRESSION.sub(" ", text))
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


@dataclass(frozen=True)
class DateMention:
    """A date a text names: the expression as written, where it is (`text[start:end]`), the
    date it names and whether that was read against the publication date."""

    text: str
    start: int
    end: int
    date: ResolvedDate
    relative: bool


# dateparser's settings for absolute expressions: a month or a year alone stands for its
# first day (its default, today's day of the month, would invent a precision).
_ABSOLUTE = {
    "PREFER_DAY_OF_MONTH": "first",
    "PREFER_MONTH_OF_YEAR": "first",
    "RETURN_AS_TIMEZONE_AWARE": False,
}
# What makes a numbered expression a point rather than a span of time ("30 years ago" is a
# year; "the past 30 years", "42 years old" and "two weeks" are not).
_ANCHORS = frozenset({"ago", "earlier", "later", "before", "after"})
_DASHES = re.compile("[\u2010-\u2015]")
_RANGE_WORDS = frozenset({"to", "through", "until", "and", "between"})
_ERAS = frozenset(
    {"decade", "decades", "century", "centuries", "millennium", "era", "old", "olds", "aged", "age"}
)
_MONTHS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
_UNITS = frozenset({"day", "days", "week", "weeks", "month", "months", "year", "years"})
_COUNTS = frozenset(
    [
        "a",
        "an",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "several",
        "few",
    ]
)


def _is_span(words: list[str]) -> bool:
    has_count = any((w.isdigit() and len(w) < 4) or w in _COUNTS for w in words)
    return has_count and bool(_UNITS & set(words)) and not (_ANCHORS & set(words))


def _parser(settings: dict[str, Any]) -> Any:
    """dateparser's parser for `settings`, built once per settings: building one reads its
    language data and costs more than the parse (a timeline reads hundreds of dates)."""
    return _cached_parser(tuple(sorted(settings.items())))


@functools.lru_cache(maxsize=512)
def _cached_parser(items: tuple[tuple[str, Any], ...]) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"], settings=dict(items))


def _parse_absolute(text: str) -> ResolvedDate | None:
    from dateparser.search import search_dates

    cleaned = _EXPRESSION.sub(" ", _DASHES.sub("-", text)).strip()
    try:
        data = _parser(_ABSOLUTE).get_date_data(cleaned)
        if data.date_obj is not None:
            return ResolvedDate(data.date_obj.date(), _precision(data.period))
        # Not one date: a range ("June 1-5, 2022", "from March to May 2022") or a date
        # inside more words ("early March 2022"); the search finds its parts.
        found = search_dates(
            cleaned.replace("-", " to "),
            languages=["en"],
            settings={**_ABSOLUTE, "RETURN_TIME_AS_PERIOD": True},
            add_period=True,
        )
    except (ValueError, OverflowError, TypeError) as exc:  # dateparser's own range limits
        logger.debug("no date in %r: %s", text, exc)
        return None
    if not found:
        return None
    first, last = found[0], found[-1]
    precision = _precision(str(first[2]) if len(first) > 2 else "day")
    year_text = _YEAR.search(cleaned)
    start, end = first[1].date(), last[1].date()
    if year_text is not None and start.year != int(year_text.group(1)):
        # "June 1 to 5, 2022": the year written once at the end applies to both ends.
        try:
            start = start.replace(year=int(year_text.group(1)))
        except ValueError:
            return None
    if len(found) > 1 and end > start:
        return ResolvedDate(start, precision, end)
    return ResolvedDate(start, precision)


def _precision(period: str | None) -> Precision:
    for p in ("week", "month", "year"):
        if period == p:
            return p  # type: ignore[return-value]
    return "day"


def read(
    text: str, published: dt.date | None, *, tense: Tense | None = None
) -> ResolvedDate | None:
    """The date (or range) any expression names: an absolute one as written, a relative one
    read against `published` (None, an undated article: only absolute ones are read). None
    for a span of time ("three weeks", "the past 30 years") or no date at all. A month or a
    year is given as its first day. `tense`, of the sentence it is in: "Monday" or
    "December" is the one before publication in the past tense, the one after in the
    future; without a tense, a weekday is the last one and a month the nearest."""
    return _read_once(text, published, tense)


# dateparser takes milliseconds a reading, and the same expressions come back: the same
# sentences when a timeline or a question is asked again, "on Monday" in one day's papers.
@functools.lru_cache(maxsize=4096)
def _read_once(text: str, published: dt.date | None, tense: Tense | None) -> ResolvedDate | None:
    cleaned = _EXPRESSION.sub(" ", _DASHES.sub("-", text)).strip()
    parts = _range_parts(cleaned)
    if parts is not None:
        first = _read(parts[0], published, tense=tense)
        if first is not None:
            last = _read(parts[1], published, tense=tense)
            if parts[1].isdigit():
                # "June 1-5": the same month's 5th; "2020-21": the next year.
                n = int(parts[1])
                try:
                    if first.precision == "day":
                        last = ResolvedDate(first.day.replace(day=n), "day")
                    elif first.precision == "year" and n < 100:
                        last = ResolvedDate(
                            first.day.replace(year=first.day.year // 100 * 100 + n), "year"
                        )
                except ValueError:
                    last = None
            if last is not None and last.day > first.day:
                return _floor(ResolvedDate(first.day, first.precision, last.day))
    found = _read(text, published, tense=tense)
    return None if found is None else _floor(found)


def _range_parts(cleaned: str) -> tuple[str, str] | None:
    """The two ends of a range ("June 1-5, 2022", "from March to May 2022"), the year
    written once at the end given to both; None when `cleaned` is no range."""
    words = cleaned.replace("-", " - ").split()
    cut = next((i for i, w in enumerate(words) if i and w.casefold() in _RANGE_WORDS | {"-"}), None)
    if cut is None or cut == 0 or cut == len(words) - 1:
        return None
    left = [w for w in words[:cut] if w.casefold() not in ("from", "between")]
    right = words[cut + 1 :]
    year = _YEAR.search(" ".join(right))
    tail = ""
    if year is not None and not _YEAR.search(" ".join(left)):
        tail = " " + year.group(1)
        right_text = " ".join(right).replace(year.group(1), "").strip(" ,")
    else:
        right_text = " ".join(right)
    if not left or not right_text:
        return None
    right_text = right_text if right_text.isdigit() else right_text + tail
    return " ".join(left).strip(" ,") + tail, right_text


def _floor(found: ResolvedDate) -> ResolvedDate:
    """A month or year reading given as the period's first day (dateparser keeps the day
    of its reference date)."""
    if found.precision == "month":
        return ResolvedDate(found.day.replace(day=1), "month", found.end)
    if found.precision == "year":
        return ResolvedDate(found.day.replace(month=1, day=1), "year", found.end)
    return found


def _read(text: str, published: dt.date | None, *, tense: Tense | None) -> ResolvedDate | None:
    words = text.strip().casefold()
    if not words or len(words) > 60:
        return None
    if _ERAS & set(_EXPRESSION.sub(" ", words).replace("-", " ").split()):
        # "later this decade", "the 20th century", "90-year-old": a span or an age, not
        # a date (dateparser reads some of them as one).
        return None
    if _is_span(_EXPRESSION.sub(" ", words).replace(",", " ").split()):
        return None
    if _YEAR.search(words):
        return _parse_absolute(text)
    if published is None:
        return None
    tokens = set(_EXPRESSION.sub(" ", _DASHES.sub(" ", words)).replace("-", " ").split())
    if _MONTHS & {t.strip(",.") for t in tokens}:
        return _nearest(text, published, tense)
    found = resolve(text, published, future=tense == "future")
    return found or _inside(text, published, ("future",) if tense == "future" else ("past",))


def _inside(
    text: str, published: dt.date, prefer: tuple[str, ...] = ("past", "future")
) -> ResolvedDate | None:
    """The date within an expression dateparser cannot read whole ("earlier this year",
    "mid-August"): of the readings preferring each direction, the one nearest `published`."""
    from dateparser.search import search_dates

    out: list[ResolvedDate] = []
    for direction in prefer:
        settings = {
            "RELATIVE_BASE": dt.datetime.combine(published, dt.time(12)),
            "PREFER_DATES_FROM": direction,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "RETURN_TIME_AS_PERIOD": True,
        }
        try:
            found = search_dates(
                _EXPRESSION.sub(" ", text).replace("-", " "),
                languages=["en"],
                settings=settings,
                add_period=True,
            )
        except (ValueError, OverflowError, TypeError) as exc:
            logger.debug("no date in %r: %s", text, exc)
            continue
        for item in found or ():
            period = str(item[2]) if len(item) > 2 else "day"
            if period in ("day", "week", "month", "year"):
                out.append(ResolvedDate(item[1].date(), _precision(period)))
                break
    return min(out, key=lambda r: abs((r.day - published).days)) if out else None


def _nearest(text: str, published: dt.date, tense: Tense | None) -> ResolvedDate | None:
    """A month or a day of one without its year ("September 5", "Monday, Sept. 19"): the
    one before publication in a past-tense sentence, after it in a future one, else the
    nearest (news writes the year only when it is not the nearest one)."""
    found = []
    for prefer in (tense,) if tense else ("past", "future"):
        settings = {
            "RELATIVE_BASE": dt.datetime.combine(published, dt.time(12)),
            "PREFER_DATES_FROM": prefer,
            "RETURN_AS_TIMEZONE_AWARE": False,
            **{k: v for k, v in _ABSOLUTE.items() if k != "RETURN_AS_TIMEZONE_AWARE"},
        }
        try:
            data = _parser(settings).get_date_data(_EXPRESSION.sub(" ", text))
        except (ValueError, OverflowError, TypeError) as exc:
            logger.debug("no date in %r: %s", text, exc)
            return None
        if data.date_obj is not None:
            found.append(ResolvedDate(data.date_obj.date(), _precision(data.period)))
    if not found:
        return _inside(text, published, (tense,) if tense else ("past", "future"))
    return min(found, key=lambda r: abs((r.day - published).days))


_DATE_WORDS = frozenset(
    [
        "today",
        "tonight",
        "yesterday",
        "tomorrow",
        "week",
        "weeks",
        "weekend",
        "month",
        "months",
        "year",
        "years",
        "ago",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "earlier",
        "later",
        "last",
        "next",
        "this",
        "spring",
        "summer",
        "autumn",
        "fall",
        "winter",
    ]
)


def may_name_a_date(text: str) -> bool:
    """Whether `text` can hold a date at all (a digit, a month, a weekday or a relative
    word): a cheap test before the language pipeline looks for one."""
    if any(c.isdigit() for c in text):
        return True
    words = {w.strip(".,;:!?()\"'“”’").casefold() for w in text.split()}
    return bool(words & (_MONTHS | _DATE_WORDS))


_WILL = frozenset({"will", "shall", "'ll", "wo"})


def _tense(ent: Any) -> Tense | None:
    """The tense of the clauses a date entity sits in, from spaCy's parse: up the chain of
    verbs that govern it, "will" makes it future and a past-tense verb or auxiliary ("was
    scrubbed", "had been set to launch") past; None when neither is found."""
    tok = ent.root
    past = False
    for _ in range(8):  # the governing verbs, nearest first, up to the sentence's root
        if tok.pos_ in ("VERB", "AUX"):
            aux = [c for c in tok.children if c.dep_ in ("aux", "auxpass")]
            if any(a.lower_ in _WILL for a in aux):
                return "future"
            if tok.tag_ == "VBD" or any(a.tag_ == "VBD" for a in aux):
                past = True
        if tok.head.i == tok.i:
            break
        tok = tok.head
    return "past" if past else None


def mentions(text: str, published: dt.date | None) -> list[DateMention]:
    """The dates `text` names, in order: spaCy's DATE entities, each read with `read`
    (relative ones against `published`, in the tense of the clause they are in)."""
    from assistant import nlp

    out: list[DateMention] = []
    doc = nlp.parse(text)
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        # Without "will" or a past-tense verb, words like "is due to" or "expected to"
        # still look ahead (the answerer's own test, `_FUTURE`).
        tense = _tense(ent) or ("future" if _FUTURE.search(ent.sent.text) else None)
        found = read(ent.text, published, tense=tense)
        if found is not None:
            relative = not _YEAR.search(ent.text)
            out.append(DateMention(ent.text, ent.start_char, ent.end_char, found, relative))
    return out
