"""HTML pages (.html, .htm) through trafilatura, with BeautifulSoup for what it gives up on.

Also the HTML path of the formats that carry pages (web archives, feeds, e-mail, URLs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.decode import decode_file
from assistant.ingest.readers.registry import Format, register

__all__ = ["html_fields"]


def html_fields(html: str) -> dict[str, Any]:
    """text, title, published, source and url of a page (what the page itself states)."""
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


def read_html(req: ReadRequest) -> Iterator[ReadItem]:
    text = decode_file(req.path)
    if isinstance(text, ValueError):
        yield req.failure(str(text))
        return
    try:
        fields = html_fields(text)
    except Exception as exc:  # parsers raise many types on broken markup
        yield req.failure(f"cannot parse HTML: {exc}")
        return
    yield req.article(**fields)


register(
    Format(
        name="HTML",
        suffixes=(".html", ".htm"),
        library="trafilatura (BeautifulSoup fallback)",
        produces="the page's main text; title, date, site and URL from its metadata",
        read=read_html,
    )
)
