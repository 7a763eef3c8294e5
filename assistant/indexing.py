"""The ingest path: read → clean → chunk → embed (reusing stored vectors) → store → BM25.

Incremental: an article whose content hash is already committed is skipped; a changed one
has its chunks replaced, and chunk texts that did not change keep their stored vectors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant.bm25 import BM25Index
from assistant.chunking import Chunker, text_hash
from assistant.embeddings import Embedder
from assistant.ingest import RawArticle, build_article, read_paths
from assistant.memory import release_free_memory
from assistant.store import Store
from assistant.types import Article, ArticleInfo, Chunk, IngestFailure, IngestReport

__all__ = ["GROUP_SIZE", "article_salt", "embed_and_write", "finish_ingest", "ingest_paths"]

logger = logging.getLogger(__name__)

# Articles embedded and committed together: big enough for efficient batches, small enough
# that an interruption loses little work.
GROUP_SIZE = 64


def article_salt(chunker: Chunker, embedder_name: str) -> str:
    """What goes into every article's content hash besides its text: a change of chunking or
    embedder makes every article new."""
    return f"{chunker.config_key}|{embedder_name}"


def _embed_group(
    store: Store, embedder: Embedder, group: Sequence[tuple[Article, list[Chunk]]]
) -> tuple[list[np.ndarray], int, int]:
    chunks = [c for _, cs in group for c in cs]
    hashes = [text_hash(c.text) for c in chunks]
    reuse = store.reusable_embeddings(hashes)
    todo = sorted(
        {h: c.text for h, c in zip(hashes, chunks, strict=True) if h not in reuse}.items()
    )
    if todo:
        vecs = embedder.embed([t for _, t in todo])
        reuse.update({h: v for (h, _), v in zip(todo, vecs, strict=True)})
    out: list[np.ndarray] = []
    i = 0
    for _, cs in group:
        hs = hashes[i : i + len(cs)]
        i += len(cs)
        out.append(np.stack([reuse[h] for h in hs]) if hs else np.zeros((0, embedder.dimension)))
    return out, len(todo), len(chunks) - len(todo)


def embed_and_write(
    store: Store, embedder: Embedder, group: Sequence[tuple[Article, list[Chunk]]]
) -> tuple[int, int]:
    """Embed a group of chunked articles (reusing stored vectors of unchanged chunk texts)
    and commit them in the store's order; returns the chunks embedded and reused.

    The one write path of every ingest, local or distributed (`assistant.scale`)."""
    vectors, n_emb, n_reuse = _embed_group(store, embedder, group)
    store.write_articles(
        [(art, chunks, vecs) for (art, chunks), vecs in zip(group, vectors, strict=True)]
    )
    return n_emb, n_reuse


def _write_group(
    store: Store,
    embedder: Embedder,
    chunker: Chunker,
    batch: list[tuple[Article, str]],
) -> tuple[list[tuple[Article, int, str]], int, int]:
    """Chunk, embed and commit one group of articles; returns (article, chunks written,
    status) per article and the numbers of chunks embedded and reused."""
    articles = [a for a, _ in batch]
    group = list(zip(articles, chunker.split_many(articles), strict=True))
    n_emb, n_reuse = embed_and_write(store, embedder, group)
    done = [
        (art, len(chunks), status) for (art, chunks), (_, status) in zip(group, batch, strict=True)
    ]
    return done, n_emb, n_reuse


def finish_ingest(
    store: Store,
    bm25: BM25Index,
    existing: Mapping[str, ArticleInfo],
    *,
    origins: Collection[str],
    seen: Collection[str],
    hidden: Sequence[IngestFailure],
    prune: bool,
    changed: bool,
    on_article: Callable[[str, str], None] | None = None,
) -> int:
    """The end of every ingest (local or on Ray): with `prune`, delete the articles of these
    folders that were not seen (not when a failure hides which articles a file holds), then
    bring BM25 up to date. Returns the number of articles removed."""
    removed = 0
    if prune and hidden:
        logger.warning(
            "not pruning: %s could not be read (%s), so the articles it holds are "
            "unknown; fix it and run ingest --prune again",
            hidden[0].path,
            hidden[0].reason,
        )
    elif prune:
        for doc_id, info in existing.items():
            # An article of a multi-article export (`file#3`) stays while its file is
            # seen: a file that failed to read keeps every article it had held.
            if info.origin in origins and doc_id not in seen and _export_of(doc_id) not in seen:
                store.delete_article(doc_id)
                removed += 1
                if on_article:
                    on_article(doc_id, "removed")
    if changed or removed:
        bm25.rebuild()
    else:
        bm25.ensure_fresh()
        bm25.publish()
    # The rebuild's transient copies of every chunk, freed but still resident otherwise.
    release_free_memory()
    return removed


def _export_of(doc_id: str) -> str:
    """The file doc id of an export's article (`a/b.pdf#3` -> `a/b.pdf`), else ""."""
    head, sep, tail = doc_id.rpartition("#")
    return head if sep and tail.isdigit() else ""


