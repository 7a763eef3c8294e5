"""The reader registry: formats registered by suffix, and by content where the suffix lies.

A new format is one module that calls `register(Format(...))`; nothing else in the ingest
path names a format. `format_for` picks the reader of a file: a format whose signature is
unmistakable (a PDF's `%PDF-`, a WARC header) wins over the suffix, so a PDF saved as
`.txt` is read as the PDF it is; otherwise the suffix decides, and a file with an unknown
suffix is still read when its content is recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.readers.base import IdScheme, Reader, Sniffer

__all__ = ["Format", "format_for", "formats", "register", "suffix_of", "supported_suffixes"]

# Bytes of a file's head the sniffers see.
SNIFF_BYTES = 4096


@dataclass(frozen=True)
class Format:
    """One file format: its reader and what `assistant formats` tells about it."""

    name: str
    suffixes: tuple[str, ...]
    library: str
    produces: str  # what becomes an article, for people
    read: Reader
    ids: IdScheme = "file"
    sniff: Sniffer | None = None
    # Read as a stream: the file-size limit does not apply (its items are checked one by one).
    streamed: bool = False


_FORMATS: list[Format] = []
_BY_SUFFIX: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add a format; a suffix belongs to one format only."""
    for suffix in fmt.suffixes:
        if suffix != suffix.lower() or not suffix.startswith("."):
            raise ValueError(f"suffix {suffix!r} of {fmt.name}: lower case with a leading dot")
        if suffix in _BY_SUFFIX and _BY_SUFFIX[suffix].name != fmt.name:
            raise ValueError(f"suffix {suffix} is {_BY_SUFFIX[suffix].name}'s already")
    _FORMATS[:] = [f for f in _FORMATS if f.name != fmt.name] + [fmt]
    for suffix in fmt.suffixes:
        _BY_SUFFIX[suffix] = fmt
    return fmt


def formats() -> tuple[Format, ...]:
    """Every registered format, in registration order."""
    return tuple(_FORMATS)


def supported_suffixes() -> tuple[str, ...]:
    return tuple(s for f in _FORMATS for s in f.suffixes)


def suffix_of(path: Path) -> str:
    """The registered suffix `path` ends with (two-part ones like `.warc.gz` first), else its
    last suffix."""
    name = path.name.lower()
    for suffix in sorted(_BY_SUFFIX, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    return path.suffix.lower()


def format_for(path: Path, head: bytes) -> Format | None:
    """The format of a file named `path` whose first bytes are `head` (None: unsupported)."""
    for fmt in _FORMATS:
        if fmt.sniff is not None and fmt.sniff(head):
            return fmt
    return _BY_SUFFIX.get(suffix_of(path))
