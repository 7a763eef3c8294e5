"""The timeline suite: topics, the events a reader expects of each, and how near we come.

A suite (evals/timelines.yaml) names corpora and topics. Each topic lists the events the
articles report, each with its date (and that date's precision) and a short key phrase from
the sentence reporting it; `required: false` marks an event that is right to show but too
minor to miss. A timeline's event matches an expected one when one of its quotes holds the
key phrase (`contains`: whole words after normalisation); each expected event is matched at
most once.

Metrics, over all topics: event precision (shown events matching an expected one), recall
(required events shown), duplicates (an expected event shown more than once: right, counted
apart), date exact (shown events dated as their expected event, at its precision) and within
a week, disagreement recall (expected disagreements flagged) and false
alarms, quotes valid (every citation is its article's text at its offsets: checked), and
latency (p50, max).
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import Field, field_validator

from assistant.errors import ConfigError
from assistant.evals.suite import contains
from assistant.types import FrozenModel

if TYPE_CHECKING:
    from assistant.core import Assistant
    from assistant.timeline import Event, Timeline

__all__ = [
    "ExpectedEvent",
    "TimelineReport",
    "TimelineSuite",
    "Topic",
    "TopicResult",
    "load_timeline_suite",
    "run_timeline_suite",
    "score_topic",
]

logger = logging.getLogger(__name__)


class ExpectedEvent(FrozenModel):
    """One event a topic's timeline should show: `phrase` (one key phrase, or several
    alternatives) is found in the sentence that reports it."""

    date: dt.date
    precision: Literal["day", "week", "month", "year"] = "day"
    phrase: tuple[str, ...]
    required: bool = True
    disagreement: bool = False

    @field_validator("phrase", mode="before")
    @classmethod
    def _phrases(cls, v: Any) -> Any:
        return (v,) if isinstance(v, str) else v


class Topic(FrozenModel):
    id: str
    corpus: str
    topic: str
    as_of: dt.date | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = 30
    events: tuple[ExpectedEvent, ...]

    @field_validator("id", mode="before")
    @classmethod
    def _string(cls, v: Any) -> Any:
        return str(v)


class TimelineSuite(FrozenModel):
    name: str
    corpora: dict[str, Path]
    topics: tuple[Topic, ...]
    thresholds: dict[str, float] = Field(default_factory=dict)
    path: Path | None = None


def load_timeline_suite(path: str | Path) -> TimelineSuite:
    """The suite in the YAML file at `path`; corpus paths are relative to it."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read timeline suite {p}: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") != "timeline":
        raise ConfigError(f"{p} is not a timeline suite (it needs `kind: timeline`)")
    base = p.resolve().parent
    data.pop("kind")
    data["corpora"] = {k: (base / v).resolve() for k, v in (data.get("corpora") or {}).items()}
    data.setdefault("name", p.stem)
    data["path"] = p
    try:
        suite = TimelineSuite.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"invalid timeline suite {p}: {exc}") from exc
    unknown = sorted({t.corpus for t in suite.topics} - set(suite.corpora))
    if unknown:
        raise ConfigError(f"timeline suite {p}: topics name unknown corpora {unknown}")
    return suite


class EventMatch(FrozenModel):
    phrase: str
    expected: dt.date
    precision: str
    required: bool
    shown: dt.date | None = None
    shown_when: str = ""
    exact: bool = False
    within_week: bool = False
    disagreement_expected: bool = False
    disagreement_shown: bool = False


class TopicResult(FrozenModel):
    id: str
    topic: str
    corpus: str
    shown: int
    matched_shown: int
    duplicates: int = 0
    dates_judged: int = 0
    dates_exact: int = 0
    dates_within_week: int = 0
    required: int
    required_found: int
    matches: tuple[EventMatch, ...]
    unmatched_shown: tuple[str, ...]
    false_disagreements: int
    quotes: int
    quotes_valid: int
    seconds: float
    events: tuple[dict[str, Any], ...] = ()


def _same(a: dt.date, b: dt.date, precision: str) -> bool:
    if precision == "year":
        return a.year == b.year
    if precision == "month":
        return (a.year, a.month) == (b.year, b.month)
    if precision == "week":
        return a.isocalendar()[:2] == b.isocalendar()[:2]
    return a == b


