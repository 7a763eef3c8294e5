"""RSS and Atom feeds (.rss, .atom, and .xml that is a feed) through feedparser.

One article per entry, with the entry's title, date, link and the feed (or the entry's
source) as its outlet. The text is the entry's full `content` when the feed carries it,
else its summary, and the article's location says so. An entry's id (or link) is its
article's id, so the same story in two feeds, or in a feed read again, is one article.

Entity expansion stays off: a feed that declares XML entities (the "billion laughs" and
external-entity tricks) is refused before feedparser sees it, since no real feed needs them.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.parsers.expat
from collections.abc import Iterator
from typing import Any

from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.registry import Format, register

__all__ = ["feed_articles"]

_ROOT = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", re.S
)


class _EntityDeclared(Exception):
    pass


def _declares_entities(data: bytes) -> bool:
    """True when the XML declares entities (in its DOCTYPE), checked with expat itself."""
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_: Any) -> None:
        raise _EntityDeclared

    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except _EntityDeclared:
        return True
    except xml.parsers.expat.ExpatError:
        # Not well-formed: feedparser's lenient parser reads it, and that parser expands
        # no declared entities; a declaration is still refused.
        return b"<!ENTITY" in data
    return False


def _text_of(html: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser").get_text("\n")


def _date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday).isoformat()
    return None


def feed_articles(req: ReadRequest, data: bytes) -> Iterator[ReadItem]:
    """The entries of a feed given as bytes (a file, or a page fetched from a URL)."""
    import feedparser

    if _declares_entities(data):
        yield req.failure(
            "the feed declares XML entities (an entity-expansion trick); refused unread"
        )
        return
    # Bytes, never a path or URL: feedparser would fetch a URL it is given.
    feed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    if not feed.entries:
        problem = feed.get("bozo_exception")
        reason = "no entries in the feed"
        if not feed.get("version"):
            reason = "not an RSS or Atom feed"
        yield req.failure(f"{reason}{f' ({problem})' if problem else ''}")
        return
    outlet = feed.feed.get("title") or None
    for n, entry in enumerate(feed.entries, start=1):
        where = f"{req.label}#entry{n}"
        doc_id = entry.get("id") or entry.get("link") or f"{req.doc_id}#{n}"
        contents = [c.get("value", "") for c in entry.get("content", [])]
        full = "\n\n".join(_text_of(c) for c in contents if c.strip())
        location = f"entry {n}"
        if full.strip():
            body = full
        else:
            body = _text_of(entry.get("summary", "") or "")
            location += ", summary only"
        if not body.strip():
            yield req.failure(f"entry {n} has no content or summary", where=where, doc_id=doc_id)
            continue
        source = entry.get("source", {}).get("title") or outlet
        yield req.article(
            body,
            doc_id=str(doc_id),
            path=where,
            title=entry.get("title") or None,
            published=_date(entry),
            source=source,
            url=entry.get("link") or None,
            location=location,
        )


def read_feed(req: ReadRequest) -> Iterator[ReadItem]:
    yield from feed_articles(req, req.path.read_bytes())


register(
    Format(
        name="RSS/Atom feed",
        suffixes=(".rss", ".atom", ".xml"),
        library="feedparser",
        produces="each entry: its full content, else its summary (marked so); date, link, "
        "feed title",
        read=read_feed,
        ids="inside",
        sniff=lambda head: bool(_ROOT.match(head)),
    )
)
