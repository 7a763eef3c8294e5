"""Evaluation suites: the YAML format of evals/*.yaml and the rtqa benchmark loader."""

from __future__ import annotations

import datetime as dt
import json
import logging
import unicodedata
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from assistant.errors import ConfigError
from assistant.types import FrozenModel

__all__ = [
    "QTYPES",
    "Question",
    "QuestionType",
    "Suite",
    "contains",
    "load_rtqa",
    "load_rtqa_weeks",
    "load_suite",
    "norm",
]

logger = logging.getLogger(__name__)

QuestionType = Literal["fact", "multihop", "conflict", "followup", "abstain"]
QTYPES: tuple[str, ...] = ("fact", "multihop", "conflict", "followup", "abstain")


def norm(s: str) -> str:
    """The rtqa README's normalisation: NFKC, case-fold, punctuation/symbols to spaces."""
    s = unicodedata.normalize("NFKC", s).casefold()
    return " ".join("".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in s).split())


def contains(response: str, phrase: str) -> bool:
    """Whole-word match after `norm`: a bare substring test finds "ups" inside "groups"."""
    p = norm(phrase)
    return bool(p) and f" {p} " in f" {norm(response)} "


def _default_configs() -> dict[str, dict[str, Any]]:
    return {"default": {}}


class Question(FrozenModel):
    """One question of a suite and what a correct answer looks like."""

    id: str
    question: str
    type: QuestionType = "fact"
    # Any one of `answers` must appear; every one of `all_of` must appear too.
    answers: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    sources: tuple[str, ...] = Field(default=(), description="Expected doc ids.")
    as_of: str | None = None
    history: tuple[str, ...] = Field(default=(), description="Prior user turns, asked first.")
    # A follow-up's conversation kind (pronoun, ellipsis, event, newsubject, unanswerable...):
    # its metrics are also reported (and can be gated) per kind, as `metric[kind]`.
    kind: str = Field(default="", pattern=r"^[a-z]*$")
    # The standalone question must name one of `antecedent` (what the follow-up refers to)
    # and none of `not_antecedent` (the old subject a change of subject must not inherit).
    antecedent: tuple[str, ...] = ()
    not_antecedent: tuple[str, ...] = ()

    @field_validator(
        "answers", "all_of", "sources", "history", "antecedent", "not_antecedent", mode="before"
    )
    @classmethod
    def _strings(cls, v: Any) -> Any:
        # YAML reads `answers: [132]` as a number and `answers: Istanbul` as a lone string.
        if isinstance(v, str | int | float):
            v = [v]
        return [str(x) for x in v] if isinstance(v, list | tuple) else v

    @field_validator("id", "as_of", mode="before")
    @classmethod
    def _string(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | dt.date) else v

    @model_validator(mode="after")
    def _check(self) -> Question:
        if self.type == "abstain":
            if self.answers or self.all_of:
                raise ValueError(f"{self.id}: an abstain question has no answers")
        elif not (self.answers or self.all_of):
            raise ValueError(f"{self.id}: give `answers` and/or `all_of`")
        if self.type == "followup" and not self.history:
            raise ValueError(f"{self.id}: a followup question needs `history`")
        if (self.antecedent or self.not_antecedent) and not self.history:
            raise ValueError(f"{self.id}: `antecedent` applies to a question with `history`")
        return self

    @property
    def answerable(self) -> bool:
        return self.type != "abstain"


class Suite(FrozenModel):
    """A named set of questions over a corpus, with configurations to compare and CI gates."""

    name: str
    corpus: tuple[Path, ...]
    questions: tuple[Question, ...]
    # Only these article ids of the corpus's .jsonl files are ingested (empty: all), so a
    # suite can ask about a few articles of a large benchmark corpus without indexing it all.
    articles: tuple[str, ...] = ()
    # metric -> minimum (latency_* metrics: maximum). Flat keys gate the first config; a key
    # naming a config holds that config's own mapping. `metric[type]` gates one question type.
    thresholds: dict[str, Any] = Field(default_factory=dict)
    configs: dict[str, dict[str, Any]] = Field(default_factory=_default_configs)
    # Overrides shared by every config (e.g. answerer: extractive, for reproducible numbers).
    settings: dict[str, Any] = Field(default_factory=dict)
    skipped: dict[str, int] = Field(default_factory=dict, description="reason -> count")
    path: Path | None = None

    @model_validator(mode="after")
    def _check(self) -> Suite:
        ids = [q.id for q in self.questions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate question ids: {dupes}")
        if not self.configs:
            raise ValueError("`configs` is empty")
        return self

    def gates(self, config: str) -> dict[str, float]:
        """The thresholds that apply to `config`."""
        first = next(iter(self.configs))
        out: dict[str, float] = {}
        for key, value in self.thresholds.items():
            if isinstance(value, dict):
                if key == config:
                    out.update({k: float(v) for k, v in value.items()})
            elif config == first:
                out[key] = float(value)
        return out


def load_suite(source: str | Path | dict[str, Any] | Suite) -> Suite:
    """A `Suite` from a YAML file, a dict shaped like one, or a `Suite` (returned as is)."""
    if isinstance(source, Suite):
        return source
    base = Path.cwd()
    path: Path | None = None
    if isinstance(source, dict):
        data = dict(source)
    else:
        path = Path(source)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read suite {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"suite {path} is not a YAML mapping")
        base = path.resolve().parent
    corpus = data.get("corpus") or []
    if isinstance(corpus, str):
        corpus = [corpus]
    # Corpus paths are relative to the suite file, so a suite runs from any working directory.
    data["corpus"] = [(base / p).resolve() for p in corpus]
    data.setdefault("name", path.stem if path else "suite")
    data["path"] = path
    if data.get("configs") is None:
        data.pop("configs", None)
    try:
        if "conversations" in data:
            from assistant.evals.conversations import expand_conversations

            data["questions"] = [
                *(data.get("questions") or []),
                *expand_conversations(data.pop("conversations")),
            ]
        return Suite.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"invalid suite {path or data['name']}: {exc}") from exc


