"""Pure text → HTML/Markdown helpers for the web UI (no Gradio import, so they test fast).

Everything that came from an article (titles, sources, passages, answer text quoting them) is
untrusted: it is HTML-escaped here, never trusted to the browser's sanitiser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from assistant.types import Answer, Article, Citation
from assistant.ui.explain import understood_as

__all__ = [
    "CONTEXT_CHARS",
    "answer_markdown",
    "chat_markdown",
    "escape_html",
    "escape_markdown",
    "library_list_html",
    "library_rows",
    "passage_html",
    "safe_filename",
    "safe_url",
    "sources_html",
    "status_html",
    "understood_html",
]

# Characters of article text shown on each side of a cited passage.
CONTEXT_CHARS = 320

# gr.HTML fills its value into a JS template string that is also run through Handlebars, so
# `${…}`, `{{…}}` and backticks in article text must not reach it as themselves.
_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})

# Characters that start Markdown syntax anywhere in a line (`<`, `>` and `&` become entities
# instead, see escape_markdown), and the ones that only do so at the start of a line (headings,
# quotes, lists, rules). Escaping only these keeps the chat's "copy" text readable.
_MD_INLINE = re.compile(r"([\\`*_\[\]~|$])")
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+[.)])", re.MULTILINE)

_CITE_MARK = re.compile(r"\\\[(\d{1,3})\\\]")
# A quoted passage (“…”): its own "[3]" is the article's text, not one of our citations.
_QUOTED = re.compile(r"“[^”]*”")


def escape_html(text: str | None) -> str:
    """HTML-escape (quotes too, so the result is safe inside attributes) for gr.HTML."""
    return html.escape(text or "", quote=True).translate(_TEMPLATE_CHARS)


def _escape_marker(marker: str) -> str:
    return marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker


def escape_markdown(text: str) -> str:
    """Make text render literally in the Chatbot's Markdown (no links, no HTML, no maths)."""
    text = _MD_INLINE.sub(r"\\\1", text)
    # "1." → "1\." (digits cannot be escaped, the list dot can); "# x" → "\# x".
    text = _MD_LINE_START.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _passages(text: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    """Sorted, merged spans of `text` that are quoted article text: each occurrence of a
    citation's quote, and each “…” (a quote may hold curly quotes of its own, so the
    citations' quotes are what decide; the “…” rule covers answers without them)."""
    spans = [m.span() for m in _QUOTED.finditer(text)]
    for q in {q for q in quotes if q}:
        i = text.find(q)
        while i >= 0:
            spans.append((i, i + len(q)))
            i = text.find(q, i + 1)
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def chat_markdown(text: str, numbers: Iterable[int] = (), quotes: Iterable[str] = ()) -> str:
    """The answer as Chatbot Markdown, with each `[n]` of a known citation a link to its passage.

    The link points at `#citation-n` in the sources panel; the panel's script intercepts the
    click and scrolls to (and highlights) the passage instead of navigating. A `[2]` inside
    quoted article text (`quotes`: the citations' quotes) is the article's own, never a link.
    """
    known = set(numbers)

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]](#citation-{n})" if n in known else m.group(0)

    out: list[str] = []
    pos = 0
    for a, b in _passages(text, quotes):
        out.append(_CITE_MARK.sub(link, escape_markdown(text[pos:a])))
        out.append(escape_markdown(text[a:b]))
        pos = b
    out.append(_CITE_MARK.sub(link, escape_markdown(text[pos:])))
    return "".join(out)


def safe_url(url: str | None) -> str | None:
    """Only http(s) links become clickable: a `javascript:` URL in an article must not."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme.lower() in ("http", "https") and parsed.netloc:
        return url.strip()
    return None


def _date_text(d: dt.date | None) -> str:
    return d.isoformat() if d else "date unknown"


def _locate(text: str, c: Citation) -> tuple[int, int] | None:
    """Where the quote sits in the article: its offsets if they still match, else a search."""
    if 0 <= c.start < c.end <= len(text) and text[c.start : c.end] == c.quote:
        return c.start, c.end
    i = text.find(c.quote) if c.quote else -1
    return (i, i + len(c.quote)) if i >= 0 else None


def passage_html(
    text: str, start: int, end: int, context: int = CONTEXT_CHARS, floor: int = 0
) -> str:
    """`text[start:end]` in <mark>, with up to `context` characters around it (none before
    `floor`), all escaped."""
    floor = floor if floor <= start else 0
    lo = max(floor, start - context)
    hi = min(len(text), end + context)
    # Cut the context at whitespace so it does not begin or end mid-word.
    if lo > 0 and not text[lo - 1].isspace():
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text) and not text[hi].isspace():
        space = text.rfind(" ", end + 1, hi)
        hi = space if space != -1 else hi
    before, quote, after = text[lo:start].lstrip(), text[start:end], text[end:hi].rstrip()
    return (
        ("… " if lo > floor else "")
        + escape_html(before)
        + f"<mark>{escape_html(quote)}</mark>"
        + escape_html(after)
        + (" …" if hi < len(text) else "")
    )


_LINE = re.compile(r"[^\n]*(?:\n|$)")


def body_start(text: str, labels: Iterable[str | None]) -> int:
    """Where an article's body begins: after its leading lines that only repeat its title or
    its publication (the card shows those already; many articles start with them)."""
    known = {" ".join(x.split()).casefold() for x in labels if x and x.strip()}
    pos = 0
    for m in _LINE.finditer(text):
        line = " ".join(m.group(0).split()).casefold()
        if m.end() == m.start() or (line and line not in known):
            break
        pos = m.end()
    return pos


def _citation_html(c: Citation, article: Article | None) -> str:
    located = _locate(article.text, c) if article is not None else None
    if article is not None and located is not None:
        floor = body_start(article.text, (c.title, article.title, c.source))
        passage = passage_html(article.text, *located, floor=floor)
    else:
        # The article changed or was deleted since the answer: the verified quote still stands.
        passage = f"<mark>{escape_html(c.quote)}</mark>"
    meta = [
        f'<span class="citation-source">{escape_html(c.source or "source unknown")}</span>',
        f'<span class="citation-date">{escape_html(_date_text(c.published))}</span>',
    ]
    url = safe_url(c.url)
    if url:
        meta.append(
            f'<a class="citation-url" href="{escape_html(url)}" target="_blank" '
            f'rel="noopener noreferrer nofollow">open article</a>'
        )
    return (
        f'<li class="citation" id="citation-{c.number}" data-number="{c.number}">'
        f'<div class="citation-head"><span class="citation-number">[{c.number}]</span> '
        f'<span class="citation-title">{escape_html(c.title or c.doc_id)}</span></div>'
        f'<div class="citation-meta">{" · ".join(meta)}</div>'
        f'<blockquote class="citation-passage">{passage}</blockquote>'
        f'<div class="citation-doc">{escape_html(c.doc_id)}</div>'
        + (
            f'<div class="citation-origin">from {escape_html(article.where)}</div>'
            if article is not None
            else ""
        )
        + "</li>"
    )


def status_html(kind: str, message: str) -> str:
    """A one-line status box: kind is answered, unsure, not-answered, working, error or empty."""
    return f'<div class="answer-status {kind}">{escape_html(message)}</div>'


def understood_html(answer: Answer) -> str:
    """A small line under a follow-up's answer: the standalone question it was read as."""
    standalone = understood_as(answer)
    if standalone is None:
        return ""
    label = (
        "Not sure what this follow-up refers to; searched as"
        if answer.follow_up == "read-together"
        else "Understood as"
    )
    return f'<p class="understood-as">{label}: {escape_html(standalone)}</p>'


def sources_html(
    answer: Answer | None, articles: Mapping[str, Article], hints: Sequence[str] = ()
) -> str:
    """The sources panel for an answer: a status line, what the filters left out (`hints`,
    for an abstention), then every citation with its passage."""
    if answer is None:
        return status_html("empty", "Ask a question: the cited passages appear here.")
    if answer.abstained:
        head = status_html(
            "not-answered",
            "Not answered: the indexed articles do not say this clearly enough to quote.",
        )
    elif answer.unsure:
        head = status_html(
            "unsure",
            "No short answer: the articles' closest passages are quoted, but none says for "
            "sure what was asked.",
        )
    else:
        n = len(answer.citations)
        note = answer.confidence_note()
        head = status_html(
            "answered",
            f"Answered ({answer.mode}) from {n} cited passage{'s' if n != 1 else ''}."
            + (f" {note}" if note else ""),
        )
    if hints:
        items = "".join(f"<li>{escape_html(h)}</li>" for h in hints)
        head += f'<ul class="filter-hints">{items}</ul>'
    if answer.time_window is not None:
        head += f'<div class="time-window">{escape_html(answer.time_window.describe())}</div>'
    if not answer.citations:
        return head
    items = "".join(_citation_html(c, articles.get(c.doc_id)) for c in answer.citations)
    return f'{head}<ol class="citations">{items}</ol>'


def answer_markdown(answer: Answer, hints: Sequence[str] = ()) -> str:
    """Answer plus numbered references, as Markdown to paste into notes or a report."""
    lines = [f"**Q:** {answer.question}"]
    standalone = understood_as(answer)
    if standalone is not None:
        lines.append(f"_Understood as:_ {standalone}")
    lines.append("")
    if answer.abstained:
        lines.append(f"_Not answered._ {answer.text}")
    else:
        lines.append(answer.text)
    if hints:
        lines += [""] + [f"- {h}" for h in hints]
    if answer.citations:
        lines += ["", "**References**", ""]
        for c in answer.citations:
            where = ", ".join(x for x in (c.source, _date_text(c.published)) if x)
            ref = f"[{c.number}] {c.title or c.doc_id} ({where})"
            url = safe_url(c.url)
            if url:
                ref += f" <{url}>"
            lines.append(ref)
            lines.append(f"    > {c.quote}")
    return "\n".join(lines) + "\n"


# Name bytes kept (ext. 4 filesystems allow 255; room is left for the `-2` of a clash).
_NAME_BYTES = 150
_NAME_PUNCT = frozenset(" ._-()")


def _name_char(ch: str) -> str:
    # Letters, marks and digits of any script stay, so `новости 2025.txt` and `日本.txt` keep
    # their names; control, format (bidi overrides) and path characters do not.
    return ch if ch in _NAME_PUNCT or unicodedata.category(ch)[0] in "LMN" else "_"


def safe_filename(name: str, max_bytes: int = _NAME_BYTES) -> str:
    """A file name safe to write into the upload folder: its basename, letters, marks and
    digits of any script, spaces and `._-()`.

    Path separators of either OS are cut first, so `../../etc/passwd.txt` or
    `C:\\x\\a.md` keep only their last part; leading dots are dropped (no hidden files, no
    `..`). The extension is kept so the reader still knows the format. When anything had to
    change, a short hash of the original name is added, so two different names never end up
    as one file (which would replace the first upload with the second).
    """
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", name)[-1])
    cleaned = re.sub(r"_+", "_", "".join(_name_char(c) for c in base))
    cleaned = re.sub(r"\s+", " ", cleaned).strip("._- ")
    stem, dot, ext = cleaned.rpartition(".")
    if not dot:
        stem, ext = cleaned, ""
    stem = stem.strip("._- ")
    ext = ext.strip(" ")[:10]
    out = f"{stem}.{ext}" if stem and ext else stem
    if out != base or len(out.encode("utf-8")) > max_bytes:
        tag = hashlib.sha256(base.encode("utf-8")).hexdigest()[:8]
        room = max_bytes - len(tag) - len(ext) - 2
        stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip("._- ")
        stem = f"{stem}-{tag}" if stem else f"upload-{tag}"
        out = f"{stem}.{ext}" if ext else stem
    return out


def library_rows(infos: Sequence[Any], query: str = "") -> list[list[Any]]:
    """Table rows (title, date, source, chunks, where from, document id), filtered by a
    search string."""
    q = query.strip().lower()
    rows: list[list[Any]] = []
    for i in infos:
        date = i.published.isoformat() if i.published else ""
        row = [i.title or i.doc_id, date, i.source or "", i.n_chunks, i.where, i.doc_id]
        if q and not any(q in str(v).lower() for v in row):
            continue
        rows.append(row)
    # Newest first (ISO dates sort as text; undated "" lands last), then by title.
    rows.sort(key=lambda r: str(r[0]).lower())
    rows.sort(key=lambda r: str(r[1]), reverse=True)
    return rows


def library_list_html(rows: Sequence[Sequence[Any]]) -> str:
    """library_rows() as a list of cards (title, then date · source · chunks, then the id):
    the library as a phone shows it."""
    if not rows:
        return '<p class="library-empty">No articles.</p>'
    items = []
    for title, date, source, chunks, where, doc_id in rows:
        meta = " · ".join(
            x
            for x in (
                f'<span class="library-date">{escape_html(str(date))}</span>' if date else "",
                escape_html(str(source)) if source else "",
                f"{chunks} chunk{'s' if chunks != 1 else ''}",
            )
            if x
        )
        items.append(
            f'<li class="library-item"><div class="library-title">{escape_html(str(title))}'
            f'</div><div class="library-meta">{meta}</div>'
            f'<div class="library-id">{escape_html(str(doc_id))}</div>'
            f'<div class="library-origin">from {escape_html(str(where))}</div></li>'
        )
    return f'<ul class="library-items">{"".join(items)}</ul>'
