"""Why an answer is missing: what the chat's filters left out of the search, and how to widen it.

A researcher who sees "Not answered" cannot tell "the articles do not say" from "my filters
hid the article that says it"; these hints name each filter that narrowed the search and the
control that widens it. Pure text (no Gradio, no HTML), so it tests fast and renders anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.types import Answer

__all__ = ["SearchScope", "filter_hints", "understood_as"]


@dataclass(frozen=True)
class SearchScope:
    """The chat's filters as the user set them (labels, not ids, where the UI shows labels)."""

    as_of: str | None = None
    since: str | None = None
    until: str | None = None
    include_undated: bool = False
    publications: Sequence[str] = ()
    articles: int = 0  # how many articles "Only these articles" names

    @property
    def dated(self) -> bool:
        return bool(self.as_of or self.since or self.until)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def filter_hints(answer: Answer, scope: SearchScope) -> list[str]:
    """For an abstention (or an answer too unsure to state a short one): one sentence per
    filter that narrowed the search, saying how to widen it. Empty for an answer, or when
    nothing was filtered (the articles do not say)."""
    if not answer.abstained and not answer.unsure:
        return []
    hints: list[str] = []
    if answer.undated_excluded:
        what = _plural(answer.undated_excluded, "undated article was", "undated articles were")
        hints.append(
            f"{what} left out by the date filter (their publication date is unknown): "
            "tick “Include undated articles” under Options to search them too."
        )
    if scope.dated:
        dates = ", ".join(
            f"{label} {value}"
            for label, value in (
                ("by", scope.as_of),
                ("since", scope.since),
                ("until", scope.until),
            )
            if value
        )
        hints.append(
            f"Only articles published {dates} were searched: clear the date boxes under "
            "Options to search every date."
        )
    if scope.publications:
        names = ", ".join(f"“{p}”" for p in scope.publications)
        which = _plural(len(scope.publications), "publication", "publications")
        verb = "was" if len(scope.publications) == 1 else "were"
        hints.append(
            f"Only {which} ({names}) {verb} searched: clear “Only these publications” "
            "to search all."
        )
    if scope.articles:
        hints.append(
            f"Only {_plural(scope.articles, 'chosen article was', 'chosen articles were')} "
            "searched: clear “Only these articles” to search the whole library."
        )
    return hints


def understood_as(answer: Answer) -> str | None:
    """The standalone question a follow-up was rewritten to, when it differs from the asked
    one (so a wrong answer to a follow-up can be traced to how it was read)."""
    standalone = (answer.standalone_question or "").strip()
    if not standalone or standalone == answer.question.strip():
        return None
    return standalone
