"""Ingest: counts, incremental re-ingest, vector reuse, pruning and per-file failures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.types import IngestReport

# Fictional news, written for these tests.
HARBOUR = (
    "Harbour cranes idle in Saltmere\n\n"
    "All six container cranes at the Saltmere harbour stood idle on Thursday after a power "
    "fault, and ships waited at anchor outside the breakwater.\n"
)
MARATHON = (
    "Record field for the Brackwater marathon\n\n"
    "Nearly nine thousand runners started the Brackwater marathon on Sunday, a record for the "
    "race, which follows the old canal towpath for most of its route.\n"
)
BEES = (
    "# Beekeepers count winter losses in Ormsby\n\n"
    "Beekeepers in Ormsby lost about a third of their hives over the winter, the county "
    "association said, blaming a wet autumn and a mite outbreak.\n"
)
CHOIR = (
    "Tollan choir wins national title\n\n"
    "The Tollan community choir won the national amateur title on Saturday with a programme of "
    "folk songs arranged by its conductor, a retired ferry captain.\n"
)

# Three paragraphs, each longer than half of a 40-piece chunk, so each becomes its own chunk.
P1 = (
    "The Greywick council voted on Monday to close the old swimming baths on Mill Lane, "
    "which have leaked since the great storm of the winter before last."
)
P2 = (
    "Councillors said the baths needed a new roof, new boilers and new tiling, and that "
    "repairs would cost more than building a fresh pool beside the school."
)
P3_OLD = (
    "A petition to keep the baths open gathered four thousand signatures, and campaigners "
    "promised to carry on their fight at the next meeting in March."
)
P3_NEW = (
    "Campaigners accepted the decision after the council promised free swimming lessons for "
    "every primary pupil at the new pool once it opens in the autumn."
)


def _baths(last: str) -> str:
    return f"Greywick baths to close\n\n{P1}\n\n{P2}\n\n{last}\n"


def _chunk_ids(a, doc_id: str) -> set[str]:
    return set(a.store._chunks.get(where={"doc_id": doc_id}, include=[])["ids"])


def _doc_ids(a) -> list[str]:
    return [i.doc_id for i in a.articles()]


def _consistent(a) -> None:
    """Every chunk in the store belongs to a committed article, and the counts agree."""
    infos = a.store.article_infos()
    n = 0
    for _cid, _text, meta in a.store.iter_chunks():
        n += 1
        assert meta["doc_id"] in infos
        assert meta["article_hash"] == infos[meta["doc_id"]].content_hash
    assert n == sum(i.n_chunks for i in infos.values())


# ---------------------------------------------------------------------------- counts, re-ingest


def test_first_ingest_then_reingest_is_a_no_op(make_assistant, write_files) -> None:
    folder = write_files({"harbour.txt": HARBOUR, "sport/marathon.txt": MARATHON, "bees.md": BEES})
    a = make_assistant()
    first = a.ingest(folder)
    assert isinstance(first, IngestReport)
    assert (first.added, first.updated, first.unchanged, first.removed) == (3, 0, 0, 0)
    assert first.ok and first.failed == 0
    assert first.doc_ids == ("bees.md", "harbour.txt", "sport/marathon.txt")
    assert first.chunks_written == a.stats()["chunks"] >= 3
    assert first.chunks_embedded + first.chunks_reused == first.chunks_written
    assert _doc_ids(a) == ["bees.md", "harbour.txt", "sport/marathon.txt"]
    assert a.store.article_infos()["bees.md"].title == "Beekeepers count winter losses in Ormsby"
    _consistent(a)

    second = a.ingest([folder])
    assert (second.added, second.updated, second.unchanged, second.removed) == (0, 0, 3, 0)
    assert second.chunks_embedded == second.chunks_written == second.chunks_reused == 0
    assert second.ok
    assert second.doc_ids == first.doc_ids
    assert a.stats()["chunks"] == first.chunks_written


def test_articles_are_written_while_later_ones_are_still_being_read(
    make_assistant, write_files, monkeypatch
) -> None:
    # Ingest must not hold every article until all are read (memory grew with the corpus).
    import assistant.indexing as indexing

    monkeypatch.setattr(indexing, "GROUP_SIZE", 2)
    events: list[str] = []
    real_read = indexing.read_paths

    def read_paths(*args, **kwargs):
        for item in real_read(*args, **kwargs):
            events.append(f"read {item.doc_id}")
            yield item

    monkeypatch.setattr(indexing, "read_paths", read_paths)
    a = make_assistant()
    real_write = a.store.write_articles
    monkeypatch.setattr(
        a.store,
        "write_articles",
        lambda items: (events.append(f"write {len(items)}"), real_write(items))[1],
    )
    files = {
        "a.txt": HARBOUR,
        "b.txt": MARATHON,
        "c.md": BEES,
        "d.txt": CHOIR,
        "e.txt": _baths(P3_OLD),
    }
    report = a.ingest(write_files(files))
    assert report.added == 5 and report.ok
    assert events == [
        "read a.txt", "read b.txt", "write 2",
        "read c.md", "read d.txt", "write 2",
        "read e.txt", "write 1",
    ]  # fmt: skip
    _consistent(a)


def test_identical_text_elsewhere_reuses_vectors(make_assistant, write_files) -> None:
    a = make_assistant()
    a.ingest(write_files({"choir.txt": CHOIR}, folder="one"))
    report = a.ingest(write_files({"choir-copy.txt": CHOIR}, folder="two"))
    assert report.added == 1
    assert report.chunks_embedded == 0
    assert report.chunks_reused == report.chunks_written >= 1


def test_single_file_path_uses_file_name_as_id(make_assistant, write_files) -> None:
    folder = write_files({"choir.txt": CHOIR})
    a = make_assistant()
    report = a.ingest(folder / "choir.txt")
    assert report.added == 1 and report.doc_ids == ("choir.txt",)
    assert a.store.article_infos()["choir.txt"].origin == str((folder / "choir.txt").resolve())


def test_edited_file_replaces_its_chunks_and_reuses_unchanged_ones(
    make_assistant, write_files
) -> None:
    folder = write_files({"baths.txt": _baths(P3_OLD), "harbour.txt": HARBOUR})
    a = make_assistant(chunk_size=40, chunk_overlap=0)
    first = a.ingest(folder)
    assert first.added == 2
    old_ids = _chunk_ids(a, "baths.txt")
    assert len(old_ids) >= 3
    old_hash = a.store.article_infos()["baths.txt"].content_hash
    harbour_ids = _chunk_ids(a, "harbour.txt")

    write_files({"baths.txt": _baths(P3_NEW)})
    report = a.ingest(folder)
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 1, 0)
    assert report.chunks_reused >= 2  # the title and the first two paragraphs did not change
    assert report.chunks_embedded >= 1  # the new last paragraph did
    assert report.chunks_embedded < report.chunks_written

    info = a.store.article_infos()["baths.txt"]
    assert info.content_hash != old_hash
    article = a.store.get_articles(["baths.txt"])["baths.txt"]
    assert "free swimming lessons" in article.text and "petition" not in article.text
    expected = {c.chunk_id for c in a.chunker.split(article)}
    new_ids = _chunk_ids(a, "baths.txt")
    assert new_ids == expected
    assert info.n_chunks == len(new_ids)
    # The new version's chunks have ids of their own (they were written beside the old
    # version's until the commit), and the old version's are all gone; unchanged passages
    # kept their vectors (chunks_reused above), not their ids.
    assert not old_ids & new_ids
    assert not old_ids & set(a.store._chunks.get(ids=sorted(old_ids))["ids"])
    assert _chunk_ids(a, "harbour.txt") == harbour_ids
    _consistent(a)

    # Retrieval sees the new version only.
    res = a.retrieve("petition signatures campaigners fight", mode="bm25")
    assert all("petition" not in c.chunk.text for c in res.chunks)
    res = a.retrieve("free swimming lessons for primary pupils", mode="hybrid")
    assert res.article_order[0] == "baths.txt"
    assert any("free swimming lessons" in c.chunk.text for c in res.chunks)


def test_changed_chunking_reembeds_everything(make_assistant, write_files, tmp_path) -> None:
    folder = write_files({"baths.txt": _baths(P3_OLD)})
    make_assistant(chunk_size=40, chunk_overlap=0).ingest(folder)
    report = make_assistant(chunk_size=192, chunk_overlap=32).ingest(folder)
    assert report.updated == 1 and report.unchanged == 0
    assert report.chunks_embedded >= 1


# ---------------------------------------------------------------------------- prune


def test_deleted_file_removed_only_with_prune(make_assistant, write_files) -> None:
    folder = write_files({"harbour.txt": HARBOUR, "marathon.txt": MARATHON, "choir.txt": CHOIR})
    a = make_assistant()
    a.ingest(folder)
    (folder / "marathon.txt").unlink()

    kept = a.ingest(folder)
    assert kept.removed == 0 and kept.unchanged == 2
    assert "marathon.txt" in _doc_ids(a)
    assert a.retrieve("Brackwater marathon runners", mode="bm25").article_order[0] == (
        "marathon.txt"
    )

    pruned = a.ingest(folder, prune=True)
    assert (pruned.added, pruned.updated, pruned.unchanged, pruned.removed) == (0, 0, 2, 1)
    assert pruned.ok
    assert _doc_ids(a) == ["choir.txt", "harbour.txt"]
    assert _chunk_ids(a, "marathon.txt") == set()
    for mode in ("bm25", "dense", "hybrid"):
        res = a.retrieve("Brackwater marathon runners canal towpath", mode=mode)
        assert "marathon.txt" not in res.article_order, mode
        assert all(c.chunk.doc_id != "marathon.txt" for c in res.chunks)
    assert a.retrieve("Brackwater marathon", mode="bm25").chunks == []
    _consistent(a)


def test_prune_only_touches_the_folders_given(make_assistant, write_files) -> None:
    one = write_files({"harbour.txt": HARBOUR, "choir.txt": CHOIR}, folder="one")
    two = write_files({"marathon.txt": MARATHON}, folder="two")
    a = make_assistant()
    a.ingest([one, two])
    (one / "choir.txt").unlink()
    (two / "marathon.txt").unlink()
    report = a.ingest([one], prune=True)
    assert report.removed == 1
    assert _doc_ids(a) == ["harbour.txt", "marathon.txt"]


def test_prune_removes_lines_dropped_from_jsonl(make_assistant, write_files) -> None:
    recs = [
        {"id": "n1", "title": "Harbour cranes idle", "text": HARBOUR},
        {"id": "n2", "title": "Choir title", "text": CHOIR},
    ]
    folder = write_files({"feed.jsonl": "\n".join(json.dumps(r) for r in recs) + "\n"})
    a = make_assistant()
    assert a.ingest(folder).added == 2
    write_files({"feed.jsonl": json.dumps(recs[0]) + "\n"})
    report = a.ingest(folder, prune=True)
    assert report.removed == 1 and report.unchanged == 1
    assert _doc_ids(a) == ["n1"]


# ---------------------------------------------------------------------------- failures


def _failure(report: IngestReport, suffix: str):
    found = [f for f in report.failures if f.path.endswith(suffix)]
    assert len(found) == 1, (suffix, report.failures)
    return found[0]


def test_bad_files_are_reported_and_good_ones_indexed(make_assistant, write_files) -> None:
    good_line = {
        "id": "feed-1",
        "title": "Choir wins",
        "text": CHOIR,
        "published": "2024-06-01",
        "source": "Tollan Echo",
    }
    folder = write_files(
        {
            "harbour.txt": HARBOUR,
            "bees.md": BEES,
            "photo.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20,
            "empty.txt": "",
            "feed.jsonl": json.dumps(good_line) + '\n{"id": "feed-2", "text": \n',
            "notes.pdf": b"%PDF-1.4 not really",
            "tiny.txt": "Menu\n",
        }
    )
    a = make_assistant()
    report = a.ingest(folder)
    assert report.added == 3
    assert _doc_ids(a) == ["bees.md", "feed-1", "harbour.txt"]
    assert report.failed == len(report.failures) == 5
    assert not report.ok

    binary = _failure(report, "photo.txt")
    assert "binary" in binary.reason
    assert Path(binary.path) == folder / "photo.txt"
    assert "empty" in _failure(report, "empty.txt").reason
    line = _failure(report, "feed.jsonl:2")
    assert "JSON" in line.reason
    assert line.path.startswith(str(folder / "feed.jsonl"))
    assert "not a readable PDF" in _failure(report, "notes.pdf").reason
    assert "no article text" in _failure(report, "tiny.txt").reason
    for f in report.failures:
        assert f.reason

    info = a.store.article_infos()["feed-1"]
    assert info.source == "Tollan Echo" and info.published is not None
    assert a.retrieve("choir national title", mode="bm25").article_order[0] == "feed-1"
    _consistent(a)


def test_jsonl_line_problems(make_assistant, write_files) -> None:
    lines = [
        json.dumps({"id": "ok", "text": HARBOUR}),
        json.dumps({"id": "ok", "text": MARATHON}),  # duplicate id
        json.dumps({"text": CHOIR}),  # no id
        json.dumps({"id": "no-text", "text": "  "}),
        json.dumps(["not", "an", "object"]),
    ]
    folder = write_files({"feed.jsonl": "\n".join(lines) + "\n"})
    a = make_assistant()
    report = a.ingest(folder)
    assert report.added == 1
    assert _doc_ids(a) == ["ok"]
    reasons = {f.path.rsplit(":", 1)[1]: f.reason for f in report.failures}
    assert set(reasons) == {"2", "3", "4", "5"}
    assert "duplicate" in reasons["2"]
    assert "id" in reasons["3"]
    assert "text" in reasons["4"]
    assert "object" in reasons["5"]
    # The first of the duplicates is the one indexed.
    assert "Saltmere" in a.store.get_articles(["ok"])["ok"].text


def test_missing_path_is_a_failure_not_an_exception(make_assistant, tmp_path) -> None:
    report = make_assistant().ingest(tmp_path / "no-such-folder")
    assert report.added == 0
    assert report.failed == 1 and "no such file" in report.failures[0].reason


@pytest.mark.parametrize(
    "bad",
    [b"\x00\x01\x02\x03binary\xff\xfe" * 50, b""],
    ids=["binary", "empty"],
)
def test_indexed_file_turned_bad_is_kept_by_prune(make_assistant, write_files, bad: bytes) -> None:
    folder = write_files({"harbour.txt": HARBOUR, "choir.txt": CHOIR})
    a = make_assistant()
    a.ingest(folder)
    before = a.store.article_infos()["choir.txt"]
    (folder / "choir.txt").write_bytes(bad)
    report = a.ingest(folder, prune=True)
    assert report.removed == 0
    f = _failure(report, "choir.txt")
    assert f.doc_id == "choir.txt"
    assert _doc_ids(a) == ["choir.txt", "harbour.txt"]
    assert a.store.article_infos()["choir.txt"].content_hash == before.content_hash
    assert a.retrieve("Tollan choir national title", mode="bm25").article_order[0] == "choir.txt"


def test_indexed_text_turned_furniture_is_kept_by_prune(make_assistant, write_files) -> None:
    folder = write_files({"harbour.txt": HARBOUR, "choir.txt": CHOIR})
    a = make_assistant()
    a.ingest(folder)
    write_files({"choir.txt": "Share\nMenu\n"})
    report = a.ingest(folder, prune=True)
    assert report.removed == 0 and report.failed == 1
    assert _doc_ids(a) == ["choir.txt", "harbour.txt"]


def test_indexed_jsonl_turned_bad_is_kept_by_prune(make_assistant, write_files) -> None:
    recs = [
        {"id": "n1", "title": "Harbour cranes idle", "text": HARBOUR},
        {"id": "n2", "title": "Choir title", "text": CHOIR},
    ]
    folder = write_files(
        {"feed.jsonl": "\n".join(json.dumps(r) for r in recs) + "\n", "bees.md": BEES}
    )
    a = make_assistant()
    assert a.ingest(folder).added == 3
    (folder / "feed.jsonl").write_bytes(b"")  # truncated by a failed copy, say
    report = a.ingest(folder, prune=True)
    assert report.failed == 1
    assert report.removed == 0, "a JSONL file that cannot be read must not delete its articles"
    assert _doc_ids(a) == ["bees.md", "n1", "n2"]


def test_indexed_file_turned_broken_symlink_is_kept_by_prune(make_assistant, write_files) -> None:
    folder = write_files({"harbour.txt": HARBOUR, "choir.txt": CHOIR})
    a = make_assistant()
    a.ingest(folder)
    (folder / "choir.txt").unlink()
    os.symlink(folder / "gone-elsewhere.txt", folder / "choir.txt")
    report = a.ingest(folder, prune=True)
    f = _failure(report, "choir.txt")
    assert "symbolic link" in f.reason
    assert report.removed == 0, "an unreadable file must not delete its indexed article"
    assert _doc_ids(a) == ["choir.txt", "harbour.txt"]


def test_failed_file_recovers_on_next_ingest(make_assistant, write_files) -> None:
    folder = write_files({"choir.txt": b"\x00\xff" * 100})
    a = make_assistant()
    assert a.ingest(folder).failed == 1
    write_files({"choir.txt": CHOIR})
    report = a.ingest(folder)
    assert report.ok and report.added == 1


def test_prune_skipped_when_a_given_folder_is_gone(make_assistant, write_files, tmp_path) -> None:
    # An unmounted disk or a folder moved away must not wipe its articles from the index.
    folder = write_files({"harbour.txt": HARBOUR, "choir.txt": CHOIR})
    a = make_assistant()
    a.ingest(folder)
    folder.rename(tmp_path / "moved")
    report = a.ingest(folder, prune=True)
    assert report.removed == 0 and report.failed == 1
    assert "no such file" in report.failures[0].reason
    assert _doc_ids(a) == ["choir.txt", "harbour.txt"]
