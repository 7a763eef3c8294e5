"""The offline `Condenser`: a follow-up made to stand alone by the resolver (`resolver.py`).

There is one offline rewrite of follow-ups; this module is its `Condenser` face (what the
`Assistant` calls when the answerer does not condense itself, and what the LLM path falls
back to when the LLM fails).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.resolver import Resolution, is_follow_up, resolve
from assistant.conversation import HistoryItem

__all__ = ["OfflineCondenser", "is_follow_up", "offline_condense"]


class OfflineCondenser:
    """Resolves follow-ups from the conversation's parse, without a model call."""

    def condense(self, question: str, history: Sequence[HistoryItem]) -> str:
        return resolve(question, history).standalone

    def resolve(self, question: str, history: Sequence[HistoryItem] | None) -> Resolution:
        return resolve(question, history)


def offline_condense(question: str, history: Sequence[HistoryItem] | None) -> str:
    """`question` made to stand alone from `history` (oldest first)."""
    return resolve(question, history).standalone
