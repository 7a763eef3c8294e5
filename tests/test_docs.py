"""The README and docs/ stay true to the code: every relative link and anchor resolves, and
every `assistant` command and option they show exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)|<img src=\"([^\"]+)\"")


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for the headings of `page` (lower case, punctuation dropped)."""
    out = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def _code_lines(page: Path) -> list[str]:
    lines, inside = [], False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line)
    return lines


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for match in LINK.finditer(text):
        target = match.group(1) or match.group(2)
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor and dest.suffix == ".md":
            assert anchor in _anchors(dest), f"{page.name}: no heading for #{anchor} in {dest.name}"


def _shown_options() -> dict[str, set[str]]:
    """The options shown for each `assistant COMMAND` in the code blocks of the pages."""
    shown: dict[str, set[str]] = {}
    command = None
    for page in PAGES:
        for line in _code_lines(page):
            words = line.split()
            if len(words) >= 2 and words[0] == "assistant":
                command = words[1]
                shown.setdefault(command, set())
            elif not line.startswith(" "):
                command = None  # continuation lines are indented
            if command is not None:
                code = line.split("#", 1)[0]  # not the comments
                shown[command] |= set(re.findall(r"(--[a-z][a-z0-9-]*)", code))
    return shown


def test_every_command_and_option_shown_exists(capsys: pytest.CaptureFixture[str]) -> None:
    shown = _shown_options()
    assert {"ingest", "ask", "ui", "eval"} <= set(shown)
    for command, options in shown.items():
        with pytest.raises(SystemExit) as exit_:
            build_parser().parse_args([command, "--help"])
        assert exit_.value.code == 0, f"`assistant {command}` is not a command"
        helptext = capsys.readouterr().out
        for option in options:
            assert re.search(rf"{option}\b", helptext), f"`assistant {command}` has no {option}"
