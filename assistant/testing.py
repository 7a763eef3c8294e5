"""Test doubles for code that uses the assistant, as httpx ships its MockTransport.

* `ConstantEmbedder`: every text gets the same unit vector (an embedding space of its own,
  e.g. to test that a store refuses another embedder).
* `HashEmbedder`: a deterministic bag-of-words vector per text: no model to load, and texts
  that share words are near each other, so retrieval still finds things.
* `ScriptedChat`: a `ChatBackend` that replies with scripted texts, streamed in pieces, and
  records every request; a reply may be an exception to raise instead.
* `FakeAnswerer`: an `Answerer` that answers with a fixed text citing the first chunk.

    from assistant import Assistant
    from assistant.testing import HashEmbedder, ScriptedChat

    a = Assistant(store=tmp_path, embedder=HashEmbedder(), chat_backend=ScriptedChat(["…"]))
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from assistant.answering.base import ABSTENTION, AnswerRequest, Draft
from assistant.answering.citations import make_citation

__all__ = ["ConstantEmbedder", "FakeAnswerer", "HashEmbedder", "ScriptedChat"]


class ConstantEmbedder:
    """The same unit vector for every text."""

    def __init__(self, name: str = "fake/constant", dimension: int = 8) -> None:
        self.name = name
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        v = np.ones((len(texts), self.dimension), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


class HashEmbedder:
    """Bag-of-words vectors from hashed lower-case words: deterministic, instant, and
    similar texts get similar vectors. `calls` records every batch it was asked to embed."""

    def __init__(self, name: str = "fake/hash-bow", dimension: int = 64) -> None:
        self.name = name
        self.dimension = dimension
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.casefold()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[i, int.from_bytes(digest, "big") % self.dimension] += 1.0
            if not out[i].any():  # no words: still a unit vector, as a real model gives
                out[i, 0] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class ScriptedChat:
    """A `ChatBackend` replying with `replies` in turn (the last one repeats).

    Each reply streams in `piece`-character deltas; a reply that is an exception is raised
    instead. `requests` holds the messages of every call."""

    def __init__(self, replies: Iterable[str | BaseException], piece: int = 8) -> None:
        self.replies = list(replies)
        if not self.replies:
            raise ValueError("ScriptedChat needs at least one reply")
        self.piece = piece
        self.requests: list[list[dict[str, str]]] = []

    def _next(self) -> str | BaseException:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        self.requests.append(messages)
        reply = self._next()
        if isinstance(reply, BaseException):
            raise reply
        for i in range(0, len(reply), self.piece):
            yield reply[i : i + self.piece]


class FakeAnswerer:
    """An `Answerer` whose answer is `text` plus a citation of the first retrieved chunk's
    opening sentence-sized passage; records the questions it was given."""

    def __init__(self, text: str = "A scripted answer", short: str = "") -> None:
        self.text = text
        self.short = short
        self.questions: list[str] = []

    def stream(self, request: AnswerRequest) -> Iterator[str | Draft]:
        self.questions.append(request.question)
        chunks = request.chunks
        if not chunks:
            yield Draft(ABSTENTION, abstained=True, mode="fake")
            return
        rc = chunks[0]
        end = min(rc.chunk.end, rc.chunk.start + 80)
        citation = make_citation(1, rc, rc.chunk.start, end)
        text = f"{self.text} [1]"
        yield text
        yield Draft(text, self.short, False, (citation,), mode="fake")
