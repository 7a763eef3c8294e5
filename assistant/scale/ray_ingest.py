"""The ingest on a Ray cluster, into a Chroma server: Ray Data reads, cleans and chunks in
tasks and embeds in a pool of actors that load the model once each and write what they embed.

    driver (assistant ingest --ray)      lists the files, finds duplicate ids, holds the
                                         server's ingest lease, prunes, rebuilds BM25
      └─ read tasks (flat_map)           one file each: `read_source`, the local readers
      └─ prepare tasks (map_batches)     clean (`build_article`), skip unchanged, chunk
      └─ embed actors (map_batches,      `embed_and_write`: reuse stored vectors, embed the
         ActorPoolStrategy)              rest, commit in the store's order

The guarantees of the local ingest come from the same code: the readers report a bad file
by name and go on; content hashes and stored vectors are reused by `embed_and_write`; each
group is committed by `Store.write_articles` (chunks, then the article record, then the old
version's chunks), so a killed actor or driver leaves each article whole, old or new; the
driver takes the store's ingest lock (and the server's lease, `assistant.lease`), and each
actor checks the lease before it writes, so an actor left running by a dead driver stops
once another ingest has taken over. Ray Data restarts a killed actor and runs its batch
again; writing a batch twice gives the same records.

The files must be readable at the same path on every node (shared storage, or the same
copy on each): the driver lists them and reads the files that hold many articles
(JSONL, feeds, archives, exports) once for their ids (a duplicate
id must be settled before two actors write it), the read tasks read them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from assistant.bm25 import BM25Index
from assistant.chunking import Chunker
from assistant.config import Settings, load_settings
from assistant.errors import AssistantError, ClusterError, ConfigError
from assistant.indexing import GROUP_SIZE, article_salt, embed_and_write, finish_ingest
from assistant.ingest import RawArticle, Source, build_article, iter_sources, read_source
from assistant.lease import LeaseInfo
from assistant.memory import release_free_memory
from assistant.scale.cluster import LOCAL, check_address, connected, ray_installed
from assistant.store import Store
from assistant.types import Article, Chunk, IngestFailure, IngestReport

__all__ = ["RayOptions", "ray_ingest_paths"]

logger = logging.getLogger(__name__)

# Every row between stages has these columns, so Ray Data's blocks keep one schema.
_COLUMNS = ("kind", "src", "item", "doc_id", "status", "payload", "chunks", "embedded", "reused")
# Output blocks of the read tasks: small, so the articles of one large JSONL file are spread
# over many prepare tasks and actors instead of travelling as one block.
_READ_BLOCK_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True)
class RayOptions:
    """How to run a distributed ingest."""

    address: str  # the head's host:port, or "auto" for a private cluster of this machine
    actors: int | None = None  # embedding actors; default: one per `actor_cpus` of the cluster
    actor_cpus: float = 1.0  # CPUs each actor reserves (and torch threads it runs)
    group_size: int = GROUP_SIZE  # articles per batch (an actor embeds and commits a batch)


# ----------------------------------------------------------------------------- rows


def _row(kind: str, src: int, item: int, doc_id: str = "", **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind, "src": src, "item": item, "doc_id": doc_id}
    out.update({"status": "", "payload": "", "chunks": 0, "embedded": 0, "reused": 0})
    out.update(fields)
    return out


def _failure_row(src: int, item: int, failure: IngestFailure) -> dict[str, Any]:
    return _row("failure", src, item, failure.doc_id or "", payload=failure.model_dump_json())


def _rows(batch: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    n = len(batch["kind"])
    return [{c: batch[c][i] for c in _COLUMNS} for i in range(n)]


def _batch(rows: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {c: np.array([r[c] for r in rows], dtype=object) for c in _COLUMNS}


# ----------------------------------------------------------------------------- stages
# Module-level functions and a class: Ray ships them to the workers by reference to this
# module, which every node has installed.


def _read(row: dict[str, Any], *, max_file_mb: float) -> list[dict[str, Any]]:
    """One listed file's articles (or why it cannot be read), as rows."""
    src = int(row["src"])
    source = Source(row["path"], row["doc_id"], row["origin"])
    duplicates = set(json.loads(row["duplicates"]))
    out = []
    for i, item in enumerate(read_source(source, max_file_mb=max_file_mb)):
        if isinstance(item, IngestFailure):
            out.append(_failure_row(src, i, item))
        elif i in duplicates:
            dup = IngestFailure(path=item.path, reason=f"duplicate id {item.doc_id!r}; first kept")
            out.append(_failure_row(src, i, dup))
        else:
            out.append(
                _row("raw", src, i, item.doc_id, payload=json.dumps(dataclasses.asdict(item)))
            )
    return out


