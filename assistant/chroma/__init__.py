"""The connection to Chroma: an embedded folder or a `chroma run` server, kept in step with
other processes, with one translation of its failures into `StoreError`s.

`connect(settings, ...)` picks the backend from the settings: `ASSISTANT_CHROMA_URL` set,
the server (`assistant.chroma.server`: lease, state collection); else the embedded folder
(`assistant.chroma.embedded`: file lock, read-only copy, cross-process reload). Both are a
`ChromaConnection` (`assistant.chroma.base`); the store sees the `ChromaBackend` protocol.
chromadb's private internals are reached in one module only, `assistant.chroma.private`.

What the records hold, and the order writes go in, is `assistant.store`'s business.
"""

from __future__ import annotations

import os
from typing import Any

from assistant.chroma.base import (
    ChromaBackend,
    ChromaConnection,
    GenerationState,
    is_concurrent_deletion,
)
from assistant.config import Settings

__all__ = [
    "ChromaBackend",
    "ChromaConnection",
    "GenerationState",
    "connect",
    "is_concurrent_deletion",
]

# Chroma reads this at import: no usage reports leave the machine.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def connect(settings: Settings, *, metadata: dict[str, Any], create: bool = True) -> ChromaBackend:
    """The store's connection: to the Chroma server of `settings.chroma_url`, else to the
    embedded folder `settings.store`. `metadata` is set on collections this creates;
    `create=False` refuses a missing embedded store instead of creating it empty."""
    if settings.chroma_url:
        from assistant.chroma.server import ServerChroma

        return ServerChroma(settings, metadata=metadata)
    from assistant.chroma.embedded import EmbeddedChroma

    return EmbeddedChroma(settings, metadata=metadata, create=create)
