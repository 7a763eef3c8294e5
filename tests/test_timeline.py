"""Timelines: dates read from text, reports merged into events, exports, and the whole path
over invented articles (tests/fixtures/news/timeline.jsonl) and the seeds."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest

from assistant.dates import ResolvedDate, mentions, read
from assistant.timeline import (
    Event,
    EventCitation,
    EventDate,
    Timeline,
    timeline_topic,
    to_csv,
    to_markdown,
)
from assistant.timeline.extract import Candidate
from assistant.timeline.merge import merge

TIMELINE_FEED = Path(__file__).resolve().parent / "fixtures" / "news" / "timeline.jsonl"
PUBLISHED = dt.date(2022, 8, 30)  # a Tuesday


# ---------------------------------------------------------------- reading dates
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November 9, 2020", ResolvedDate(dt.date(2020, 11, 9), "day")),
        ("March 2022", ResolvedDate(dt.date(2022, 3, 1), "month")),
        ("2020", ResolvedDate(dt.date(2020, 1, 1), "year")),
        ("June 1-5, 2022", ResolvedDate(dt.date(2022, 6, 1), "day", dt.date(2022, 6, 5))),
        ("June 1–5, 2022", ResolvedDate(dt.date(2022, 6, 1), "day", dt.date(2022, 6, 5))),
        (
            "from March to May 2022",
            ResolvedDate(dt.date(2022, 3, 1), "month", dt.date(2022, 5, 1)),
        ),
        # Relative ones, against a Tuesday's paper.
        ("Thursday", ResolvedDate(dt.date(2022, 8, 25), "day")),
        ("today", ResolvedDate(PUBLISHED, "day")),
        ("last month", ResolvedDate(dt.date(2022, 7, 1), "month")),
        ("earlier this year", ResolvedDate(dt.date(2022, 1, 1), "year")),
        # A day of a month without its year: the one nearest the paper, either way.
        ("September 5", ResolvedDate(dt.date(2022, 9, 5), "day")),
        ("Aug. 29", ResolvedDate(dt.date(2022, 8, 29), "day")),
        ("Monday, September 19", ResolvedDate(dt.date(2022, 9, 19), "day")),
        ("mid-August", ResolvedDate(dt.date(2022, 8, 1), "month")),
    ],
)
def test_read_gives_the_date_and_its_precision(text: str, expected: ResolvedDate) -> None:
    assert read(text, PUBLISHED) == expected


@pytest.mark.parametrize(
    "text",
    ["three weeks", "the past 30 years", "90-year-old", "later this decade", "seven decades", ""],
)
def test_spans_and_ages_are_no_dates(text: str) -> None:
    assert read(text, PUBLISHED) is None


def test_an_undated_article_gives_only_its_explicit_dates() -> None:
    assert read("Friday", None) is None
    assert read("September 5", None) is None
    assert read("November 20, 2026", None) == ResolvedDate(dt.date(2026, 11, 20), "day")


def test_the_answerers_resolve_still_leaves_absolute_dates_alone() -> None:
    from assistant.dates import resolve

    # `resolve` is the answerer's: an expression naming its year is not resolved there.
    assert resolve("November 9, 2020", PUBLISHED) is None
    assert read("November 9, 2020", PUBLISHED) is not None


def test_mentions_finds_each_date_with_its_offsets() -> None:
    text = "NASA scrubbed the launch on Monday, August 29, and will try again on Sept. 3."
    found = mentions(text, PUBLISHED)
    assert [(m.date.day, m.relative) for m in found] == [
        (dt.date(2022, 8, 29), True),
        (dt.date(2022, 9, 3), True),
    ]
    for m in found:
        assert text[m.start : m.end] == m.text


# ---------------------------------------------------------------- merging
def _candidate(doc: str, quote: str, when: EventDate, vec: list[float], rel: float) -> Candidate:
    v = np.asarray(vec, dtype=np.float32)
    citation = EventCitation(
        doc_id=doc,
        title=doc,
        source=f"{doc} news",
        url=None,
        published=dt.date(2026, 3, 12),
        chunk_id=f"{doc}#0",
        quote=quote,
        start=0,
        end=len(quote),
        date=when,
    )
    return Candidate(citation, v / np.linalg.norm(v), rel, lead=False)


def _day(y: int, m: int, d: int) -> EventDate:
    return EventDate(start=dt.date(y, m, d))


def test_two_articles_reporting_one_event_become_one_event_with_both_citations() -> None:
    a = _candidate("a", "The bridge closed on Monday.", _day(2026, 3, 9), [1, 0.1, 0], 0.9)
    b = _candidate("b", "The bridge was closed on March 9.", _day(2026, 3, 9), [1, 0.15, 0], 0.8)
    c = _candidate("c", "A festival was held.", _day(2026, 6, 6), [0, 0, 1], 0.5)
    events = merge([a, b, c])
    assert len(events) == 2
    assert [x.doc_id for x in events[0].citations] == ["a", "b"]
    assert not events[0].disagreement and events[0].date.start == dt.date(2026, 3, 9)


def test_the_same_report_with_different_dates_is_a_disagreement_each_date_cited() -> None:
    a = _candidate("a", "Closed on March 9.", _day(2026, 3, 9), [1, 0.05, 0], 0.9)
    b = _candidate("b", "Closed on March 2.", _day(2026, 3, 2), [1, 0.06, 0], 0.8)
    (event,) = merge([a, b])
    assert event.disagreement
    assert [d.start for d in event.dates] == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]
    assert {c.date.start for c in event.citations} == {dt.date(2026, 3, 2), dt.date(2026, 3, 9)}


def test_a_month_and_a_day_inside_it_agree_and_the_day_is_kept() -> None:
    a = _candidate(
        "a",
        "Repairs start next month.",
        EventDate(start=dt.date(2026, 4, 1), precision="month"),
        [1, 0, 0.1],
        0.9,
    )
    b = _candidate("b", "Repairs began on April 14.", _day(2026, 4, 14), [1, 0, 0.12], 0.8)
    (event,) = merge([a, b])
    assert not event.disagreement
    assert (event.date.start, event.date.precision) == (dt.date(2026, 4, 14), "day")


def test_one_articles_two_sentences_stay_two_events() -> None:
    a = _candidate("a", "Closed on March 9.", _day(2026, 3, 9), [1, 0, 0], 0.9)
    b = _candidate("a", "Closed again on March 9.", _day(2026, 3, 9), [1, 0, 0], 0.8)
    assert len(merge([a, b])) == 2


def test_a_reported_on_date_never_disagrees_with_a_stated_one() -> None:
    reported = EventDate(start=dt.date(2026, 3, 12), reported_on=True)
    a = _candidate("a", "The bridge is closed.", reported, [1, 0, 0], 0.9)
    b = _candidate("b", "The bridge closed on March 9.", _day(2026, 3, 9), [1, 0.01, 0], 0.8)
    (event,) = merge([a, b])
    assert not event.disagreement and event.date.start == dt.date(2026, 3, 9)
    assert event.citations[0].doc_id == "b"  # the report that states the date comes first


# ---------------------------------------------------------------- exports and intent
def _timeline() -> Timeline:
    a = _candidate(
        "a", "Closed [here](javascript:x) on *March 9*.", _day(2026, 3, 9), [1, 0, 0], 0.9
    )
    b = _candidate("b", "Closed on March 2.", _day(2026, 3, 2), [1, 0.01, 0], 0.8)
    return Timeline(topic="bridge # closure", events=tuple(merge([a, b])))


def test_markdown_export_escapes_article_text_and_names_the_disagreement() -> None:
    md = to_markdown(_timeline())
    assert md.startswith("# Timeline: bridge \\# closure")
    assert "\\[here\\]\\(javascript:x\\)" in md and "\\*March 9\\*" in md
    assert "the articles disagree" in md
    assert "March 2, 2026" in md and "March 9, 2026" in md


def test_csv_export_has_one_row_per_citation_with_its_offsets() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(_timeline()))))
    assert len(rows) == 2
    assert {r["doc_id"] for r in rows} == {"a", "b"}
    assert all(r["disagreement"] == "True" for r in rows)
    assert rows[0]["quote_start"] == "0"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What happened with the Harbor Bridge?", "the Harbor Bridge"),
        ("timeline of the Artemis I launch", "the Artemis I launch"),
        ("Give me a timeline of Hurricane Ian.", "Hurricane Ian"),
        ("When does the bridge reopen?", None),
        ("What happened?", None),
    ],
)
def test_timeline_questions_are_recognised(question: str, topic: str | None) -> None:
    assert timeline_topic(question) == topic


# ---------------------------------------------------------------- the whole path
@pytest.fixture(scope="module")
def bridge_assistant(tmp_path_factory: pytest.TempPathFactory, embedder):
    from assistant import Assistant

    a = Assistant(store=tmp_path_factory.mktemp("timeline-store"), embedder=embedder)
    report = a.ingest([TIMELINE_FEED])
    assert report.added == 5 and report.ok
    return a


def _find(events: tuple[Event, ...], words: str) -> Event:
    hits = [e for e in events if any(words in c.quote for c in e.citations)]
    assert hits, f"no event quoting {words!r} in {[e.text for e in events]}"
    return hits[0]


def test_bridge_timeline_merges_reports_flags_the_disputed_date_and_cites_verbatim(
    bridge_assistant,
) -> None:
    tl = bridge_assistant.timeline("Harbor Bridge closure and repairs in Port Velling")
    starts = [e.date.start for e in tl.events]
    assert starts == sorted(starts)
    closed = _find(tl.events, "was closed on")
    assert closed.disagreement
    assert {d.start for d in closed.dates} == {dt.date(2026, 3, 2), dt.date(2026, 3, 9)}
    assert {c.doc_id for c in closed.citations} >= {"tl-closure", "tl-followup", "tl-review"}
    repairs = _find(tl.events, "began on April 14, 2026")
    assert (repairs.date.start, repairs.date.precision) == (dt.date(2026, 4, 14), "day")
    # The undated article gives its explicit date only, never its "Friday".
    reopened = _find(tl.events, "reopened to traffic")
    assert reopened.date.start == dt.date(2026, 11, 20)
    assert not any("on Friday" in c.quote for e in tl.events for c in e.citations)
    assert not any(c.doc_id == "tl-other" for e in tl.events for c in e.citations)
    texts = {
        d: a.text
        for d, a in bridge_assistant.get_articles(
            ["tl-closure", "tl-followup", "tl-review", "tl-undated"]
        ).items()
    }
    for e in tl.events:
        for c in e.citations:
            assert texts[c.doc_id][c.start : c.end] == c.quote


def test_since_until_and_limit_bound_the_events(bridge_assistant) -> None:
    tl = bridge_assistant.timeline(
        "Harbor Bridge closure and repairs in Port Velling", since="2026-04-01", limit=2
    )
    assert 0 < len(tl.events) <= 2
    assert all(e.date.last >= dt.date(2026, 4, 1) for e in tl.events)


def test_bad_timeline_arguments_are_clear_errors(bridge_assistant) -> None:
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match="topic is empty"):
        bridge_assistant.timeline("  ")
    with pytest.raises(ConfigError, match="since 2026-05-01 is after until 2026-04-01"):
        bridge_assistant.timeline("bridge", since="2026-05-01", until="2026-04-01")
    with pytest.raises(ConfigError, match="limit"):
        bridge_assistant.timeline("bridge", limit=0)


def test_seeds_timeline_dates_the_border_guards_withdrawal(seeds_assistant) -> None:
    tl = seeds_assistant.timeline("Russian border guards withdraw from the Armenia-Iran border")
    withdrawal = _find(tl.events, "January 1, 2025")
    assert withdrawal.date.start == dt.date(2025, 1, 1)
    assert withdrawal.citations[0].doc_id.startswith("000_")


def test_the_timeline_packages_api_is_pinned() -> None:
    import assistant.timeline

    assert assistant.timeline.__all__ == [
        "MAX_LIMIT",
        "Event",
        "EventCitation",
        "EventDate",
        "Timeline",
        "TimelineSettings",
        "build_timeline",
        "timeline_topic",
        "to_csv",
        "to_markdown",
    ]
