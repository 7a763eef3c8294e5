"""Bytes to text for the text formats: UTF-8, UTF-16 or Windows-1252, binaries refused."""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterator
from pathlib import Path

__all__ = ["charset_of", "decode", "decode_file", "is_plain_utf8", "split_lines", "utf8_lines"]

logger = logging.getLogger(__name__)

# `decode` looks for NULs (UTF-16 or binary) in this many leading bytes.
_HEAD_BYTES = 8192
# Bytes per step when checking that a file is UTF-8.
_CHECK_BLOCK = 1 << 20


def decode(data: bytes, label: str) -> str:
    """Decode text, refusing binaries. UTF-8 first, then UTF-16 (BOM), then Windows-1252.

    Raises ValueError with a message for the user."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:_HEAD_BYTES]
    nul = data.find(b"\x00")
    if nul >= 0:
        # Decided for the whole file, not its head: a NUL past the head once went into the
        # index (and quotes) while one in the head refused the file. UTF-16 without BOM shows
        # NULs on every other byte of its head; a text with stray NULs, or a binary, does not.
        if head.count(b"\x00") >= len(head) // 5:
            for enc in ("utf-16-le", "utf-16-be"):
                try:
                    text = data.decode(enc)
                except UnicodeDecodeError:
                    continue
                sample = text[:2000]
                if text and sum(c.isprintable() or c.isspace() for c in sample) > 0.95 * len(
                    sample
                ):
                    return text
        raise ValueError(f"binary file (NUL byte at offset {nul:,}), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        bad = sum(1 for c in text if c == "\ufffd" or (ord(c) < 32 and c not in "\n\r\t\f"))
        if bad > 0.01 * max(len(text), 1):
            raise ValueError("not valid UTF-8 and not readable as Windows-1252/Latin-1") from None
        logger.info("%s: not UTF-8, read as Windows-1252", label)
        return text


def decode_file(path: Path) -> str | ValueError:
    """The text of a file (`decode`), or the error that names why it is not text."""
    try:
        return decode(path.read_bytes(), str(path))
    except (ValueError, UnicodeDecodeError) as exc:
        return ValueError(str(exc))


def charset_of(content_type: str) -> str:
    """The charset a Content-Type header names (`text/html; charset=latin-1`), else UTF-8."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return "utf-8"


def split_lines(text: str) -> Iterator[str]:
    """`text.split("\\n")`, one line at a time (a list of every line would double the file)."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def is_plain_utf8(path: Path) -> bool:
    """True when `decode` would read the file as UTF-8 (no UTF-16 BOM, no NULs anywhere,
    valid UTF-8 throughout), checked block by block without keeping the text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return False
        block = head
        try:
            while block:
                if b"\x00" in block:
                    return False  # `decode` decides on the whole file
                decoder.decode(block)
                block = fh.read(_CHECK_BLOCK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def utf8_lines(path: Path) -> Iterator[str]:
    """The lines of a UTF-8 file, read as they are used (same lines as decoding it whole and
    splitting on "\\n": a UTF-8 multi-byte character never contains the byte 0x0A)."""
    last = b""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            yield raw.decode("utf-8-sig" if lineno == 1 else "utf-8").removesuffix("\n")
            last = raw
    if not last or last.endswith(b"\n"):
        yield ""  # what split() gives after a final newline (or for no bytes at all)