def _holds(event: Event, phrases: tuple[str, ...]) -> bool:
    return any(contains(c.quote, p) for c in event.citations for p in phrases)


def _dated_right(e: Event, exp: ExpectedEvent) -> tuple[bool, bool]:
    """Exact (the expected day, month or year, at that precision) and within a week. A
    disagreement is dated right when one of its dates is."""
    dates = [d.start for d in e.dates] or [e.date.start]
    exact = e.date.precision == exp.precision or exp.disagreement
    exact = exact and any(_same(d, exp.date, exp.precision) for d in dates)
    return exact, any(abs((d - exp.date).days) <= 7 for d in dates)


def score_topic(
    topic: Topic, timeline: Timeline, articles: dict[str, str], seconds: float = 0.0
) -> TopicResult:
    """How `timeline` compares with `topic`'s expected events; `articles`: doc id -> text,
    to check every quote against.

    Each shown event is matched to an expected event whose key phrase it quotes (one not
    matched yet first). A shown event matching no expected event counts against precision;
    a second shown event for an expected event is a duplicate (right, but shown twice)."""
    events = list(timeline.events)
    first: dict[int, int] = {}  # expected index -> the first shown event matching it
    of_shown: dict[int, int] = {}  # shown index -> expected index
    for i, e in enumerate(events):
        hits = [j for j, x in enumerate(topic.events) if _holds(e, x.phrase)]
        if not hits:
            continue
        j = next((h for h in hits if h not in first), hits[0])
        of_shown[i] = j
        first.setdefault(j, i)
    matches: list[EventMatch] = []
    for j, exp in enumerate(topic.events):
        missed = EventMatch(
            phrase=" / ".join(exp.phrase),
            expected=exp.date,
            precision=exp.precision,
            required=exp.required,
            disagreement_expected=exp.disagreement,
        )
        if j not in first:
            matches.append(missed)
            continue
        e = events[first[j]]
        exact, near = _dated_right(e, exp)
        matches.append(
            missed.model_copy(
                update={
                    "shown": e.date.start,
                    "shown_when": e.date.describe(),
                    "exact": exact,
                    "within_week": near,
                    "disagreement_shown": e.disagreement,
                }
            )
        )
    dated = [_dated_right(events[i], topic.events[j]) for i, j in of_shown.items()]
    quotes = [(c.doc_id, c.quote, c.start, c.end) for e in events for c in e.citations]
    valid = sum(1 for d, q, s, t in quotes if q and articles.get(d, "")[s:t] == q)
    expected_flags = {i for i, j in of_shown.items() if topic.events[j].disagreement}
    flagged = {i for i, e in enumerate(events) if e.disagreement}
    return TopicResult(
        id=topic.id,
        topic=topic.topic,
        corpus=topic.corpus,
        shown=len(events),
        matched_shown=len(of_shown),
        duplicates=len(of_shown) - len(first),
        dates_judged=len(dated),
        dates_exact=sum(x for x, _ in dated),
        dates_within_week=sum(w for _, w in dated),
        required=sum(1 for x in topic.events if x.required),
        required_found=sum(1 for m in matches if m.required and m.shown is not None),
        matches=tuple(matches),
        unmatched_shown=tuple(
            f"{e.date.describe()}: {e.text[:160]}"
            for i, e in enumerate(events)
            if i not in of_shown
        ),
        false_disagreements=len(flagged - expected_flags),
        quotes=len(quotes),
        quotes_valid=valid,
        seconds=seconds,
        events=tuple({**e.to_json_dict(), "matched": i in of_shown} for i, e in enumerate(events)),
    )


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def aggregate(results: list[TopicResult]) -> dict[str, float | None]:
    dis_expected = [m for r in results for m in r.matches if m.disagreement_expected]
    seconds = sorted(r.seconds for r in results)
    return {
        "topics": float(len(results)),
        "events_shown": float(sum(r.shown for r in results)),
        "event_precision": _ratio(
            sum(r.matched_shown for r in results), sum(r.shown for r in results)
        ),
        "event_recall": _ratio(
            sum(r.required_found for r in results), sum(r.required for r in results)
        ),
        "date_exact": _ratio(
            sum(r.dates_exact for r in results), sum(r.dates_judged for r in results)
        ),
        "date_within_week": _ratio(
            sum(r.dates_within_week for r in results), sum(r.dates_judged for r in results)
        ),
        "duplicates": float(sum(r.duplicates for r in results)),
        "disagreement_recall": _ratio(
            sum(m.disagreement_shown for m in dis_expected), len(dis_expected)
        ),
        "false_disagreements": float(sum(r.false_disagreements for r in results)),
        "quote_valid": _ratio(sum(r.quotes_valid for r in results), sum(r.quotes for r in results)),
        "latency_p50": statistics.median(seconds) if seconds else None,
        "latency_max": seconds[-1] if seconds else None,
    }


