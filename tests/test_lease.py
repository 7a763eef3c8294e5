"""The ingest lease a Chroma server holds: one writer at a time across machines.

The lease itself (`ServerLease`, `check_lease`) is tested first on an embedded Chroma client,
which creates collections as atomically as a server does. Then through ingests against a
`chroma run` server (slow): each client there has its own local folder, as a client on
another machine would, so the file lock of one folder cannot be what refuses the second
ingest: only the server's lease. A fast embedder stands in for the model.
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
from assistant.lease import ServerLease, check_lease, host_id
from assistant.testing import HashEmbedder

server = pytest.mark.slow  # the tests that start a `chroma run` server

ARTICLE = (
    "Ferry to Kelby resumes\n\nThe ferry to Kelby resumed on Monday after a week of gales, "
    "the harbour master said, with four crossings a day until the spring timetable.\n"
)


# ----------------------------------------------------------------- the lease itself


@pytest.fixture
def embedded(tmp_path: Path) -> chromadb.ClientAPI:
    return chromadb.PersistentClient(
        path=str(tmp_path / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )


def _lease_names(client: chromadb.ClientAPI, collection: str) -> list[str]:
    return sorted(c.name for c in client.list_collections() if "_ingest_lease_" in c.name)


def test_a_held_lease_refuses_another_holder_by_name_until_it_is_released(
    embedded: chromadb.ClientAPI, collection: str
) -> None:
    first = ServerLease(embedded, collection, "http://chroma.test:8000")
    second = ServerLease(embedded, collection, "http://chroma.test:8000")
    first.acquire()
    try:
        with pytest.raises(StoreLockedError) as info:
            second.acquire()
        msg = str(info.value)
        assert f"{host_id()} pid {os.getpid()}" in msg and "http://chroma.test:8000" in msg
        assert second.info is None
    finally:
        first.release()
    assert _lease_names(embedded, collection) == []
    second.acquire()  # free again
    assert second.info is not None and _lease_names(embedded, collection) == [second.info.name]
    second.release()
    assert second.info is None and _lease_names(embedded, collection) == []


def test_check_lease_passes_while_the_lease_is_held_and_refuses_once_it_is_not(
    embedded: chromadb.ClientAPI, collection: str
) -> None:
    lease = ServerLease(embedded, collection, "LOC")
    lease.acquire()
    info = lease.info
    assert info is not None
    check_lease(embedded, info, "LOC")  # a worker of the holding ingest may write
    lease.check()
    lease.release()
    with pytest.raises(StoreLockedError, match="no longer holds the lease on the Chroma server"):
        check_lease(embedded, info, "LOC")


def test_a_lease_left_by_a_dead_ingest_of_this_process_is_taken_over(
    embedded: chromadb.ClientAPI, collection: str, caplog: pytest.LogCaptureFixture
) -> None:
    """This process's pid with a token it does not hold: an ingest of it that died (its
    lease not deleted). Taking over creates the next lease and deletes the dead one."""
    stale = {"host": host_id(), "pid": os.getpid(), "token": "gone", "expires": time.time() + 600}
    embedded.create_collection(
        f"{collection}_ingest_lease_3", metadata=stale, embedding_function=None
    )
    lease = ServerLease(embedded, collection, "LOC")
    with caplog.at_level("WARNING", logger="assistant.lease"):
        lease.acquire()
    try:
        assert lease.info is not None and lease.info.name == f"{collection}_ingest_lease_4"
        assert _lease_names(embedded, collection) == [lease.info.name]
        assert f"taking over the ingest lease of {host_id()} pid {os.getpid()}" in caplog.text
    finally:
        lease.release()


@pytest.mark.parametrize("expired", [False, True])
def test_another_machines_lease_holds_until_it_expires(
    embedded: chromadb.ClientAPI, collection: str, expired: bool
) -> None:
    meta = {
        "host": "elsewhere/0000",
        "pid": 4242,
        "token": "t",
        "expires": time.time() + (-1 if expired else 3600),
    }
    embedded.create_collection(
        f"{collection}_ingest_lease_0", metadata=meta, embedding_function=None
    )
    lease = ServerLease(embedded, collection, "LOC")
    if not expired:
        with pytest.raises(StoreLockedError, match="elsewhere/0000 pid 4242"):
            lease.acquire()
        return
    lease.acquire()
    assert lease.info is not None and lease.info.name.endswith("_ingest_lease_1")
    lease.release()


def test_host_id_names_this_machine_and_its_boot() -> None:
    name, _, boot = host_id().partition("/")
    assert name and boot and host_id() == host_id()


# ----------------------------------------------------------- through ingests, on a server


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


@server
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


@server
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


@server
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


@server
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
