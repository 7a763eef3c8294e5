"""Timelines: how a story unfolded across the articles, each event dated and quoted.

`Assistant.timeline(topic)` retrieves the topic's passages, dates their sentences
(`extract`), merges several articles' reports of one event and flags dates that disagree
(`merge`); `export` writes the result as Markdown or CSV.
"""

from assistant.timeline.build import MAX_LIMIT, TimelineSettings, build_timeline
from assistant.timeline.export import to_csv, to_markdown
from assistant.timeline.intent import timeline_topic
from assistant.timeline.types import Event, EventCitation, EventDate, Timeline

__all__ = [
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
