"""The MCP tools on the web UI's server (`assistant ui --mcp`), at `/mcp`.

The SDK's streamable HTTP transport, added to the app Gradio builds: its route is put in
when the app starts (in the lifespan Gradio hands `app_kwargs`), where the SDK's session
manager also runs. Gradio's login is a browser form and a cookie, which MCP clients cannot
fill in: with the UI's auth set, `/mcp` asks for the same user and password as HTTP Basic
auth (the `Authorization` header clients send), and refuses every request without them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.mcp_server.server import build_server
from assistant.mcp_server.tools import AgentTools

__all__ = ["MCP_PATH", "BasicAuth", "mcp_lifespan"]

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
_REFUSED = (
    b'{"error": "authentication required: send the user and password of the UI\'s --auth '
    b'as HTTP Basic auth"}'
)


class BasicAuth:
    """ASGI wrapper: pass requests with `Authorization: Basic` for `credentials`, answer
    every other with 401 (and a `WWW-Authenticate` challenge)."""

    def __init__(self, app: ASGIApp, credentials: tuple[str, str]) -> None:
        self.app = app
        user, password = credentials
        self._expected = f"{user}:{password}".encode()

    def _allowed(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name.lower() != b"authorization":
                continue
            scheme, _, token = value.partition(b" ")
            if scheme.lower() != b"basic":
                return False
            try:
                given = base64.b64decode(token.strip(), validate=True)
            except (binascii.Error, ValueError):
                return False
            # Constant time: how much of a guess matched must not show in the timing.
            return hmac.compare_digest(given, self._expected)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        body = _REFUSED
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Basic realm="news-assistant MCP", charset="UTF-8"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def mcp_lifespan(
    tools: AgentTools,
    *,
    host: str,
    credentials: tuple[str, str] | None,
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan for Gradio's `app_kwargs`: it adds the `/mcp` route to the app and runs
    the SDK's session manager while the app runs."""
    server = build_server(tools)
    # json_response: one JSON reply per request, nothing held open between calls. `host`
    # turns on the SDK's DNS-rebinding check (Host and Origin must be loopback) when the UI
    # is bound to loopback.
    starlette_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH, json_response=True, host=host
    )
    routes = []
    for route in starlette_app.routes:
        if isinstance(route, Route) and credentials is not None:
            route = Route(route.path, endpoint=BasicAuth(route.app, credentials))
        routes.append(route)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        # First in the list: Gradio's own routes never see /mcp.
        app.router.routes[:0] = routes
        async with server.session_manager.run():
            logger.info(
                "MCP tools at %s (%s)",
                MCP_PATH,
                "HTTP Basic auth" if credentials else "no auth",
            )
            yield

    return lifespan
