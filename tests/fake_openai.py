"""A tiny OpenAI-compatible chat server on 127.0.0.1 for tests (not a test module).

It speaks `POST /v1/chat/completions`, both as one JSON response and as Server-Sent Events
(`stream: true`), records every request, answers from a queue of scripted replies and can
fail a given number of times before succeeding: with an HTTP status (429, 500...), or with
one of the network faults in `FAULTS`:

* "timeout": hold the request without answering (longer than any sane client timeout);
* "drop": start the reply, send some of it, then close the connection mid-body;
* "malformed": answer 200 with a body (or a stream event) that is not JSON;
* "reset": start a streamed reply, then close the connection before any text;
* "stall": start a streamed reply, send some text, then send nothing more (for
  `hang_seconds`): the client's read timeout fires mid-stream;
* "truncate": stream some text, then end the body cleanly but without the final event
  (`finish_reason`) or `[DONE]`, as a proxy that gives up might.

    with FakeOpenAI() as server:
        server.replies.append("Short answer: X\\n\\nX [1].")
        server.fail("drop")      # the next request is cut off mid-stream
        Assistant(answerer="llm", openai_base_url=server.base_url, ...)
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Reply = str | Callable[[dict[str, Any]], str]
Fault = int | Literal["timeout", "drop", "malformed", "reset", "stall", "truncate", "keepalive"]

__all__ = ["FAULTS", "FakeOpenAI", "RecordedRequest"]

FAULTS = ("timeout", "drop", "malformed", "reset", "stall", "truncate", "keepalive")

DEFAULT_REPLY = "The indexed articles don't say."


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived, to measure backoff

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
        self._faults: deque[Fault] = deque()
        self._always_fail: Fault | None = None
        # How long a "timeout" fault holds a request; stop() releases held requests early.
        self.hang_seconds = 30.0
        # Error bodies quote the request's Authorization header, as a careless proxy might.
        self.echo_auth = False
        # Streamed replies pause before their event number i (0: the role, 1: the first
        # text, ...) until pauses[i] is set (or stop()), so a test can see what a browser
        # shows before the rest arrives; `paused` is set while one waits.
        self.pauses: dict[int, threading.Event] = {}
        self.paused = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ scripting
    def reply(self, *texts: Reply) -> None:
        """Queue replies, one per successful request, in order.

        A reply is a string or a function of the request body returning one.
        """
        self.replies.extend(texts)

    def fail(self, fault: Fault, times: int = 1) -> None:
        """Fail the next `times` requests (HTTP status or a `FAULTS` name), then succeed."""
        self._check(fault)
        self._faults.extend([fault] * times)

    def fail_always(self, fault: Fault | None) -> None:
        """Fail every request with `fault` (HTTP status or `FAULTS` name); None turns it off."""
        if fault is not None:
            self._check(fault)
        self._always_fail = fault

    @staticmethod
    def _check(fault: Fault) -> None:
        if not isinstance(fault, int) and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; use an HTTP status or one of {FAULTS}")

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
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # release requests held by a "timeout" fault
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
    def _next_action(self, body: dict[str, Any]) -> tuple[Fault | None, str]:
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
                fault, text = server._next_action(body)
                model = str(body.get("model") or "fake-model")
                if fault == "timeout":
                    server._stopping.wait(server.hang_seconds)
                    self.close_connection = True
                    return
                if fault == "keepalive":
                    self._keep_alive(bool(body.get("stream")))
                    return
                if fault in ("drop", "reset", "stall"):
                    self._drop(model, fault)
                    return
                if fault == "truncate":
                    self._stream("The bridge reopens on March 3, 2027 [1].", model, final=False)
                    return
                if fault == "malformed":
                    self._malformed(bool(body.get("stream")))
                    return
                if fault is not None:
                    message = f"scripted failure {fault}"
                    if server.echo_auth:
                        message += f" for {self.headers.get('Authorization')}"
                    self._send_json(
                        fault,
                        {"error": {"message": message, "type": "fake"}},
                        retry_after_ms="1",
                    )
                    return
                if body.get("stream"):
                    self._stream(text, model)
                else:
                    self._send_json(200, _completion(text, model))

            def _drop(self, model: str, fault: str) -> None:
                # Chunked encoding, so closing before the final empty chunk is a detectable
                # truncation (with a close-delimited body it would look like a normal end).
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                cid = f"chatcmpl-fake{time.monotonic_ns()}"
                deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
                if fault != "reset":
                    deltas.append({"content": "The bridge "})
                for delta in deltas:
                    data = f"data: {json.dumps(_chunk(cid, model, delta, None))}\n\n".encode()
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                if fault == "stall":
                    server._stopping.wait(server.hang_seconds)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def _keep_alive(self, stream: bool) -> None:
                # Headers, then only keep-alives until the client leaves or the server
                # stops: SSE comments in a stream, JSON whitespace in a whole reply (both
                # are what proxies send while a model is slow).
                self.send_response(200)
                self.send_header(
                    "Content-Type", "text/event-stream" if stream else "application/json"
                )
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                beat = b": keep-alive\n\n" if stream else b" "
                try:
                    while not server._stopping.wait(0.05):
                        self.wfile.write(f"{len(beat):x}\r\n".encode() + beat + b"\r\n")
                        self.wfile.flush()
                except OSError:
                    pass  # the client closed the connection
                self.close_connection = True

            def _malformed(self, stream: bool) -> None:
                if not stream:
                    data = b'{"id": "chatcmpl-broken", "choices": [{"message": '
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b'data: {"id": "chatcmpl-broken", "choices": [{\n\n')
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _stream(self, text: str, model: str, final: bool = True) -> None:
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
                if final:
                    events.append(_chunk(cid, model, {}, "stop"))
                for i, ev in enumerate(events):
                    pause = server.pauses.get(i)
                    if pause is not None:
                        server.paused.set()
                        while not (pause.wait(0.1) or server._stopping.is_set()):
                            pass
                        server.paused.clear()
                    self.wfile.write(f"data: {json.dumps(ev)}\n\n".encode())
                    self.wfile.flush()
                if final:
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
