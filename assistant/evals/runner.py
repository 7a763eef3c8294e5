"""`run_suite`: ingest a suite's corpus once, ask every question under every config, score."""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.core import Assistant
from assistant.embeddings import Embedder
from assistant.errors import AssistantError, ConfigError
from assistant.evals.html_report import write_html
from assistant.evals.judge import AnswerJudging, Judge, LLMJudge, Passage, judge_settings
from assistant.evals.metrics import QuestionResult, aggregate, by_type, score_question
from assistant.evals.report import (
    ConfigResult,
    Report,
    check_thresholds,
    compare,
    now_iso,
    parse_gate,
    to_markdown,
    write_json,
)
from assistant.evals.suite import Question, Suite, load_suite
from assistant.types import Answer

__all__ = ["ask_question", "run_suite", "run_weeks", "write_reports"]

logger = logging.getLogger(__name__)

# Settings that change what is stored: a config that sets one gets its own store and ingest.
_STORE_KEYS = frozenset(
    {"chunk_size", "chunk_overlap", "embedder", "openai_embedding_model", "collection", "store"}
)
_EMBEDDER_KEYS = frozenset({"embedder", "openai_embedding_model", "embed_precision"})


def ask_question(
    a: Assistant,
    q: Question,
    judging: AnswerJudging | None = None,
    asked: dict[tuple[str | None, tuple[str, ...]], Answer] | None = None,
) -> QuestionResult:
    """Ask `q` (its history turns first, as a user would), score the final answer and, with
    `judging`, have it judged. `asked`: answers already given in this run, by (as_of, the
    turns up to and including the question), so a conversation's turns, each a question
    with the turns before it as history, are asked once, not once per later turn."""
    # The earlier answers themselves, as the CLI and the UI keep them: the follow-up is read
    # against their short answers, abstentions and cited articles.
    history: list[Answer] = []
    error = ""
    try:
        for n, turn in enumerate(q.history, 1):
            key = (q.as_of, q.history[:n])
            prev = asked.get(key) if asked is not None else None
            if prev is None:
                prev = a.ask(turn, history=history or None, as_of=q.as_of)
            history.append(prev)
        t = time.perf_counter()
        answer = a.ask(q.question, history=history or None, as_of=q.as_of)
        latency_ms = (time.perf_counter() - t) * 1000
        if asked is not None:
            asked[(q.as_of, (*q.history, q.question))] = answer
        # Retrieval is scored on the question the assistant actually searched with (a
        # follow-up's condensed form), ranked to 10 articles for MRR@10.
        kept = history[-1].citations if history and answer.follow_up != "as-asked" else ()
        order = a.retrieve(
            answer.standalone_question,
            as_of=q.as_of,
            top_k=10,
            prefer=list(dict.fromkeys(c.doc_id for c in kept)),
        ).article_order
    except AssistantError as exc:
        # One failing question (e.g. an LLM timeout) must not lose the whole run.
        logger.warning("%s: %s", q.id, exc)
        error = f"error: {exc}"
        answer = Answer(question=q.question, standalone_question=q.question, text=error)
        latency_ms, order = 0.0, []
    articles = a.get_articles(sorted({c.doc_id for c in answer.citations}))
    result = score_question(
        q,
        answer,
        retrieved=order,
        articles=articles,
        latency_ms=latency_ms,
        history=[(h.question, h.text) for h in history],
    )
    if error:
        result = result.model_copy(update={"correct": False, "why": (error, *result.why)})
    if judging is not None:
        passages = () if error else cited_passages(a, answer)
        result = result.with_judged(judging(q, answer, passages, failed=bool(error)))
    return result


def cited_passages(a: Assistant, answer: Answer) -> tuple[Passage, ...]:
    """The passages an answer cites, numbered as its [n] markers are.

    The whole chunk, not the citation's one-sentence quote: the answerer read (and cited)
    the chunk, and a claim can rest on a sentence next to the quoted one.
    """
    chunks = a.get_chunks([c.chunk_id for c in answer.citations])
    return tuple(
        Passage(
            number=c.number,
            text=chunks[c.chunk_id].text if c.chunk_id in chunks else c.quote,
            title=c.title,
            published=c.published.isoformat() if c.published else None,
        )
        for c in answer.citations
    )


