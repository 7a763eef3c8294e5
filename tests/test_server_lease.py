"""The ingest lease a Chroma server holds: one writer at a time across machines.

Each client here has its own local folder, as a client on another machine would, so the
file lock of one folder cannot be what refuses the second ingest: only the server's lease.
A fast embedder stands in for the model (no vectors are compared).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from servers import free_port, start_chroma, stop_process

import assistant.lease
from assistant import Assistant
from assistant.errors import StoreLockedError
from assistant.testing import HashEmbedder

pytestmark = pytest.mark.slow

ARTICLE = (
    "Ferry to Kelby resumes\n\nThe ferry to Kelby resumed on Monday after a week of gales, "
    "the harbour master said, with four crossings a day until the spring timetable.\n"
)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("lease-chroma")
    port = free_port()
    proc = start_chroma(data, port, data.parent / "lease-chroma.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


@pytest.fixture
def collection() -> str:
    return f"lease_{uuid.uuid4().hex[:12]}"  # each test its own


def _client(url: str) -> chromadb.HttpClient:
    host, port = url.removeprefix("http://").split(":")
    return chromadb.HttpClient(
        host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False)
    )


def _leases(url: str, collection: str) -> dict[str, dict]:
    prefix = f"{collection}_ingest_lease_"
    c = _client(url)
    return {
        col.name: dict(c.get_collection(col.name, embedding_function=None).metadata or {})
        for col in c.list_collections()
        if col.name.startswith(prefix)
    }


def _machine(tmp: Path, url: str, collection: str) -> Assistant:
    """A client as on another machine: its own local folder."""
    return Assistant(store=tmp, chroma_url=url, collection=collection, embedder=HashEmbedder())


@pytest.fixture
def folder(write_files) -> Path:
    return write_files({"ferry.txt": ARTICLE})


def _wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_second_ingest_from_another_machine_is_refused(
    chroma_url: str, collection: str, tmp_path: Path, folder: Path
) -> None:
    a = _machine(tmp_path / "a", chroma_url, collection)
    b = _machine(tmp_path / "b", chroma_url, collection)
    with a.store.ingest_lock():
        (lease,) = _leases(chroma_url, collection).values()
        assert lease["pid"] == os.getpid()
        with pytest.raises(StoreLockedError) as info:
            b.ingest([folder])
        msg = str(info.value)
        assert f"pid {os.getpid()}" in msg and chroma_url in msg and "run this one again" in msg
    assert _leases(chroma_url, collection) == {}  # released
    assert b.ingest([folder]).added == 1


def test_dead_holder_on_this_machine_is_taken_over_at_once(
    chroma_url: str, collection: str, tmp_path: Path, folder: Path
) -> None:
    """An ingest killed while holding the lease (same machine): its pid is gone, so the next
    ingest takes over without waiting for the lease to expire."""
    ready = tmp_path / "holding"
    code = (
        "import sys, time, pathlib\n"
        "from assistant import Assistant\n"
        "from assistant.testing import HashEmbedder\n"
        "a = Assistant(store=sys.argv[1], chroma_url=sys.argv[2], collection=sys.argv[3],"
        " embedder=HashEmbedder())\n"
        "with a.store.ingest_lock():\n"
        "    pathlib.Path(sys.argv[4]).write_text('x')\n"
        "    time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "a"), chroma_url, collection, str(ready)]
    )
    try:
        _wait(lambda: ready.exists() or proc.poll() is not None, "the holder to take the lease")
        assert proc.poll() is None
        b = _machine(tmp_path / "b", chroma_url, collection)
        with pytest.raises(StoreLockedError, match=f"pid {proc.pid}"):
            b.ingest([folder])
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert b.ingest([folder]).added == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert _leases(chroma_url, collection) == {}  # the dead holder's lease is gone too


@pytest.mark.parametrize("expired", [False, True])
def test_lease_of_another_machine_holds_until_it_expires(
    chroma_url: str, collection: str, tmp_path: Path, folder: Path, expired: bool
) -> None:
    """Another machine's pid cannot be checked from here: its lease holds until it expires."""
    expires = time.time() + (-1 if expired else 3600)
    meta = {"host": "elsewhere/0000", "pid": 4242, "token": "t", "expires": expires}
    _client(chroma_url).create_collection(
        f"{collection}_ingest_lease_7", metadata=meta, embedding_function=None
    )
    b = _machine(tmp_path / "b", chroma_url, collection)
    if not expired:
        with pytest.raises(StoreLockedError, match="elsewhere/0000 pid 4242"):
            b.ingest([folder])
        return
    assert b.ingest([folder]).added == 1
    assert _leases(chroma_url, collection) == {}


def test_renewal_keeps_the_lease_and_a_takeover_is_noticed(
    chroma_url: str,
    collection: str,
    tmp_path: Path,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(assistant.lease, "LEASE_TTL_S", 0.8)  # renewed every 0.2 s
    a = _machine(tmp_path / "a", chroma_url, collection)
    b = _machine(tmp_path / "b", chroma_url, collection)
    with a.store.ingest_lock():
        lease = a.store.db.lease
        assert lease is not None and lease.info is not None
        info = lease.info
        first = _leases(chroma_url, collection)[info.name]["expires"]
        # Renewed past its first expiry: still held, still refusing others.
        _wait(
            lambda: _leases(chroma_url, collection)[info.name]["expires"] > first + 1.0,
            "two renewals",
        )
        with pytest.raises(StoreLockedError):
            b.ingest([folder])
        a.store.db.check_lease(info)  # a worker's check passes while it is held
        # Another ingest takes over (as after an expiry): lease n + 1, n deleted.
        client = _client(chroma_url)
        n = int(info.name.rsplit("_", 1)[1])
        meta = {"host": "elsewhere/0000", "pid": 1, "token": "other", "expires": time.time() + 60}
        client.create_collection(
            f"{collection}_ingest_lease_{n + 1}", metadata=meta, embedding_function=None
        )
        client.delete_collection(info.name)
        with pytest.raises(StoreLockedError, match="no longer holds the lease"):
            a.store.db.check_lease(info)  # a worker stops writing
        _wait(lambda: lease.lost, "the holder to notice")
        with pytest.raises(StoreLockedError, match="lost its lease"):
            lease.check()
