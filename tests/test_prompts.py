"""Prompt files: their `$variables` are checked when loaded, and filled completely."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import ConfigError, Settings
from assistant.prompts import PROMPT_VARIABLES, Prompt, load_prompt

PROMPTS_DIR = Settings().prompts_dir


@pytest.mark.parametrize("name", ["system", "answer", "condense"])
def test_bundled_prompts_load_with_their_variables(name: str) -> None:
    prompt = load_prompt(name, PROMPTS_DIR)
    assert isinstance(prompt, Prompt)
    assert prompt.name == name
    assert prompt.variables == PROMPT_VARIABLES[name]


def test_bundled_prompts_dir_is_the_packages_prompt_files_folder() -> None:
    assert PROMPTS_DIR.name == "prompt_files" and PROMPTS_DIR.parent.name == "assistant"
    assert {p.stem for p in PROMPTS_DIR.glob("*.md")} >= {"system", "answer", "condense"}


def test_answer_prompt_fills_every_variable() -> None:
    text = load_prompt("answer", PROMPTS_DIR).format(
        today="2027-01-15",
        sources='<source id="1">The bridge will reopen on March 3, 2027.</source>',
        question="When will the bridge reopen?",
    )
    assert "2027-01-15" in text
    assert '<source id="1">' in text
    assert "When will the bridge reopen?" in text
    assert "$" not in text


def test_condense_prompt_fills_history_and_question() -> None:
    text = load_prompt("condense", PROMPTS_DIR).format(
        history="User: Who founded the Lantern Festival?\nAssistant: Marta Oyelaran [1].",
        question="When did she start it?",
    )
    assert "Marta Oyelaran" in text
    assert "When did she start it?" in text


def test_system_prompt_needs_no_values() -> None:
    text = load_prompt("system", PROMPTS_DIR).format()
    assert "[1]" in text
    assert "don't say" in text


def test_format_with_a_missing_value_raises_config_error() -> None:
    prompt = load_prompt("answer", PROMPTS_DIR)
    with pytest.raises(ConfigError, match="question"):
        prompt.format(today="2027-01-15", sources="")


def test_loaded_text_is_stripped_with_one_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "system.md").write_text("\n\n  Be brief.  \n\n\n", encoding="utf-8")
    prompt = load_prompt("system", tmp_path)
    assert prompt.format() == "Be brief.\n"


# --------------------------------------------------------------------------- bad prompt files


def _write_prompts(root: Path, **files: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / f"{name}.md").write_text(text, encoding="utf-8")
    return root


def test_unknown_variable_raises_config_error_at_load(tmp_path: Path) -> None:
    d = _write_prompts(tmp_path / "p", answer="Today $today\n$sources\nQ: $question\n$questoin")
    with pytest.raises(ConfigError) as info:
        load_prompt("answer", d)
    msg = str(info.value)
    assert "questoin" in msg
    assert "answer" in msg
    assert f"fix {d / 'answer.md'}" in msg  # the file to edit, wherever the folder is


def test_missing_variable_raises_config_error_at_load(tmp_path: Path) -> None:
    d = _write_prompts(tmp_path / "p", answer="Today $today\n$sources\n(no question here)")
    with pytest.raises(ConfigError, match="question"):
        load_prompt("answer", d)


def test_braced_variables_count(tmp_path: Path) -> None:
    d = _write_prompts(tmp_path / "p", condense="History:\n${history}\nLast: ${question}")
    prompt = load_prompt("condense", d)
    assert prompt.format(history="h", question="q") == "History:\nh\nLast: q\n"


def test_variable_in_system_prompt_is_rejected(tmp_path: Path) -> None:
    d = _write_prompts(tmp_path / "p", system="You answer about $topic.")
    with pytest.raises(ConfigError, match="topic"):
        load_prompt("system", d)


def test_missing_prompt_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"condense\.md"):
        load_prompt("condense", tmp_path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("answer", "$today $sources"),
        ("answer", "$today $sources $question $extra"),
        ("condense", "$question"),
        ("condense", "$history $question $today"),
        ("system", "$today"),
    ],
)
def test_prompt_constructor_checks_variables(name: str, text: str) -> None:
    with pytest.raises(ConfigError):
        Prompt(name, text)


def test_prompt_constructor_accepts_exact_variables() -> None:
    p = Prompt("answer", "$question / ${sources} / $today")
    assert p.variables == {"today", "sources", "question"}
    assert p.format(today="t", sources="s", question="q") == "q / s / t"


def test_escaped_dollar_is_not_a_variable() -> None:
    p = Prompt("system", "Prices such as $$5 are facts, not variables.")
    assert p.variables == frozenset()
    assert p.format() == "Prices such as $5 are facts, not variables."


def test_stray_dollar_fails_at_load_not_at_answer_time() -> None:
    """A lone `$` (not a variable) must not pass the load check and then crash `format`."""
    try:
        p = Prompt("system", "Prices such as $5 are facts.")
    except ConfigError:
        return  # rejected at load: fine
    assert p.format() == "Prices such as $5 are facts."


def test_values_containing_dollars_are_inserted_verbatim() -> None:
    p = Prompt("condense", "$history | $question")
    assert p.format(history="costs $question", question="$5?") == "costs $question | $5?"


def test_broken_prompts_dir_fails_the_llm_answerer_with_config_error(
    tmp_path: Path, make_assistant
) -> None:
    d = _write_prompts(
        tmp_path / "broken",
        system="Rules.",
        answer="$today $sources $question $oops",
        condense="$history $question",
    )

    class NeverCalled:
        def stream(self, messages):
            raise AssertionError("the backend must not be called with a broken prompt")

    a = make_assistant(answerer="llm", prompts_dir=d, chat_backend=NeverCalled())
    with pytest.raises(ConfigError, match="oops"):
        a.answerer("llm")