def _corpus_paths(s: Suite, root: Path) -> list[Path]:
    """The suite's corpus paths; with `articles`, each .jsonl file cut to those ids (written
    under `root`, the run's store folder, and read from the shared corpus at run time)."""
    if not s.articles:
        return list(s.corpus)
    wanted = set(s.articles)
    found: set[str] = set()
    out: list[Path] = []
    selected = root / "selected-articles"
    selected.mkdir(parents=True, exist_ok=True)
    for n, path in enumerate(s.corpus):
        if path.suffix.lower() != ".jsonl":
            out.append(path)
            continue
        lines = []
        with path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    doc_id = str(json.loads(line).get("id"))
                except (json.JSONDecodeError, AttributeError):
                    continue  # ingest reports bad lines of whole files; here they are skipped
                if doc_id in wanted and doc_id not in found:  # weeks share some articles
                    lines.append(line.rstrip("\n") + "\n")
                    found.add(doc_id)
        if lines:
            target = selected / f"{n:02d}-{path.name}"
            text = "".join(lines)
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
            out.append(target)
    missing = sorted(wanted - found)
    if missing:
        raise ConfigError(
            f"suite {s.name}: article id(s) not found in its .jsonl corpus files: "
            + ", ".join(missing[:10])
            + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        )
    return out


def _config_overrides(suite: Suite, name: str) -> dict[str, Any]:
    overrides = {**suite.settings, **suite.configs[name]}
    overrides.pop("store", None)  # the run decides where the store is
    return overrides


def run_suite(
    suite_path_or_obj: str | Path | dict[str, Any] | Suite,
    *,
    store: str | Path | None = None,
    out: str | Path | None = None,
    configs: Sequence[str] | None = None,
    compare: str | Path | Report | None = None,
    embedder: Embedder | None = None,
    judge_runs: int = 0,
    judge: Judge | None = None,
    judge_model: str | None = None,
    **assistant_kwargs: Any,
) -> Report:
    """Run a suite under each of its configs (or the `configs` named) and return the `Report`.

    store: a store folder to ingest into and reuse (default: a temporary one, deleted after).
    out: a folder to write report.json, report.md and report.html into.
    compare: an older report.json; its deltas land in `Report.comparison`.
    embedder: an already loaded embedder (tests pass theirs, to load MiniLM once).
    judge_runs: judge each answer this many times for judged_faithfulness and
        judged_correctness (mean and spread over runs); 0 (default) judges nothing.
    judge: the `Judge` to use (default: `LLMJudge` on the configured OpenAI-compatible server:
        the environment's settings, then the suite's shared ones, then these keyword arguments).
    judge_model: the judge's model, when it should not be the answerer's `llm_model`.
    assistant_kwargs: passed to every `Assistant` (e.g. chat_backend=... for a fake LLM).
    """
    s = load_suite(suite_path_or_obj)
    names = list(configs) if configs else list(s.configs)
    unknown = [n for n in names if n not in s.configs]
    if unknown:
        raise ConfigError(f"unknown config(s) {unknown}: the suite has {list(s.configs)}")
    for n in names:  # fail on a misspelt threshold before spending minutes on answers
        for key in s.gates(n):
            parse_gate(key)
    missing = [str(p) for p in s.corpus if not p.exists()]
    if missing:
        raise ConfigError(f"corpus not found: {', '.join(missing)}")
    judging = _judging(s, judge_runs, judge, judge_model, assistant_kwargs)
    results: dict[str, ConfigResult] = {}
    checks = []
    with contextlib.ExitStack() as stack:
        root = (
            Path(store)
            if store is not None
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="eval-store-")))
        )
        ingested: dict[Path, float] = {}
        shared = embedder
        for name in names:
            overrides = _config_overrides(s, name)
            own_store = bool(_STORE_KEYS & set(overrides))
            where = root / f"config-{name}" if own_store else root
            own_embedder = bool(_EMBEDDER_KEYS & set(overrides))
            a = Assistant(
                store=where,
                embedder=None if own_embedder else shared,
                **assistant_kwargs,
                **overrides,
            )
            if not own_embedder:
                shared = a.embedder  # configs differ in retrieval/answering only: load it once
            if where not in ingested:
                rep = a.ingest(_corpus_paths(s, root))
                ingested[where] = rep.seconds
                logger.info(
                    "%s: ingested %d added, %d unchanged, %d failed in %.1fs",
                    name,
                    rep.added,
                    rep.unchanged,
                    rep.failed,
                    rep.seconds,
                )
                for f in rep.failures:
                    logger.warning("ingest failed: %s: %s", f.path, f.reason)
            if s.questions:
                # Unscored warm-up, so the first question's latency is not lazy loading's.
                a.ask(s.questions[0].question, as_of=s.questions[0].as_of)
            t = time.perf_counter()
            qres = []
            asked: dict[tuple[str | None, tuple[str, ...]], Answer] = {}
            for i, q in enumerate(s.questions, 1):
                r = ask_question(a, q, judging, asked)
                logger.debug("%s %d/%d %s %s", name, i, len(s.questions), q.id, r.correct)
                qres.append(r)
            logger.info("%s: %d questions in %.1fs", name, len(qres), time.perf_counter() - t)
            cres = ConfigResult(
                name=name,
                settings=overrides,
                metrics=aggregate(qres),
                by_type=by_type(qres),
                questions=tuple(qres),
                answer_mode=a.default_mode,
                ingest_seconds=ingested[where],
            )
            results[name] = cres
            checks += check_thresholds(cres, s.gates(name))
    report = Report(
        suite=s.name,
        suite_path=str(s.path) if s.path else None,
        created=now_iso(),
        corpus=tuple(str(p) for p in s.corpus),
        n_questions=len(s.questions),
        skipped=s.skipped,
        configs=results,
        checks=tuple(checks),
    )
    if compare is not None:
        report = report.model_copy(update={"comparison": _compare(compare, report)})
    if out is not None:
        write_reports(report, Path(out))
    return report


