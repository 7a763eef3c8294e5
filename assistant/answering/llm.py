"""The LLM answerer: any OpenAI-compatible server through the `openai` SDK.

The SDK retries a request (exponential backoff on 429, 5xx, timeouts and refused or dropped
connections, up to `llm_max_retries`). It does not retry a streamed reply that breaks after
its headers (connection cut or stalled, an event that is not JSON, no final event), so we
retry that ourselves while no text has come yet. What still fails becomes an `LLMError` that
says what to check and holds no secret.

The model sees numbered sources fenced in <source> tags and must cite them as [n]; markers it
invents are dropped, and each citation quotes the sentence of its chunk that best supports
the answer sentence that cites it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np

from assistant.answering.base import AnswerRequest, Draft
from assistant.answering.citations import (
    MARKER,
    inert_markers,
    make_citation,
    normalise_markers,
    renumber_markers,
)
from assistant.answering.sentences import content_words, sentence_score, split_sentences
from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.errors import LLMError
from assistant.prompts import load_prompt
from assistant.types import Citation, RetrievedChunk

__all__ = [
    "FALLBACK_HINT",
    "ChatBackend",
    "LLMAnswerer",
    "OpenAIChat",
    "complete",
    "display_url",
    "parse_llm_output",
]

logger = logging.getLogger(__name__)

_ABSTAIN = re.compile(r"indexed articles (don't|do not) say|sources do not (say|answer)", re.I)


@runtime_checkable
class ChatBackend(Protocol):
    """Streams the assistant's reply to a list of chat messages."""

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]: ...


def complete(backend: ChatBackend, messages: list[dict[str, str]]) -> str:
    """The backend's whole reply: its `complete` when it has one (no stream to break)."""
    whole = getattr(backend, "complete", None)
    if callable(whole):
        return str(whole(messages))
    return "".join(backend.stream(messages))


class _Truncated(Exception):
    """The event stream ended without the model saying it had finished."""


class _OutOfTime(Exception):
    """The answer's deadline passed (`args[0]`, if any: the last fault before it)."""


@contextlib.contextmanager
def _watchdog(deadline: float, close: Callable[[], object]) -> Iterator[threading.Event]:
    """Call `close` (which ends a blocked read) if the block is still running at `deadline`;
    the event yielded says whether it did.

    A server can keep a request alive for ever without answering: SSE comments
    (`: keep-alive`) or whitespace reset the read timeout with every byte, and a deadline
    checked between stream events is never checked when no event comes. This holds whatever
    the server sends."""
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        with contextlib.suppress(Exception):
            close()

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def _retryable(exc: BaseException) -> bool:
    """Faults worth asking again for, as the OpenAI SDK retries them: timeouts, refused or
    broken connections, 408, 409, 429 and 5xx, and replies that broke before any text."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return isinstance(exc, (openai.APIConnectionError, _OutOfTime, *_BROKEN_REPLY))


def _retry_after(headers: Any, default: float) -> float:
    """The wait a 429 or 503 asks for (retry-after-ms or retry-after seconds), if sane."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            wait = float(headers.get(name)) * scale
        except (TypeError, ValueError):
            continue
        if 0 <= wait <= 60:
            return wait
    return default


# Faults the SDK lets through once it has handed us a streamed response (it retries only the
# request itself): a connection cut or stalled mid-body, an event that is not JSON, a body
# that is JSON but not a completion, an error event, or a stream that just stops.
_BROKEN_REPLY: tuple[type[BaseException], ...] = (
    httpx.TransportError,
    json.JSONDecodeError,
    _Truncated,
    AttributeError,
    TypeError,
    IndexError,
)

FALLBACK_HINT = (
    " Set ASSISTANT_LLM_FALLBACK=1 to get the offline answer when the LLM fails, or use "
    "ASSISTANT_ANSWERER=extractive."
)


