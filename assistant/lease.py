"""The ingest lease of a Chroma server: one writer at a time, whichever machine it runs on.

The file lock of `assistant.chroma` serialises the ingests of one machine; clients of one
`chroma run` server on several machines (or a Ray ingest's driver on any of them) need a lock
the server itself holds. Chroma has no locks, but creating a collection is atomic: of two
clients creating the same name, one gets an "already exists" error. So the lease is a small
collection named `<collection>_ingest_lease_<n>` whose metadata names its holder and when it
expires; the holder renews it from a thread while it writes and deletes it when done.

A holder that died without deleting its lease (SIGKILL, a lost machine) is known dead at once
when it ran on this machine (its pid is gone), else when its lease expires (`LEASE_TTL_S`
after its last renewal). Taking over a dead holder's lease `n` means creating lease `n + 1`:
again atomic, so of two clients taking over at the same moment only one succeeds, and the old
holder, should it still be running, finds its lease gone at its next renewal or `check`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from assistant.errors import StoreLockedError

__all__ = ["LEASE_TTL_S", "LeaseInfo", "ServerLease", "check_lease", "host_id"]

logger = logging.getLogger(__name__)

# How long a lease outlives its holder's last renewal; renewed four times as often. Long
# enough for a busy machine's renewal thread, short enough that an ingest after a lost machine
# waits about a minute.
LEASE_TTL_S = 60.0

_held: set[str] = set()  # tokens of leases this process holds now


def host_id() -> str:
    """This machine: its name and boot id (a name alone can repeat across containers)."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()[:8]
    except OSError:
        boot = "?"
    return f"{socket.gethostname()}/{boot}"


@dataclass(frozen=True)
class LeaseInfo:
    """What a worker needs to check that its driver still holds the lease (`check_lease`)."""

    name: str  # the lease collection's name
    token: str


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, not ours to signal
    return True


def _holder(meta: dict[str, Any]) -> str:
    return f"{meta.get('host', '?')} pid {meta.get('pid', '?')}"


def _live(meta: dict[str, Any], now: float) -> bool:
    """Whether the lease described by `meta` still belongs to a running ingest."""
    if float(meta.get("expires", 0.0)) <= now:
        return False
    if meta.get("host") == host_id():
        pid = int(meta.get("pid", -1))
        if pid == os.getpid():
            return str(meta.get("token")) in _held
        return _is_alive(pid)
    return True


def _already_exists(exc: Exception) -> bool:
    return "already exists" in str(exc).lower()


def _not_found(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError) or "does not exist" in str(exc).lower()


class ServerLease:
    """The ingest lease of one collection on a Chroma server (see the module docstring)."""

    def __init__(self, client: Any, collection: str, location: str) -> None:
        self._client = client
        self._prefix = f"{collection}_ingest_lease_"
        self._location = location
        self.info: LeaseInfo | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _numbers(self) -> list[int]:
        out = []
        for c in self._client.list_collections():
            name = str(getattr(c, "name", c))
            if name.startswith(self._prefix) and name[len(self._prefix) :].isdigit():
                out.append(int(name[len(self._prefix) :]))
        return sorted(out)

    def _meta(self, token: str) -> dict[str, Any]:
        return {
            "host": host_id(),
            "pid": os.getpid(),
            "token": token,
            "expires": time.time() + LEASE_TTL_S,
        }

    def _refused(self, meta: dict[str, Any]) -> StoreLockedError:
        return StoreLockedError(
            f"another ingest ({_holder(meta)}) is writing to the Chroma server at "
            f"{self._location}; wait for it to finish and run this one again."
        )

    def acquire(self) -> None:
        """Take the lease, or raise `StoreLockedError` naming the ingest that holds it."""
        numbers = self._numbers()
        if numbers:
            top = f"{self._prefix}{numbers[-1]}"
            try:
                meta = dict(self._client.get_collection(top, embedding_function=None).metadata)
            except Exception as exc:
                if not _not_found(exc):
                    raise
                meta = {}  # released between listing and reading
            if meta and _live(meta, time.time()):
                raise self._refused(meta)
            if meta:
                logger.warning(
                    "taking over the ingest lease of %s, which is gone (its ingest was "
                    "interrupted; this one cleans up after it)",
                    _holder(meta),
                )
        token = uuid.uuid4().hex
        name = f"{self._prefix}{numbers[-1] + 1 if numbers else 0}"
        try:
            self._client.create_collection(
                name, metadata=self._meta(token), embedding_function=None
            )
        except Exception as exc:
            if _already_exists(exc):
                raise StoreLockedError(
                    f"another ingest took the lease of the Chroma server at {self._location} "
                    "at the same moment; wait for it to finish and run this one again."
                ) from None
            raise
        _held.add(token)
        self.info = LeaseInfo(name, token)
        for n in numbers:  # the dead holders' leases
            with contextlib.suppress(Exception):
                self._client.delete_collection(f"{self._prefix}{n}")
        self._stop.clear()
        self._thread = threading.Thread(target=self._renew_loop, name="ingest-lease", daemon=True)
        self._thread.start()

    def _renew_loop(self) -> None:
        assert self.info is not None
        while not self._stop.wait(LEASE_TTL_S / 4):
            try:
                col = self._client.get_collection(self.info.name, embedding_function=None)
                if dict(col.metadata or {}).get("token") != self.info.token:
                    raise LookupError(self.info.name)
                col.modify(metadata=self._meta(self.info.token))
            except Exception as exc:
                if isinstance(exc, LookupError) or _not_found(exc):
                    self.lost = True
                    logger.error(
                        "the ingest lease on %s was taken over: this ingest stops writing",
                        self._location,
                    )
                    return
                # The server may come back before the lease expires; the next renewal tries.
                logger.warning("could not renew the ingest lease on %s: %s", self._location, exc)

    def check(self) -> None:
        """Raise `StoreLockedError` if this lease was lost (taken over after it expired)."""
        if self.lost:
            raise StoreLockedError(
                f"this ingest lost its lease on the Chroma server at {self._location} (it was "
                "not renewed in time and another ingest took over); run it again."
            )

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.info is None:
            return
        _held.discard(self.info.token)
        if not self.lost:
            try:
                self._client.delete_collection(self.info.name)
            except Exception as exc:  # it expires by itself
                logger.warning(
                    "could not release the ingest lease on %s (%s); it expires in %.0f s",
                    self._location,
                    exc,
                    LEASE_TTL_S,
                )
        self.info = None


def check_lease(client: Any, info: LeaseInfo, location: str) -> None:
    """Raise `StoreLockedError` unless the lease `info` is still held (by its driver): a
    worker asks before each write, so one left running by a dead driver stops writing once
    another ingest has taken over."""
    try:
        col = client.get_collection(info.name, embedding_function=None)
        token = dict(col.metadata or {}).get("token")
    except Exception as exc:
        if not _not_found(exc):
            raise
        token = None
    if token != info.token:
        raise StoreLockedError(
            f"the ingest that started this worker no longer holds the lease on the Chroma "
            f"server at {location}; this worker stops writing."
        )
