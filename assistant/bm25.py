"""The BM25 index: llama-index's `BM25Retriever` over every committed chunk, kept on disk.

It is derived data, persisted in the store's local folder (`bm25/`) with a stamp of the
article set it was built from, rebuilt only when an ingest changed that set, and swapped in
atomically so readers in other processes see the old index or the new one, never half.

The index is built and saved by llama-index's `BM25Retriever`, and read back and searched
with bm25s, the library that retriever wraps, in the same files and with the same
tokenisation: importing llama-index's package is the largest part of a question's cold
start (`assistant ask`), and a question needs only the search. A test pins that both give
the same ranking.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.catalog import CATALOG_FILE, Catalog, save_catalog_beside
from assistant.filters import Filters
from assistant.lease import host_id
from assistant.store import Store, stamp_of

__all__ = ["BM25Index", "write_json_atomic"]

logger = logging.getLogger(__name__)

# The tokenisation `BM25Retriever` uses by default, given to it explicitly when building so
# that the search below tokenises questions the same way from the same place.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
STEM_LANGUAGE = "english"
# Its default stopword list for the indexed text ("en"; bm25s's "english" for questions).
STOPWORDS = "en"


def _host_tag() -> str:
    """This machine, in the names of private folders: a store folder on shared storage is
    written from several machines, and only this one's dead writers can be told dead here."""
    return hashlib.sha256(host_id().encode()).hexdigest()[:8]


def _remove_dead_tmp_dirs(parent: Path) -> None:
    """Remove private BM25 folders whose writer (on this machine) died (killed mid-save)."""
    tag = _host_tag()
    for d in parent.glob(f".bm25-*-*-{tag}-*"):
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


_local = threading.local()


def _stemmer() -> Any:
    """This thread's stemmer: PyStemmer's stemmers keep a cache that is not thread-safe, and
    questions are answered in several threads at once (the UI, the MCP server)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer(STEM_LANGUAGE)
    return stemmer


@dataclass(frozen=True)
class _Searcher:
    """A built index as a question reads it: bm25s's model and the indexed chunks (their ids
    and metadata, `BM25Retriever`'s corpus)."""

    bm25: Any
    corpus: list[dict[str, Any]]

    @classmethod
    def of(cls, retriever: Any) -> _Searcher:
        """The search part of a `BM25Retriever` just built."""
        return cls(retriever.bm25, list(retriever.corpus))

    @classmethod
    def load(cls, path: Path) -> _Searcher:
        """Read a folder `BM25Retriever.persist` wrote (bm25s's files and its corpus)."""
        import bm25s

        bm25 = bm25s.BM25.load(str(path), load_corpus=True, show_progress=False)
        return cls(bm25, list(bm25.corpus or ()))

    def search(self, query: str, k: int, mask: np.ndarray | None) -> list[tuple[str, float]]:
        """(chunk id, score) of the `k` best chunks for `query`, best first, as
        `BM25Retriever.retrieve` ranks them; `mask` (0/1 per chunk) leaves chunks out."""
        import bm25s

        tokens = bm25s.tokenize(
            query, stemmer=_stemmer(), token_pattern=TOKEN_PATTERN, show_progress=False
        )
        found, scores = self.bm25.retrieve(tokens, k=k, show_progress=False, weight_mask=mask)
        out = []
        for item, score in zip(found[0], scores[0], strict=True):
            # With its corpus loaded bm25s returns the corpus entry, else the row number.
            node = item if isinstance(item, dict) else self.corpus[int(item)]
            out.append((str(node["node_id"]), float(score)))
        return out


class BM25ShapeError(ValueError):
    """A persisted BM25 index whose arrays do not fit its corpus or each other."""


def _check_shape(index: _Searcher, path: Path) -> None:
    """Raise `BM25ShapeError`, naming the file, unless the loaded index's arrays fit its
    corpus: files copied from another store's index, or truncated ones, load without
    complaint and then fail every question (bm25s checks nothing when loading)."""
    bm25 = index.bm25
    scores = bm25.scores
    n_docs = len(index.corpus)
    data, indices, indptr = (np.asarray(scores[k]) for k in ("data", "indices", "indptr"))
    vocab = getattr(bm25, "vocab_dict", None) or {}
    wrong: list[str] = []
    if int(scores.get("num_docs") or 0) != n_docs:
        wrong.append(
            f"params.index.json counts {scores.get('num_docs')} documents, "
            f"corpus.jsonl holds {n_docs}"
        )
    # Every token of the vocabulary (bar the empty one bm25s adds for empty queries) has
    # its column in the arrays.
    top = max((int(i) for t, i in vocab.items() if t), default=-1)
    if indptr.ndim != 1 or top >= len(indptr) - 1:
        wrong.append(
            f"indptr.csc.index.npy has {len(indptr)} entries, too few for the token ids "
            "of vocab.index.json"
        )
    elif len(data) != len(indices) or (len(indptr) and int(indptr[-1]) != len(data)):
        wrong.append(
            f"data.csc.index.npy ({len(data)}) and indices.csc.index.npy ({len(indices)}) "
            f"do not match indptr.csc.index.npy ({int(indptr[-1]) if len(indptr) else 0})"
        )
    elif len(indices) and not 0 <= int(indices.min()) <= int(indices.max()) < n_docs:
        wrong.append(f"indices.csc.index.npy names documents beyond the corpus's {n_docs}")
    if wrong:
        raise BM25ShapeError(f"{path}: {'; '.join(wrong)}")


