"""What each MCP tool does, as plain methods over the public `Assistant` API.

The arguments arrive from an agent, as any JSON: each is checked here and refused with a
`ConfigError` that says which argument is wrong and what is allowed (the messages the CLI
gives for the same mistakes). Results are capped in size, with a `truncated` flag.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.core import Assistant
from assistant.errors import ConfigError, clip
from assistant.mcp_server.paths import AllowedFolders
from assistant.mcp_server.results import (
    AnswerResult,
    ArticleList,
    ArticleSummary,
    ArticleText,
    CitedPassage,
    HistoryTurn,
    IngestProblem,
    IngestResult,
    Passage,
    SearchResult,
    TimelineResult,
    WindowUsed,
)
from assistant.query import check_question, check_text
from assistant.types import ArticleInfo

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MAX_HISTORY_TURNS",
    "MAX_LIST",
    "MAX_SOURCES",
    "MAX_TOP_K",
    "AgentTools",
]

logger = logging.getLogger(__name__)

# The most characters of article text one result carries (quotes, slices): a few pages,
# enough to read around any quote, small enough for an agent's context window.
DEFAULT_MAX_CHARS = 20_000
# Settings.top_k's own bounds: articles drawn on per question.
MAX_TOP_K = 50
# The most articles `list_articles` returns in one call.
MAX_LIST = 500
MAX_SOURCES = 100
MAX_HISTORY_TURNS = 50
MAX_PATHS = 100
# Events per timeline: what Assistant.timeline allows, and a page an agent can read.
MAX_EVENTS = 100


def _date(value: object, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a date string like 2025-01-31, not {clip(value)}")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{name}={clip(value)} is not a date like 2025-01-31") from None


def _dates(
    as_of: str | None, since: str | None, until: str | None
) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
    day, lo, hi = _date(as_of, "as_of"), _date(since, "since"), _date(until, "until")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"since={lo} is after until={hi}: no day is in that range")
    if lo is not None and day is not None and lo > day:
        raise ConfigError(f"since={lo} is after as_of={day}: no article can be that recent")
    return day, lo, hi


def _count(value: object, name: str, low: int, high: int) -> int:
    # bool is an int to Python, never a count to a caller.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {clip(value)}")
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range: give {low} to {high}")
    return value


def _newest_first(info: ArticleInfo) -> tuple[bool, int, str]:
    """Newest first, undated last, then by doc id (a stable order for paging)."""
    day = info.published
    return (day is None, -(day.toordinal() if day else 0), info.doc_id)


@dataclass(frozen=True)
class AgentTools:
    """The tools of one server, bound to one Assistant.

    `max_chars`: the cap on article text per result; `ingest_folders`: where `ingest` may
    read (None: the server is read-only and has no `ingest` tool)."""

    assistant: Assistant
    max_chars: int = DEFAULT_MAX_CHARS
    ingest_folders: AllowedFolders | None = None

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise ConfigError(f"max_chars (--max-chars) is {self.max_chars}: give 1 or more")

    # ------------------------------------------------------------------ checks
    def _sources(self, sources: Sequence[str] | None) -> tuple[str, ...]:
        if not sources:
            return ()
        if isinstance(sources, str) or not isinstance(sources, Sequence):
            raise ConfigError(f"sources must be a list of outlet names, not {clip(sources)}")
        if len(sources) > MAX_SOURCES:
            raise ConfigError(
                f"sources names {len(sources)} outlets, over the limit of {MAX_SOURCES}"
            )
        known = {i.source for i in self.assistant.articles() if i.source}
        for name in sources:
            if not isinstance(name, str) or name not in known:
                shown = ", ".join(sorted(known)[:20]) or "none (no article names its outlet)"
                more = f" and {len(known) - 20} more" if len(known) > 20 else ""
                raise ConfigError(
                    f"unknown source {clip(name)}: the indexed sources are {shown}{more} "
                    "(list_articles shows each article's source)"
                )
        return tuple(dict.fromkeys(sources))

    @staticmethod
    def _history(history: Sequence[HistoryTurn] | None) -> list[tuple[str, str]]:
        turns = list(history or ())
        if len(turns) > MAX_HISTORY_TURNS:
            raise ConfigError(
                f"history has {len(turns)} turns, over the limit of {MAX_HISTORY_TURNS}; "
                "send the latest ones"
            )
        return [(t.question, t.answer) for t in turns]

    # ------------------------------------------------------------------ tools
    def search(
        self,
        query: str,
        as_of: str | None = None,
        since: str | None = None,
        until: str | None = None,
        sources: Sequence[str] | None = None,
        top_k: int | None = None,
    ) -> SearchResult:
        check_text(query, "the query", self.assistant.settings.max_question_chars)
        if not query.strip():
            raise ConfigError("the query is empty: give words or a question to search for")
        day, lo, hi = _dates(as_of, since, until)
        k = None if top_k is None else _count(top_k, "top_k", 1, MAX_TOP_K)
        res = self.assistant.retrieve(
            query, as_of=day, since=lo, until=hi, sources=self._sources(sources), top_k=k
        )
        passages: list[Passage] = []
        budget = self.max_chars
        truncated = False
        for rc in res.chunks:
            c, a = rc.chunk, rc.article
            if len(c.text) > budget:
                truncated = True
                break
            budget -= len(c.text)
            passages.append(
                Passage(
                    rank=len(passages) + 1,
                    doc_id=c.doc_id,
                    title=a.title,
                    source=a.source,
                    url=a.url,
                    published=a.published,
                    chunk_id=c.chunk_id,
                    quote=c.text,
                    start=c.start,
                    end=c.end,
                    score=round(float(rc.score), 6),
                )
            )
        return SearchResult(
            query=query,
            passages=passages,
            time_window=None if res.window is None else WindowUsed.of(res.window),
            undated_excluded=res.undated_excluded,
            truncated=truncated,
        )

    def ask(
        self,
        question: str,
        as_of: str | None = None,
        since: str | None = None,
        until: str | None = None,
        sources: Sequence[str] | None = None,
        history: Sequence[HistoryTurn] | None = None,
    ) -> AnswerResult:
        check_question(question, self.assistant.settings.max_question_chars)
        day, lo, hi = _dates(as_of, since, until)
        answer = self.assistant.ask(
            question,
            history=self._history(history),
            as_of=day,
            since=lo,
            until=hi,
            sources=self._sources(sources),
        )
        citations: list[CitedPassage] = []
        budget = self.max_chars - len(answer.text)
        truncated = False
        for c in answer.citations:
            if len(c.quote) > budget:
                truncated = True
                break
            budget -= len(c.quote)
            citations.append(CitedPassage(**c.model_dump()))
        return AnswerResult(
            question=answer.question,
            standalone_question=answer.standalone_question,
            answer=answer.text,
            short=answer.short,
            abstained=answer.abstained,
            confidence=None if answer.confidence is None else round(answer.confidence, 3),
            mode=answer.mode,
            citations=citations,
            time_window=None if answer.time_window is None else WindowUsed.of(answer.time_window),
            undated_excluded=answer.undated_excluded,
            truncated=truncated,
        )

    def timeline(
        self,
        topic: str,
        since: str | None = None,
        until: str | None = None,
        as_of: str | None = None,
        limit: int | None = None,
    ) -> TimelineResult:
        check_text(topic, "the topic", self.assistant.settings.max_question_chars)
        if not topic.strip():
            raise ConfigError("the topic is empty: name the story to build a timeline of")
        day, lo, hi = _dates(as_of, since, until)
        n = 30 if limit is None else _count(limit, "limit", 1, MAX_EVENTS)
        tl = self.assistant.timeline(topic, since=lo, until=hi, as_of=day, limit=n)
        events, budget, truncated = [], self.max_chars, False
        for e in tl.events:
            size = sum(len(c.quote) for c in e.citations) + len(e.text)
            if size > budget:
                truncated = True
                break
            budget -= size
            events.append(e)
        return TimelineResult(
            topic=tl.topic,
            events=events,
            as_of=tl.as_of,
            since=tl.since,
            until=tl.until,
            articles_read=tl.articles_read,
            truncated=truncated,
        )

    def list_articles(
        self,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
    ) -> ArticleList:
        _, lo, hi = _dates(None, since, until)
        n = 100 if limit is None else _count(limit, "limit", 1, MAX_LIST)
        infos = self.assistant.articles()
        if source:
            self._sources([source])
            infos = [i for i in infos if i.source == source]
        if lo is not None or hi is not None:
            infos = [
                i
                for i in infos
                if i.published is not None
                and (lo is None or i.published >= lo)
                and (hi is None or i.published <= hi)
            ]
        ordered = sorted(infos, key=_newest_first)
        shown = ordered[:n]
        return ArticleList(
            articles=[
                ArticleSummary(
                    doc_id=i.doc_id,
                    title=i.title,
                    published=i.published,
                    source=i.source,
                    url=i.url,
                    chunks=i.n_chunks,
                )
                for i in shown
            ],
            total=len(ordered),
            truncated=len(ordered) > len(shown),
        )

    def get_article(
        self, doc_id: str, start: int | None = None, end: int | None = None
    ) -> ArticleText:
        if not isinstance(doc_id, str) or not doc_id.strip():
            raise ConfigError(
                "doc_id is empty: give an article's doc_id (from search or list_articles)"
            )
        article = self.assistant.get_articles([doc_id]).get(doc_id)
        if article is None:
            raise ConfigError(
                f"no article with doc_id {clip(doc_id)} is indexed (list_articles shows the "
                "doc ids)"
            )
        length = len(article.text)
        lo = 0 if start is None else _count(start, "start", 0, length)
        hi = length if end is None else _count(end, "end", 0, length)
        if hi < lo:
            raise ConfigError(f"end={hi} is before start={lo}: no text is in that range")
        cut = min(hi, lo + self.max_chars)
        return ArticleText(
            doc_id=article.doc_id,
            title=article.title,
            published=article.published,
            source=article.source,
            url=article.url,
            length=length,
            start=lo,
            end=cut,
            text=article.text[lo:cut],
            truncated=cut < hi,
        )

    def ingest(self, paths: Sequence[str]) -> IngestResult:
        if self.ingest_folders is None:
            raise ConfigError(
                "this server is read-only: start it with --allow-ingest FOLDER to let "
                "agents index files from that folder"
            )
        if isinstance(paths, str) or not isinstance(paths, Sequence) or not paths:
            raise ConfigError("paths must be a non-empty list of files or folders")
        if len(paths) > MAX_PATHS:
            raise ConfigError(f"paths names {len(paths)} files, over the limit of {MAX_PATHS}")
        checked: list[Path] = [self.ingest_folders.check(p) for p in paths]
        report = self.assistant.ingest(checked)
        return IngestResult(
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            failed=report.failed,
            failures=[IngestProblem(path=f.path, reason=f.reason) for f in report.failures],
            doc_ids=list(report.doc_ids),
            seconds=round(report.seconds, 3),
        )
