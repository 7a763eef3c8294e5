"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank, ranked by article.

The pieces are llama-index's: `BM25Retriever` (persisted next to the store) and
`QueryFusionRetriever` in reciprocal-rank mode over a small retriever that asks Chroma with
our own query embedding. On top we group chunks by article, because chunk-level fusion lets
one long article's chunks crowd out every other article.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assistant.embeddings import Embedder
from assistant.store import Store, date_to_ts, stamp_of, write_json_atomic
from assistant.temporal import DEFAULT_PRIORS, TimePriors
from assistant.types import Chunk, RetrievedChunk, TimeWindow

__all__ = ["BM25Index", "Filters", "HybridRetriever", "RetrievalResult"]

logger = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]

# Article score = best chunk + this x second-best chunk (measured on rtqa dev, see README).
SECOND_CHUNK_WEIGHT = 0.5


# How many more dense hits to fetch unfiltered before filtering them here (see _dense).
OVERFETCH = 4
# Metadata columns of the BM25 index's chunks, saved in its folder (see `Catalog.load`).
_CATALOG = "catalog.npz"


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval: articles published from `since` to `until` and on or before
    `as_of`, from `sources`, `doc_ids`. With any date bound, undated articles are left out
    (nobody can tell whether they fall inside) unless `include_undated`."""

    as_of: dt.date | None = None
    sources: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    include_undated: bool = False

    def _bounds(self) -> tuple[int, int] | None:
        """The accepted `published_ts` range, or None when dates are not filtered."""
        ends = [d for d in (self.as_of, self.until) if d is not None]
        if not ends and self.since is None:
            return None
        lo = date_to_ts(self.since) if self.since is not None else 0
        hi = date_to_ts(min(ends)) if ends else 2**31
        return lo, hi

    @property
    def dated(self) -> bool:
        """True when the date bounds leave undated articles out."""
        return self._bounds() is not None and not self.include_undated

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        bounds = self._bounds()
        if bounds is not None:
            lo, hi = bounds
            in_range = {"$and": [{"published_ts": {"$gte": lo}}, {"published_ts": {"$lte": hi}}]}
            if self.include_undated:
                clauses.append({"$or": [in_range, {"published_ts": {"$lt": 0}}]})
            else:
                clauses.extend(in_range["$and"])
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.doc_ids:
            clauses.append({"doc_id": {"$in": list(self.doc_ids)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, meta: Mapping[str, Any]) -> bool:
        ts = int(meta.get("published_ts", -1))
        bounds = self._bounds()
        if bounds is not None and not (
            bounds[0] <= ts <= bounds[1] or (ts < 0 and self.include_undated)
        ):
            return False
        if self.sources and meta.get("source") not in self.sources:
            return False
        return not (self.doc_ids and meta.get("doc_id") not in self.doc_ids)

    @property
    def empty(self) -> bool:
        return self._bounds() is None and not self.sources and not self.doc_ids

    def mask(self, catalog: Catalog, *, dates: bool = True) -> np.ndarray:
        """`accepts` over every row of `catalog` at once (a boolean array); with `dates`
        False, the date bounds are not applied (to count what they left out)."""
        keep = np.ones(len(catalog.ts), dtype=bool)
        bounds = self._bounds() if dates else None
        if bounds is not None:
            in_range = (catalog.ts >= bounds[0]) & (catalog.ts <= bounds[1])
            keep &= in_range | (catalog.ts < 0) if self.include_undated else in_range
        if self.sources:
            keep &= np.isin(catalog.sources, list(self.sources))
        if self.doc_ids:
            keep &= np.isin(catalog.doc_ids, list(self.doc_ids))
        return keep

    def undated_left_out(self, catalog: Catalog) -> int:
        """How many undated articles that the other filters accept the date bounds left out."""
        if not self.dated:
            return 0
        rows = self.mask(catalog, dates=False) & (catalog.ts < 0)
        return len(set(catalog.doc_ids[rows].tolist()))


@dataclass(frozen=True)
class Catalog:
    """The filterable metadata of the indexed (committed) chunks as columns, so a filter is a
    few array ops instead of a Python call per chunk (9,000 chunks: 0.1 ms against 15 ms),
    and dense hits can be filtered without asking Chroma for their metadata."""

    ids: tuple[str, ...]
    ts: np.ndarray
    sources: np.ndarray
    doc_ids: np.ndarray
    row: Mapping[str, int]  # chunk id -> row
    article_row: Mapping[str, int]  # Store.article_key(doc id) -> a row of that article

    @classmethod
    def of(cls, metas: Sequence[Mapping[str, Any]], ids: list[str] | None = None) -> Catalog:
        return cls._of_columns(
            ids if ids is not None else [str(i) for i in range(len(metas))],
            np.array([int(m.get("published_ts", -1)) for m in metas], dtype=np.int64),
            [str(m.get("source", "")) for m in metas],
            [str(m.get("doc_id", "")) for m in metas],
        )

    @classmethod
    def _of_columns(
        cls, ids: list[str], ts: np.ndarray, sources: list[str], docs: list[str]
    ) -> Catalog:
        article_row: dict[str, int] = {}
        for r, d in enumerate(docs):
            article_row.setdefault(Store.article_key(d), r)
        return cls(
            ids=tuple(ids),
            ts=ts,
            sources=np.array(sources, dtype=object),
            doc_ids=np.array(docs, dtype=object),
            row={cid: r for r, cid in enumerate(ids)},
            article_row=article_row,
        )

    @classmethod
    def of_corpus(cls, corpus: Sequence[Mapping[str, Any]]) -> Catalog:
        """From a BM25Retriever's corpus (each node's metadata is in its JSON content)."""
        metas = [
            json.loads(c["_node_content"])["metadata"] if "_node_content" in c else c
            for c in corpus
        ]
        return cls.of(metas, [str(c["node_id"]) for c in corpus])

    def save(self, path: Path) -> None:
        np.savez(
            path,
            ids=np.array(self.ids, dtype=str),
            ts=self.ts,
            sources=np.array(self.sources.tolist(), dtype=str),
            doc_ids=np.array(self.doc_ids.tolist(), dtype=str),
        )

    @classmethod
    def load(cls, path: Path, n_rows: int) -> Catalog | None:
        """The catalog saved beside a BM25 index, or None when it is missing, unreadable or
        not of `n_rows` rows. Reading it costs a few ms, against parsing every node's JSON
        (0.14 s at 9,000 chunks, growing with the store) at each process start."""
        try:
            with np.load(path, allow_pickle=False) as z:
                ids = z["ids"].tolist()
                ts = z["ts"].astype(np.int64)
                sources = z["sources"].tolist()
                docs = z["doc_ids"].tolist()
        except Exception as exc:  # any unreadable file: a bad zip, a bad array, a missing key
            logger.info("no usable BM25 catalog at %s (%s); reading the index instead", path, exc)
            return None
        if not len(ids) == len(ts) == len(sources) == len(docs) == n_rows:
            return None
        return cls._of_columns(ids, ts, sources, docs)


def _save_catalog_beside(catalog: Catalog, folder: Path) -> None:
    tmp = folder / f".catalog-{uuid.uuid4().hex}.npz"
    try:
        catalog.save(tmp)
        os.replace(tmp, folder / _CATALOG)
    except OSError as exc:  # a read-only store: only the next start's speed is lost
        logger.info("could not save the BM25 catalog in %s (%s)", folder, exc)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_dead_tmp_dirs(parent: Path) -> None:
    """Remove private BM25 folders whose writer died (killed mid-save)."""
    for d in parent.glob(".bm25-*-*"):
        try:
            pid = int(d.name.split("-")[2])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass  # alive but not ours to signal


def _quiet_bm25s() -> None:
    # bm25s sets its own logger to DEBUG on import; keep it to warnings.
    logging.getLogger("bm25s").setLevel(logging.WARNING)


class BM25Index:
    """llama-index's BM25Retriever over every committed chunk, persisted with a stamp."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # (retriever, per-node metadata) swapped as one value, so a query running in another
        # thread never pairs a new retriever with the old metadata.
        self._state: tuple[Any, Catalog] = (None, Catalog.of([]))
        self._stamp: str | None = None
        self._generation: str | None = None  # the store generation `_stamp` was checked at
        # Re-entrant: ensure_fresh rebuilds while holding it, and ingest calls rebuild itself.
        self._lock = threading.RLock()

    def rebuild(self) -> None:
        """Index every *committed* chunk and save the index with the stamp of that set.

        Chunks of an unfinished ingest (see `assistant.store`) are left out, so the index
        holds exactly the chunk set the stamp names, whatever else is in Chroma right now.
        """
        from llama_index.core.schema import TextNode
        from llama_index.retrievers.bm25 import BM25Retriever

        _quiet_bm25s()

        with self._lock:
            infos = self._store.article_infos()
            stamp = stamp_of(infos)
            committed = {d: i.content_hash for d, i in infos.items()}
            nodes: list[Any] = []
            for cid, text, meta in self._store.iter_chunks():
                if committed.get(str(meta["doc_id"])) != meta.get("article_hash"):
                    continue
                keep = {
                    "doc_id": meta["doc_id"],
                    "published_ts": int(meta.get("published_ts", -1)),
                    "source": meta.get("source", ""),
                    "article_hash": meta.get("article_hash", ""),
                }
                nodes.append(
                    TextNode(
                        id_=cid,
                        text=text,
                        metadata=keep,
                        excluded_embed_metadata_keys=list(keep),
                        excluded_llm_metadata_keys=list(keep),
                    )
                )
            if not nodes:
                with self._store.bm25_lock():
                    self._store.clear_bm25()
                self._state, self._stamp = (None, Catalog.of([])), stamp
                return
            retriever = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10)
            catalog = Catalog.of_corpus(retriever.corpus)
            self._save(retriever, catalog, stamp, len(nodes))
            self._install(retriever, catalog, stamp)

    def _save(self, retriever: Any, catalog: Catalog, stamp: str, n_nodes: int) -> None:
        """Persist into a private folder, then swap it in: a reader (in this process or
        another) sees the old index or the new one, never a folder being written. A crash
        mid-save leaves only a private folder, removed by a later save."""
        final = self._store.bm25_dir
        parent = final.parent
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".bm25-tmp-{os.getpid()}-", dir=parent))
        except OSError as exc:
            logger.warning("could not save the BM25 index to %s (%s)", final, exc)
            return
        try:
            # bm25s draws a progress bar while saving unless told not to: noise in a CLI or log.
            retriever.persist(str(tmp), show_progress=False)
            catalog.save(tmp / _CATALOG)
            # Inside the folder, so it is swapped in with the index it describes.
            write_json_atomic(tmp / "stamp.json", {"stamp": stamp, "chunks": n_nodes})
            with self._store.bm25_lock():
                old = parent / f".bm25-old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
                if final.exists():
                    os.replace(final, old)
                os.replace(tmp, final)
                _remove_dead_tmp_dirs(parent)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            # Only the cache is lost: the index in memory serves, the next open rebuilds.
            logger.warning("could not save the BM25 index to %s (%s)", final, exc)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _install(self, retriever: Any, catalog: Catalog, stamp: str) -> None:
        self._state = (retriever, catalog)
        self._stamp = stamp

    @property
    def catalog(self) -> Catalog:
        """Metadata columns of the indexed chunks (see `ensure_fresh`)."""
        return self._state[1]

    def chunk_ids(self) -> set[str]:
        """Ids of the chunks in the index (to check it against the store)."""
        retriever, _ = self._state
        if retriever is None:
            return set()
        return {str(c["node_id"]) for c in retriever.corpus}

    def ensure_fresh(self, stamp: str | None = None) -> None:
        """Load the persisted index, rebuilding it if the store changed since it was built."""
        with self._lock:
            # Computing the stamp reads every article record (150 ms at 800 articles); an
            # embedded store's generation token changes with every write, so while it stays
            # the same the index in memory is known to be fresh.
            generation = self._store.generation()
            if stamp is None and generation is not None and generation == self._generation:
                return
            stamp = stamp or self._store.stamp()
            if self._stamp == stamp:
                self._generation = generation
                return
            path = self._store.bm25_dir
            with self._store.bm25_lock(shared=True):
                try:
                    saved = json.loads((path / "stamp.json").read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    saved = {}
                if saved.get("stamp") == stamp:
                    from llama_index.retrievers.bm25 import BM25Retriever

                    _quiet_bm25s()

                    try:
                        retriever = BM25Retriever.from_persist_dir(str(path), show_progress=False)
                        ids = [str(c["node_id"]) for c in retriever.corpus]
                        catalog = Catalog.load(path / _CATALOG, len(ids))
                        if catalog is None or list(catalog.ids) != ids:
                            # An index saved before catalogs were, or a damaged file: build
                            # it, and save it for the next start (the shared lock keeps the
                            # folder from being swapped meanwhile).
                            catalog = Catalog.of_corpus(retriever.corpus)
                            _save_catalog_beside(catalog, path)
                        self._install(retriever, catalog, stamp)
                        self._generation = generation
                        return
                    except Exception as exc:  # a damaged cache is rebuilt, never trusted
                        logger.warning("BM25 cache at %s unreadable (%s); rebuilding", path, exc)
            self.rebuild()
            self._generation = generation

    def retrieve(self, query: str, k: int, filters: Filters) -> list[tuple[str, float]]:
        from llama_index.core.schema import QueryBundle

        retriever, catalog = self._state
        if retriever is None:
            return []
        r = copy.copy(retriever)  # per-call copy: the mask is per query, thread-safe
        r.similarity_top_k = min(k, len(catalog.ts))
        if not filters.empty:
            mask = filters.mask(catalog)
            if not mask.any():
                return []
            r.corpus_weight_mask = mask.astype(np.int8).tolist()
        nodes = r.retrieve(QueryBundle(query))
        return [(n.node.node_id, float(n.score or 0.0)) for n in nodes if (n.score or 0.0) > 0.0]


@dataclass
class RetrievalResult:
    chunks: list[RetrievedChunk]
    article_order: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    window: TimeWindow | None = None
    undated_excluded: int = 0


class HybridRetriever:
    """Dense + BM25 candidates, fused by llama-index's reciprocal rank fusion."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        bm25: BM25Index,
        article_weight: float = 0.5,
        time_priors: TimePriors = DEFAULT_PRIORS,
    ) -> None:
        self.article_weight = article_weight
        self.time_priors = time_priors
        self.store = store
        self.embedder = embedder
        self.bm25 = bm25

    def nearest(
        self,
        query_vec: np.ndarray,
        k: int,
        filters: Filters = Filters(),
        *,
        articles: bool = False,
    ) -> list[tuple[str, float]]:
        """The `k` nearest indexed chunk ids (or article doc ids) passing `filters`, best first.

        Chroma's filtered search is an order of magnitude slower than its plain HNSW search
        (75 vs 4 ms on 800 articles), and returning metadata costs as much again. So fetch
        `OVERFETCH * k` bare ids and filter them with the BM25 index's catalog (it holds
        exactly the committed chunks): when k survive they are exactly the filtered top k.
        Otherwise fall back to Chroma's own filtered search.
        """
        self.bm25.ensure_fresh()
        catalog = self.bm25.catalog
        keep = filters.mask(catalog)
        rows = catalog.article_row if articles else catalog.row
        asked = OVERFETCH * k
        hits = self.store.nearest(query_vec, asked, articles=articles)
        out: list[tuple[str, float]] = []
        for key, score in hits:
            r = rows.get(key)
            if r is not None and keep[r]:
                out.append((str(catalog.doc_ids[r]) if articles else key, score))
        if len(out) >= k or len(hits) < asked:  # fewer than asked: the whole set was seen
            return out[:k]
        where = filters.chroma_where()
        if articles:
            # Chroma's filtered search gives the order but not the scores; only the order
            # is used for articles.
            docs = self.store.dense_articles(query_vec, k, where)
            return [(d, 0.0) for d in docs if Store.article_key(d) in rows]
        hits_f = self.store.dense_query(query_vec, k, where)
        return [(h.chunk_id, h.score) for h in hits_f if h.chunk_id in rows]

    def retrieve(
        self,
        query: str,
        *,
        top_k: int,
        candidate_k: int,
        filters: Filters = Filters(),
        mode: Mode = "hybrid",
        query_vec: np.ndarray | None = None,
        chunks_per_article: int = 3,
        window: TimeWindow | None = None,
    ) -> RetrievalResult:
        import time

        from llama_index.core.llms.mock import MockLLM
        from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
        from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

        timings: dict[str, float] = {}
        lists: list[list[tuple[str, float]]] = []
        if mode in ("hybrid", "dense"):
            t = time.perf_counter()
            if query_vec is None:
                query_vec = self.embedder.embed([query])[0]
            timings["embed_query"] = time.perf_counter() - t
            t = time.perf_counter()
            lists.append(self.nearest(query_vec, candidate_k, filters))
            timings["dense"] = time.perf_counter() - t
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            self.bm25.ensure_fresh()
            lists.append(self.bm25.retrieve(query, candidate_k, filters))
            timings["bm25"] = time.perf_counter() - t

        t = time.perf_counter()

        class _Fixed(BaseRetriever):
            """Replays one ranked list so QueryFusionRetriever can fuse it."""

            def __init__(self, ranked: list[tuple[str, float]]) -> None:
                super().__init__()
                self._ranked = ranked

            def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
                return [
                    NodeWithScore(node=TextNode(id_=cid, text=cid), score=s)
                    for cid, s in self._ranked
                ]

        if len(lists) > 1:
            fusion = QueryFusionRetriever(
                [_Fixed(lst) for lst in lists],
                llm=MockLLM(),
                mode="reciprocal_rerank",  # type: ignore[arg-type]
                num_queries=1,
                use_async=False,
                similarity_top_k=2 * candidate_k,
            )
            fused = [(n.node.node_id, float(n.score or 0.0)) for n in fusion.retrieve(query)]
        else:
            fused = lists[0] if lists else []

        # Article level: an article's score is its best chunk plus half its second best.
        # The catalog names each chunk's article, so texts are read only for chunks kept.
        catalog = self.bm25.catalog
        by_doc: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for cid, score in fused:
            r = catalog.row.get(cid)
            if r is not None:
                by_doc[str(catalog.doc_ids[r])].append((cid, score))
        doc_scores = {
            d: s[0][1] + (SECOND_CHUNK_WEIGHT * s[1][1] if len(s) > 1 else 0.0)
            for d, s in by_doc.items()
        }
        if query_vec is not None and self.article_weight > 0:
            # Whole-article similarity (mean chunk vector), fused like one more ranked list:
            # it favours articles *about* the question over ones that mention it in passing.
            near = self.nearest(query_vec, top_k * 2, filters, articles=True)
            for rank, (d, _score) in enumerate(near):
                if d in doc_scores:
                    doc_scores[d] += self.article_weight / (60.0 + rank)
        if window is not None:
            dense = lists[0] if mode in ("hybrid", "dense") else None
            self._add_time_prior(doc_scores, by_doc, catalog, window, dense)
        order = sorted(doc_scores, key=lambda d: -doc_scores[d])[: top_k * 2]
        articles = self.store.get_articles(order)
        texts = self.store.get_chunks(
            [cid for d in order for cid, _ in by_doc[d][:chunks_per_article]]
        )
        out: list[RetrievedChunk] = []
        article_order: list[str] = []
        for d in order:
            art = articles.get(d)
            if art is None:
                continue  # chunks of an article whose ingest did not finish
            article_order.append(d)
            for cid, score in by_doc[d][:chunks_per_article]:
                h = texts.get(cid)
                if h is None or art.text[h.start : h.end] != h.text:
                    continue  # deleted meanwhile, or a stale chunk of an older version
                out.append(
                    RetrievedChunk(
                        chunk=Chunk(
                            chunk_id=cid,
                            doc_id=d,
                            index=h.index,
                            text=h.text,
                            start=h.start,
                            end=h.end,
                        ),
                        article=art,
                        score=score,
                        rank=len(article_order),
                    )
                )
            if len(article_order) >= top_k:
                break
        timings["fuse"] = time.perf_counter() - t
        return RetrievalResult(
            chunks=out,
            article_order=article_order,
            timings=timings,
            window=window,
            undated_excluded=filters.undated_left_out(catalog),
        )

    def _add_time_prior(
        self,
        doc_scores: dict[str, float],
        by_doc: Mapping[str, list[tuple[str, float]]],
        catalog: Catalog,
        window: TimeWindow,
        dense: list[tuple[str, float]] | None = None,
    ) -> None:
        """Add each article's closeness to the question's time, in reciprocal-rank units
        (weight / 60 for an article inside the window), to its fused score: a prior that
        reorders close calls, not a sort by date that would bury a clearly better match."""
        prior = self.time_priors.for_kind(window.kind)
        if prior.weight <= 0:
            return
        ref = date_to_ts(window.reference)
        lo = date_to_ts(window.start) if window.start is not None else ref
        hi = date_to_ts(window.end) if window.end is not None else ref
        dates = {d: int(catalog.ts[catalog.row[hits[0][0]]]) for d, hits in by_doc.items()}
        close = {
            d: prior.closeness(max(lo - ts, 0), max(ts - hi, 0))
            for d, ts in dates.items()
            if ts >= 0
        }
        # An undated article gets the mean closeness of the dated candidates: it keeps its
        # place among them, neither buried below the articles of the question's time nor
        # lifted above them, whatever its unknown date is.
        neutral = sum(close.values()) / len(close) if close else 0.0
        unit = prior.weight / 60.0
        eligible = self._near_best(dense, catalog, prior.margin)
        for d in doc_scores:
            if eligible is None or d in eligible:
                doc_scores[d] += unit * close.get(d, neutral)

    @staticmethod
    def _near_best(
        dense: list[tuple[str, float]] | None, catalog: Catalog, margin: float | None
    ) -> set[str] | None:
        """The articles whose best dense chunk is within `margin` of the best one (None: no
        gate, as without a margin or a dense list)."""
        if margin is None or not dense:
            return None
        best: dict[str, float] = {}
        for cid, score in dense:
            r = catalog.row.get(cid)
            if r is not None:
                d = str(catalog.doc_ids[r])
                best[d] = max(best.get(d, score), score)
        top = max(best.values(), default=0.0)
        return {d for d, score in best.items() if score >= top - margin}
