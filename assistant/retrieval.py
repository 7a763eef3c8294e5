"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank, ranked by article.

The BM25 index is llama-index's `BM25Retriever` (`assistant.bm25`), searched through bm25s;
the dense list is Chroma's nearest chunks to our own query embedding. The two lists are
fused as llama-index's `QueryFusionRetriever` does in reciprocal-rank mode (`fuse`; a test
pins that both give the same list): a question does not import llama-index's package, the
largest part of `assistant ask`'s cold start. On top we group chunks by article, because
chunk-level fusion lets one long article's chunks crowd out every other article.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from assistant.bm25 import BM25Index
from assistant.catalog import Catalog
from assistant.embeddings import Embedder
from assistant.filters import Filters
from assistant.store import Store, article_key, date_to_ts
from assistant.types import Chunk, RetrievedChunk, TimeWindow

__all__ = ["HybridRetriever", "RetrievalResult", "fuse"]

logger = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]

# Article score = best chunk + this x second-best chunk (chosen on rtqa dev).
SECOND_CHUNK_WEIGHT = 0.5


NO_FILTERS = Filters()

# Reciprocal-rank fusion's constant: a chunk at rank r of a list gets 1 / (r + RRF_K). The
# value of Cormack et al. (SIGIR 2009), which llama-index's QueryFusionRetriever uses too.
RRF_K = 60.0

# How many more dense hits to fetch unfiltered before filtering them here (see _dense).
OVERFETCH = 4

# A follow-up's conversation articles (`prefer`) get this many reciprocal-rank lists' worth
# of score at rank 0: enough to keep the article the conversation is about among the top
# ones, not enough to lift it over an article that clearly answers better.
PREFER_WEIGHT = 1.0


def fuse(lists: list[list[tuple[str, float]]], top: int) -> list[tuple[str, float]]:
    """The `top` best (chunk id, fused score) of ranked `lists` of (chunk id, score), by
    reciprocal rank: each list is ranked by its own scores, and a chunk's fused score sums
    1 / (rank + RRF_K) over the lists that hold it. Ties keep the order in which chunks were
    first seen, as `QueryFusionRetriever` keeps them."""
    fused: dict[str, float] = {}
    for ranked in lists:
        for rank, (cid, _score) in enumerate(sorted(ranked, key=lambda p: -p[1])):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (rank + RRF_K)
    return sorted(fused.items(), key=lambda p: -p[1])[:top]


@dataclass
class RetrievalResult:
    chunks: list[RetrievedChunk]
    article_order: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    window: TimeWindow | None = None
    undated_excluded: int = 0
    # The question's embedding when dense retrieval made one: the answerer reuses it.
    query_vec: np.ndarray | None = None


class HybridRetriever:
    """Dense + BM25 candidates, fused by reciprocal rank (`fuse`)."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        bm25: BM25Index,
        article_weight: float = 0.5,
    ) -> None:
        self.article_weight = article_weight
        self.store = store
        self.embedder = embedder
        self.bm25 = bm25

    def nearest(
        self,
        query_vec: np.ndarray,
        k: int,
        filters: Filters = NO_FILTERS,
        *,
        articles: bool = False,
    ) -> list[tuple[str, float]]:
        """The `k` nearest indexed chunk ids (or article doc ids) passing `filters`, best first.

        Chroma's filtered search is an order of magnitude slower than its plain HNSW search,
        and returning metadata costs as much again. So fetch
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
            return [(d, 0.0) for d in docs if article_key(d) in rows]
        hits_f = self.store.dense_query(query_vec, k, where)
        return [(h.chunk_id, h.score) for h in hits_f if h.chunk_id in rows]

    def retrieve(
        self,
        query: str,
        *,
        top_k: int,
        candidate_k: int,
        filters: Filters = NO_FILTERS,
        mode: Mode = "hybrid",
        query_vec: np.ndarray | None = None,
        chunks_per_article: int = 3,
        window: TimeWindow | None = None,
        prefer: tuple[str, ...] = (),
    ) -> RetrievalResult:
        """The `top_k` best articles' best chunks for `query`; `prefer`: articles kept as
        candidates, with a small boost (a follow-up's conversation articles).

        An ingest committing a new version of an article between this call's index lookup
        and its reading of texts leaves the looked-up chunks stale (the old version's); the
        call then runs once more on the new state rather than miss the article. The index
        is checked against the committed articles themselves, not the writer's generation
        token: a reader can see a commit before the writer records that token."""
        args: dict[str, Any] = {
            "top_k": top_k,
            "candidate_k": candidate_k,
            "filters": filters,
            "mode": mode,
            "query_vec": query_vec,
            "chunks_per_article": chunks_per_article,
            "window": window,
            "prefer": prefer,
        }
        result, stale = self._retrieve(query, **args)
        if stale:
            self.bm25.ensure_fresh(self.store.stamp())
            result, _ = self._retrieve(query, **args)
        return result

    def _retrieve(
        self,
        query: str,
        *,
        top_k: int,
        candidate_k: int,
        filters: Filters,
        mode: Mode,
        query_vec: np.ndarray | None,
        chunks_per_article: int,
        window: TimeWindow | None,
        prefer: tuple[str, ...] = (),
    ) -> tuple[RetrievalResult, bool]:
        import time

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
        # One list (dense or BM25 alone) keeps its own scores.
        fused = fuse(lists, 2 * candidate_k) if len(lists) > 1 else (lists[0] if lists else [])

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
        if prefer:
            t_p = time.perf_counter()
            self._keep_preferred(query, prefer, filters, by_doc, doc_scores, chunks_per_article)
            timings["prefer"] = time.perf_counter() - t_p
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
        stale = False
        for d in order:
            art = articles.get(d)
            if art is None:
                stale = True
                continue  # chunks of an article whose ingest did not finish
            article_order.append(d)
            for cid, score in by_doc[d][:chunks_per_article]:
                h = texts.get(cid)
                if h is None or art.text[h.start : h.end] != h.text:
                    stale = True
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
            query_vec=query_vec,
        ), stale

    def _keep_preferred(
        self,
        query: str,
        prefer: tuple[str, ...],
        filters: Filters,
        by_doc: dict[str, list[tuple[str, float]]],
        doc_scores: dict[str, float],
        chunks_per_article: int,
    ) -> None:
        """Boost the `prefer`red articles the filters allow, adding their best chunks for
        `query` (by BM25 within each) when the fused lists did not reach them."""
        allowed = [d for d in dict.fromkeys(prefer) if not filters.doc_ids or d in filters.doc_ids]
        missing = [d for d in allowed if d not in by_doc]
        if missing:
            within = dataclasses.replace(filters, doc_ids=tuple(missing))
            hits = self.bm25.retrieve(query, chunks_per_article * len(missing), within)
            catalog = self.bm25.catalog
            for rank, (cid, _score) in enumerate(hits):
                r = catalog.row.get(cid)
                if r is not None:
                    # On the fused lists' scale: one list's reciprocal rank.
                    by_doc[str(catalog.doc_ids[r])].append((cid, 1.0 / (61.0 + rank)))
            for d in missing:
                s = by_doc.get(d)
                if s:
                    doc_scores[d] = s[0][1] + (SECOND_CHUNK_WEIGHT * s[1][1] if len(s) > 1 else 0.0)
        for d in allowed:
            if d in doc_scores:
                doc_scores[d] += PREFER_WEIGHT / 60.0

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
        reorders close calls, not a sort by date that would bury a clearly better match. The
        decay is the window's (`TimeWindow.prior`: the query's priors)."""
        prior = window.prior
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
