"""Prompts are files in `assistant/prompt_files/` (or `ASSISTANT_PROMPTS_DIR`); each one's
`$variables` are checked when it is loaded."""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from assistant.errors import ConfigError

__all__ = ["PROMPT_VARIABLES", "Prompt", "load_prompt"]

# The variables each prompt must use: no more (typos), no fewer (forgotten context).
PROMPT_VARIABLES: dict[str, frozenset[str]] = {
    "system": frozenset(),
    "answer": frozenset({"today", "sources", "question"}),
    "condense": frozenset({"history", "question"}),
    # The eval judge's (assistant/evals/judge.py).
    "judge_faithfulness": frozenset({"question", "answer", "passages"}),
    "judge_correctness": frozenset({"question", "answer", "expected"}),
}


class Prompt:
    def __init__(self, name: str, text: str, path: Path | None = None) -> None:
        self.name = name
        where = path if path is not None else f"{name}.md"
        self.template = string.Template(text)
        found = {
            m.group("named") or m.group("braced")
            for m in self.template.pattern.finditer(text)
            if m.group("named") or m.group("braced")
        }
        if any(m.group("invalid") is not None for m in self.template.pattern.finditer(text)):
            raise ConfigError(
                f"prompt {name!r} has a lone '$' (write $$ for a dollar sign); fix {where}"
            )
        expected = PROMPT_VARIABLES.get(name, frozenset(found))
        if found != expected:
            raise ConfigError(
                f"prompt {name!r} uses variables {sorted(found)} but the code fills "
                f"{sorted(expected)}; fix {where}"
            )
        self.variables = frozenset(found)

    def format(self, **values: str) -> str:
        missing = self.variables - values.keys()
        if missing:
            raise ConfigError(f"prompt {self.name!r} needs values for {sorted(missing)}")
        return self.template.substitute(values)


@lru_cache(maxsize=32)
def load_prompt(name: str, directory: Path) -> Prompt:
    path = Path(directory) / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read prompt file {path}: {exc}") from exc
    return Prompt(name, text.strip() + "\n", path)