@lru_cache(maxsize=2)
def _chunker(chunk_size: int, chunk_overlap: int) -> Chunker:
    return Chunker(chunk_size, chunk_overlap)  # once per worker process: its import is slow


_existing_cache: dict[str, dict[str, str]] = {}


def _existing(ref: Any) -> dict[str, str]:
    """The committed articles' content hashes, fetched once per worker process (the object
    is the same for every task of one ingest)."""
    import ray

    key = ref.hex()
    if key not in _existing_cache:
        _existing_cache.clear()
        _existing_cache[key] = ray.get(ref)
    return _existing_cache[key]


def _prepare(
    batch: dict[str, np.ndarray],
    *,
    existing: list[Any],
    salt: str,
    chunk_size: int,
    chunk_overlap: int,
) -> dict[str, np.ndarray]:
    """Clean each read article, pass over the unchanged ones, chunk the rest."""
    hashes = _existing(existing[0])  # in a list, so Ray hands over the reference, not a copy
    out: list[dict[str, Any]] = []
    todo: list[tuple[dict[str, Any], Article, str]] = []
    for r in _rows(batch):
        if r["kind"] != "raw":
            out.append(r)
            continue
        art = build_article(RawArticle(**json.loads(r["payload"])), salt=salt)
        if isinstance(art, IngestFailure):
            out.append(_failure_row(r["src"], r["item"], art))
            continue
        old = hashes.get(art.doc_id)
        if old == art.content_hash:
            out.append(_row("unchanged", r["src"], r["item"], art.doc_id))
            continue
        todo.append((r, art, "updated" if old is not None else "added"))
    chunks = _chunker(chunk_size, chunk_overlap).split_many([a for _, a, _ in todo])
    for (r, art, status), cs in zip(todo, chunks, strict=True):
        payload = {"article": art.model_dump(mode="json"), "chunks": [c.model_dump() for c in cs]}
        out.append(
            _row(
                "write", r["src"], r["item"], art.doc_id, status=status, payload=json.dumps(payload)
            )
        )
    return _batch(out)


class _EmbedWriter:
    """An embedding actor: loads the model once, then embeds and commits batches."""

    def __init__(
        self, settings: Settings, embedder_name: str, lease: LeaseInfo | None, cpus: float
    ) -> None:
        import torch

        from assistant.embeddings import make_embedder

        # Ray reserves `cpus` for this actor; torch would otherwise start a thread per core of
        # the machine, competing with the other actors there.
        torch.set_num_threads(max(1, int(cpus)))
        self.embedder = make_embedder(settings)
        if self.embedder.name != embedder_name:
            raise ConfigError(
                f"this worker's embedder is {self.embedder.name!r}, the driver's "
                f"{embedder_name!r}: run the same ASSISTANT_EMBEDDER everywhere"
            )
        # The driver's --store folder need not exist on this node, and an actor keeps no
        # derived data (no lock, no BM25): a folder of this machine's temp space will do.
        here = load_settings(settings, store=Path(tempfile.gettempdir()) / "news-assistant-ray")
        self.store = Store(
            here, embedder_name=self.embedder.name, dimension=self.embedder.dimension
        )
        self.lease = lease

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        group: list[tuple[Article, list[Chunk]]] = []
        for r in _rows(batch):
            if r["kind"] != "write":
                out.append(r)
                continue
            p = json.loads(r["payload"])
            group.append(
                (
                    Article.model_validate(p["article"]),
                    [Chunk.model_validate(c) for c in p["chunks"]],
                )
            )
            rows.append(r)
        if group:
            if self.lease is not None:
                self.store.check_lease(self.lease)
            n_emb, n_reuse = embed_and_write(self.store, self.embedder, group)
            release_free_memory()
            for i, (r, (_, cs)) in enumerate(zip(rows, group, strict=True)):
                out.append(
                    _row(
                        "written",
                        r["src"],
                        r["item"],
                        r["doc_id"],
                        status=r["status"],
                        chunks=len(cs),
                        embedded=n_emb if i == 0 else 0,
                        reused=n_reuse if i == 0 else 0,
                    )
                )
        return _batch(out)


# ----------------------------------------------------------------------------- driver


