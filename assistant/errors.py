"""The exceptions the assistant raises, each with a message a user can act on.

AssistantError
├── ConfigError          settings that cannot work together (bad URL, missing key)
├── ClusterError         a distributed ingest's Ray cluster failed (not the articles)
├── StoreError           the vector store is unreachable, locked or inconsistent
│   ├── StoreLockedError another ingest holds the store's lock
│   └── EmbedderMismatchError  the store was built with another embedding model
├── LLMError             the OpenAI-compatible server failed after retries
└── ModelError           a packaged model is missing or not the expected one
"""

from __future__ import annotations

__all__ = [
    "CLIP_CHARS",
    "AssistantError",
    "ClusterError",
    "ConfigError",
    "EmbedderMismatchError",
    "LLMError",
    "ModelError",
    "StoreError",
    "StoreLockedError",
    "clip",
]

# The most of a user's value an error message repeats: enough to recognise it, and a value
# pasted by mistake (a whole file as a date) does not flood the terminal or the log.
CLIP_CHARS = 60


def clip(value: object, limit: int = CLIP_CHARS) -> str:
    """`repr(value)` for an error message, cut to `limit` characters with its length said."""
    shown = repr(value)
    if len(shown) <= limit:
        return shown
    return f"{shown[:limit]}… ({len(str(value)):,} characters)"


class AssistantError(Exception):
    """Base class: catch this to handle every error the assistant raises on purpose."""


class ConfigError(AssistantError):
    """The settings cannot work (for example an unreachable Chroma URL)."""


class ClusterError(AssistantError):
    """The Ray cluster of a distributed ingest failed (lost nodes, workers that kept dying)."""


class StoreError(AssistantError):
    """The vector store could not be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process is ingesting into the same store."""


class EmbedderMismatchError(StoreError):
    """The store was built with a different embedding model or dimension."""


class LLMError(AssistantError):
    """The LLM server did not give a usable answer."""


class ModelError(AssistantError):
    """A packaged model (the spaCy pipeline) is missing or is not the expected one."""
