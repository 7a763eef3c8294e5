"""Read files and folders of articles, one reader per format behind a registry.

Each reader turns one file into `RawArticle`s or `IngestFailure`s (per file, or per item of
a file holding many); one bad file (or line, entry, record) never stops the batch. A new
format is one module here that registers a `Format`; `assistant formats` lists them.
"""

# The format modules register themselves on import; the order is that of `formats()`.
from assistant.ingest.readers import (  # noqa: F401
    docx,
    feeds,
    html,
    jsonl,
    mail,
    pdf,
    rtf,
    tabular,
    text,
    warc,
)
from assistant.ingest.readers.base import RawArticle, ReadItem, ReadRequest
from assistant.ingest.readers.read import read_paths, read_source
from assistant.ingest.readers.registry import Format, format_for, formats, register
from assistant.ingest.readers.sources import Source, iter_sources

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Format",
    "RawArticle",
    "ReadItem",
    "ReadRequest",
    "Source",
    "format_for",
    "formats",
    "iter_sources",
    "read_paths",
    "read_source",
    "register",
]

SUPPORTED_SUFFIXES = tuple(s for f in formats() for s in f.suffixes)
