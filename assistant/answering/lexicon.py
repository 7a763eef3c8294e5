"""The answerer's word lists, read from a package data file (data/lexicon.json) and checked
at load, so a broken edit fails on import with the file and key named, not mid-question.

Lists of general English and geography only: what "how long" asks for, which nouns only
say what kind of thing is meant, country names. Nothing here may name a benchmark's question
or answer; the learned model (model.py) weighs what these lists signal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from assistant.errors import ConfigError

__all__ = ["LEXICON", "Lexicon", "load_lexicon"]

_FILE = "data/lexicon.json"


@dataclass(frozen=True)
class Lexicon:
    # "How X" -> the entity labels that answer it, best first.
    how: dict[str, tuple[str, ...]]
    # Words that make "what ..." ask for an amount of money.
    money_words: frozenset[str]
    # Nouns that only say what the noun after "of" is ("what kind of tree" asks for a tree).
    generic_nouns: frozenset[str]
    # "What happened/caused ..." asks for an event, not a thing.
    event_verbs: frozenset[str]
    # "What did X do/say?": the verbs whose object is an action or a statement, which a
    # passage answers and no single value does.
    action_verbs: frozenset[str]
    # Units of time ("how long ... days"): a duration, not a length.
    time_units: frozenset[str]
    # Number words and their size ("2.5 million").
    scale_words: dict[str, float]
    # An entity label as the abstention names what is missing ("a date").
    label_words: dict[str, str]
    # Country, US-state and continent names, casefolded.
    places: frozenset[str]


def _strings(data: dict[str, Any], key: str) -> frozenset[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{_FILE}: '{key}' must be a list of non-empty strings")
    return frozenset(value)


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{_FILE}: '{key}' must be a non-empty object")
    return value


def load_lexicon(text: str | None = None) -> Lexicon:
    """The lexicon from `text` (JSON), or from the packaged file."""
    if text is None:
        text = (files("assistant.answering") / _FILE).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{_FILE}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{_FILE}: must hold one JSON object")
    how = _mapping(data, "how")
    scale = _mapping(data, "scale_words")
    label_words = _mapping(data, "label_words")
    places = _mapping(data, "places")
    if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in how.values()):
        raise ConfigError(f"{_FILE}: every 'how' entry must be a list of entity labels")
    if not all(isinstance(v, int | float) and v > 0 for v in scale.values()):
        raise ConfigError(f"{_FILE}: every 'scale_words' value must be a positive number")
    if not all(isinstance(v, str) and v for v in label_words.values()):
        raise ConfigError(f"{_FILE}: every 'label_words' value must be a non-empty string")
    names: set[str] = set()
    for group in ("countries", "states", "continents"):
        names |= {n.casefold() for n in _strings(places, group)}
    return Lexicon(
        how={k: tuple(v) for k, v in how.items()},
        money_words=_strings(data, "money_words"),
        generic_nouns=_strings(data, "generic_nouns"),
        event_verbs=_strings(data, "event_verbs"),
        action_verbs=_strings(data, "action_verbs"),
        time_units=_strings(data, "time_units"),
        scale_words={k: float(v) for k, v in scale.items()},
        label_words=dict(label_words),
        places=frozenset(names),
    )


LEXICON = load_lexicon()
