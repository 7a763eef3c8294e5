"""The server backend: a `chroma run` server shared by clients on any machine.

All clients share the server's view, so nothing is reloaded here. The generation token lives
on the server (the metadata of a small `<collection>_state` collection), so clients on other
machines learn of a write with one cheap call per question; the writer also records there the
stamp of the article set it finished with, so they need not read every article record to
know it. Writers on any machine are serialised by a lease the server holds
(`assistant.lease`); derived data (BM25, the local lock) lives in a local cache folder per
server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from assistant.chroma.base import ChromaConnection, GenerationState
from assistant.chroma.private import http_session
from assistant.config import Settings
from assistant.errors import ConfigError, StoreError
from assistant.lease import LeaseInfo, ServerLease, check_lease

__all__ = ["CONNECT_TIMEOUT_S", "SERVER_TIMEOUT_S", "ServerChroma"]

logger = logging.getLogger(__name__)

# How long a call may wait for a Chroma server's answer (connecting: 5 s). chromadb's own
# HTTP client waits forever, so a frozen server would hang every question.
SERVER_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5.0


def _is_transport_error(exc: BaseException) -> bool:
    """True when `exc` means the server could not be reached or stopped answering."""
    import httpx

    return isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError)


class ServerChroma(ChromaConnection):
    """The store's collections on a Chroma server, its state collection and lease."""

    is_server = True
    lease: ServerLease | None = None  # the ingest lease, while this connection holds it

    def __init__(self, settings: Settings, *, metadata: dict[str, Any]) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        super().__init__(settings, metadata)
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(
                f"ASSISTANT_CHROMA_URL={settings.chroma_url!r} is not a URL like "
                "http://127.0.0.1:8000"
            )
        port = url.port or (443 if url.scheme == "https" else 8000)
        self.location = f"{url.scheme}://{url.hostname}:{port}"
        # Derived data (BM25, lock) for a server lives in a local cache folder per server.
        self.local_dir = Path(settings.store) / f"server-{url.hostname}-{port}"
        try:
            self._client = chromadb.HttpClient(
                host=url.hostname,
                port=port,
                ssl=url.scheme == "https",
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
            self._set_timeout()
            self._client.heartbeat()
        except Exception as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {self.location} ({exc}). "
                "Start it with `chroma run --path DIR --port PORT`, or unset "
                "ASSISTANT_CHROMA_URL to use the embedded store."
            ) from exc
        self._make_local_dir()
        self._open_collections()

    def _set_timeout(self) -> None:
        import httpx

        session = http_session(self._client)
        if isinstance(session, httpx.Client):
            session.timeout = httpx.Timeout(SERVER_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        else:
            logger.warning("cannot set a timeout on the Chroma client; a frozen server may hang")

    def _open_more_collections(self) -> None:
        self._client.get_or_create_collection(self._state_name, embedding_function=None)

    # ----------------------------------------------------------------- other clients
    @property
    def _state_name(self) -> str:
        return f"{self.settings.collection}_state"

    def _set_state(self, **metadata: Any) -> None:
        # Replaces the whole metadata (Chroma's modify does), so a bump drops the stamp.
        col = self._client.get_collection(self._state_name, embedding_function=None)
        col.modify(metadata=metadata)

    def bump_generation(self) -> None:
        token = f"{os.getpid()}-{uuid.uuid4().hex}"
        try:
            self._set_state(generation=token)
        except Exception as exc:  # readers elsewhere stay stale; the data itself is written
            logger.warning("could not record the store generation on %s: %s", self.location, exc)

    def state(self) -> GenerationState:
        """The state collection's generation token (one call) and the stamp its last writer
        recorded after its last write."""
        meta = self._client.get_collection(self._state_name, embedding_function=None).metadata
        meta = dict(meta or {})
        generation = meta.get("generation")
        if not isinstance(generation, str):
            return GenerationState(None)  # never written by a client that records it
        stamp = meta.get("stamp")
        return GenerationState(generation, stamp if isinstance(stamp, str) else None)

    def publish_stamp(self, stamp: str) -> None:
        """Record on the server the stamp of the article set this writer finished with, so
        other clients know it without reading every article record. Only while holding the
        ingest lease: no write can come between computing the stamp and recording it."""
        if self.lease is None:
            return
        try:
            self._set_state(generation=f"{os.getpid()}-{uuid.uuid4().hex}", stamp=stamp)
        except Exception as exc:  # clients compute the stamp themselves instead
            logger.warning("could not record the store's stamp on %s: %s", self.location, exc)

    # ----------------------------------------------------------------- the lease
    @contextlib.contextmanager
    def _writer(self) -> Iterator[None]:
        lease = ServerLease(self._client, self.settings.collection, self.location)
        try:
            lease.acquire()
        except Exception as exc:
            err = self.failure(exc, "taking the ingest lease")
            if err is exc:
                raise
            raise err from exc
        self.lease = lease
        try:
            yield
        finally:
            self.lease = None
            lease.release()

    @property
    def lease_info(self) -> LeaseInfo | None:
        return self.lease.info if self.lease is not None else None

    def ensure_lease(self) -> None:
        if self.lease is not None:
            self.lease.check()

    def check_lease(self, info: LeaseInfo) -> None:
        """Raise `StoreLockedError` unless the ingest lease `info` is still held (a worker of
        a distributed ingest asks before each write; see `assistant.lease`)."""
        try:
            check_lease(self._client, info, self.location)
        except Exception as exc:
            err = self.failure(exc, "checking the ingest lease")
            if err is exc:
                raise
            raise err from exc

    # ----------------------------------------------------------------- failures
    def _unreachable(self, exc: BaseException) -> StoreError | None:
        import httpx

        if not _is_transport_error(exc):
            return None
        if isinstance(exc, httpx.ConnectTimeout):
            what = f"did not accept a connection within {CONNECT_TIMEOUT_S:g} s"
        elif isinstance(exc, httpx.TimeoutException | TimeoutError):
            what = f"did not answer within {SERVER_TIMEOUT_S:g} s (it may be frozen or overloaded)"
        else:
            what = f"is unreachable ({type(exc).__name__}: {exc})"
        return StoreError(
            f"the Chroma server at {self.location} {what}. Check that `chroma run` is still "
            "running there, or start it again with the same --path and --port; this assistant "
            "reconnects on the next call."
        )
