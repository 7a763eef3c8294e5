"""News research assistant: ingest articles into Chroma, answer with verified citations."""

from assistant.config import Settings
from assistant.core import Assistant, ask
from assistant.errors import (
    AssistantError,
    ConfigError,
    EmbedderMismatchError,
    InputError,
    LLMError,
    StoreError,
    StoreLockedError,
)
from assistant.types import Answer, Article, Chunk, Citation, IngestFailure, IngestReport

__all__ = [
    "Answer",
    "Article",
    "Assistant",
    "AssistantError",
    "Chunk",
    "Citation",
    "ConfigError",
    "EmbedderMismatchError",
    "IngestFailure",
    "IngestReport",
    "InputError",
    "LLMError",
    "Settings",
    "StoreError",
    "StoreLockedError",
    "ask",
]
__version__ = "0.1.0"
