"""Judged faithfulness and correctness: an LLM grades each answer, several times.

A `Judge` has one method, `judge(question, answer_text, sources, expected) -> JudgeScores`.
`LLMJudge` implements it with two prompts (`prompt_files/judge_faithfulness.md`,
`prompt_files/judge_correctness.md`) sent through the answerer's own `OpenAIChat`, so the judge
gets the same retries, timeouts and secret-free `LLMError`s as the answerer.

The judge replies with a JSON object holding a `score` (or at least a `score: N` line). A
reply that holds no score in range is *missing*: it is neither 0 nor 1, it is left out of
the means and counted in the report, because a verdict we cannot read says nothing about
the answer.

`AnswerJudging` decides what needs a judge at all (an abstention claims nothing; whether an
abstain question was abstained on is known without one) and runs the judge N times.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from assistant.answering.llm import FALLBACK_HINT, ChatBackend, OpenAIChat, complete
from assistant.config import Settings
from assistant.errors import ConfigError, LLMError
from assistant.evals.metrics import JudgedRecord
from assistant.evals.suite import Question
from assistant.prompts import load_prompt
from assistant.types import Answer, FrozenModel

__all__ = [
    "CORRECTNESS_SCALE",
    "FAITHFULNESS_SCALE",
    "AnswerJudging",
    "Judge",
    "JudgeScores",
    "LLMJudge",
    "Passage",
    "expected_answers",
    "format_passages",
    "judge_settings",
    "parse_score",
]

logger = logging.getLogger(__name__)

# (lowest, highest) score each prompt asks for; both are normalised to 0..1.
FAITHFULNESS_SCALE = (0.0, 1.0)
CORRECTNESS_SCALE = (1.0, 5.0)

# Settings the judge takes from the suite and from run_suite's keyword arguments.
_LLM_KEYS = frozenset(
    {
        "openai_api_key",
        "openai_base_url",
        "llm_model",
        "llm_temperature",
        "llm_timeout",
        "llm_max_retries",
        "prompts_dir",
    }
)


class Passage(FrozenModel):
    """A passage the answer cites, under the number its `[n]` markers use."""

    number: int
    text: str
    title: str = ""
    published: str | None = None


class JudgeScores(FrozenModel):
    """One judging of one answer. None: not judged (nothing to judge) or missing."""

    faithfulness: float | None = None
    correctness: float | None = None
    faithfulness_reason: str = ""
    correctness_reason: str = ""
    # Verdicts asked for but not readable, e.g. "correctness: no score in 'I think so'".
    missing: tuple[str, ...] = ()


@runtime_checkable
class Judge(Protocol):
    """Grades an answer: faithfulness to `sources`, correctness against `expected`.

    Empty `sources`: faithfulness is not judged (None). Empty `expected`: nor is correctness.
    Both scores are 0..1.
    """

    def judge(
        self,
        question: str,
        answer_text: str,
        sources: Sequence[Passage],
        expected: Sequence[str],
    ) -> JudgeScores: ...


# ---------------------------------------------------------------- parsing

_FENCE = re.compile(r"^```[a-z]*\s*|\s*```$", re.I | re.M)
_SCORE_LINE = re.compile(
    r"^[\s*#>-]*score\**\s*[:=]\s*\**\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*\d+(?:\.\d+)?)?\**\s*$",
    re.I | re.M,
)


def _json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text` with a "score" (models wrap it in prose or fences)."""
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, m.start())
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "score" in obj:
            return obj
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):  # True is an int to Python, but not a score
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def parse_score(raw: str, scale: tuple[float, float]) -> tuple[float | None, str, str]:
    """(score normalised to 0..1, the judge's reason, problem) from a judge's reply.

    Read: a JSON object with "score" (and "reason"), else a line "score: N" (or "N/5").
    A score outside `scale`, or none at all, gives (None, "", what was wrong).
    """
    text = _FENCE.sub("", raw.strip())
    value: float | None = None
    reason = ""
    obj = _json_object(text)
    if obj is not None:
        value = _number(obj["score"])
        reason = str(obj.get("reason") or "").strip()
    if value is None:
        m = _SCORE_LINE.search(text)
        if m:
            value = float(m.group(1))
    if value is None:
        return None, "", f"no score in the judge's reply {_clip(raw)!r}"
    lo, hi = scale
    if not lo <= value <= hi:
        return None, "", f"score {value:g} is outside {lo:g}..{hi:g}"
    return (value - lo) / (hi - lo), reason, ""


def _question_in_context(q: Question) -> str:
    """A follow-up with the turns before it: alone, "Which festival did she open?" is vague."""
    if not q.history:
        return q.question
    earlier = " / ".join(q.history)
    return f"{q.question} (asked after: {earlier})"


def _clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------- the LLM judge


def format_passages(sources: Sequence[Passage]) -> str:
    blocks = []
    for p in sources:
        # Escaped so a passage cannot close its fence and speak to the judge.
        attrs = f'n="{p.number}"'
        if p.title:
            attrs += f' title="{html.escape(p.title)}"'
        if p.published:
            attrs += f' published="{html.escape(p.published)}"'
        blocks.append(f"<passage {attrs}>\n{html.escape(p.text, quote=False)}\n</passage>")
    return "\n\n".join(blocks)


def expected_answers(q: Question) -> tuple[str, ...]:
    """The suite's expected answer in words, one acceptable answer per line."""
    need = "all of: " + "; ".join(q.all_of) if q.all_of else ""
    if q.answers:
        return tuple(f"{a} (and {need})" if need else a for a in q.answers)
    return (need,) if need else ()


