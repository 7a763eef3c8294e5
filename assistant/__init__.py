"""News research assistant: ingest articles into Chroma, answer with verified citations."""

from assistant.answering.base import Answerer, AnswerRequest, Draft
from assistant.config import Settings
from assistant.core import Assistant, ask
from assistant.errors import (
    AssistantError,
    ConfigError,
    EmbedderMismatchError,
    LLMError,
    StoreError,
    StoreLockedError,
)
from assistant.timeline.types import Event, EventCitation, EventDate, Timeline
from assistant.types import (
    Answer,
    Article,
    ArticleInfo,
    Chunk,
    Citation,
    IngestFailure,
    IngestReport,
)

__all__ = [
    "Answer",
    "AnswerRequest",
    "Answerer",
    "Article",
    "ArticleInfo",
    "Assistant",
    "AssistantError",
    "Chunk",
    "Citation",
    "ConfigError",
    "Draft",
    "EmbedderMismatchError",
    "Event",
    "EventCitation",
    "EventDate",
    "IngestFailure",
    "IngestReport",
    "LLMError",
    "Settings",
    "StoreError",
    "StoreLockedError",
    "Timeline",
    "ask",
]
__version__ = "0.1.0"
