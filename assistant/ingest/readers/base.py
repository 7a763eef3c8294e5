"""What a reader is: one function that turns one file into articles or per-item failures.

A `Format` names the reader, the suffixes it is registered under, the library that parses
the format and how the format's articles get their ids (see `IdScheme`). Readers never raise
for bad input: they yield an `IngestFailure` naming the file (or the item inside it) and the
problem, and go on with the next item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistant.types import IngestFailure

__all__ = [
    "IdScheme",
    "RawArticle",
    "ReadItem",
    "ReadRequest",
    "Reader",
    "Sniffer",
]


@dataclass(frozen=True)
class RawArticle:
    """Text and whatever metadata the file itself states, before cleaning.

    `location` says where in the file the article is (pages 3-4, entry 5, record 12) when a
    file holds more than one article or has pages; None for a whole file."""

    doc_id: str
    text: str
    origin: str
    path: str
    title: str | None = None
    published: str | None = None
    source: str | None = None
    url: str | None = None
    location: str | None = None


ReadItem = RawArticle | IngestFailure

# How a format's articles are named:
#   file: one article, the file's doc id (an HTML page, a Markdown note);
#   split: the file's doc id, or `<doc id>#<n>` for each article when the file is a
#          multi-article export (PDF, Word, RTF, text);
#   inside: ids stated inside the file (JSONL ids, feed entry ids, WARC target URLs, CSV
#           id columns, Message-IDs), so a failure of the whole file hides which ones.
IdScheme = Literal["file", "split", "inside"]


@dataclass(frozen=True)
class ReadRequest:
    """One file to read, with what its articles are called and the user's options."""

    path: Path
    doc_id: str
    origin: str
    max_bytes: int
    columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(self.path)

    def failure(
        self, reason: str, *, where: str | None = None, doc_id: str | None = None
    ) -> IngestFailure:
        return IngestFailure(path=where or self.label, reason=reason, doc_id=doc_id)

    def article(self, text: str, **meta: str | None) -> RawArticle:
        """An article of this file; `doc_id`, `path` and `location` may be given in `meta`."""
        doc_id = meta.pop("doc_id", None) or self.doc_id
        path = meta.pop("path", None) or self.label
        return RawArticle(doc_id=doc_id, text=text, origin=self.origin, path=path, **meta)


Reader = Callable[[ReadRequest], Iterator[ReadItem]]
# Given the first bytes of a file, True when it is in this format whatever its suffix says.
Sniffer = Callable[[bytes], bool]
