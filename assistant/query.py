"""`Query`: one question and every option it is asked with, checked once where it is built.

The CLI, the UI, the HTTP API and `Assistant.ask` all build a `Query` (`Query.build`) and
pass it down whole: retrieval reads its filters and its time priors from it, the answer step
its mode, so no option is threaded through the layers by hand. Building it checks the dates
(and their order), the history and the modes, with one set of error messages; each surface
only says what it calls the date options (`OptionNames`: `--as-of` on the command line,
“As of” in the UI, `as_of` in Python and the HTTP API).

`as_of` is the one name for the assistant's "today": the day "this week" is counted back
from, and the latest publication date searched (none: today, and no upper bound).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from assistant.conversation import HistoryItem, Turn, as_turns
from assistant.errors import CLIP_CHARS, ConfigError, clip
from assistant.filters import Filters
from assistant.temporal import DEFAULT_PRIORS, TimePriors, TimeWindow, time_window

__all__ = [
    "ANSWER_MODES",
    "CLI_NAMES",
    "MAX_HISTORY_TURN_CHARS",
    "RETRIEVAL_MODES",
    "UI_NAMES",
    "History",
    "OptionNames",
    "Query",
    "check_question",
    "check_text",
]

# Earlier turns, oldest first: `Answer`s, `Turn`s or (question, answer text) pairs.
History: TypeAlias = Sequence[HistoryItem]
RetrievalMode = Literal["hybrid", "dense", "bm25"]

# The answer modes a call can ask for (`ask(..., answerer=...)`).
ANSWER_MODES = ("extractive", "llm")
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = ("hybrid", "dense", "bm25")

# The longest turn of a conversation's history taken (a question or an answer): far above
# any answer, far below what the language pipeline parses at once (spaCy's 1,000,000).
MAX_HISTORY_TURN_CHARS = 100_000


def check_text(text: object, what: str, limit: int) -> None:
    """Refuse `text` that cannot be parsed: not a string, over `limit` characters, or with
    a lone surrogate (which JSON can carry but no UTF-8 text can, so every parser fails)."""
    if not isinstance(text, str):
        raise ConfigError(f"{what} must be text, not {type(text).__name__}")
    if len(text) > limit:
        raise ConfigError(
            f"{what} is {len(text):,} characters long, over the limit of {limit:,}"
            + (" (ASSISTANT_MAX_QUESTION_CHARS)" if what == "the question" else "")
            + "; shorten it"
        )
    bad = next((i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff"), None)
    if bad is not None:
        raise ConfigError(
            f"{what} is not valid text: character {bad + 1} is a lone UTF-16 surrogate "
            f"({text[bad]!a}); send it as UTF-8 text"
        )


def check_question(question: object, limit: int) -> None:
    """Refuse an empty question, or one `check_text` refuses, before anything parses it."""
    check_text(question, "the question", limit)
    if not str(question).strip():
        raise ConfigError("the question is empty")


@dataclass(frozen=True)
class OptionNames:
    """What a surface calls the date options in its error messages, and how it quotes the
    value it refuses (`quotes` None: as Python writes it, `'July'`)."""

    as_of: str = "as_of"
    since: str = "since"
    until: str = "until"
    quotes: tuple[str, str] | None = None

    def shown(self, value: object) -> str:
        if self.quotes is None:
            return clip(value)
        text = str(value)
        cut = text if len(text) <= CLIP_CHARS else f"{text[:CLIP_CHARS]}…"
        return f"{self.quotes[0]}{cut}{self.quotes[1]}"


API_NAMES = OptionNames()
CLI_NAMES = OptionNames(as_of="--as-of", since="--since", until="--until")
UI_NAMES = OptionNames(as_of="“As of”", since="“Since”", until="“Until”", quotes=("“", "”"))


def _day(value: object, name: str, names: OptionNames) -> dt.date | None:
    """`value` as a date: a date, an ISO date text (spaces around it allowed) or empty."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    label = getattr(names, name)
    raise ConfigError(f"{label} must be a date like 2025-01-31, not {names.shown(value)}")


