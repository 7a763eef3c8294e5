"""The article store: Chroma (embedded folder or `chroma run` server) plus a BM25 cache.

Two Chroma collections hold everything, so the embedded store and a server behave alike:

* `<name>_chunks`: one record per chunk (our embedding; text, offsets, article hash in its
  metadata);
* `<name>_articles`: one record per article (cleaned text as its document, metadata,
  content hash).

Chunk texts are metadata, not Chroma documents: Chroma indexes every document for its own
full-text search, which we never use (BM25 is ours), and that index was about half the cost
of writing a chunk (2.2 against 1.2 ms on rtqa articles) and 45% of the store's size on disk.
Stores written before keep chunk texts as documents, and reads accept either. Article texts
stay documents, so reading every article's metadata (each ingest, each changed store) does
not read their texts.

An article's record is written *after* its chunks and deleted *before* them, so it acts as
the commit marker: chunks whose article record is missing or carries another hash are
leftovers of an interrupted ingest, invisible to retrieval and removed by the next ingest.
An update never un-commits: a new version's chunks have ids of their own (their article's
content hash is part of them), so they are written beside the old version's, the record's
upsert switches readers from the old version to the new one, and the old chunks are deleted
after it. Whenever the writer stops (SIGKILL included), each article is its old version or
its new one, whole.

The BM25 index is derived data, persisted under the local store folder with a stamp of the
article set it was built from, and rebuilt only when an ingest changed that set.

An embedded Chroma client loads the vector index once and never sees another process's
writes (its queries even return ids of chunks deleted since, without their records). So every
write also records a generation token in the store folder; a process that finds a token
written by another process reloads the store before reading (`Store._sync`). With a
`chroma run` server all clients share the server's view and none of this is needed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import gc
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlparse

import numpy as np

from assistant.config import Settings
from assistant.errors import (
    AssistantError,
    ConfigError,
    EmbedderMismatchError,
    StoreError,
    StoreLockedError,
)
from assistant.types import Article, ArticleInfo, Chunk

__all__ = ["ArticleInfo", "ChunkHit", "Store", "date_to_ts", "release_free_memory", "stamp_of"]

logger = logging.getLogger(__name__)

# Chroma reads this at import: no usage reports leave the machine.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

# Records per Chroma `get` when reading a whole collection. Each call's working memory in
# Chroma grows with the page (at 3,697 articles a page of 2,000 article records peaked at
# +84 MB, 500 at +35 MB), and the time of a full read barely changes.
_PAGE = 500
_EPOCH = dt.date(1970, 1, 1)

P = ParamSpec("P")
R = TypeVar("R")

# How long a call may wait for a Chroma server's answer (connecting: 5 s). chromadb's own
# HTTP client waits forever, so a frozen server would hang every question.
SERVER_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5.0

_GENERATION = ".generation"
_TEXT = "text"  # the metadata key of a chunk's text
# Per embedded store path (Chroma's cache key), in this process: the generation its Chroma
# System was loaded at, and how many times it was reloaded (Stores compare it to their own).
_loaded_at: dict[str, str] = {}
_reloads: dict[str, int] = {}
_sync_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the C library loaded
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return None
    return trim


def release_free_memory() -> None:
    """Return freed heap memory to the OS (glibc; a no-op elsewhere).

    Chroma's calls run on its own threads, and glibc keeps what a thread frees in that
    thread's arena for its later use, so one phase's freed memory is not reused by the next
    (embedding, writing, building BM25) and their peaks stack. At 3,697 articles, reading the
    article records left ~145 MB of it resident and reading every chunk ~115 MB.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def date_to_ts(d: dt.date | None) -> int:
    """Days since 1970 (Chroma filters compare numbers, not dates); -1 when unknown."""
    return (d - _EPOCH).days if d else -1


@dataclass(frozen=True)
class ChunkHit:
    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    index: int
    score: float


def _meta_str(v: Any) -> str | None:
    return v if isinstance(v, str) and v != "" else None


def _info_from_meta(m: dict[str, Any]) -> ArticleInfo:
    pub = _meta_str(m.get("published"))
    return ArticleInfo(
        doc_id=str(m["doc_id"]),
        title=str(m.get("title", "")),
        published=dt.date.fromisoformat(pub) if pub else None,
        source=_meta_str(m.get("source")),
        url=_meta_str(m.get("url")),
        content_hash=str(m["content_hash"]),
        origin=str(m.get("origin", "")),
        n_chunks=int(m.get("n_chunks", 0)),
    )


