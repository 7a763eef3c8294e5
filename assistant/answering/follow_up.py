"""`resolve_follow_up`: the offline answerer's `condense`, the one offline resolver's rewrite."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.resolver import resolve
from assistant.conversation import HistoryItem

__all__ = ["resolve_follow_up"]


def resolve_follow_up(question: str, history: Sequence[HistoryItem] | None) -> str:
    """`question` made to stand alone from `history` ((question, answer) pairs, `Answer`s or
    `Turn`s, oldest first): see `assistant.answering.resolver`."""
    return resolve(question, history).standalone
