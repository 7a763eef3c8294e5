"""From a `RawArticle` to a cleaned `Article` with its metadata and content hash."""

from __future__ import annotations

import hashlib
import json

from assistant.ingest.cleaning import clean_text, strip_control
from assistant.ingest.dates import parse_date
from assistant.ingest.readers import RawArticle
from assistant.types import Article, IngestFailure

__all__ = ["build_article", "content_hash"]

# Articles shorter than this after cleaning are page furniture, not news.
MIN_ARTICLE_CHARS = 40


def content_hash(*parts: object) -> str:
    payload = json.dumps([str(p) if p is not None else None for p in parts], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def build_article(raw: RawArticle, *, salt: str = "") -> Article | IngestFailure:
    """Clean `raw`; `salt` (the chunking set-up) goes into the hash so a change re-chunks."""
    cleaned = clean_text(raw.text, title=_field(raw.title))
    if len(cleaned.text) < MIN_ARTICLE_CHARS:
        return IngestFailure(
            path=raw.path,
            reason=f"no article text after cleaning ({len(cleaned.text)} characters left)",
            doc_id=raw.doc_id,
        )
    published = parse_date(raw.published) or parse_date(cleaned.published_text)
    title = cleaned.title or raw.doc_id
    source = _field(raw.source) or cleaned.source
    url = _field(raw.url)
    location = _field(raw.location) or ""
    # Only a stated location joins the hash, so articles that are whole files keep the
    # hashes they were stored with.
    extra = (location,) if location else ()
    return Article(
        doc_id=raw.doc_id,
        title=title,
        text=cleaned.text,
        published=published,
        source=source,
        url=url,
        origin=raw.origin,
        location=location,
        content_hash=content_hash(cleaned.text, title, published, source, url, salt, *extra),
    )


def _field(value: str | None) -> str | None:
    """A one-line metadata value (title, outlet, URL) without control characters."""
    if value is None:
        return None
    return " ".join(strip_control(value).split()) or None