class LLMJudge:
    """`Judge` asking a chat model with the two prompts in `assistant/prompt_files/`."""

    def __init__(self, backend: ChatBackend, prompts_dir: Path) -> None:
        self.backend = backend
        # Loaded now, so a broken prompt file fails the run before any answer is asked.
        self._faithfulness = load_prompt("judge_faithfulness", prompts_dir)
        self._correctness = load_prompt("judge_correctness", prompts_dir)

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMJudge:
        return cls(OpenAIChat(settings), settings.prompts_dir)

    def judge(
        self,
        question: str,
        answer_text: str,
        sources: Sequence[Passage],
        expected: Sequence[str],
    ) -> JudgeScores:
        answer = html.escape(answer_text.strip(), quote=False)
        q = html.escape(question, quote=False)
        out: dict[str, Any] = {}
        missing = []
        if sources:
            prompt = self._faithfulness.format(
                question=q, answer=answer, passages=format_passages(sources)
            )
            score, reason, problem = parse_score(self._ask(prompt), FAITHFULNESS_SCALE)
            out.update(faithfulness=score, faithfulness_reason=reason)
            if problem:
                missing.append(f"faithfulness: {problem}")
        if expected:
            lines = "\n".join(f"- {html.escape(e, quote=False)}" for e in expected)
            prompt = self._correctness.format(question=q, answer=answer, expected=lines)
            score, reason, problem = parse_score(self._ask(prompt), CORRECTNESS_SCALE)
            out.update(correctness=score, correctness_reason=reason)
            if problem:
                missing.append(f"correctness: {problem}")
        return JudgeScores(**out, missing=tuple(missing))

    def _ask(self, prompt: str) -> str:
        return complete(self.backend, [{"role": "user", "content": prompt}])


def judge_settings(
    shared: dict[str, Any], overrides: dict[str, Any], model: str | None = None
) -> Settings:
    """The judge's `Settings`: the environment's, then the suite's shared settings, then
    run_suite's keyword arguments (LLM keys only), then `model`."""
    base = overrides.get("settings")
    base = base if isinstance(base, Settings) else Settings()
    llm = {k: v for src in (shared, overrides) for k, v in src.items() if k in _LLM_KEYS}
    if model:
        llm["llm_model"] = model
    try:
        return Settings.model_validate({**base.model_dump(), **llm})
    except ValueError as exc:
        raise ConfigError(f"invalid judge settings: {exc}") from exc


# ---------------------------------------------------------------- judging an answer N times


class AnswerJudging:
    """Judges each answer `runs` times and keeps what a `JudgedRecord` needs.

    Until the judge has given one verdict, an `LLMError` stops the run: an unreachable judge
    would otherwise cost every retry on every question and report nothing but gaps. After
    that, a failed call counts as missing, like an unreadable verdict.
    """

    def __init__(self, judge: Judge, runs: int) -> None:
        if runs < 1:
            raise ConfigError(f"judge runs must be at least 1, not {runs}")
        self.judge = judge
        self.runs = runs
        self._answered = False

    def __call__(
        self, q: Question, answer: Answer, sources: Sequence[Passage], *, failed: bool = False
    ) -> JudgedRecord:
        faith: list[float | None] = []
        corr: list[float | None] = []
        notes: list[str] = []
        missing: list[str] = []
        if failed:
            # The answer is an error message: wrong, and with no claims to check.
            return JudgedRecord(
                faithfulness=(None,) * self.runs,
                correctness=(0.0,) * self.runs,
                notes=("not judged: answering failed",),
            )
        # What is known without a judge, the same in every run.
        fixed_corr: float | None = None
        if not q.answerable:
            fixed_corr = float(answer.abstained)  # the right answer is to abstain
        elif answer.abstained:
            fixed_corr = 0.0  # abstaining on an answerable question is wrong
        fixed_faith: float | None = None
        ask_faith = not answer.abstained and bool(sources)
        if not answer.abstained and not sources:
            fixed_faith = 0.0  # claims with no cited passage: none is supported by one
            notes.append("faithfulness 0: the answer cites no passage")
        ask_corr = fixed_corr is None
        for run in range(1, self.runs + 1):
            f, c = fixed_faith, fixed_corr
            if ask_faith or ask_corr:
                s = self._judge_once(q, answer, sources if ask_faith else (), ask_corr)
                if s is None:
                    missing += [f"run {run}: judge failed"]
                else:
                    f = s.faithfulness if ask_faith else f
                    c = s.correctness if ask_corr else c
                    missing += [f"run {run} {m}" for m in s.missing]
                    if s.faithfulness_reason:
                        notes.append(f"run {run} faithfulness: {_clip(s.faithfulness_reason, 200)}")
                    if s.correctness_reason:
                        notes.append(f"run {run} correctness: {_clip(s.correctness_reason, 200)}")
            faith.append(f)
            corr.append(c)
        for m in missing:
            logger.warning("%s: judge verdict missing: %s", q.id, m)
        return JudgedRecord(
            faithfulness=tuple(faith),
            correctness=tuple(corr),
            missing=tuple(missing),
            notes=tuple(notes),
        )

    def _judge_once(
        self, q: Question, answer: Answer, sources: Sequence[Passage], ask_corr: bool
    ) -> JudgeScores | None:
        expected = expected_answers(q) if ask_corr else ()
        try:
            scores = self.judge.judge(_question_in_context(q), answer.text, sources, expected)
        except LLMError as exc:
            reason = str(exc).removesuffix(FALLBACK_HINT)
            if not self._answered:
                raise LLMError(f"the judge failed: {reason}") from None
            logger.warning("%s: the judge failed: %s", q.id, reason)
            return None
        self._answered = True
        return scores