class TimelineReport(FrozenModel):
    suite: str
    created: str
    metrics: dict[str, float | None]
    by_corpus: dict[str, dict[str, float | None]]
    topics: tuple[TopicResult, ...]
    thresholds: dict[str, float] = Field(default_factory=dict)
    failed: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failed


def _gate(metrics: dict[str, float | None], thresholds: dict[str, float]) -> tuple[str, ...]:
    failed = []
    for key, bound in thresholds.items():
        value = metrics.get(key)
        if key.startswith(("latency_", "false_")):
            ok = value is not None and value <= bound
        else:
            ok = value is not None and value >= bound
        if not ok:
            failed.append(f"{key}: {value} (bound {bound})")
    return tuple(failed)


def _store_for(name: str, corpus: Path, stores: Path | None, tmp: Path) -> Assistant:
    from assistant.core import Assistant

    folder = (stores or tmp) / name
    a = Assistant(store=folder, answerer="extractive")
    if a.store.count()[0] == 0:
        # An existing store is reused as it is: ingesting the 800-article corpus again would
        # only compare hashes, but that alone takes minutes.
        report = a.ingest([corpus])
        if report.failures:
            logger.warning("%s: %d files failed to ingest", name, len(report.failures))
    return a


def run_timeline_suite(
    source: str | Path | TimelineSuite,
    *,
    stores: str | Path | None = None,
    out: str | Path | None = None,
) -> TimelineReport:
    """Build every topic's timeline and score it; `stores`: a folder holding (or to hold) one
    store per corpus, named after it (default: temporary)."""
    import tempfile

    from assistant.evals.report import now_iso

    suite = source if isinstance(source, TimelineSuite) else load_timeline_suite(source)
    results: list[TopicResult] = []
    with tempfile.TemporaryDirectory(prefix="timeline-suite-") as tmp:
        assistants: dict[str, Assistant] = {}
        for topic in suite.topics:
            if topic.corpus not in assistants:
                assistants[topic.corpus] = _store_for(
                    topic.corpus,
                    suite.corpora[topic.corpus],
                    Path(stores) if stores else None,
                    Path(tmp),
                )
            a = assistants[topic.corpus]
            t = time.perf_counter()
            tl = a.timeline(
                topic.topic,
                since=topic.since,
                until=topic.until,
                as_of=topic.as_of,
                limit=topic.limit,
            )
            seconds = time.perf_counter() - t
            docs = {c.doc_id for e in tl.events for c in e.citations}
            texts = {d: art.text for d, art in a.get_articles(sorted(docs)).items()}
            results.append(score_topic(topic, tl, texts, seconds))
    metrics = aggregate(results)
    by_corpus = {
        c: aggregate([r for r in results if r.corpus == c])
        for c in dict.fromkeys(r.corpus for r in results)
    }
    report = TimelineReport(
        suite=suite.name,
        created=now_iso(),
        metrics=metrics,
        by_corpus=by_corpus,
        topics=tuple(results),
        thresholds=suite.thresholds,
        failed=_gate(metrics, suite.thresholds),
    )
    if out is not None:
        from assistant.evals.timeline_report import write_timeline_reports

        write_timeline_reports(report, Path(out))
    return report
