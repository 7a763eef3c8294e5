"""Shared fixtures. Tests may only talk to 127.0.0.1/::1: any other connection fails loudly."""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# CI runs each property test on the same examples every time, so a commit lands or not on
# its own merits; local runs keep exploring new examples (and the failures they find are
# kept as @example cases).
# No deadline and no "too slow" health check: by default Hypothesis fails an example that
# takes over 200 ms, or slow data generation, which a busy machine reaches with any test;
# speed is measured by the benchmarks, never by a test.
_UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("local", **_UNTIMED)
settings.register_profile("ci", derandomize=True, **_UNTIMED)
settings.load_profile("ci" if os.environ.get("CI") else "local")

os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# The ONNX export of the embedder is cached per user; tests (and the CLI processes they start)
# keep theirs in a private folder instead of the user's ~/.cache.
os.environ["XDG_CACHE_HOME"] = _CACHE = tempfile.mkdtemp(prefix="assistant-tests-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
# No user configuration may leak into tests (an exported key would switch answerers).
for _var in list(os.environ):
    if _var.startswith("ASSISTANT_") or _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        del os.environ[_var]

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"
RTQA = SHARED / "bench" / "rtqa"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

_real_connect = socket.socket.connect


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return isinstance(address, str | bytes)  # unix sockets are local


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_loopback(address):
        raise OSError(f"tests may only connect to loopback, not {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


def _cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            words = set(f.read().split())
    except OSError:
        return "unknown"
    return " ".join(w for w in ("avx2", "avx512_bf16", "amx_bf16") if w in words) or "none"


def _embedding_path() -> list[str]:
    from assistant.config import Settings
    from assistant.embeddings import MiniLMEmbedder

    s = Settings()
    emb = MiniLMEmbedder(precision=s.embed_precision, runtime=s.embed_runtime)
    bulk = "onnxruntime fp32" if emb.runtime == "onnx" else f"torch {emb.precision}"
    small = "torch " + emb.precision if emb.runtime == "torch" else "onnxruntime fp32"
    return [
        f"cpu flags: {_cpu_flags()}",
        f"embedding path (default settings): ingest batches {bulk} "
        f"(batch {emb.batch_size}), questions {small}",
    ]


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which embedding path this run exercises, so a CI log says whether bf16 was tested."""
    return _embedding_path()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # `pytest -q` (the README's command) hides the header: say it again in the summary.
    for line in _embedding_path():
        terminalreporter.write_line(line)


# Fixtures that load the real model; a test using one (directly or through another fixture)
# is slow, whatever its module says. Modules that start servers or processes mark themselves.
_MODEL_FIXTURES = frozenset({"embedder", "make_assistant", "seeds_assistant"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.fail(f"seed articles not found at {SEEDS}: ../shared must sit beside the repo")
    return SEEDS


@pytest.fixture(scope="session")
def embedder():
    """The real bundled MiniLM, loaded once per test session."""
    from assistant.config import Settings
    from assistant.embeddings import make_embedder

    return make_embedder(Settings())


@pytest.fixture
def cli_model(monkeypatch: pytest.MonkeyPatch, embedder) -> None:
    """The CLI builds its own Assistant: hand it the session's model instead of a new one,
    and keep rich from wrapping long lines."""
    import assistant.core
    import assistant.embeddings

    monkeypatch.setattr(assistant.embeddings, "make_embedder", lambda settings: embedder)
    monkeypatch.setattr(assistant.core, "make_embedder", lambda settings: embedder)
    monkeypatch.setenv("COLUMNS", "400")


@pytest.fixture
def make_assistant(tmp_path: Path, embedder):
    """Factory for an Assistant on a fresh embedded store under tmp_path."""
    from assistant import Assistant

    def factory(**overrides):
        overrides.setdefault("store", tmp_path / "store")
        return Assistant(embedder=embedder, **overrides)

    return factory


@pytest.fixture(scope="session")
def seeds_assistant(tmp_path_factory: pytest.TempPathFactory, embedder, seeds_dir):
    """An Assistant with the five seed articles indexed (shared, read-only use)."""
    from assistant import Assistant

    a = Assistant(
        store=tmp_path_factory.mktemp("seeds-store"), embedder=embedder, answerer="extractive"
    )
    report = a.ingest([seeds_dir])
    assert report.added == 5 and report.ok
    return a


@pytest.fixture
def write_files(tmp_path: Path):
    """Write {relative name: str | bytes} under tmp_path/articles and return that folder."""

    def writer(files: dict[str, str | bytes], folder: str = "articles") -> Path:
        root = tmp_path / folder
        for name, content in files.items():
            p = root / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        return root

    return writer


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    yield
