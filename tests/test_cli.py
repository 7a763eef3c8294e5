"""The `assistant` command, called in-process through `assistant.cli.main`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.cli import main
from assistant.testing import ConstantEmbedder

# Fictional news, written for these tests.
ARTICLES = {
    "ferry.txt": "Saltmere ferry strike to end on Friday\n\n"
    "The ferry strike in Saltmere will end on Friday after the crews accepted a new pay offer, "
    "union leaders said on Wednesday. Boats will run to the normal timetable from Saturday.\n",
    "museum.md": "# Brackwater museum buys whale skeleton\n\n"
    "The Brackwater natural history museum has bought the skeleton of a fin whale that "
    "stranded on the estuary last spring. It will hang in the main hall from June.\n",
}
FEED = {
    "id": "feed-bridge",
    "title": "Orrin bridge closes for repairs",
    "text": "The Orrin river bridge will close for eight weeks of repairs from 3 June, the "
    "highways office said. Drivers will be sent on a detour through Kessel.",
    "published": "2024-05-20",
    "source": "Orrin Courier",
    "url": "https://example.test/orrin/bridge",
}


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def _shared_model(cli_model: None) -> None:
    """Every test here runs the CLI with the session's model."""


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-articles")
    for name, text in ARTICLES.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "feed.jsonl").write_text(json.dumps(FEED) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory, embedder, cli_folder: Path) -> Path:
    store = tmp_path_factory.mktemp("cli-store")
    report = Assistant(store=store, embedder=embedder).ingest([cli_folder])
    assert report.added == 3 and report.ok
    return store


def test_ingest_prints_counts_and_is_incremental(capsys, tmp_path: Path, cli_folder: Path) -> None:
    store = tmp_path / "store"
    assert main(["ingest", str(cli_folder), "--store", str(store)]) == 0
    captured = capsys.readouterr()
    out = _flat(captured.out)
    assert "3 added, 0 updated, 0 unchanged, 0 removed, 0 failed" in out
    assert str(store.resolve()) in out
    # Saving the BM25 index draws no progress bar of bm25s's into the command's output.
    assert "mmindex" not in captured.err + captured.out

    assert main(["ingest", str(cli_folder), "--store", str(store), "--list"]) == 0
    out = _flat(capsys.readouterr().out)
    assert "0 added, 0 updated, 3 unchanged, 0 removed, 0 failed" in out
    assert "0 chunks embedded" in out
    # --list shows each article with its date and source.
    assert "feed-bridge 2024-05-20 Orrin Courier Orrin bridge closes for repairs" in out
    assert "ferry.txt undated" in out
    assert "museum.md" in out


def test_ingest_returns_1_and_names_failed_file(capsys, tmp_path: Path, write_files) -> None:
    folder = write_files({"ferry.txt": ARTICLES["ferry.txt"], "scan.txt": PNG})
    store = tmp_path / "store"
    assert main(["ingest", str(folder), "--store", str(store)]) == 1
    out = _flat(capsys.readouterr().out)
    assert "1 added" in out and "1 failed" in out
    assert f"failed {folder / 'scan.txt'}:" in out
    assert "binary" in out


def test_ingest_prune(capsys, tmp_path: Path, write_files) -> None:
    folder = write_files(ARTICLES)
    store = str(tmp_path / "store")
    assert main(["ingest", str(folder), "--store", store]) == 0
    (folder / "museum.md").unlink()
    assert main(["ingest", str(folder), "--store", store]) == 0
    assert "0 removed" in _flat(capsys.readouterr().out)
    assert main(["ingest", str(folder), "--store", store, "--prune"]) == 0
    assert "1 removed" in _flat(capsys.readouterr().out)
    assert main(["stats", "--store", store]) == 0
    assert "documents: 1" in capsys.readouterr().out


