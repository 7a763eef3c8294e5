"""Multi-article exports (Factiva and Nexis Uni layouts) split into their articles, in PDF,
Word, RTF and text form, each with its own title, date and source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from format_fixtures import (
    factiva_text,
    nexis_text,
    stories,
    write_docx,
    write_pdf,
    write_rtf,
)

from assistant.ingest import build_article
from assistant.ingest.readers import RawArticle, read_paths
from assistant.types import Article, IngestFailure

THIRTY = stories(30)


def _write_txt(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


WRITERS: dict[str, Callable[[Path, str], Path]] = {
    "pdf": lambda p, t: write_pdf(p, t),
    "docx": lambda p, t: write_docx(p, t),
    "rtf": write_rtf,
    "txt": _write_txt,
}


@pytest.mark.parametrize("layout", ["factiva", "nexis"])
@pytest.mark.parametrize("form", sorted(WRITERS))
def test_thirty_article_export_becomes_thirty_articles(
    tmp_path: Path, layout: str, form: str
) -> None:
    text = (factiva_text if layout == "factiva" else nexis_text)(THIRTY)
    path = WRITERS[form](tmp_path / f"export.{form}", text)
    items = list(read_paths([path]))
    fails = [i for i in items if isinstance(i, IngestFailure)]
    assert not fails, fails
    raws = [i for i in items if isinstance(i, RawArticle)]
    assert len(raws) == 30
    arts = [build_article(r) for r in raws]
    assert all(isinstance(a, Article) for a in arts), arts
    for n, (art, story) in enumerate(zip(arts, THIRTY, strict=True), start=1):
        assert isinstance(art, Article)
        assert art.doc_id == f"export.{form}#{n}"
        assert art.title == story.title
        assert art.published == story.published
        assert art.source == story.source
        flat = " ".join(art.text.split())
        assert story.paragraphs[0] in flat and story.paragraphs[2] in flat
        # Nothing of the next article, nor of the export's furniture, leaks in.
        assert "End of Document" not in flat and "Load-Date" not in flat
        assert f"Document {'HRBG' if n % 3 == 1 else 'NRTL'}" not in flat
        if n < 30:
            assert THIRTY[n].title not in flat
        assert art.location.startswith(f"export.{form}, article {n} of 30")
        if form == "pdf":
            assert ", page" in art.location


def test_pdf_export_page_ranges_follow_the_articles(tmp_path: Path) -> None:
    import re

    import pypdfium2 as pdfium

    four = THIRTY[:4]
    path = write_pdf(tmp_path / "x.pdf", factiva_text(four), lines_per_page=12)
    pdf = pdfium.PdfDocument(str(path))
    pages = [" ".join(pdf[i].get_textpage().get_text_bounded().split()) for i in range(len(pdf))]
    pdf.close()
    raws = [i for i in read_paths([path]) if isinstance(i, RawArticle)]
    assert len(raws) == 4
    for n, (raw, story) in enumerate(zip(raws, four, strict=True), start=1):
        m = re.fullmatch(
            rf"x\.pdf, article {n} of 4, pages? (\d+)(?:-(\d+))?, document (\w+)",
            raw.location or "",
        )
        assert m, raw.location
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        # The headline is on the first page named, the document id on the last.
        assert story.title in pages[first - 1]
        assert f"Document {m.group(3)}" in pages[last - 1]
        assert first < last  # 12 lines a page: every article here spans pages


def test_text_without_a_layout_stays_one_article(tmp_path: Path) -> None:
    text = "Document review\n\n" + THIRTY[0].text + "\n\nEnd of the council's document."
    items = list(read_paths([_write_txt(tmp_path / "plain.txt", text)]))
    assert len(items) == 1 and isinstance(items[0], RawArticle)
    assert items[0].doc_id == "plain.txt" and items[0].location is None


def test_docx_core_properties_do_not_override_each_articles_own(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "e.docx", nexis_text(THIRTY[:3]), title="Export", created=dt.datetime(2025, 1, 1)
    )
    arts = [build_article(r) for r in read_paths([path]) if isinstance(r, RawArticle)]
    assert [a.published for a in arts if isinstance(a, Article)] == [
        s.published for s in THIRTY[:3]
    ]


def test_end_markers_at_the_foot_of_pages_are_not_taken_for_running_footers(
    tmp_path: Path,
) -> None:
    # Two pages, each ending with an article's "Document NRTL…" line: alike, at the same
    # edge of every page, and still the export's structure.
    three = stories(3, start=dt.date(2031, 5, 1))
    path = write_pdf(tmp_path / "two-pages.pdf", factiva_text(three))
    raws = [i for i in read_paths([path]) if isinstance(i, RawArticle)]
    assert [r.title for r in raws] == [s.title for s in three]
