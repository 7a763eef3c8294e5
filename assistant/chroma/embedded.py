"""The embedded backend: a Chroma folder this process opens itself.

An embedded Chroma client loads the vector index once and never sees another process's
writes (its queries even return ids of chunks deleted since, without their records). So every
write also records a generation token in the store folder; a process that finds a token
written by another process reloads the store before reading (`EmbeddedChroma.sync`).

Chroma opens its database for writing even to read it, so a store this process cannot write
(a read-only mount, no permission) is copied to a private temporary folder and answered from
there; ingest is refused.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
import threading
import uuid
import weakref
from pathlib import Path
from typing import Any

from assistant.chroma.base import ChromaConnection, GenerationState
from assistant.chroma.private import forget_system
from assistant.config import Settings
from assistant.errors import StoreError

__all__ = ["EmbeddedChroma"]

logger = logging.getLogger(__name__)

_GENERATION = ".generation"


class _Loaded:
    """Per embedded store path (Chroma's cache key): the generation its Chroma System was
    loaded at in this process, and how many times it was reloaded (connections compare it
    to theirs). Process-wide, as the System cache it follows is."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: dict[str, str] = {}
        self.reloads: dict[str, int] = {}

    def forget(self, key: str, generation: str) -> None:
        """Drop the System of `key` (under `lock`): the next client loads the store again."""
        forget_system(key)
        self.generation[key] = generation
        self.reloads[key] = self.reloads.get(key, 0) + 1


_LOADED = _Loaded()


class EmbeddedChroma(ChromaConnection):
    """A Chroma folder (`<store>/chroma`), its generation token and ingest lock beside it."""

    _private_copy: Path | None = None  # where the copy of a read-only store is

    def __init__(
        self, settings: Settings, *, metadata: dict[str, Any], create: bool = True
    ) -> None:
        """Open the folder; `create=False` refuses a missing store instead of creating it
        empty; a read-only one is opened from a private copy (see `_open_folder`)."""
        from chromadb.config import Settings as ChromaSettings

        super().__init__(settings, metadata)
        self.local_dir = Path(settings.store)
        self.location = str(self.local_dir.resolve())
        self._chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        self._chroma_path = self._open_folder(create)
        self._seen_generation: str | None = None
        try:
            self._open_embedded()
            self._make_local_dir()
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
        with _LOADED.lock:
            try:
                self._client = chromadb.PersistentClient(
                    path=self._chroma_path, settings=self._chroma_settings
                )
            except Exception as exc:
                raise StoreError(f"cannot open the Chroma store in {self.location}: {exc}") from exc
            # Another Store of this process may have loaded it earlier: keep its record.
            _LOADED.generation.setdefault(self._chroma_path, generation)
            self._reloads = _LOADED.reloads.setdefault(self._chroma_path, 0)

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

    # ----------------------------------------------------------------- other processes
    def _read_generation(self) -> str:
        try:
            return (self.local_dir / _GENERATION).read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def bump_generation(self) -> None:
        token = f"{os.getpid()}-{uuid.uuid4().hex}"
        path = self.local_dir / _GENERATION
        tmp = path.with_name(f"{_GENERATION}.{token}.tmp")
        try:
            tmp.write_text(token, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # readers elsewhere stay stale; the data itself is written
            logger.warning("could not record the store generation in %s: %s", path, exc)
        self._seen_generation = token

    def state(self) -> GenerationState:
        """The generation token of the store folder's file (no stamp: the folder's readers
        compute it)."""
        return GenerationState(self._read_generation())

    def sync(self) -> None:
        """Reload the store if another process wrote to it since it was loaded."""
        generation = self._read_generation()
        key = self._chroma_path
        if generation == self._seen_generation and self._reloads == _LOADED.reloads.get(key):
            return
        with _LOADED.lock:
            own = generation.startswith(f"{os.getpid()}-")  # written through our own System
            if generation != _LOADED.generation.get(key) and not own:
                _LOADED.forget(key, generation)
                logger.info("the store at %s changed in another process; reloading", key)
            if self._reloads != _LOADED.reloads.get(key, 0):
                import chromadb

                self._client = chromadb.PersistentClient(path=key, settings=self._chroma_settings)
                self._open_collections()
                self._reloads = _LOADED.reloads.get(key, 0)
                # The old System is held in reference cycles, which Python's collector may
                # not visit for a long time: without this each reload kept its whole index.
                gc.collect()
            self._seen_generation = generation

    def reload(self) -> None:
        """Load the store again now, whatever the generation token says: a writer deletes
        records before it records the new token, so a reader can meet a deletion that
        `sync` cannot know of yet (`is_concurrent_deletion`)."""
        key = self._chroma_path
        with _LOADED.lock:
            # The token is read before loading (see _open_embedded).
            _LOADED.forget(key, self._read_generation())
        self._seen_generation = None
        self.sync()
