"""The core value types. All frozen: once built, an article or an answer never changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The window a question asks about is time's business (assistant.temporal); answers carry it.
from assistant.temporal import TimeWindow, WindowKind

__all__ = [
    "Answer",
    "Article",
    "ArticleInfo",
    "Chunk",
    "Citation",
    "IngestFailure",
    "IngestReport",
    "RetrievedChunk",
    "TimeWindow",
    "WindowKind",
]


class FrozenModel(BaseModel):
    """Base of every value type: immutable, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def describe_origin(doc_id: str, origin: str, location: str) -> str:
    """Where an article came from, for people: its URL, its file and the place in it
    ("export.pdf, article 3 of 30, pages 5-6"), or its file's path."""
    if location:
        return location
    if origin.startswith(("http://", "https://")) or not origin:
        return origin or doc_id
    if origin == doc_id or origin.endswith("/" + doc_id):
        return origin
    return f"{origin.rstrip('/')}/{doc_id}"


class Article(FrozenModel):
    """One cleaned news article, ready to chunk."""

    doc_id: str
    title: str
    text: str
    published: dt.date | None = None
    source: str | None = None
    url: str | None = None
    content_hash: str
    origin: str = Field(default="", description="The folder or file the article was ingested from.")
    location: str = Field(
        default="",
        description="Where in its file the article is (pages 3-4, entry 5, record 12, row 7); "
        "empty for an article that is a whole file.",
    )

    @property
    def where(self) -> str:
        """Where the article came from, for people (see `describe_origin`)."""
        return describe_origin(self.doc_id, self.origin, self.location)


@dataclass(frozen=True)
class ArticleInfo:
    """An article's record without its text (cheap to list)."""

    doc_id: str
    title: str
    published: dt.date | None
    source: str | None
    url: str | None
    content_hash: str
    origin: str
    n_chunks: int
    location: str = ""

    @property
    def where(self) -> str:
        """Where the article came from, for people (see `describe_origin`)."""
        return describe_origin(self.doc_id, self.origin, self.location)


class Chunk(FrozenModel):
    """A passage of an article: `article.text[start:end] == text`."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int


class RetrievedChunk(FrozenModel):
    """A chunk returned by retrieval, with the article it belongs to."""

    chunk: Chunk
    article: Article
    score: float
    rank: int


class Citation(FrozenModel):
    """A numbered source of an answer: `quote` is `article_text[start:end]`, verbatim."""

    number: int
    doc_id: str
    title: str
    source: str | None
    url: str | None
    published: dt.date | None
    chunk_id: str
    quote: str
    start: int
    end: int


class Answer(FrozenModel):
    """What `Assistant.ask` returns."""

    question: str
    standalone_question: str
    text: str
    short: str = ""
    abstained: bool = False
    citations: tuple[Citation, ...] = ()
    mode: str = "extractive"
    follow_up: Literal["as-asked", "resolved", "ellipsis", "read-together"] = Field(
        default="as-asked",
        description="How the question was read against the conversation: as asked, with a "
        "pronoun resolved, as an ellipsis of the previous question, or (not sure what it "
        "refers to) searched together with the previous question's words.",
    )
    confidence: float | None = Field(
        default=None,
        description="The offline answer model's probability that the short answer is right "
        "(shown at or above its threshold); None where it is not estimated (LLM answers, "
        "why-questions).",
    )
    best_candidate: str = Field(
        default="",
        description="The offline model's best-ranked candidate value, also when its "
        "confidence is too low to state it as `short` (evaluations draw the precision / "
        "coverage curve from it).",
    )
    timings: dict[str, float] = Field(default_factory=dict)
    time_window: TimeWindow | None = Field(
        default=None, description="The time the articles were ranked for, and date filters."
    )
    undated_excluded: int = Field(
        default=0, description="Undated articles the date filters left out of the search."
    )

    @property
    def unsure(self) -> bool:
        """The offline model found no value it is sure of: the closest passages are quoted
        and no short answer is stated."""
        return not self.abstained and self.confidence is not None and not self.short

    def confidence_note(self) -> str:
        """One line on the answer's confidence for people ("" when there is none to tell)."""
        if self.confidence is None or self.abstained:
            return ""
        if self.short:
            return f"Confidence in the short answer: {self.confidence:.0%}."
        return (
            f"No short answer: the best candidate's confidence ({self.confidence:.0%}) is too "
            "low to state one, so the closest passages are quoted."
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The `assistant ask --json` shape."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "follow_up": self.follow_up,
            "answer": self.text,
            "short": self.short,
            "abstained": self.abstained,
            "mode": self.mode,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "best_candidate": self.best_candidate,
            "citations": [c.model_dump(mode="json") for c in self.citations],
            "timings": self.timings,
            "time_window": None
            if self.time_window is None
            else {
                **self.time_window.model_dump(mode="json"),
                "description": self.time_window.describe(),
            },
            "undated_excluded": self.undated_excluded,
        }


class IngestFailure(FrozenModel):
    """A file (or JSONL line) that could not be indexed, and why."""

    path: str
    reason: str
    doc_id: str | None = Field(default=None, description="Set when the file had been indexed.")


class IngestReport(FrozenModel):
    """Counts of one ingest run."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failures: tuple[IngestFailure, ...] = ()
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_written: int = 0
    seconds: float = 0.0
    doc_ids: tuple[str, ...] = ()

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def ok(self) -> bool:
        return not self.failures
