"""Which files a list of paths names: folders walked, links and special files reported."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.types import IngestFailure

__all__ = ["Source", "file_kind", "iter_sources"]


@dataclass(frozen=True)
class Source:
    """One file to read, with the doc id and origin its articles get (see `read_paths`)."""

    path: str
    doc_id: str
    origin: str

    @property
    def ids_inside(self) -> bool:
        """True when the file may hold articles whose ids are not its own doc id (JSONL,
        feeds, web archives, CSV, mailboxes, and multi-article exports)."""
        from assistant.ingest.readers.registry import format_for

        try:
            with open(self.path, "rb") as fh:
                head = fh.read(4096)
        except OSError:
            head = b""
        fmt = format_for(Path(self.path), head)
        return fmt is not None and fmt.ids != "file"


def _iter_files(root: Path) -> Iterator[Path | IngestFailure]:
    """Files under `root`, sorted; unreadable folders and linked folders as failures.

    os.walk does not follow links, so a symlink loop cannot trap us; a linked folder is
    reported rather than skipped in silence, so the user knows its articles were not read.
    """
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=errors.append):
        while errors:
            exc = errors.pop(0)
            # No doc_id: the articles inside are unknown, which also stops --prune.
            yield IngestFailure(
                path=str(exc.filename or dirpath),
                reason=f"cannot read folder: {exc.strerror or exc}",
            )
        here = Path(dirpath)
        for d in sorted(dirnames):
            if not d.startswith(".") and (here / d).is_symlink():
                yield IngestFailure(
                    path=str(here / d),
                    reason="symbolic link to a folder, not followed (links can loop); "
                    "give the folder's own path to ingest it",
                    doc_id=(here / d).relative_to(root).as_posix(),
                )
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not (here / d).is_symlink()
        )
        for name in sorted(filenames):
            if not name.startswith("."):
                yield here / name
    while errors:  # the root itself could not be listed
        exc = errors.pop(0)
        yield IngestFailure(
            path=str(exc.filename or root), reason=f"cannot read folder: {exc.strerror or exc}"
        )


def file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return kind
    return "not a file"


def _link_problem(path: Path) -> str | None:
    """Why a symbolic link cannot be followed, or None when it leads to something."""
    if not path.is_symlink():
        return None
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop (the link leads back to itself)"
        return f"broken symbolic link (points to {os.readlink(path)}, which does not exist)"
    return None


def iter_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Source | IngestFailure]:
    """The files under `paths` in reading order (folders recursively), and what could not be
    listed or followed, as failures. `read_paths` reads them in this order; a distributed
    ingest hands them to its workers."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            root = path.resolve()
            for f in _iter_files(path):
                if isinstance(f, IngestFailure):
                    yield f
                    continue
                problem = _link_problem(f)
                if problem:
                    yield IngestFailure(
                        path=str(f), reason=problem, doc_id=f.relative_to(path).as_posix()
                    )
                    continue
                yield Source(str(f), f.relative_to(path).as_posix(), str(root))
        elif path.exists():
            yield Source(str(path), path.name, str(path.resolve()))
        else:
            problem = _link_problem(path)
            yield IngestFailure(path=str(path), reason=problem or "no such file or folder")