@dataclasses.dataclass
class _Plan:
    """What the driver knows before any worker starts: the files, the failures of listing
    them, the ids of everything found, and which items are duplicates of an earlier one."""

    sources: list[Source]
    failures: list[IngestFailure]
    hidden: list[IngestFailure]  # failures that hide which articles they hold (no pruning)
    seen: set[str]
    duplicates: dict[int, list[int]]


def _plan(paths: Sequence[str | Path], max_file_mb: float) -> _Plan:
    """List the files and settle duplicate ids in reading order, as the local ingest does
    (the first is kept). Only files that may hold many articles are read here: their ids
    are inside them."""
    plan = _Plan([], [], [], set(), defaultdict(list))
    for src in iter_sources(paths):
        if isinstance(src, IngestFailure):
            plan.failures.append(src)
            if src.doc_id:
                plan.seen.add(src.doc_id)
            else:
                plan.hidden.append(src)
            continue
        idx = len(plan.sources)
        plan.sources.append(src)
        if not src.ids_inside:  # one article, its id from its path, whatever the file holds
            if src.doc_id in plan.seen:
                plan.duplicates[idx].append(0)
            plan.seen.add(src.doc_id)
            continue
        for i, item in enumerate(read_source(src, max_file_mb=max_file_mb)):
            if not item.doc_id:
                assert isinstance(item, IngestFailure)
                plan.hidden.append(item)
            elif isinstance(item, RawArticle) and item.doc_id in plan.seen:
                plan.duplicates[idx].append(i)
            else:
                plan.seen.add(item.doc_id)
    return plan


