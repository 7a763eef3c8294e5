"""Reading a listed file with its format's reader, and whole folders of files."""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from assistant.ingest.readers.base import RawArticle, ReadItem, ReadRequest
from assistant.ingest.readers.registry import (
    SNIFF_BYTES,
    Format,
    format_for,
    formats,
    suffix_of,
    supported_suffixes,
)
from assistant.ingest.readers.sources import Source, file_kind, iter_sources
from assistant.types import IngestFailure

__all__ = ["read_paths", "read_source"]

logger = logging.getLogger(__name__)


def _by_suffix(path: Path) -> Format | None:
    suffix = suffix_of(path)
    return next((f for f in formats() if suffix in f.suffixes), None)


def _read(req: ReadRequest) -> Iterator[ReadItem]:
    path, label = req.path, req.label
    suffix = suffix_of(path)
    named = _by_suffix(path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            # A FIFO or device would block or never end if read; st_size says 0 for them, so
            # without this check they were reported as "empty", which is not the problem.
            yield req.failure(f"not a regular file ({file_kind(st.st_mode)}); skipped")
            return
        if st.st_size == 0:
            yield req.failure("empty file")
            return
        # Refused from its size before a byte is read: a 2 GB text would take minutes.
        if named is not None and not named.streamed and st.st_size > req.max_bytes:
            yield req.failure(
                f"file is {st.st_size / 1e6:.1f} MB, over the {req.max_bytes / 1e6:.0f} MB "
                "limit (raise ASSISTANT_MAX_FILE_MB to allow it)"
            )
            return
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        yield req.failure(f"cannot read: {exc.strerror or exc}")
        return
    fmt = format_for(path, head)
    if fmt is None:
        yield req.failure(
            f"unsupported file type {suffix or '(none)'}; "
            f"supported: {', '.join(supported_suffixes())} (see `assistant formats`)"
        )
        return
    if fmt is not named:
        logger.info("%s: read as %s (its content says so, whatever its name)", label, fmt.name)
        if not fmt.streamed and st.st_size > req.max_bytes:
            yield req.failure(
                f"file is {st.st_size / 1e6:.1f} MB, over the {req.max_bytes / 1e6:.0f} MB "
                "limit (raise ASSISTANT_MAX_FILE_MB to allow it)"
            )
            return
    try:
        yield from fmt.read(req)
    except OSError as exc:  # the file went away or failed part-way
        yield req.failure(f"cannot read: {exc.strerror or exc}")
    except Exception as exc:
        # The parsing libraries raise many types on broken input; one file never stops the
        # batch, and the user gets the library's own words with the file's name.
        logger.debug("%s: %s reader failed", label, fmt.name, exc_info=True)
        yield req.failure(f"cannot read as {fmt.name}: {type(exc).__name__}: {exc}")


def read_source(
    source: Source,
    *,
    max_file_mb: float = 20.0,
    columns: Mapping[str, str] | None = None,
) -> Iterator[ReadItem]:
    """The articles of one listed file (several for JSONL, feeds, archives and exports), or
    why it cannot be read. `columns` maps article fields to CSV column names."""
    req = ReadRequest(
        path=Path(source.path),
        doc_id=source.doc_id,
        origin=source.origin,
        max_bytes=int(max_file_mb * 1_000_000),
        columns=dict(columns or {}),
    )
    named = _by_suffix(req.path)
    for item in _read(req):
        if isinstance(item, RawArticle) and item.location:
            # The place in the file, with the file: what `--list` and citations show.
            item = dataclasses.replace(item, location=f"{source.doc_id}, {item.location}")
        own_id = named is None or named.ids != "inside"
        if isinstance(item, IngestFailure) and item.doc_id is None and own_id:
            # Remember which article failed so --prune never deletes its indexed version
            # (nor the articles of an export it had held).
            item = item.model_copy(update={"doc_id": source.doc_id})
        yield item


def read_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    max_file_mb: float = 20.0,
    columns: Mapping[str, str] | None = None,
) -> Iterator[RawArticle | IngestFailure]:
    """Yield every article found under `paths` (folders are read recursively).

    `doc_id` is the file's path relative to the folder given (or its name, for a file given
    directly), `<that>#<n>` for the articles of a multi-article export, and the id the file
    states for JSONL lines, feed entries, archived pages (their URL), CSV rows and e-mails.
    """
    for source in iter_sources(paths):
        if isinstance(source, IngestFailure):
            yield source
        else:
            yield from read_source(source, max_file_mb=max_file_mb, columns=columns)
