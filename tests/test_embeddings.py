"""The bundled MiniLM through both runtimes: same vectors, export once, safe fallbacks."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from assistant import embeddings
from assistant.config import Settings
from assistant.embeddings import MiniLMEmbedder
from assistant.errors import ConfigError

pytestmark = pytest.mark.slow

TEXTS = [
    "When do the Russian border guards leave the Armenia-Iran border?",
    "Armenian border guards took over the Agarak checkpoint on January 1, 2025.",
    "A",
    "Ереван — Yerevan, 12 ноября: «переговоры» продолжаются 🇦🇲",
    # Far over the model's 256 word pieces: both runtimes must truncate the same way.
    " ".join(["The ceasefire was signed in Moscow by the leaders of three countries."] * 60),
]


@pytest.fixture(scope="module")
def torch_vecs() -> np.ndarray:
    # The reference is fp32 on every CPU: "auto" means bf16 where the CPU has native bf16,
    # and bf16 has tests of its own below.
    return MiniLMEmbedder(runtime="torch", precision="fp32").embed(TEXTS)


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("onnx-cache")
    MiniLMEmbedder(runtime="onnx", cache_dir=cache).embed(["warm up"])
    return cache


def test_onnx_runtime_gives_the_sentence_transformers_vectors(
    onnx_cache: Path, torch_vecs: np.ndarray
) -> None:
    emb = MiniLMEmbedder(runtime="onnx", cache_dir=onnx_cache)
    vecs = emb.embed(TEXTS)
    assert vecs.shape == (len(TEXTS), 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(vecs * torch_vecs, axis=1)
    assert cosine.min() > 0.9999, cosine
    # Batching and ordering must not change a text's vector.
    one_by_one = np.stack([emb.embed([t])[0] for t in reversed(TEXTS)])[::-1]
    np.testing.assert_allclose(one_by_one, vecs, atol=1e-5)
    assert emb.onnx_path.parent == onnx_cache and emb.onnx_path.stat().st_size > 10_000_000


def test_batch_sizes_default_to_the_fastest_measured_and_never_change_a_vector(
    onnx_cache: Path, torch_vecs: np.ndarray
) -> None:
    assert Settings().embed_batch_size is None
    assert MiniLMEmbedder(precision="fp32").batch_size == 8
    assert MiniLMEmbedder(precision="bf16").batch_size == 16
    assert MiniLMEmbedder(precision="fp32", batch_size=3).batch_size == 3
    assert MiniLMEmbedder().onnx_batch_size == 4
    many = TEXTS * 3  # more than one batch of either runtime
    expected = np.concatenate([torch_vecs] * 3)
    torch_default = MiniLMEmbedder(runtime="torch", precision="fp32").embed(many)
    np.testing.assert_allclose(torch_default, expected, atol=1e-5)
    for size in (1, 4, 16):
        emb = MiniLMEmbedder(runtime="onnx", cache_dir=onnx_cache, onnx_batch_size=size)
        vecs = emb.embed(many)
        assert np.sum(vecs * expected, axis=1).min() > 0.9999, size
        np.testing.assert_allclose(vecs[: len(TEXTS)], vecs[len(TEXTS) : 2 * len(TEXTS)], atol=1e-5)


def test_the_export_is_reused_not_redone(onnx_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_export(self: MiniLMEmbedder, path: Path) -> None:
        raise AssertionError("exported again although the cached graph exists")

    monkeypatch.setattr(MiniLMEmbedder, "_export_onnx", no_export)
    emb = MiniLMEmbedder(runtime="onnx", cache_dir=onnx_cache)
    assert emb.prepare_onnx()
    assert emb.embed(TEXTS[:2]).shape == (2, 384)


def _spy_sessions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Record which graph file each onnxruntime session is made from, and whether as
    already optimised."""
    opened: list[tuple[str, bool]] = []
    real = embeddings._OnnxMiniLM.__init__

    def spy(self: Any, path: Path, *args: Any, **kwargs: Any) -> None:
        opened.append((Path(path).name, bool(kwargs.get("optimized"))))
        real(self, path, *args, **kwargs)

    monkeypatch.setattr(embeddings._OnnxMiniLM, "__init__", spy)
    return opened


