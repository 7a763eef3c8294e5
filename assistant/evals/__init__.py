"""Evaluation suites for the assistant: retrieval, answer, citation and abstention metrics.

    from assistant.evals import run_suite
    report = run_suite("evals/seeds.yaml", out="reports/seeds")

The suite format is described in evals/README.md.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.evals.judge import Judge, JudgeScores, LLMJudge
    from assistant.evals.metrics import QuestionResult, aggregate, by_type, score_question
    from assistant.evals.report import Comparison, ConfigResult, Report, compare
    from assistant.evals.runner import run_suite, write_reports
    from assistant.evals.suite import Question, Suite, contains, load_rtqa, load_suite, norm

# Imported on first use: `assistant --help` must not pay for llama-index's evaluation stack.
_WHERE = {
    "Judge": "judge",
    "JudgeScores": "judge",
    "LLMJudge": "judge",
    "QuestionResult": "metrics",
    "aggregate": "metrics",
    "by_type": "metrics",
    "score_question": "metrics",
    "Comparison": "report",
    "ConfigResult": "report",
    "Report": "report",
    "compare": "report",
    "run_suite": "runner",
    "write_reports": "runner",
    "Question": "suite",
    "Suite": "suite",
    "contains": "suite",
    "load_rtqa": "suite",
    "load_suite": "suite",
    "norm": "suite",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"assistant.evals.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'assistant.evals' has no attribute {name!r}")


__all__ = [
    "Comparison",
    "ConfigResult",
    "Judge",
    "JudgeScores",
    "LLMJudge",
    "Question",
    "QuestionResult",
    "Report",
    "Suite",
    "aggregate",
    "by_type",
    "compare",
    "contains",
    "load_rtqa",
    "load_suite",
    "norm",
    "run_suite",
    "score_question",
    "write_reports",
]