def stamp_of(infos: Mapping[str, ArticleInfo]) -> str:
    """Identifies a committed article set (see `Store.stamp`)."""
    items = sorted(f"{d}\x00{i.content_hash}" for d, i in infos.items())
    return hashlib.sha256("\n".join(items).encode()).hexdigest()


def _is_transport_error(exc: BaseException) -> bool:
    """True when `exc` means the server could not be reached or stopped answering."""
    import httpx

    return isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError)


def _guarded(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Catch up with other processes' writes, then make the call; turn "server gone" errors
    into a `StoreError` that says so.

    Without it a stopped `chroma run` surfaces as a bare httpx traceback from whichever call
    happened first. Other errors pass unchanged: they are bugs or callers' mistakes.
    """

    @functools.wraps(method)
    def wrapper(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            self._sync()
            return method(self, *args, **kwargs)
        except AssistantError:
            raise
        except Exception as exc:
            if self.is_server and _is_transport_error(exc):
                raise self.unreachable(exc) from exc
            raise

    return wrapper


def _chunk_text(document: str | None, meta: dict[str, Any]) -> str:
    """A chunk record's text, taken out of its metadata (or, in stores written before texts
    moved there, its document)."""
    text = meta.pop(_TEXT, None)
    return str(text) if text is not None else (document or "")


def _article_id(doc_id: str) -> str:
    # Chroma ids are free text, but doc ids can be long paths: hash them to a fixed size.
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:32]


class Store:
    """Chroma collections + BM25 cache for one collection name."""

    read_only = False  # an embedded store this process cannot write (opened from a copy)

    def __init__(
        self, settings: Settings, *, embedder_name: str, dimension: int, create: bool = True
    ) -> None:
        """Open the store; `create=False` (answering questions) refuses a missing one instead
        of creating it empty. A read-only store is opened from a private copy (see
        `_open_folder`)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.settings = settings
        self.embedder_name = embedder_name
        self.dimension = dimension
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
            # Read before loading: recording an older generation than what gets loaded only
            # costs a needless reload later; a newer one would hide a change.
            generation = self._read_generation()
            with _sync_lock:
                try:
                    self._client = chromadb.PersistentClient(
                        path=self._chroma_path, settings=chroma_settings
                    )
                except Exception as exc:
                    raise StoreError(
                        f"cannot open the Chroma store in {self.location}: {exc}"
                    ) from exc
                # Another Store of this process may have loaded it earlier: keep its record.
                _loaded_at.setdefault(self._chroma_path, generation)
                self._reloads = _reloads.setdefault(self._chroma_path, 0)
        self._chroma_settings = chroma_settings
        self._seen_generation: str | None = None
        self._meta = {"embedder": embedder_name, "dimension": dimension}
        try:
            self.local_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder {self.local_dir} for derived data of the Chroma "
                f"server ({exc.strerror or exc}); set --store (ASSISTANT_STORE) to a writable "
                "folder"
            ) from None
        self._open_collections()
        found = self._chunks.metadata or {}
        if found.get("embedder") != embedder_name or int(found.get("dimension", 0)) != dimension:
            raise EmbedderMismatchError(
                f"the store at {self.location} was built with embedder "
                f"{found.get('embedder')!r} (dimension {found.get('dimension')}), but this run "
                f"uses {embedder_name!r} (dimension {dimension}). Its vectors are not comparable: "
                "use the same ASSISTANT_EMBEDDER, or point --store to a new folder and re-ingest."
            )

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
        weakref.finalize(self, shutil.rmtree, tmp, True)
        try:
            shutil.copytree(chroma, tmp / "chroma")
        except OSError as exc:
            raise StoreError(
                f"the store at {self.location} is read-only and could not be copied to "
                f"{tmp} to be read ({exc}); free some space there or set TMPDIR"
            ) from None
        logger.info("the store at %s is read-only: reading a copy in %s", self.location, tmp)
        return str(tmp / "chroma")

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
            self._chunks = self._client.get_or_create_collection(
                f"{name}_chunks",
                metadata=self._meta,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            self._articles = self._client.get_or_create_collection(
                f"{name}_articles",
                metadata=self._meta,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        except Exception as exc:
            raise StoreError(f"cannot open collection {name!r}: {exc}") from exc

    # ----------------------------------------------------------------- other processes
    def _read_generation(self) -> str:
        try:
            return (self.local_dir / _GENERATION).read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def _bump_generation(self) -> None:
        """Tell other processes the store changed (after a write; see the module docstring)."""
        if self.is_server:
            return
        token = f"{os.getpid()}-{uuid.uuid4().hex}"
        path = self.local_dir / _GENERATION
        tmp = path.with_name(f"{_GENERATION}.{token}.tmp")
        try:
            tmp.write_text(token, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # readers elsewhere stay stale; the data itself is written
            logger.warning("could not record the store generation in %s: %s", path, exc)
        self._seen_generation = token

    def generation(self) -> str | None:
        """A token that changes with every write to an embedded store (None for a server,
        whose other clients write without telling us)."""
        return None if self.is_server else self._read_generation()

    def _sync(self) -> None:
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
        """Serialise writers: a second ingest is refused, never interleaved."""
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
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    @contextlib.contextmanager
    def bm25_lock(self, *, shared: bool = False) -> Iterator[None]:
        """Serialise swaps of the persisted BM25 folder between processes (held briefly).

        Readers take it shared while loading, so they never load half of an old index and
        half of a new one; the writer that swaps a new index in takes it exclusively.
        """
        try:
            fh = open(self.local_dir / ".bm25.lock", "a+")  # noqa: SIM115 - held for the context
        except OSError:
            if not shared:
                raise
            # A read-only store: nobody can swap its BM25 folder, so there is nothing to wait
            # for.
            yield
            return
        try:
            fcntl.flock(fh, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

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

    # ----------------------------------------------------------------- articles
    @_guarded
    def article_infos(self) -> dict[str, ArticleInfo]:
        out: dict[str, ArticleInfo] = {}
        for _ids, _docs, metas, _embs in self._paged(self._articles, include=["metadatas"]):
            for m in metas:
                info = _info_from_meta(m)
                out[info.doc_id] = info
        return out

    @_guarded
    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        if not doc_ids:
            return {}
        res = self._articles.get(
            ids=[_article_id(d) for d in dict.fromkeys(doc_ids)],
            include=["documents", "metadatas"],
        )
        out: dict[str, Article] = {}
        for doc, m in zip(res["documents"] or [], res["metadatas"] or [], strict=True):
            info = _info_from_meta(dict(m))
            out[info.doc_id] = Article(
                doc_id=info.doc_id,
                title=info.title,
                text=doc or "",
                published=info.published,
                source=info.source,
                url=info.url,
                content_hash=info.content_hash,
                origin=info.origin,
            )
        return out

    @_guarded
    def count(self) -> tuple[int, int]:
        return self._articles.count(), self._chunks.count()

    # ----------------------------------------------------------------- writing
    @_guarded
    def reusable_embeddings(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Embeddings already stored for chunks with these texts (no need to embed again)."""
        out: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(text_hashes))
        for i in range(0, len(wanted), 500):
            where: Any = {"text_hash": {"$in": wanted[i : i + 500]}}
            res = self._chunks.get(
                where=where,
                include=["metadatas", "embeddings"],
            )
            embs = res["embeddings"]
            if embs is None:
                continue
            for m, e in zip(res["metadatas"] or [], embs, strict=True):
                out[str(m["text_hash"])] = np.asarray(e, dtype=np.float32)
        return out

    def write_article(
        self, article: Article, chunks: Sequence[Chunk], embeddings: np.ndarray
    ) -> None:
        """Replace an article's chunks, then commit its record (see the module docstring)."""
        self.write_articles([(article, chunks, embeddings)])

    @_guarded
    def write_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Write several articles' new chunks, commit their records, then delete the chunks
        of the versions they replace, in a few calls.

        Batched because per-article round trips cost more than the rest of ingest besides
        embedding. The order (new chunks, commit, old chunks) keeps each article readable,
        as its old version until the commit and as its new one after it (module docstring).
        """
        if not items:
            return
        for article, chunks, embeddings in items:
            if len(chunks) != len(embeddings):
                raise StoreError(
                    f"{article.doc_id}: {len(chunks)} chunks but {len(embeddings)} vectors"
                )
        doc_ids = [a.doc_id for a, _, _ in items]
        new_ids = {c.chunk_id for _, chunks, _ in items for c in chunks}
        ids: list[str] = []
        vecs: list[Any] = []
        metas: list[dict[str, Any]] = []
        art_vecs: list[Any] = []
        art_metas: list[dict[str, Any]] = []
        for article, chunks, embeddings in items:
            ts = date_to_ts(article.published)
            for c, v in zip(chunks, embeddings, strict=True):
                ids.append(c.chunk_id)
                vecs.append(v.tolist())
                metas.append(
                    {
                        _TEXT: c.text,
                        "doc_id": c.doc_id,
                        "index": c.index,
                        "start": c.start,
                        "end": c.end,
                        "article_hash": article.content_hash,
                        "text_hash": hashlib.sha256(c.text.encode()).hexdigest()[:24],
                        "published_ts": ts,
                        "source": article.source or "",
                    }
                )
            centroid = embeddings.mean(axis=0) if len(embeddings) else np.zeros(self.dimension)
            centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
            art_vecs.append(centroid.tolist())
            art_metas.append(
                {
                    "doc_id": article.doc_id,
                    "title": article.title,
                    "published": article.published.isoformat() if article.published else "",
                    "published_ts": ts,
                    "source": article.source or "",
                    "url": article.url or "",
                    "content_hash": article.content_hash,
                    "origin": article.origin,
                    "n_chunks": len(chunks),
                }
            )
        for i in range(0, len(ids), 4000):  # Chroma caps the batch size
            self._chunks.upsert(
                ids=ids[i : i + 4000],
                embeddings=vecs[i : i + 4000],
                metadatas=metas[i : i + 4000],  # type: ignore[arg-type]
            )
        try:
            self._articles.upsert(
                ids=[_article_id(d) for d in doc_ids],
                embeddings=art_vecs,
                documents=[a.text for a, _, _ in items],
                metadatas=art_metas,  # type: ignore[arg-type]
            )
        finally:  # even a failed commit changed the store (the chunks)
            self._bump_generation()
        # The replaced versions' chunks, now uncommitted: invisible already, so a kill before
        # this delete leaves only what the next ingest's repair removes.
        where: Any = {"doc_id": {"$in": doc_ids}}
        stale = sorted(set(self._chunks.get(where=where, include=[])["ids"]) - new_ids)
        if stale:
            try:
                for i in range(0, len(stale), 5000):
                    self._chunks.delete(ids=stale[i : i + 5000])
            finally:
                self._bump_generation()

    @_guarded
    def delete_article(self, doc_id: str) -> None:
        try:
            self._articles.delete(ids=[_article_id(doc_id)])
            self._chunks.delete(where={"doc_id": doc_id})
        finally:
            self._bump_generation()

    @_guarded
    def repair(self) -> int:
        """Delete chunks left by an interrupted ingest; returns how many."""
        committed = {d: i.content_hash for d, i in self.article_infos().items()}
        orphans = [
            cid
            for ids, _d, metas, _e in self._paged(self._chunks, include=["metadatas"])
            for cid, m in zip(ids, metas, strict=True)
            if committed.get(str(m["doc_id"])) != m.get("article_hash")
        ]
        for i in range(0, len(orphans), 5000):
            self._chunks.delete(ids=orphans[i : i + 5000])
            self._bump_generation()
        if orphans:
            logger.warning("removed %d chunks left by an interrupted ingest", len(orphans))
        return len(orphans)

    # ----------------------------------------------------------------- reading
    def iter_chunks(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        self._sync()
        pages = self._paged(self._chunks, include=["documents", "metadatas"])
        while True:
            try:  # only the store call is guarded, not the consumer's work between pages
                page = next(pages, None)
            except AssistantError:
                raise
            except Exception as exc:
                if self.is_server and _is_transport_error(exc):
                    raise self.unreachable(exc) from exc
                raise
            if page is None:
                return
            ids, docs, metas, _e = page
            for cid, doc, meta in zip(ids, docs, metas, strict=True):
                yield cid, _chunk_text(doc, meta), meta

    @_guarded
    def dense_query(
        self,
        embedding: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
        accept: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> list[ChunkHit]:
        """The `k` nearest chunks matching `where`; `accept` drops hits by their metadata."""
        try:
            res = self._chunks.query(
                query_embeddings=[embedding.tolist()],
                n_results=k,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        except Exception as exc:
            if self.is_server and _is_transport_error(exc):
                raise self.unreachable(exc) from exc
            raise StoreError(f"query failed on the store at {self.location}: {exc}") from exc
        hits = []
        docs = (res["documents"] or [[]])[0]
        metas = (res["metadatas"] or [[]])[0]
        dists = (res["distances"] or [[]])[0]
        for cid, doc, meta, d in zip(res["ids"][0], docs, metas, dists, strict=True):
            if meta is None:
                continue  # deleted after this process loaded the index (see _sync)
            if accept is not None and not accept(meta):
                continue
            m: dict[str, Any] = dict(meta)
            hits.append(
                ChunkHit(
                    chunk_id=cid,
                    doc_id=str(m["doc_id"]),
                    text=_chunk_text(doc, m),
                    start=int(m["start"]),
                    end=int(m["end"]),
                    index=int(m["index"]),
                    score=1.0 - float(d),
                )
            )
        return hits

    @_guarded
    def nearest(
        self, embedding: np.ndarray, k: int, *, articles: bool = False
    ) -> list[tuple[str, float]]:
        """Ids and cosine scores of the `k` nearest chunks (or articles: `article_key`s), with
        no filter and nothing else read. Chroma reads documents and metadata row by row, so a
        query returning them costs ~9x more (120 hits: 14 ms against 1.6 ms); callers filter
        with metadata they already hold and fetch texts only for what they keep."""
        col = self._articles if articles else self._chunks
        try:
            res = col.query(
                query_embeddings=[embedding.tolist()], n_results=k, include=["distances"]
            )
        except Exception as exc:
            if self.is_server and _is_transport_error(exc):
                raise self.unreachable(exc) from exc
            raise StoreError(f"query failed on the store at {self.location}: {exc}") from exc
        dists = (res["distances"] or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], dists, strict=True)]

    @staticmethod
    def article_key(doc_id: str) -> str:
        """The id of an article's record (and mean vector) in Chroma."""
        return _article_id(doc_id)

    @_guarded
    def dense_articles(
        self,
        embedding: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
        accept: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> list[str]:
        """Doc ids of the articles whose mean chunk vector is nearest to `embedding`."""
        try:
            res = self._articles.query(
                query_embeddings=[embedding.tolist()],
                n_results=k,
                where=where,
                include=["metadatas"],
            )
        except Exception as exc:
            if self.is_server and _is_transport_error(exc):
                raise self.unreachable(exc) from exc
            raise StoreError(f"query failed on the store at {self.location}: {exc}") from exc
        return [
            str(m["doc_id"])
            for m in (res["metadatas"] or [[]])[0]
            if m is not None and (accept is None or accept(m))
        ]

    @_guarded
    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, ChunkHit]:
        if not chunk_ids:
            return {}
        res = self._chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        out = {}
        for cid, doc, meta in zip(
            res["ids"], res["documents"] or [], res["metadatas"] or [], strict=True
        ):
            m: dict[str, Any] = dict(meta)
            out[cid] = ChunkHit(
                cid,
                str(m["doc_id"]),
                _chunk_text(doc, m),
                int(m["start"]),
                int(m["end"]),
                int(m["index"]),
                0.0,
            )
        return out

    def stamp(self) -> str:
        """Identifies the committed article set: changes whenever an ingest changed it."""
        return stamp_of(self.article_infos())

    @property
    def bm25_dir(self) -> Path:
        return self.local_dir / "bm25"

    def clear_bm25(self) -> None:
        shutil.rmtree(self.bm25_dir, ignore_errors=True)

    @staticmethod
    def _paged(
        collection: Any, include: list[str]
    ) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]], Any]]:
        offset = 0
        while True:
            res = collection.get(limit=_PAGE, offset=offset, include=include)
            release_free_memory()  # Chroma's working memory for the page (see the function)
            ids = res["ids"]
            if not ids:
                return
            docs = res.get("documents") or [""] * len(ids)
            metas = [dict(m) for m in (res.get("metadatas") or [{}] * len(ids))]
            yield ids, docs, metas, res.get("embeddings")
            offset += len(ids)


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
