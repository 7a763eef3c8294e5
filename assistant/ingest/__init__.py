"""Reading, cleaning and describing articles (the first half of the ingest path)."""

from assistant.ingest.articles import build_article
from assistant.ingest.cleaning import clean_text
from assistant.ingest.dates import parse_date
from assistant.ingest.readers import (
    SUPPORTED_SUFFIXES,
    RawArticle,
    Source,
    iter_sources,
    read_paths,
    read_source,
)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "RawArticle",
    "Source",
    "build_article",
    "clean_text",
    "iter_sources",
    "parse_date",
    "read_paths",
    "read_source",
]