def _names(value: object, what: str) -> tuple[str, ...]:
    """Outlet names or doc ids as a tuple (one name alone is taken as a list of one)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Sequence | set | frozenset) or not all(
        isinstance(v, str) for v in value
    ):
        raise ConfigError(f"{what} must be a list of texts, not {clip(value)}")
    return tuple(value)


def _history(value: object) -> tuple[Turn, ...]:
    if not value:
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ConfigError("history must be a list of (question, answer) pairs or Answers")
    turns = as_turns(value)
    for turn in turns:
        for said in (turn.question, turn.answer, turn.short, turn.standalone, turn.candidate):
            check_text(said, "a turn of the history", MAX_HISTORY_TURN_CHARS)
    return turns


@dataclass(frozen=True)
class Query:
    """A question and the options it is asked with (None: the assistant's setting).

    as_of: the assistant's "today" ("this week" is the week before it) and the latest
    publication date searched; since/until: a publication range; include_undated: with any
    date bound, search articles without a date too; sources, doc_ids: only these outlets or
    articles; top_k: how many articles to answer from; retrieval_mode: hybrid, dense or
    bm25; answerer: extractive or llm; time_priors: how much an article's closeness to the
    time the question asks about counts in ranking (`assistant.temporal`).

    Built directly, it is checked as `Query.build` checks it, with the Python names."""

    question: str
    # Earlier turns (`Turn`s made from `Answer`s or (question, answer) pairs), oldest first.
    history: tuple[Turn, ...] = ()
    as_of: dt.date | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    include_undated: bool = False
    sources: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    top_k: int | None = None
    retrieval_mode: RetrievalMode | None = None
    answerer: str | None = None
    time_priors: TimePriors = DEFAULT_PRIORS

    def __post_init__(self) -> None:
        checked = _checked(vars(self), API_NAMES)
        for key, value in checked.items():
            if value is not getattr(self, key):
                object.__setattr__(self, key, value)

    @classmethod
    def build(
        cls,
        question: str,
        *,
        names: OptionNames = API_NAMES,
        **options: Any,
    ) -> Query:
        """The query of `question` with `options` (the fields above, as dates or texts like
        2025-01-31); a `ConfigError` names the option as `names` say it and what is wrong."""
        unknown = set(options) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown query option {sorted(unknown)[0]!r}")
        return cls(**_checked({"question": question, **options}, names))

    def replace(self, **changes: Any) -> Query:
        """This query with `changes` (checked again)."""
        return dataclasses.replace(self, **changes)

    @property
    def filters(self) -> Filters:
        """Which articles it may be answered from: its options of the filters' names."""
        return Filters(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Filters)})

    def time_window(self, question: str | None = None) -> TimeWindow:
        """The time `question` (default: this query's) asks about, relative to `as_of`, with
        this query's priors and date filters."""
        window = time_window(question or self.question, self.as_of, self.time_priors)
        dates = ("as_of", "since", "until", "include_undated")
        return window.with_filters(**{name: getattr(self, name) for name in dates})


def _checked(options: dict[str, Any], names: OptionNames) -> dict[str, Any]:
    """`options` with dates parsed and sequences made tuples; raises a `ConfigError` for
    the first bad one."""
    out = dict(options)
    if not isinstance(out.get("question"), str):
        raise ConfigError(f"the question must be text, not {type(out.get('question')).__name__}")
    as_of = _day(out.get("as_of"), "as_of", names)
    since = _day(out.get("since"), "since", names)
    until = _day(out.get("until"), "until", names)
    if since is not None and until is not None and since > until:
        raise ConfigError(
            f"{names.since} {since} is after {names.until} {until}: no day is in that range"
        )
    if since is not None and as_of is not None and since > as_of:
        raise ConfigError(
            f"{names.since} {since} is after {names.as_of} {as_of}: no article can be that recent"
        )
    out.update(as_of=as_of, since=since, until=until)
    if "history" in out:
        out["history"] = _history(out["history"])
    for key in ("sources", "doc_ids"):
        if key in out:
            out[key] = _names(out[key], key)
    if not isinstance(out.get("include_undated", False), bool):
        raise ConfigError(
            f"include_undated must be true or false, not {clip(out['include_undated'])}"
        )
    top_k = out.get("top_k")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ConfigError(f"top_k must be a whole number of at least 1, not {clip(top_k)}")
    for key in ("retrieval_mode", "answerer"):  # "": the setting, as None
        if out.get(key) == "":
            out[key] = None
    mode = out.get("retrieval_mode")
    if mode is not None and mode not in RETRIEVAL_MODES:
        raise ConfigError(
            f"unknown retrieval mode {mode!r}: use {', '.join(RETRIEVAL_MODES[:-1])} "
            f"or {RETRIEVAL_MODES[-1]}"
        )
    answerer = out.get("answerer")
    if answerer is not None and answerer not in ANSWER_MODES:
        raise ConfigError(f"unknown answer mode {answerer!r}: use {' or '.join(ANSWER_MODES)}")
    if not isinstance(out.get("time_priors", DEFAULT_PRIORS), TimePriors):
        raise ConfigError("time_priors must be an assistant.temporal.TimePriors")
    return out
