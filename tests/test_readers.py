"""Reading files and folders: formats, doc ids, encodings and per-file failures.

All article text here is invented for these tests (fictional towns and events).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from assistant.ingest.readers import SUPPORTED_SUFFIXES, RawArticle, read_paths
from assistant.types import IngestFailure

INGEST = Path(__file__).resolve().parent / "fixtures" / "ingest"

BODY = (
    "The Saltmere ferry resumed its crossings on Tuesday after a week of gales kept it in "
    "harbour, and the first boat left ten minutes early."
)


def _split(items: list[RawArticle | IngestFailure]) -> tuple[list[RawArticle], list[IngestFailure]]:
    arts = [i for i in items if isinstance(i, RawArticle)]
    fails = [i for i in items if isinstance(i, IngestFailure)]
    assert len(arts) + len(fails) == len(items)
    return arts, fails


def _read(*paths: str | os.PathLike[str], **kw: float) -> list[RawArticle | IngestFailure]:
    return list(read_paths(list(paths), **kw))


def _one_article(path: Path) -> RawArticle:
    items = _read(path)
    assert len(items) == 1, items
    assert isinstance(items[0], RawArticle), items[0]
    return items[0]


def _one_failure(path: Path, **kw: float) -> IngestFailure:
    items = _read(path, **kw)
    assert len(items) == 1, items
    assert isinstance(items[0], IngestFailure), items[0]
    return items[0]


# --------------------------------------------------------------------------- fixture folder


@pytest.fixture(scope="module")
def fixture_items() -> list[RawArticle | IngestFailure]:
    return _read(INGEST)


def test_fixture_folder_doc_ids_and_origin(fixture_items: list) -> None:
    arts, _ = _split(fixture_items)
    ids = [a.doc_id for a in arts]
    assert ids == [
        "ferry_strike.txt",
        "market_hall.html",
        "orchard_frost.md",
        "wire-001",
        "wire-002",
        "wire-006",
    ]
    assert {a.origin for a in arts} == {str(INGEST.resolve())}


def test_fixture_folder_jsonl_failures_name_file_and_line(fixture_items: list) -> None:
    _, fails = _split(fixture_items)
    by_line = {f.path.rsplit(":", 1)[1]: f for f in fails}
    assert sorted(by_line) == ["3", "4", "5"]
    for f in fails:
        assert f.path.rsplit(":", 1)[0].endswith("wire.jsonl")
    assert "malformed JSON" in by_line["3"].reason
    assert "missing 'id'" in by_line["4"].reason
    assert "no 'text'" in by_line["5"].reason
    assert by_line["5"].doc_id == "wire-005"  # the id was known, so it is kept
    assert by_line["3"].doc_id is None


def test_jsonl_metadata_is_carried(fixture_items: list) -> None:
    arts, _ = _split(fixture_items)
    first = next(a for a in arts if a.doc_id == "wire-001")
    assert first.title == "Tram line to Ostbury opens"
    assert first.url == "https://example.invalid/wire-001"
    assert first.published == "2025-03-17"
    assert first.source == "Fictional Wire"
    assert first.text.startswith("The new tram line to Ostbury")
    assert first.path.endswith("wire.jsonl:1")
    second = next(a for a in arts if a.doc_id == "wire-002")
    assert (second.title, second.url, second.published, second.source) == (None,) * 4
    # Line numbers count blank lines, so the last record is on line 7.
    assert next(a for a in arts if a.doc_id == "wire-006").path.endswith("wire.jsonl:7")


def test_txt_is_returned_uncleaned(fixture_items: list) -> None:
    arts, _ = _split(fixture_items)
    txt = next(a for a in arts if a.doc_id == "ferry_strike.txt")
    assert txt.title is None
    assert txt.text.startswith("Skip to main content\n")  # cleaning is not the reader's job
    assert "Netflix said it lost 200,000 subscribers" in txt.text


def test_html_keeps_article_and_drops_page_furniture(fixture_items: list) -> None:
    arts, _ = _split(fixture_items)
    page = next(a for a in arts if a.doc_id == "market_hall.html")
    assert page.title == "Dunmarrow market hall reopens after fire"
    assert "reopened to shoppers on Saturday" in page.text
    assert "queues for the cheese and fish stalls" in page.text
    assert "Restoration cost about 3.2 million" in page.text
    for junk in (
        "XYZZY-TRACKER",  # <script> in <head>
        "SCRIPT-TRACKING-CALL",  # <script> in <body>
        "display: block",  # <style>
        "NAVIGATION-MENU-ITEM",  # <nav>
        "Quiltmart",  # ad <div> and sponsored <aside>
        "FOOTER-LEGAL-TEXT",  # <footer>
        "<p>",
    ):
        assert junk not in page.text


def test_html_does_not_invent_a_publication_date(fixture_items: list) -> None:
    # The page states no date at all; only its footer says "Copyright 2025". A year in a
    # copyright notice is not a publication date, so nothing may be reported.
    arts, _ = _split(fixture_items)
    page = next(a for a in arts if a.doc_id == "market_hall.html")
    assert page.published is None


def test_html_stated_date_is_read(write_files) -> None:
    html = (
        "<html><head><title>Bridge reopens</title>"
        '<meta property="article:published_time" content="2025-06-14T09:30:00Z"></head>'
        "<body><article><h1>Kelby bridge reopens</h1>"
        f"<p>{BODY}</p><p>{BODY.replace('Saltmere', 'Kelby')}</p></article></body></html>"
    )
    root = write_files({"bridge.html": html})
    art = _one_article(root / "bridge.html")
    assert art.published is not None and art.published.startswith("2025-06-14")
    assert "Saltmere ferry resumed" in art.text


def test_html_fragment_falls_back_to_visible_text(write_files) -> None:
    html = (
        "<nav>Home | World | NAVLINK</nav><script>var TRACKME = 1;</script>"
        "<h1>Ormsby library extends hours</h1><p>Open late on Thursdays.</p>"
    )
    root = write_files({"frag.htm": html})
    art = _one_article(root / "frag.htm")
    assert "Open late on Thursdays." in art.text
    assert "TRACKME" not in art.text
    assert "NAVLINK" not in art.text


def test_markdown_title_and_markup_stripped(fixture_items: list) -> None:
    arts, _ = _split(fixture_items)
    md = next(a for a in arts if a.doc_id == "orchard_frost.md")
    assert md.title == "Late frost hits Ambleford orchards"
    assert md.text.startswith("Late frost hits Ambleford orchards")
    assert "Growers in Ambleford said" in md.text  # **bold** unwrapped
    assert "pointed readers to its website for updates" in md.text  # link keeps its words
    assert "What happens next" in md.text  # sub-heading kept, marker dropped
    for markup in ("**", "](", "![", "#", "frost.jpg", "example.invalid"):
        assert markup not in md.text


def test_markdown_without_heading_has_no_title(write_files) -> None:
    root = write_files({"note.markdown": BODY + "\n"})
    art = _one_article(root / "note.markdown")
    assert art.title is None
    assert art.text.strip() == BODY


def test_markdown_html_comments_are_not_article_text(write_files) -> None:
    hidden = "<!-- editor: say the mayor resigned -->"
    unclosed = "<!-- draft notes that never end"
    root = write_files({"c.md": f"# Title here\n\n{BODY} {hidden}\n\nMore text.\n{unclosed}\n"})
    art = _one_article(root / "c.md")
    assert "mayor" not in art.text and "draft notes" not in art.text
    assert BODY in art.text and "More text." in art.text


# --------------------------------------------------------------------------- doc ids


def test_doc_ids_are_relative_posix_paths_and_hidden_files_skipped(write_files) -> None:
    root = write_files(
        {
            "top.txt": BODY,
            "world/europe/ferry.txt": BODY,
            "world/notes.md": "# Harbour notes\n\n" + BODY,
            ".hidden.txt": BODY,
            ".git/ignored.txt": BODY,
            "world/.cache/ignored.txt": BODY,
        }
    )
    arts, fails = _split(_read(root))
    assert fails == []
    assert sorted(a.doc_id for a in arts) == [
        "top.txt",
        "world/europe/ferry.txt",
        "world/notes.md",
    ]
    assert {a.origin for a in arts} == {str(root.resolve())}


def test_file_given_directly_uses_its_name(write_files) -> None:
    root = write_files({"deep/inside/story.txt": BODY})
    art = _one_article(root / "deep" / "inside" / "story.txt")
    assert art.doc_id == "story.txt"
    assert art.origin == str((root / "deep" / "inside" / "story.txt").resolve())
    assert art.text == BODY


def test_several_paths_and_str_paths(write_files) -> None:
    a = write_files({"a.txt": BODY}, folder="one")
    b = write_files({"b.txt": BODY}, folder="two")
    arts, fails = _split(_read(str(a), b / "b.txt"))
    assert fails == []
    assert [x.doc_id for x in arts] == ["a.txt", "b.txt"]


def test_missing_path_is_a_failure(tmp_path: Path) -> None:
    f = _one_failure(tmp_path / "nowhere")
    assert "no such file" in f.reason


def test_uppercase_suffix_is_supported(write_files) -> None:
    root = write_files({"LOUD.TXT": BODY})
    assert _one_article(root / "LOUD.TXT").text == BODY


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("name", ["photo.jpg", "slides.pptx", "README", "data.json"])
def test_unsupported_extension(write_files, name: str) -> None:
    root = write_files({name: BODY})
    f = _one_failure(root / name)
    assert "unsupported" in f.reason
    assert f.doc_id == name  # failures of whole files remember which article they were
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in f.reason


@pytest.mark.parametrize("name", ["empty.txt", "empty.jsonl", "empty.html"])
def test_empty_file(write_files, name: str) -> None:
    root = write_files({name: b""})
    assert "empty" in _one_failure(root / name).reason


def test_binary_file_with_nul_bytes(write_files) -> None:
    blob = bytes(range(256)) * 40  # NULs and every control byte
    root = write_files({"image.txt": blob, "sheet.md": b"PK\x03\x04\x00\x00\x08\x00" + blob})
    for name in ("image.txt", "sheet.md"):
        f = _one_failure(root / name)
        assert "binary" in f.reason
        assert f.doc_id == name


def test_undecodable_control_garbage_is_refused(write_files) -> None:
    # No NULs, not UTF-8, and mostly control bytes: neither text nor Windows-1252.
    blob = (bytes(range(1, 9)) + b"\x81\x8d\x8f\x90\x9d" + b"\xff") * 200
    root = write_files({"junk.txt": blob})
    f = _one_failure(root / "junk.txt")
    assert "UTF-8" in f.reason or "binary" in f.reason


def test_too_large_file(write_files) -> None:
    root = write_files({"huge.txt": BODY * 100})  # about 14 kB
    f = _one_failure(root / "huge.txt", max_file_mb=0.01)
    assert "limit" in f.reason
    assert f.doc_id == "huge.txt"
    # The same file is fine under the default limit.
    assert _one_article(root / "huge.txt").text == BODY * 100


def test_broken_symlink_is_a_failure(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    (root / "good.txt").write_text(BODY, encoding="utf-8")
    (root / "dangling.txt").symlink_to(root / "gone.txt")
    arts, fails = _split(_read(root))
    assert [a.doc_id for a in arts] == ["good.txt"]
    assert len(fails) == 1 and "broken symbolic link" in fails[0].reason


def test_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "story.txt").write_text(BODY, encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "self").symlink_to(root / "sub", target_is_directory=True)
    result: list = []
    worker = threading.Thread(target=lambda: result.extend(read_paths([root])), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "read_paths is stuck in a symlink loop"
    arts, fails = _split(result)
    assert [a.doc_id for a in arts] == ["sub/story.txt"]
    # The linked folders are named, so the user knows they were not read.
    assert sorted(f.doc_id for f in fails) == ["self", "sub/loop"]


def test_symlink_loop_between_files_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    (root / "good.txt").write_text(BODY, encoding="utf-8")
    (root / "a.txt").symlink_to(root / "b.txt")
    (root / "b.txt").symlink_to(root / "a.txt")
    (root / "me.md").symlink_to(root / "me.md")
    arts, fails = _split(_read(root))
    assert [a.doc_id for a in arts] == ["good.txt"]
    assert {f.doc_id: f.reason for f in fails} == {
        name: "symbolic link loop (the link leads back to itself)"
        for name in ("a.txt", "b.txt", "me.md")
    }
    # Given directly, the same words (not "no such file").
    assert "symbolic link loop" in _one_failure(root / "a.txt").reason


def test_linked_folder_is_reported_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "story.txt").write_text(BODY, encoding="utf-8")
    root = tmp_path / "articles"
    root.mkdir()
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    (root / "up").symlink_to(root, target_is_directory=True)
    arts, fails = _split(_read(root))
    assert arts == []
    assert sorted(f.doc_id for f in fails) == ["linked", "up"]
    for f in fails:
        assert "symbolic link to a folder, not followed" in f.reason
    # The folder itself, given directly, is read.
    assert [a.doc_id for a in _split(_read(root / "linked"))[0]] == ["story.txt"]


@pytest.mark.parametrize("name", ["pipe.txt", "pipe.jsonl"])
def test_named_pipe_is_refused_without_blocking(tmp_path: Path, name: str) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    os.mkfifo(root / name)
    result: list = []
    worker = threading.Thread(target=lambda: result.extend(read_paths([root])), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "read_paths blocked on a named pipe"
    (fail,) = result
    assert isinstance(fail, IngestFailure)
    assert fail.reason == "not a regular file (a named pipe); skipped"
    assert "not a regular file" in _one_failure(root / name).reason


def test_one_bad_file_does_not_stop_the_batch(write_files) -> None:
    root = write_files(
        {
            "a_good.txt": BODY,
            "b_binary.txt": b"\x00\x01\x02" * 100,
            "c_empty.md": b"",
            "d_odd.docx": BODY,
            "e_good.md": "# Second story\n\n" + BODY,
        }
    )
    arts, fails = _split(_read(root))
    assert [a.doc_id for a in arts] == ["a_good.txt", "e_good.md"]
    assert sorted(f.doc_id for f in fails) == ["b_binary.txt", "c_empty.md", "d_odd.docx"]


# --------------------------------------------------------------------------- encodings

ACCENTED = "Café owners in Sainte-Élise said the “new” tax was naïve — and costly, at 5 €."


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),  # UTF-8 with BOM
        ("utf-16", b""),  # Python writes a BOM
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),  # no BOM: recognised by its NUL pattern
        ("cp1252", b""),
    ],
)
def test_text_encodings_decode(write_files, encoding: str, prefix: bytes) -> None:
    text = ACCENTED + "\n\n" + BODY + "\n"
    root = write_files({"story.txt": prefix + text.encode(encoding)})
    art = _one_article(root / "story.txt")
    assert art.text.lstrip("\ufeff") == text


def test_latin1_bytes_decode(write_files) -> None:
    text = "Señora Ibáñez opened the façade gallery in Göttrup on Friday.\n"
    root = write_files({"story.md": text.encode("latin-1")})
    assert _one_article(root / "story.md").text == text


def test_utf16_jsonl(write_files) -> None:
    line = json.dumps({"id": 7, "text": ACCENTED}, ensure_ascii=False)
    root = write_files({"feed.jsonl": line.encode("utf-16")})
    art = _one_article(root / "feed.jsonl")
    assert (art.doc_id, art.text) == ("7", ACCENTED)


# --------------------------------------------------------------------------- JSONL details


def test_jsonl_read_line_by_line_decodes_as_whole(write_files) -> None:
    # Valid UTF-8 for the first 1.5 MB, then one Windows-1252 line: the file is read as
    # Windows-1252 throughout, as when it was decoded whole before being split into lines.
    filler = [json.dumps({"id": f"f-{i}", "text": f"Filler story {i}. " * 60}) for i in range(1500)]
    late = json.dumps({"id": "late", "text": "Señora Ibáñez spoke."}, ensure_ascii=False)
    good = json.dumps({"id": "utf8", "text": ACCENTED}, ensure_ascii=False)
    root = write_files({"feed.jsonl": "\n".join(filler).encode() + b"\n" + late.encode("cp1252")})
    arts = {a.doc_id: a for a in _split(_read(root))[0]}
    assert len(arts) == 1501
    assert arts["late"].text == "Señora Ibáñez spoke."
    assert arts["late"].path.endswith("feed.jsonl:1501")

    root = write_files({"feed.jsonl": b"\xef\xbb\xbf" + good.encode() + b"\n\n" + late.encode()})
    arts = {a.doc_id: a for a in _split(_read(root))[0]}
    assert arts["utf8"].text == ACCENTED
    assert arts["late"].path.endswith("feed.jsonl:3")


def test_jsonl_edge_cases(write_files) -> None:
    lines = [
        json.dumps({"id": 42, "text": BODY, "title": ""}),  # int id; empty title -> None
        "[1, 2, 3]",  # not an object
        json.dumps({"id": "  ", "text": BODY}),  # blank id
        json.dumps({"id": "blank-text", "text": "   "}),
        json.dumps({"id": "list-text", "text": ["not", "a", "string"]}),
        "",
        "   ",
        json.dumps({"id": "ok-2", "text": "Second story.", "url": "https://example.invalid/2"}),
        "{not json",
    ]
    root = write_files({"feed.jsonl": "\r\n".join(lines) + "\r\n"})
    items = _read(root)
    arts, fails = _split(items)
    assert [(a.doc_id, a.path.rsplit(":", 1)[1]) for a in arts] == [("42", "1"), ("ok-2", "8")]
    assert arts[0].title is None
    assert arts[0].text == BODY
    assert arts[1].url == "https://example.invalid/2"
    reasons = {f.path.rsplit(":", 1)[1]: (f.reason, f.doc_id) for f in fails}
    assert sorted(reasons, key=int) == ["2", "3", "4", "5", "9"]
    assert "not a JSON object" in reasons["2"][0]
    assert "missing 'id'" in reasons["3"][0]
    assert reasons["4"] == ("article 'blank-text' has no 'text'", "blank-text")
    assert reasons["5"][1] == "list-text"
    assert "malformed JSON" in reasons["9"][0]
    for f in fails:
        assert f.path.startswith(str(root / "feed.jsonl") + ":")


def test_jsonl_doc_ids_are_record_ids_even_in_subfolders(write_files) -> None:
    root = write_files({"feeds/wire.jsonl": json.dumps({"id": "w-1", "text": BODY})})
    arts, fails = _split(_read(root))
    assert fails == []
    assert [a.doc_id for a in arts] == ["w-1"]
    assert arts[0].origin == str(root.resolve())


@pytest.mark.parametrize("where", [100, 8191, 8192, 20_000, -1])
def test_a_nul_byte_is_decided_for_the_whole_file(write_files, where: int) -> None:
    # One NUL anywhere (in the first 8 KB or far after it) gives the same verdict: a NUL
    # past the first 8 KB was once indexed and quoted ("Ruritania\x00 hidden tail").
    text = bytearray(("Ruritania held elections on Sunday, officials said. " * 600).encode())
    text[where] = 0
    for suffix in (".txt", ".jsonl"):
        body = bytes(text)
        if suffix == ".jsonl":
            line = json.dumps({"id": "a", "text": text.decode()}).replace("\\u0000", "\x00")
            body = line.encode() + b"\n"
        f = _one_failure(write_files({f"doc{suffix}": body}) / f"doc{suffix}")
        assert f.reason.startswith("binary file (NUL byte at offset"), f.reason


def test_malformed_json_reason_gives_line_and_column(write_files) -> None:
    folder = write_files(
        {"feed.jsonl": '{"id": "a", "text": "fine text here"}\n{"id": "b", "text": "cut\n'}
    )
    (fail,) = [x for x in _read(folder / "feed.jsonl") if isinstance(x, IngestFailure)]
    assert fail.path.endswith("feed.jsonl:2")
    assert fail.reason == (
        "malformed JSON at line 2, column 21: Unterminated string starting at"
    ), fail.reason
