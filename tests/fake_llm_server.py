"""A fake chat-model server for tests: speaks the OpenAI and the Ollama chat protocols.

It stands in for a remote model service, on 127.0.0.1 and a free port, in a background
thread. Its answer is a deterministic function of the request's messages, it streams that
answer word by word when asked to, and it records every request so a test can check the prompt
that was sent::

    with FakeLLMServer(reply=lambda messages: "Paris [1].") as server:
        llm = OpenAILike(api_base=server.openai_base, model=server.model, ...)
        ...
        assert "capital" in server.last_user_message()

Endpoints:
- OpenAI: `POST /v1/chat/completions` (JSON, or server-sent events ending with
  `data: [DONE]` when `"stream": true`), `GET /v1/models`; also without the `/v1` prefix.
- Ollama: `POST /api/chat` (one JSON object, or NDJSON lines when `"stream"` is true or absent,
  as Ollama defaults to streaming), `GET /api/tags`, `POST /api/show`, `GET /api/version`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Messages = list[dict[str, Any]]
ReplyFunction = Callable[[Messages], str]

DEFAULT_MODEL = "fake-model"
DEFAULT_CONTEXT_LENGTH = 4096
OPENAI_CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
OPENAI_MODELS_PATHS = ("/v1/models", "/models")
CREATED_AT = "2025-01-01T00:00:00Z"
CREATED_TS = 1_735_689_600
# A streamed piece: a word with the spaces after it (or a run of leading spaces).
PIECE_PATTERN = re.compile(r"\S+\s*|\s+")


def message_text(message: dict[str, Any]) -> str:
    """The text of one chat message, whether its content is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


def echo_reply(messages: Messages) -> str:
    """The default answer: 'Echo: ' and the last user message, so tests can see what was sent."""
    users = [message_text(message) for message in messages if message.get("role") == "user"]
    return f"Echo: {users[-1] if users else ''}"


