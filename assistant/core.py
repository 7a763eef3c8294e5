"""`Assistant`: the one object the CLI, the UI and the evals talk to."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

from assistant.answering.base import Answerer, AnswerRequest, Condenser, Draft
from assistant.answering.condense import offline_condense
from assistant.answering.extractive import ExtractiveAnswerer, abstention_text
from assistant.answering.model import AnswerModel
from assistant.bm25 import BM25Index
from assistant.chunking import Chunker
from assistant.config import Settings, load_settings
from assistant.embeddings import Embedder, make_embedder
from assistant.errors import ConfigError, clip
from assistant.filters import Filters
from assistant.indexing import ingest_paths
from assistant.retrieval import HybridRetriever, RetrievalResult
from assistant.store import Store
from assistant.temporal import time_window
from assistant.types import Answer, Article, ArticleInfo, Chunk, IngestReport

if TYPE_CHECKING:
    from assistant.answering.llm import ChatBackend
    from assistant.scale.ray_ingest import RayOptions
    from assistant.timeline import Timeline

__all__ = ["AskOptions", "Assistant", "ask", "check_question"]

logger = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]


class AskOptions(TypedDict, total=False):
    """The options of one question, as `Assistant.stream` takes them."""

    history: History | None
    as_of: dt.date | str | None
    top_k: int | None
    sources: Sequence[str]
    doc_ids: Sequence[str]
    since: dt.date | str | None
    until: dt.date | str | None
    include_undated: bool
    answerer: str | None


# The answer modes a call can ask for (`ask(..., answerer=...)`).
ANSWER_MODES = ("extractive", "llm")


def _answer_model(setting: str) -> AnswerModel | Literal["packaged"] | None:
    """The `answer_model` setting as the offline answerer takes it."""
    if setting == "packaged":
        return "packaged"
    if setting == "rules":
        return None
    path = Path(setting).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"answer_model (ASSISTANT_ANSWER_MODEL) is {setting!r}: give `packaged`, `rules` "
            "or the path of a model file written by evals/fit_answer_model.py"
        )
    return AnswerModel.load(path)


def _as_date(value: dt.date | str | None, name: str = "as_of") -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a date or a string like 2025-01-31, not {clip(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name}={clip(value)} is not a date like 2025-01-31") from None


def _date_filters(
    as_of: dt.date | str | None, since: dt.date | str | None, until: dt.date | str | None
) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
    """as_of, since and until as dates, checked to leave some days to search."""
    day, lo, hi = _as_date(as_of), _as_date(since, "since"), _as_date(until, "until")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"since={lo} is after until={hi}: no day is in that range")
    if lo is not None and day is not None and lo > day:
        raise ConfigError(f"since={lo} is after as_of={day}: no article can be that recent")
    return day, lo, hi


# The longest turn of a conversation's history taken (a question or an answer): far above
# any answer, far below what the language pipeline parses at once (spaCy's 1,000,000).
MAX_HISTORY_TURN_CHARS = 100_000


def check_text(text: object, what: str, limit: int) -> None:
    """Refuse `text` that cannot be parsed: not a string, over `limit` characters, or with
    a lone surrogate (which JSON can carry but no UTF-8 text can, so every parser fails)."""
    if not isinstance(text, str):
        raise ConfigError(f"{what} must be text, not {type(text).__name__}")
    if len(text) > limit:
        raise ConfigError(
            f"{what} is {len(text):,} characters long, over the limit of {limit:,}"
            + (" (ASSISTANT_MAX_QUESTION_CHARS)" if what == "the question" else "")
            + "; shorten it"
        )
    bad = next((i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff"), None)
    if bad is not None:
        raise ConfigError(
            f"{what} is not valid text: character {bad + 1} is a lone UTF-16 surrogate "
            f"({text[bad]!a}); send it as UTF-8 text"
        )


def check_question(question: object, limit: int) -> None:
    """Refuse an empty question, or one `check_text` refuses, before anything parses it."""
    check_text(question, "the question", limit)
    if not str(question).strip():
        raise ConfigError("the question is empty")


def undated_note(count: int) -> str:
    """What the date filters left out, said where an answer could not be found."""
    what = "1 undated article was" if count == 1 else f"{count} undated articles were"
    return (
        f"{what} left out by the date filter (their publication date is unknown); "
        "ask with include_undated (--include-undated) to search them too."
    )


class Assistant:
    """Ingest news articles and answer questions about them with verified citations.

    >>> a = Assistant(store="vectorstore")            # doctest: +SKIP
    >>> a.ingest(["../shared/corpus/seeds"])           # doctest: +SKIP
    >>> print(a.ask("When do the Russian border guards leave?").text)  # doctest: +SKIP
    """

    def __init__(
        self,
        store: str | Path | None = None,
        *,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        chat_backend: ChatBackend | None = None,
        answerer_backend: Answerer | None = None,
        create_store: bool = True,
        **overrides: Any,
    ) -> None:
        """`create_store=False`: a missing store is an error (`StoreError`), not a new empty
        one (for asking questions)."""
        if store is not None:
            overrides["store"] = store
        # Bad values (and unknown ASSISTANT_* variables) fail here, with a ConfigError that
        # names the setting, the value and what is allowed.
        self.settings = load_settings(settings, **overrides)
        s = self.settings
        self.embedder = embedder or make_embedder(s)
        self.store = Store(
            s,
            embedder_name=self.embedder.name,
            dimension=self.embedder.dimension,
            create=create_store,
        )
        self.bm25 = BM25Index(self.store)
        self.retriever = HybridRetriever(self.store, self.embedder, self.bm25)
        self._chat = chat_backend
        # Built on first use, one per mode, shared by every call (and by the UI's sessions).
        self._answerers: dict[str, Answerer] = {}
        self._injected = answerer_backend
        self._answerers_lock = threading.Lock()

    @cached_property
    def chunker(self) -> Chunker:
        # Built on first ingest: its splitter imports llama-index's node parsers (slow), which
        # `assistant ask` never needs.
        return Chunker(self.settings.chunk_size, self.settings.chunk_overlap)

    # ------------------------------------------------------------------ ingest
    def ingest(
        self,
        paths: Sequence[str | Path] | str | Path,
        prune: bool = False,
        progress: bool | None = False,
        ray: RayOptions | None = None,
    ) -> IngestReport:
        """Index files/folders of articles; re-running it re-embeds nothing unchanged.
        `ray`: on a Ray cluster, into the Chroma server (`assistant.scale`)."""
        if isinstance(paths, str | Path):
            paths = [paths]
        if ray is not None:
            from assistant.scale.ray_ingest import ray_ingest_paths

            return ray_ingest_paths(
                list(paths),
                store=self.store,
                embedder_name=self.embedder.name,
                chunker=self.chunker,
                bm25=self.bm25,
                options=ray,
                prune=prune,
                progress=progress,
            )
        report = ingest_paths(
            list(paths),
            store=self.store,
            embedder=self.embedder,
            chunker=self.chunker,
            bm25=self.bm25,
            prune=prune,
            max_file_mb=self.settings.max_file_mb,
            progress=progress,
        )
        # Ingest has the torch model loaded already: export the ONNX graph questions use now
        # (once per machine), so the first `assistant ask` does not pay for it.
        export = getattr(self.embedder, "ensure_onnx_export", None)
        if export is not None:
            export()
        return report

    def articles(self) -> list[ArticleInfo]:
        return sorted(self.store.article_infos().values(), key=lambda i: i.doc_id)

    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        """The indexed articles among `doc_ids` (text included), by doc id."""
        return self.store.get_articles(doc_ids)

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """The indexed chunks among `chunk_ids`, by chunk id."""
        hits = self.store.get_chunks(chunk_ids)
        return {
            cid: Chunk(
                chunk_id=cid, doc_id=h.doc_id, index=h.index, text=h.text, start=h.start, end=h.end
            )
            for cid, h in hits.items()
        }

    def delete(self, doc_ids: Sequence[str]) -> int:
        with self.store.ingest_lock():
            for d in doc_ids:
                self.store.delete_article(d)
            self.bm25.rebuild()
        return len(doc_ids)

    def stats(self) -> dict[str, Any]:
        infos = self.store.article_infos()
        # Committed chunks only: each article record names its own count. What Chroma holds
        # beyond that was left by an interrupted ingest, invisible and removed by the next.
        n_chunks = sum(i.n_chunks for i in infos.values())
        _, n_stored = self.store.count()
        out: dict[str, Any] = {
            "documents": len(infos),
            "chunks": n_chunks,
            "embedder": self.embedder.name,
            "dimension": self.embedder.dimension,
            "precision": getattr(self.embedder, "precision", None),
            "store": self.store.location,
            "collection": self.settings.collection,
            "chunking": self.chunker.config_key,
        }
        if n_stored > n_chunks:
            out["leftover chunks"] = (
                f"{n_stored - n_chunks} (from an interrupted ingest; the next ingest removes them)"
            )
        return out

    # ------------------------------------------------------------------ asking
    @property
    def default_mode(self) -> str:
        """The answer mode of calls that name none: settings' `answerer`, where "auto" means
        the LLM when one is configured (a key, a base URL or an injected chat backend)."""
        mode = self.settings.answerer
        if mode == "auto":
            return "llm" if self._chat is not None or self.settings.llm_configured else "extractive"
        return mode

    @property
    def answer_modes(self) -> tuple[str, ...]:
        """The modes this assistant can answer in: the LLM only when one is configured."""
        if self.default_mode == "llm" or self.settings.llm_configured:
            return ANSWER_MODES
        return ("extractive",)

    def answerer(self, mode: str | None = None) -> Answerer:
        """The answerer of `mode` ("extractive" or "llm"; None: the injected or default one)."""
        if mode is None and self._injected is not None:
            return self._injected
        mode = mode or self.default_mode
        if mode not in ANSWER_MODES:
            raise ConfigError(f"unknown answer mode {mode!r}: use {' or '.join(ANSWER_MODES)}")
        with self._answerers_lock:
            if mode not in self._answerers:
                self._answerers[mode] = self._build_answerer(mode)
            return self._answerers[mode]

    def _build_answerer(self, mode: str) -> Answerer:
        s = self.settings
        offline = self._answerers.get("extractive")
        if not isinstance(offline, ExtractiveAnswerer):
            offline = ExtractiveAnswerer(
                self.embedder, threshold=s.abstain_threshold, model=_answer_model(s.answer_model)
            )
            self._answerers["extractive"] = offline
        if mode == "extractive":
            return offline
        # Imported here: the OpenAI client stack is a large part of an offline cold start.
        from assistant.answering.fallback import FallbackAnswerer
        from assistant.answering.llm import LLMAnswerer, OpenAIChat

        llm = LLMAnswerer(s, self._chat or OpenAIChat(s), self.embedder)
        return FallbackAnswerer(llm, offline) if s.llm_fallback else llm

    def condense(self, question: str, history: History | None, answerer: str | None = None) -> str:
        """`question` rewritten to stand alone, by the answerer of that mode if it condenses."""
        if not history:
            return question
        chosen = self.answerer(answerer)
        if isinstance(chosen, Condenser):
            return chosen.condense(question, history)
        return offline_condense(question, history)

    def retrieve(
        self,
        question: str,
        *,
        as_of: dt.date | str | None = None,
        top_k: int | None = None,
        sources: Sequence[str] = (),
        doc_ids: Sequence[str] = (),
        mode: str | None = None,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        include_undated: bool = False,
    ) -> RetrievalResult:
        """The best articles' chunks for `question`, ranked for the time it asks about
        ("this week" is the week before `as_of`, else before today) and searched only among
        articles published from `since` to `until` and by `as_of`."""
        s = self.settings
        day, lo, hi = _date_filters(as_of, since, until)
        t = time.perf_counter()
        window = time_window(question, day or dt.date.today()).with_filters(
            as_of=day, since=lo, until=hi, include_undated=include_undated
        )
        took = time.perf_counter() - t
        res = self.retriever.retrieve(
            question,
            top_k=top_k or s.top_k,
            candidate_k=s.candidate_k,
            filters=Filters(
                as_of=day,
                sources=tuple(sources),
                doc_ids=tuple(doc_ids),
                since=lo,
                until=hi,
                include_undated=include_undated,
            ),
            mode=(mode or s.retrieval_mode),  # type: ignore[arg-type]
            window=window,
        )
        res.timings["time_window"] = took
        return res

    def stream(
        self,
        question: str,
        *,
        history: History | None = None,
        as_of: dt.date | str | None = None,
        top_k: int | None = None,
        sources: Sequence[str] = (),
        doc_ids: Sequence[str] = (),
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        include_undated: bool = False,
        answerer: str | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer text in pieces, then the final `Answer`.

        `answerer` picks the mode for this call ("extractive" or "llm"; default: settings)."""
        check_question(question, self.settings.max_question_chars)
        for turn in history or ():
            for said in turn:
                check_text(said, "a turn of the history", MAX_HISTORY_TURN_CHARS)
        chosen = self.answerer(answerer)
        mode = answerer or self.default_mode
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        standalone = self.condense(question, history, answerer)
        timings["condense"] = time.perf_counter() - t0
        t = time.perf_counter()
        day = _as_date(as_of)
        res = self.retrieve(
            standalone,
            as_of=day,
            top_k=top_k,
            sources=sources,
            doc_ids=doc_ids,
            since=since,
            until=until,
            include_undated=include_undated,
        )
        timings["retrieve"] = time.perf_counter() - t
        timings.update({f"retrieve.{k}": v for k, v in res.timings.items()})
        t = time.perf_counter()
        if res.chunks:
            draft: Draft | None = None
            request = AnswerRequest(standalone, res.chunks, day, res.query_vec, res.window)
            for item in chosen.stream(request):
                if isinstance(item, Draft):
                    draft = item
                else:
                    yield item
            if draft is None:
                raise RuntimeError("the answerer ended without a draft")
        else:
            text = abstention_text(standalone)
            if res.undated_excluded:
                # Nothing was retrieved at all: say that the dates were the reason.
                text = (
                    "No indexed article with a known date falls in the searched dates. "
                    + undated_note(res.undated_excluded)
                )
            draft = Draft(text, abstained=True, mode=mode)
            yield draft.text
        if res.chunks and not draft.short and res.undated_excluded:
            # Said after the streamed text: the date filter, not the articles, may be why
            # there is no answer (or only the closest passages).
            note = undated_note(res.undated_excluded)
            yield f" {note}"
            draft = dataclasses.replace(draft, text=f"{draft.text} {note}")
        timings["answer"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - t0
        yield Answer(
            question=question,
            standalone_question=standalone,
            text=draft.text,
            short=draft.short,
            abstained=draft.abstained,
            citations=draft.citations,
            mode=draft.mode,
            confidence=draft.confidence,
            best_candidate=draft.candidate,
            timings=timings,
            time_window=res.window,
            undated_excluded=res.undated_excluded,
        )

    def timeline(
        self,
        topic: str,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        as_of: dt.date | str | None = None,
        limit: int = 30,
    ) -> Timeline:
        """The events of `topic`, oldest first, each dated and cited with verbatim quotes
        (`assistant.timeline`): dated from `since` to `until`, read from articles published
        by `as_of`."""
        from assistant.timeline import build_timeline

        check_text(topic, "the topic", self.settings.max_question_chars)
        if not topic.strip():
            raise ConfigError("the topic is empty: name the story, e.g. 'Artemis I launch'")
        day, lo, hi = _date_filters(as_of, since, until)
        return build_timeline(self, topic, since=lo, until=hi, as_of=day, limit=limit)

    def ask(self, question: str, **options: Unpack[AskOptions]) -> Answer:
        """Answer `question` from the indexed articles, citing the passages used.

        The options are `stream`'s (see `AskOptions`): history, as_of (the assistant's "today",
        and the latest publication date searched), top_k, sources, doc_ids, since/until (a
        publication range), include_undated, answerer (the mode of this call).
        """
        final: Answer | None = None
        for item in self.stream(question, **options):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final


def ask(question: str, *, store: str | Path | None = None, **kwargs: Any) -> Answer:
    """One-shot helper: `assistant.ask("...", store="vectorstore")`."""
    # `answerer` stays a setting here: this Assistant exists for one call anyway.
    ask_keys = set(AskOptions.__annotations__) - {"answerer"}
    ask_kwargs = {k: v for k, v in kwargs.items() if k in ask_keys}
    settings_kwargs = {k: v for k, v in kwargs.items() if k not in ask_keys}
    return Assistant(store=store, **settings_kwargs).ask(question, **ask_kwargs)
