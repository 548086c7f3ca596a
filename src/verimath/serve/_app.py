"""The FastAPI application: routes, the edge (bearer auth, body size, access log, request metrics), lifespan
(grading pool up first, sandbox cells started in the background) and idempotent batches.

Owns the HTTP status rules: 200 for anything graded or run (a bad model output is a verdict, a crashing
program a result), 422 for a malformed request, 413 for an oversized body, 401 without the bearer token,
429 with ``Retry-After`` when a queue is full, 503 while a part is not up, 499 (logged only) when a client
leaves mid-batch. Imports fastapi/starlette, ``verimath.errors`` and its own package.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import platform
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from verimath._version import __version__
from verimath.errors import BudgetExceeded, InputError, SandboxUnavailable, VerimathError
from verimath.serve import openrlhf, slime
from verimath.serve._config import ServeConfig
from verimath.serve._execute import CodeRunner, parse_run
from verimath.serve._metrics import Registry
from verimath.serve._pool import GradeItem, GradePool, PoolClosed, QueueFull
from verimath.serve._wire import batch_stats, grade_batch, grade_item, verdict_json, verdict_label

access_log = logging.getLogger("verimath.serve.access")
_IDEMPOTENT_KEEP = 1024
"""Finished batch responses kept for clients that retry with the same ``Idempotency-Key``."""


class _BodyTooLarge(Exception):
    pass


class _ClientGone(Exception):
    pass


class _State:
    """Everything the routes share; one per app."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.pool: GradePool | None = None
        self.runner: CodeRunner | None = None
        self.sandbox_state = "off" if not config.sandbox else "starting"
        self.idempotent: OrderedDict[str, asyncio.Future[bytes]] = OrderedDict()
        m = self.metrics = Registry()
        self.requests = m.counter("verimath_http_requests_total", "HTTP requests by route and status.")
        self.latency = m.histogram("verimath_http_request_seconds", "HTTP request latency by route.")
        self.verdicts = m.counter("verimath_grade_verdicts_total", "Graded items by verdict.")
        self.item_seconds = m.histogram("verimath_grade_item_seconds", "Time the grader spent per item.")
        self.rejected = m.counter("verimath_rejected_total", "Requests refused, by reason.")
        self.cancelled = m.counter(
            "verimath_grade_cancelled_items_total", "Items dropped because their client disconnected."
        )
        self.runs = m.counter("verimath_sandbox_runs_total", "Code runs by sandbox status.")
        m.gauge(
            "verimath_grade_queue_depth",
            "Grading items waiting or in flight.",
            lambda: self.pool.queued if self.pool else 0,
        )
        m.gauge(
            "verimath_grade_timeouts_total",
            "Items whose worker was killed at the hard deadline.",
            lambda: self.pool.timeouts if self.pool else 0,
        )
        m.gauge(
            "verimath_grade_worker_restarts_total",
            "Grading workers killed or lost and replaced.",
            lambda: self.pool.worker_restarts if self.pool else 0,
        )
        m.gauge(
            "verimath_sandbox_cells",
            "Sandbox cells serving code runs (0 while the sandbox is off, starting or unavailable).",
            lambda: config.workers if self.runner else 0,
        )
        m.gauge(
            "verimath_sandbox_waiting_runs",
            "Code runs waiting for a cell.",
            lambda: self.runner.waiting if self.runner else 0,
        )
        m.gauge(
            "verimath_sandbox_sessions",
            "Open sandbox sessions.",
            lambda: self.runner.sessions if self.runner else 0,
        )

    def start_sandbox(self) -> None:
        try:
            self.runner = CodeRunner(self.config)
            self.sandbox_state = "ready"
        except SandboxUnavailable as e:
            self.sandbox_state = f"unavailable: {e}"

    def count(self, verdicts: list[Any]) -> None:
        for v in verdicts:
            self.verdicts.inc(verdict=verdict_label(v))
            self.item_seconds.observe(v.elapsed)


