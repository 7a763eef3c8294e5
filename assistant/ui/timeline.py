"""The Timeline tab: a topic's events as a vertical list by date, each with source chips;
a chip shows (and highlights) its quote in the article's text. Exports to Markdown and CSV.

Rendering is pure HTML with every piece of article text escaped (`escape_html`); the chips
work through one delegated click handler the tab's HTML installs on load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, ConfigError
from assistant.timeline import Event, EventCitation, Timeline, to_csv, to_markdown
from assistant.types import Article
from assistant.ui.render import body_start, escape_html, passage_html, safe_url, status_html

if TYPE_CHECKING:
    from assistant.core import Assistant

__all__ = ["TIMELINE_JS", "TimelineTab", "build_timeline_tab", "timeline_html"]

logger = logging.getLogger(__name__)

# Characters of article text around a quote when its chip is opened.
CONTEXT_CHARS = 240

TIMELINE_CSS = """
#timeline .answer-status { padding: 8px 12px; border-radius: 6px; margin-bottom: 10px; }
#timeline .answer-status.answered { background: #e8f5e9; color: #1b5e20; font-weight: 600; }
#timeline .answer-status.not-answered { background: #fff3e0; color: #8a4b00; }
#timeline .answer-status.empty { background: #f3f4f6; color: #4b5563; }
#timeline ol.timeline-events { list-style: none; margin: 0; padding: 0 0 0 18px;
  border-left: 3px solid #c7d2fe; }
#timeline .timeline-event { position: relative; margin: 0 0 16px; padding-left: 6px; }
#timeline .timeline-event::before { content: ""; position: absolute; left: -27px; top: 4px;
  width: 13px; height: 13px; border-radius: 50%; background: #4f46e5;
  border: 2px solid #fff; }
#timeline .timeline-event.reported::before { background: #a5b4fc; }
#timeline .timeline-date { font-weight: 700; color: #312e81; }
#timeline .timeline-date .precision { font-weight: 400; color: #6b7280; font-size: .85em; }
#timeline .timeline-disagreement { color: #b45309; font-weight: 600; font-size: .9em; }
#timeline .timeline-text { margin: 2px 0 6px; line-height: 1.45; overflow-wrap: anywhere; }
#timeline .source-chips { display: flex; flex-wrap: wrap; gap: 6px; }
#timeline .source-chip { border: 1px solid #c7d2fe; background: #eef2ff; color: #3730a3;
  border-radius: 999px; padding: 2px 10px; font-size: .85em; cursor: pointer;
  max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#timeline .source-chip.active { background: #4f46e5; color: #fff; border-color: #4f46e5; }
#timeline .timeline-passage { display: none; margin: 8px 0 0; padding: 6px 10px;
  border-left: 3px solid #f59e0b; white-space: pre-wrap; font-size: .92em;
  overflow-wrap: anywhere; }
#timeline .timeline-passage.open { display: block; }
#timeline .timeline-passage mark { background: #fde68a; }
#timeline .timeline-passage .passage-meta { display: block; color: #6b7280;
  font-size: .85em; margin-bottom: 4px; white-space: normal; }
"""

TIMELINE_JS = """
if (!document.getElementById('assistant-timeline-style')) {
  const style = document.createElement('style');
  style.id = 'assistant-timeline-style';
  style.textContent = CSS_TEXT;
  document.head.appendChild(style);
}
if (!window.__assistantTimelineChips) {
  window.__assistantTimelineChips = true;
  document.addEventListener('click', (ev) => {
    const t = ev.target;
    if (!(t instanceof Element)) return;
    const chip = t.closest('#timeline .source-chip');
    if (!chip) return;
    ev.preventDefault();
    const passage = document.getElementById(chip.dataset.target);
    if (!passage) return;
    const opening = !passage.classList.contains('open');
    const event = chip.closest('.timeline-event');
    event.querySelectorAll('.timeline-passage.open')
      .forEach((e) => e.classList.remove('open'));
    event.querySelectorAll('.source-chip.active')
      .forEach((e) => e.classList.remove('active'));
    if (opening) {
      passage.classList.add('open');
      chip.classList.add('active');
      chip.setAttribute('aria-expanded', 'true');
      passage.scrollIntoView({block: 'nearest', behavior: 'smooth'});
    } else {
      chip.setAttribute('aria-expanded', 'false');
    }
  }, true);
}
""".replace("CSS_TEXT", json.dumps(TIMELINE_CSS))


def _when(e: Event) -> str:
    if e.disagreement:
        return " or ".join(d.describe() for d in e.dates)
    return e.date.describe()


def _passage(c: EventCitation, article: Article | None) -> str:
    if article is not None and article.text[c.start : c.end] == c.quote:
        floor = body_start(article.text, (c.title, article.title, c.source))
        return passage_html(article.text, c.start, c.end, context=CONTEXT_CHARS, floor=floor)
    # The article changed or was deleted since: the verified quote still stands.
    return f"<mark>{escape_html(c.quote)}</mark>"


def _chip_label(c: EventCitation) -> str:
    date = c.published.isoformat() if c.published else "undated"
    return f"{c.source or c.title or c.doc_id} · {date}"


def _event_html(n: int, e: Event, articles: Mapping[str, Article]) -> str:
    chips, passages = [], []
    for m, c in enumerate(e.citations, 1):
        pid = f"tl-passage-{n}-{m}"
        said = f" (gives {c.date.describe()})" if e.disagreement else ""
        chips.append(
            f'<button type="button" class="source-chip" data-target="{pid}" '
            f'aria-expanded="false" aria-controls="{pid}" '
            f'title="{escape_html(c.title)}">{escape_html(_chip_label(c) + said)}</button>'
        )
        url = safe_url(c.url)
        link = (
            f' · <a href="{escape_html(url)}" target="_blank" '
            'rel="noopener noreferrer nofollow">open article</a>'
            if url
            else ""
        )
        passages.append(
            f'<blockquote class="timeline-passage" id="{pid}">'
            f'<span class="passage-meta">{escape_html(c.title or c.doc_id)}{link}</span>'
            f"{_passage(c, articles.get(c.doc_id))}</blockquote>"
        )
    disagreement = (
        '<div class="timeline-disagreement">The articles disagree on the date.</div>'
        if e.disagreement
        else ""
    )
    precision = (
        "" if e.date.precision == "day" else f' <span class="precision">({e.date.precision})</span>'
    )
    classes = "timeline-event" + (" reported" if e.date.reported_on else "")
    return (
        f'<li class="{classes}" id="tl-event-{n}" data-date="{e.date.start.isoformat()}">'
        f'<div class="timeline-date">{escape_html(_when(e))}{precision}</div>{disagreement}'
        f'<div class="timeline-text">{escape_html(e.text)}</div>'
        f'<div class="source-chips">{"".join(chips)}</div>{"".join(passages)}</li>'
    )


def timeline_html(timeline: Timeline | None, articles: Mapping[str, Article]) -> str:
    """The tab's body: a status line, then the events oldest first."""
    if timeline is None:
        return status_html("empty", "Name a story to see how it unfolded, event by event.")
    if not timeline.events:
        return status_html(
            "not-answered",
            f"No dated events about “{timeline.topic}” were found in the indexed articles.",
        )
    n = len(timeline.events)
    sources = len({c.doc_id for e in timeline.events for c in e.citations})
    head = status_html(
        "answered",
        f"{n} event{'s' if n != 1 else ''} from {sources} article{'s' if sources != 1 else ''}"
        ", oldest first. Click a source to see its passage.",
    )
    items = "".join(_event_html(i, e, articles) for i, e in enumerate(timeline.events, 1))
    return f'{head}<ol class="timeline-events">{items}</ol>'


