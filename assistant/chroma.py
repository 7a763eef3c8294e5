"""The connection to Chroma: an embedded folder or a `chroma run` server, kept in step with
other processes, with one translation of its failures into `StoreError`s.

An embedded Chroma client loads the vector index once and never sees another process's
writes (its queries even return ids of chunks deleted since, without their records). So every
write also records a generation token in the store folder; a process that finds a token
written by another process reloads the store before reading (`ChromaConnection.sync`). With
a `chroma run` server all clients share the server's view, and the token lives on the server
(the metadata of a small `<collection>_state` collection), so clients on other machines learn
of a write with one cheap call per question; the writer also records there the stamp of the
article set it finished with, so they need not read every article record to know it.
A server's writers on any machine are serialised by a lease it holds (`assistant.lease`).

What the records hold, and the order writes go in, is `assistant.store`'s business.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import logging
import os
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from assistant.config import Settings
from assistant.errors import AssistantError, ConfigError, StoreError, StoreLockedError
from assistant.lease import LeaseInfo, ServerLease, check_lease
from assistant.memory import release_free_memory

__all__ = [
    "CONNECT_TIMEOUT_S",
    "SERVER_TIMEOUT_S",
    "ChromaConnection",
    "GenerationState",
    "is_concurrent_deletion",
]

logger = logging.getLogger(__name__)

# Chroma reads this at import: no usage reports leave the machine.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

# Records per Chroma `get` when reading a whole collection: Chroma's working memory grows
# with the page, and the time of a full read barely changes with it.
_PAGE = 500
# How long a call may wait for a Chroma server's answer (connecting: 5 s). chromadb's own
# HTTP client waits forever, so a frozen server would hang every question.
SERVER_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5.0

_GENERATION = ".generation"
# Per embedded store path (Chroma's cache key), in this process: the generation its Chroma
# System was loaded at, and how many times it was reloaded (connections compare it to theirs).
_loaded_at: dict[str, str] = {}
_reloads: dict[str, int] = {}
_sync_lock = threading.Lock()


@dataclass(frozen=True)
class GenerationState:
    """Where the store's writes stand: `generation` changes with every write (None: not
    known, ask the records), `stamp` is the committed article set's stamp when the last
    writer recorded it after its last write (None otherwise)."""

    generation: str | None
    stamp: str | None = None


def _is_transport_error(exc: BaseException) -> bool:
    """True when `exc` means the server could not be reached or stopped answering."""
    import httpx

    return isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError)


def is_concurrent_deletion(exc: BaseException) -> bool:
    """True when `exc` is Chroma failing a query on a record that another process deleted
    after this one loaded the index ("Error finding id" from a filtered search): the query
    is to be asked again on the store as it is now (`ChromaConnection.reload`)."""
    from chromadb.errors import InternalError

    return isinstance(exc, InternalError) and "Error finding id" in str(exc)


class ChromaConnection:
    """The two collections (`<name>_chunks`, `<name>_articles`) of one store, and the
    local folder beside them (lock, generation token, derived data)."""

    read_only = False  # an embedded store this process cannot write (opened from a copy)
    _private_copy: Path | None = None  # where that copy is
    lease: ServerLease | None = None  # a server's ingest lease, while this connection holds it

    def __init__(
        self, settings: Settings, *, metadata: dict[str, Any], create: bool = True
    ) -> None:
        """Connect; `metadata` is set on collections this creates. `create=False` refuses
        a missing embedded store instead of creating it empty; a read-only one is opened
        from a private copy (see `_open_folder`)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.settings = settings
        self.is_server = bool(settings.chroma_url)
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_url:
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
                    settings=chroma_settings,
                )
                self._set_server_timeout()
                self._client.heartbeat()
            except Exception as exc:
                raise StoreError(
                    f"cannot reach the Chroma server at {self.location} ({exc}). "
                    "Start it with `chroma run --path DIR --port PORT`, or unset "
                    "ASSISTANT_CHROMA_URL to use the embedded store."
                ) from exc
        else:
            self.local_dir = Path(settings.store)
            self.location = str(self.local_dir.resolve())
            self._chroma_path = self._open_folder(create)
        self._chroma_settings = chroma_settings
        self._seen_generation: str | None = None
        self._meta = metadata
        try:
            if not self.is_server:
                self._open_embedded()
            try:
                self.local_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder {self.local_dir} for derived data of the Chroma "
                    f"server ({exc.strerror or exc}); set --store (ASSISTANT_STORE) to a "
                    "writable folder"
                ) from None
            self._open_collections()
        except BaseException:
            self.discard_private_copy()
            raise

    def _open_embedded(self) -> None:
        """Load the embedded store (from its private copy when it is read-only)."""
        import chromadb

        # Read before loading: recording an older generation than what gets loaded only
        # costs a needless reload later; a newer one would hide a change.
        generation = self._read_generation()
        with _sync_lock:
            try:
                self._client = chromadb.PersistentClient(
                    path=self._chroma_path, settings=self._chroma_settings
                )
            except Exception as exc:
                raise StoreError(f"cannot open the Chroma store in {self.location}: {exc}") from exc
            # Another Store of this process may have loaded it earlier: keep its record.
            _loaded_at.setdefault(self._chroma_path, generation)
            self._reloads = _reloads.setdefault(self._chroma_path, 0)

    def _open_folder(self, create: bool) -> str:
        """Check (or create) the store folder; the path Chroma should open.

        Chroma opens its database for writing even to read it, so a store on a read-only
        mount (or without write permission) is copied to a private temporary folder, removed
        at exit, and questions are answered from the copy; ingest is refused (`ingest_lock`).
        """
        d = self.local_dir
        chroma = d / "chroma"
        if d.exists() and not d.is_dir():
            raise StoreError(
                f"the store path {d} is not a folder; point --store (ASSISTANT_STORE) at a "
                "folder (a new one is created by `assistant ingest`)"
            )
        if not chroma.is_dir():
            if not create:
                raise StoreError(
                    f"there is no store at {self.location}: it is missing or empty. Index "
                    f"articles first with `assistant ingest FILES --store {d}`, or point "
                    "--store at an existing store"
                )
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the store folder {d}: {exc.strerror or exc}; point --store "
                    "(ASSISTANT_STORE) at a writable folder"
                ) from None
            return str(chroma)
        self.read_only = not all(
            os.access(p, os.W_OK) for p in (d, chroma, *chroma.glob("*.sqlite3"))
        )
        if not self.read_only:
            return str(chroma)
        tmp = Path(tempfile.mkdtemp(prefix="news-assistant-readonly-"))
        self._private_copy = tmp
        weakref.finalize(self, shutil.rmtree, tmp, True)
        try:
            # Contents only, not modes: a copy of 0444 files would be as read-only as the
            # store ("attempt to write a readonly database"), and the copy is ours to write.
            shutil.copytree(chroma, tmp / "chroma", copy_function=shutil.copyfile)
            for folder, _dirs, names in os.walk(tmp):
                os.chmod(folder, 0o700)
                for name in names:
                    os.chmod(os.path.join(folder, name), 0o600)
        except OSError as exc:
            raise StoreError(
                f"the store at {self.location} is read-only and could not be copied to "
                f"{tmp} to be read ({exc}); free some space there or set TMPDIR"
            ) from None
        logger.info("the store at %s is read-only: reading a copy in %s", self.location, tmp)
        return str(tmp / "chroma")

    def discard_private_copy(self) -> None:
        """Remove the private copy of a read-only store now (a store that failed to open:
        waiting for the process to exit would leave one copy per failure)."""
        if self._private_copy is not None:
            shutil.rmtree(self._private_copy, ignore_errors=True)

    def _set_server_timeout(self) -> None:
        import httpx

        # Not a public setting of chromadb: reach its httpx session if it is where 1.x has it.
        session = getattr(getattr(self._client, "_server", None), "_session", None)
        if isinstance(session, httpx.Client):
            session.timeout = httpx.Timeout(SERVER_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        else:
            logger.warning("cannot set a timeout on the Chroma client; a frozen server may hang")

    def _open_collections(self) -> None:
        name = self.settings.collection
        try:
            self.chunks = self._client.get_or_create_collection(
                f"{name}_chunks",
                metadata=self._meta,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            self.articles = self._client.get_or_create_collection(
                f"{name}_articles",
                metadata=self._meta,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            if self.is_server:
                self._client.get_or_create_collection(self._state_name, embedding_function=None)
        except Exception as exc:
            raise StoreError(f"cannot open collection {name!r}: {exc}") from exc

    @property
    def _state_name(self) -> str:
        return f"{self.settings.collection}_state"

    def _set_state(self, **metadata: Any) -> None:
        # Replaces the whole metadata (Chroma's modify does), so a bump drops the stamp.
        col = self._client.get_collection(self._state_name, embedding_function=None)
        col.modify(metadata=metadata)

    # ----------------------------------------------------------------- other processes
    def _read_generation(self) -> str:
        try:
            return (self.local_dir / _GENERATION).read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def bump_generation(self) -> None:
        """Tell other processes the store changed (after a write; see the module docstring)."""
        token = f"{os.getpid()}-{uuid.uuid4().hex}"
        if self.is_server:
            try:
                self._set_state(generation=token)
            except Exception as exc:  # readers elsewhere stay stale; the data itself is written
                logger.warning(
                    "could not record the store generation on %s: %s", self.location, exc
                )
            self._seen_generation = token
            return
        path = self.local_dir / _GENERATION
        tmp = path.with_name(f"{_GENERATION}.{token}.tmp")
        try:
            tmp.write_text(token, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # readers elsewhere stay stale; the data itself is written
            logger.warning("could not record the store generation in %s: %s", path, exc)
        self._seen_generation = token

    def state(self) -> GenerationState:
        """The generation token (embedded: the file's; server: the state collection's, one
        call) and, for a server, the stamp its last writer recorded after its last write."""
        if not self.is_server:
            return GenerationState(self._read_generation())
        meta = self._client.get_collection(self._state_name, embedding_function=None).metadata
        meta = dict(meta or {})
        generation = meta.get("generation")
        if not isinstance(generation, str):
            return GenerationState(None)  # never written by a client that records it
        stamp = meta.get("stamp")
        return GenerationState(generation, stamp if isinstance(stamp, str) else None)

    def generation(self) -> str | None:
        """A token that changes with every write to the store (None when the store does not
        keep one: a server written only by clients older than the state collection)."""
        return self.state().generation

    def publish_stamp(self, stamp: str) -> None:
        """Record on the server the stamp of the article set this writer finished with, so
        other clients know it without reading every article record. Only while holding the
        ingest lease: no write can come between computing the stamp and recording it."""
        if not self.is_server or self.lease is None:
            return
        try:
            self._set_state(generation=f"{os.getpid()}-{uuid.uuid4().hex}", stamp=stamp)
        except Exception as exc:  # clients compute the stamp themselves instead
            logger.warning("could not record the store's stamp on %s: %s", self.location, exc)

    def sync(self) -> None:
        """Reload the embedded store if another process wrote to it since it was loaded."""
        if self.is_server:
            return
        generation = self._read_generation()
        key = self._chroma_path
        if generation == self._seen_generation and self._reloads == _reloads.get(key):
            return
        with _sync_lock:
            own = generation.startswith(f"{os.getpid()}-")  # written through our own System
            if generation != _loaded_at.get(key) and not own:
                self._evict_system(key)
                _loaded_at[key] = generation
                _reloads[key] = _reloads.get(key, 0) + 1
                logger.info("the store at %s changed in another process; reloading", key)
            if self._reloads != _reloads.get(key, 0):
                import chromadb

                self._client = chromadb.PersistentClient(path=key, settings=self._chroma_settings)
                self._open_collections()
                self._reloads = _reloads.get(key, 0)
                # The old System is held in reference cycles, which Python's collector may
                # not visit for a long time: without this each reload kept its whole index.
                gc.collect()
            self._seen_generation = generation

    def reload(self) -> None:
        """Load the embedded store again now, whatever the generation token says: a writer
        deletes records before it records the new token, so a reader can meet a deletion
        that `sync` cannot know of yet (`is_concurrent_deletion`)."""
        if self.is_server:
            return  # the server's view is shared: nothing of it is held here
        key = self._chroma_path
        with _sync_lock:
            self._evict_system(key)
            _loaded_at[key] = self._read_generation()  # read before loading (see _open_embedded)
            _reloads[key] = _reloads.get(key, 0) + 1
        self._seen_generation = None
        self.sync()

    @staticmethod
    def _evict_system(key: str) -> None:
        """Drop Chroma's cached System for `key`, so the next client loads the store again.

        Chroma caches one System per path for the whole process and offers no reload. The old
        System is not stopped: another Store of this process may be mid-call on it; it is
        freed once nothing uses it (each Store reloads on its next call).
        """
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)

    # ----------------------------------------------------------------- locking
    @contextlib.contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """Serialise writers: a second ingest is refused, never interleaved. A server's
        writers on other machines are refused by its lease (`assistant.lease`)."""
        path = self.local_dir / ".ingest.lock"
        if self.read_only:
            raise StoreError(
                f"the store at {self.location} is read-only here (no write access); it can "
                "answer questions, but ingest and delete need a writable store"
            )
        try:
            fh = open(path, "a+")  # noqa: SIM115 - held for the duration of the context
        except OSError as exc:
            raise StoreError(
                f"cannot write to the store at {self.location} ({exc.strerror or exc}); "
                "ingest and delete need a writable store"
            ) from None
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreLockedError(
                    f"another ingest is writing to {self.location} (lock {path}); "
                    "wait for it to finish and run this one again."
                ) from None
            if not self.is_server:
                yield
                return
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
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

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

    def unreachable(self, exc: BaseException) -> StoreError:
        import httpx

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

    def failure(self, exc: Exception, what: str | None = None) -> BaseException:
        """The error to raise for `exc` from a Chroma call: a `StoreError` that says the
        server is gone, or (with `what`, e.g. "query") that the call failed; else `exc`
        itself, a bug or a caller's mistake that must not be disguised."""
        if isinstance(exc, AssistantError):
            return exc
        if self.is_server and _is_transport_error(exc):
            return self.unreachable(exc)
        if what is not None:
            return StoreError(f"{what} failed on the store at {self.location}: {exc}")
        return exc

    @staticmethod
    def paged(
        collection: Any, include: list[str]
    ) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]], Any]]:
        offset = 0
        while True:
            res = collection.get(limit=_PAGE, offset=offset, include=include)
            release_free_memory()  # Chroma's working memory for the page
            ids = res["ids"]
            if not ids:
                return
            docs = res.get("documents") or [""] * len(ids)
            metas = [dict(m) for m in (res.get("metadatas") or [{}] * len(ids))]
            yield ids, docs, metas, res.get("embeddings")
            offset += len(ids)
