"""The page's look and behaviour: the theme (system fonts only), our CSS and the page script.

The theme names no web font: an offline or air-gapped machine cannot load them, and a page
that asks for them mixes fonts (and waits) when they fail. Gradio 6 takes page CSS only in
launch(), so the sources panel injects ours itself (see PAGE_JS); that keeps build_app()
self-contained for callers that launch the Blocks themselves.
"""

from __future__ import annotations

import json

import gradio as gr

__all__ = ["CSS", "NARROW_PX", "PAGE_JS", "VIEWPORT_WIDTH_JS", "theme"]

# Below this width the page is laid out for a phone (one column, Options collapsed).
NARROW_PX = 640

# Hands the browser's width to the server on load (the Options accordion starts collapsed on
# a phone, so the answer and its sources come before the controls).
VIEWPORT_WIDTH_JS = "() => window.innerWidth"

SYSTEM_FONTS = (
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Helvetica Neue",
    "Arial",
    "Noto Sans",
    "Liberation Sans",
    "sans-serif",
)
SYSTEM_MONO = (
    "ui-monospace",
    "SFMono-Regular",
    "Menlo",
    "Consolas",
    "Liberation Mono",
    "monospace",
)


def theme() -> gr.themes.Base:
    """Gradio's default theme with local font stacks (plain names are never downloaded)."""
    return gr.themes.Default(font=list(SYSTEM_FONTS), font_mono=list(SYSTEM_MONO))


CSS = (
    """
#sources .answer-status { padding: 8px 12px; border-radius: 6px; margin-bottom: 10px;
  font-weight: 600; }
#sources .answer-status.answered { background: #e8f5e9; color: #1b5e20; }
#sources .answer-status.not-answered { background: #fff3e0; color: #8a4b00;
  border-left: 4px solid #ef6c00; }
#sources .answer-status.unsure { background: #fffde7; color: #6d5d00; }
#sources .answer-status.error { background: #ffebee; color: #b71c1c; }
#sources .answer-status.working, #sources .answer-status.empty { background: #f3f4f6;
  color: #4b5563; font-weight: 400; }
#sources ul.filter-hints { margin: -2px 0 10px; padding-left: 20px; color: #8a4b00; }
#sources ul.filter-hints li { margin-bottom: 4px; }
#sources .time-window { color: #4b5563; font-size: 0.9em; margin: -4px 0 10px 2px; }
#sources ol.citations { list-style: none; padding: 0; margin: 0; }
#sources .citation { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 12px;
  margin-bottom: 10px; scroll-margin: 16px; }
#sources .citation.active { border-color: #f59e0b; box-shadow: 0 0 0 3px #fde68a; }
#sources .citation-number { font-weight: 700; color: #2563eb; }
#sources .citation-title { font-weight: 600; }
#sources .citation-meta { font-size: .85em; color: #6b7280; margin: 2px 0 6px; }
#sources .citation-passage { margin: 0; padding: 6px 10px; border-left: 3px solid #d1d5db;
  white-space: pre-wrap; font-size: .92em; line-height: 1.45; }
#sources .citation-passage mark { background: #fde68a; padding: 0 1px; }
#sources .citation-doc { font-size: .75em; color: #9ca3af; margin-top: 4px; }
#sources .citation-origin { font-size: .75em; color: #6b7280; overflow-wrap: anywhere; }
#chatbot a[href*="#citation-"], #chatbot a[href*="#citation-"] strong {
  color: #2563eb; font-weight: 600; text-decoration: none; cursor: pointer; }
#chatbot a[href*="#citation-"]:hover, #chatbot a[href*="#citation-"]:focus {
  text-decoration: underline; }
#chatbot .understood-as { color: #6b7280; font-size: .85em; margin: 8px 0 0;
  font-style: italic; }
#chatbot .progress-note { color: #6b7280; font-style: italic; }
#upload-status .upload-ok { color: #1b5e20; }
#upload-status .upload-error { color: #b71c1c; font-weight: 600; }
#upload-status ul { margin: 4px 0; padding-left: 18px; }
#delete-confirm .confirm-titles { margin: 4px 0 8px; padding-left: 20px; }
#library-list ul.library-items { list-style: none; padding: 0; margin: 0; }
#library-list .library-item { border-bottom: 1px solid #e5e7eb; padding: 8px 2px; }
#library-list .library-title { font-weight: 600; }
#library-list .library-meta { font-size: .9em; color: #4b5563; }
#library-list .library-date { white-space: nowrap; }
#library-list .library-id { font-size: .75em; color: #9ca3af; overflow-wrap: anywhere; }
#library-list .library-origin { font-size: .75em; color: #6b7280; overflow-wrap: anywhere; }
#library-list { display: none; }
@media (max-width: NARROWpx) {
  #library-table { display: none !important; }
  #library-list { display: block; }
}
"""
).replace("NARROW", str(NARROW_PX - 1))

# Runs once per page load. It adds our styles and turns every `[n]` link in the chat (href
# "#citation-n") into "scroll the sources panel to passage n and highlight it", instead of
# letting the browser follow the link (the chat opens links in a new tab).
PAGE_JS = """
if (!document.getElementById('assistant-ui-style')) {
  const style = document.createElement('style');
  style.id = 'assistant-ui-style';
  style.textContent = CSS_TEXT;
  document.head.appendChild(style);
}
if (!window.__assistantCitationClicks) {
  window.__assistantCitationClicks = true;
  document.addEventListener('click', (ev) => {
    const t = ev.target;
    if (!(t instanceof Element)) return;
    const link = t.closest('a[href*="#citation-"]');
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    const id = link.getAttribute('href').split('#').pop();
    const target = document.getElementById(id);
    if (!target) return;
    document.querySelectorAll('#sources .citation.active')
      .forEach((e) => e.classList.remove('active'));
    target.classList.add('active');
    target.scrollIntoView({block: 'center', behavior: 'smooth'});
  }, true);
}
""".replace("CSS_TEXT", json.dumps(CSS))
