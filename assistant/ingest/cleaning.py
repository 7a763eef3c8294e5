"""Turn scraped article text into the text we embed and cite: boilerplate out, metadata in.

Scraped news pages carry navigation, calls to action, ad file names, comment widgets and
teasers for other stories. The rules below recognise those by *shape* (short lines without
sentence punctuation, image file names, teaser lines cut off with an ellipsis, repeated
lines) and by common web-page vocabulary, never by the exact strings of particular sites.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from assistant.ingest.dates import find_header_date, is_date_line

__all__ = ["CleanedText", "clean_text", "normalise_whitespace", "strip_control"]

# ECMA-48 escape sequences: control strings (OSC, DCS, SOS, PM, APC) up to BEL or ST (or the
# line's end), CSI sequences, and two-character escapes. rich's ANSI decoder ends an OSC at
# ST only, so a BEL-terminated title code swallowed the text after it.
_ESCAPE = re.compile(
    r"\x1b(?:[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\[[0-?]*[ -/]*[@-~]|[ -/]*[0-~])"
)
# C0 and C1 control characters except newline and tab (vertical tab and form feed end lines).
_CONTROL = {
    c: ("\n" if chr(c) in "\v\f" else None)
    for c in range(0xA0)
    if unicodedata.category(chr(c)) == "Cc" and chr(c) not in "\n\t"
}

_SENTENCE_END = re.compile(r"[.!?\"”’'»)\]]\s*$")
_IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|webp|svg|bmp|avif)\s*$", re.IGNORECASE)
_TEASER_END = re.compile(r"(\.\.\.|…)\s*$")
# Vocabulary of page furniture: widgets, calls to action, navigation. Applied only to short
# lines (see _is_boilerplate), so an article sentence that mentions "subscribers" survives.
_FURNITURE = re.compile(
    r"\b(share( this| on)?|tweet|search|menu|ads?|"
    r"log ?in|sign (in|up)|register|related (articles|stories|posts|news)|most (popular|read)|"
    r"read more|click here|see (more|them|also)|latest news|notifications?|follow us|"
    r"(top|bottom) of (the )?page|back to top|skip to (main )?content|cookies?|"
    r"all rights reserved|copyright|privacy policy|terms of (use|service)|spot_img)\b",
    re.IGNORECASE,
)
# Widget words that mark a short line as furniture even when it ends like a sentence
# ("No comments yet.", "Leave a Reply").
_WIDGET = re.compile(
    r"\b(comments?|leave a (comment|reply)|reply|subscribe|subscribing|subscription|"
    r"newsletters?|sponsors?|sponsored|advertisement|advertising)\b",
    re.IGNORECASE,
)
# Sentences that are calls to action whatever their length.
_CALL_TO_ACTION = re.compile(
    r"\b(subscribe to|subscribing to|sign up (for|to)|support (independent|our) (reporting|"
    r"journalism)|funded (solely )?by readers|email address will not be published|"
    r"required fields are marked|get notifications? of new|to be updated with all the latest)",
    re.IGNORECASE,
)
_CREDIT_LINE = re.compile(r"\b(photo|image|credit|source)s?\s*:?\s*$", re.IGNORECASE)
_SOURCE_LINE = re.compile(r"^(?:[A-Z][\w&'’.-]*)(?:\s+[A-Z][\w&'’.-]*){0,3}$")


@dataclass(frozen=True)
class CleanedText:
    text: str
    title: str | None
    source: str | None
    published_text: str | None


def strip_control(text: str) -> str:
    """`text` without terminal escape sequences or control characters (newlines and tabs
    stay). An article's `ESC[2J` or OSC title code would otherwise clear or retitle the
    terminal that prints a quote of it; whole sequences go, not only their ESC, so no
    `[2J` is left in the text either."""
    if "\x1b" in text:
        text = _ESCAPE.sub("", text)
    return text.translate(_CONTROL)


def normalise_whitespace(text: str) -> str:
    """NFC, Unix newlines, no control characters or terminal escapes, no trailing spaces, at
    most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = strip_control(text)
    text = text.replace("\u00a0", " ").replace("\ufeff", "")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()


def _words(line: str) -> int:
    return len(line.split())


