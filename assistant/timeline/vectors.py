"""Sentence vectors for timelines, embedded once per embedder and text.

Embedding the dated sentences is most of a timeline's time. The same sentences come back
whenever a topic is asked again: with another date range (which does not change what is
retrieved), as of another day, or as a neighbouring topic of the same story. A vector
depends only on the embedder and the text, so the text itself is the key: an article
ingested again with other text simply gives other keys, and nothing needs invalidating.
The cache is bounded (least recently used out first) and belongs to one embedder object.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from assistant.embeddings import Embedder

__all__ = ["CACHE_SIZE", "SentenceVectors", "sentence_vectors"]

# 384 floats a vector (MiniLM): 8192 vectors are about 13 MB.
CACHE_SIZE = 8192


class SentenceVectors:
    """`embedder`'s vectors of texts, remembered for the next call (at most `size`)."""

    def __init__(self, embedder: Embedder, size: int = CACHE_SIZE) -> None:
        self.embedder = embedder
        self.size = size
        self._lock = threading.Lock()
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def embed(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """The vectors of `texts` (one row each, in order) and how many had to be embedded;
        the others come from the cache. Repeated texts are embedded once, in one call."""
        keys = [self._key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for k in keys:
                v = self._vectors.get(k)
                if v is not None:
                    self._vectors.move_to_end(k)
                    found[k] = v
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if todo:
            fresh = np.asarray(self.embedder.embed(list(todo.values())), dtype=np.float32)
            with self._lock:
                for k, v in zip(todo, fresh, strict=True):
                    v.setflags(write=False)  # shared between calls: never changed in place
                    found[k] = v
                    self._vectors[k] = v
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        if not keys:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32), 0
        return np.stack([found[k] for k in keys]), len(todo)


_caches: weakref.WeakKeyDictionary[Embedder, SentenceVectors] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def sentence_vectors(embedder: Embedder) -> SentenceVectors:
    """The cache of `embedder` (one per embedder object, gone with it). An embedder that
    cannot be weakly referenced gets a fresh cache each call: correct, only not faster."""
    with _caches_lock:
        try:
            cache = _caches.get(embedder)
            if cache is None:
                cache = _caches[embedder] = SentenceVectors(embedder)
        except TypeError:
            return SentenceVectors(embedder)
        return cache
