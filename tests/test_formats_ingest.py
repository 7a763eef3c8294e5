"""Every format through `Assistant.ingest` and the CLI: indexed, searchable, cited with a
verbatim quote, its origin listed; a batch with bad files indexes the rest, and re-ingesting
after a failure or re-fetching a URL never duplicates an article."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from format_fixtures import (
    Story,
    factiva_text,
    stories,
    story_html,
    write_csv,
    write_docx,
    write_eml,
    write_feed,
    write_mbox,
    write_pdf,
    write_rtf,
    write_warc,
)

from assistant.cli import main

ALL = stories(22)
# Which stories each file holds.
LAYOUT: dict[str, list[Story]] = {
    "report.pdf": ALL[0:1],
    "note.docx": ALL[1:2],
    "memo.rtf": ALL[2:3],
    "gazette.rss": ALL[3:6],
    "crawl.warc.gz": ALL[6:9],
    "table.csv": ALL[9:12],
    "letters.mbox": ALL[12:14],
    "single.eml": ALL[14:15],
    "factiva.pdf": ALL[15:19],
    "nexis-export.txt": ALL[19:22],
}


def _dated(story: Story) -> str:
    """The story as a one-article document states it: headline, date line, text."""
    day = story.published
    return f"{story.title}\n{day:%B} {day.day}, {day.year}\n\n{story.text}"


def _write_all(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    # Several pages, so the running header is recognised and removed.
    write_pdf(root / "report.pdf", _dated(ALL[0]), lines_per_page=5)
    write_docx(
        root / "note.docx",
        ALL[1].text,
        title=ALL[1].title,
        created=dt.datetime.combine(ALL[1].published, dt.time(9)),
    )
    write_rtf(root / "memo.rtf", _dated(ALL[2]))
    write_feed(root / "gazette.rss", LAYOUT["gazette.rss"])
    write_warc(root / "crawl.warc.gz", LAYOUT["crawl.warc.gz"])
    write_csv(root / "table.csv", LAYOUT["table.csv"])
    write_mbox(root / "letters.mbox", LAYOUT["letters.mbox"])
    write_eml(root / "single.eml", ALL[14])
    write_pdf(root / "factiva.pdf", factiva_text(LAYOUT["factiva.pdf"]))
    from format_fixtures import nexis_text

    (root / "nexis-export.txt").write_text(nexis_text(LAYOUT["nexis-export.txt"]), "utf-8")
    return root


@pytest.fixture(scope="module")
def every_format(tmp_path_factory: pytest.TempPathFactory, embedder):
    from assistant import Assistant

    root = _write_all(tmp_path_factory.mktemp("formats") / "archive")
    a = Assistant(
        store=tmp_path_factory.mktemp("formats-store"), embedder=embedder, answerer="extractive"
    )
    report = a.ingest([root])
    return a, root, report


def test_every_format_is_indexed(every_format) -> None:
    a, _, report = every_format
    assert report.ok, report.failures
    assert report.added == len(ALL)
    infos = a.articles()
    assert sorted(i.title for i in infos) == sorted(s.title for s in ALL)
    by_title = {i.title: i for i in infos}
    for story in ALL:
        info = by_title[story.title]
        assert info.published == story.published, story.title
    assert by_title[ALL[16].title].where.startswith("factiva.pdf, article 2 of 4, page")
    assert by_title[ALL[4].title].where == "gazette.rss, entry 2"
    assert by_title[ALL[10].title].where == "table.csv, row 2"


@pytest.mark.parametrize("index", [0, 1, 2, 4, 7, 10, 13, 14, 17, 20])
def test_each_format_answers_with_a_verbatim_quote_of_its_article(every_format, index) -> None:
    a, _, _ = every_format
    story = ALL[index]
    town = story.title.split(" council")[0]
    thing = story.title.rsplit("new ", 1)[1]
    answer = a.ask(f"How much will the new {thing} in {town} cost?")
    assert answer.citations, answer.text
    cited = {c.doc_id for c in answer.citations}
    expected = next(i.doc_id for i in a.articles() if i.title == story.title)
    assert expected in cited, (story.title, cited)
    arts = a.get_articles(sorted(cited))
    for c in answer.citations:
        assert arts[c.doc_id].text[c.start : c.end] == c.quote


def test_reingest_is_unchanged_and_cli_lists_origins(every_format, cli_model, capsys) -> None:
    a, root, _ = every_format
    status = main(["ingest", str(root), "--store", str(a.settings.store), "--list"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"0 added, 0 updated, {len(ALL)} unchanged" in out
    assert "from factiva.pdf, article 3 of 4, page" in out
    assert "from crawl.warc.gz, record " in out
    assert f"from {root / 'note.docx'}" in out


def test_bad_batch_indexes_the_rest_and_a_fixed_file_never_duplicates(
    tmp_path: Path, make_assistant
) -> None:
    root = tmp_path / "batch"
    root.mkdir()
    good = stories(3, start=dt.date(2023, 1, 1))
    write_feed(root / "ok.rss", good[:2])
    write_pdf(root / "locked.pdf", good[2].text, encrypt="pw")
    (root / "cut.docx").write_bytes(b"PK\x03\x04broken")
    a = make_assistant(answerer="extractive")
    report = a.ingest([root])
    assert report.added == 2 and report.failed == 2
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    assert "password-protected" in reasons["locked.pdf"]
    assert "corrupt or truncated" in reasons["cut.docx"]
    # The user fixes both files: each article is added once; the feed is unchanged.
    write_pdf(root / "locked.pdf", good[2].title + "\n\n" + good[2].text)
    write_docx(root / "cut.docx", "A fixed document about the quay lights being repaired.")
    report = a.ingest([root], prune=True)
    assert report.ok and report.added == 2 and report.unchanged == 2
    assert len(a.articles()) == 4
    assert len(a.ingest([root], prune=True).failures) == 0 and len(a.articles()) == 4


# --------------------------------------------------------------------------- URLs


class _Pages(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    version = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            body, status = b"", 404
        elif self.path.startswith("/news/"):
            story = ALL[int(self.path.rsplit("/", 1)[1])]
            html = story_html(story)
            if _Pages.version:  # the page was corrected since the last fetch
                html = html.replace(
                    "</article>", "<p>Correction: the vote was unanimous.</p></article>"
                )
            body, status = html.encode(), 200
        else:
            body, status = b"gone", 404
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def pages() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        _Pages.version = 0


def test_ingest_urls_updates_instead_of_duplicating(pages: str, make_assistant, tmp_path) -> None:
    a = make_assistant(answerer="extractive")
    urls = [f"{pages}/news/0", f"{pages}/news/1", f"{pages}/gone"]
    report = a.ingest_urls(urls)
    assert report.added == 2 and report.failed == 1
    assert "HTTP 404" in report.failures[0].reason
    assert {i.doc_id for i in a.articles()} == set(urls[:2])
    assert a.ingest_urls(urls[:2]).unchanged == 2
    _Pages.version = 1
    again = a.ingest_urls(urls[:2])
    assert again.updated == 2 and again.added == 0 and len(a.articles()) == 2
    answer = a.ask(
        f"How much will the new {ALL[1].title.rsplit('new ', 1)[1]} in "
        f"{ALL[1].title.split(' council')[0]} cost?"
    )
    assert f"{pages}/news/1" in {c.doc_id for c in answer.citations}


def test_cli_urls(pages: str, tmp_path: Path, cli_model, capsys) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{pages}/news/2\nnot-a-url\n", encoding="utf-8")
    status = main(["ingest", "--urls", str(listing), "--store", str(tmp_path / "s"), "--list"])
    out = capsys.readouterr().out
    assert status == 1
    assert "1 added" in out and f"failed {listing}:2: not an http(s) URL" in out
    assert f"from {pages}/news/2" in out


def test_formats_command_lists_formats_and_libraries(capsys) -> None:
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for words in ("PDF", "pypdfium2", "python-docx", "feedparser", "warcio", "striprtf", "httpx"):
        assert words in out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["ingest"], "nothing to ingest: give files or folders, or --urls FILE"),
        (["ingest", "x.csv", "--columns", "body"], "'body' is not FIELD=COLUMN"),
        (["ingest", "x.csv", "--columns", "summary=Lede"], "unknown field 'summary'"),
        (["ingest", "--urls", "/nonexistent/urls.txt"], "--urls /nonexistent/urls.txt: cannot"),
    ],
)
def test_cli_ingest_options_fail_clearly(argv: list[str], words: str, tmp_path, capsys) -> None:
    assert main([*argv, "--store", str(tmp_path / "s")]) == 2
    assert words in capsys.readouterr().err


def test_cli_columns_map_a_csv(tmp_path: Path, cli_model, capsys) -> None:
    path = write_csv(tmp_path / "d.csv", ALL[:2], headers=("Head", "Copy", "Day", "Web", "Pub"))
    store = str(tmp_path / "s")
    argv = ["ingest", str(path), "--store", store, "--columns", "text=Copy,title=Head"]
    assert main([*argv, "--list"]) == 0
    out = capsys.readouterr().out
    assert "2 added" in out and ALL[1].title in out and "from d.csv, row 2" in out