def test_onnxruntimes_optimisation_is_saved_and_reused(
    onnx_cache: Path, torch_vecs: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = list(onnx_cache.glob("*.optimized.onnx"))
    assert len(saved) == 1 and saved[0].stat().st_size > 10_000_000
    opened = _spy_sessions(monkeypatch)
    vecs = MiniLMEmbedder(runtime="onnx", cache_dir=onnx_cache).embed(TEXTS)
    assert opened == [(saved[0].name, True)]  # one session, nothing re-optimised
    assert np.sum(vecs * torch_vecs, axis=1).min() > 0.9999


def test_a_damaged_optimised_graph_is_replaced(
    onnx_cache: Path,
    tmp_path: Path,
    torch_vecs: np.ndarray,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(onnx_cache, cache)
    (optimized,) = cache.glob("*.optimized.onnx")
    optimized.write_bytes(b"not an onnx graph")
    opened = _spy_sessions(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="assistant.embeddings"):
        vecs = MiniLMEmbedder(runtime="onnx", cache_dir=cache).embed(TEXTS)
    assert "unreadable optimised ONNX graph" in caplog.text
    assert np.sum(vecs * torch_vecs, axis=1).min() > 0.9999
    assert optimized.stat().st_size > 10_000_000  # optimised again from the export
    assert [o for _, o in opened] == [True, False, False, True]  # bad; export; save; check
    assert not list(cache.glob(".*.tmp"))


def test_a_damaged_cached_graph_is_exported_again(
    tmp_path: Path, torch_vecs: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    emb = MiniLMEmbedder(runtime="onnx", cache_dir=tmp_path)
    emb.onnx_path.parent.mkdir(parents=True, exist_ok=True)
    emb.onnx_path.write_bytes(b"not an onnx graph")
    with caplog.at_level(logging.WARNING, logger="assistant.embeddings"):
        vecs = emb.embed(TEXTS)
    assert "re-exporting" in caplog.text and str(emb.onnx_path) in caplog.text
    assert emb.onnx_path.stat().st_size > 10_000_000
    assert np.sum(vecs * torch_vecs, axis=1).min() > 0.9999


def test_an_unwritable_cache_falls_back_to_torch(
    tmp_path: Path, torch_vecs: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    emb = MiniLMEmbedder(runtime="auto", cache_dir=blocker, precision="fp32")
    with caplog.at_level(logging.WARNING, logger="assistant.embeddings"):
        vecs = emb.embed(TEXTS)
    assert "onnxruntime path unavailable" in caplog.text
    np.testing.assert_allclose(vecs, torch_vecs, atol=1e-6)
    assert not emb.prepare_onnx()  # decided once, not retried on every question


def test_runtime_is_validated() -> None:
    with pytest.raises(ValidationError):
        Settings(embed_runtime="gpu")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="auto, torch or onnx"):
        MiniLMEmbedder(runtime="gpu")


def test_asking_never_loads_torch(seeds_assistant) -> None:
    """The fast start of `assistant ask`: questions go through onnxruntime only."""
    code = (
        "import sys\n"
        "from assistant import Assistant\n"
        f"a = Assistant(store={str(seeds_assistant.settings.store)!r}, answerer='extractive')\n"
        "ans = a.ask('When do the Russian border guards leave the Armenia-Iran border?')\n"
        "print(ans.short)\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=True
    ).stdout.splitlines()
    assert "2025" in out[0]
    assert out[-1] == "[]"


def test_auto_keeps_one_runtime_once_torch_is_loaded(
    tmp_path: Path, torch_vecs: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.embeddings as embeddings

    opened: list[Path] = []
    real = embeddings._OnnxMiniLM

    def spy(path: Path, *args: object) -> object:
        opened.append(path)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(embeddings, "_OnnxMiniLM", spy)
    emb = MiniLMEmbedder(runtime="auto", cache_dir=tmp_path, small_call=2, precision="fp32")
    np.testing.assert_allclose(emb.embed(TEXTS), torch_vecs, atol=1e-6)  # bulk: torch
    emb.embed(TEXTS[:1])  # small, but torch is loaded: no second runtime
    assert opened == []
    emb.ensure_onnx_export()  # what ingest does: export (checked once), then let it go
    assert emb.onnx_path.exists() and len(opened) == 1
    emb.embed(TEXTS[:1])
    emb.ensure_onnx_export()  # already there: nothing to do
    assert len(opened) == 1


# ---------------------------------------------------------------- the bf16 path
# What users with AVX512-BF16 or AMX get by default for ingest. Autocast also runs (emulated,
# slowly) on CPUs without native bf16, so these tests run on every machine where torch can.

NEIGHBOUR_DOCS = [
    "The harbour authority said the ferry to the islands will resume on Monday after repairs.",
    "Wheat prices rose sharply after drought cut the harvest across the southern plains.",
    "The central bank raised its main interest rate by half a point to curb inflation.",
    "A new vaccine for seasonal flu was approved by regulators after trials in three countries.",
    "The city council voted to close the old coal power station by the end of the decade.",
    "Striking rail workers reached a pay deal with the operator after six weeks of talks.",
    "Archaeologists found a Bronze Age boat buried in the peat of a drained lake.",
    "The football club sacked its manager after a run of eight defeats.",
    "A magnitude 6.1 earthquake shook the coastal region, damaging hundreds of homes.",
    "Parliament passed a law requiring social media firms to verify the ages of users.",
    *TEXTS[2:],  # a one-letter text, Cyrillic with an emoji, a text truncated at 256 pieces
]
NEIGHBOUR_QUERIES = [
    "When does the ferry service restart?",
    "Why did wheat get more expensive?",
    "What did the central bank do to interest rates?",
    "Which flu vaccine was approved?",
    "When will the coal plant close?",
    "Did the rail strike end?",
    "What did archaeologists discover in the lake?",
    "Why was the football manager fired?",
    "How strong was the earthquake?",
    "What does the new social media law require?",
]
# Measured on these texts (torch 2.13, AVX512-BF16 + AMX CPU): cosine to fp32 at least
# 0.999974, query-document similarities within 0.0018 of fp32, the same nearest document for
# every query (fp32 margins 0.15-0.63). Tolerances leave about 3x room.
BF16_MIN_COSINE = 0.9999
BF16_MAX_SCORE_SHIFT = 0.005


def _bf16_autocast_unavailable() -> str | None:
    import torch

    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = torch.ones(2, 2) @ torch.ones(2, 2)
        if out.dtype != torch.bfloat16:
            return f"torch {torch.__version__} autocast does not compute in bf16 on this CPU"
    except Exception as e:  # any failure means: no bf16 path here
        return f"torch {torch.__version__} cannot autocast to bf16 on this CPU: {e}"
    return None


needs_bf16 = pytest.mark.skipif(
    _bf16_autocast_unavailable() is not None, reason=str(_bf16_autocast_unavailable())
)


@pytest.fixture(scope="module")
def neighbour_vecs() -> dict[str, np.ndarray]:
    texts = NEIGHBOUR_DOCS + NEIGHBOUR_QUERIES
    return {p: MiniLMEmbedder(runtime="torch", precision=p).embed(texts) for p in ("fp32", "bf16")}


def test_auto_precision_follows_the_cpu() -> None:
    expected = "bf16" if embeddings.cpu_has_fast_bf16() else "fp32"
    assert MiniLMEmbedder().precision == expected
    assert MiniLMEmbedder(precision="fp32").precision == "fp32"
    assert MiniLMEmbedder(precision="bf16").precision == "bf16"


@needs_bf16
def test_bf16_vectors_are_close_to_fp32(neighbour_vecs: dict[str, np.ndarray]) -> None:
    fp32, bf16 = neighbour_vecs["fp32"], neighbour_vecs["bf16"]
    assert bf16.dtype == np.float32 and bf16.shape == fp32.shape
    np.testing.assert_allclose(np.linalg.norm(bf16, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(bf16 * fp32, axis=1)
    assert cosine.min() > BF16_MIN_COSINE, cosine
    assert not np.array_equal(bf16, fp32), "bf16 autocast changed nothing: not the bf16 path"


@needs_bf16
def test_bf16_keeps_every_nearest_neighbour(neighbour_vecs: dict[str, np.ndarray]) -> None:
    n = len(NEIGHBOUR_DOCS)
    scores = {p: v[n:] @ v[:n].T for p, v in neighbour_vecs.items()}
    assert list(scores["fp32"].argmax(axis=1)) == list(range(len(NEIGHBOUR_QUERIES)))
    assert list(scores["bf16"].argmax(axis=1)) == list(range(len(NEIGHBOUR_QUERIES)))
    assert np.abs(scores["bf16"] - scores["fp32"]).max() < BF16_MAX_SCORE_SHIFT


@needs_bf16
def test_bf16_batching_does_not_move_a_vector(neighbour_vecs: dict[str, np.ndarray]) -> None:
    emb = MiniLMEmbedder(runtime="torch", precision="bf16")
    texts = NEIGHBOUR_DOCS + NEIGHBOUR_QUERIES
    one_by_one = np.stack([emb.embed([t])[0] for t in texts])
    # Padding changes the bf16 rounding a little, never more than bf16 differs from fp32.
    assert np.sum(one_by_one * neighbour_vecs["bf16"], axis=1).min() > BF16_MIN_COSINE
    assert np.sum(one_by_one * neighbour_vecs["fp32"], axis=1).min() > BF16_MIN_COSINE


@needs_bf16
def test_the_onnx_export_is_checked_against_fp32_on_a_bf16_cpu(
    tmp_path: Path, torch_vecs: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The export is checked against torch; on the bf16 path that reference must still be fp32,
    # or bf16's own error (cosine ~0.99997) eats the margin. A bar that fp32 clears easily
    # (the export agrees to ~1e-7) and bf16 cannot shows which reference was used.
    monkeypatch.setattr(embeddings, "_ONNX_MIN_COSINE", 0.999995)
    emb = MiniLMEmbedder(runtime="onnx", precision="bf16", cache_dir=tmp_path)
    assert emb.prepare_onnx()
    vecs = emb.embed(TEXTS)
    assert np.sum(vecs * torch_vecs, axis=1).min() > 0.9999
