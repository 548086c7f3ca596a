"""``openai:NAME`` — any OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs)."""

from __future__ import annotations

import asyncio
import os
import random
import time
import weakref
from typing import Any

from verimath.errors import InputError, ModelError, ModelUnavailable, import_extra
from verimath.models._base import Backend, split_evenly
from verimath.models._servers import ServerPool, server_urls
from verimath.models._types import ChatRequest, Completion, FinishReason, Request, Usage

_RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""Where the SDK sends requests when neither ``base_url`` nor ``OPENAI_BASE_URL`` says."""
_REQUEST_STATUS = frozenset({400, 413, 422})
"""Statuses about one request (its prompt, its length), not about the server or the model: model-side."""


class OpenAIModel(Backend):
    """A model behind an OpenAI-compatible HTTP API, through the ``openai`` SDK.

    The API key comes from the environment variable ``api_key_env`` (local servers accept any key, so a
    missing variable sends ``EMPTY``). Rate limits (429), server errors (5xx), timeouts and dropped
    connections are retried ``max_retries`` times with exponential backoff and jitter (honouring a server's
    ``Retry-After`` up to ``max_backoff_s``); then ``ModelUnavailable`` is raised. Other HTTP errors raise at
    once: ``ModelUnavailable`` for those that no request could pass (401, 403, 404 model not found, ...),
    plain ``ModelError`` for those about this request (400, 413, 422: a prompt past the context window), which
    a strategy records as the attempt's failure. A server that returns fewer than ``n`` choices (llama.cpp,
    Ollama) is asked again for the rest.

    ``base_url`` may name several servers of the same model (``URL1,URL2,…`` or ``@FILE``, one URL a line):
    each request goes to the one with the fewest requests outstanding, a failing server rests (see
    ``ServerPool``) and the retry goes at once to another, so a dead server costs retries, not the run.
    """

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 timeout_s: float = 120.0, max_retries: int = 4, backoff_s: float = 0.5,
                 max_backoff_s: float = 30.0, max_concurrency: int = 16) -> None:
        if not model:
            raise InputError("openai: needs a model name, as in openai:gpt-4o-mini", field="model")
        super().__init__(f"openai:{model}", max_concurrency=max_concurrency)
        self._openai = import_extra("openai", "models", "the openai: backend")
        self.model = model
        if base_url is not None and not base_url.strip():  # not silently OpenAI's API instead of the user's
            raise InputError("is empty: name a server, or leave it out for $OPENAI_BASE_URL or OpenAI's API",
                             field="base_url")
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        self.servers = ServerPool(server_urls(self.base_url) if self.base_url else [DEFAULT_BASE_URL])
        self._api_key = os.environ.get(api_key_env) or "EMPTY"
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = \
            weakref.WeakKeyDictionary()

    def _client(self, url: str) -> Any:
        """One SDK client per event loop and server (a connection pool belongs to the loop that opened it)."""
        clients = self._clients.setdefault(asyncio.get_running_loop(), {})
        client = clients.get(url)
        if client is None:
            client = self._openai.AsyncOpenAI(api_key=self._api_key, base_url=url, timeout=self.timeout_s,
                                              max_retries=0)
            clients[url] = client
        return client

    async def _generate(self, request: Request) -> list[Completion]:
        want = request.sampling.n
        out: list[Completion] = []
        while len(out) < want:
            got = await self._call(request, want - len(out))
            if not got:
                raise ModelError(f"{self.name}: the server returned no choices")
            out.extend(got[: want - len(out)])
        return out

    async def _call(self, request: Request, n: int) -> list[Completion]:
        s = request.sampling
        args: dict[str, Any] = {"model": self.model, "n": n, "temperature": s.temperature, "top_p": s.top_p,
                                "max_tokens": s.max_tokens}
        if s.stop:
            args["stop"] = list(s.stop)
        if s.seed is not None:
            args["seed"] = s.seed
        chat = isinstance(request, ChatRequest)
        if chat:
            args["messages"] = [m.to_dict() for m in request.messages]
        else:
            args["prompt"] = request.prompt
        # ``client.post`` with the body built here, rather than ``client.chat.completions.create(**args)``:
        # the SDK's ``create`` walks every parameter through its TypedDict transformer, which cost ~1.5 ms per
        # request (most of verimath's per-sample overhead on a fast server). Responses are still parsed into
        # the SDK's types.
        path, response_type = (("/chat/completions", self._openai.types.chat.ChatCompletion) if chat
                               else ("/completions", self._openai.types.Completion))
        for attempt in range(self.max_retries + 1):
            server = self.servers.pick()
            start = time.perf_counter()
            try:
                with self.servers.using(server):
                    response = await self._client(server.url).post(path, body=args, cast_to=response_type)
            except (self._openai.APITimeoutError, self._openai.APIConnectionError) as exc:
                failure: Exception = exc
                retry_after = None
            except self._openai.APIStatusError as exc:
                if exc.status_code in _REQUEST_STATUS:
                    raise ModelError(f"{self.name}: HTTP {exc.status_code}: {_short(exc)}") from exc
                if exc.status_code not in _RETRYABLE_STATUS:
                    what = " (model not found)" if exc.status_code == 404 else ""
                    raise ModelUnavailable(
                        f"{self.name}: HTTP {exc.status_code}{what}: {_short(exc)}") from exc
                failure, retry_after = exc, _retry_after(exc)
            except self._openai.OpenAIError as exc:
                raise ModelError(f"{self.name}: {_short(exc)}") from exc
            else:
                self.servers.succeeded(server)
                return _completions(response, time.perf_counter() - start, chat=chat)
            self.servers.failed(server)
            if attempt == self.max_retries:
                break
            self._count(retries=1)
            if self.servers.others_ready(server):
                continue  # another server can take it now
            delay = min(self.max_backoff_s, self.backoff_s * 2**attempt) * (0.5 + random.random() / 2)
            await asyncio.sleep(min(self.max_backoff_s, retry_after) if retry_after is not None else delay)
        raise ModelUnavailable(f"{self.name}: failed after {self.max_retries + 1} tries: {_short(failure)}")

    async def aclose(self) -> None:
        for client in self._clients.pop(asyncio.get_running_loop(), {}).values():
            await client.close()
        self._clients.clear()


def _completions(response: Any, latency_s: float, *, chat: bool) -> list[Completion]:
    choices = sorted(response.choices or [], key=lambda c: c.index or 0)
    usage = response.usage
    prompt_tokens = getattr(usage, "prompt_tokens", 0) or 0
    generated = split_evenly(getattr(usage, "completion_tokens", 0) or 0, max(1, len(choices)))
    out = []
    for i, choice in enumerate(choices):
        text = (choice.message.content if chat else choice.text) or ""
        finish: FinishReason = "length" if choice.finish_reason == "length" else "stop"
        out.append(Completion(text, finish, Usage(prompt_tokens if i == 0 else 0, generated[i]), latency_s))
    return out


def _retry_after(exc: Any) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, ValueError):
        return None


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
