"""Fetching URLs (`assistant.ingest.urls`) against a loopback HTTP server: pages become
articles, and every misbehaving server or refused address is one clear failure."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from format_fixtures import stories, story_html

from assistant.ingest.readers import RawArticle
from assistant.ingest.urls import USER_AGENT, FetchOptions, fetch_urls, read_url_list
from assistant.types import IngestFailure

STORY = stories(2)
SEEN_AGENTS: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet test output
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        SEEN_AGENTS.append(self.headers.get("User-Agent", ""))
        path = self.path
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path.startswith("/story/"):
            n = int(path.rsplit("/", 1)[1])
            self._send(200, story_html(STORY[n]).encode())
        elif path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/story/1")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", f"/loop{len(path)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/slow":
            time.sleep(3)
            self._send(200, b"<p>late</p>")
        elif path == "/server-error":
            self._send(500, b"oops")
        elif path == "/file.pdf":
            self._send(200, b"%PDF-1.4 not really", "application/pdf")
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # no length: the body goes on until the client stops reading
            try:
                for _ in range(10_000):
                    self.wfile.write(b"<p>" + b"more " * 2000 + b"</p>")
            except OSError:
                pass
        elif path.startswith("/private/"):
            self._send(200, story_html(STORY[0]).encode())
        else:
            self._send(404, b"not here")


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hung up on the endless body, as it should


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


OPTS = FetchOptions(timeout=1.0, deadline=5.0, max_bytes=300_000)


def _fetch(*urls: str) -> list[RawArticle | IngestFailure]:
    return list(fetch_urls(list(urls), OPTS))


def test_page_becomes_an_article_with_the_url_as_id(site: str) -> None:
    [art] = _fetch(f"{site}/story/0")
    assert isinstance(art, RawArticle)
    assert art.doc_id == f"{site}/story/0" and art.url == f"{site}/story/0"
    assert art.title == STORY[0].title and STORY[0].paragraphs[1] in art.text
    assert USER_AGENT in SEEN_AGENTS


def test_redirect_is_followed_and_the_requested_url_stays_the_id(site: str) -> None:
    [art] = _fetch(f"{site}/moved")
    assert isinstance(art, RawArticle)
    assert art.doc_id == f"{site}/moved" and art.url == f"{site}/story/1"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/loop", "more than 5 redirects"),
        ("/missing", "HTTP 404"),
        ("/server-error", "HTTP 500"),
        ("/file.pdf", "not an HTML page"),
        ("/endless", "over the 0.3 MB limit"),
        ("/slow", "timed out"),
        ("/private/page", "robots.txt"),
    ],
)
def test_misbehaving_servers_fail_clearly(site: str, path: str, words: str) -> None:
    [item] = _fetch(f"{site}{path}")
    assert isinstance(item, IngestFailure), item
    assert words in item.reason and item.path == f"{site}{path}"


def test_loopback_refused_when_fetching_for_the_ui(site: str) -> None:
    opts = FetchOptions(timeout=1.0, public_only=True)
    [item] = list(fetch_urls([f"{site}/story/0", "http://10.1.2.3/x"], opts))[:1]
    assert isinstance(item, IngestFailure) and "loopback, private or reserved" in item.reason
    items = list(fetch_urls(["http://10.1.2.3/x", "http://[::1]:9/x"], opts))
    assert all(isinstance(i, IngestFailure) and "private" in i.reason for i in items)


def test_url_list_file(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text("# reading list\nhttps://a.example/x\n\nftp://b.example/y\nnot a url\n")
    urls, bad = read_url_list(path)
    assert urls == ["https://a.example/x"]
    assert [b.path for b in bad] == [f"{path}:4", f"{path}:5"]
    assert all("http(s) URL" in b.reason for b in bad)
