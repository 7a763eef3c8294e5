"""`Assistant`: the one object the CLI, the UI and the evals talk to."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

from assistant.answering.base import Answerer, AnswerRequest, Condenser, Draft
from assistant.answering.extractive import ExtractiveAnswerer, abstention_text
from assistant.answering.model import AnswerModel
from assistant.answering.resolver import Resolution, resolve
from assistant.bm25 import BM25Index
from assistant.chunking import Chunker
from assistant.config import Settings, load_settings
from assistant.conversation import as_turns
from assistant.embeddings import Embedder, make_embedder
from assistant.errors import ConfigError
from assistant.indexing import ingest_paths
from assistant.query import ANSWER_MODES, History, OptionNames, Query, check_question, check_text
from assistant.retrieval import HybridRetriever, RetrievalResult
from assistant.store import Store
from assistant.temporal import TimePriors
from assistant.types import Answer, Article, ArticleInfo, Chunk, IngestReport

if TYPE_CHECKING:
    import numpy as np

    from assistant.answering.llm import ChatBackend
    from assistant.scale.ray_ingest import RayOptions
    from assistant.timeline import Timeline

__all__ = ["AskOptions", "Assistant", "Query", "ask", "check_question"]

logger = logging.getLogger(__name__)


class AskOptions(TypedDict, total=False):
    """The options of one question, as `Assistant.ask` and `stream` take them (the fields
    of `Query`, which they build)."""

    history: History | None
    as_of: dt.date | str | None
    top_k: int | None
    sources: Sequence[str]
    doc_ids: Sequence[str]
    since: dt.date | str | None
    until: dt.date | str | None
    include_undated: bool
    retrieval_mode: str | None
    answerer: str | None
    time_priors: TimePriors


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
        columns: Mapping[str, str] | None = None,
    ) -> IngestReport:
        """Index files/folders of articles; re-running it re-embeds nothing unchanged.
        `ray`: on a Ray cluster, into the Chroma server (`assistant.scale`). `columns` maps
        article fields to CSV column names (`{"text": "Body"}`), see docs/formats.md."""
        if isinstance(paths, str | Path):
            paths = [paths]
        if ray is not None:
            if columns:
                raise ConfigError("--columns is not supported with --ray yet; ingest CSV locally")
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
            columns=columns,
        )
        self._export_onnx()
        return report

    def ingest_urls(
        self,
        urls: Sequence[str],
        *,
        public_only: bool = False,
        progress: bool | None = False,
    ) -> IngestReport:
        """Fetch pages and index them, each URL its article's id (a re-run updates). The
        fetch is bounded (timeouts, size, redirects) and honours robots.txt; `public_only`
        refuses loopback and private addresses (what the web UI uses)."""
        from assistant.ingest.urls import FetchOptions, fetch_urls

        if isinstance(urls, str):
            urls = [urls]
        opts = FetchOptions(
            max_bytes=int(self.settings.max_file_mb * 1_000_000), public_only=public_only
        )
        report = ingest_paths(
            [u.strip() for u in urls],
            store=self.store,
            embedder=self.embedder,
            chunker=self.chunker,
            bm25=self.bm25,
            progress=progress,
            items=fetch_urls([u.strip() for u in urls], opts),
        )
        self._export_onnx()
        return report

    def _export_onnx(self) -> None:
        # Ingest has the torch model loaded already: export the ONNX graph questions use now
        # (once per machine), so the first `assistant ask` does not pay for it.
        export = getattr(self.embedder, "ensure_onnx_export", None)
        if export is not None:
            export()

    @property
    def location(self) -> str:
        """Where the store is: its folder, or the Chroma server's address."""
        return self.store.location

    def article_count(self) -> int:
        """How many articles are indexed (one cheap call, no record read)."""
        return self.store.count()[0]

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
        return self.resolve(question, history, answerer).standalone

    def resolve(
        self, question: str, history: History | None, answerer: str | None = None
    ) -> Resolution:
        """How `question` reads after `history`: the LLM's rewrite when the answerer of that
        mode condenses (an LLM), else the offline resolver's."""
        turns = as_turns(history)
        if not turns:
            return Resolution(question, question)
        chosen = self.answerer(answerer)
        if isinstance(chosen, Condenser) and not isinstance(chosen, ExtractiveAnswerer):
            text = chosen.condense(question, [t.pair() for t in turns]).strip() or question
            if text == question:
                return Resolution(question, question)
            return Resolution(question, text, "resolved", keep_articles=turns[-1].doc_ids)
        return resolve(question, turns)

    def query(self, question: str | Query, **options: Unpack[AskOptions]) -> Query:
        """`question` and `options` as one checked `Query` (a `Query` is taken as it is);
        a `ConfigError` says which option is wrong."""
        if isinstance(question, Query):
            if options:
                raise ConfigError(
                    f"options ({', '.join(sorted(options))}) given beside a Query: "
                    "set them on the Query (Query.replace)"
                )
            query = question
        else:
            query = Query.build(question, **options)
        check_question(query.question, self.settings.max_question_chars)
        return query

    def retrieve(
        self,
        question: str | Query,
        *,
        mode: str | None = None,
        query_vec: np.ndarray | None = None,
        prefer: Sequence[str] = (),
        **options: Unpack[AskOptions],
    ) -> RetrievalResult:
        """The best articles' chunks for `question`, ranked for the time it asks about
        ("this week" is the week before `as_of`, else before today) and searched only among
        articles published from `since` to `until` and by `as_of`. `mode`: the retrieval
        mode (as `retrieval_mode`); `query_vec`: the question's embedding, when the caller
        has it already (it is not embedded again); `prefer`: articles kept as candidates with
        a small boost (a follow-up's conversation articles)."""
        if mode is not None:
            options["retrieval_mode"] = mode
        query = self.query(question, **options)
        return self._retrieve(query, query.question, query_vec, tuple(prefer))

    def _retrieve(
        self,
        query: Query,
        question: str,
        query_vec: np.ndarray | None = None,
        prefer: tuple[str, ...] = (),
    ) -> RetrievalResult:
        """Retrieval for `question` (the query's own, or its standalone rewrite)."""
        s = self.settings
        t = time.perf_counter()
        window = query.time_window(question)
        took = time.perf_counter() - t
        res = self.retriever.retrieve(
            question,
            top_k=query.top_k or s.top_k,
            candidate_k=s.candidate_k,
            filters=query.filters,
            mode=query.retrieval_mode or s.retrieval_mode,  # type: ignore[arg-type]
            query_vec=query_vec,
            window=window,
            prefer=prefer,
        )
        res.timings["time_window"] = took
        return res

    def stream(
        self, question: str | Query, **options: Unpack[AskOptions]
    ) -> Iterator[str | Answer]:
        """Yield the answer text in pieces, then the final `Answer`.

        `question` is a `Query`, or the question's text with the query's options (see
        `AskOptions`); `answerer` picks the mode for this call ("extractive" or "llm";
        default: settings)."""
        query = self.query(question, **options)
        chosen = self.answerer(query.answerer)
        mode = query.answerer or self.default_mode
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        resolution = self.resolve(query.question, query.history, query.answerer)
        standalone = resolution.standalone
        timings["condense"] = time.perf_counter() - t0
        t = time.perf_counter()
        res = self._retrieve(query, standalone, prefer=resolution.keep_articles)
        timings["retrieve"] = time.perf_counter() - t
        timings.update({f"retrieve.{k}": v for k, v in res.timings.items()})
        t = time.perf_counter()
        if res.chunks:
            draft: Draft | None = None
            request = AnswerRequest(
                resolution.to_answer, res.chunks, query.as_of, res.query_vec, res.window
            )
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
            question=query.question,
            standalone_question=standalone,
            follow_up=resolution.kind,
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
        *,
        names: OptionNames | None = None,
    ) -> Timeline:
        """The events of `topic`, oldest first, each dated and cited with verbatim quotes
        (`assistant.timeline`): dated from `since` to `until`, read from articles published
        by `as_of`. `names`: how errors name the date options (the CLI's `--since`)."""
        from assistant.timeline import build_timeline

        check_text(topic, "the topic", self.settings.max_question_chars)
        if not topic.strip():
            raise ConfigError("the topic is empty: name the story, e.g. 'Artemis I launch'")
        q = (
            Query.build(topic, names=names, as_of=as_of, since=since, until=until)
            if names is not None
            else Query(topic, as_of=as_of, since=since, until=until)  # type: ignore[arg-type]
        )
        return build_timeline(self, topic, since=q.since, until=q.until, as_of=q.as_of, limit=limit)

    def ask(self, question: str | Query, **options: Unpack[AskOptions]) -> Answer:
        """Answer `question` from the indexed articles, citing the passages used.

        `question` is a `Query`, or the question's text with the query's options (see
        `AskOptions` and `Query`): history, as_of (the assistant's "today", and the latest
        publication date searched), top_k, sources, doc_ids, since/until (a publication
        range), include_undated, retrieval_mode, answerer (the mode of this call),
        time_priors.
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
    ask_keys = set(AskOptions.__annotations__) - {"answerer", "retrieval_mode"}
    ask_kwargs = {k: v for k, v in kwargs.items() if k in ask_keys}
    settings_kwargs = {k: v for k, v in kwargs.items() if k not in ask_keys}
    return Assistant(store=store, **settings_kwargs).ask(question, **ask_kwargs)
