"""News research assistant: ingest articles into Chroma, answer with verified citations."""

from typing import TYPE_CHECKING, Any

from assistant.answering.base import Answerer, AnswerRequest, Draft
from assistant.config import Settings
from assistant.core import Assistant, ask
from assistant.errors import (
    AssistantError,
    ClusterError,
    ConfigError,
    EmbedderMismatchError,
    LLMError,
    ModelError,
    StoreError,
    StoreLockedError,
)
from assistant.query import Query
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

if TYPE_CHECKING:
    from assistant.scale.ray_ingest import RayOptions

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
    "ClusterError",
    "ConfigError",
    "Draft",
    "EmbedderMismatchError",
    "Event",
    "EventCitation",
    "EventDate",
    "IngestFailure",
    "IngestReport",
    "LLMError",
    "ModelError",
    "Query",
    "RayOptions",
    "Settings",
    "StoreError",
    "StoreLockedError",
    "Timeline",
    "ask",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The scale-out options are imported on first use, so `import assistant` stays what a
    # local install needs (assistant.scale is the optional [scale] extra's home).
    if name == "RayOptions":
        from assistant.scale.ray_ingest import RayOptions

        return RayOptions
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
