"""How specific a date is: a full date answers "when" better than a month or a bare year."""

from __future__ import annotations

import re

__all__ = ["date_specificity"]

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"


def date_specificity(text: str) -> float:
    """1.0 for a full date, less for a month and day, a month and year, a bare year."""
    has_year = bool(re.search(_YEAR, text))
    has_day = bool(re.search(rf"{_MONTH}\s+{_DAY}\b|\b{_DAY}\s+{_MONTH}", text))
    if has_day and has_year:
        return 1.0
    if has_day:
        return 0.85
    if has_year and re.search(_MONTH, text):
        return 0.75
    return 0.5
