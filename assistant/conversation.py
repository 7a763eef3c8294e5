"""`Turn`: one earlier question of a conversation and what the assistant answered.

A follow-up is read against the turns before it. The resolver needs more than the answer's
text: whether it abstained (an abstention names no antecedent), its short answer (the
likeliest antecedent of "he" or "it") and the articles it cited (kept as candidates for the
follow-up's retrieval). `Answer`s carry all of it; plain `(question, answer text)` pairs, as
the API and older callers send them, are taken too, with only what their text says.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.types import Answer

__all__ = ["HistoryItem", "Turn", "as_turns"]


@dataclass(frozen=True)
class Turn:
    """An earlier question and its answer.

    `short` is the answer's short form ("" when it stated none); `abstained` says the articles
    did not answer (its text then names nothing the follow-up can refer to); `doc_ids` are the
    cited articles; `standalone` is how the question itself was read ("" = as asked)."""

    question: str
    answer: str = ""
    short: str = ""
    abstained: bool = False
    doc_ids: tuple[str, ...] = ()
    standalone: str = ""
    # The offline answerer's best candidate when it stated no short answer: still the
    # likeliest thing the user's next "he" or "it" means.
    candidate: str = ""
    # False for a bare (question, text) pair: its short answer is read off the text's first
    # line, and whether it abstained is unknown.
    structured: bool = False

    @classmethod
    def from_answer(cls, answer: Answer) -> Turn:
        """The turn an `Answer` makes (what the CLI, the UI and the evals keep)."""
        docs: list[str] = []
        for c in answer.citations:
            if c.doc_id not in docs:
                docs.append(c.doc_id)
        return cls(
            question=answer.question,
            answer=answer.text,
            short=answer.short,
            abstained=answer.abstained,
            doc_ids=tuple(docs),
            standalone=answer.standalone_question,
            candidate="" if answer.abstained else answer.best_candidate,
            structured=True,
        )

    @property
    def read_as(self) -> str:
        """The question as it was understood (its standalone form, else as asked)."""
        return self.standalone or self.question

    def pair(self) -> tuple[str, str]:
        """(question, answer text), as the LLM's condense prompt takes a turn."""
        return (self.question, self.answer)


HistoryItem = Any  # a Turn, an Answer, or a (question, answer text) pair


def as_turns(history: Iterable[HistoryItem] | None) -> tuple[Turn, ...]:
    """`history` (oldest first) as `Turn`s; a malformed item is a `ConfigError`."""
    from assistant.types import Answer

    out: list[Turn] = []
    for n, item in enumerate(history or (), 1):
        if isinstance(item, Turn):
            out.append(item)
        elif isinstance(item, Answer):
            out.append(Turn.from_answer(item))
        elif (
            isinstance(item, Sequence)
            and not isinstance(item, str)
            and len(item) == 2
            and all(isinstance(x, str) for x in item)
        ):
            out.append(Turn(question=item[0], answer=item[1]))
        else:
            raise ConfigError(
                "history must be a list of (question, answer) pairs (or Answers): "
                f"turn {n} is {type(item).__name__}"
            )
    return tuple(out)
