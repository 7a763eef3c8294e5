"""Per-question scores and their aggregates.

String matching and ids only, except the optional `judged_*` metrics, which an LLM judge
(assistant/evals/judge.py) gives and which are aggregated here like the others.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate, Recall

from assistant.evals.suite import QTYPES, Question, contains
from assistant.types import Answer, Article, FrozenModel

__all__ = [
    "CURVE_THRESHOLDS",
    "JUDGED",
    "METRICS",
    "CitationRecord",
    "JudgedRecord",
    "QuestionResult",
    "aggregate",
    "answer_correct",
    "by_type",
    "citation_scores",
    "confidence_curve",
    "higher_is_better",
    "judged_aggregate",
    "percentile",
    "precision_coverage",
    "quote_validity",
    "retrieval_scores",
    "score_question",
]

# Every aggregate metric, in report order. `accuracy`: acc_short on answerable questions and
# abstaining on abstain ones. time_recent / time_dated: the share of questions ranked for the
# latest news ("this week", "recently") / for a span before the reference date ("in 2020"),
# read from the question (the rest name no time). latency_* are milliseconds (lower is better).
# The per-question scores whose aggregate is their mean over the questions they apply to.
MEAN_SCORES: tuple[str, ...] = (
    "hit@1",
    "hit@2",
    "hit@5",
    "mrr@10",
    "recall@5",
    "time_recent",
    "time_dated",
    "acc_short",
    "short_precision",
    "acc_text",
    "cite_precision",
    "cite_recall",
    "antecedent",
)
METRICS: tuple[str, ...] = (
    "accuracy",
    *MEAN_SCORES,
    "wrong_short",
    "quote_valid",
    "abstain_precision",
    "abstain_recall",
    "abstain_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "judged_faithfulness",
    "judged_correctness",
)

# The metrics an LLM judge gives (run_suite(judge_runs=N)). Each comes with `<name>_sd`, the
# standard deviation of the run means across the N runs, since judged scores vary.
JUDGED: tuple[str, ...] = ("judged_faithfulness", "judged_correctness")


def higher_is_better(metric: str) -> bool:
    return not metric.startswith("latency") and metric != "wrong_short"


class CitationRecord(FrozenModel):
    number: int
    doc_id: str
    quote: str
    start: int
    end: int
    valid: bool
    expected: bool


class JudgedRecord(FrozenModel):
    """The judge's verdicts on one answer: one score per run (0..1, None: not judged/missing)."""

    faithfulness: tuple[float | None, ...] = ()
    correctness: tuple[float | None, ...] = ()
    # Verdicts asked for that could not be read or did not come ("run 2 correctness: ...").
    missing: tuple[str, ...] = ()
    # The judge's reasons, and what was scored without asking it.
    notes: tuple[str, ...] = ()

    @property
    def runs(self) -> int:
        return max(len(self.faithfulness), len(self.correctness))


class QuestionResult(FrozenModel):
    """Everything the report shows about one question under one config."""

    id: str
    type: str
    question: str
    standalone_question: str
    as_of: str | None
    history: tuple[tuple[str, str], ...] = ()
    kind: str = ""
    answers: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    text: str
    short: str
    abstained: bool
    citations: tuple[CitationRecord, ...] = ()
    retrieved: tuple[str, ...] = ()
    latency_ms: float
    # metric -> 0..1, or None where the metric does not apply to this question.
    scores: dict[str, float | None]
    correct: bool
    why: tuple[str, ...] = ()
    # Set when the run was judged (judge_runs > 0); absent from older report.json files.
    judged: JudgedRecord | None = None
    # The offline model's confidence in its best candidate, and whether that candidate
    # holds the answer (None: no confidence, or an unanswerable question's).
    confidence: float | None = None
    candidate_right: bool | None = None

    def with_judged(self, record: JudgedRecord) -> QuestionResult:
        """This result with the judge's verdicts, and their means over runs in `scores`."""
        scores = dict(self.scores)
        scores["judged_faithfulness"] = _mean(record.faithfulness)
        scores["judged_correctness"] = _mean(record.correctness)
        return self.model_copy(update={"judged": record, "scores": scores})


