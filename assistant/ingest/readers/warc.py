"""Web archives (.warc, .warc.gz) through warcio, streamed record by record.

Each HTML response with status 200 becomes an article through the HTML path, its target URL
as its id (so the same page from another crawl, or fetched with `--urls`, updates it) and
its URL; the page's own date, else the record's capture date. Other records (requests,
metadata, redirects, errors, images, scripts) are skipped and counted in the log.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator

from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.decode import charset_of
from assistant.ingest.readers.html import html_fields
from assistant.ingest.readers.registry import Format, register

__all__: list[str] = []

logger = logging.getLogger(__name__)


def read_warc(req: ReadRequest) -> Iterator[ReadItem]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    skipped: Counter[str] = Counter()
    is_arc = req.path.name.lower().endswith((".arc", ".arc.gz"))
    urls: set[str] = set()
    pages = 0
    n = 0
    with req.path.open("rb") as fh:
        records = iter(ArchiveIterator(fh))
        while True:
            try:
                record = next(records, None)
            except (ArchiveLoadFailed, OSError, EOFError, ValueError, AttributeError) as exc:
                # warcio raises these (AttributeError on a header cut in half) mid-archive.
                # A truncated gzip member or a cut record: what came before stays indexed.
                yield req.failure(
                    f"corrupt or truncated web archive after record {n}: {exc}",
                    where=f"{req.label}#record{n + 1}",
                )
                break
            if record is None:
                break
            n += 1
            if n == 1 and record.format == "arc" and not is_arc:
                # warcio reads anything that is no WARC as the old ARC format.
                yield req.failure("not a web archive (it does not start with a WARC/1.x header)")
                return
            if record.rec_type != "response":
                skipped[f"{record.rec_type} records"] += 1
                continue
            status = record.http_headers.get_statuscode() if record.http_headers else None
            ctype = (record.http_headers.get_header("Content-Type") or "") if status else ""
            if status != "200":
                skipped[f"status {status or 'unknown'}"] += 1
                continue
            if "html" not in ctype.lower():
                skipped[ctype.split(";")[0].strip() or "no content type"] += 1
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or f"{req.doc_id}#{n}"
            if url in urls:  # a crawl's later capture of the same page: the first is kept
                skipped["repeated captures"] += 1
                continue
            urls.add(url)
            where = f"{req.label}#record{n}"
            body = record.content_stream().read(req.max_bytes + 1)
            if len(body) > req.max_bytes:
                yield req.failure(
                    f"record {n} ({url}) is over the {req.max_bytes / 1e6:.0f} MB limit",
                    where=where,
                    doc_id=url,
                )
                continue
            try:
                fields = html_fields(body.decode(charset_of(ctype), errors="replace"))
            except Exception as exc:  # parsers raise many types on broken markup
                yield req.failure(f"record {n}: cannot parse HTML: {exc}", where=where, doc_id=url)
                continue
            captured = (record.rec_headers.get_header("WARC-Date") or "")[:10] or None
            pages += 1
            yield req.article(
                fields["text"],
                doc_id=url,
                path=where,
                title=fields["title"],
                published=fields["published"] or captured,
                source=fields["source"],
                url=url,
                location=f"record {n}",
            )
    if skipped:
        logger.info(
            "%s: %d pages read, %d records skipped (%s)",
            req.label,
            pages,
            sum(skipped.values()),
            ", ".join(f"{v} {k}" for k, v in skipped.most_common()),
        )
    if not pages and n:
        yield req.failure(
            f"no HTML page with status 200 among its {n} records (skipped: "
            f"{', '.join(f'{v} {k}' for k, v in skipped.most_common())})"
        )


def _sniff(head: bytes) -> bool:
    if head.startswith(b"WARC/"):
        return True
    if head.startswith(b"\x1f\x8b"):
        import zlib

        try:
            inner = zlib.decompressobj(wbits=31).decompress(head, 16)
        except zlib.error:
            return False
        return inner.startswith(b"WARC/")
    return False


register(
    Format(
        name="Web archive (WARC)",
        suffixes=(".warc", ".warc.gz", ".arc", ".arc.gz"),
        library="warcio",
        produces="each HTML response with status 200, through the HTML path; its URL as its "
        "id; other records skipped and counted",
        read=read_warc,
        ids="inside",
        sniff=_sniff,
        streamed=True,
    )
)
