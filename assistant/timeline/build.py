"""`build_timeline`: a topic's passages retrieved, their dated sentences merged into events."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING

from assistant.errors import ConfigError
from assistant.timeline.extract import dated_sentences
from assistant.timeline.merge import MergeSettings, merge
from assistant.timeline.types import Event, Timeline

if TYPE_CHECKING:
    from assistant.core import Assistant

__all__ = ["MAX_LIMIT", "TimelineSettings", "build_timeline"]

logger = logging.getLogger(__name__)

MAX_LIMIT = 200


class TimelineSettings:
    """How much is read and what counts as about the topic (chosen on the timeline suite,
    docs/timelines.md)."""

    articles: int = 12
    min_relevance: float = 0.45
    merge: MergeSettings = MergeSettings()


def _in_range(e: Event, since: dt.date | None, until: dt.date | None) -> bool:
    return (since is None or e.date.last >= since) and (until is None or e.date.start <= until)


def build_timeline(
    assistant: Assistant,
    topic: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    as_of: dt.date | None = None,
    limit: int = 30,
    settings: TimelineSettings | None = None,
) -> Timeline:
    """The events of `topic` dated from `since` to `until` (inclusive), read from articles
    published by `as_of`: the `limit` most relevant, oldest first."""
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}")
    s = settings or TimelineSettings()
    t0 = time.perf_counter()
    # Articles are searched by publication up to as_of only: an article published before
    # `since` may report what happened after it (a plan, a scheduled vote), so the range
    # applies to the events' own dates.
    res = assistant.retrieve(topic, as_of=as_of, top_k=s.articles, include_undated=True)
    timings = {"retrieve": time.perf_counter() - t0}
    t = time.perf_counter()
    topic_vec = assistant.embedder.embed([topic])[0] if res.query_vec is None else res.query_vec
    # The passages' stored vectors tell which sentences cannot be about the topic before
    # any is parsed or embedded (`extract`).
    passages = assistant.store.chunk_vectors([rc.chunk.chunk_id for rc in res.chunks])
    timings["passages"] = time.perf_counter() - t
    steps: dict[str, float] = {}
    candidates = dated_sentences(
        res.chunks,
        topic_vec,
        assistant.embedder,
        min_relevance=s.min_relevance,
        topic=topic,
        passages=passages,
        timings=steps,
    )
    timings["extract"] = time.perf_counter() - t
    timings.update({f"extract.{k}": v for k, v in steps.items()})
    t = time.perf_counter()
    events = [e for e in merge(candidates, s.merge) if _in_range(e, since, until)]
    chosen = sorted(events, key=lambda e: -e.score)[:limit]
    # Oldest first; at one date, what the text dates before what is only "reported on".
    chosen.sort(key=lambda e: (e.date.start, e.date.reported_on, -e.score))
    timings["merge"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return Timeline(
        topic=topic,
        events=tuple(chosen),
        as_of=as_of,
        since=since,
        until=until,
        articles_read=len(res.article_order),
        timings=timings,
    )
