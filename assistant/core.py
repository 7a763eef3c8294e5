"""`Assistant`: the one object the CLI, the UI and the evals talk to."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from assistant.answering.condense import offline_condense
from assistant.answering.extractive import ExtractiveAnswerer, abstention_text
from assistant.answering.llm import (
    FALLBACK_HINT,
    ChatBackend,
    LLMAnswerer,
    OpenAIChat,
    complete,
)
from assistant.chunking import Chunker
from assistant.config import Settings
from assistant.embeddings import Embedder, make_embedder
from assistant.errors import ConfigError, LLMError
from assistant.indexing import ingest_paths
from assistant.prompts import load_prompt
from assistant.retrieval import BM25Index, Filters, HybridRetriever, RetrievalResult
from assistant.store import ArticleInfo, Store
from assistant.temporal import time_window
from assistant.types import Answer, Citation, IngestReport, RetrievedChunk

__all__ = ["Assistant", "ask"]

logger = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]

# `Answer.mode` and the first words of `Answer.text` when the LLM failed and
# `llm_fallback` answered with the offline extractive answerer instead.
MODE_FALLBACK = "extractive-fallback"
FALLBACK_NOTE = "Offline answer (the LLM failed)"


def _as_date(value: dt.date | str | None, name: str = "as_of") -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a date like 2025-01-31") from None


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


def undated_note(count: int) -> str:
    """What the date filters left out, said where an answer could not be found."""
    what = "1 undated article was" if count == 1 else f"{count} undated articles were"
    return (
        f"{what} left out by the date filter (their publication date is unknown); "
        "ask with include_undated (--include-undated) to search them too."
    )


def _reason(exc: LLMError) -> str:
    """What failed, without the advice to turn on the fallback that is already on."""
    return str(exc).removesuffix(FALLBACK_HINT)


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
        **overrides: Any,
    ) -> None:
        base = settings or Settings()
        if store is not None:
            overrides["store"] = Path(store)
        # Validate overrides (model_copy would not), so a bad value fails here, clearly.
        self.settings = (
            Settings.model_validate({**base.model_dump(), **overrides}) if overrides else base
        )
        s = self.settings
        self.embedder = embedder or make_embedder(s)
        self.store = Store(s, embedder_name=self.embedder.name, dimension=self.embedder.dimension)
        self.bm25 = BM25Index(self.store)
        self.retriever = HybridRetriever(self.store, self.embedder, self.bm25)
        self.extractive = ExtractiveAnswerer(self.embedder, threshold=s.abstain_threshold)
        self._chat = chat_backend
        self._llm: LLMAnswerer | None = None

    @cached_property
    def chunker(self) -> Chunker:
        # Built on first ingest: its splitter imports llama-index's node parsers (~1 s), which
        # `assistant ask` never needs.
        return Chunker(self.settings.chunk_size, self.settings.chunk_overlap)

    # ------------------------------------------------------------------ ingest
    def ingest(
        self,
        paths: Sequence[str | Path] | str | Path,
        prune: bool = False,
        progress: bool | None = False,
    ) -> IngestReport:
        """Index files/folders of articles; re-running it re-embeds nothing unchanged."""
        if isinstance(paths, str | Path):
            paths = [paths]
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

    def delete(self, doc_ids: Sequence[str]) -> int:
        with self.store.ingest_lock():
            for d in doc_ids:
                self.store.delete_article(d)
            self.bm25.rebuild()
        return len(doc_ids)

    def stats(self) -> dict[str, Any]:
        n_articles, n_chunks = self.store.count()
        return {
            "documents": n_articles,
            "chunks": n_chunks,
            "embedder": self.embedder.name,
            "dimension": self.embedder.dimension,
            "precision": getattr(self.embedder, "precision", None),
            "store": self.store.location,
            "collection": self.settings.collection,
            "chunking": self.chunker.config_key,
        }

    # ------------------------------------------------------------------ asking
    @property
    def llm(self) -> LLMAnswerer:
        if self._llm is None:
            backend = self._chat or OpenAIChat(self.settings)
            self._llm = LLMAnswerer(self.settings, backend, self.embedder)
        return self._llm

    @property
    def uses_llm(self) -> bool:
        mode = self.settings.answerer
        return mode == "llm" or (
            mode == "auto" and (self._chat is not None or self.settings.llm_configured)
        )

    def condense(self, question: str, history: History | None) -> str:
        if not history:
            return question
        if self.uses_llm:
            prompt = load_prompt("condense", self.settings.prompts_dir)
            convo = "\n".join(f"User: {u}\nAssistant: {a}" for u, a in history[-4:])
            msgs = [{"role": "user", "content": prompt.format(history=convo, question=question)}]
            try:
                text = complete(self.llm.backend, msgs).strip()
            except LLMError as exc:
                if not self.settings.llm_fallback:
                    raise
                logger.warning("condensing offline, as the LLM failed: %s", _reason(exc))
                return offline_condense(question, history)
            return text.splitlines()[0].strip() if text else question
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
    ) -> Iterator[str | Answer]:
        """Yield the answer text in pieces, then the final `Answer`."""
        if not question or not question.strip():
            raise ConfigError("the question is empty")
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        standalone = self.condense(question, history)
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
        if not res.chunks:
            text = abstention_text(standalone)
            if res.undated_excluded:
                # Nothing was retrieved at all: say that the dates were the reason.
                text = (
                    "No indexed article with a known date falls in the searched dates. "
                    + undated_note(res.undated_excluded)
                )
            yield text
            timings["answer"] = time.perf_counter() - t
            timings["total"] = time.perf_counter() - t0
            yield Answer(
                question=question,
                standalone_question=standalone,
                text=text,
                abstained=True,
                mode="llm" if self.uses_llm else "extractive",
                timings=timings,
                time_window=res.window,
                undated_excluded=res.undated_excluded,
            )
            return
        if self.uses_llm:
            pieces: list[str] = []
            try:
                for delta in self.llm.stream_raw(standalone, res.chunks, day):
                    pieces.append(delta)
                    yield delta
            except LLMError as exc:
                if not self.settings.llm_fallback:
                    raise
                # What streamed before the failure is dropped, never finished into an answer:
                # only a whole reply has its citations checked.
                logger.warning("answering offline, as the LLM failed: %s", _reason(exc))
                text, short, abstained, cites = self._fallback(standalone, res.chunks, exc)
                # The blank line parts it from any text that streamed before the failure.
                yield ("\n\n" if pieces else "") + text
                mode = MODE_FALLBACK
            else:
                text, short, abstained, cites = self.llm.finish("".join(pieces), res.chunks)
                mode = "llm"
        else:
            draft = self.extractive.answer(standalone, res.chunks)
            text, short, abstained, cites = (
                draft.text,
                draft.short,
                draft.abstained,
                draft.citations,
            )
            if abstained and res.undated_excluded:
                text = f"{text} {undated_note(res.undated_excluded)}"
            yield text
            mode = "extractive"
        timings["answer"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - t0
        yield Answer(
            question=question,
            standalone_question=standalone,
            text=text,
            short=short,
            abstained=abstained,
            citations=cites,
            mode=mode,
            timings=timings,
            time_window=res.window,
            undated_excluded=res.undated_excluded,
        )

    def _fallback(
        self, question: str, chunks: Sequence[RetrievedChunk], exc: LLMError
    ) -> tuple[str, str, bool, tuple[Citation, ...]]:
        """The extractive answer, opening with a note that says the LLM failed and why."""
        draft = self.extractive.answer(question, chunks)
        text = f"{FALLBACK_NOTE}: {_reason(exc)}\n\n{draft.text}"
        return text, draft.short, draft.abstained, draft.citations

    def ask(
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
    ) -> Answer:
        """Answer `question` from the indexed articles, citing the passages used.

        as_of: the assistant's "today" ("this week" is the week before it), and the latest
        publication date searched; since/until: search only articles published in that
        range; include_undated: search articles with no known date too when dates filter.
        """
        final: Answer | None = None
        for item in self.stream(
            question,
            history=history,
            as_of=as_of,
            top_k=top_k,
            sources=sources,
            doc_ids=doc_ids,
            since=since,
            until=until,
            include_undated=include_undated,
        ):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final


def ask(question: str, *, store: str | Path | None = None, **kwargs: Any) -> Answer:
    """One-shot helper: `assistant.ask("...", store="vectorstore")`."""
    ask_keys = {
        "history",
        "as_of",
        "top_k",
        "sources",
        "doc_ids",
        "since",
        "until",
        "include_undated",
    }
    ask_kwargs = {k: v for k, v in kwargs.items() if k in ask_keys}
    settings_kwargs = {k: v for k, v in kwargs.items() if k not in ask_keys}
    return Assistant(store=store, **settings_kwargs).ask(question, **ask_kwargs)
