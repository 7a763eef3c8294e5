"""The Gradio web UI: chat with cited sources, an article library, and an `/ask` API endpoint.

The UI holds no retrieval or answering logic of its own: everything goes through the public
`Assistant` API, so the CLI, the evals and the UI answer identically.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import logging
import os
import shutil
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.conversation import Turn
from assistant.core import Assistant
from assistant.errors import AssistantError, ConfigError, clip
from assistant.ingest.readers import SUPPORTED_SUFFIXES
from assistant.ingest.readers.registry import suffix_of
from assistant.query import UI_NAMES, Query
from assistant.timeline import timeline_topic
from assistant.timeline.chat import timeline_stream
from assistant.types import Answer, ArticleInfo, IngestReport
from assistant.ui.explain import SearchScope, filter_hints
from assistant.ui.page import NARROW_PX, PAGE_JS, VIEWPORT_WIDTH_JS, theme
from assistant.ui.render import (
    answer_markdown,
    chat_markdown,
    escape_html,
    escape_markdown,
    library_list_html,
    library_rows,
    safe_filename,
    sources_html,
    status_html,
    understood_html,
)
from assistant.ui.timeline import build_timeline_tab

__all__ = ["UPLOAD_SUFFIXES", "build_app", "launch", "parse_auth"]

logger = logging.getLogger(__name__)

UPLOAD_SUFFIXES = SUPPORTED_SUFFIXES  # what the readers read
MODE_EXTRACTIVE = "extractive"
MODE_LLM = "llm"
LLM_HINT = (
    "LLM answers need OPENAI_API_KEY or OPENAI_BASE_URL (e.g. a local Ollama server); "
    "set one and restart the UI."
)
LIBRARY_HEADERS = ["Title", "Date", "Source", "Chunks", "From", "Document id"]
AUTH_ENV = "ASSISTANT_UI_AUTH"


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """`USER:PASS` → (user, pass); None/empty → None. The password may contain colons."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("auth must look like USER:PASS (both parts non-empty)")
    return user, password


def _refuse(message: str) -> gr.Error:
    """An error the user (or API caller) made: shown to them, logged as one line by us, and
    never as a traceback (those are kept for real faults)."""
    return gr.Error(message, print_exception=False)


def _skip(n: int) -> tuple[Any, ...]:
    return tuple(gr.skip() for _ in range(n))


