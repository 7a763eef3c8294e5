"""Chat questions that ask for a timeline: "what happened with X?", "timeline of X"."""

from __future__ import annotations

import re

__all__ = ["timeline_topic"]

# The phrasings people use to ask how a story unfolded; the rest of the question is the topic.
_ASKS = re.compile(
    r"^\s*(?:(?:give|show|make|build)\s+(?:me\s+)?)?(?:an?\s+|the\s+)?"
    r"(?:timeline|chronology|history of events)\s+(?:of|for|on|about)\s+(?P<a>.+?)\s*[?.!]*\s*$"
    r"|^\s*what\s+(?:has\s+)?happened\s+(?:with|to|in|around|regarding)\s+(?P<b>.+?)\s*[?.!]*\s*$"
    r"|^\s*how\s+did\s+(?P<c>.+?)\s+unfold\s*[?.!]*\s*$",
    re.IGNORECASE | re.DOTALL,
)


def timeline_topic(question: str) -> str | None:
    """The topic a question asks the timeline of, or None when it asks something else."""
    m = _ASKS.match(question)
    if m is None:
        return None
    topic = next(g for g in (m.group("a"), m.group("b"), m.group("c")) if g)
    return topic.strip() or None