# ---------------------------------------------------------------- single-question pieces


def _llama_score(metric: Any, expected: Sequence[str], retrieved: Sequence[str]) -> float:
    # llama-index raises on empty retrieved lists; nothing retrieved is simply a miss.
    if not retrieved:
        return 0.0
    return float(metric.compute(expected_ids=list(expected), retrieved_ids=list(retrieved)).score)


def retrieval_scores(expected: Sequence[str], order: Sequence[str]) -> dict[str, float | None]:
    """Document-level hit@1/2/5, MRR@10 and recall@5 of a ranked list of doc ids."""
    if not expected:
        return {"hit@1": None, "hit@2": None, "hit@5": None, "mrr@10": None, "recall@5": None}
    hit = HitRate()
    return {
        "hit@1": _llama_score(hit, expected, order[:1]),
        "hit@2": _llama_score(hit, expected, order[:2]),
        "hit@5": _llama_score(hit, expected, order[:5]),
        "mrr@10": _llama_score(MRR(), expected, order[:10]),
        "recall@5": _llama_score(Recall(), expected, order[:5]),
    }


def answer_correct(response: str, answers: Sequence[str], all_of: Sequence[str]) -> bool:
    """Any one of `answers` (when given) and every one of `all_of`, as whole normalised words."""
    any_ok = not answers or any(contains(response, a) for a in answers)
    return any_ok and all(contains(response, a) for a in all_of)


def citation_scores(
    cited: Sequence[str], expected: Sequence[str]
) -> tuple[float | None, float | None]:
    """(precision, recall) of the distinct cited doc ids against the expected ones."""
    c, e = set(cited), set(expected)
    if not e:
        return None, None
    precision = len(c & e) / len(c) if c else None
    return precision, len(c & e) / len(e)


def antecedent_score(q: Question, standalone: str) -> float | None:
    """1.0 when the standalone question names one of the expected antecedents and none of
    the old subjects it must not inherit; None for a question without either."""
    if not (q.antecedent or q.not_antecedent):
        return None
    named = not q.antecedent or any(contains(standalone, a) for a in q.antecedent)
    stale = any(contains(standalone, a) for a in q.not_antecedent)
    return float(named and not stale)


def quote_validity(answer: Answer, articles: Mapping[str, Article]) -> list[bool]:
    """One flag per citation: its quote is exactly the article text at [start:end]."""
    flags = []
    for c in answer.citations:
        art = articles.get(c.doc_id)
        flags.append(art is not None and art.text[c.start : c.end] == c.quote)
    return flags


