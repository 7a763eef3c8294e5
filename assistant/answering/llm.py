"""The LLM answerer: any OpenAI-compatible server through the `openai` SDK.

The SDK does the retries (exponential backoff on 429, 5xx and dropped connections, up to
`llm_max_retries`) and timeouts; we turn what still fails into an `LLMError` that says what
to check. The model sees numbered sources fenced in <source> tags and must cite them as [n];
markers it invents are dropped, and each citation quotes the sentence of its chunk that best
supports the answer sentence that cites it.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from assistant.answering.citations import MARKER, make_citation, renumber_markers
from assistant.answering.sentences import content_words, split_sentences
from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.errors import LLMError
from assistant.prompts import load_prompt
from assistant.types import Citation, RetrievedChunk

__all__ = ["ChatBackend", "LLMAnswerer", "OpenAIChat", "parse_llm_output"]

logger = logging.getLogger(__name__)

_ABSTAIN = re.compile(r"indexed articles (don't|do not) say|sources do not (say|answer)", re.I)


@runtime_checkable
class ChatBackend(Protocol):
    """Streams the assistant's reply to a list of chat messages."""

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]: ...


class OpenAIChat:
    """Chat completions from OpenAI or any server speaking its API (Ollama, vLLM, llama.cpp)."""

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        self.base_url = settings.openai_base_url or "https://api.openai.com/v1"
        # Local servers ignore the key, but the SDK insists on one.
        self._client = OpenAI(
            api_key=key or "not-needed",
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )
        self.model = settings.llm_model
        self.temperature = settings.llm_temperature

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        import openai

        try:
            resp: Any = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.temperature,
                stream=True,
            )
            for event in resp:
                if event.choices and event.choices[0].delta.content:
                    yield event.choices[0].delta.content
        except openai.APIConnectionError as exc:
            raise LLMError(
                f"cannot reach the LLM server at {self.base_url} ({type(exc).__name__}); "
                "check OPENAI_BASE_URL and that the server is running, or use the offline "
                "answerer (ASSISTANT_ANSWERER=extractive)."
            ) from None
        except openai.AuthenticationError:
            raise LLMError(
                f"the LLM server at {self.base_url} refused the API key; check OPENAI_API_KEY."
            ) from None
        except openai.APIStatusError as exc:
            raise LLMError(
                f"the LLM server at {self.base_url} answered HTTP {exc.status_code} after "
                "retries; try again later or use the offline answerer."
            ) from None
        except openai.APIError as exc:
            raise LLMError(f"the LLM server at {self.base_url} failed: {exc.message}") from None


def format_sources(chunks: Sequence[RetrievedChunk]) -> str:
    blocks = []
    for i, rc in enumerate(chunks, 1):
        a = rc.article
        date = a.published.isoformat() if a.published else "unknown"
        # Escaping keeps an article from closing the fence and writing outside it.
        body = html.escape(rc.chunk.text, quote=False)
        blocks.append(
            f'<source id="{i}" title="{html.escape(a.title)}" '
            f'outlet="{html.escape(a.source or "unknown")}" published="{date}">\n{body}\n</source>'
        )
    return "\n\n".join(blocks)


def parse_llm_output(raw: str) -> tuple[str, str]:
    """Split the model's reply into (short answer, answer text)."""
    text = raw.strip()
    # [ \t] not \s: an empty "Short answer:" line must not swallow the next line.
    m = re.match(r"^\s*\**short answer\**[ \t]*:[ \t]*(.*?)[ \t]*(?:\n|$)", text, re.I)
    if not m:
        return "", text
    short = MARKER.sub("", m.group(1)).strip().strip("*").strip()
    return short, text[m.end() :].strip()


class LLMAnswerer:
    def __init__(self, settings: Settings, backend: ChatBackend, embedder: Embedder) -> None:
        self.settings = settings
        self.backend = backend
        self.embedder = embedder
        self._system = load_prompt("system", settings.prompts_dir)
        self._answer = load_prompt("answer", settings.prompts_dir)

    def messages(
        self, question: str, chunks: Sequence[RetrievedChunk], today: dt.date | None
    ) -> list[dict[str, str]]:
        user = self._answer.format(
            today=(today or dt.date.today()).isoformat(),
            sources=format_sources(chunks),
            question=question,
        )
        return [
            {"role": "system", "content": self._system.format()},
            {"role": "user", "content": user},
        ]

    def stream_raw(
        self, question: str, chunks: Sequence[RetrievedChunk], today: dt.date | None
    ) -> Iterator[str]:
        yield from self.backend.stream(self.messages(question, chunks, today))

    def finish(
        self, raw: str, chunks: Sequence[RetrievedChunk]
    ) -> tuple[str, str, bool, tuple[Citation, ...]]:
        """Check a finished reply's markers, attach quotes: (text, short, abstained, cites)."""
        short, body = parse_llm_output(raw)
        if _ABSTAIN.search(body) and not MARKER.search(body):
            return body, "", True, ()
        text, order = renumber_markers(body, len(chunks))
        if not order:
            return (
                text + "\n\n(The model cited none of the retrieved sources: this answer is "
                "unverified.)",
                short,
                False,
                (),
            )
        # For each cited source, the sentence of its chunk closest to the citing sentence.
        citing: dict[int, str] = {}
        for sent in split_sentences(text):
            for m in MARKER.finditer(sent.text):
                citing.setdefault(int(m.group(1)), MARKER.sub("", sent.text))
        cites: list[Citation] = []
        for new_no, src_no in enumerate(order, 1):
            rc = chunks[src_no - 1]
            cands = split_sentences(rc.chunk.text, base=rc.chunk.start) or []
            if not cands:
                continue
            claim = citing.get(new_no, text)
            vecs = self.embedder.embed([claim] + [c.text for c in cands])
            cw = set(content_words(claim))
            scores = [
                0.5 * float(np.dot(vecs[0], v))
                + 0.5 * (len(cw & set(content_words(c.text))) / max(len(cw), 1))
                for c, v in zip(cands, vecs[1:], strict=True)
            ]
            best = cands[int(np.argmax(scores))]
            cites.append(make_citation(new_no, rc, best.start, best.end))
        return text, short, False, tuple(cites)
