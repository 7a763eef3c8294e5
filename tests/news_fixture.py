"""Invented news stories shared by the answering tests (tests/fixtures/news/harbor.jsonl).

Every fact in them is made up for the tests: a bridge reopening date, a festival founder, a
cyclone's toll, a museum's move, and one story that carries a prompt injection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HARBOR = Path(__file__).resolve().parent / "fixtures" / "news" / "harbor.jsonl"


def harbor_articles(*ids: str) -> list[dict[str, Any]]:
    """The stories with these ids, in that order (all of them when none is named)."""
    stories = {a["id"]: a for a in map(json.loads, HARBOR.read_text("utf-8").splitlines())}
    return [stories[i] for i in ids] if ids else list(stories.values())


def write_feed(folder: Path, articles: list[dict[str, Any]], name: str = "feed.jsonl") -> Path:
    """Write `articles` as one JSONL feed in `folder` (made if missing); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles)
    (folder / name).write_text(lines, encoding="utf-8")
    return folder