def display_url(url: str) -> str:
    """`url` without user:password@ or a query string, either of which may hold a secret."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


class OpenAIChat:
    """Chat completions from OpenAI or any server speaking its API (Ollama, vLLM, llama.cpp)."""

    # Backoff of our own retries (the SDK's are internal to it): base * 2**n, jittered.
    retry_base_seconds = 0.5
    retry_max_seconds = 8.0

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        self.base_url = display_url(settings.openai_base_url or "https://api.openai.com/v1")
        self.timeout = settings.llm_timeout
        self.max_retries = settings.llm_max_retries
        self.deadline = settings.llm_deadline
        # Kept only to scrub it from text a server sends back (which could echo headers).
        self._key = key or ""
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
        """Yield the reply's text as it arrives; raise `LLMError` if no whole reply comes.

        A reply that breaks before its first text is asked for again. One that breaks after
        is not: its start has already reached the reader, and a second reply could differ.
        All attempts share one deadline (`llm_deadline`): each waits at most what is left of
        it, so a stalled server fails in about that time, not timeout x (retries + 1).
        """
        import openai

        deadline = time.monotonic() + self.deadline
        retry = 0
        while True:
            got_text = False
            broken: Exception | None = None
            try:
                resp: Any = self._create(messages, stream=True, deadline=deadline)
            except Exception as exc:
                if not _retryable(exc):
                    raise
                broken = exc
            else:
                with _watchdog(deadline, resp.close) as expired:
                    try:
                        finished = False
                        for event in resp:
                            if time.monotonic() > deadline:
                                raise _OutOfTime
                            if not event.choices:
                                continue
                            choice = event.choices[0]
                            if choice.delta and choice.delta.content:
                                got_text = True
                                yield choice.delta.content
                            finished = finished or bool(choice.finish_reason)
                        if not finished:
                            raise _Truncated
                        if expired.is_set():  # closed at the deadline just as it ended
                            raise _OutOfTime
                        return
                    except Exception as exc:
                        if expired.is_set():  # whatever closing the stream raised
                            broken = _OutOfTime(exc)
                        elif isinstance(exc, (*_BROKEN_REPLY, _OutOfTime, openai.APIError)):
                            broken = exc
                        else:
                            raise
                    finally:
                        resp.close()
            # Raised outside the except block so the LLMError has no __context__: the SDK's
            # exception holds the request (its Authorization header) and the server's words.
            if got_text or retry == self.max_retries or isinstance(broken, _OutOfTime):
                raise self._error(broken, partial=got_text)
            self._backoff(broken, retry, deadline)
            retry += 1

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The whole reply at once (for text nobody watches arrive, like a condensed question)."""
        deadline = time.monotonic() + self.deadline
        retry = 0
        while True:
            # A client of its own per attempt, so the watchdog can close its connection
            # without touching other requests.
            http = httpx.Client(timeout=self.timeout)
            try:
                with _watchdog(deadline, http.close) as expired:
                    try:
                        resp: Any = self._create(
                            messages, stream=False, deadline=deadline, http_client=http
                        )
                        return str(resp.choices[0].message.content or "")
                    except Exception as exc:
                        if expired.is_set():
                            broken: Exception = _OutOfTime(exc)
                        elif not _retryable(exc):
                            raise
                        else:
                            broken = exc
            finally:
                http.close()
            if isinstance(broken, _OutOfTime):
                raise self._error(broken, partial=False)
            if retry == self.max_retries:
                raise self._error(broken, partial=False)  # outside `except`: no __context__
            self._backoff(broken, retry, deadline)
            retry += 1

    def _create(
        self,
        messages: list[dict[str, str]],
        *,
        stream: bool,
        deadline: float,
        http_client: httpx.Client | None = None,
    ) -> Any:
        """One request, waiting at most what is left before `deadline`. The retries are ours
        (the SDK's would each wait a whole timeout, whatever the deadline)."""
        import openai

        left = deadline - time.monotonic()
        if left <= 0:
            raise _OutOfTime
        options: dict[str, Any] = {"max_retries": 0, "timeout": min(self.timeout, left)}
        if http_client is not None:
            options["http_client"] = http_client
        try:
            return self._client.with_options(**options).chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.temperature,
                stream=stream,
            )
        except openai.APIError as exc:
            if _retryable(exc):
                raise
            error = self._error(exc, partial=False)
        raise error  # outside `except`, so it carries no __context__ with the request in it

    def _backoff(self, exc: BaseException, retry: int, deadline: float) -> None:
        import openai

        delay = min(self.retry_base_seconds * 2**retry, self.retry_max_seconds)
        delay *= 1 - 0.25 * random.random()  # jitter, as the SDK does
        if isinstance(exc, openai.APIStatusError):  # the server says when to come back
            delay = _retry_after(exc.response.headers, delay)
        if time.monotonic() + delay >= deadline:
            raise self._error(_OutOfTime(exc), partial=False)
        logger.warning(
            "broken reply from the LLM server at %s (%s); retrying in %.2f s",
            self.base_url,
            type(exc).__name__,
            delay,
        )
        time.sleep(delay)

    def _error(self, exc: BaseException, *, partial: bool) -> LLMError:
        """An `LLMError` saying what failed and what to do, with no secret in it."""
        import openai

        url = self.base_url
        retried = f"after {self.max_retries} retr{'y' if self.max_retries == 1 else 'ies'}"
        if isinstance(exc, _OutOfTime):
            last = exc.args[0] if exc.args else None
            why = f" (last: {type(last).__name__})" if last is not None else ""
            msg = (
                f"the LLM server at {url} gave no whole answer within {self.deadline:g} s, the "
                f"deadline for one answer{why}; check that it is running and not overloaded, "
                "or raise ASSISTANT_LLM_DEADLINE."
            )
        elif isinstance(exc, openai.APITimeoutError):
            msg = (
                f"the LLM server at {url} did not answer within {self.timeout:g} s ({retried}); "
                "check that it is running and not overloaded, or raise ASSISTANT_LLM_TIMEOUT."
            )
        elif isinstance(exc, openai.APIConnectionError):
            if isinstance(exc.__cause__, httpx.ConnectError | None):
                msg = f"cannot reach the LLM server at {url} ({retried}); "
            else:  # connected, then the connection broke before the reply was whole
                msg = f"the connection to the LLM server at {url} kept breaking ({retried}); "
            msg += "check OPENAI_BASE_URL and that the server is running."
        elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return LLMError(
                f"the LLM server at {url} refused the API key (HTTP {exc.status_code}); "
                "check OPENAI_API_KEY."
            )
        elif isinstance(exc, openai.RateLimitError):
            msg = (
                f"the LLM server at {url} is rate-limiting requests (HTTP 429 {retried}); "
                "wait a minute and ask again."
            )
        elif isinstance(exc, openai.InternalServerError):
            msg = (
                f"the LLM server at {url} answered HTTP {exc.status_code} ({retried}); "
                "try again later."
            )
        elif isinstance(exc, openai.APIStatusError):
            # Other 4xx are the request's fault (unknown model, bad parameter): the server's
            # own words say best what to fix.
            return LLMError(
                f"the LLM server at {url} answered HTTP {exc.status_code}: "
                f"{self._scrub(exc.message)}; check ASSISTANT_LLM_MODEL and OPENAI_BASE_URL."
            )
        elif isinstance(exc, httpx.TimeoutException):
            msg = (
                f"the LLM server at {url} stopped sending in the middle of its reply (nothing "
                f"for {self.timeout:g} s)."
            )
        elif isinstance(exc, httpx.TransportError):
            msg = (
                f"the connection to the LLM server at {url} broke in the middle of the reply "
                f"({type(exc).__name__})."
            )
        elif isinstance(exc, _Truncated):
            msg = f"the reply from the LLM server at {url} ended before the model finished it."
        elif isinstance(exc, openai.APIError):  # an error event inside the stream
            msg = f"the LLM server at {url} reported an error: {self._scrub(exc.message)}."
        else:  # JSON that does not parse, or that is not a chat completion
            msg = (
                f"the LLM server at {url} sent a reply that is not an OpenAI chat completion "
                f"({type(exc).__name__}); check that OPENAI_BASE_URL is its OpenAI-compatible "
                "API (usually ending in /v1)."
            )
        if partial:
            msg += " The partial answer was discarded."
        return LLMError(msg + FALLBACK_HINT)

    def _scrub(self, text: str) -> str:
        text = text[:300]
        return text.replace(self._key, "***") if self._key else text


