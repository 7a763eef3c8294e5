"""What both Chroma backends share: the two collections, the local folder's ingest lock,
paged reads and the one translation of Chroma's failures into `StoreError`s."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from assistant.config import Settings
from assistant.errors import AssistantError, StoreError, StoreLockedError
from assistant.lease import LeaseInfo
from assistant.memory import release_free_memory

__all__ = ["ChromaBackend", "ChromaConnection", "GenerationState", "is_concurrent_deletion"]

logger = logging.getLogger(__name__)

# Records per Chroma `get` when reading a whole collection: Chroma's working memory grows
# with the page, and the time of a full read barely changes with it.
_PAGE = 500


@dataclass(frozen=True)
class GenerationState:
    """Where the store's writes stand: `generation` changes with every write (None: not
    known, ask the records), `stamp` is the committed article set's stamp when the last
    writer recorded it after its last write (None otherwise)."""

    generation: str | None
    stamp: str | None = None


def is_concurrent_deletion(exc: BaseException) -> bool:
    """True when `exc` is Chroma failing a query on a record that another process deleted
    after this one loaded the index ("Error finding id" from a filtered search): the query
    is to be asked again on the store as it is now (`ChromaConnection.reload`)."""
    from chromadb.errors import InternalError

    return isinstance(exc, InternalError) and "Error finding id" in str(exc)


class ChromaBackend(Protocol):
    """What the store needs of a Chroma backend: where it is, its two collections, keeping
    in step with other processes' writes, the writers' lock and the translation of
    failures. `ChromaConnection` is the shared implementation of both backends."""

    location: str
    local_dir: Path
    is_server: bool
    read_only: bool
    chunks: Any  # chromadb Collection; replaced when the store is reloaded
    articles: Any

    def state(self) -> GenerationState: ...
    def generation(self) -> str | None: ...
    def bump_generation(self) -> None: ...
    def sync(self) -> None: ...
    def reload(self) -> None: ...
    def publish_stamp(self, stamp: str) -> None: ...
    def discard_private_copy(self) -> None: ...
    def ingest_lock(self) -> AbstractContextManager[None]: ...
    @property
    def lease_info(self) -> LeaseInfo | None: ...
    def ensure_lease(self) -> None: ...
    def check_lease(self, info: LeaseInfo) -> None: ...
    def failure(self, exc: Exception, what: str | None = None) -> BaseException: ...
    def paged(
        self, collection: Any, include: list[str]
    ) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]], Any]]: ...


class ChromaConnection:
    """The two collections (`<name>_chunks`, `<name>_articles`) of one store, and the
    local folder beside them (lock, derived data). Two backends: an embedded folder
    (`assistant.chroma.embedded`) and a `chroma run` server (`assistant.chroma.server`);
    `assistant.chroma.connect` picks one from the settings.

    A backend says where the store is (`location`, `local_dir`), connects (`_client`), and
    keeps other processes' writes in view: `state` and `bump_generation` (required), `sync`
    and `reload` (where it holds a view of its own); the other hooks do nothing unless a
    backend needs them."""

    is_server = False
    read_only = False  # an embedded store this process cannot write (opened from a copy)
    location: str
    local_dir: Path
    chunks: Any
    articles: Any
    _client: Any

    def __init__(self, settings: Settings, metadata: dict[str, Any]) -> None:
        self.settings = settings
        self._meta = metadata

    # ----------------------------------------------------------------- other processes
    def state(self) -> GenerationState:
        """The generation token and, where the backend keeps it, the committed set's stamp."""
        raise NotImplementedError

    def bump_generation(self) -> None:
        """Tell other processes the store changed (after a write)."""
        raise NotImplementedError

    def generation(self) -> str | None:
        """A token that changes with every write to the store (None when the store does not
        keep one: a server written only by clients older than the state collection)."""
        return self.state().generation

    def sync(self) -> None:
        """Catch up with other processes' writes before a read (nothing to do by default)."""

    def reload(self) -> None:
        """Load the store again now, whatever the generation token says (nothing to do for
        a backend whose view is shared)."""

    def publish_stamp(self, stamp: str) -> None:
        """Record the stamp of the article set the writer finished with, where the backend
        shares it (a server); nothing by default."""

    def discard_private_copy(self) -> None:
        """Remove a private copy of the store now (only a read-only embedded store has one)."""

    # ----------------------------------------------------------------- collections
    def _open_collections(self) -> None:
        name = self.settings.collection
        try:
            self.chunks = self._client.get_or_create_collection(
                f"{name}_chunks",
                metadata=self._meta,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            self.articles = self._client.get_or_create_collection(
                f"{name}_articles",
                metadata=self._meta,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            self._open_more_collections()
        except Exception as exc:
            raise StoreError(f"cannot open collection {name!r}: {exc}") from exc

    def _open_more_collections(self) -> None:
        """Collections of the backend's own, opened with the store's two."""

    def _make_local_dir(self) -> None:
        try:
            self.local_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder {self.local_dir} for derived data of the Chroma "
                f"server ({exc.strerror or exc}); set --store (ASSISTANT_STORE) to a "
                "writable folder"
            ) from None

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
            with self._writer():
                yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    @contextlib.contextmanager
    def _writer(self) -> Iterator[None]:
        """What a writer holds beyond the local lock (a server's lease); nothing by default."""
        yield

    @property
    def lease_info(self) -> LeaseInfo | None:
        """The server's ingest lease while `ingest_lock` holds it (None: none held)."""
        return None

    def ensure_lease(self) -> None:
        """Raise `StoreLockedError` if the lease this connection holds was lost."""

    def check_lease(self, info: LeaseInfo) -> None:
        """Raise `StoreLockedError` unless the ingest lease `info` is still held."""
        raise StoreLockedError(
            f"the store at {self.location} is not a Chroma server: no ingest lease to check"
        )

    # ----------------------------------------------------------------- failures
    def _unreachable(self, exc: BaseException) -> StoreError | None:
        """The error saying the store cannot be reached, when `exc` means that (a server)."""
        return None

    def failure(self, exc: Exception, what: str | None = None) -> BaseException:
        """The error to raise for `exc` from a Chroma call: a `StoreError` that says the
        server is gone, or (with `what`, e.g. "query") that the call failed; else `exc`
        itself, a bug or a caller's mistake that must not be disguised."""
        if isinstance(exc, AssistantError):
            return exc
        gone = self._unreachable(exc)
        if gone is not None:
            return gone
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