def _day(value: Any, label: str) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{label} {text!r} is not a date like 2022-09-08") from None


def _gradio_cache() -> Path:
    """Gradio's own cache folder (GRADIO_TEMP_DIR; `assistant ui` keeps it in the upload
    folder): the one place it serves files from whatever folder the app was started in."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


class TimelineTab:
    """The tab's handler: builds the timeline and writes its exports (by default into
    Gradio's cache, see `_gradio_cache`)."""

    def __init__(self, assistant: Assistant, export_dir: Path | None = None) -> None:
        self.assistant = assistant
        self.export_dir = export_dir

    def build(self, topic: str, since: Any, until: Any, as_of: Any) -> tuple[Any, ...]:
        import gradio as gr

        try:
            tl = self.assistant.timeline(
                topic or "",
                since=_day(since, "Since"),
                until=_day(until, "Until"),
                as_of=_day(as_of, "As of"),
            )
        except AssistantError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        docs = sorted({c.doc_id for e in tl.events for c in e.citations})
        articles = self.assistant.get_articles(docs)
        html = timeline_html(tl, articles)
        if not tl.events:
            hidden = gr.DownloadButton(visible=False)
            return html, hidden, gr.DownloadButton(visible=False)
        md, csv = self._export(tl)
        return (
            html,
            gr.DownloadButton(value=str(md), visible=True),
            gr.DownloadButton(value=str(csv), visible=True),
        )

    def _export(self, tl: Timeline) -> tuple[Path, Path]:
        # One file pair per content: concurrent users never overwrite each other's export.
        body = to_markdown(tl)
        key = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
        folder = (self.export_dir or _gradio_cache() / "timeline-exports") / key
        folder.mkdir(parents=True, exist_ok=True)
        md, csv = folder / "timeline.md", folder / "timeline.csv"
        md.write_text(body, encoding="utf-8")
        csv.write_text(to_csv(tl), encoding="utf-8")
        return md, csv


def build_timeline_tab(assistant: Assistant, export_dir: Path | None = None) -> None:
    """The tab's components and events, inside the current `gr.Tab`."""
    import gradio as gr

    tab = TimelineTab(assistant, export_dir)
    with gr.Row(elem_id="timeline-row"):
        topic = gr.Textbox(
            elem_id="timeline-topic",
            show_label=False,
            placeholder="A story, e.g. the border guards' withdrawal…",
            lines=1,
            max_lines=2,
            scale=6,
            min_width=160,
        )
        go = gr.Button("Timeline", variant="primary", elem_id="timeline-btn", min_width=90, scale=1)
    with gr.Accordion("Dates", open=False, elem_id="timeline-options"), gr.Row():
        since = gr.Textbox(label="Events since", placeholder="YYYY-MM-DD", elem_id="tl-since")
        until = gr.Textbox(label="Events until", placeholder="YYYY-MM-DD", elem_id="tl-until")
        as_of = gr.Textbox(
            label="Articles published by", placeholder="YYYY-MM-DD", elem_id="tl-as-of"
        )
    body = gr.HTML(value=timeline_html(None, {}), elem_id="timeline", js_on_load=TIMELINE_JS)
    with gr.Row():
        md = gr.DownloadButton("Download Markdown", visible=False, elem_id="timeline-md")
        csv = gr.DownloadButton("Download CSV", visible=False, elem_id="timeline-csv")
    private: dict[str, Any] = {"api_visibility": "private"}
    for trigger in (topic.submit, go.click):
        trigger(
            tab.build,
            [topic, since, until, as_of],
            [body, md, csv],
            concurrency_id="answer",
            **private,
        )
