"""Fetching articles from URLs with httpx: polite, bounded, and safe to offer on a server.

Each URL is fetched with a clear user agent, after its site's robots.txt allows it, with
connect/read timeouts, a deadline for the whole download, a size cap and at most
`MAX_REDIRECTS` redirects, each hop checked again. The page goes through the HTML path; the
URL as given is the article's id, so fetching it again updates the article. With
`public_only` (what the web UI uses) a URL whose host resolves to a loopback, private,
link-local or otherwise non-public address is refused, at every redirect.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
import urllib.robotparser
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from assistant.ingest.readers.base import RawArticle, ReadItem
from assistant.ingest.readers.decode import charset_of
from assistant.ingest.readers.html import html_fields
from assistant.types import IngestFailure

__all__ = ["USER_AGENT", "FetchOptions", "fetch_urls", "read_url_list"]

logger = logging.getLogger(__name__)

USER_AGENT = "news-assistant/0.1 (research assistant; fetches pages its user listed)"
MAX_REDIRECTS = 5
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class FetchOptions:
    """Limits of one fetch. `public_only`: refuse hosts on loopback or private networks."""

    timeout: float = 15.0
    deadline: float = 60.0  # seconds for one URL in all: a body that drips forever ends
    max_bytes: int = 20_000_000
    public_only: bool = False
    user_agent: str = USER_AGENT
    # Hosts whose robots.txt was read this run (host -> parser).
    _robots: dict[str, urllib.robotparser.RobotFileParser] = field(
        default_factory=dict, compare=False, repr=False
    )


class _Refused(Exception):
    """A URL not fetched, with the user's words for why."""


def read_url_list(path: str | Path) -> tuple[list[str], list[IngestFailure]]:
    """The URLs of a file (one a line; blank lines and `#` comments skipped), and the lines
    that are no http(s) URL, as failures."""
    urls: list[str] = []
    failures: list[IngestFailure] = []
    text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        problem = _url_problem(line)
        if problem:
            failures.append(IngestFailure(path=f"{path}:{lineno}", reason=problem))
        else:
            urls.append(line)
    return urls, failures


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {url[:200]}"
    return None


def _check_public(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, a non-public address."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise _Refused(f"cannot resolve host {host!r}: {exc}") from None
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not addr.is_global or addr.is_multicast:
            raise _Refused(
                f"refused: {host} is a loopback, private or reserved address ({addr}); "
                "the web UI fetches public sites only"
            )


def _robots_allows(client: object, url: str, opts: FetchOptions) -> bool:
    import httpx

    assert isinstance(client, httpx.Client)
    parts = urlsplit(url)
    key = f"{parts.scheme}://{parts.netloc}"
    parser = opts._robots.get(key)
    if parser is None:
        parser = urllib.robotparser.RobotFileParser()
        try:
            # Followed only where any address may be fetched: on behalf of the UI a redirect
            # could lead to a private address unchecked (then it counts as no robots.txt).
            resp = client.get(f"{key}/robots.txt", follow_redirects=not opts.public_only)
        except httpx.HTTPError as exc:
            raise _Refused(f"cannot read {key}/robots.txt ({exc}); not fetched") from None
        if resp.status_code in (401, 403):  # what urllib.robotparser does with them
            parser.parse(["User-agent: *", "Disallow: /"])
        elif resp.status_code >= 500:
            raise _Refused(f"{key}/robots.txt answered {resp.status_code}; not fetched")
        elif resp.status_code >= 300:  # no robots.txt: everything allowed
            parser.parse([])
        else:
            parser.parse(resp.text[:500_000].splitlines())
        opts._robots[key] = parser
    return parser.can_fetch(opts.user_agent, url)


def _download(client: object, url: str, opts: FetchOptions) -> tuple[str, str, bytes]:
    """(final URL, content type, body), following at most MAX_REDIRECTS redirects."""
    import httpx

    assert isinstance(client, httpx.Client)
    started = time.monotonic()
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        if opts.public_only:
            _check_public(current)
        if not _robots_allows(client, current, opts):
            raise _Refused(f"robots.txt of {urlsplit(current).netloc} disallows {current}")
        with client.stream("GET", current) as resp:
            if resp.is_redirect:
                target = resp.headers.get("location")
                if not target:
                    raise _Refused(f"HTTP {resp.status_code} redirect without a Location")
                current = urljoin(current, target)
                problem = _url_problem(current)
                if problem:
                    raise _Refused(f"redirected to {problem}")
                continue
            if resp.status_code != 200:
                raise _Refused(f"HTTP {resp.status_code} {resp.reason_phrase}".strip())
            ctype = resp.headers.get("content-type", "")
            if ctype.split(";")[0].strip().lower() not in _HTML_TYPES:
                raise _Refused(f"not an HTML page (content type {ctype or 'none'})")
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > opts.max_bytes:
                raise _Refused(f"page is {int(declared) / 1e6:.1f} MB, over the size limit")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > opts.max_bytes:
                    raise _Refused(
                        f"page is over the {opts.max_bytes / 1e6:g} MB limit; not indexed"
                    )
                if time.monotonic() - started > opts.deadline:
                    raise _Refused(f"download took over {opts.deadline:.0f} s; not indexed")
            return current, ctype, bytes(body)
    raise _Refused(f"more than {MAX_REDIRECTS} redirects")


def fetch_urls(urls: Iterable[str], opts: FetchOptions | None = None) -> Iterator[ReadItem]:
    """The article of each URL, or why it could not be fetched (one failure per URL)."""
    import httpx

    opts = opts or FetchOptions()
    timeout = httpx.Timeout(opts.timeout, connect=min(opts.timeout, 10.0))
    with httpx.Client(
        timeout=timeout,
        headers={"User-Agent": opts.user_agent},
        follow_redirects=False,
        # No proxies or credentials from the environment: a fetch on a user's behalf goes
        # where the URL says, with nothing of ours attached.
        trust_env=False,
    ) as client:
        for url in urls:
            problem = _url_problem(url)
            if problem:
                yield IngestFailure(path=url, reason=problem)
                continue
            try:
                final, ctype, body = _download(client, url, opts)
                try:
                    page = body.decode(charset_of(ctype), errors="replace")
                except LookupError:  # an unknown charset name
                    page = body.decode("utf-8", errors="replace")
                fields = html_fields(page)
            except _Refused as exc:
                yield IngestFailure(path=url, reason=str(exc), doc_id=url)
                continue
            except httpx.TimeoutException:
                yield IngestFailure(
                    path=url,
                    reason=f"timed out (no answer within {opts.timeout:.0f} s)",
                    doc_id=url,
                )
                continue
            except httpx.HTTPError as exc:
                yield IngestFailure(path=url, reason=f"cannot fetch: {exc}", doc_id=url)
                continue
            except Exception as exc:  # the HTML parsers on broken markup
                yield IngestFailure(path=url, reason=f"cannot parse the page: {exc}", doc_id=url)
                continue
            yield RawArticle(
                doc_id=url,
                text=fields["text"],
                origin=url,
                path=url,
                title=fields["title"],
                published=fields["published"],
                source=fields["source"] or urlsplit(final).hostname,
                url=final,
                location=None,
            )