def _key(line: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", line.casefold()).split())


def _is_boilerplate(line: str) -> bool:
    n = _words(line)
    if _IMAGE_FILE.search(line) and n <= 8:
        return True
    if _CALL_TO_ACTION.search(line):
        return True
    if (
        n <= 8
        and (m := _WIDGET.search(line))
        # "Officials declined to comment." is news; "No comments yet." is a widget.
        and (not _SENTENCE_END.search(line) or m.start() <= len(line.split()[0]) + 1)
    ):
        return True
    if n <= 8 and _FURNITURE.search(line) and not _SENTENCE_END.search(line.rstrip(":")):
        return True
    if (
        n <= 12
        and line.endswith(":")
        and (_FURNITURE.search(line) or _WIDGET.search(line) or _CREDIT_LINE.search(line))
    ):
        return True
    # Menu-like: a short line in capitals (e.g. "LATEST STORIES"), or a lone symbol run.
    if n <= 6:
        letters = [c for c in line if c.isalpha()]
        return (len(letters) > 3 and all(c.isupper() for c in letters)) or not letters
    # Stops at the first letter: long lines are common, and listing their letters is costly.
    return not any(c.isalpha() for c in line)


def _is_heading_like(line: str) -> bool:
    return bool(line) and _words(line) <= 25 and not _SENTENCE_END.search(line)


def _trim_trailing(lines: list[str]) -> None:
    """Drop blank and short unpunctuated lines from the end, in place."""
    while lines and (not lines[-1] or (_words(lines[-1]) <= 8 and _is_heading_like(lines[-1]))):
        lines.pop()


def clean_text(raw: str, *, title: str | None = None) -> CleanedText:
    """Clean scraped article text. `title` is the known title, if the source gave one."""
    lines = normalise_whitespace(raw).split("\n")

    # 1. Teasers for other stories: a heading followed by an excerpt cut off with "...".
    keep = [True] * len(lines)
    for i, line in enumerate(lines):
        if _TEASER_END.search(line) and _words(line) >= 4:
            keep[i] = False
            j = i - 1
            while j >= 0 and not lines[j]:
                j -= 1
            if j >= 0 and _is_heading_like(lines[j]):
                keep[j] = False
    lines = [line for line, k in zip(lines, keep, strict=True) if k]

    # 2. Header: date lines and page furniture before the article starts.
    published_text: str | None = None
    for line in [ln for ln in lines if ln][:8]:
        if (
            _words(line) <= 12
            # A dateline or byline, not an opening sentence that mentions a date.
            and (is_date_line(line) or not _SENTENCE_END.search(line))
            and (found := find_header_date(line))
        ):
            published_text = found
            break
    header_end = 0
    body: list[str] = []
    for i, line in enumerate(lines):
        if not line:
            if header_end == i:
                header_end = i + 1
            body.append(line)
            continue
        in_header = header_end == i and i < 12
        if in_header and is_date_line(line):
            published_text = published_text or find_header_date(line)
            header_end = i + 1
            continue
        if in_header and _is_boilerplate(line):
            header_end = i + 1
            continue
        body.append(line)
    lines = body

    # 3. Boilerplate lines anywhere, and repeats of an earlier line (titles printed twice,
    #    photo captions duplicated as alt text, breadcrumbs glued to the title).
    seen: list[str] = []
    out: list[str] = []
    for line in lines:
        if not line:
            out.append(line)
            continue
        if _is_boilerplate(line):
            continue
        k = _key(line)
        if _words(line) >= 3 and (
            k in seen or any(k.endswith(s) and len(k) - len(s) <= 40 for s in seen[:3] if s)
        ):
            continue
        seen.append(k)
        out.append(line)
    lines = out

    # 4. Trailing furniture: short unpunctuated lines after the last paragraph.
    _trim_trailing(lines)

    nonempty = [line for line in lines if line]
    found_title = title.strip() if title and title.strip() else None
    if found_title is None:
        found_title = next((line for line in nonempty if _words(line) >= 3), None)
        if found_title is None and nonempty:
            found_title = nonempty[0]
        if found_title is not None and len(found_title) > 200:
            found_title = found_title[:197].rstrip() + "..."

    # 5. A publication name printed right under the title ("Title / Outlet Name / body").
    source: str | None = None
    if len(nonempty) >= 2 and nonempty[0] == found_title:
        cand = nonempty[1]
        if _SOURCE_LINE.match(cand) and _words(cand) <= 4 and not any(c.isdigit() for c in cand):
            source = cand
            idx = lines.index(cand)
            del lines[idx]
            # The outlet's line may have been all that followed a short unpunctuated line.
            _trim_trailing(lines)

    text = normalise_whitespace("\n".join(lines))
    return CleanedText(text=text, title=found_title, source=source, published_text=published_text)