def test_ask_json(capsys, cli_store: Path, embedder) -> None:
    question = "When will the Orrin river bridge close for repairs?"
    assert main(["ask", question, "--store", str(cli_store), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"question", "answer", "short", "abstained", "citations"} <= set(data)
    assert data["question"] == question
    assert data["abstained"] is False
    assert data["answer"]
    assert data["citations"]
    keys = {"number", "doc_id", "title", "source", "url", "published", "chunk_id"}
    keys |= {"quote", "start", "end"}
    for c in data["citations"]:
        assert keys <= set(c)
    first = data["citations"][0]
    assert first["number"] == 1
    assert first["doc_id"] == "feed-bridge"
    assert first["title"] == "Orrin bridge closes for repairs"
    assert first["source"] == "Orrin Courier"
    assert first["url"] == "https://example.test/orrin/bridge"
    assert first["published"] == "2024-05-20"
    # The quote is verbatim article text at the stated offsets.
    reader = Assistant(store=cli_store, embedder=embedder)
    article = reader.store.get_articles(["feed-bridge"])["feed-bridge"]
    assert article.text[first["start"] : first["end"]] == first["quote"]
    assert first["quote"] in article.text


def test_ask_json_as_of_before_all_articles_abstains(capsys, cli_store: Path) -> None:
    argv = ["ask", "When does the Orrin bridge close?", "--store", str(cli_store), "--json"]
    assert main([*argv, "--as-of", "2020-01-01"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["abstained"] is True
    assert data["citations"] == []


def test_ask_plain_prints_answer_and_sources(capsys, cli_store: Path) -> None:
    question = "What did the Brackwater museum buy?"
    assert main(["ask", question, "--store", str(cli_store)]) == 0
    out = _flat(capsys.readouterr().out)
    assert "whale" in out
    assert "Sources" in out
    assert "[1] Brackwater museum buys whale skeleton" in out
    assert "museum.md" in out


def test_stats(capsys, cli_store: Path, embedder) -> None:
    assert main(["stats", "--store", str(cli_store)]) == 0
    out = capsys.readouterr().out
    lines = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert lines["documents"] == "3"
    assert int(lines["chunks"]) >= 3
    assert lines["embedder"] == embedder.name
    assert lines["store"] == str(cli_store.resolve())


def test_errors_exit_2_with_message(capsys, cli_store: Path) -> None:
    assert main(["ask", "   ", "--store", str(cli_store)]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["ask", "ferry?", "--store", str(cli_store), "--as-of", "someday"]) == 2
    assert "--as-of must be a date like 2025-01-31, not 'someday'" in capsys.readouterr().err


def test_embedder_mismatch_exits_2(capsys, tmp_path: Path, write_files, embedder) -> None:
    store = tmp_path / "store"
    Assistant(store=store, embedder=ConstantEmbedder("fake/other", 8)).ingest(
        write_files({"a.txt": ARTICLES["ferry.txt"]})
    )
    assert main(["stats", "--store", str(store)]) == 2
    err = _flat(capsys.readouterr().err)
    assert "error:" in err and "fake/other" in err and embedder.name in err


def test_usage_errors_exit_nonzero(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["ask", "q", "--retrieval-mode", "psychic"])
    assert info.value.code == 2


def test_chat_says_how_each_follow_up_was_read() -> None:
    from assistant.cli import _understood
    from assistant.types import Answer

    def answer(standalone: str, how: str) -> Answer:
        return Answer(
            question="Who is he?", standalone_question=standalone, follow_up=how, text="x"
        )

    assert _understood(answer("Who is Nikol Pashinyan?", "resolved")) == (
        "understood as: Who is Nikol Pashinyan?"
    )
    assert _understood(answer("Who is he?", "as-asked")) == "read as asked: Who is he?"
    unsure = _understood(answer("Who is he? (read together with: Who won?)", "read-together"))
    assert unsure.startswith("not sure what the follow-up refers to; searched as: Who is he?")


# ---------------------------------------------------------------- assistant timeline
def test_timeline_json_markdown_and_plain(capsys, cli_store: Path) -> None:
    topic = "Orrin river bridge repairs"
    assert main(["timeline", topic, "--store", str(cli_store), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["topic"] == topic
    days = [e["date"] for e in data["events"]]
    assert days == sorted(days)
    closure = next(e for e in data["events"] if "3 June" in e["citations"][0]["quote"])
    assert closure["date"] == "2024-06-03"
    assert closure["citations"][0]["doc_id"] == "feed-bridge"

    assert main(["timeline", topic, "--store", str(cli_store), "--markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith(f"# Timeline: {topic}") and "June 3, 2024" in md

    assert main(["timeline", topic, "--store", str(cli_store), "--until", "2024-05-31"]) == 0
    assert "June 3, 2024" not in _flat(capsys.readouterr().out)


def test_timeline_bad_options_exit_2_with_the_option_named(capsys, cli_store: Path) -> None:
    assert main(["timeline", "bridge", "--store", str(cli_store), "--since", "June"]) == 2
    assert "--since must be a date like 2025-01-31, not 'June'" in capsys.readouterr().err
    assert main(["timeline", " ", "--store", str(cli_store)]) == 2
    assert "topic is empty" in capsys.readouterr().err