def ingest_paths(
    paths: Sequence[str | Path],
    *,
    store: Store,
    embedder: Embedder,
    chunker: Chunker,
    bm25: BM25Index,
    prune: bool = False,
    max_file_mb: float = 20.0,
    progress: bool | None = None,
    on_article: Callable[[str, str], None] | None = None,
    columns: Mapping[str, str] | None = None,
    items: Iterable[RawArticle | IngestFailure] | None = None,
) -> IngestReport:
    """Index `paths` into `store`. `progress=None` shows a bar only on a terminal.
    `columns` maps article fields to CSV column names; `items`, when given, are the articles
    to index instead of reading `paths` (fetched URLs), with `paths` their origins."""
    t0 = time.perf_counter()
    origins = {str(Path(p).resolve()) if items is None else str(p) for p in paths}
    with store.ingest_lock():
        store.repair()
        existing = store.article_infos()
        failures: list[IngestFailure] = []
        seen: set[str] = set()
        unchanged = 0
        # Failures that hide which articles they hold (a JSONL file or line, a folder that
        # cannot be listed, a path that is gone): pruning then could delete articles that
        # still exist, so we keep everything and say why.
        hidden: list[IngestFailure] = []
        added = updated = embedded = reused = written = 0
        # Articles are written a group at a time as they are read, never all held at once:
        # holding every cleaned article (and the reader's copies of a JSONL file) until all
        # were read would make memory grow with the corpus.
        pending: list[tuple[Article, str]] = []
        bar = tqdm(
            desc="Indexing",
            unit="article",
            disable=progress is False if progress is not None else None,
            leave=False,
        )

        def flush() -> None:
            nonlocal added, updated, embedded, reused, written
            done, n_emb, n_reuse = _write_group(store, embedder, chunker, pending)
            pending.clear()
            embedded += n_emb
            reused += n_reuse
            for art, n_chunks, status in done:
                written += n_chunks
                if status == "added":
                    added += 1
                else:
                    updated += 1
                if on_article:
                    on_article(art.doc_id, status)
            bar.update(len(done))
            # What chunking, embedding and Chroma's write freed, before the next group.
            release_free_memory()

        try:
            if items is None:
                items = read_paths(paths, max_file_mb=max_file_mb, columns=columns)
            for item in items:
                if isinstance(item, IngestFailure):
                    failures.append(item)
                    if item.doc_id:
                        seen.add(item.doc_id)
                    else:
                        hidden.append(item)
                    continue
                if item.doc_id in seen:
                    failures.append(
                        IngestFailure(
                            path=item.path, reason=f"duplicate id {item.doc_id!r}; first kept"
                        )
                    )
                    continue
                seen.add(item.doc_id)
                art = build_article(item, salt=article_salt(chunker, embedder.name))
                if isinstance(art, IngestFailure):
                    failures.append(art)
                    continue
                old = existing.get(art.doc_id)
                if old is not None and old.content_hash == art.content_hash:
                    unchanged += 1
                    continue
                pending.append((art, "updated" if old is not None else "added"))
                if len(pending) >= GROUP_SIZE:
                    flush()
            if pending:
                flush()
        finally:
            bar.close()

        removed = finish_ingest(
            store,
            bm25,
            existing,
            origins=origins,
            seen=seen,
            hidden=hidden,
            prune=prune,
            changed=bool(added or updated),
            on_article=on_article,
        )

    report = IngestReport(
        added=added,
        updated=updated,
        unchanged=unchanged,
        removed=removed,
        failures=tuple(failures),
        chunks_embedded=embedded,
        chunks_reused=reused,
        chunks_written=written,
        seconds=time.perf_counter() - t0,
        doc_ids=tuple(sorted(seen - {f.doc_id for f in failures if f.doc_id})),
    )
    logger.info(
        "ingest: %d added, %d updated, %d unchanged, %d removed, %d failed; %d chunks embedded",
        added,
        updated,
        unchanged,
        removed,
        len(failures),
        embedded,
    )
    return report
