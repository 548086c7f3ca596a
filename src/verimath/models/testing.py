"""A scripted OpenAI-compatible HTTP server on loopback, for tests and benchmarks (standard library only).

It speaks the ``/v1/chat/completions`` and ``/v1/completions`` JSON of the OpenAI API over real HTTP, so the
code under test goes through the same client, sockets and parsing as against vLLM or a hosted API. A
*responder* decides each reply from the request it sees::

    def respond(req: ServedRequest) -> Reply:
        if "```output" in req.text:
            return "The answer is \\\\boxed{42}."
        return "```python\\nprint(6 * 7)\\n```"

    with ScriptedServer(respond) as server:
        model = load_model("openai:scripted", base_url=server.base_url)

A reply is a string (one choice, repeated ``n`` times), a list of strings (the choices), or an
``HTTPFailure``. Stop strings in the request are honoured as real servers do (the text is cut before the stop
string). Not imported by ``verimath.models``; imports nothing else from verimath.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class ServedRequest:
    """What the server received."""

    kind: str
    """``chat`` or ``completion``."""
    model: str
    messages: tuple[dict[str, str], ...]
    """The chat messages (empty for completions)."""
    prompt: str
    """The completion prompt (empty for chat)."""
    body: dict[str, Any] = field(repr=False)
    """The whole JSON body."""
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    """The HTTP request headers, names in lower case (e.g. ``authorization``)."""

    @property
    def text(self) -> str:
        """Everything the model was shown, as one string (messages joined, or the prompt)."""
        return self.prompt if self.kind == "completion" else "\n".join(m["content"] for m in self.messages)

    @property
    def last(self) -> str:
        """The last user message (chat) or the prompt (completion)."""
        if self.kind == "completion":
            return self.prompt
        return next((m["content"] for m in reversed(self.messages) if m["role"] == "user"), "")


@dataclass(frozen=True, slots=True)
class HTTPFailure:
    """Reply with an HTTP error instead of a completion."""

    status: int
    message: str = "scripted failure"
    retry_after: float | None = None


Reply = str | list[str] | HTTPFailure
Responder = Callable[[ServedRequest], Reply]


def _cut(text: str, stop: list[str]) -> str:
    cuts = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return text[: min(cuts)] if cuts else text


class ScriptedServer:
    """An OpenAI-compatible server on ``127.0.0.1`` (a free port) answering with ``responder``.

    ``delay_s`` sleeps before every reply (for timeout tests). Every request is kept in ``requests``.
    Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, responder: Responder, *, delay_s: float = 0.0) -> None:
        self.responder = responder
        self.delay_s = delay_s
        self.requests: list[ServedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def start(self) -> ScriptedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body are separate writes: without NODELAY, Nagle + delayed ACK add ~40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr log
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "invalid JSON"}})
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path.rstrip("/").endswith("/chat/completions"):
                    req = ServedRequest("chat", body.get("model", ""), tuple(body.get("messages", ())), "",
                                        body,
                                        headers)
                elif self.path.rstrip("/").endswith("/completions"):
                    prompt = body.get("prompt", "")
                    req = ServedRequest("completion", body.get("model", ""), (),
                                        prompt if isinstance(prompt, str) else "".join(prompt), body, headers)
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                with server._lock:
                    server.requests.append(req)
                if server.delay_s:
                    time.sleep(server.delay_s)
                try:
                    reply = server.responder(req)
                except Exception as exc:  # a broken script is a 500, as a broken server would be
                    self._send(500, {"error": {"message": f"responder failed: {exc!r}"}})
                    return
                if isinstance(reply, HTTPFailure):
                    headers = {} if reply.retry_after is None else {"Retry-After": str(reply.retry_after)}
                    self._send(reply.status, {"error": {"message": reply.message}}, headers)
                    return
                self._send(200, _body(req, reply))

            def _send(self, status: int, payload: dict[str, Any],
                      headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    self.close_connection = True

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="scripted-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _body(req: ServedRequest, reply: str | list[str]) -> dict[str, Any]:
    n = int(req.body.get("n") or 1)
    texts = [reply] * n if isinstance(reply, str) else list(reply)
    stop = req.body.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    max_tokens = req.body.get("max_tokens")
    choices = []
    generated = 0
    for i, raw in enumerate(texts):
        text, finish = _cut(raw, stop), "stop"
        words = text.split(" ")
        if max_tokens is not None and len(words) > max_tokens:
            text, finish = " ".join(words[:max_tokens]), "length"
        generated += len(text.split())
        if req.kind == "chat":
            choices.append({"index": i, "message": {"role": "assistant", "content": text},
                            "finish_reason": finish})
        else:
            choices.append({"index": i, "text": text, "finish_reason": finish})
    return {
        "id": "scripted", "object": "chat.completion" if req.kind == "chat" else "text_completion",
        "created": int(time.time()), "model": req.model, "choices": choices,
        "usage": {"prompt_tokens": len(req.text.split()), "completion_tokens": generated,
                  "total_tokens": len(req.text.split()) + generated},
    }
