"""Conversations in a suite: two or three turns, each scored as a question of its own.

A suite's `conversations:` list is written turn by turn; each turn becomes a `Question`
whose `history` is the turns before it (asked first, as a user would), so every turn's
answer, citations and (for a follow-up) standalone question are scored:

    conversations:
      - id: attal
        sources: [rtqa-1b20bd835971]
        turns:
          - q: Who became France's youngest ever prime minister in January 2024?
            answers: [Gabriel Attal]
          - q: Whom did he replace?
            kind: pronoun          # reported (and gateable) per kind: metric[pronoun]
            antecedent: [Attal]    # the standalone question must name one of these
            answers: [Borne]
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from assistant.evals.suite import Question, QuestionType
from assistant.types import FrozenModel

__all__ = ["Conversation", "ConversationTurn", "expand_conversations"]


def _strings(v: Any) -> Any:
    if isinstance(v, str | int | float):
        v = [v]
    return [str(x) for x in v] if isinstance(v, list | tuple) else v


class ConversationTurn(FrozenModel):
    """One turn: the question, what a right answer holds, and (for a follow-up) what its
    standalone form must name (`antecedent`) and must not (`not_antecedent`)."""

    q: str
    answers: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    unanswerable: bool = False
    kind: str = Field(default="", pattern=r"^[a-z]*$")
    antecedent: tuple[str, ...] = ()
    not_antecedent: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    _lists = field_validator(
        "answers", "all_of", "antecedent", "not_antecedent", "sources", mode="before"
    )(_strings)


class Conversation(FrozenModel):
    id: str
    turns: tuple[ConversationTurn, ...] = Field(min_length=2)
    sources: tuple[str, ...] = ()
    as_of: str | None = None

    _lists = field_validator("sources", mode="before")(_strings)

    def questions(self) -> list[Question]:
        """Each turn as a `Question` (ids `<id>.1`, `<id>.2`, ...)."""
        out = []
        for i, turn in enumerate(self.turns):
            qtype: QuestionType = (
                "abstain" if turn.unanswerable else "fact" if i == 0 else "followup"
            )
            out.append(
                Question(
                    id=f"{self.id}.{i + 1}",
                    question=turn.q,
                    type=qtype,
                    answers=turn.answers,
                    all_of=turn.all_of,
                    sources=() if turn.unanswerable else (turn.sources or self.sources),
                    as_of=self.as_of,
                    history=tuple(t.q for t in self.turns[:i]),
                    kind=turn.kind or ("first" if i == 0 else ""),
                    antecedent=turn.antecedent,
                    not_antecedent=turn.not_antecedent,
                )
            )
        return out


def expand_conversations(items: Any) -> list[Question]:
    """A suite's `conversations:` list as questions (ValueError on a malformed one)."""
    if not isinstance(items, list):
        raise ValueError("`conversations` must be a list of conversations")
    out: list[Question] = []
    for item in items:
        out += Conversation.model_validate(item).questions()
    return out