_compare = compare  # `compare` is also run_suite's parameter name


def run_weeks(
    suites: Sequence[Suite],
    *,
    stores: str | Path | None = None,
    out: str | Path | None = None,
    config: str = "hybrid",
    compare: str | Path | Report | None = None,
    embedder: Embedder | None = None,
    group: str = "year",
    **assistant_kwargs: Any,
) -> Report:
    """Run one suite per week (`load_rtqa_weeks`), each over its own store, and report them
    together: one column set per year (`group="year"`), or one for all (`group="all"`).

    stores: a folder holding one store per week (`<stores>/<week>`), kept and reused by later
    runs (an unchanged corpus is not embedded again); default: temporary ones.
    """
    if not suites:
        raise ConfigError("no weeks to run")
    by_group: dict[str, list[QuestionResult]] = {}
    ingest_seconds: dict[str, float] = {}
    settings: dict[str, Any] = {}
    mode = ""
    skipped: dict[str, int] = {}
    shared = embedder
    with contextlib.ExitStack() as stack:
        root = (
            Path(stores)
            if stores is not None
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="eval-weeks-")))
        )
        if shared is None:
            # Loaded once for every week: each week's Assistant would load it again.
            first = suites[0].name.rsplit(" ", 1)[-1]
            shared = Assistant(store=root / first, **assistant_kwargs).embedder
        for i, s in enumerate(suites, 1):
            week = s.name.rsplit(" ", 1)[-1]
            key = week[:4] if group == "year" else "all"
            rep = run_suite(
                s,
                store=root / week,
                configs=[config],
                embedder=shared,
                **assistant_kwargs,
            )
            res = rep.configs[config]
            by_group.setdefault(key, []).extend(res.questions)
            ingest_seconds[key] = ingest_seconds.get(key, 0.0) + (res.ingest_seconds or 0.0)
            settings, mode = res.settings, res.answer_mode
            for reason, n in s.skipped.items():
                skipped[reason] = skipped.get(reason, 0) + n
            logger.info(
                "week %s (%d/%d): %d questions, accuracy %s",
                week,
                i,
                len(suites),
                len(res.questions),
                res.metrics.get("accuracy"),
            )
    results = {
        name: ConfigResult(
            name=name,
            settings=settings,
            metrics=aggregate(qres),
            by_type=by_type(qres),
            questions=tuple(qres),
            answer_mode=mode,
            ingest_seconds=ingest_seconds[name],
        )
        for name, qres in sorted(by_group.items())
    }
    report = Report(
        suite="rtqa-weeks",
        created=now_iso(),
        corpus=tuple(str(p) for s in suites for p in s.corpus),
        n_questions=sum(len(s.questions) for s in suites),
        skipped=skipped,
        configs=results,
    )
    if compare is not None:
        report = report.model_copy(update={"comparison": _compare(compare, report)})
    if out is not None:
        write_reports(report, Path(out))
    return report


def _judging(
    s: Suite,
    runs: int,
    judge: Judge | None,
    model: str | None,
    assistant_kwargs: dict[str, Any],
) -> AnswerJudging | None:
    """The judging of answers, checked before any minute goes into ingesting and asking."""
    if runs < 0:
        raise ConfigError(f"judge_runs must be 0 (off) or more, not {runs}")
    if runs == 0:
        return None
    if judge is None:
        settings = judge_settings(s.settings, assistant_kwargs, model)
        if not settings.llm_configured:
            raise ConfigError(
                "judged metrics (judge runs > 0) need an LLM: set OPENAI_API_KEY or "
                "OPENAI_BASE_URL (e.g. http://localhost:11434/v1 for Ollama), or run "
                "without --judge-runs"
            )
        judge = LLMJudge.from_settings(settings)
    return AnswerJudging(judge, runs)


def write_reports(report: Report, out: Path) -> dict[str, Path]:
    """report.json, report.md and report.html in `out` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": write_json(report, out / "report.json"),
        "md": out / "report.md",
        "html": write_html(report, out / "report.html"),
    }
    paths["md"].write_text(to_markdown(report), encoding="utf-8")
    logger.info("wrote %s", ", ".join(str(p) for p in paths.values()))
    return paths