def score_question(
    q: Question,
    answer: Answer,
    *,
    retrieved: Sequence[str],
    articles: Mapping[str, Article],
    latency_ms: float,
    history: Sequence[tuple[str, str]] = (),
) -> QuestionResult:
    """Score one answer, and say in words why it is wrong when it is."""
    why: list[str] = []
    scores: dict[str, float | None] = dict(retrieval_scores(q.sources, retrieved))
    scores["antecedent"] = antecedent_score(q, answer.standalone_question)
    if scores["antecedent"] == 0.0:
        why.append(
            f"the follow-up was read as {answer.standalone_question!r}, which does not name "
            + _describe(q.antecedent, ())
            + (
                f" or names the old subject ({', '.join(q.not_antecedent)})"
                if q.not_antecedent
                else ""
            )
        )
    valid = quote_validity(answer, articles)
    cited = [c.doc_id for c in answer.citations]
    scores["quote_valid"] = (sum(valid) / len(valid)) if valid else None
    scores["abstained"] = float(answer.abstained)
    kind = answer.time_window.kind if answer.time_window is not None else None
    scores["time_recent"] = None if kind is None else float(kind == "recent")
    scores["time_dated"] = None if kind is None else float(kind == "dated")
    if q.answerable:
        ok_short = not answer.abstained and answer_correct(answer.short, q.answers, q.all_of)
        ok_text = not answer.abstained and answer_correct(answer.text, q.answers, q.all_of)
        scores["acc_short"], scores["acc_text"] = float(ok_short), float(ok_text)
        given = bool(answer.short) and not answer.abstained
        # Of the short answers given, how many are right: a wrong one stated with confidence
        # costs a reader more than none.
        scores["short_precision"] = float(ok_short) if given else None
        precision, recall = citation_scores(cited, q.sources)
        scores["cite_precision"], scores["cite_recall"] = precision, recall
        correct = ok_short
        if answer.abstained:
            why.append("abstained on an answerable question")
        elif not ok_short:
            want = _describe(q.answers, q.all_of)
            where = "but the full text does" if ok_text else "nor does the full text"
            why.append(f"short answer {answer.short!r} does not contain {want}, {where}")
        if q.sources and scores["hit@5"] == 0.0:
            why.append(f"no expected source in the top 5 retrieved ({', '.join(retrieved[:5])})")
        if recall is not None and recall < 1.0 and not answer.abstained:
            missing = sorted(set(q.sources) - set(cited))
            why.append(f"expected source(s) not cited: {', '.join(missing)}")
        if precision is not None and precision < 1.0:
            extra = sorted(set(cited) - set(q.sources))
            why.append(f"cited unexpected source(s): {', '.join(extra)}")
    else:
        scores.update(acc_short=None, acc_text=None, cite_precision=None, cite_recall=None)
        # Any short answer to a question the articles do not answer is a wrong one.
        given = bool(answer.short) and not answer.abstained
        scores["short_precision"] = 0.0 if given else None
        correct = answer.abstained
        if not answer.abstained:
            why.append(f"answered an unanswerable question: {answer.short or answer.text[:80]!r}")
    bad = [answer.citations[i].number for i, ok in enumerate(valid) if not ok]
    if bad:
        why.append(f"quote of citation(s) {bad} is not the article text at [start:end]")
    records = tuple(
        CitationRecord(
            number=c.number,
            doc_id=c.doc_id,
            quote=c.quote,
            start=c.start,
            end=c.end,
            valid=ok,
            expected=c.doc_id in q.sources,
        )
        for c, ok in zip(answer.citations, valid, strict=True)
    )
    return QuestionResult(
        id=q.id,
        type=q.type,
        question=q.question,
        standalone_question=answer.standalone_question,
        as_of=q.as_of,
        history=tuple(history),
        kind=q.kind,
        answers=q.answers,
        all_of=q.all_of,
        sources=q.sources,
        text=answer.text,
        short=answer.short,
        abstained=answer.abstained,
        citations=records,
        retrieved=tuple(retrieved[:10]),
        latency_ms=latency_ms,
        scores=scores,
        correct=correct,
        why=tuple(why),
        confidence=answer.confidence,
        candidate_right=(
            answer_correct(answer.best_candidate, q.answers, q.all_of)
            if q.answerable and answer.best_candidate
            else (False if answer.best_candidate else None)
        ),
    )


def _describe(answers: Sequence[str], all_of: Sequence[str]) -> str:
    parts = []
    if answers:
        parts.append("any of " + ", ".join(repr(a) for a in answers))
    if all_of:
        parts.append("all of " + ", ".join(repr(a) for a in all_of))
    return " and ".join(parts)


