"""`assistant mcp`: the MCP server over stdin/stdout, for desktop agents and IDEs.

stdout carries the protocol and nothing else. While the server runs, the SDK points file
descriptor 1 at stderr and writes the protocol to a private copy of it; before that, while
the store opens, this module does the same, so no library's stray print reaches the client.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.core import Assistant
from assistant.errors import StoreError
from assistant.mcp_server.paths import AllowedFolders
from assistant.mcp_server.server import build_server
from assistant.mcp_server.tools import DEFAULT_MAX_CHARS, AgentTools

__all__ = ["open_tools", "serve_stdio", "stdout_to_stderr"]

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 (and so `print`, C extensions, child processes) at stderr,
    and back afterwards."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def open_tools(
    store: str | Path | None,
    *,
    allow_ingest: Sequence[str | Path] = (),
    max_chars: int = DEFAULT_MAX_CHARS,
    **settings: Any,
) -> AgentTools:
    """The tools over the store at `store`. A read-only server needs a store with articles
    (a missing one is not created); with folders to ingest from, an empty store is fine."""
    folders = AllowedFolders(allow_ingest) if allow_ingest else None
    a = Assistant(store=store, create_store=folders is not None, **settings)
    if folders is None and a.store.count()[0] == 0:
        raise StoreError(
            f"the store at {a.store.location} holds no articles yet: index some first with "
            f"`assistant ingest FILES --store {a.settings.store}`, or start the server with "
            "--allow-ingest FOLDER"
        )
    return AgentTools(a, max_chars=max_chars, ingest_folders=folders)


def serve_stdio(
    store: str | Path | None,
    *,
    allow_ingest: Sequence[str | Path] = (),
    max_chars: int = DEFAULT_MAX_CHARS,
    **settings: Any,
) -> None:
    """Serve the tools over stdin/stdout until the client closes stdin (blocking)."""
    with stdout_to_stderr():
        tools = open_tools(store, allow_ingest=allow_ingest, max_chars=max_chars, **settings)
        server = build_server(tools)
    logger.info(
        "MCP server over stdio on %s (%s)",
        tools.assistant.store.location,
        "read-only" if tools.ingest_folders is None else f"ingest from {tools.ingest_folders}",
    )
    server.run("stdio")
