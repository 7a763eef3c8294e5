"""Turn a follow-up ("Who took part in it?") into a standalone question before retrieval."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.sentences import STOPWORDS

__all__ = ["is_follow_up", "offline_condense"]

_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|him|her|his|there|then|the same)\b",
    re.IGNORECASE,
)
_ENTITY = re.compile(r"(?:[A-Z][\w'’-]*|\d{2,4})(?:\s+(?:[A-Z][\w'’-]*|\d{2,4}))*")


def is_follow_up(question: str) -> bool:
    words = question.split()
    return bool(_PRONOUN.search(question)) or len(words) <= 4


def _key_terms(text: str) -> list[str]:
    terms = []
    for m in _ENTITY.finditer(text):
        t = m.group(0)
        toks = t.split()
        while toks and toks[0].casefold() in STOPWORDS:
            toks = toks[1:]
        if toks:
            terms.append(" ".join(toks))
    return terms


def offline_condense(question: str, history: Sequence[tuple[str, str]]) -> str:
    """Carry the previous turn's key entities into a follow-up question.

    Without an LLM we cannot resolve references exactly, so we append what the last
    question and its short answer were about; retrieval and the scorer use those words.
    """
    if not history or not is_follow_up(question):
        return question
    prev_q, prev_a = history[-1]
    terms: list[str] = []
    for t in _key_terms(prev_q) + _key_terms(prev_a.split("\n")[0]):
        if t.casefold() not in question.casefold() and t not in terms:
            terms.append(t)
    asked = question.casefold()
    topic = " ".join(
        w
        for w in re.findall(r"[\w'’-]+", prev_q)
        if w.casefold() not in STOPWORDS
        and not any(w in t for t in terms)
        and w.casefold() not in asked
    )
    extra = ", ".join(terms[:4])
    if topic:
        extra = f"{extra}; {topic}" if extra else topic
    return f"{question.rstrip()} (about: {extra})" if extra else question
