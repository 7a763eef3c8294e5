"""A small store corpus written for the store and BM25 tests: four dated JSONL articles
from three outlets, and one undated text file. Every fact in them is made up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant import Assistant

# Fictional news, written for these tests.
RECORDS = [
    {
        "id": "ferry-strike-begins",
        "title": "Ferry crews strike in Port Velmar",
        "text": "Ferry crews in Port Velmar walked off the job on Monday in a dispute over pay. "
        "Commuters crossing the bay queued for hours at the Velmar terminal, and the harbour "
        "authority laid on two buses to carry passengers around the lagoon.",
        "published": "2024-02-12",
        "source": "Velmar Gazette",
        "url": "https://example.test/velmar/ferry-strike",
    },
    {
        "id": "ferry-strike-ends",
        "title": "Port Velmar ferry strike ends after ten weeks",
        "text": "The Port Velmar ferry strike ended on Saturday when crews accepted a pay rise of "
        "six percent. The first boats crossed the bay at dawn and the harbour authority said "
        "the full timetable would return within a week.",
        "published": "2024-04-20",
        "source": "Velmar Gazette",
        "url": "https://example.test/velmar/ferry-deal",
    },
    {
        "id": "orchard-frost",
        "title": "Late frost hits Kessel valley orchards",
        "text": "A late frost on Tuesday night destroyed most apple blossom in the Kessel "
        "valley orchards. Growers lit smudge pots between the rows, but the cooperative now "
        "expects the apple harvest to fall by half this autumn.",
        "published": "2024-03-02",
        "source": "Valley Herald",
    },
    {
        "id": "library-reopens",
        "title": "Dunmore library reopens after renovation",
        "text": "The Dunmore public library reopened on Friday after a two-year renovation. "
        "The building now has a children's wing, a rooftop reading garden and a room of "
        "sewing machines that residents can book for free.",
        "published": "2024-05-10",
        "source": "Dunmore Post",
    },
]
UNDATED = {
    "observatory.txt": "Ardent Ridge observatory installs new telescope\n\n"
    "Astronomers at the Ardent Ridge observatory installed a new reflecting telescope with "
    "a mirror nearly two metres across. The first images show the ring nebula in sharp "
    "detail, the observatory director said.\n"
}


def write_corpus(root: Path) -> Path:
    """The corpus written under `root` (created): `news.jsonl` and the undated files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "news.jsonl").write_text(
        "\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8"
    )
    for name, text in UNDATED.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


ALL_IDS = sorted([r["id"] for r in RECORDS] + list(UNDATED))


def write_single(folder: Path, record: dict[str, str]) -> Path:
    """One record as a JSONL file of its own under `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "one.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    return folder


def indexed(store: Path, embedder: Any, corpus: Path) -> Assistant:
    """An offline Assistant over `store` with the whole corpus ingested."""
    a = Assistant(store=store, embedder=embedder, answerer="extractive")
    report = a.ingest([corpus])
    assert report.ok and report.added == len(ALL_IDS), report
    return a
