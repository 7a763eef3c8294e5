"""One folder of good and bad files, ingested as one batch through the CLI and the API.

Every good article must be indexed, every bad file (or JSONL line) reported by name with
its reason, `assistant ingest` must exit with status 1, and a store that already held
articles must lose none of them. All article text here is invented for these tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from assistant.cli import main
from assistant.config import Settings
from assistant.types import IngestReport

pytestmark = pytest.mark.slow

GOOD_TXT = (
    "Harbour cranes idle in Saltmere\n\n"
    "All six container cranes at the Saltmere harbour stood idle on Thursday after a power "
    "fault, and ships waited at anchor outside the breakwater until the evening tide.\n"
)
GOOD_MD = (
    "# Beekeepers count winter losses in Ormsby\n\n"
    "Beekeepers in Ormsby lost about a third of their hives over the winter, the county "
    "association said, blaming a wet autumn and a mite outbreak in the valley.\n"
)
LATIN1 = (
    "Señora Ibáñez opens the façade gallery in Göttrup\n\n"
    "Señora Ibáñez opened the façade gallery in Göttrup on Friday, showing forty paintings "
    "of the old quayside, and said entry would stay free until the end of the summer.\n"
)
UTF16 = (
    "Café owners in Sainte-Élise protest a new terrace tax\n\n"
    "Café owners in Sainte-Élise said the “new” terrace tax was naïve and costly, at 5 € a "
    "table a week, and asked the mayor to drop it before the tourist season begins.\n"
)
# Cut off mid-tag, mid-word, with no closing tags: a download that stopped half-way.
TRUNCATED_HTML = (
    "<html><head><title>Kelby bridge reopens</title></head><body><article>"
    "<h1>Kelby bridge reopens after repairs</h1>"
    "<p>The Kelby river bridge reopened to traffic on Wednesday after eight weeks of "
    "repairs to its cracked supports, the highways office said.</p>"
    "<p>Buses returned to their usual route through the town centre, and the ferry that "
    "carried foot passengers during the closure made its last crossing in the morn"
)
FEED_GOOD = [
    {
        "id": "feed-choir",
        "title": "Tollan choir wins national title",
        "text": "The Tollan community choir won the national amateur title on Saturday with "
        "a programme of folk songs arranged by its conductor, a retired ferry captain.",
        "published": "2024-06-01",
        "source": "Tollan Echo",
    },
    {
        "id": "feed-quarry",
        "title": "Quarry blasting paused in Holloway",
        "text": "Blasting at the Holloway granite quarry was paused after residents reported "
        "cracked windows, the council said on Wednesday.",
    },
]
INNER = (
    "Dunmore library extends its opening hours\n\n"
    "The Dunmore public library will stay open until nine on Thursdays from next month, "
    "after a survey found that most readers could only visit after work.\n"
)
WAS_GOOD = (
    "Record field for the Brackwater marathon\n\n"
    "Nearly nine thousand runners started the Brackwater marathon on Sunday, a record for the "
    "race, which follows the old canal towpath for most of its route.\n"
)

GOOD_IDS = {
    "good.txt",
    "good.md",
    "latin1.txt",
    "utf16.txt",
    "truncated.html",
    "feed-choir",
    "feed-quarry",
    "folder.txt/inner.txt",  # a folder named like a file is read as a folder
}

# What each bad entry must be reported as: path (relative to the folder) -> words of the reason.
BAD = {
    "binary.txt": "binary",
    "empty.txt": "empty file",
    "huge.txt": "over the 20 MB limit",
    "feed.jsonl:3": "malformed JSON",
    "feed.jsonl:4": "has no 'text'",
    "feed.jsonl:5": "missing 'id'",
    "loop-a.txt": "symbolic link loop",
    "loop-b.txt": "symbolic link loop",
    "loop-dir": "symbolic link to a folder",
    "pipe.txt": "not a regular file (a named pipe)",
    "dangling.md": "broken symbolic link",
    "notes.pdf": "not a readable PDF (corrupt or truncated",
    "was-good.txt": "binary",
}

HUGE_MB = 50


def _write_bad_batch(root: Path) -> None:
    """The mixed folder; `was-good.txt` was a good article before and is binary now."""
    (root / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    (root / "good.md").write_text(GOOD_MD, encoding="utf-8")
    (root / "latin1.txt").write_bytes(LATIN1.encode("latin-1"))
    (root / "utf16.txt").write_bytes(UTF16.encode("utf-16"))
    (root / "truncated.html").write_text(TRUNCATED_HTML, encoding="utf-8")
    lines = [
        json.dumps(FEED_GOOD[0]),
        json.dumps(FEED_GOOD[1]),
        '{"id": "feed-broken", "text": "The ferry',  # cut off mid-record
        json.dumps({"id": "feed-no-text", "title": "A headline and nothing else"}),
        json.dumps({"title": "No id", "text": "Some words about nothing in particular."}),
    ]
    (root / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "folder.txt").mkdir()
    (root / "folder.txt" / "inner.txt").write_text(INNER, encoding="utf-8")

    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01" * 64)
    (root / "was-good.txt").write_bytes(bytes(range(256)) * 16)
    (root / "empty.txt").write_bytes(b"")
    (root / "notes.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    # Real text, not a sparse file: the limit must hold for what a user would really have.
    paragraph = (GOOD_TXT.replace("\n", " ") + "\n\n").encode("utf-8")
    with (root / "huge.txt").open("wb") as f:
        block = paragraph * (1_000_000 // len(paragraph) + 1)
        for _ in range(HUGE_MB):
            f.write(block)
    (root / "loop-a.txt").symlink_to(root / "loop-b.txt")
    (root / "loop-b.txt").symlink_to(root / "loop-a.txt")
    (root / "loop-dir").symlink_to(root, target_is_directory=True)
    (root / "dangling.md").symlink_to(root / "moved-away.md")
    # Unreadable, even for root (tests may run as root, where chmod 000 blocks nothing):
    # a reader that opened it would block forever waiting for a writer.
    os.mkfifo(root / "pipe.txt")


@pytest.fixture
def _cli_uses_session_model(cli_model: None) -> None:
    """The CLI runs with the session's model (conftest's `cli_model`)."""


def _snapshot(a: Assistant) -> tuple[dict[str, str], set[str]]:
    infos = a.store.article_infos()
    chunk_ids = {cid for cid, _t, _m in a.store.iter_chunks()}
    return {d: i.content_hash for d, i in infos.items()}, chunk_ids


def _check_failures(report: IngestReport, root: Path) -> None:
    by_path = {f.path: f for f in report.failures}
    expected = {str(root / rel): words for rel, words in BAD.items()}
    assert set(by_path) == set(expected), sorted(by_path)
    for path, words in expected.items():
        assert words in by_path[path].reason, (path, by_path[path].reason)


def test_default_size_limit_is_20_mb() -> None:
    # The 50 MB file below is refused because of this default. A news article is 2-50 kB:
    # 50 MB of text is a dump or a log, would take tens of minutes to embed on a CPU and
    # would flood every answer with one "article"; the message says how to allow it.
    assert Settings().max_file_mb == 20.0


def test_bad_batch_reports_every_bad_file_and_loses_nothing(
    tmp_path: Path,
    embedder,
    seeds_dir: Path,
    capsys,
    _cli_uses_session_model,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = tmp_path / "store"
    root = tmp_path / "batch"
    root.mkdir()
    (root / "was-good.txt").write_text(WAS_GOOD, encoding="utf-8")
    a = Assistant(store=store, embedder=embedder, answerer="extractive")
    assert a.ingest([seeds_dir]).added == 5
    assert a.ingest([root]).added == 1
    before_hashes, before_chunks = _snapshot(a)
    assert len(before_hashes) == 6

    (root / "was-good.txt").unlink()
    _write_bad_batch(root)
    assert (root / "huge.txt").stat().st_size > HUGE_MB * 1_000_000

    # The CLI: status 1, and one line per failure naming the file and the reason. Every
    # file the readers open is recorded, to show the oversized one is refused unread.
    opened: list[str] = []
    real_open, real_read = Path.open, Path.read_bytes

    def spy_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    def spy_read(self: Path) -> bytes:
        opened.append(self.name)
        return real_read(self)

    with monkeypatch.context() as spying:
        spying.setattr(Path, "open", spy_open)
        spying.setattr(Path, "read_bytes", spy_read)
        status = main(["ingest", str(root), "--store", str(store)])
    out = capsys.readouterr().out
    assert status == 1, out
    assert f"{len(GOOD_IDS)} added" in out and f"{len(BAD)} failed" in out
    for rel, words in BAD.items():
        assert f"failed {root / rel}: " in out, rel
        line = next(ln for ln in out.splitlines() if ln.startswith(f"failed {root / rel}: "))
        assert words in line, line
    assert "ASSISTANT_MAX_FILE_MB" in out  # the size refusal says how to allow the file
    # The 50 MB file is refused from its size, without being read: no minutes spent on it.
    assert "huge.txt" not in opened and "was-good.txt" in opened, opened

    # The API, with --prune: the same failures, and the binary `was-good.txt` keeps its
    # indexed version (its file is still there, only unreadable now).
    report = a.ingest([root], prune=True)
    _check_failures(report, root)
    assert report.removed == 0 and report.added == report.updated == 0
    assert report.unchanged == len(GOOD_IDS)

    after_hashes, after_chunks = _snapshot(a)
    for doc_id, h in before_hashes.items():
        assert after_hashes.get(doc_id) == h, f"{doc_id} was lost or changed"
    assert before_chunks <= after_chunks
    assert set(after_hashes) == set(before_hashes) | GOOD_IDS
    infos = a.store.article_infos()
    assert sum(i.n_chunks for i in infos.values()) == len(after_chunks)  # nothing orphaned

    # The good ones are indexed with their text decoded correctly.
    texts = {d: art.text for d, art in a.store.get_articles(sorted(GOOD_IDS)).items()}
    assert "Señora Ibáñez opened the façade gallery in Göttrup" in texts["latin1.txt"]
    assert "Café owners in Sainte-Élise" in texts["utf16.txt"]
    assert "naïve" in texts["utf16.txt"] and "5 €" in texts["utf16.txt"]
    assert "reopened to traffic on Wednesday" in texts["truncated.html"]
    assert "<p>" not in texts["truncated.html"]
    assert infos["feed-choir"].source == "Tollan Echo"
    assert "nine on Thursdays" in texts["folder.txt/inner.txt"]
    assert a.bm25.chunk_ids() == after_chunks
    for mode in ("bm25", "dense"):
        res = a.retrieve("Saltmere container cranes power fault", mode=mode)
        assert res.article_order[0] == "good.txt", mode
    answer = a.ask("When do the Russian border guards leave the Armenia-Iran border?")
    assert "January 1, 2025" in answer.text


def test_huge_file_under_a_raised_limit_is_read(tmp_path: Path) -> None:
    # The limit is the user's to raise: the same 50 MB file is read once it is allowed.
    from assistant.ingest import read_paths

    root = tmp_path / "batch"
    root.mkdir()
    paragraph = (GOOD_TXT.replace("\n", " ") + "\n\n").encode("utf-8")
    (root / "huge.txt").write_bytes(paragraph * (HUGE_MB * 1_000_000 // len(paragraph) + 1))
    (item,) = list(read_paths([root], max_file_mb=HUGE_MB + 10))
    assert not hasattr(item, "reason"), item
    assert item.text.startswith("Harbour cranes idle")


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0,
    reason="root reads files and folders whatever their mode; the FIFO case covers root",
)
def test_permission_denied_file_and_folder(tmp_path: Path) -> None:  # pragma: no cover
    from assistant.ingest import read_paths
    from assistant.types import IngestFailure

    root = tmp_path / "batch"
    (root / "locked-dir").mkdir(parents=True)
    (root / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    (root / "locked.txt").write_text(GOOD_TXT, encoding="utf-8")
    (root / "locked-dir" / "inside.txt").write_text(GOOD_TXT, encoding="utf-8")
    (root / "locked.txt").chmod(0)
    (root / "locked-dir").chmod(0)
    try:
        items = list(read_paths([root]))
    finally:
        (root / "locked.txt").chmod(0o644)
        (root / "locked-dir").chmod(0o755)
    fails = {Path(i.path).name: i for i in items if isinstance(i, IngestFailure)}
    assert "Permission denied" in fails["locked.txt"].reason
    assert "cannot read folder" in fails["locked-dir"].reason
    assert fails["locked-dir"].doc_id is None  # unknown contents: --prune must not run
    assert [i.doc_id for i in items if not isinstance(i, IngestFailure)] == ["good.txt"]
