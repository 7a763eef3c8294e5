"""The assistant as an MCP server: search, ask and the article library for agents.

`assistant mcp --store DIR` serves the tools over stdio; `assistant ui --mcp` serves them at
the UI's `/mcp`. Built with the official MCP SDK; every tool goes through the public
`Assistant` API, and every result is a frozen model whose schema is the tool's output schema.
"""

from assistant.mcp_server.http import MCP_PATH, BasicAuth, mcp_lifespan
from assistant.mcp_server.paths import AllowedFolders
from assistant.mcp_server.results import (
    AnswerResult,
    ArticleList,
    ArticleSummary,
    ArticleText,
    CitedPassage,
    HistoryTurn,
    IngestProblem,
    IngestResult,
    Passage,
    SearchResult,
    WindowUsed,
)
from assistant.mcp_server.server import INSTRUCTIONS, build_server
from assistant.mcp_server.stdio import open_tools, serve_stdio
from assistant.mcp_server.tools import DEFAULT_MAX_CHARS, AgentTools

__all__ = [
    "DEFAULT_MAX_CHARS",
    "INSTRUCTIONS",
    "MCP_PATH",
    "AgentTools",
    "AllowedFolders",
    "AnswerResult",
    "ArticleList",
    "ArticleSummary",
    "ArticleText",
    "BasicAuth",
    "CitedPassage",
    "HistoryTurn",
    "IngestProblem",
    "IngestResult",
    "Passage",
    "SearchResult",
    "WindowUsed",
    "build_server",
    "mcp_lifespan",
    "open_tools",
    "serve_stdio",
]
