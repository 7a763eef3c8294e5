"""The article store: what the records in Chroma hold, and the order they are written in.

Two Chroma collections hold everything, so the embedded store and a server behave alike:

* `<name>_chunks`: one record per chunk (our embedding; text, offsets, article hash in its
  metadata);
* `<name>_articles`: one record per article (cleaned text as its document, metadata,
  content hash).

Chunk texts are metadata, not Chroma documents: Chroma indexes every document for its own
full-text search, which we never use (BM25 is ours), and that index was a large part of the
cost of writing a chunk and of the store's size on disk (docs/ingest-and-store.md).
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

The BM25 index is derived data, kept beside the store by `assistant.bm25`.

The connection itself (the embedded folder or a server, cross-process reloads, the ingest
lock, error translation) is `assistant.chroma`'s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import numpy as np

from assistant.chroma import GenerationState, connect, is_concurrent_deletion
from assistant.chunking import text_hash
from assistant.config import Settings
from assistant.errors import (
    EmbedderMismatchError,
    StoreError,
)
from assistant.lease import LeaseInfo
from assistant.types import Article, ArticleInfo, Chunk

__all__ = ["ArticleInfo", "ChunkHit", "Store", "article_key", "date_to_ts", "stamp_of"]

logger = logging.getLogger(__name__)

_EPOCH = dt.date(1970, 1, 1)
_TEXT = "text"  # the metadata key of a chunk's text
# Queries asked again after meeting a record another process deleted meanwhile: each retry
# reloads the store, so only a writer deleting again in between needs another.
_DELETION_RETRIES = 4

P = ParamSpec("P")
R = TypeVar("R")


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
        location=str(m.get("location", "")),
    )


def stamp_of(infos: Mapping[str, ArticleInfo]) -> str:
    """Identifies a committed article set (see `Store.stamp`)."""
    items = sorted(f"{d}\x00{i.content_hash}" for d, i in infos.items())
    return hashlib.sha256("\n".join(items).encode()).hexdigest()


def _guarded(
    what: str | None = None,
) -> Callable[[Callable[Concatenate[Store, P], R]], Callable[Concatenate[Store, P], R]]:
    """Catch up with other processes' writes, then make the call; its failures are
    translated once, by `ChromaConnection.failure` ("server gone", or `what` failed)."""

    def decorate(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
        @functools.wraps(method)
        def wrapper(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                self.db.sync()
                return method(self, *args, **kwargs)
            except Exception as exc:
                err = self.db.failure(exc, what)
                if err is exc:
                    raise
                raise err from exc

        return wrapper

    return decorate


def _chunk_text(document: str | None, meta: dict[str, Any]) -> str:
    """A chunk record's text, taken out of its metadata (or, in stores written before texts
    moved there, its document)."""
    text = meta.pop(_TEXT, None)
    return str(text) if text is not None else (document or "")


def article_key(doc_id: str) -> str:
    """The id of an article's record (and mean vector) in Chroma.

    Chroma ids are free text, but doc ids can be long paths: hashed to a fixed size."""
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:32]


class Store:
    """Chroma collections + BM25 cache for one collection name."""

    def __init__(
        self, settings: Settings, *, embedder_name: str, dimension: int, create: bool = True
    ) -> None:
        """Open the store; `create=False` (answering questions) refuses a missing one instead
        of creating it empty."""
        self.settings = settings
        self.embedder_name = embedder_name
        self.dimension = dimension
        self.db = connect(
            settings, metadata={"embedder": embedder_name, "dimension": dimension}, create=create
        )
        found = self._chunks.metadata or {}
        if found.get("embedder") != embedder_name or int(found.get("dimension", 0)) != dimension:
            self.db.discard_private_copy()
            raise EmbedderMismatchError(
                f"the store at {self.db.location} was built with embedder "
                f"{found.get('embedder')!r} (dimension {found.get('dimension')}), but this run "
                f"uses {embedder_name!r} (dimension {dimension}). Its vectors are not comparable: "
                "use the same ASSISTANT_EMBEDDER, or point --store to a new folder and re-ingest."
            )

    # The connection's facts, under the names callers use.
    @property
    def location(self) -> str:
        return self.db.location

    @property
    def local_dir(self) -> Path:
        return self.db.local_dir

    @property
    def is_server(self) -> bool:
        return self.db.is_server

    @property
    def read_only(self) -> bool:
        return self.db.read_only

    @property
    def _chunks(self) -> Any:
        return self.db.chunks  # replaced when the store is reloaded: always read it here

    @property
    def _articles(self) -> Any:
        return self.db.articles

    @_guarded()
    def generation(self) -> str | None:
        return self.db.generation()

    @_guarded()
    def generation_state(self) -> GenerationState:
        """The generation token and, when its writer recorded it, the committed set's stamp
        (see `assistant.chroma`)."""
        return self.db.state()

    def ingest_lock(self) -> contextlib.AbstractContextManager[None]:
        return self.db.ingest_lock()

    @property
    def lease_info(self) -> LeaseInfo | None:
        """The server's ingest lease while this store's `ingest_lock` holds it (None: not
        held, or an embedded store, which needs none)."""
        return self.db.lease_info

    def ensure_lease(self) -> None:
        """Raise `StoreLockedError` if the server's ingest lease this store holds was lost
        (not renewed in time and taken over); nothing when it holds none."""
        self.db.ensure_lease()

    def check_lease(self, info: LeaseInfo) -> None:
        """Raise `StoreLockedError` unless the ingest lease `info` is still held (a worker of
        a distributed ingest asks before each write; see `assistant.lease`)."""
        self.db.check_lease(info)

    def publish_stamp(self, stamp: str) -> None:
        """Tell a server's other clients which article set the writer finished with (see
        `assistant.chroma`); nothing for an embedded store."""
        self.db.publish_stamp(stamp)

    # ----------------------------------------------------------------- articles
    @_guarded()
    def article_infos(self) -> dict[str, ArticleInfo]:
        out: dict[str, ArticleInfo] = {}
        for _ids, _docs, metas, _embs in self.db.paged(self._articles, include=["metadatas"]):
            for m in metas:
                info = _info_from_meta(m)
                out[info.doc_id] = info
        return out

    @_guarded()
    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        if not doc_ids:
            return {}
        res = self._articles.get(
            ids=[article_key(d) for d in dict.fromkeys(doc_ids)],
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
                location=info.location,
            )
        return out

    @_guarded()
    def count(self) -> tuple[int, int]:
        return self._articles.count(), self._chunks.count()

    # ----------------------------------------------------------------- writing
    @_guarded()
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

    @_guarded()
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
                        "text_hash": text_hash(c.text),
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
                    "location": article.location,
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
                ids=[article_key(d) for d in doc_ids],
                embeddings=art_vecs,
                documents=[a.text for a, _, _ in items],
                metadatas=art_metas,  # type: ignore[arg-type]
            )
        finally:  # even a failed commit changed the store (the chunks)
            self.db.bump_generation()
        # The replaced versions' chunks, now uncommitted: invisible already, so a kill before
        # this delete leaves only what the next ingest's repair removes.
        where: Any = {"doc_id": {"$in": doc_ids}}
        stale = sorted(set(self._chunks.get(where=where, include=[])["ids"]) - new_ids)
        if stale:
            try:
                for i in range(0, len(stale), 5000):
                    self._chunks.delete(ids=stale[i : i + 5000])
            finally:
                self.db.bump_generation()

    @_guarded()
    def delete_article(self, doc_id: str) -> None:
        try:
            self._articles.delete(ids=[article_key(doc_id)])
            self._chunks.delete(where={"doc_id": doc_id})
        finally:
            self.db.bump_generation()

    @_guarded()
    def repair(self) -> int:
        """Delete chunks left by an interrupted ingest; returns how many."""
        committed = {d: i.content_hash for d, i in self.article_infos().items()}
        orphans = [
            cid
            for ids, _d, metas, _e in self.db.paged(self._chunks, include=["metadatas"])
            for cid, m in zip(ids, metas, strict=True)
            if committed.get(str(m["doc_id"])) != m.get("article_hash")
        ]
        for i in range(0, len(orphans), 5000):
            self._chunks.delete(ids=orphans[i : i + 5000])
            self.db.bump_generation()
        if orphans:
            logger.warning("removed %d chunks left by an interrupted ingest", len(orphans))
        return len(orphans)

    # ----------------------------------------------------------------- reading
    def iter_chunks(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        self.db.sync()
        pages = self.db.paged(self._chunks, include=["documents", "metadatas"])
        while True:
            try:  # only the store call is guarded, not the consumer's work between pages
                page = next(pages, None)
            except Exception as exc:
                err = self.db.failure(exc)
                if err is exc:
                    raise
                raise err from exc
            if page is None:
                return
            ids, docs, metas, _e = page
            for cid, doc, meta in zip(ids, docs, metas, strict=True):
                yield cid, _chunk_text(doc, meta), meta

    def _query(
        self,
        embedding: np.ndarray,
        k: int,
        *,
        articles: bool = False,
        where: dict[str, Any] | None = None,
        include: Sequence[str] = ("distances",),
    ) -> Any:
        """Chroma's nearest records; a query that meets a record another process deleted
        after this one loaded the index is asked again on the store reloaded, so a reader
        sees the committed set, never the writer's deletion as an error."""
        for attempt in range(_DELETION_RETRIES + 1):
            # Read the collection on each attempt: a reload replaces it.
            collection = self._articles if articles else self._chunks
            try:
                return collection.query(
                    query_embeddings=[embedding.tolist()],
                    n_results=k,
                    where=where,
                    include=list(include),  # type: ignore[arg-type]
                )
            except Exception as exc:
                if attempt == _DELETION_RETRIES or not is_concurrent_deletion(exc):
                    raise
                logger.info("a query met a record deleted by another process; reloading")
                self.db.reload()
        raise AssertionError("unreachable")

    @_guarded("query")
    def dense_query(
        self,
        embedding: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
    ) -> list[ChunkHit]:
        """The `k` nearest chunks matching `where`."""
        res = self._query(
            embedding, k, where=where, include=["documents", "metadatas", "distances"]
        )
        hits = []
        docs = (res["documents"] or [[]])[0]
        metas = (res["metadatas"] or [[]])[0]
        dists = (res["distances"] or [[]])[0]
        for cid, doc, meta, d in zip(res["ids"][0], docs, metas, dists, strict=True):
            if meta is None:
                continue  # deleted after this process loaded the index (see _sync)
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

    @_guarded("query")
    def nearest(
        self, embedding: np.ndarray, k: int, *, articles: bool = False
    ) -> list[tuple[str, float]]:
        """Ids and cosine scores of the `k` nearest chunks (or articles: `article_key`s), with
        no filter and nothing else read. Chroma reads documents and metadata row by row, so a
        query returning them costs many times more; callers filter with metadata they already
        hold and fetch texts only for what they keep."""
        res = self._query(embedding, k, articles=articles)
        dists = (res["distances"] or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], dists, strict=True)]

    @_guarded("query")
    def dense_articles(
        self,
        embedding: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
    ) -> list[str]:
        """Doc ids of the articles whose mean chunk vector is nearest to `embedding`."""
        res = self._query(embedding, k, articles=True, where=where, include=["metadatas"])
        return [str(m["doc_id"]) for m in (res["metadatas"] or [[]])[0] if m is not None]

    @_guarded()
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

    @_guarded()
    def chunk_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored embeddings of these chunks (those that exist), by chunk id."""
        if not chunk_ids:
            return {}
        res = self._chunks.get(ids=list(dict.fromkeys(chunk_ids)), include=["embeddings"])
        embs = res["embeddings"]
        if embs is None:
            return {}
        return {
            str(cid): np.asarray(e, dtype=np.float32)
            for cid, e in zip(res["ids"], embs, strict=True)
        }

    def stamp(self) -> str:
        """Identifies the committed article set: changes whenever an ingest changed it."""
        return stamp_of(self.article_infos())
