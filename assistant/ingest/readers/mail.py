"""E-mail (.eml) and mailboxes (.mbox) through the standard library's email and mailbox.

One article per message (a newsletter issue): its HTML part through the HTML path, else its
text part; the Subject as title, the Date header as date, the sender as source. A message's
Message-ID is its article's id, so the same newsletter in two mailboxes is one article.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import mailbox
from collections.abc import Iterator
from email.message import EmailMessage, Message

from assistant.ingest.readers.base import ReadItem, ReadRequest
from assistant.ingest.readers.html import html_fields
from assistant.ingest.readers.registry import Format, register

__all__: list[str] = []


def _date(msg: Message) -> str | None:
    value = msg.get("Date")
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(str(value)).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _sender(msg: Message) -> str | None:
    name, addr = email.utils.parseaddr(str(msg.get("From") or ""))
    return name or addr or None


def _message_article(req: ReadRequest, msg: Message, *, n: int | None, where: str) -> ReadItem:
    msg_id = str(msg.get("Message-ID") or "").strip().strip("<>")
    doc_id = msg_id or (req.doc_id if n is None else f"{req.doc_id}#{n}")
    label = "the message" if n is None else f"message {n}"
    if not isinstance(msg, EmailMessage):  # parsed with the modern policy: always is
        return req.failure(f"{label}: unreadable", where=where, doc_id=doc_id)
    try:
        part = msg.get_body(preferencelist=("html", "plain"))
        content = part.get_content() if part is not None else None
    except (LookupError, ValueError, AttributeError, UnicodeError) as exc:
        return req.failure(f"{label}: broken MIME ({exc})", where=where, doc_id=doc_id)
    if not isinstance(content, str) or not content.strip():
        return req.failure(f"{label} has no text or HTML part", where=where, doc_id=doc_id)
    assert part is not None
    title = str(msg.get("Subject") or "").strip() or None
    if part.get_content_subtype() == "html":
        fields = html_fields(content)
        text, title = fields["text"], title or fields["title"]
    else:
        text = content
    return req.article(
        text,
        doc_id=doc_id,
        path=where,
        title=title,
        published=_date(msg),
        source=_sender(msg),
        location=None if n is None else f"message {n}",
    )


def read_eml(req: ReadRequest) -> Iterator[ReadItem]:
    with req.path.open("rb") as fh:
        msg = email.message_from_binary_file(fh, policy=email.policy.default)
    if not msg.keys():
        yield req.failure("not an e-mail message (no headers)")
        return
    yield _message_article(req, msg, n=None, where=req.label)


def read_mbox(req: ReadRequest) -> Iterator[ReadItem]:
    box = mailbox.mbox(req.path, create=False)
    try:
        n = 0
        for n, key in enumerate(box.iterkeys(), start=1):
            where = f"{req.label}#message{n}"
            try:
                with box.get_file(key) as fh:
                    msg = email.message_from_bytes(fh.read(), policy=email.policy.default)
            except Exception as exc:  # the email parser on a broken message
                yield req.failure(f"message {n}: unreadable ({exc})", where=where)
                continue
            yield _message_article(req, msg, n=n, where=where)
        if n == 0:
            yield req.failure("no messages (an mbox starts each one with a 'From ' line)")
    finally:
        box.close()


register(
    Format(
        name="E-mail",
        suffixes=(".eml",),
        library="email (standard library)",
        produces="the message: its HTML or text part; Subject, Date and From",
        read=read_eml,
    )
)
register(
    Format(
        name="Mailbox",
        suffixes=(".mbox",),
        library="mailbox (standard library)",
        produces="each message, as for .eml",
        read=read_mbox,
        ids="inside",
        streamed=True,
    )
)
