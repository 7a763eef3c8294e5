"""The `Answerer` protocol: what every answering backend (offline, LLM, fallback) provides.

An answerer gets the standalone question and the retrieved chunks and streams the answer:
text pieces as they are ready (for display only), then one final `Draft`, whose text and
citations are the verified answer. The `Assistant` picks an answerer per call and wraps the
draft into an `Answer`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.types import Citation, RetrievedChunk, TimeWindow

__all__ = [
    "ABSTENTION",
    "PASSAGES_LEAD",
    "AnswerRequest",
    "Answerer",
    "Condenser",
    "Draft",
    "final_draft",
]

# What every answerer says when the articles do not answer (the LLM prompt asks for it word
# for word); follow-ups and the UI recognise an abstention by `Draft.abstained`, not by text.
ABSTENTION = "The indexed articles don't say."
# How an answer without a short answer (too unsure to state one) begins: its quotes follow.
PASSAGES_LEAD = "The closest passages say:"

History = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Draft:
    """An answerer's verified answer: the text with `[n]` markers and the citations they name."""

    text: str
    short: str = ""
    abstained: bool = False
    citations: tuple[Citation, ...] = ()
    mode: str = "extractive"
    best_score: float = 0.0  # the offline answerer's evidence score (0 where it has none)
    # The offline answer model's probability that its best candidate is right (None: not
    # estimated, as for LLM answers and why-questions).
    confidence: float | None = None
    # The best-ranked candidate value, stated as `short` only when confident enough.
    candidate: str = ""


@dataclass(frozen=True)
class AnswerRequest:
    """What an answerer answers from: the standalone question and the retrieved chunks.

    `today` is the question's reference date ("this week"); `question_vec` its embedding
    when retrieval made one, so it is not embedded twice; `window` the time it asks about."""

    question: str
    chunks: Sequence[RetrievedChunk]
    today: dt.date | None = None
    question_vec: np.ndarray | None = None
    # The time the question asks about ("this week"), as retrieval ranked for it.
    window: TimeWindow | None = None


@runtime_checkable
class Answerer(Protocol):
    """Streams text pieces (for display), then the final, verified `Draft`."""

    def stream(self, request: AnswerRequest) -> Iterator[str | Draft]: ...


@runtime_checkable
class Condenser(Protocol):
    """Rewrites a follow-up into a standalone question. Answerers that condense better than
    the offline rewrite (an LLM) implement it; the others get the offline one."""

    def condense(self, question: str, history: History) -> str: ...


def final_draft(pieces: Iterator[str | Draft]) -> Draft:
    """Drain an answerer's stream and return its draft."""
    final: Draft | None = None
    for item in pieces:
        if isinstance(item, Draft):
            final = item
    if final is None:
        raise RuntimeError("the answerer ended without a draft")
    return final