def _rtqa_questions(
    records: list[dict[str, Any]], source: Path
) -> tuple[list[Question], dict[str, int]]:
    """The questions of `records` (read from `source`); a record repeated word for word is
    asked once and counted in `skipped` (rtqa-weeks lists two of its questions twice), one
    id given to two different questions is an error naming the file and the id."""
    qs: list[Question] = []
    skipped: dict[str, int] = {}
    seen: dict[str, dict[str, Any]] = {}
    for rec in records:
        qid = str(rec.get("id"))
        if qid in seen:
            if seen[qid] != rec:
                raise ConfigError(
                    f"{source}: question id {qid} is given to two different questions; "
                    "each question needs its own id"
                )
            skipped["duplicate"] = skipped.get("duplicate", 0) + 1
            continue
        seen[qid] = rec
        if rec.get("needs_choices"):
            skipped["needs_choices"] = skipped.get("needs_choices", 0) + 1
            continue
        if rec.get("type") == "abstain":
            qs.append(
                Question(
                    id=str(rec["id"]),
                    question=rec["question"],
                    type="abstain",
                    as_of=rec.get("question_date"),
                )
            )
        else:
            qs.append(
                Question(
                    id=str(rec["id"]),
                    question=rec["question"],
                    type="fact",
                    answers=(str(rec["answer"]),),
                    sources=tuple(rec.get("gold_doc_ids") or ()),
                    as_of=rec.get("question_date"),
                )
            )
    return qs, skipped


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{n}: not JSON: {exc}") from exc
    return out


def select_weeks(available: list[str], spec: str) -> list[str]:
    """The weeks a `--weeks` spec names, in order: "all", a year ("2024"), several years or
    weeks separated by commas ("2023,20240105"), each optionally cut to its first N weeks
    ("2024:10")."""
    chosen: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        head, _, count = part.partition(":")
        if head == "all":
            head = ""
        found = [w for w in available if w.startswith(head)]
        if not found:
            raise ConfigError(
                f"--weeks {spec!r}: no week matches {head!r} (weeks run from "
                f"{available[0]} to {available[-1]})"
                if available
                else f"--weeks {spec!r}: the benchmark folder holds no weeks"
            )
        if count:
            if not count.isdigit() or int(count) < 1:
                raise ConfigError(f"--weeks {spec!r}: {count!r} is not a number of weeks")
            found = found[: int(count)]
        chosen += [w for w in found if w not in chosen]
    return chosen


def load_rtqa_weeks(
    folder: str | Path,
    weeks: str = "all",
    *,
    configs: dict[str, dict[str, Any]] | None = None,
) -> list[Suite]:
    """The rtqa-weeks benchmark (shared/bench/rtqa-weeks/README.md) as one `Suite` per week:
    that week's corpus and questions, asked as of each question's date."""
    root = Path(folder)
    qpath = root / "weeks.jsonl"
    if not qpath.is_file():
        raise ConfigError(
            f"rtqa-weeks questions not found at {qpath}: pass the benchmark's folder with "
            "--rtqa-weeks DIR"
        )
    by_week: dict[str, list[dict[str, Any]]] = {}
    for rec in _read_jsonl(qpath):
        by_week.setdefault(str(rec.get("week")), []).append(rec)
    suites: list[Suite] = []
    for week in select_weeks(sorted(by_week), weeks):
        corpus = root / "corpus" / f"{week}.jsonl"
        if not corpus.is_file():
            raise ConfigError(f"rtqa-weeks: the corpus of week {week} is missing ({corpus})")
        qs, skipped = _rtqa_questions(by_week[week], qpath)
        suites.append(
            Suite(
                name=f"rtqa-weeks {week}",
                corpus=(corpus,),
                questions=tuple(qs),
                configs=configs or {"hybrid": {"retrieval_mode": "hybrid"}},
                settings={"answerer": "extractive"},
                skipped=skipped,
            )
        )
    return suites


def load_rtqa(
    corpus: str | Path,
    questions: str | Path,
    *,
    configs: dict[str, dict[str, Any]] | None = None,
    thresholds: dict[str, Any] | None = None,
) -> Suite:
    """The rtqa benchmark (see shared/bench/rtqa/README.md) as a `Suite`, read at run time.

    `needs_choices` questions only make sense with the quiz choices shown, so they are
    skipped and counted in `Suite.skipped`.
    """
    qs, skipped = _rtqa_questions(_read_jsonl(Path(questions)), Path(questions))
    logger.info("rtqa: %d questions, skipped %s", len(qs), skipped or "none")
    return Suite(
        name="rtqa",
        corpus=(Path(corpus),),
        questions=tuple(qs),
        configs=configs or {"hybrid": {"retrieval_mode": "hybrid"}},
        settings={"answerer": "extractive"},
        thresholds=thresholds or {},
        skipped=skipped,
    )
