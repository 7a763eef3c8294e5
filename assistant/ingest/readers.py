"""Read files and folders of articles: .txt, .md, .html/.htm and .jsonl.

Each reader yields `RawArticle`s or `IngestFailure`s; one bad file (or JSONL line) never
stops the batch. HTML goes through trafilatura (with BeautifulSoup as the fallback for pages
it cannot parse), so no HTML is parsed by hand here.
"""

from __future__ import annotations

import codecs
import errno
import json
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.types import IngestFailure

__all__ = [
    "SUPPORTED_SUFFIXES",
    "RawArticle",
    "Source",
    "iter_sources",
    "read_paths",
    "read_source",
]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")

# `_decode` looks for NULs (UTF-16 or binary) in this many leading bytes.
_HEAD_BYTES = 8192
# Bytes per step when checking that a JSONL file is UTF-8.
_CHECK_BLOCK = 1 << 20


@dataclass(frozen=True)
class RawArticle:
    """Text and whatever metadata the file itself states, before cleaning."""

    doc_id: str
    text: str
    origin: str
    path: str
    title: str | None = None
    published: str | None = None
    source: str | None = None
    url: str | None = None


def _decode(data: bytes, label: str) -> str:
    """Decode text, refusing binaries. UTF-8 first, then UTF-16 (BOM), then Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:_HEAD_BYTES]
    nul = data.find(b"\x00")
    if nul >= 0:
        # Decided for the whole file, not its head: a NUL past the head once went into the
        # index (and quotes) while one in the head refused the file. UTF-16 without BOM shows
        # NULs on every other byte of its head; a text with stray NULs, or a binary, does not.
        if head.count(b"\x00") >= len(head) // 5:
            for enc in ("utf-16-le", "utf-16-be"):
                try:
                    text = data.decode(enc)
                except UnicodeDecodeError:
                    continue
                sample = text[:2000]
                if text and sum(c.isprintable() or c.isspace() for c in sample) > 0.95 * len(
                    sample
                ):
                    return text
        raise ValueError(f"binary file (NUL byte at offset {nul:,}), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        bad = sum(1 for c in text if c == "\ufffd" or (ord(c) < 32 and c not in "\n\r\t\f"))
        if bad > 0.01 * max(len(text), 1):
            raise ValueError("not valid UTF-8 and not readable as Windows-1252/Latin-1") from None
        logger.info("%s: not UTF-8, read as Windows-1252", label)
        return text


def _strip_markdown(text: str) -> tuple[str, str | None]:
    title = None
    # HTML comments never show in rendered Markdown; indexing them would let hidden text be
    # retrieved and quoted as if the article said it.
    text = re.sub(r"<!--.*?(?:-->|\Z)", "", text, flags=re.DOTALL)
    m = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    if m:
        title = m.group(1).strip()
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links keep their words
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return text, title


def _read_html(html: str) -> dict[str, Any]:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        # Only dates the page states (meta tags, <time>); the extensive search guesses
        # from copyright lines and would invent publication dates.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is not None:
        data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        if (data.get("text") or "").strip():
            return {
                "text": data.get("text") or "",
                "title": data.get("title"),
                "published": data.get("date"),
                "source": data.get("sitename"),
                "url": data.get("url"),
            }
    # trafilatura gives up on fragments and truncated pages: keep the visible text.
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else None
    h1 = soup.find("h1")
    return {
        "text": soup.get_text("\n"),
        "title": (h1.get_text(strip=True) if h1 else None) or title,
        "published": None,
        "source": None,
        "url": None,
    }


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


def _split_lines(text: str) -> Iterator[str]:
    """`text.split("\n")`, one line at a time (a list of every line would double the file)."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def _is_plain_utf8(path: Path) -> bool:
    """True when `_decode` would read the file as UTF-8 (no UTF-16 BOM, no NULs anywhere,
    valid UTF-8 throughout), checked block by block without keeping the text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return False
        block = head
        try:
            while block:
                if b"\x00" in block:
                    return False  # `_decode` decides on the whole file
                decoder.decode(block)
                block = fh.read(_CHECK_BLOCK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _utf8_lines(path: Path) -> Iterator[str]:
    """The lines of a UTF-8 file, read as they are used (same lines as decoding it whole and
    splitting on "\n": a UTF-8 multi-byte character never contains the byte 0x0A)."""
    last = b""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            yield raw.decode("utf-8-sig" if lineno == 1 else "utf-8").removesuffix("\n")
            last = raw
    if not last or last.endswith(b"\n"):
        yield ""  # what split() gives after a final newline (or for no bytes at all)


def _jsonl_lines(path: Path, label: str) -> Iterator[str | IngestFailure]:
    """The lines of a JSONL file, streamed when it is UTF-8 (benchmark corpora are tens of
    MB: held whole, as bytes, text and a list of lines, they were the largest thing in an
    ingest); other encodings are decoded whole, as `_decode` does for any file."""
    if _is_plain_utf8(path):
        yield from _utf8_lines(path)
        return
    data = path.read_bytes()
    try:
        text = _decode(data, label)
    except (ValueError, UnicodeDecodeError) as exc:
        yield IngestFailure(path=label, reason=str(exc))
        return
    del data
    yield from _split_lines(text)


def _read_jsonl(path: Path, origin: str) -> Iterator[RawArticle | IngestFailure]:
    label = str(path)
    lines = _jsonl_lines(path, label)
    lineno = 0
    while True:
        try:
            line = next(lines, None)
        except OSError as exc:  # the file went away or failed to read part-way
            yield IngestFailure(path=label, reason=f"cannot read: {exc.strerror or exc}")
            return
        except UnicodeDecodeError as exc:  # rewritten since it was checked to be UTF-8
            yield IngestFailure(path=label, reason=f"changed while being read ({exc})")
            return
        if line is None:
            return
        if isinstance(line, IngestFailure):
            yield line
            return
        lineno += 1
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            # exc.msg alone is cut ("Unterminated string starting at"): say where.
            yield IngestFailure(
                path=where,
                reason=f"malformed JSON at line {lineno}, column {exc.colno}: {exc.msg}",
            )
            continue
        if not isinstance(rec, dict):
            yield IngestFailure(path=where, reason="line is not a JSON object")
            continue
        doc_id, body = rec.get("id"), rec.get("text")
        if not isinstance(doc_id, str | int) or str(doc_id).strip() == "":
            yield IngestFailure(path=where, reason="missing 'id'")
            continue
        if not isinstance(body, str) or not body.strip():
            yield IngestFailure(
                path=where, reason=f"article {doc_id!r} has no 'text'", doc_id=str(doc_id)
            )
            continue
        yield RawArticle(
            doc_id=str(doc_id),
            text=body,
            origin=origin,
            path=where,
            title=rec.get("title") or None,
            published=rec.get("published") or None,
            source=rec.get("source") or None,
            url=rec.get("url") or None,
        )


def _file_kind(mode: int) -> str:
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


def _read_file(
    path: Path, doc_id: str, origin: str, max_bytes: int
) -> Iterator[RawArticle | IngestFailure]:
    for item in _read_file_inner(path, doc_id, origin, max_bytes):
        if isinstance(item, IngestFailure) and path.suffix.lower() != ".jsonl":
            # Remember which article failed so --prune never deletes its indexed version.
            item = item.model_copy(update={"doc_id": doc_id})
        yield item


def _read_file_inner(
    path: Path, doc_id: str, origin: str, max_bytes: int
) -> Iterator[RawArticle | IngestFailure]:
    suffix = path.suffix.lower()
    label = str(path)
    if suffix not in SUPPORTED_SUFFIXES:
        yield IngestFailure(
            path=label,
            reason=f"unsupported file type {suffix or '(none)'}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}",
        )
        return
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            # A FIFO or device would block or never end if read; st_size says 0 for them, so
            # without this check they were reported as "empty", which is not the problem.
            yield IngestFailure(
                path=label, reason=f"not a regular file ({_file_kind(st.st_mode)}); skipped"
            )
            return
        size = st.st_size
        if size == 0:
            yield IngestFailure(path=label, reason="empty file")
            return
        if suffix != ".jsonl" and size > max_bytes:
            yield IngestFailure(
                path=label,
                reason=f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit "
                "(raise ASSISTANT_MAX_FILE_MB to allow it)",
            )
            return
        # JSONL is read line by line as the articles are used, not whole (_jsonl_lines).
        data = None if suffix == ".jsonl" else path.read_bytes()
    except OSError as exc:
        yield IngestFailure(path=label, reason=f"cannot read: {exc.strerror or exc}")
        return
    if data is None:
        yield from _read_jsonl(path, origin)
        return
    try:
        text = _decode(data, label)
    except (ValueError, UnicodeDecodeError) as exc:
        yield IngestFailure(path=label, reason=str(exc))
        return
    if suffix in (".html", ".htm"):
        try:
            meta = _read_html(text)
        except Exception as exc:  # parsers raise many types on broken markup
            yield IngestFailure(path=label, reason=f"cannot parse HTML: {exc}")
            return
        yield RawArticle(doc_id=doc_id, origin=origin, path=label, **meta)
        return
    title = None
    if suffix in (".md", ".markdown"):
        text, title = _strip_markdown(text)
    yield RawArticle(doc_id=doc_id, text=text, origin=origin, path=label, title=title)


@dataclass(frozen=True)
class Source:
    """One file to read, with the doc id and origin its articles get (see `read_paths`)."""

    path: str
    doc_id: str
    origin: str

    @property
    def is_jsonl(self) -> bool:
        """True when the file holds many articles, whose ids are inside it."""
        return Path(self.path).suffix.lower() == ".jsonl"


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


def read_source(
    source: Source, *, max_file_mb: float = 20.0
) -> Iterator[RawArticle | IngestFailure]:
    """The articles of one listed file (several for JSONL), or why it cannot be read."""
    yield from _read_file(
        Path(source.path), source.doc_id, source.origin, int(max_file_mb * 1_000_000)
    )


def read_paths(
    paths: Iterable[str | os.PathLike[str]], *, max_file_mb: float = 20.0
) -> Iterator[RawArticle | IngestFailure]:
    """Yield every article found under `paths` (folders are read recursively).

    `doc_id` is the file's path relative to the folder given (or its name, for a file given
    directly); for JSONL it is each line's `id`.
    """
    for source in iter_sources(paths):
        if isinstance(source, IngestFailure):
            yield source
        else:
            yield from read_source(source, max_file_mb=max_file_mb)
