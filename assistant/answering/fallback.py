"""`FallbackAnswerer`: the LLM, and the offline answer when the LLM fails (`llm_fallback`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from assistant.answering.base import AnswerRequest, Draft
from assistant.answering.condense import offline_condense
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm import FALLBACK_HINT, LLMAnswerer
from assistant.errors import LLMError

__all__ = ["FALLBACK_NOTE", "MODE_FALLBACK", "FallbackAnswerer"]

logger = logging.getLogger(__name__)

# `Answer.mode` and the first words of `Answer.text` when the LLM failed and the offline
# answerer answered instead.
MODE_FALLBACK = "extractive-fallback"
FALLBACK_NOTE = "Offline answer (the LLM failed)"


def _reason(exc: LLMError) -> str:
    """What failed, without the advice to turn on the fallback that is already on."""
    return str(exc).removesuffix(FALLBACK_HINT)


class FallbackAnswerer:
    """Answers with `llm`; when it fails (after its retries), with `offline`, saying why."""

    mode = "llm"

    def __init__(self, llm: LLMAnswerer, offline: ExtractiveAnswerer) -> None:
        self.llm = llm
        self.offline = offline

    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        try:
            return self.llm.condense(question, history)
        except LLMError as exc:
            logger.warning("condensing offline, as the LLM failed: %s", _reason(exc))
            return offline_condense(question, history)

    def stream(self, request: AnswerRequest) -> Iterator[str | Draft]:
        streamed = False
        try:
            for item in self.llm.stream(request):
                streamed = streamed or isinstance(item, str)
                yield item
            return
        except LLMError as exc:
            # What streamed before the failure is dropped, never finished into an answer:
            # only a whole reply has its citations checked.
            reason = _reason(exc)
            logger.warning("answering offline, as the LLM failed: %s", reason)
        draft = self.offline.answer(request.question, request.chunks, request.question_vec)
        text = f"{FALLBACK_NOTE}: {reason}\n\n{draft.text}"
        # The blank line parts it from any text that streamed before the failure.
        yield ("\n\n" if streamed else "") + text
        yield Draft(text, draft.short, draft.abstained, draft.citations, MODE_FALLBACK)
