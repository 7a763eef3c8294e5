"""PDF (.pdf) through pypdfium2: the text layer of each page, in the page's reading order.

Running headers and footers (the same line at the top or bottom of most pages, page
numbers included) are removed, so they neither repeat in every chunk nor glue the last
sentence of a page to the first of the next. A PDF without a text layer (a scan) is
refused: OCR is not supported. A news-database export splits into its articles, each with
its page range.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.exports import export_articles, is_export_marker
from assistant.ingest.readers.registry import Format, register

__all__ = ["strip_running_lines"]

# A line that is only a page number: "7", "- 7 -", "Page 7", "Page 7 of 30", "7/30".
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(page\s+)?\d{1,5}(\s*(of|/)\s*\d{1,5})?[-–—\s]*$", re.I)
# Lines at each end of a page that may be running heads or feet.
_EDGE_LINES = 3
# A line is a running head/foot when it is at a page's edge on at least this share of pages.
_REPEATED_SHARE = 0.6


def _shape(line: str) -> str:
    """A line with its numbers blanked: "Page 3 of 9" and "Page 4 of 9" are one running line."""
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def _exact(line: str) -> str:
    return " ".join(line.split())


def strip_running_lines(pages: list[str]) -> list[str]:
    """`pages` without page numbers and the lines repeated at the edges of most pages."""
    split = [p.splitlines() for p in pages]
    # Two pages are little evidence: there a running line must repeat to the letter; from
    # three on, lines alike but for their numbers ("Page 3 of 9") count as one.
    key = _shape if len(pages) >= 3 else _exact
    edges: Counter[str] = Counter()
    for lines in split:
        filled = [ln for ln in lines if ln.strip()]
        edges.update({key(ln) for ln in filled[:_EDGE_LINES] + filled[-_EDGE_LINES:]})
    needed = max(2, _REPEATED_SHARE * len(pages))
    repeated = {s for s, n in edges.items() if n >= needed} if len(pages) >= 2 else set()

    def running(line: str) -> bool:
        # An export's end-of-article marker is structure, however often it sits at an edge.
        if is_export_marker(line):
            return False
        return bool(_PAGE_NUMBER.match(line)) or key(line) in repeated

    out = []
    for lines in split:
        numbered = [i for i, ln in enumerate(lines) if ln.strip()]
        at_edge = set(numbered[:_EDGE_LINES] + numbered[-_EDGE_LINES:])
        kept = [ln for i, ln in enumerate(lines) if i not in at_edge or not running(ln)]
        out.append("\n".join(kept).strip())
    return out


def reflow(text: str) -> str:
    """Lines laid out to the page's width joined back into paragraphs.

    A PDF's text layer breaks lines where the page did ("at a cost of" / "254,623 pounds"),
    which splits sentences for everything downstream. A line as long as the page's full
    lines continues on the next one; a shorter one (a headline, a date, a paragraph's last
    line) ends where it ends. A word hyphenated across lines is joined again."""
    lines = text.split("\n")
    lengths = sorted(len(ln.strip()) for ln in lines if len(ln.strip()) > 20)
    if not lengths:
        return text
    full = 0.75 * lengths[len(lengths) * 3 // 4]
    out: list[str] = []
    joining = False
    for line in lines:
        stripped = line.strip()
        if joining and stripped and out:
            if re.search(r"[a-z]-$", out[-1]) and stripped[:1].islower():
                out[-1] = out[-1][:-1] + stripped
            else:
                out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(stripped)
        joining = bool(stripped) and len(stripped) >= full
    return "\n".join(out)


def _problem(exc: Exception) -> str:
    """The user's words for pdfium's load error."""
    text = str(exc)
    if "password" in text.lower():
        return (
            "encrypted or password-protected PDF; save an unprotected copy (for example "
            "`qpdf --decrypt in.pdf out.pdf`) and ingest that"
        )
    if "format" in text.lower() or "file" in text.lower():
        return f"not a readable PDF (corrupt or truncated: {text})"
    return f"cannot open the PDF: {text}"


def read_pdf(req: ReadRequest) -> Iterator[ReadItem]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(req.path))
    except pdfium.PdfiumError as exc:
        yield req.failure(_problem(exc))
        return
    try:
        pages: list[str] = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            try:
                # pdfium writes line ends as \r\n and marks soft hyphens and form feeds.
                raw = textpage.get_text_bounded()
            finally:
                textpage.close()
                page.close()
            pages.append(raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", ""))
        meta = pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()
    if not pages:
        yield req.failure("the PDF has no pages")
        return
    if not any(p.strip() for p in pages):
        yield req.failure(
            f"no text layer on any of its {len(pages)} page(s) (a scanned PDF?); OCR is not "
            "supported: run it through an OCR tool (for example `ocrmypdf`) and ingest the result"
        )
        return
    yield from export_articles(
        req,
        strip_running_lines(pages),
        paged=True,
        tidy=reflow,
        title=meta.get("Title") or None,
    )


def _sniff(head: bytes) -> bool:
    # The header may follow a little junk; readers accept it within the first KB.
    return b"%PDF-" in head[:1024]


register(
    Format(
        name="PDF",
        suffixes=(".pdf",),
        library="pypdfium2",
        produces="the text layer, page by page (running headers, footers and page numbers "
        "removed); a news-database export splits into its articles, each with its pages",
        read=read_pdf,
        ids="split",
        sniff=_sniff,
    )
)