# ---------------------------------------------------------------- aggregates


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default), NaN for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    pos = (len(xs) - 1) * pct / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _mean(values: Iterable[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None


CURVE_THRESHOLDS: tuple[float, ...] = tuple(i / 10 for i in range(10))


def precision_coverage(
    rated: Sequence[tuple[float, bool]],
    questions: int,
    answerable: int,
    thresholds: Sequence[float] = CURVE_THRESHOLDS,
) -> list[dict[str, float]]:
    """Precision and coverage of a best candidate over confidence thresholds. `rated`: one
    (confidence, right) pair per question that has a candidate. At each threshold: the share
    of the `questions` whose candidate would be stated (coverage), how many of those are
    right (precision), and the share of the `answerable` ones answered right (short)."""
    out = []
    for t in thresholds:
        shown = [right for confidence, right in rated if confidence >= t]
        right = sum(shown)
        out.append(
            {
                "threshold": t,
                "coverage": len(shown) / questions if questions else 0.0,
                "precision": right / len(shown) if shown else 1.0,
                "short": right / (answerable or 1),
            }
        )
    return out


def confidence_curve(results: Sequence[QuestionResult]) -> list[dict[str, float]]:
    """`precision_coverage` of a run's answers (an unanswerable question's candidate is
    always wrong)."""
    rated = [
        (r.confidence, bool(r.candidate_right))
        for r in results
        if r.confidence is not None and (r.candidate_right is not None or r.type == "abstain")
    ]
    answerable = sum(1 for r in results if r.type != "abstain")
    return precision_coverage(rated, len(results), answerable)


def aggregate(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    """Mean of each per-question score where it applies, abstention P/R and latency p50/p95.

    None means the metric had no question to apply to (e.g. no citations at all).
    """
    out: dict[str, float | None] = {}
    for m in MEAN_SCORES:
        out[m] = _mean(r.scores.get(m) for r in results)
    # Quote validity is counted per citation, so an answer with 3 citations weighs 3.
    flags = [c.valid for r in results for c in r.citations]
    out["quote_valid"] = sum(flags) / len(flags) if flags else None
    tp = sum(1 for r in results if r.abstained and r.type == "abstain")
    predicted = sum(1 for r in results if r.abstained)
    actual = sum(1 for r in results if r.type == "abstain")
    out["abstain_precision"] = tp / predicted if predicted else None
    out["abstain_recall"] = tp / actual if actual else None
    out["abstain_rate"] = predicted / len(results) if results else None
    lat = [r.latency_ms for r in results]
    out["latency_p50_ms"] = percentile(lat, 50) if lat else None
    out["latency_p95_ms"] = percentile(lat, 95) if lat else None
    out["accuracy"] = sum(r.correct for r in results) / len(results) if results else None
    out["wrong_short"] = float(sum(1 for r in results if r.scores.get("short_precision") == 0.0))
    out["n"] = float(len(results))
    out.update(judged_aggregate(results))
    return out


def judged_aggregate(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    """Judged metrics over the questions: the mean over runs of each run's mean, and `_sd`.

    Per run k, the mean of the questions' run-k scores (missing ones left out); then the
    mean and the sample standard deviation of those run means, so `_sd` is how much the
    metric itself moves between judgings (None with one run). `judge_missing` counts the
    verdicts that could not be read. Nothing (not even None) when the run was not judged,
    so unjudged reports stay as they were.
    """
    records = [r.judged for r in results if r.judged is not None]
    if not records:
        return {}
    runs = max(rec.runs for rec in records)
    out: dict[str, float | None] = {
        "judge_runs": float(runs),
        "judge_missing": float(sum(len(rec.missing) for rec in records)),
    }
    for metric, field in zip(JUDGED, ("faithfulness", "correctness"), strict=True):
        run_means = []
        for k in range(runs):
            values = [
                v[k] for rec in records if k < len(v := getattr(rec, field)) and v[k] is not None
            ]
            if values:
                run_means.append(sum(values) / len(values))
        out[metric] = statistics.fmean(run_means) if run_means else None
        out[f"{metric}_sd"] = statistics.stdev(run_means) if len(run_means) > 1 else None
    return out


def by_type(results: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """`aggregate` per question type, in the suite format's type order."""
    types = [t for t in QTYPES if any(r.type == t for r in results)]
    out = {t: aggregate([r for r in results if r.type == t]) for t in types}
    # Conversation kinds (a suite's `kind:`), after the types they cut across.
    kinds = sorted({r.kind for r in results if r.kind and r.kind not in out})
    out.update({k: aggregate([r for r in results if r.kind == k]) for k in kinds})
    return out