def _cause(exc: BaseException) -> BaseException:
    """The assistant's own error inside a Ray failure (raised in a worker), if any."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        inner = getattr(e, "cause", None)  # ray.exceptions.RayTaskError: the worker's error
        if isinstance(inner, AssistantError):
            return inner
        if isinstance(e, AssistantError) and type(e).__module__.startswith("assistant"):
            return e
        e = inner if isinstance(inner, BaseException) else (e.__cause__ or e.__context__)
    return exc


def _pipeline(
    ray: Any,
    plan: _Plan,
    *,
    settings: Settings,
    embedder_name: str,
    chunker: Chunker,
    existing: dict[str, str],
    lease: LeaseInfo | None,
    options: RayOptions,
) -> Iterator[dict[str, Any]]:
    """Run the stages; yields the rows that come out of the actors, as they come."""
    from ray.data import ActorPoolStrategy, DataContext, TaskPoolStrategy

    ctx = DataContext.get_current()
    data_log = logging.getLogger("ray.data")
    level = data_log.level
    data_log.setLevel(logging.ERROR)  # it warns that progress bars are off: we draw our own
    ctx.enable_progress_bars = False
    if logging.getLogger().getEffectiveLevel() <= logging.INFO:  # -v: Ray Data's plan and log
        data_log.setLevel(level)
    else:
        warnings.filterwarnings("ignore", category=UserWarning, module=r"ray\.data")
    ctx.target_max_block_size = _READ_BLOCK_BYTES

    cluster_cpus = float(ray.cluster_resources().get("CPU", 1.0))
    actors = options.actors or max(1, int(cluster_cpus // options.actor_cpus))
    light = TaskPoolStrategy(size=max(1, actors))
    items = [
        {
            "src": i,
            "path": s.path,
            "doc_id": s.doc_id,
            "origin": s.origin,
            "duplicates": json.dumps(plan.duplicates.get(i, [])),
        }
        for i, s in enumerate(plan.sources)
    ]
    logger.info(
        "Ray ingest: %d files, %d embedding actors of %g CPUs on a cluster of %g CPUs",
        len(items),
        actors,
        options.actor_cpus,
        cluster_cpus,
    )
    # Reading, cleaning and chunking reserve no CPU: they are a few percent of the work, and
    # reserving one would leave a core idle next to each actor (or, with every core taken by
    # actors, no core to feed them).
    ds = (
        # A block per file, so files are read in parallel.
        ray.data.from_items(items, override_num_blocks=max(1, min(len(items), 1000)))
        .flat_map(_read, fn_kwargs={"max_file_mb": settings.max_file_mb}, num_cpus=0, compute=light)
        .map_batches(
            _prepare,
            batch_size=options.group_size,
            num_cpus=0,
            compute=light,
            fn_kwargs={
                "existing": [ray.put(existing)],
                "salt": article_salt(chunker, embedder_name),
                "chunk_size": chunker.chunk_size,
                "chunk_overlap": chunker.chunk_overlap,
            },
        )
        .map_batches(
            _EmbedWriter,
            batch_size=options.group_size,
            num_cpus=options.actor_cpus,
            compute=ActorPoolStrategy(size=actors),
            fn_constructor_kwargs={
                "settings": settings,
                "embedder_name": embedder_name,
                "lease": lease,
                "cpus": options.actor_cpus,
            },
        )
    )
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        yield from _rows(batch)


def ray_ingest_paths(
    paths: Sequence[str | Path],
    *,
    store: Store,
    embedder_name: str,
    chunker: Chunker,
    bm25: BM25Index,
    options: RayOptions,
    prune: bool = False,
    progress: bool | None = None,
    on_article: Callable[[str, str], None] | None = None,
) -> IngestReport:
    """Index `paths` into the Chroma server of `store` on the Ray cluster of `options`; the
    same report as `assistant.indexing.ingest_paths`."""
    settings = store.settings
    ray_installed()  # not installed: say how, before anything else
    if not store.is_server:
        raise ConfigError(
            "--ray writes into a Chroma server, which every Ray worker can reach: set "
            "ASSISTANT_CHROMA_URL (--chroma-url) to the server's http://host:port; an "
            f"embedded store folder ({store.location}) is written by one process only"
        )
    if (
        options.actor_cpus <= 0
        or options.group_size < 1
        or (options.actors is not None and options.actors < 1)
    ):
        raise ConfigError("--ray-actors, --ray-actor-cpus and --ray-batch must be positive")
    t0 = time.perf_counter()
    origins = {str(Path(p).resolve()) for p in paths}
    if options.address != LOCAL:
        check_address(options.address)
    # The cluster first, with a deadline: an unreachable one must not hold the store's lock
    # and the server's lease (every other ingest is refused while they are held).
    with connected(options.address) as ray, store.ingest_lock():
        lease = store.lease_info
        store.repair()
        infos = store.article_infos()
        existing = {d: i.content_hash for d, i in infos.items()}
        plan = _plan(paths, settings.max_file_mb)
        failures: list[tuple[int, int, IngestFailure]] = []
        added = updated = unchanged = embedded = reused = written = 0
        bar = tqdm(
            desc="Indexing",
            unit="article",
            disable=progress is False if progress is not None else None,
            leave=False,
        )
        try:
            rows = _pipeline(
                ray,
                plan,
                settings=settings,
                embedder_name=embedder_name,
                chunker=chunker,
                existing=existing,
                lease=lease,
                options=options,
            )
            for r in rows:
                store.ensure_lease()
                kind = r["kind"]
                if kind == "failure":
                    f = IngestFailure.model_validate_json(r["payload"])
                    failures.append((int(r["src"]), int(r["item"]), f))
                elif kind == "unchanged":
                    unchanged += 1
                elif kind == "written":
                    written += int(r["chunks"])
                    embedded += int(r["embedded"])
                    reused += int(r["reused"])
                    if r["status"] == "added":
                        added += 1
                    else:
                        updated += 1
                    bar.update(1)
                    if on_article:
                        on_article(str(r["doc_id"]), str(r["status"]))
        except AssistantError:
            raise
        except Exception as exc:
            cause = _cause(exc)
            if isinstance(cause, AssistantError):
                raise cause from None
            raise ClusterError(
                f"the Ray ingest on --ray {options.address} failed: {type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}. Articles "
                "committed so far are whole; run the same ingest again to finish it."
            ) from exc
        finally:
            bar.close()

        all_failures = plan.failures + [f for _, _, f in sorted(failures, key=lambda t: t[:2])]
        removed = finish_ingest(
            store,
            bm25,
            infos,
            origins=origins,
            seen=plan.seen,
            hidden=plan.hidden,
            prune=prune,
            changed=bool(added or updated),
            on_article=on_article,
        )

    report = IngestReport(
        added=added,
        updated=updated,
        unchanged=unchanged,
        removed=removed,
        failures=tuple(all_failures),
        chunks_embedded=embedded,
        chunks_reused=reused,
        chunks_written=written,
        seconds=time.perf_counter() - t0,
        doc_ids=tuple(sorted(plan.seen - {f.doc_id for f in all_failures if f.doc_id})),
    )
    logger.info(
        "Ray ingest: %d added, %d updated, %d unchanged, %d removed, %d failed; %d chunks "
        "embedded (pid %d)",
        added,
        updated,
        unchanged,
        removed,
        len(all_failures),
        embedded,
        os.getpid(),
    )
    return report
