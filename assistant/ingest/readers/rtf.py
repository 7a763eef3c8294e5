"""Rich Text Format (.rtf) through striprtf: the document's text, control words removed.
A news-database export (Factiva delivers RTF) splits into its articles."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.exports import export_articles
from assistant.ingest.readers.registry import Format, register

__all__: list[str] = []


def read_rtf(req: ReadRequest) -> Iterator[ReadItem]:
    from striprtf.striprtf import rtf_to_text

    data = req.path.read_bytes()
    if not data.lstrip().startswith(b"{\\rtf"):
        yield req.failure("not an RTF document (it does not start with {\\rtf)")
        return
    # RTF is 7-bit: other characters are escapes (\'e9, \u233), which striprtf decodes.
    text = rtf_to_text(data.decode("latin-1"), errors="replace")
    if not text.strip():
        yield req.failure("the RTF document has no text")
        return
    yield from export_articles(req, [text])


register(
    Format(
        name="RTF",
        suffixes=(".rtf",),
        library="striprtf",
        produces="the document's text; a news-database export splits into its articles",
        read=read_rtf,
        ids="split",
        sniff=lambda head: head.startswith(b"{\\rtf"),
    )
)
