"""Publication dates stated in article text or metadata. Never guessed: no year, no date."""

from __future__ import annotations

import datetime as dt
import re

from dateutil import parser as date_parser

__all__ = ["find_header_date", "is_date_line", "parse_date"]

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)?"
# Full dates only: a day, a month and a four-digit year, in the usual news orders.
FULL_DATE = re.compile(
    rf"\b{_WEEKDAY}(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)
# A line that is nothing but a date, with or without a year ("Thursday, December 2").
_DATE_ONLY = re.compile(
    rf"^(?:(?:published|updated|posted)(?: on)?:?\s*)?{_WEEKDAY}"
    rf"(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}(?:,?\s+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}})"
    r"(?:,?\s+\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?)?\.?$",
    re.IGNORECASE,
)


def is_date_line(line: str) -> bool:
    return bool(_DATE_ONLY.match(line.strip()))


def find_header_date(line: str) -> str | None:
    """The full date stated in a header line, as written; None when it lacks a year."""
    m = FULL_DATE.search(line)
    return m.group(0) if m else None


def parse_date(value: object) -> dt.date | None:
    """A date from metadata or from text stating a full date; None for anything partial."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", text):
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            return None
    m = FULL_DATE.search(text)
    if not m:
        return None
    try:
        return date_parser.parse(m.group(0), fuzzy=True).date()
    except (ValueError, OverflowError):
        return None
