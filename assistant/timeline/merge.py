"""Several articles' reports of one event become one event; their dates, compared.

Two dated sentences from different articles report the same event when they say nearly the
same thing (cosine at least `same_event`) at dates that agree, or something close (at least
`same_day`) about the same day. Sentences saying almost exactly the same thing (at least
`conflict`) at dates that cannot name the same time (`EventDate.agrees_with`) are one event
the articles disagree on: it keeps each date with the citations that give it. Below that bar
two different dates mean two events (a launch set for Monday, then for Saturday). A "reported
on" date is only the article's publication, so it never disagrees with a date the text gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.timeline.extract import Candidate
from assistant.timeline.types import Event, EventCitation, EventDate

__all__ = ["MergeSettings", "merge"]

_RANK = {"day": 0, "week": 1, "month": 2, "year": 3}


@dataclass(frozen=True)
class MergeSettings:
    """How alike two reports must be to count as one event (cosines of their sentences)."""

    same_event: float = 0.80
    same_day: float = 0.60
    conflict: float = 0.88


@dataclass
class _Group:
    seed: Candidate
    members: list[Candidate] = field(default_factory=list)

    def docs(self) -> set[str]:
        return {m.citation.doc_id for m in self.members}


def _joins(group: _Group, c: Candidate, s: MergeSettings) -> bool:
    if c.citation.doc_id in group.docs():
        return False  # one article's two sentences are two things it says
    cosine = float(np.dot(group.seed.vector, c.vector))
    a, b = group.seed.citation.date, c.citation.date
    agree = a.reported_on or b.reported_on or a.agrees_with(b)
    if cosine >= s.conflict or (cosine >= s.same_event and agree):
        return True
    day = a.precision == b.precision == "day" and not (a.reported_on or b.reported_on)
    return day and cosine >= s.same_day and agree


def _dates(citations: Sequence[EventCitation]) -> tuple[EventDate, tuple[EventDate, ...]]:
    """The event's date (the one most of its articles give, most precise first) and, when
    the articles disagree, every distinct date they give."""
    stated = [c.date for c in citations if not c.date.reported_on]
    if not stated:
        return citations[0].date, ()
    distinct: list[tuple[EventDate, int]] = []
    for d in stated:
        for i, (seen, n) in enumerate(distinct):
            if seen.agrees_with(d):
                # The more precise of two agreeing dates stands for both.
                better = d if _RANK[d.precision] < _RANK[seen.precision] else seen
                distinct[i] = (better, n + 1)
                break
        else:
            distinct.append((d, 1))
    best = max(distinct, key=lambda x: (x[1], -_RANK[x[0].precision]))[0]
    if len(distinct) == 1:
        return best, ()
    return best, tuple(sorted((d for d, _ in distinct), key=lambda d: d.start))


def merge(candidates: Sequence[Candidate], settings: MergeSettings | None = None) -> list[Event]:
    """`candidates` (most relevant first) grouped into events, most relevant first."""
    s = settings or MergeSettings()
    groups: list[_Group] = []
    for c in candidates:
        home = next((g for g in groups if _joins(g, c, s)), None)
        if home is None:
            groups.append(_Group(seed=c, members=[c]))
        else:
            home.members.append(c)
    events: list[Event] = []
    for g in groups:
        # The first citation is the most relevant report that states a date, if any does.
        members = sorted(g.members, key=lambda m: (m.citation.date.reported_on, -m.relevance))
        citations = tuple(m.citation for m in members)
        date, alternatives = _dates(citations)
        first = next((c for c in citations if c.date == date), citations[0])
        ordered = (first, *(c for c in citations if c is not first))
        events.append(
            Event(
                date=date,
                text=first.quote,
                citations=ordered,
                dates=alternatives,
                score=max(m.relevance for m in g.members),
            )
        )
    return events
