"""Settings: bad values are refused naming the setting and where its value came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import AliasChoices

from assistant.config import OTHER_VARIABLES, Settings, load_settings
from assistant.core import check_question
from assistant.errors import ConfigError, clip


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999", "Port out of range"),
        ("http://127.0.0.1:0", "port 0"),
        ("ftp://127.0.0.1:8000", "not a URL like"),
        ("127.0.0.1:8000", "not a URL like"),
    ],
)
def test_a_bad_chroma_url_names_the_setting(url: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(chroma_url=url)
    assert f"setting chroma_url (--chroma-url) = {url!r}" in str(info.value)
    assert why in str(info.value)


def test_good_chroma_urls_pass() -> None:
    for url in ("http://127.0.0.1:8000", "https://chroma.example:443", "http://[::1]:8000", ""):
        assert load_settings(chroma_url=url).chroma_url == url


def test_a_bad_variable_is_blamed_on_the_variable_not_the_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSISTANT_STORE", " ")
    with pytest.raises(ConfigError) as info:
        load_settings(top_k=3)  # an option that is not --store
    assert "setting store (from ASSISTANT_STORE) = ' '" in str(info.value)
    # An option given for the same setting replaces the variable, which is then not read.
    assert str(load_settings(store="elsewhere").store) == "elsewhere"
    with pytest.raises(ConfigError, match=r"setting store \(--store\) = ' '"):
        load_settings(store=" ")


def test_the_question_length_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().max_question_chars == 2000
    monkeypatch.setenv("ASSISTANT_MAX_QUESTION_CHARS", "0")
    with pytest.raises(ConfigError, match="max_question_chars"):
        load_settings()


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("x" * 1_000_000, "the question is 1,000,000 characters long, over the limit of 2,000"),
        ("Who won\ud800?", "character 8 is a lone UTF-16 surrogate"),
        ("   ", "the question is empty"),
        (42, "the question must be text, not int"),
    ],
)
def test_questions_that_cannot_be_parsed_are_refused_first(question: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_question(question, 2000)


def test_clip_cuts_long_values_and_says_how_long() -> None:
    assert clip("2025-01-31") == "'2025-01-31'"
    long = clip("9" * 100_000)
    assert len(long) < 100 and "100,000 characters" in long


# ------------------------------------------------------------------ the settings reference

CONFIG_DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def _doc_rows() -> dict[str, list[str]]:
    """docs/configuration.md's table rows, by the name in their first column."""
    rows: dict[str, list[str]] = {}
    for line in CONFIG_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 3:
            rows[cells[0].strip("`")] = cells
    return rows


def _shown(name: str, default: object) -> str:
    """A default as the reference writes it."""
    if name == "prompts_dir":  # an absolute path inside the installed package
        return "assistant/prompt_files"
    if default is None:
        return "unset"
    return str(default).lower() if isinstance(default, bool) else f"`{default}`"


def test_every_setting_is_in_the_configuration_reference_with_its_variable_and_default() -> None:
    rows = _doc_rows()
    for name, info in Settings.model_fields.items():
        assert name in rows, f"docs/configuration.md has no row for the setting {name!r}"
        _, variable, default, meaning = rows[name][:4]
        alias = info.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else [f"ASSISTANT_{name.upper()}"]
        for env in names:
            assert f"`{str(env).upper()}`" in variable, (name, variable)
        assert _shown(name, info.default) in default, (name, default)
        assert meaning, name
    stale = set(rows) - set(Settings.model_fields) - set(OTHER_VARIABLES)
    assert not stale, f"docs/configuration.md documents settings that do not exist: {stale}"
    assert set(OTHER_VARIABLES) <= set(rows)