class Edge:
    """Pure ASGI middleware: bearer auth, declared body size, access log and request metrics."""

    def __init__(self, app: Any, state: _State) -> None:
        self.app, self.state = app, state
        token = state.config.token
        self.expected = f"Bearer {token}".encode() if token else None
        self.log = state.config.access_log and access_log.isEnabledFor(logging.INFO)

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        path = scope["path"]
        status = 500
        headers = dict(scope["headers"])

        async def tracked(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if (
                self.expected is not None
                and path != "/healthz"
                and not hmac.compare_digest(headers.get(b"authorization", b""), self.expected)
            ):
                self.state.rejected.inc(reason="auth")
                await _error(
                    401,
                    "missing or wrong bearer token (Authorization: Bearer $VERIMATH_API_TOKEN)",
                    extra={"www-authenticate": "Bearer"},
                )(scope, receive, tracked)
                return
            declared = headers.get(b"content-length")
            if (
                declared is not None
                and declared.isdigit()
                and int(declared) > self.state.config.max_body_bytes
            ):
                self.state.rejected.inc(reason="body-size")
                await _error(
                    413, f"the body is {int(declared)} bytes; the limit is {self.state.config.max_body_bytes}"
                )(scope, receive, tracked)
                return
            if path == "/v1/grade" and scope["method"] == "POST":
                await _grade_one(self.state, receive, tracked)
            else:
                await self.app(scope, receive, tracked)
        finally:
            elapsed = time.perf_counter() - start
            route = path if path in _ROUTES else "other"
            self.state.requests.inc(route=route, status=str(status))
            self.state.latency.observe(elapsed, route=route)
            if self.log:
                client = (scope.get("client") or ("", 0))[0]
                # One JSON object per line, formatted by hand: only the path can hold characters JSON must
                # escape (the client is an IP address, the method an HTTP token).
                access_log.info(
                    f'{{"ts": {time.time():.3f}, "client": "{client}", "method": "{scope["method"]}", '
                    f'"path": {json.dumps(path)}, "status": {status}, "ms": {elapsed * 1000:.2f}}}'
                )


def _error(status: int, detail: str, extra: dict[str, str] | None = None) -> Response:
    return JSONResponse({"detail": detail}, status_code=status, headers=extra)


async def _read_json(receive: Callable[[], Awaitable[Any]], limit: int, *, optional: bool = False) -> Any:
    """The JSON body, refusing (413) one that grows past ``limit`` bytes without declaring its length;
    ``None`` for an empty body when it is ``optional``."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge(f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    if optional and not size:
        return None
    try:
        return json.loads(b"".join(chunks))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"not valid JSON: {e}", field="body") from e


async def _body(request: Request, limit: int, *, optional: bool = False) -> Any:
    return await _read_json(request.receive, limit, optional=optional)


def _refusal(exc: Exception) -> tuple[int, str, dict[str, str]]:
    """The status, detail and headers that answer a refused request (one rule for every route)."""
    if isinstance(exc, InputError):
        return 422, str(exc), {}
    if isinstance(exc, _BodyTooLarge):
        return 413, str(exc), {}
    if isinstance(exc, BudgetExceeded):
        wait = exc.retry_after_s if isinstance(exc, QueueFull) else 1.0
        return 429, str(exc), {"retry-after": str(int(wait))}
    if isinstance(exc, _ClientGone):
        return 499, "the client went away", {}  # nobody reads it; the access log and metrics do
    return 503, str(exc), {}


_REASONS = {422: "malformed", 413: "body-size", 429: "queue-full"}
_REFUSED = (VerimathError, _BodyTooLarge, _ClientGone)


async def _grade_one(state: _State, receive: Callable[[], Awaitable[Any]],
                     send: Callable[[Any], Awaitable[None]]) -> None:
    """``POST /v1/grade`` as plain ASGI: the hottest route skips the framework's routing and request objects
    (measured: most of a single grade's server-side cost)."""
    cfg = state.config
    try:
        item = grade_item(await _read_json(receive, cfg.max_body_bytes), "", cfg.default_timeout_ms,
                          cfg.max_timeout_ms)
        if state.pool is None:
            raise PoolClosed("the grading pool is not running")
        verdict = (await asyncio.wrap_future(state.pool.submit([item]).future))[0]
        state.count([verdict])
        status, payload, headers = 200, verdict_json(verdict), {}
    except _REFUSED as exc:
        status, detail, headers = _refusal(exc)
        payload = {"detail": detail}
        if status in _REASONS:
            state.rejected.inc(reason=_REASONS[status])
    data = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
        *((k.encode(), v.encode()) for k, v in headers.items())]})
    await send({"type": "http.response.body", "body": data})


async def _until_disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


_ROUTES = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/info",
    "/v1/grade",
    "/v1/grade/batch",
    "/run_code",
    "/v1/execute",
    "/v1/execute/batch",
    "/v1/sessions",
    "/get_reward",
    "/slime/reward",
)


