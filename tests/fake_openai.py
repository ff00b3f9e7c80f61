"""A tiny OpenAI-compatible chat server for offline tests (stdlib only).

    with FakeOpenAI() as srv:
        srv.reply("An answer [1].")              # queue scripted replies (str or fn(body) -> str)
        srv.responder = lambda body: "..."       # or answer every request from a function
        srv.mode = "error" | "hang" | "ok"
        ... OPENAI_BASE_URL=srv.base_url ...
        srv.requests                             # every request body (parsed JSON), in order

POST /v1/chat/completions answers both plain and streaming (SSE ``data: {...}`` then ``data: [DONE]``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | Callable[[dict[str, Any]], str]


class FakeOpenAI:
    def __init__(self, hang_s: float = 30.0, chunk_chars: int = 6) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.replies: deque[Reply] = deque()
        self.responder: Callable[[dict[str, Any]], str] | None = None
        self.mode = "ok"
        self.hang_s = hang_s
        self.chunk_chars = chunk_chars
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control
    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_text(self, body: dict[str, Any]) -> str:
        if self.replies:
            r = self.replies.popleft()
            return r(body) if callable(r) else r
        if self.responder is not None:
            return self.responder(body)
        return "OK"

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # wake any hanging handler
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers for assertions
    @staticmethod
    def messages(body: dict[str, Any]) -> list[dict[str, Any]]:
        return body.get("messages", [])

    @classmethod
    def system(cls, body: dict[str, Any]) -> str:
        return next((m["content"] for m in cls.messages(body) if m.get("role") == "system"), "")

    @classmethod
    def user(cls, body: dict[str, Any]) -> str:
        return "\n".join(m["content"] for m in cls.messages(body) if m.get("role") == "user")


def _handler_for(srv: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass  # keep test output quiet

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                return
            srv.requests.append(body)
            srv.headers.append({k.lower(): v for k, v in self.headers.items()})
            if srv.mode == "hang":
                srv._release.wait(srv.hang_s)
                return
            if srv.mode == "error":
                self._json(500, {"error": {"message": "internal failure", "type": "server_error"}})
                return
            text = srv.next_text(body)
            model = body.get("model", "fake")
            if not body.get("stream"):
                self._json(200, {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                })
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            pieces = [text[i:i + srv.chunk_chars] for i in range(0, len(text), srv.chunk_chars)] or [""]
            for i, piece in enumerate(pieces):
                delta: dict[str, Any] = {"content": piece}
                if i == 0:
                    delta["role"] = "assistant"
                self._event({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
            self._event({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model,
                         "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

        def _event(self, payload: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
            self.wfile.flush()

    return Handler
