"""A tiny OpenAI-compatible chat server on 127.0.0.1 for tests (not a test module).

It speaks `POST /v1/chat/completions`, both as one JSON response and as Server-Sent Events
(`stream: true`), records every request, answers from a queue of scripted replies and can
fail with an HTTP status a given number of times before succeeding.

    with FakeOpenAI() as server:
        server.replies.append("Short answer: X\\n\\nX [1].")
        Assistant(answerer="llm", openai_base_url=server.base_url, ...)
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | Callable[[dict[str, Any]], str]

__all__ = ["FakeOpenAI", "RecordedRequest"]

DEFAULT_REPLY = "The indexed articles don't say."


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages") or [])

    @property
    def user_text(self) -> str:
        return "\n".join(m["content"] for m in self.messages if m.get("role") == "user")


class FakeOpenAI:
    """Scriptable OpenAI-compatible server; use as a context manager or call start/stop."""

    def __init__(self, chunk_size: int = 12) -> None:
        self.replies: deque[Reply] = deque()
        self.default_reply = DEFAULT_REPLY
        self.requests: list[RecordedRequest] = []
        self.chunk_size = chunk_size
        self._faults: deque[int] = deque()
        self._always_fail: int | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ scripting
    def reply(self, *texts: Reply) -> None:
        """Queue replies, one per successful request, in order.

        A reply is a string or a function of the request body returning one.
        """
        self.replies.extend(texts)

    def fail(self, status: int, times: int = 1) -> None:
        """Answer the next `times` requests with HTTP `status` before succeeding."""
        self._faults.extend([status] * times)

    def fail_always(self, status: int | None) -> None:
        """Answer every request with HTTP `status` (None turns this off)."""
        self._always_fail = status

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # ------------------------------------------------------------------ lifecycle
    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals
    def _next_action(self, body: dict[str, Any]) -> tuple[int | None, str]:
        with self._lock:
            if self._always_fail is not None:
                return self._always_fail, ""
            if self._faults:
                return self._faults.popleft(), ""
            reply = self.replies.popleft() if self.replies else self.default_reply
        return None, reply(body) if callable(reply) else reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

            def _send_json(self, status: int, payload: dict[str, Any], **headers: str) -> None:
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k.replace("_", "-"), v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send_json(200, {"object": "list", "data": [{"id": "fake-model"}]})
                else:
                    self._send_json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                with server._lock:
                    server.requests.append(
                        RecordedRequest(self.path, dict(self.headers.items()), body)
                    )
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                    return
                status, text = server._next_action(body)
                if status is not None:
                    self._send_json(
                        status,
                        {"error": {"message": f"scripted failure {status}", "type": "fake"}},
                        retry_after_ms="1",
                    )
                    return
                model = str(body.get("model") or "fake-model")
                if body.get("stream"):
                    self._stream(text, model)
                else:
                    self._send_json(200, _completion(text, model))

            def _stream(self, text: str, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                cid = f"chatcmpl-fake{time.monotonic_ns()}"
                pieces = [
                    text[i : i + server.chunk_size] for i in range(0, len(text), server.chunk_size)
                ]
                events = [_chunk(cid, model, {"role": "assistant", "content": ""}, None)]
                events += [_chunk(cid, model, {"content": p}, None) for p in pieces]
                events.append(_chunk(cid, model, {}, "stop"))
                for ev in events:
                    self.wfile.write(f"data: {json.dumps(ev)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        return Handler


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }
