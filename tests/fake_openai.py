"""A real HTTP server on loopback that speaks the OpenAI chat-completions protocol, scripted per test.

It is the one stand-in of the test suite, at the boundary to a remote language model, and it
speaks the wire protocol the real clients speak: plain responses, JSON mode (``response_format``
is accepted and recorded), tool calls (when the request offers tools), and SSE streaming (when the
request says ``stream``); it also answers Ollama's native ``/api/chat`` (NDJSON). Each test
queues the replies it wants; the server records every request body it was sent, so a test can
assert what the model was told (e.g. the repair round).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Reply:
    """One scripted reply: its text (content, or a tool call's arguments when the request offers tools)."""

    text: str = ""
    delay: float = 0.0  # seconds to sleep before answering (a timeout test sleeps past timeout_s)
    status: int = 200  # anything else: an OpenAI-style error body with this status
    as_tool: bool | None = None  # None: a tool call exactly when the request offers tools
    chunk_delay: float = 0.0  # seconds between SSE chunks when streaming
    stall_at: int | None = None  # when streaming: after this many characters, sleep ``stall_s`` (a mid-stream timeout)
    stall_s: float = 0.0


class FakeOpenAI:
    """The server: ``url`` for ``base_url``, ``script(...)`` to queue replies, ``requests`` as sent."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection; the end of a stream closes it

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._lock:
                    fake.requests.append(body)
                    fake.paths.append(self.path)
                    reply = fake.replies.popleft() if fake.replies else Reply(status=500, text="no scripted reply left")
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    fake._answer(self, body, reply)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The base URL to configure (``llm.base_url``)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def script(self, *replies: Reply | str | dict) -> None:
        """Queue replies: a ``Reply``, a string (the text), or a dict (sent as its JSON)."""
        for r in replies:
            self.replies.append(r if isinstance(r, Reply) else Reply(json.dumps(r) if isinstance(r, dict) else r))

    def prompt(self, i: int = -1) -> str:
        """All message texts of request ``i``, joined (what the model was told)."""
        return "\n".join(str(m.get("content") or "") for m in self.requests[i]["messages"])

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    # --- the protocol -----------------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply) -> None:
        if handler.path.rstrip("/").endswith("/api/chat") and reply.status == 200:
            self._ollama(handler, body, reply)
            return
        if reply.status != 200:
            data = json.dumps({"error": {"message": reply.text, "type": "server_error", "code": None}}).encode()
            handler.send_response(reply.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return
        tools = body.get("tools") or []
        tool = tools[0]["function"]["name"] if tools and reply.as_tool is not False else None
        model = body.get("model", "fake")
        if body.get("stream"):
            self._stream(handler, reply, tool, model)
            return
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        finish = "stop"
        if tool:
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": tool, "arguments": reply.text}}]}
            finish = "tool_calls"
        data = json.dumps({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _ollama(self, handler: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply) -> None:
        """Ollama's native /api/chat: NDJSON lines when streaming (its default), else one JSON object."""
        model = body.get("model", "fake")
        tools = body.get("tools") or []
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if tools and reply.as_tool is not False:
            message = {"role": "assistant", "content": "", "tool_calls": [
                {"function": {"name": tools[0]["function"]["name"], "arguments": json.loads(reply.text)}}]}
        final = {"model": model, "created_at": "2024-01-01T00:00:00Z", "done": True, "done_reason": "stop"}
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-ndjson")
        handler.end_headers()
        if body.get("stream", True) and "tool_calls" not in message:
            for i in range(0, len(reply.text), 17):
                line = {"model": model, "created_at": final["created_at"], "done": False,
                        "message": {"role": "assistant", "content": reply.text[i : i + 17]}}
                handler.wfile.write((json.dumps(line) + "\n").encode())
                handler.wfile.flush()
            message = {"role": "assistant", "content": ""}
        handler.wfile.write((json.dumps({**final, "message": message}) + "\n").encode())
        handler.wfile.flush()

    def _stream(self, handler: BaseHTTPRequestHandler, reply: Reply, tool: str | None, model: str) -> None:
        text, pause = reply.text, reply.chunk_delay
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()

        def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            handler.wfile.flush()
            if pause:
                time.sleep(pause)

        cut = reply.stall_at if reply.stall_at is not None else len(text)
        pieces = [text[i : min(i + 17, cut)] for i in range(0, cut, 17)]
        stall = len(pieces)  # the stall comes after the first ``stall_at`` characters
        pieces += [text[i : i + 17] for i in range(cut, len(text), 17)]

        def delta(piece: str) -> dict[str, Any]:
            return {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]} if tool else {"content": piece}

        if tool:
            send({"role": "assistant", "content": None, "tool_calls": [
                {"index": 0, "id": "call_1", "type": "function", "function": {"name": tool, "arguments": ""}}]})
        else:
            send({"role": "assistant", "content": ""})
        for i, piece in enumerate(pieces):
            if i == stall and reply.stall_s:
                time.sleep(reply.stall_s)
            send(delta(piece))
        send({}, "tool_calls" if tool else "stop")
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()


@pytest.fixture
def fake_openai():
    """A scripted OpenAI-compatible server on 127.0.0.1 for one test."""
    server = FakeOpenAI()
    yield server
    server.close()