class BM25Index:
    """llama-index's BM25Retriever over every committed chunk, persisted with a stamp."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # Derived data: under the store's local folder (for a server, a cache folder per server).
        self.folder = store.local_dir / "bm25"
        # (index, per-node metadata) swapped as one value, so a query running in another
        # thread never pairs a new index with the old metadata.
        self._state: tuple[_Searcher | None, Catalog] = (None, Catalog.of([]))
        self._stamp: str | None = None
        self._generation: str | None = None  # the store generation `_stamp` was checked at
        # Re-entrant: ensure_fresh rebuilds while holding it, and ingest calls rebuild itself.
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def lock(self, *, shared: bool = False) -> Iterator[None]:
        """Serialise swaps of the persisted index folder between processes (held briefly).

        Readers take it shared while loading, so they never load half of an old index and
        half of a new one; the writer that swaps a new index in takes it exclusively.
        """
        try:
            fh = open(self.folder.parent / ".bm25.lock", "a+")  # noqa: SIM115 - held for the context
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
                with self.lock():
                    shutil.rmtree(self.folder, ignore_errors=True)
                self._state, self._stamp = (None, Catalog.of([])), stamp
                self.publish()
                return
            retriever = BM25Retriever.from_defaults(
                nodes=nodes,
                similarity_top_k=10,
                stemmer=_stemmer(),
                language=STOPWORDS,
                token_pattern=TOKEN_PATTERN,
            )
            catalog = Catalog.of_corpus(retriever.corpus)
            self._save(retriever, catalog, stamp, len(nodes))
            self._install(_Searcher.of(retriever), catalog, stamp)
        self.publish()

    def publish(self) -> None:
        """Tell the other clients of a Chroma server which article set this index (and the
        one saved in `folder`) holds: a writer calls it, holding the ingest lease, when done."""
        if self._stamp is not None:
            self._store.publish_stamp(self._stamp)

    def _save(self, retriever: Any, catalog: Catalog, stamp: str, n_nodes: int) -> None:
        """Persist into a private folder, then swap it in: a reader (in this process or
        another) sees the old index or the new one, never a folder being written. A crash
        mid-save leaves only a private folder, removed by a later save."""
        final = self.folder
        parent = final.parent
        try:
            tmp = Path(
                tempfile.mkdtemp(prefix=f".bm25-tmp-{os.getpid()}-{_host_tag()}-", dir=parent)
            )
        except OSError as exc:
            logger.warning("could not save the BM25 index to %s (%s)", final, exc)
            return
        try:
            # bm25s draws a progress bar while saving unless told not to: noise in a CLI or log.
            retriever.persist(str(tmp), show_progress=False)
            catalog.save(tmp / CATALOG_FILE)
            # Inside the folder, so it is swapped in with the index it describes.
            write_json_atomic(tmp / "stamp.json", {"stamp": stamp, "chunks": n_nodes})
            with self.lock():
                old = parent / f".bm25-old-{os.getpid()}-{_host_tag()}-{uuid.uuid4().hex[:8]}"
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

    def _install(self, searcher: _Searcher, catalog: Catalog, stamp: str) -> None:
        self._state = (searcher, catalog)
        self._stamp = stamp

    @property
    def catalog(self) -> Catalog:
        """Metadata columns of the indexed chunks (see `ensure_fresh`)."""
        return self._state[1]

    def chunk_ids(self) -> set[str]:
        """Ids of the chunks in the index (to check it against the store)."""
        searcher, _ = self._state
        if searcher is None:
            return set()
        return {str(c["node_id"]) for c in searcher.corpus}

    def ensure_fresh(self, stamp: str | None = None) -> None:
        """Load the persisted index, rebuilding it if the store changed since it was built."""
        with self._lock:
            # Computing the stamp reads every article record (slow in a large store); the
            # store's generation token changes with every write, so while it stays the same
            # the index in memory is known to be fresh. A server's last writer records the
            # stamp it finished with, which spares every other client that read.
            state = self._store.generation_state()
            generation = state.generation
            if stamp is None and generation is not None and generation == self._generation:
                return
            stamp = stamp or state.stamp or self._store.stamp()
            if self._stamp == stamp:
                self._generation = generation
                return
            path = self.folder
            with self.lock(shared=True):
                try:
                    saved = json.loads((path / "stamp.json").read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    saved = {}
                if saved.get("stamp") == stamp:
                    _quiet_bm25s()

                    try:
                        searcher = _Searcher.load(path)
                        _check_shape(searcher, path)
                        ids = [str(c["node_id"]) for c in searcher.corpus]
                        catalog = Catalog.load(path / CATALOG_FILE, len(ids))
                        if catalog is None or list(catalog.ids) != ids:
                            # An index saved before catalogs were, or a damaged file: build
                            # it, and save it for the next start (the shared lock keeps the
                            # folder from being swapped meanwhile).
                            catalog = Catalog.of_corpus(searcher.corpus)
                            save_catalog_beside(catalog, path)
                        self._install(searcher, catalog, stamp)
                        self._generation = generation
                        return
                    except Exception as exc:  # a damaged cache is rebuilt, never trusted
                        logger.warning("BM25 cache at %s unreadable (%s); rebuilding", path, exc)
            self.rebuild()
            self._generation = generation

    def retrieve(self, query: str, k: int, filters: Filters) -> list[tuple[str, float]]:
        searcher, catalog = self._state
        if searcher is None:
            return []
        mask = None
        if not filters.empty:
            keep = filters.mask(catalog)
            if not keep.any():
                return []
            mask = keep.astype(np.int64)
        found = searcher.search(query, min(k, len(catalog.ts)), mask)
        return [(cid, score) for cid, score in found if score > 0.0]


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
