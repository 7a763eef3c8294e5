"""How fast each format is read, beside how fast the same machine embeds: reading must never
be the bottleneck of an ingest.

    .venv/bin/python benchmarks/readers.py [--scale 1.0]

Writes its own inputs to a temporary folder (invented stories, tests/format_fixtures.py):
20 PDFs of 5+ pages, 50 Word files, 10 RSS feeds of 20 entries, 10 Factiva-style PDF exports of
10 articles, a WARC.gz of 1,000 responses and a 10,000-row CSV. For each it times the reading
path (reader + cleaning, `read_paths` and `build_article`) and prints pages or records per
second and articles per second; then it embeds the chunks of 200 of the same articles with the
ingest embedder (MiniLM, the default settings) and prints its articles per second, and each
format's rate as a multiple of it. The WARC and CSV are streamed: their peak Python memory
while read (tracemalloc) is printed beside the file's size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from format_fixtures import (
    factiva_text,
    stories,
    write_csv,
    write_docx,
    write_feed,
    write_pdf,
    write_warc,
)

from assistant.ingest import build_article, read_paths
from assistant.types import Article


def _read(path: Path) -> int:
    n = 0
    for raw in read_paths([path], max_file_mb=1000):
        if isinstance(build_article(raw), Article):  # type: ignore[arg-type]
            n += 1
    return n


def _inputs(root: Path, scale: float) -> dict[str, tuple[Path, int, str]]:
    """format -> (folder or file, units in it, unit name)."""
    out: dict[str, tuple[Path, int, str]] = {}

    def n(x: int) -> int:
        return max(1, int(x * scale))

    pool = stories(max(n(10_000), 300))
    pdf_dir = root / "pdf"
    pdf_dir.mkdir()
    pages = 0
    for i in range(n(20)):
        s = pool[i]
        text = "\n".join([s.title, ""] + [p for p in s.paragraphs for _ in range(4)])
        write_pdf(pdf_dir / f"{i}.pdf", text, lines_per_page=10)
        pages += _page_count(pdf_dir / f"{i}.pdf")
    out["PDF"] = (pdf_dir, pages, "pages")
    exp_dir = root / "exports"
    exp_dir.mkdir()
    pages = 0
    for i in range(n(10)):
        write_pdf(exp_dir / f"{i}.pdf", factiva_text(pool[i * 10 : i * 10 + 10]))
        pages += _page_count(exp_dir / f"{i}.pdf")
    out["PDF export (Factiva)"] = (exp_dir, pages, "pages")
    docx_dir = root / "docx"
    docx_dir.mkdir()
    for i in range(n(50)):
        write_docx(docx_dir / f"{i}.docx", pool[i].text, title=pool[i].title)
    out["Word"] = (docx_dir, n(50), "files")
    feed_dir = root / "feeds"
    feed_dir.mkdir()
    for i in range(n(10)):
        write_feed(feed_dir / f"{i}.rss", pool[i * 20 : i * 20 + 20])
    out["RSS"] = (feed_dir, n(10) * 20, "entries")
    out["WARC.gz"] = (
        write_warc(root / "crawl.warc.gz", pool[: n(1000)], extras=False),
        n(1000),
        "records",
    )
    out["CSV"] = (write_csv(root / "data.csv", pool[: n(10_000)]), n(10_000), "rows")
    return out


def _page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _embedding_rate(n_articles: int) -> tuple[float, int]:
    """Articles per second through chunking and the ingest embedder, and the chunk count."""
    from assistant.chunking import Chunker
    from assistant.config import Settings
    from assistant.embeddings import make_embedder

    arts = [build_article(raw) for raw in _raws(n_articles)]
    chunker = Chunker()
    embedder = make_embedder(Settings())
    embedder.embed(["warm up the model"])
    chunker.split_many(arts[:2])  # the splitter's imports are not embedding time
    t0 = time.perf_counter()
    texts = [c.text for chunks in chunker.split_many(arts) for c in chunks]  # type: ignore[arg-type]
    embedder.embed(texts)
    return n_articles / (time.perf_counter() - t0), len(texts)


def _raws(n: int) -> list:
    from assistant.ingest.readers import RawArticle

    return [
        RawArticle(doc_id=s.slug, text=s.text, origin="bench", path=s.slug, title=s.title)
        for s in stories(n)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="input sizes x this (default 1)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-readers-"))
    try:
        t0 = time.perf_counter()
        inputs = _inputs(root, args.scale)
        # One small file of each format first: the parsers' imports are not reading speed.
        warm = root / "warm"
        warm.mkdir()
        few = stories(3)
        write_pdf(warm / "a.pdf", few[0].text)
        write_docx(warm / "b.docx", few[0].text)
        write_feed(warm / "c.rss", few)
        write_warc(warm / "d.warc.gz", few)
        write_csv(warm / "e.csv", few)
        _read(warm)
        print(f"inputs written in {time.perf_counter() - t0:.1f}s under {root}")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, load average {load} (busy machines slow both)")
        rows = []
        for name, (path, units, unit) in inputs.items():
            t0 = time.perf_counter()
            n_articles = _read(path)
            secs = time.perf_counter() - t0
            rows.append((name, units, unit, n_articles, secs))
        emb_rate, n_chunks = _embedding_rate(200)
        print(
            f"\nembedding (MiniLM, default settings): {emb_rate:.1f} articles/s "
            f"({n_chunks} chunks of 200 articles)\n"
        )
        print(
            f"{'format':<22}{'units':>8} {'unit':<8}{'units/s':>10}{'articles/s':>12}{'x embed':>9}"
        )
        for name, units, unit, n_articles, secs in rows:
            print(
                f"{name:<22}{units:>8} {unit:<8}{units / secs:>10.0f}{n_articles / secs:>12.0f}"
                f"{n_articles / secs / emb_rate:>9.1f}"
            )
        print("\npeak Python memory while streaming (tracemalloc):")
        for name in ("WARC.gz", "CSV"):
            path = inputs[name][0]
            peak = _peak(lambda p=path: _read(p))
            print(
                f"  {name:<8} file {path.stat().st_size / 1e6:6.1f} MB, peak {peak / 1e6:6.1f} MB"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
