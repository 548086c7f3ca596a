"""The ``Model`` protocol and the shared machinery of backends: bounded concurrency, accounting, a sync
helper."""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar, runtime_checkable

from verimath.errors import ModelError, ModelUnavailable
from verimath.models._types import ChatRequest, Completion, Message, ModelStats, Request, Sampling, Usage

T = TypeVar("T")


@runtime_checkable
class Model(Protocol):
    """A language model. Backends implement ``generate``; everything else builds on it."""

    @property
    def name(self) -> str:
        """The spec the model was loaded from (``openai:gpt-4o-mini``, ``hf:/models/tiny``)."""
        ...

    async def generate(self, request: Request) -> list[Completion]:
        """Return ``request.sampling.n`` completions; raise ``ModelUnavailable`` when the model cannot be
        asked (connection, HTTP status, timeout after retries, engine failure), ``ModelError`` when this
        request failed for good."""
        ...

    def generate_sync(self, request: Request) -> list[Completion]:
        """``generate`` for callers without an event loop."""
        ...

    @property
    def stats(self) -> ModelStats:
        """Requests, failures, retries, tokens and time so far."""
        ...

    async def aclose(self) -> None:
        """Release connections, engines and threads."""
        ...


class Backend:
    """Base class of verimath's backends: subclasses implement ``_generate``; this class bounds concurrency
    (per event loop), accounts usage and latency, and offers ``generate_sync``."""

    def __init__(self, name: str, *, max_concurrency: int = 16) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._name = name
        self._max_concurrency = max_concurrency
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())
        self._stats = ModelStats()
        self._stats_lock = threading.Lock()
        self._sync_loop: asyncio.AbstractEventLoop | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def stats(self) -> ModelStats:
        return self._stats

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name}>"

    async def _generate(self, request: Request) -> list[Completion]:
        raise NotImplementedError

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self._max_concurrency)
        return sem

    def _count(self, **changes: Any) -> None:
        with self._stats_lock:
            s = self._stats
            self._stats = replace(s, **{k: getattr(s, k) + v for k, v in changes.items()})

    async def generate(self, request: Request) -> list[Completion]:
        async with self._semaphore():
            start = time.perf_counter()
            try:
                out = await self._generate(request)
            except ModelError:
                self._count(requests=1, failures=1, latency_s=time.perf_counter() - start)
                raise
        usage = sum((c.usage for c in out), Usage())
        self._count(requests=1, usage=usage, latency_s=time.perf_counter() - start)
        return out

    def _run_sync(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on this model's private loop (one loop for the model's life, so connection pools
        and engines bound to a loop stay valid between calls)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            coro.close()
            raise RuntimeError("generate_sync cannot be called from a running event loop; await generate()")
        if self._sync_loop is None or self._sync_loop.is_closed():
            self._sync_loop = asyncio.new_event_loop()
        return self._sync_loop.run_until_complete(coro)

    def generate_sync(self, request: Request) -> list[Completion]:
        return self._run_sync(self.generate(request))

    async def aclose(self) -> None:
        """Release resources; subclasses extend."""

    def close(self) -> None:
        """Synchronous ``aclose`` (also closes the private loop of ``generate_sync``)."""
        self._run_sync(self.aclose())
        if self._sync_loop is not None:
            self._sync_loop.close()
            self._sync_loop = None


@dataclass(slots=True)
class _Pending:
    prompt: str
    sampling: Sampling
    future: asyncio.Future[list[Completion]]


class BatchingBackend(Backend):
    """A local engine: requests waiting at the same time with equal sampling settings are rendered to text and
    generated as one batch (up to ``max_batch``) in a worker thread, one batch at a time. Subclasses implement
    ``render`` and ``_run_batch``."""

    def __init__(self, name: str, *, max_batch: int = 16) -> None:
        super().__init__(name, max_concurrency=1 << 16)
        self.max_batch = max_batch
        self._pending: list[_Pending] = []
        self._worker: asyncio.Task[None] | None = None

    def render(self, request: Request) -> str:
        """The exact text the engine is given for ``request``."""
        raise NotImplementedError

    def _run_batch(self, prompts: list[str], sampling: Sampling) -> list[list[Completion]]:
        """``sampling.n`` completions for each prompt (runs in a worker thread)."""
        raise NotImplementedError

    async def _generate(self, request: Request) -> list[Completion]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Completion]] = loop.create_future()
        self._pending.append(_Pending(self.render(request), request.sampling, future))
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            first = self._pending[0]
            batch = [p for p in self._pending if p.sampling == first.sampling][: self.max_batch]
            self._pending = [p for p in self._pending if not any(p is b for b in batch)]
            try:
                results = await asyncio.to_thread(self._run_batch, [p.prompt for p in batch], first.sampling)
            except Exception as exc:  # an engine failure (out of memory, a crash) is not the model's answer
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(ModelUnavailable(f"{self.name}: generation failed: {exc}"))
                continue
            for p, result in zip(batch, results, strict=True):
                if not p.future.done():
                    p.future.set_result(result)


def render_plain_chat(messages: tuple[Message, ...]) -> str:
    """The prompt used when a tokenizer has no chat template: one ``Role: text`` block per message."""
    body = "".join(f"{m.role.capitalize()}: {m.content}\n\n" for m in messages)
    return body + "Assistant:"


def render_for(tokenizer: Any, request: Request) -> str:
    """The text a local engine is given: the prompt, or the messages through the tokenizer's chat template
    (plain ``Role:`` blocks when it has none)."""
    if not isinstance(request, ChatRequest):
        return request.prompt
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template([m.to_dict() for m in request.messages], tokenize=False,
                                             add_generation_prompt=True)
    return render_plain_chat(request.messages)


def split_evenly(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` non-negative integers that differ by at most one and sum to
    ``total``."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """``text`` up to the earliest stop string (excluded), and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)
