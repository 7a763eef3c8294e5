"""The format readers (PDF, Word, RTF, feeds, web archives, CSV/TSV, e-mail) and the
registry that picks them: articles with their metadata and origin, read without a model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from format_fixtures import (
    stories,
    write_csv,
    write_docx,
    write_eml,
    write_feed,
    write_mbox,
    write_pdf,
    write_rtf,
    write_warc,
)

from assistant.ingest import build_article
from assistant.ingest.readers import (
    SUPPORTED_SUFFIXES,
    RawArticle,
    format_for,
    formats,
    read_paths,
)
from assistant.types import Article, IngestFailure

STORIES = stories(6)


def _read(path: Path, **kw: object) -> tuple[list[RawArticle], list[IngestFailure]]:
    items = list(read_paths([path], **kw))  # type: ignore[arg-type]
    arts = [i for i in items if isinstance(i, RawArticle)]
    fails = [i for i in items if isinstance(i, IngestFailure)]
    return arts, fails


def _built(raw: RawArticle) -> Article:
    art = build_article(raw)
    assert isinstance(art, Article), art
    return art


# --------------------------------------------------------------------------- registry


def test_every_format_is_listed_with_its_library() -> None:
    names = {f.name for f in formats()}
    assert {"PDF", "Word", "RTF", "RSS/Atom feed", "Web archive (WARC)", "CSV/TSV"} <= names
    assert {"E-mail", "Mailbox", "Plain text", "Markdown", "HTML", "JSON Lines"} <= names
    for fmt in formats():
        assert fmt.library and fmt.produces and fmt.suffixes
    for suffix in (".pdf", ".docx", ".rtf", ".rss", ".atom", ".warc", ".warc.gz", ".csv"):
        assert suffix in SUPPORTED_SUFFIXES
    for suffix in (".tsv", ".eml", ".mbox", ".txt", ".md", ".html", ".jsonl"):
        assert suffix in SUPPORTED_SUFFIXES


def test_content_beats_a_lying_suffix(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "really-a-pdf.txt", STORIES[0].text)
    fmt = format_for(pdf, pdf.read_bytes()[:4096])
    assert fmt is not None and fmt.name == "PDF"
    arts, fails = _read(pdf)
    assert not fails and "cost of 120,000 pounds" in " ".join(arts[0].text.split())
    # A feed saved as .xml, and a gzipped WARC with no suffix at all.
    feed = write_feed(tmp_path / "news.xml", STORIES[:2])
    assert format_for(feed, feed.read_bytes()[:4096]).name == "RSS/Atom feed"  # type: ignore[union-attr]
    warc = write_warc(tmp_path / "crawl.warc.gz", STORIES[:1])
    plain = warc.rename(tmp_path / "crawl-data")
    arts, fails = _read(plain)
    assert [a.url for a in arts] == [STORIES[0].url] and not fails


# --------------------------------------------------------------------------- PDF


def test_pdf_pages_without_running_headers_and_page_numbers(tmp_path: Path) -> None:
    s = STORIES[1]
    long_text = "\n".join([s.title, ""] + [p for p in s.paragraphs for _ in range(8)])
    pdf = write_pdf(tmp_path / "story.pdf", long_text, lines_per_page=14)
    arts, fails = _read(pdf)
    assert not fails and len(arts) == 1
    art = arts[0]
    assert "Harbour Gazette Archive" not in art.text
    assert "Page 1 of" not in art.text and "Page 2 of" not in art.text
    # The page's line breaks are gone: sentences are whole again, paragraphs kept apart.
    assert s.paragraphs[0] in art.text
    assert len([ln for ln in art.text.splitlines() if ln.strip()]) >= 12  # not one blob
    assert art.location and art.location.startswith("story.pdf, pages 1-")
    assert art.doc_id == "story.pdf"


def test_pdf_keeps_a_line_that_only_repeats_in_the_body(tmp_path: Path) -> None:
    text = "\n".join(["A short note", "", "Council minutes follow.", "The vote was 7 to 2."])
    arts, fails = _read(write_pdf(tmp_path / "one.pdf", text))
    assert not fails and "The vote was 7 to 2." in arts[0].text


# --------------------------------------------------------------------------- Word, RTF


def test_docx_paragraphs_title_and_date_from_core_properties(tmp_path: Path) -> None:
    s = STORIES[2]
    path = write_docx(
        tmp_path / "story.docx",
        s.text,
        title=s.title,
        created=dt.datetime(2024, 3, 3, 9, 30),
        heading=s.title,
    )
    arts, fails = _read(path)
    assert not fails and len(arts) == 1
    art = _built(arts[0])
    assert art.title == s.title
    assert art.published == dt.date(2024, 3, 3)
    assert s.paragraphs[1] in art.text


def test_docx_without_a_date_gets_none(tmp_path: Path) -> None:
    arts, _ = _read(write_docx(tmp_path / "plain.docx", STORIES[3].text))
    assert arts[0].published is None  # python-docx's template date is not the article's


def test_rtf_text(tmp_path: Path) -> None:
    s = STORIES[3]
    arts, fails = _read(write_rtf(tmp_path / "story.rtf", s.title + "\n" + s.text))
    assert not fails and s.paragraphs[2] in arts[0].text and "\\par" not in arts[0].text


# --------------------------------------------------------------------------- feeds


@pytest.mark.parametrize("atom", [False, True])
def test_feed_one_article_per_entry(tmp_path: Path, atom: bool) -> None:
    path = write_feed(tmp_path / ("f.atom" if atom else "f.rss"), STORIES[:3], atom=atom)
    arts, fails = _read(path)
    assert not fails and len(arts) == 3
    for art, s in zip(arts, STORIES[:3], strict=True):
        assert art.title == s.title
        assert art.published == s.published.isoformat()
        assert art.url == s.url
        assert s.paragraphs[2] in art.text  # the full content, not the summary
        assert "summary" not in (art.location or "")
    assert arts[0].source in ("The Harbour Gazette", "Coastline Daily")
    assert arts[1].location == f"{path.name}, entry 2"


def test_feed_summary_only_is_marked(tmp_path: Path) -> None:
    arts, _ = _read(write_feed(tmp_path / "s.rss", STORIES[:2], full=False))
    assert arts[0].text.strip() == STORIES[0].paragraphs[0]
    assert arts[0].location == "s.rss, entry 1, summary only"


# --------------------------------------------------------------------------- WARC


def test_warc_repeated_captures_are_one_article(tmp_path: Path) -> None:
    path = write_warc(tmp_path / "twice.warc", [STORIES[0], STORIES[1], STORIES[0]])
    arts, fails = _read(path)
    assert [a.doc_id for a in arts] == [STORIES[0].url, STORIES[1].url] and not fails


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_html_responses_become_articles(tmp_path: Path, name: str) -> None:
    path = write_warc(tmp_path / name, STORIES[:3])
    arts, fails = _read(path)
    assert not fails
    assert [a.doc_id for a in arts] == [s.url for s in STORIES[:3]]  # the URL is the id
    art = _built(arts[1])
    assert art.title == STORIES[1].title and art.published == STORIES[1].published
    assert STORIES[1].paragraphs[0] in art.text and "Home | World" not in art.text
    assert arts[0].location and arts[0].location.startswith(f"{name}, record ")


# --------------------------------------------------------------------------- CSV/TSV


def test_csv_columns_by_common_names(tmp_path: Path) -> None:
    arts, fails = _read(write_csv(tmp_path / "data.csv", STORIES))
    assert not fails and len(arts) == len(STORIES)
    assert arts[4].title == STORIES[4].title and arts[4].url == STORIES[4].url
    assert arts[4].published == STORIES[4].published.isoformat()
    assert arts[4].doc_id == "data.csv#5" and arts[4].location == "data.csv, row 5"


def test_tsv_with_explicit_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "data.tsv", STORIES[:2], delimiter="\t", headers=("H", "B", "D", "L", "P")
    )
    arts, fails = _read(path)
    assert (
        len(fails) == 1 and "no text column" in fails[0].reason and "--columns" in fails[0].reason
    )
    arts, fails = _read(path, columns={"text": "B", "title": "H", "published": "D"})
    assert not fails and [a.title for a in arts] == [s.title for s in STORIES[:2]]


# --------------------------------------------------------------------------- e-mail


def test_eml_subject_date_and_sender(tmp_path: Path) -> None:
    s = STORIES[0]
    arts, fails = _read(write_eml(tmp_path / "letter.eml", s))
    assert not fails
    art = _built(arts[0])
    assert art.title == s.title and art.published == s.published
    assert art.source == s.source and s.paragraphs[1] in art.text


def test_mbox_one_article_per_message(tmp_path: Path) -> None:
    arts, fails = _read(write_mbox(tmp_path / "news.mbox", STORIES[:4]))
    assert not fails and [a.title for a in arts] == [s.title for s in STORIES[:4]]
    assert all(a.doc_id.endswith("@news.example.org") for a in arts)  # the Message-ID
    assert arts[3].location == "news.mbox, message 4"
    for art, s in zip(arts, STORIES[:4], strict=True):
        assert s.paragraphs[2] in art.text