def split_pieces(text: str) -> list[str]:
    """Cut `text` into the pieces a stream sends: words with their trailing whitespace."""
    return PIECE_PATTERN.findall(text) or [""]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> Messages:
        """The chat messages in the body (empty for requests without them)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("messages"), list):
            return self.body["messages"]
        return []

    @property
    def stream(self) -> bool:
        """Whether the client asked for a streamed answer (Ollama streams unless told not to)."""
        if not isinstance(self.body, dict):
            return False
        default = self.path == "/api/chat"
        return bool(self.body.get("stream", default))


class FakeLLMServer:
    """A local HTTP server that answers chat requests with `reply(messages)`.

    `reply` is a fixed string or a function of the request's messages (dicts with `role` and
    `content`); the default echoes the last user message. `chunk_delay_s` pauses between
    streamed pieces (for cancellation and timing tests). `error_status`, when set, makes every
    chat request fail with that HTTP status and an error body in the protocol's shape.
    """

    def __init__(
        self,
        reply: str | ReplyFunction = echo_reply,
        *,
        model: str = DEFAULT_MODEL,
        chunk_delay_s: float = 0.0,
        error_status: int | None = None,
    ) -> None:
        self.reply: ReplyFunction = (lambda _messages: reply) if isinstance(reply, str) else reply
        self.model = model
        self.chunk_delay_s = chunk_delay_s
        self.error_status = error_status
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        handler = type("FakeLLMHandler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-llm-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`: the Ollama base URL."""
        if self._httpd is None:
            raise RuntimeError("FakeLLMServer is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_base(self) -> str:
        """`http://127.0.0.1:PORT/v1`: the OpenAI-compatible api_base."""
        return f"{self.url}/v1"

    # -- what was received ------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the chat requests (OpenAI or Ollama), oldest first."""
        return [request for request in self.requests if request.path in OPENAI_CHAT_PATHS or request.path == "/api/chat"]

    def last_messages(self) -> Messages:
        """The messages of the latest chat request."""
        chats = self.chat_requests
        if not chats:
            raise AssertionError("the fake LLM server received no chat request")
        return chats[-1].messages

    def last_user_message(self) -> str:
        """The text of the last user message of the latest chat request."""
        users = [message_text(message) for message in self.last_messages() if message.get("role") == "user"]
        if not users:
            raise AssertionError("the latest chat request has no user message")
        return users[-1]

    def clear(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    """Routes one request to the protocol it belongs to."""

    fake: FakeLLMServer  # set on the subclass that `FakeLLMServer.start` makes
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Keep test output clean."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._receive(None)
        path = self._path()
        if path in OPENAI_MODELS_PATHS:
            self._send_json(
                {"object": "list", "data": [{"id": self.fake.model, "object": "model", "created": CREATED_TS, "owned_by": "fake"}]}
            )
        elif path == "/api/tags":
            self._send_json(
                {
                    "models": [
                        {
                            "name": self.fake.model,
                            "model": self.fake.model,
                            "modified_at": CREATED_AT,
                            "size": 1,
                            "digest": "0" * 64,
                            "details": {},
                        }
                    ]
                }
            )
        elif path == "/api/version":
            self._send_json({"version": "0.0.0-fake"})
        else:
            self._send_json({"error": f"no route GET {path}"}, status=404)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send_json({"error": "body is not JSON"}, status=400)
            return
        request = self._receive(body)
        try:
            self._route_post(request)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading a stream
            self.close_connection = True

    def _route_post(self, request: RecordedRequest) -> None:
        path = request.path
        if path in OPENAI_CHAT_PATHS:
            self._openai_chat(request)
        elif path == "/api/chat":
            self._ollama_chat(request)
        elif path == "/api/show":
            self._send_json(
                {
                    "modelfile": "",
                    "parameters": "",
                    "template": "{{ .Prompt }}",
                    "details": {"format": "gguf", "family": "fake"},
                    "model_info": {"general.architecture": "fake", "fake.context_length": DEFAULT_CONTEXT_LENGTH},
                    "capabilities": ["completion"],
                }
            )
        else:
            self._send_json({"error": f"no route POST {path}"}, status=404)

    # -- protocols ----------------------------------------------------------------------------

    def _openai_chat(self, request: RecordedRequest) -> None:
        if self.fake.error_status:
            self._send_json(
                {"error": {"message": "fake failure", "type": "server_error", "code": self.fake.error_status}},
                status=self.fake.error_status,
            )
            return
        text = self.fake.reply(request.messages)
        model = request.body.get("model") or self.fake.model
        prompt_tokens = sum(len(message_text(m).split()) for m in request.messages)
        completion_tokens = len(text.split())
        base = {"id": "chatcmpl-fake", "created": CREATED_TS, "model": model}
        if not request.stream:
            self._send_json(
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                }
            )
            return
        self._start_stream("text/event-stream")
        chunk = {**base, "object": "chat.completion.chunk"}
        self._send_event({**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
        for piece in split_pieces(text):
            self._pause()
            self._send_event({**chunk, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        self._send_event({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self._send_chunk(b"data: [DONE]\n\n")
        self._end_stream()

    def _ollama_chat(self, request: RecordedRequest) -> None:
        if self.fake.error_status:
            self._send_json({"error": "fake failure"}, status=self.fake.error_status)
            return
        text = self.fake.reply(request.messages)
        model = request.body.get("model") or self.fake.model
        done = {
            "done": True,
            "done_reason": "stop",
            "total_duration": 1,
            "load_duration": 0,
            "prompt_eval_count": sum(len(message_text(m).split()) for m in request.messages),
            "prompt_eval_duration": 1,
            "eval_count": len(text.split()),
            "eval_duration": 1,
        }
        if not request.stream:
            self._send_json({"model": model, "created_at": CREATED_AT, "message": {"role": "assistant", "content": text}, **done})
            return
        self._start_stream("application/x-ndjson")
        for piece in split_pieces(text):
            self._pause()
            line = {"model": model, "created_at": CREATED_AT, "message": {"role": "assistant", "content": piece}, "done": False}
            self._send_chunk(json.dumps(line).encode() + b"\n")
        final = {"model": model, "created_at": CREATED_AT, "message": {"role": "assistant", "content": ""}, **done}
        self._send_chunk(json.dumps(final).encode() + b"\n")
        self._end_stream()

    # -- plumbing -----------------------------------------------------------------------------

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/") or "/"

    def _receive(self, body: Any) -> RecordedRequest:
        request = RecordedRequest(self.command, self._path(), {key.lower(): value for key, value in self.headers.items()}, body)
        self.fake._record(request)
        return request

    def _pause(self) -> None:
        if self.fake.chunk_delay_s:
            time.sleep(self.fake.chunk_delay_s)

    def _send_json(self, payload: Any, status: int = 200) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send_event(self, payload: Any) -> None:
        self._send_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