def _inert(text: str, *, quote: bool) -> str:
    """Source text the model reads as data only.

    Escaping keeps an article from closing the fence (or an attribute) and writing outside
    it; "[7]" becomes "(7)" so an article cannot plant the markers the model cites with.
    """
    return inert_markers(html.escape(text, quote=quote))


def format_sources(chunks: Sequence[RetrievedChunk]) -> str:
    blocks = []
    for i, rc in enumerate(chunks, 1):
        a = rc.article
        date = a.published.isoformat() if a.published else "unknown"
        body = _inert(rc.chunk.text, quote=False)
        blocks.append(
            f'<source id="{i}" title="{_inert(a.title, quote=True)}" '
            f'outlet="{_inert(a.source or "unknown", quote=True)}" published="{date}">\n'
            f"{body}\n</source>"
        )
    return "\n\n".join(blocks)


def parse_llm_output(raw: str) -> tuple[str, str]:
    """Split the model's reply into (short answer, answer text); every marker form in it
    is made a plain "[n]" (see `normalise_markers`), and the short answer has none."""
    text = normalise_markers(raw).strip()
    # [ \t] not \s: an empty "Short answer:" line must not swallow the next line.
    m = re.match(r"^\s*\**short answer\**[ \t]*:[ \t]*(.*?)[ \t]*(?:\n|$)", text, re.I)
    if not m:
        return "", text
    short = MARKER.sub("", m.group(1)).strip().strip("*").strip()
    return short, text[m.end() :].strip()


