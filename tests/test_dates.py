"""Publication dates: full dates are parsed, partial or absent ones never guessed."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.dates import find_header_date, is_date_line, parse_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-09-11", dt.date(2025, 9, 11)),
        ("2025-09-11T08:15:00+02:00", dt.date(2025, 9, 11)),
        ("2025-09-11T23:59:59Z", dt.date(2025, 9, 11)),
        ("2025-09-11 08:15", dt.date(2025, 9, 11)),
        ("  2024-02-29  ", dt.date(2024, 2, 29)),
        ("Thursday, September 11, 2025", dt.date(2025, 9, 11)),
        ("September 11, 2025", dt.date(2025, 9, 11)),
        ("11 September 2025", dt.date(2025, 9, 11)),
        ("11th September, 2025", dt.date(2025, 9, 11)),
        ("Sept. 3, 2024", dt.date(2024, 9, 3)),
        ("Sep 3 2024", dt.date(2024, 9, 3)),
        ("Mon., Sept. 3, 2024", dt.date(2024, 9, 3)),
        ("Dec. 25, 2023", dt.date(2023, 12, 25)),
        ("Published on 3 March 2024", dt.date(2024, 3, 3)),
        ("Updated: June 1st, 2022, 10:30 am", dt.date(2022, 6, 1)),
        ("Wed, 10 Sep 2025 14:00:00 GMT", dt.date(2025, 9, 10)),
        (dt.date(2021, 5, 6), dt.date(2021, 5, 6)),
        (dt.datetime(2021, 5, 6, 23, 30), dt.date(2021, 5, 6)),
    ],
)
def test_parse_full_dates(value: object, expected: dt.date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "Thursday, December 2",  # no year
        "December 2",
        "2 December",
        "September 2025",  # no day
        "2025",
        "Spring 2024",
        "yesterday",
        "last Thursday",
        "garbage",
        "n/a",
        "2025-13-01",  # month 13
        "2025-02-30",
        "2023-02-29",  # not a leap year
        "31 June 2025",
        "February 30, 2024",
        "December 2, 20251",  # a five-digit "year"
        "12/09/2025",  # ambiguous numeric order: not guessed
        "Copyright 2025",
        20250911,
        3.5,
    ],
)
def test_partial_or_bad_dates_are_none(value: object) -> None:
    assert parse_date(value) is None


@pytest.mark.parametrize(
    "line",
    [
        "Thursday, December 2",
        "Thursday, September 11, 2025",
        "11 September 2025",
        "Sept. 3, 2024",
        "Sept. 3, 2024.",
        "2025-09-11",
        "Published: Sept. 3, 2024",
        "Updated on 11 September 2025, 10:30 am",
        "posted March 4",
    ],
)
def test_is_date_line_accepts_date_only_lines(line: str) -> None:
    assert is_date_line(line)
    assert is_date_line(f"  {line}  ")


@pytest.mark.parametrize(
    "line",
    [
        "The council met on 3 March 2024 to vote on the budget.",
        "By Jane Holt | September 11, 2025",
        "March madness",
        "",
        "Ferry crews walk out",
        "May the best town win",
    ],
)
def test_is_date_line_rejects_other_lines(line: str) -> None:
    assert not is_date_line(line)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Thursday, September 11, 2025", "Thursday, September 11, 2025"),
        ("By Jane Holt | September 11, 2025 | 4 min read", "September 11, 2025"),
        ("Published 3 March 2024, updated 4 March 2024", "3 March 2024"),
        ("Posted 2025-09-11 by the desk", "2025-09-11"),
        ("Thursday, December 2", None),
        ("Last updated in 2024", None),
        ("No date here at all", None),
    ],
)
def test_find_header_date_returns_the_date_as_written(line: str, expected: str | None) -> None:
    assert find_header_date(line) == expected


def test_header_date_round_trips_through_parse_date() -> None:
    found = find_header_date("By Jane Holt | Sept. 3, 2024 | Vellan Coast Herald")
    assert found is not None
    assert parse_date(found) == dt.date(2024, 9, 3)


# --------------------------------------------------------------------------- properties

_FORMATS = [
    lambda d: d.isoformat(),
    lambda d: f"{d:%A}, {d:%B} {d.day}, {d.year}",
    lambda d: f"{d.day} {d:%B} {d.year}",
    lambda d: f"{d:%b}. {d.day}, {d.year}",
    lambda d: f"{d:%B} {d.day}, {d.year}",
    lambda d: f"{d:%a}, {d.day} {d:%b} {d.year}",
]


@settings(max_examples=100, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)),
    fmt=st.sampled_from(_FORMATS),
)
def test_any_full_date_written_the_usual_ways_parses_back(day: dt.date, fmt) -> None:
    text = fmt(day)
    assert parse_date(text) == day
    assert find_header_date(text) is not None
    assert parse_date(f"{day.isoformat()}T12:00:00Z") == day


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80))
def test_parse_date_never_raises_and_never_invents_a_year(text: str) -> None:
    result = parse_date(text)
    if result is not None:
        # A date is only ever read from what the text says: its year is written in it.
        assert str(result.year) in text
    is_date_line(text)
    found = find_header_date(text)
    if found is not None:
        assert found in text


@settings(max_examples=60, deadline=None)
@given(
    weekday=st.sampled_from(["", "Monday, ", "Thu., ", "Saturday "]),
    month=st.sampled_from(["January", "Feb.", "Sept.", "December", "May", "Jun"]),
    day=st.integers(min_value=1, max_value=28),
)
def test_dates_without_a_year_are_never_completed(weekday: str, month: str, day: int) -> None:
    for text in (f"{weekday}{month} {day}", f"{weekday}{day} {month}"):
        assert parse_date(text) is None
        assert find_header_date(text) is None


# ---------------------------------------------------------------- assistant.dates: answers


@pytest.mark.parametrize(
    ("text", "sentence", "expected"),
    [
        # Thursday's paper: "on Thursday" is that day.
        ("Thursday", "The bridge reopened on Thursday.", "Thursday (August 15, 2024)"),
        ("Tuesday", "The council voted on Tuesday.", "Tuesday (August 13, 2024)"),
        # What will happen: the next such day.
        ("Monday", "Motorboats will be banned from Monday.", "Monday (August 19, 2024)"),
        ("yesterday", "", "yesterday (August 14, 2024)"),
        ("last week", "", "last week (the week of August 5, 2024)"),
        ("last month", "", "last month (July 2024)"),
        ("June 1", "The ban began on June 1.", "June 1, 2024"),
        ("June 1", "The ban will start on June 1.", "June 1, 2025"),
        # Absolute dates and durations are left as they are.
        ("August 15, 2024", "", "August 15, 2024"),
        ("2023", "", "2023"),
        ("three weeks", "", "three weeks"),
        ("44 days", "", "44 days"),
    ],
)
def test_a_relative_date_is_stated_with_the_date_it_names(
    text: str, sentence: str, expected: str
) -> None:
    from assistant.dates import stated

    assert stated(text, dt.date(2024, 8, 15), sentence) == expected


def test_an_undated_articles_relative_date_is_left_as_it_is() -> None:
    from assistant.dates import stated

    assert stated("Thursday", None, "It reopened on Thursday.") == "Thursday"


def test_resolve_keeps_the_precision_of_the_expression() -> None:
    from assistant.dates import resolve

    month = resolve("last month", dt.date(2024, 8, 15))
    assert month is not None and month.precision == "month" and month.day.month == 7
    day = resolve("Friday", dt.date(2024, 8, 15))
    assert day is not None and (day.precision, day.day) == ("day", dt.date(2024, 8, 9))
    assert resolve("not a date at all", dt.date(2024, 8, 15)) is None
