"""Bad input for the format readers: each gets a clear per-file or per-item failure, never a
traceback, and the rest of the file or batch is still read. No model is loaded here; the
ingest-level checks (nothing lost, nothing duplicated) are in test_formats_ingest.py."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

from format_fixtures import (
    stories,
    write_csv,
    write_docx,
    write_mbox,
    write_pdf,
    write_scanned_pdf,
    write_warc,
)

from assistant.ingest.readers import RawArticle, read_paths
from assistant.types import IngestFailure

STORIES = stories(4)


def _read(*paths: Path, **kw: object) -> tuple[list[RawArticle], list[IngestFailure]]:
    items = list(read_paths(list(paths), **kw))  # type: ignore[arg-type]
    return (
        [i for i in items if isinstance(i, RawArticle)],
        [i for i in items if isinstance(i, IngestFailure)],
    )


def _only_failure(path: Path, **kw: object) -> IngestFailure:
    arts, fails = _read(path, **kw)
    assert not arts and len(fails) == 1, (arts, fails)
    return fails[0]


def test_encrypted_pdf(tmp_path: Path) -> None:
    f = _only_failure(write_pdf(tmp_path / "locked.pdf", STORIES[0].text, encrypt="s3cret"))
    assert "password-protected" in f.reason and f.doc_id == "locked.pdf"


def test_scanned_pdf_has_no_text_layer(tmp_path: Path) -> None:
    f = _only_failure(write_scanned_pdf(tmp_path / "scan.pdf"))
    assert "no text layer" in f.reason and "OCR is not supported" in f.reason


def test_truncated_and_corrupt_pdf(tmp_path: Path) -> None:
    good = write_pdf(tmp_path / "good.pdf", STORIES[0].text).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(good[: len(good) // 3])
    (tmp_path / "junk.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    for name in ("cut.pdf", "junk.pdf"):
        arts, fails = _read(tmp_path / name)
        # pdfium repairs what it can: either the text that survived, or a clear refusal.
        assert arts or ("PDF" in fails[0].reason), (name, fails)
        for f in fails:
            assert "Traceback" not in f.reason


def test_truncated_docx_and_a_docx_that_is_no_zip(tmp_path: Path) -> None:
    good = write_docx(tmp_path / "good.docx", STORIES[0].text).read_bytes()
    (tmp_path / "cut.docx").write_bytes(good[: len(good) // 2])
    (tmp_path / "text.docx").write_text("just words", encoding="utf-8")
    assert "corrupt or truncated" in _only_failure(tmp_path / "cut.docx").reason
    assert "Word document" in _only_failure(tmp_path / "text.docx").reason


def test_docx_zip_bomb_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b" " * 500_000_000)
    assert path.stat().st_size < 2_000_000
    f = _only_failure(path)
    assert "zip bomb" in f.reason and "inflate" in f.reason


def test_docx_external_entity_is_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    good = write_docx(tmp_path / "good.docx", "A harmless paragraph about the tide tables.")
    evil = tmp_path / "evil.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                decl, _, rest = data.partition(b"?>")
                data = (
                    decl
                    + b"?>"
                    + f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
                    + rest.replace(b"A harmless", b"&xxe; A harmless")
                )
            dst.writestr(item, data)
    arts, fails = _read(evil)
    text = " ".join(a.text for a in arts) + " ".join(f.reason for f in fails)
    assert "TOP-SECRET-CONTENT" not in text


def test_feed_with_entity_expansion_is_refused(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel><title>t</title>'
        "<item><title>&c;</title><description>&c;&c;&c;</description></item></channel></rss>"
    )
    (tmp_path / "laughs.rss").write_text(laughs, encoding="utf-8")
    f = _only_failure(tmp_path / "laughs.rss")
    assert "entit" in f.reason and f.doc_id is None


def test_not_a_feed(tmp_path: Path) -> None:
    (tmp_path / "config.xml").write_text("<settings><a>1</a></settings>", encoding="utf-8")
    assert "not an RSS or Atom feed" in _only_failure(tmp_path / "config.xml").reason


def test_truncated_warc_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    full = write_warc(tmp_path / "full.warc.gz", STORIES, extras=False).read_bytes()
    (tmp_path / "cut.warc.gz").write_bytes(full[: int(len(full) * 0.8)])
    arts, fails = _read(tmp_path / "cut.warc.gz")
    assert 1 <= len(arts) < len(STORIES)
    assert len(fails) == 1 and "truncated" in fails[0].reason


def test_warc_skips_and_counts_other_records(tmp_path: Path, caplog) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="assistant.ingest.readers.warc"):
        arts, fails = _read(write_warc(tmp_path / "c.warc", STORIES[:2]))
    assert len(arts) == 2 and not fails
    assert "records skipped" in caplog.text and "image/png" in caplog.text


def test_gzip_that_is_not_a_warc(tmp_path: Path) -> None:
    (tmp_path / "x.warc.gz").write_bytes(gzip.compress(b"hello there, not an archive"))
    f = _only_failure(tmp_path / "x.warc.gz")
    assert "web archive" in f.reason or "WARC" in f.reason


def test_csv_bad_rows_fail_alone(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", STORIES[:2])
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write("Ragged,row,with,too,many,cells,here\n")
        fh.write("A headline,,2024-01-01,https://x.example/,Outlet\n")
        fh.write(f'{STORIES[2].title},"{STORIES[2].paragraphs[0]}",2024-03-03,,\n')
    arts, fails = _read(path)
    assert [a.title for a in arts] == [STORIES[0].title, STORIES[1].title, STORIES[2].title]
    reasons = [f.reason for f in fails]
    assert any("has 7 cells, the header 5" in r for r in reasons), reasons
    assert any("row 4 has no text" in r for r in reasons), reasons


def test_csv_in_an_unknown_encoding_and_binary(tmp_path: Path) -> None:
    latin = "title,text\nCaf\xe9 reopens,The caf\xe9 on the quay reopened on Friday."
    (tmp_path / "latin.csv").write_bytes(latin.encode("latin-1"))
    arts, fails = _read(tmp_path / "latin.csv")
    assert not fails and arts[0].title == "Café reopens"
    (tmp_path / "bin.csv").write_bytes(bytes(range(256)) * 10)
    assert "binary" in _only_failure(tmp_path / "bin.csv").reason


def test_csv_with_a_huge_cell_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("title,text\nFirst,The first row is an ordinary article about the tides.\n")
        fh.write("Second,")
        chunk = "x" * 1_000_000
        for _ in range(12):  # a 12 MB cell: past the line cap, refused without holding it all
            fh.write(chunk)
        fh.write("\nThird,Never reached.\n")
    arts, fails = _read(path)
    assert [a.title for a in arts] == ["First"]
    assert len(fails) == 1 and "characters" in fails[0].reason


def test_mbox_with_broken_mime(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "m.mbox", STORIES[:2])
    with path.open("ab") as fh:
        fh.write(
            b"From broken@example.org Mon Jan  1 00:00:00 2024\n"
            b"Subject: broken\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/alternative; boundary="never-closed"\n\n'
            b"no boundary ever appears here\n\n"
        )
    arts, fails = _read(path)
    assert [a.title for a in arts] == [STORIES[0].title, STORIES[1].title]
    assert len(fails) == 1 and "message 3" in fails[0].reason


def test_one_bad_file_never_stops_the_batch(tmp_path: Path) -> None:
    write_pdf(tmp_path / "a-locked.pdf", STORIES[0].text, encrypt="pw")
    (tmp_path / "b-cut.docx").write_bytes(b"PK\x03\x04 not really")
    write_csv(tmp_path / "c.csv", STORIES[:2])
    (tmp_path / "d.warc").write_bytes(b"WARC/1.0\r\nWARC-Type: nonsense")
    arts, fails = _read(tmp_path)
    assert [a.title for a in arts] == [STORIES[0].title, STORIES[1].title]
    assert {Path(f.path).name.split("#")[0] for f in fails} >= {"a-locked.pdf", "b-cut.docx"}