class _Backend:
    """The event handlers, bound to one Assistant and one upload folder."""

    def __init__(self, assistant: Assistant, upload_dir: Path, max_upload_mb: float) -> None:
        self.assistant = assistant
        self.upload_dir = Path(upload_dir).resolve()
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.staging_dir = self.upload_dir / ".staging"
        self.max_upload_mb = max_upload_mb
        self.max_upload_bytes = int(max_upload_mb * 1_000_000)
        self.llm_available = MODE_LLM in assistant.answer_modes
        self.default_mode = assistant.default_mode
        # Ingest and delete take the store's lock too, but that one refuses rather than waits;
        # in one process, users' library edits should queue up instead of failing.
        self._library_lock = threading.Lock()

    # ------------------------------------------------------------------ answering
    def mode_for(self, mode: str | None) -> str:
        """`mode` when this assistant can answer in it, else its default mode."""
        return mode if mode in self.assistant.answer_modes else self.default_mode

    def _progress(self, followup: bool) -> str:
        """What the assistant is doing before the first words of the answer arrive."""
        n = len(self.assistant.articles())
        searching = f"Searching {n} article{'s' if n != 1 else ''}…"
        if followup:
            return f"Reading the follow-up in context, then {searching.lower()}"
        return searching

    def chat(
        self,
        question: str,
        messages: list[Any] | None,
        history: list[Turn] | None,
        mode: str,
        top_k: float,
        as_of: str,
        sources: list[str] | None,
        doc_ids: list[str] | None,
        since: str = "",
        until: str = "",
        include_undated: bool = False,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat; outputs: chat, history, sources, markdown, box."""
        question = (question or "").strip()
        if not question:
            logger.info("chat '': refused: the question is empty")
            gr.Warning("Type a question first.")
            yield _skip(5)
            return
        answer_mode = self.mode_for(mode)
        history = list(history or [])
        try:
            query = Query.build(
                question,
                names=UI_NAMES,
                history=history,
                as_of=as_of,
                since=since,
                until=until,
                include_undated=bool(include_undated),
                top_k=int(top_k) if top_k else None,
                sources=tuple(sources or ()),
                doc_ids=tuple(doc_ids or ()),
                answerer=answer_mode,
            )
        except ConfigError as exc:
            logger.info("chat %r: refused: %s", question[:80], exc)
            gr.Warning(escape_html(str(exc)))
            yield _skip(5)
            return
        messages = list(messages or [])
        working = self._progress(bool(history))
        messages.append({"role": "user", "content": escape_markdown(question)})
        messages.append(
            {"role": "assistant", "content": f'<span class="progress-note">{working}</span>'}
        )
        yield messages, gr.skip(), status_html("working", working), "", ""

        assistant = self.assistant
        streamed = ""
        final: Answer | None = None
        started = time.perf_counter()
        # "What happened with X?", "timeline of X": a short timeline instead of one answer.
        topic = timeline_topic(question) if not history else None
        try:
            items = (
                timeline_stream(
                    assistant,
                    question,
                    topic,
                    as_of=query.as_of,
                    since=query.since,
                    until=query.until,
                )
                if topic
                else assistant.stream(query)
            )
            for item in items:
                if isinstance(item, Answer):
                    final = item
                    break
                streamed += item
                messages[-1] = {"role": "assistant", "content": chat_markdown(streamed)}
                yield messages, gr.skip(), status_html("working", "Writing the answer…"), *_skip(2)
        except AssistantError as exc:
            logger.warning("chat %r: failed: %s", question[:80], exc)
            messages[-1] = {
                "role": "assistant",
                "content": f"⚠️ **Error:** {escape_markdown(str(exc))}",
            }
            yield messages, gr.skip(), status_html("error", str(exc)), "", gr.skip()
            return
        except Exception:
            logger.exception("chat %r: failed", question[:80])
            messages[-1] = {
                "role": "assistant",
                "content": "⚠️ **Error:** the answer failed; see the server log.",
            }
            yield messages, gr.skip(), status_html("error", "The answer failed."), "", gr.skip()
            return
        if final is None:  # stream() always ends with an Answer; guard anyway
            return
        _log_outcome("chat", question, final, time.perf_counter() - started)
        scope = SearchScope(
            as_of=_iso(query.as_of),
            since=_iso(query.since),
            until=_iso(query.until),
            include_undated=query.include_undated,
            publications=query.sources,
            articles=len(query.doc_ids),
        )
        hints = filter_hints(final, scope)
        numbers = [c.number for c in final.citations]
        body = chat_markdown(final.text, numbers, [c.quote for c in final.citations])
        if final.abstained:
            body = f"⚠️ **Not answered.** {body}"
        body += understood_html(final)
        messages[-1] = {"role": "assistant", "content": body}
        # The answer itself, so the next follow-up knows its short answer, abstention and
        # cited articles (not just its text).
        history.append(Turn.from_answer(final))
        articles = assistant.get_articles([c.doc_id for c in final.citations])
        markdown = answer_markdown(final, hints)
        yield messages, history, sources_html(final, articles, hints), markdown, ""

    def ask_api(
        self,
        question: str,
        history: list[list[str]] | None = None,
        as_of: str | None = None,
        since: str | None = None,
        until: str | None = None,
        include_undated: bool = False,
    ) -> dict[str, Any]:
        """Answer a question; returns the same JSON as `assistant ask --json`.

        history: [[user, assistant], ...] pairs of earlier turns (may be empty).
        as_of: the assistant's today (YYYY-MM-DD; "this week" is the week before it): only
        articles published by then, or "".
        since, until: only articles published in that range (YYYY-MM-DD), or "".
        include_undated: with any date given, search articles without a date too.
        """
        started = time.perf_counter()
        try:
            answer = self._api_answer(question, history, as_of, since, until, include_undated)
        except gr.Error as exc:
            # The caller's mistake (or a store error it is told about): one line, no traceback.
            logger.info("api ask %r: refused: %s", str(question)[:80], exc.message)
            raise
        except Exception as exc:
            # A fault of ours: the traceback goes to the log, and the caller gets a sentence
            # (Gradio would send it `"error": null`).
            logger.exception("api ask %r: failed", str(question)[:80])
            raise _refuse(
                f"the answer failed on the server ({type(exc).__name__}); the server log has "
                "the details"
            ) from None
        _log_outcome("api ask", question, answer, time.perf_counter() - started)
        return answer.to_json_dict()

    def _api_answer(
        self,
        question: Any,
        history: Any,
        as_of: Any,
        since: Any,
        until: Any,
        include_undated: Any,
    ) -> Answer:
        # The API is called with any JSON: say what is wrong instead of failing inside.
        if not isinstance(question, str):
            raise _refuse(
                f"question must be a string (the text of the question), not "
                f"{type(question).__name__}: {str(question)[:80]!r}"
            )
        if history is not None and not isinstance(history, list | tuple):
            raise _refuse("history must be a list of [user, assistant] pairs (or empty)")
        pairs: list[tuple[str, str]] = []
        for turn in history or []:
            if not (isinstance(turn, list | tuple) and len(turn) == 2):
                raise _refuse("history must be a list of [user, assistant] pairs")
            pairs.append((str(turn[0] or ""), str(turn[1] or "")))
        try:
            query = Query.build(
                question,
                history=pairs,
                as_of=as_of,
                since=since,
                until=until,
                include_undated=_flag(include_undated, "include_undated"),
            )
            answer: Answer = self.assistant.ask(query)
        except AssistantError as exc:
            raise _refuse(str(exc)) from None
        return answer

    # ------------------------------------------------------------------ library
    def library_view(self, query: str = "") -> tuple[Any, ...]:
        """Outputs: table, list (the table on a phone), delete choices, publication filter,
        article filter, summary."""
        infos = self.assistant.articles()
        rows = library_rows(infos, query or "")
        doc_choices = [(_doc_label(i), i.doc_id) for i in infos]
        sources = sorted({i.source for i in infos if i.source}, key=str.lower)
        n_chunks = sum(i.n_chunks for i in infos)
        summary = (
            f"**{len(infos)}** article{'s' if len(infos) != 1 else ''}, "
            f"**{n_chunks}** chunks indexed"
            + (f" — showing {len(rows)} matching “{escape_markdown(query)}”" if query else "")
        )
        return (
            gr.Dataframe(value={"data": rows, "headers": LIBRARY_HEADERS}),
            library_list_html(rows),
            gr.Dropdown(choices=doc_choices, value=[]),
            gr.Dropdown(choices=sources),
            gr.Dropdown(choices=doc_choices),
            summary,
        )

    def library_table(self, query: str) -> tuple[Any, Any, Any]:
        """Outputs: table, list and summary (the selections stay as they are while searching)."""
        view = self.library_view(query)
        return view[0], view[1], view[-1]

    def _check_upload(self, path: Path, name: str) -> str | None:
        """Why a file is refused before it touches the library, or None."""
        suffix = suffix_of(Path(name))
        if suffix not in UPLOAD_SUFFIXES:
            return (
                f"unsupported file type {suffix or '(no extension)'}; "
                f"use {' '.join(s for s in UPLOAD_SUFFIXES if s != '.markdown')}"
            )
        size = path.stat().st_size
        if size == 0:
            return "empty file"
        if size > self.max_upload_bytes:
            return f"file is {size / 1e6:.1f} MB, over the {self.max_upload_mb:g} MB upload limit"
        return None

    def _target_name(self, name: str, src: Path, infos: dict[str, ArticleInfo]) -> str:
        """`name`, or `stem-2.ext`… when that name already holds a different article.

        A file's document id is its name, so an upload under a name in use would replace
        the article there. The name is the one this app receives, which is not the user's:
        Gradio strips `?*<>\\` and more from it first, so `a b?c.txt` and `a b*c.txt` both
        arrive as `a bc.txt`. So only the content decides: the same file again keeps its
        name (and is reported unchanged), anything else gets a name of its own.
        """
        candidate, n = name, 1
        stem, dot, ext = name.rpartition(".")
        while True:
            info = infos.get(candidate)
            ours = self.upload_dir / candidate
            if info is None and not ours.exists():
                return candidate
            if (info is None or Path(info.origin) == ours) and _same_file(ours, src):
                return candidate
            n += 1
            candidate = f"{stem}-{n}{dot}{ext}" if dot else f"{name}-{n}"

    def _ingest_one(self, src: Path, name: str) -> tuple[bool, str, IngestReport | None]:
        """Copy one checked upload into the folder and index it; undo the copy on failure."""
        final = self.upload_dir / name
        self.staging_dir.mkdir(exist_ok=True)
        backup: Path | None = None
        if final.exists():
            backup = self.staging_dir / f"{uuid.uuid4().hex}-{name}"
            os.replace(final, backup)
        try:
            shutil.copyfile(src, final)
            report = self.assistant.ingest([final])
        except AssistantError as exc:
            report, error = None, str(exc)
        except Exception as exc:
            logger.exception("ingest of %s failed", name)
            report, error = None, f"indexing failed ({type(exc).__name__})"
        else:
            error = ""
        indexed = report is not None and (report.added + report.updated + report.unchanged) > 0
        if indexed:
            if backup is not None:
                backup.unlink(missing_ok=True)
        else:
            # Leave the folder as it was: the store was not changed by a failed file.
            final.unlink(missing_ok=True)
            if backup is not None:
                os.replace(backup, final)
        return indexed, error, report

    def upload(
        self,
        files: list[str] | None,
        query: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects it
    ) -> tuple[Any, ...]:
        """Outputs: status, file box, then library_view()'s six."""
        paths = [Path(f) for f in (files or [])]
        if not paths:
            return (gr.skip(), gr.skip(), *self.library_view(query))
        ok_lines: list[str] = []
        err_lines: list[str] = []
        with self._library_lock:
            infos = {i.doc_id: i for i in self.assistant.articles()}
            taken: dict[str, int] = {}  # target name -> the file of this batch that has it
            for i, src in enumerate(paths):
                name = safe_filename(src.name)
                progress((i, len(paths)), desc=f"Indexing {name}", unit="files")
                refused = self._check_upload(src, name)
                if refused:
                    err_lines.append(f"{src.name}: {refused}")
                    continue
                wanted, name = name, self._target_name(name, src, infos)
                if name in taken:
                    # The same content twice in one upload (a different one got a new name).
                    first = paths[taken[name]].name
                    err_lines.append(
                        f"{src.name} (file {i + 1}): the same article as {first} (file "
                        f"{taken[name] + 1}) of this upload; it is indexed once, as {name}"
                    )
                    continue
                taken[name] = i
                indexed, error, report = self._ingest_one(src, name)
                if report is not None:
                    for f in report.failures:
                        where = Path(f.path).name or name
                        err_lines.append(f"{where}: {f.reason}")
                elif error:
                    err_lines.append(f"{name}: {error}")
                if indexed and report is not None:
                    line = _report_line(name, report)
                    if name != src.name:
                        line += f" — uploaded as “{src.name}”"
                    if name != wanted:
                        line += f" (“{wanted}” holds a different article)"
                    ok_lines.append(line)
                    infos = {x.doc_id: x for x in self.assistant.articles()}
            progress((len(paths), len(paths)), desc="Done", unit="files")
        for line in err_lines:
            logger.info("upload refused: %s", line)
        if err_lines:
            gr.Warning(f"{len(err_lines)} file(s) or lines could not be added; see the list.")
        status = _upload_status_html(ok_lines, err_lines)
        return (status, None, *self.library_view(query))

    def add_urls(self, text: str | None, query: str) -> tuple[Any, ...]:
        """Outputs: status, URL box, then library_view()'s six. Only wired up when the
        ui_fetch_urls setting is on; loopback and private addresses are refused."""
        if not self.assistant.settings.ui_fetch_urls:
            raise _refuse("fetching URLs is off on this server (setting ui_fetch_urls)")
        urls = [u.strip() for u in (text or "").splitlines() if u.strip()]
        if not urls:
            return (gr.skip(), gr.skip(), *self.library_view(query))
        with self._library_lock:
            try:
                report = self.assistant.ingest_urls(urls, public_only=True)
            except AssistantError as exc:
                return (status_html("error", str(exc)), gr.skip(), *self.library_view(query))
        ok = [_report_line(f"{len(urls)} URL(s)", report)] if report.added + report.updated else []
        errors = [f"{f.path}: {f.reason}" for f in report.failures]
        for line in errors:
            logger.info("URL refused: %s", line)
        return (_upload_status_html(ok, errors), "", *self.library_view(query))

    @staticmethod
    def delete_ready(doc_ids: list[str] | None) -> Any:
        """ "Delete selected…" is enabled only while something is selected."""
        return gr.Button(interactive=bool(doc_ids))

    def confirm_delete(self, doc_ids: list[str] | None) -> tuple[Any, Any]:
        """Outputs: the confirmation box (shown, naming the titles) and its text."""
        infos = {i.doc_id: i for i in self.assistant.articles()}
        chosen = [infos[d] for d in (doc_ids or []) if d in infos]
        if not chosen:
            return gr.Column(visible=False), ""
        n = len(chosen)
        items = "".join(
            f"<li>{escape_html(i.title or i.doc_id)} <code>{escape_html(i.doc_id)}</code></li>"
            for i in chosen
        )
        text = (
            f"<p><strong>Delete {n} article{'s' if n != 1 else ''} from the library?</strong> "
            f"Their passages will no longer be searched.</p>"
            f'<ul class="confirm-titles">{items}</ul>'
        )
        return gr.Column(visible=True), text

    def delete(self, doc_ids: list[str] | None, query: str) -> tuple[Any, ...]:
        """Outputs: status, then library_view()'s six."""
        ids = [d for d in (doc_ids or []) if d]
        if not ids:
            gr.Warning("Pick articles to delete first (or click rows in the table).")
            return (gr.skip(), *self.library_view(query))
        with self._library_lock:
            infos = {i.doc_id: i for i in self.assistant.articles()}
            ids = [d for d in ids if d in infos]
            self.assistant.delete(ids)
            for d in ids:
                # Remove our own copy of an uploaded file too; files elsewhere are the user's.
                origin = Path(infos[d].origin)
                if origin.parent == self.upload_dir and origin.name == d and origin.is_file():
                    origin.unlink()
        logger.info("library: deleted %s", ", ".join(ids))
        msg = f"Deleted {len(ids)} article{'s' if len(ids) != 1 else ''}: " + ", ".join(ids)
        status = f'<div class="upload-report"><p class="upload-ok">{escape_html(msg)}</p></div>'
        return (status, *self.library_view(query))

    @staticmethod
    def select_row(evt: gr.SelectData, current: list[str] | None) -> Any:
        """Clicking a table row adds its document to the delete selection."""
        row = evt.row_value or []
        doc_id = str(row[-1]) if row else ""
        chosen = list(current or [])
        if doc_id and doc_id not in chosen:
            chosen.append(doc_id)
        return gr.Dropdown(value=chosen)


def _markdown_box(text: str | None) -> Any:
    """The answer's Markdown box is shown only while it holds an answer."""
    return gr.Code(visible=bool(text))


def _options_for_width(width: float | None) -> Any:
    """Options start open on a wide screen, collapsed on a phone (below the sources)."""
    return gr.Accordion(open=not (width and width < NARROW_PX))


def _log_outcome(kind: str, question: str, answer: Answer, seconds: float) -> None:
    """One line per answered request: what was asked and how it ended."""
    if answer.abstained:
        outcome = "not answered" + (
            f" ({answer.undated_excluded} undated left out)" if answer.undated_excluded else ""
        )
    else:
        n = len(answer.citations)
        outcome = f"answered, {n} citation{'s' if n != 1 else ''}"
    logger.info("%s %r: %s [%s, %.1f s]", kind, question[:80], outcome, answer.mode, seconds)


def _doc_label(info: ArticleInfo) -> str:
    title = info.title or info.doc_id
    return f"{title[:70]}{'…' if len(title) > 70 else ''} — {info.doc_id}"


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _flag(value: Any, name: str) -> bool:
    """A yes/no input of the API, strictly: JSON true/false (or "true"/"false", as form
    fields send them), null or "" for no. `bool("false")` would be True."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("", "true", "false"):
        return value.strip().lower() == "true"
    raise _refuse(f"{name} must be true or false, not {clip(value)}")


def _same_file(a: Path, b: Path) -> bool:
    """Whether two files have the same bytes (False when `a` cannot be read)."""
    try:
        return a.is_file() and filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _report_line(name: str, r: IngestReport) -> str:
    parts = []
    if r.added:
        parts.append(f"{r.added} added")
    if r.updated:
        parts.append(f"{r.updated} updated")
    if r.unchanged:
        parts.append(f"{r.unchanged} already indexed")
    chunks = f"{r.chunks_written} chunk{'s' if r.chunks_written != 1 else ''}"
    return f"{name}: {', '.join(parts)} ({chunks})"


def _upload_status_html(ok_lines: Sequence[str], err_lines: Sequence[str]) -> str:
    items = [f'<li class="upload-ok">✓ {escape_html(x)}</li>' for x in ok_lines]
    items += [f'<li class="upload-error">✗ Rejected — {escape_html(x)}</li>' for x in err_lines]
    return f'<div class="upload-report"><ul>{"".join(items)}</ul></div>'


def build_app(
    assistant: Assistant,
    *,
    upload_dir: str | Path,
    max_upload_mb: float,
    concurrency: int = 4,
) -> gr.Blocks:
    """The whole UI as a Blocks app, queued; call `.launch()` on it (see `launch`)."""
    be = _Backend(assistant, Path(upload_dir), max_upload_mb)
    s = assistant.settings
    private: dict[str, Any] = {"api_visibility": "private"}

    # Gradio 6 wants the theme in launch() and warns here, but still applies one given here;
    # given here, it holds for callers that launch the Blocks themselves (the tests do).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The parameters have been moved", UserWarning)
        demo = gr.Blocks(title="News research assistant", analytics_enabled=False, theme=theme())
    with demo:
        gr.Markdown(
            "## News research assistant\n"
            "Answers come only from the indexed articles, each claim numbered [n] and linked "
            "to the passage it quotes. Click a number to see the passage."
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                # Conversation and sources side by side; on a phone the columns stack, so the
                # sources come right after the answer and the Options below both.
                with gr.Row(equal_height=False, elem_id="chat-row"):
                    with gr.Column(scale=3, min_width=300):
                        chatbot = gr.Chatbot(
                            elem_id="chatbot",
                            label="Conversation",
                            height=460,
                            latex_delimiters=[],
                            buttons=["copy", "copy_all"],
                            feedback_options=None,
                            placeholder="Ask about the indexed news articles.",
                        )
                        with gr.Row(elem_id="question-row"):
                            question = gr.Textbox(
                                elem_id="question",
                                show_label=False,
                                placeholder="Ask about the news…",
                                lines=1,
                                max_lines=4,
                                scale=6,
                                min_width=160,
                            )
                            ask_btn = gr.Button(
                                "Ask", variant="primary", elem_id="ask-btn", min_width=70, scale=1
                            )
                    with gr.Column(scale=2, min_width=300):
                        sources = gr.HTML(
                            value=sources_html(None, {}),
                            elem_id="sources",
                            label="Sources",
                            js_on_load=PAGE_JS,
                            max_height=560,
                        )
                        answer_md = gr.Code(
                            value="",
                            language="markdown",
                            label="Answer with references (Markdown)",
                            elem_id="answer-markdown",
                            interactive=False,
                            buttons=["copy"],
                            lines=3,
                            max_lines=14,
                            wrap_lines=True,
                            show_line_numbers=False,
                            visible=False,
                        )
                with gr.Accordion("Options", open=True, elem_id="options") as options:
                    with gr.Row():
                        mode = gr.Radio(
                            choices=[
                                ("Offline (extractive)", MODE_EXTRACTIVE),
                                ("LLM", MODE_LLM),
                            ],
                            value=be.default_mode,
                            label="Answer mode",
                            info=None if be.llm_available else LLM_HINT,
                            interactive=be.llm_available,
                            elem_id="answer-mode",
                        )
                        top_k = gr.Slider(
                            1,
                            20,
                            value=s.top_k,
                            step=1,
                            label="Number of sources (articles)",
                            elem_id="top-k",
                        )
                        as_of = gr.Textbox(
                            label="As of (YYYY-MM-DD)",
                            placeholder="today",
                            elem_id="as-of",
                            max_lines=1,
                        )
                    with gr.Row():
                        since = gr.Textbox(
                            label="Published since (YYYY-MM-DD)",
                            placeholder="any date",
                            elem_id="since",
                            max_lines=1,
                        )
                        until = gr.Textbox(
                            label="Published until (YYYY-MM-DD)",
                            placeholder="any date",
                            elem_id="until",
                            max_lines=1,
                        )
                        include_undated = gr.Checkbox(
                            label="Include undated articles",
                            info="With a date above, also search articles whose "
                            "publication date is unknown.",
                            elem_id="include-undated",
                        )
                    with gr.Row():
                        source_filter = gr.Dropdown(
                            choices=[],
                            multiselect=True,
                            label="Only these publications",
                            elem_id="source-filter",
                        )
                        doc_filter = gr.Dropdown(
                            choices=[],
                            multiselect=True,
                            label="Only these articles",
                            elem_id="doc-filter",
                        )
                clear_btn = gr.Button("Clear conversation", elem_id="clear-btn")
                history = gr.State([])

            with gr.Tab("Timeline", id="timeline"):
                build_timeline_tab(assistant)
            with gr.Tab("Library", id="library"):
                summary = gr.Markdown(elem_id="library-summary")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=300):
                        files = gr.File(
                            label=f"Add articles ({' '.join(UPLOAD_SUFFIXES)}; "
                            f"up to {max_upload_mb:g} MB each)",
                            file_count="multiple",
                            elem_id="upload",
                        )
                        upload_status = gr.HTML(elem_id="upload-status")
                        url_box = gr.Textbox(
                            label="Add pages by URL (one a line; public sites only)",
                            lines=3,
                            elem_id="url-box",
                            visible=s.ui_fetch_urls,
                        )
                        url_btn = gr.Button(
                            "Fetch and index", elem_id="url-btn", visible=s.ui_fetch_urls
                        )
                    with gr.Column(scale=3, min_width=300):
                        search = gr.Textbox(
                            label="Search the library",
                            placeholder="title, source, date or id",
                            elem_id="library-search",
                            max_lines=1,
                        )
                        with gr.Row():
                            to_delete = gr.Dropdown(
                                choices=[],
                                multiselect=True,
                                label="Articles to delete (or click rows below)",
                                elem_id="delete-select",
                                scale=4,
                                min_width=200,
                            )
                            delete_btn = gr.Button(
                                "Delete selected…",
                                variant="secondary",
                                elem_id="delete-btn",
                                interactive=False,
                                min_width=120,
                            )
                        with gr.Column(
                            visible=False, elem_id="delete-confirm", variant="panel"
                        ) as confirm_box:
                            confirm_text = gr.HTML(elem_id="delete-confirm-text")
                            with gr.Row():
                                confirm_btn = gr.Button(
                                    "Delete", variant="stop", elem_id="delete-confirm-btn"
                                )
                                cancel_btn = gr.Button("Cancel", elem_id="delete-cancel-btn")
                table = gr.Dataframe(
                    headers=LIBRARY_HEADERS,
                    interactive=False,
                    elem_id="library-table",
                    wrap=True,
                    max_height=520,
                    column_widths=["34%", "11%", "14%", "6%", "18%", "17%"],
                )
                # A phone shows the library as a list instead: five columns do not fit.
                library_list = gr.HTML(elem_id="library-list")

        # ---- events
        chat_inputs = [
            question,
            chatbot,
            history,
            mode,
            top_k,
            as_of,
            source_filter,
            doc_filter,
            since,
            until,
            include_undated,
        ]
        chat_outputs = [chatbot, history, sources, answer_md, question]
        # gradio's Dependency is a dict; its `cancels` hint wants the list typed as such.
        answering: list[dict[str, Any]] = [
            trigger(
                be.chat,
                chat_inputs,
                chat_outputs,
                concurrency_id="answer",
                show_progress="hidden",
                **private,
            )
            for trigger in (question.submit, ask_btn.click)
        ]

        def reset() -> tuple[Any, ...]:
            return [], [], sources_html(None, {}), ""

        # Clearing also cancels an answer still streaming; otherwise its last update would
        # land after the reset and bring the old conversation back.
        reset_outputs = [chatbot, history, sources, answer_md]
        for clear in (clear_btn.click, chatbot.clear):
            clear(reset, None, reset_outputs, queue=False, cancels=answering, **private)

        viewport_width = gr.Number(visible=False)
        demo.load(
            _options_for_width,
            [viewport_width],
            [options],
            js=VIEWPORT_WIDTH_JS,
            queue=False,
            **private,
        )
        # The Markdown box is there only while there is an answer to copy.
        answer_md.change(_markdown_box, [answer_md], [answer_md], queue=False, **private)
        library_outputs = [table, library_list, to_delete, source_filter, doc_filter, summary]
        demo.load(be.library_view, [search], library_outputs, **private)
        search.change(be.library_table, [search], [table, library_list, summary], **private)
        files.upload(
            be.upload,
            [files, search],
            [upload_status, files, *library_outputs],
            concurrency_limit=1,
            concurrency_id="library",
            show_progress="full",
            **private,
        )
        if s.ui_fetch_urls:
            url_btn.click(
                be.add_urls,
                [url_box, search],
                [upload_status, url_box, *library_outputs],
                concurrency_limit=1,
                concurrency_id="library",
                **private,
            )
        to_delete.change(be.delete_ready, [to_delete], [delete_btn], queue=False, **private)
        delete_btn.click(
            be.confirm_delete, [to_delete], [confirm_box, confirm_text], queue=False, **private
        )
        cancel_btn.click(
            lambda: gr.Column(visible=False), None, [confirm_box], queue=False, **private
        )
        confirm_btn.click(
            lambda: gr.Column(visible=False), None, [confirm_box], queue=False, **private
        ).then(
            be.delete,
            [to_delete, search],
            [upload_status, *library_outputs],
            concurrency_limit=1,
            concurrency_id="library",
            **private,
        )
        table.select(be.select_row, [to_delete], [to_delete], **private)

        gr.api(be.ask_api, api_name="ask", concurrency_id="answer")

    # Several users can ask at once; each answer runs in Gradio's thread pool.
    demo.queue(default_concurrency_limit=concurrency)
    return demo


def launch(
    store: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    auth: str | None = None,
    *,
    upload_dir: str | Path | None = None,
    max_upload_mb: float | None = None,
    mcp: bool = False,
    allow_ingest: Sequence[str | Path] = (),
    mcp_max_chars: int | None = None,
) -> None:
    """Start the UI (blocking). `auth` "USER:PASS" falls back to $ASSISTANT_UI_AUTH.

    `mcp`: serve the MCP tools at /mcp too (behind the same user and password, as HTTP
    Basic auth); `allow_ingest`: folders its `ingest` tool may read (none: read-only)."""
    credentials = parse_auth(auth or os.environ.get(AUTH_ENV))
    if not 0 < port < 65536:
        raise ConfigError(f"--port {port} is no TCP port; give one from 1 to 65535")
    if mcp and share and credentials is None:
        raise ConfigError(
            "--mcp with --share would give anyone with the link the MCP tools: add --auth"
        )
    assistant = Assistant(store=store)
    store_dir = Path(assistant.settings.store).resolve()
    folder = Path(upload_dir) if upload_dir else store_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    # Gradio caches uploads in its own temp folder; keep that inside the upload folder so the
    # UI writes nowhere but the store and the upload folder.
    os.environ.setdefault("GRADIO_TEMP_DIR", str(folder.resolve() / ".gradio-cache"))
    limit = max_upload_mb or assistant.settings.max_file_mb
    if host not in ("127.0.0.1", "localhost", "::1") and credentials is None:
        logger.warning("serving on %s without --auth: anyone who can reach it can use it", host)
    if share and credentials is None:
        logger.warning("--share without --auth makes the UI public to anyone with the link")
    demo = build_app(assistant, upload_dir=folder, max_upload_mb=limit)
    logger.info("store %s, uploads to %s", store_dir, folder)
    extra: dict[str, Any] = {}
    if mcp:
        # Imported here: the MCP SDK is needed only with --mcp.
        from assistant.mcp_server import AgentTools, AllowedFolders, mcp_lifespan
        from assistant.mcp_server.tools import DEFAULT_MAX_CHARS

        tools = AgentTools(
            assistant,
            max_chars=mcp_max_chars or DEFAULT_MAX_CHARS,
            ingest_folders=AllowedFolders(allow_ingest) if allow_ingest else None,
        )
        extra["app_kwargs"] = {"lifespan": mcp_lifespan(tools, host=host, credentials=credentials)}
    # Gradio's own banner tells users to pass share=True to launch(); ours is --share. So
    # without --share the address is logged here instead; with it, Gradio prints the link.
    url_host = f"[{host}]" if ":" in host else host
    logger.info("serving the UI on http://%s:%d/", url_host, port)
    if mcp:
        logger.info(
            "serving the MCP tools on http://%s:%d/mcp%s",
            url_host,
            port,
            " (HTTP Basic auth with the --auth user and password)" if credentials else "",
        )
    try:
        demo.launch(
            server_name=host,
            server_port=port,
            share=share,
            auth=credentials,
            max_file_size=f"{limit:g}mb",
            footer_links=["api"],
            quiet=not share,
            **extra,
        )
    except OSError as exc:  # Gradio's "Cannot find empty port", or the address is not ours
        raise ConfigError(
            f"cannot serve the UI on {url_host}:{port}: the port is in use or the address "
            f"cannot be bound ({exc.strerror or 'no free port'}); pick another with --port "
            "(or --host)"
        ) from None