class LLMAnswerer:
    """Answers with a chat model: it streams the reply, then checks its citation markers."""

    mode = "llm"

    def __init__(self, settings: Settings, backend: ChatBackend, embedder: Embedder) -> None:
        self.settings = settings
        self.backend = backend
        self.embedder = embedder
        self._system = load_prompt("system", settings.prompts_dir)
        self._answer = load_prompt("answer", settings.prompts_dir)
        self._condense = load_prompt("condense", settings.prompts_dir)

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

    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """The model's standalone rewrite of a follow-up (its first line)."""
        convo = "\n".join(f"User: {u}\nAssistant: {a}" for u, a in history[-4:])
        prompt = self._condense.format(history=convo, question=question)
        text = complete(self.backend, [{"role": "user", "content": prompt}]).strip()
        return text.splitlines()[0].strip() if text else question

    def stream(self, request: AnswerRequest) -> Iterator[str | Draft]:
        pieces: list[str] = []
        messages = self.messages(request.question, request.chunks, request.today)
        for delta in self.backend.stream(messages):
            pieces.append(delta)
            yield delta
        yield self.finish("".join(pieces), request.chunks)

    def finish(self, raw: str, chunks: Sequence[RetrievedChunk]) -> Draft:
        """Check a finished reply's markers and attach the quotes they stand for."""
        short, body = parse_llm_output(raw)
        if _ABSTAIN.search(body) and not MARKER.search(body):
            return Draft(body, "", True, (), self.mode)
        text, order = renumber_markers(body, len(chunks))
        if not order:
            note = "\n\n(The model cited none of the retrieved sources: this answer is unverified.)"
            return Draft(text + note, short, False, (), self.mode)
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
                sentence_score(
                    float(np.dot(vecs[0], v)),
                    len(cw & set(content_words(c.text))) / max(len(cw), 1),
                )
                for c, v in zip(cands, vecs[1:], strict=True)
            ]
            best = cands[int(np.argmax(scores))]
            cites.append(make_citation(new_no, rc, best.start, best.end))
        return Draft(text, short, False, tuple(cites), self.mode)
