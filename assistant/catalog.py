"""`Catalog`: the filterable metadata of the indexed chunks, as columns.

Saved beside the BM25 index it describes, so a process start reads a few arrays instead of
every node's JSON, and retrieval filters dense hits without asking Chroma for metadata.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.store import article_key

__all__ = ["CATALOG_FILE", "Catalog", "save_catalog_beside"]

logger = logging.getLogger(__name__)

# The catalog's file name inside the BM25 index folder (see `Catalog.load`).
CATALOG_FILE = "catalog.npz"


@dataclass(frozen=True)
class Catalog:
    """The filterable metadata of the indexed (committed) chunks as columns, so a filter is a
    few array ops instead of a Python call per chunk, and dense hits can be filtered without
    asking Chroma for their metadata."""

    ids: tuple[str, ...]
    ts: np.ndarray
    sources: np.ndarray
    doc_ids: np.ndarray
    row: Mapping[str, int]  # chunk id -> row
    article_row: Mapping[str, int]  # article_key(doc id) -> a row of that article

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
            article_row.setdefault(article_key(d), r)
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
        not of `n_rows` rows. Reading it is cheap, against parsing every node's JSON (growing
        with the store) at each process start."""
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


def save_catalog_beside(catalog: Catalog, folder: Path) -> None:
    """Save `catalog` into the BM25 index folder `folder`, atomically; failing only logs."""
    tmp = folder / f".catalog-{uuid.uuid4().hex}.npz"
    try:
        catalog.save(tmp)
        os.replace(tmp, folder / CATALOG_FILE)
    except OSError as exc:  # a read-only store: only the next start's speed is lost
        logger.info("could not save the BM25 catalog in %s (%s)", folder, exc)
    finally:
        tmp.unlink(missing_ok=True)