def create_app(config: ServeConfig | None = None) -> Edge:
    """The service as an ASGI app (serve it with uvicorn, or mount it); ``.state`` holds the pool and the
    sandbox, ``.app`` the FastAPI routes."""
    state = _State(config or ServeConfig())
    cfg = state.config

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.pool = GradePool(
            cfg.workers,
            max_queued=cfg.max_queued_items,
            chunk_items=cfg.chunk_items,
            kill_grace_s=cfg.kill_grace_ms / 1000,
        )
        if cfg.sandbox:
            threading.Thread(target=state.start_sandbox, name="verimath-serve-sandbox", daemon=True).start()
        try:
            yield
        finally:
            pool, state.pool = state.pool, None
            await asyncio.to_thread(pool.close)
            if state.runner is not None:
                await asyncio.to_thread(state.runner.close)

    app = FastAPI(
        title="verimath.serve",
        version=__version__,
        lifespan=lifespan,
        summary="Grading and code execution for RL training loops.",
    )

    async def refused(_: Request, exc: Exception) -> Response:
        status, detail, headers = _refusal(exc)
        if status in _REASONS:
            state.rejected.inc(reason=_REASONS[status])
        return _error(status, detail, extra=headers)

    for refusal in _REFUSED:
        app.add_exception_handler(refusal, refused)

    def pool() -> GradePool:
        if state.pool is None:
            raise PoolClosed("the grading pool is not running")
        return state.pool

    def runner() -> CodeRunner:
        if state.runner is None:
            raise SandboxUnavailable(f"the sandbox is {state.sandbox_state}")
        return state.runner

    async def graded(items: list[GradeItem], request: Request | None = None) -> list[Any]:
        """The verdicts of ``items``; with ``request``, dropped (``_ClientGone``) if its client leaves."""
        job = pool().submit(items)
        result = asyncio.wrap_future(job.future)
        if request is None:
            verdicts = await result
        else:
            gone = asyncio.ensure_future(_until_disconnect(request))
            await asyncio.wait((result, gone), return_when=asyncio.FIRST_COMPLETED)
            if not result.done():
                state.cancelled.inc(pool().cancel(job))
                raise _ClientGone
            gone.cancel()
            verdicts = result.result()
        state.count(verdicts)
        return verdicts

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> Response:
        ready = state.pool is not None and state.sandbox_state != "starting"
        return JSONResponse(
            {"ready": ready, "grading": state.pool is not None, "sandbox": state.sandbox_state},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics")
    async def metrics() -> Response:
        return PlainTextResponse(state.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/v1/info")
    async def info() -> dict[str, Any]:
        import fastapi
        import uvicorn

        return {
            "version": __version__,
            "python": platform.python_version(),
            "fastapi": fastapi.__version__,
            "uvicorn": uvicorn.__version__,
            "limits": cfg.limits(),
            "grading_worker_pids": state.pool.worker_pids if state.pool else [],
            "sandbox": state.sandbox_state,
            "isolation": state.runner.sandbox.isolation.to_dict() if state.runner else None,
        }

    @app.post("/v1/grade/batch")
    async def grade_many(request: Request) -> Response:
        key = request.headers.get("idempotency-key")
        if key is not None and key in state.idempotent:
            state.idempotent.move_to_end(key)
            return Response(await asyncio.shield(state.idempotent[key]), media_type="application/json")
        started = time.perf_counter()
        items = grade_batch(
            await _body(request, cfg.max_body_bytes),
            cfg.max_batch_items,
            cfg.default_timeout_ms,
            cfg.max_timeout_ms,
        )
        answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        if key is not None:
            state.idempotent[key] = answer
            while len(state.idempotent) > _IDEMPOTENT_KEEP:
                state.idempotent.popitem(last=False)
        try:
            verdicts = await graded(items, request)
        except BaseException:
            state.idempotent.pop(key or "", None)
            answer.cancel()
            raise
        body = json.dumps(
            {
                "results": [verdict_json(v) for v in verdicts],
                "stats": batch_stats(verdicts, time.perf_counter() - started),
            }
        ).encode()
        answer.set_result(body)
        return Response(body, media_type="application/json")

    async def execute(request: Request) -> Response:
        req = parse_run(await _body(request, cfg.max_body_bytes), cfg)
        answer = await runner().run(req)
        state.runs.inc(status=answer["run_result"]["status"] if answer["run_result"] else "SandboxError")
        return JSONResponse(answer)

    app.post("/run_code")(execute)
    app.post("/v1/execute")(execute)

    @app.post("/v1/execute/batch")
    async def execute_many(request: Request) -> Response:
        return JSONResponse(await runner().run_tests(await _body(request, cfg.max_body_bytes)))

    @app.post("/v1/sessions")
    async def open_session(request: Request) -> dict[str, str]:
        body = await _body(request, cfg.max_body_bytes, optional=True)
        return {"session_id": await runner().open_session(body)}

    @app.delete("/v1/sessions/{session_id}")
    async def close_session(session_id: str) -> Response:
        if not runner().close_session(session_id):
            return _error(404, "no open session with this id")
        return JSONResponse({"closed": session_id})

    @app.post("/get_reward")
    async def openrlhf_reward(request: Request) -> Response:
        items = openrlhf.items(await _body(request, cfg.max_body_bytes), cfg.default_timeout_ms / 1000)
        return JSONResponse(openrlhf.answer(await graded(items, request)))

    @app.post("/slime/reward")
    async def slime_reward(request: Request) -> Response:
        item = slime.item(await _body(request, cfg.max_body_bytes), cfg.default_timeout_ms / 1000)
        return JSONResponse((await graded([item]))[0].correct * 1.0)

    return Edge(app, state)
