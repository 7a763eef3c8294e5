"""Plain text (.txt) and Markdown (.md, .markdown).

A text file is one article, unless it is a news-database export holding many (see
`exports`): then each article of the export is one."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.decode import decode_file
from assistant.ingest.readers.exports import export_articles
from assistant.ingest.readers.registry import Format, register

__all__: list[str] = []


def read_text(req: ReadRequest) -> Iterator[ReadItem]:
    text = decode_file(req.path)
    if isinstance(text, ValueError):
        yield req.failure(str(text))
        return
    yield from export_articles(req, [text])


def strip_markdown(text: str) -> tuple[str, str | None]:
    title = None
    # HTML comments never show in rendered Markdown; indexing them would let hidden text be
    # retrieved and quoted as if the article said it.
    text = re.sub(r"<!--.*?(?:-->|\Z)", "", text, flags=re.DOTALL)
    m = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    if m:
        title = m.group(1).strip()
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links keep their words
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return text, title


def read_markdown(req: ReadRequest) -> Iterator[ReadItem]:
    text = decode_file(req.path)
    if isinstance(text, ValueError):
        yield req.failure(str(text))
        return
    body, title = strip_markdown(text)
    yield req.article(body, title=title)


register(
    Format(
        name="Plain text",
        suffixes=(".txt",),
        library="(standard library)",
        produces="the file; a news-database export (Factiva, LexisNexis layouts) splits into "
        "its articles",
        read=read_text,
        ids="split",
    )
)
register(
    Format(
        name="Markdown",
        suffixes=(".md", ".markdown"),
        library="(standard library)",
        produces="the file, its first `# heading` as the title",
        read=read_markdown,
    )
)
