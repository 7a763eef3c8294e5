"""Evaluation suites for the assistant: retrieval, answer, citation and abstention metrics.

    from assistant.evals import run_suite
    report = run_suite("evals/seeds.yaml", out="reports/seeds")

The suite format is described in evals/README.md.
"""

from assistant.evals.metrics import QuestionResult, aggregate, by_type, score_question
from assistant.evals.report import Comparison, ConfigResult, Report, compare
from assistant.evals.runner import run_suite, write_reports
from assistant.evals.suite import Question, Suite, contains, load_rtqa, load_suite, norm

__all__ = [
    "Comparison",
    "ConfigResult",
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
