"""Where the trainer adapters send their grading: a shared in-process ``GradePool``, or a running service.

Owns ``Grader`` (the protocol), ``LocalGrader`` (worker processes with hard deadlines, started on first use
and ended at exit), ``RemoteGrader`` (``POST /v1/grade/batch`` over httpx, bearer token from
``VERIMATH_API_TOKEN``, retried with the same ``Idempotency-Key``) and ``grader(url)`` which picks one
(``url``, else ``$VERIMATH_SERVE_URL``, else local). Imports ``verimath.answers``, ``verimath.errors`` and
its own package (no fastapi).
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from verimath.answers import Verdict
from verimath.errors import ModelUnavailable
from verimath.serve._config import TOKEN_ENV
from verimath.serve._pool import GradeItem, GradePool

URL_ENV = "VERIMATH_SERVE_URL"
_RETRIES = 3


class Grader(Protocol):
    """Grades (response, gold) pairs; every verdict comes back, in order."""

    def grade(self, pairs: Sequence[tuple[str, str]], timeout_s: float) -> list[Verdict]: ...

    async def agrade(self, pairs: Sequence[tuple[str, str]], timeout_s: float) -> list[Verdict]: ...


class LocalGrader:
    """A :class:`GradePool` in this process's children (one worker per core)."""

    def __init__(self, workers: int | None = None) -> None:
        self.pool = GradePool(workers or len(os.sched_getaffinity(0)))

    def grade(self, pairs: Sequence[tuple[str, str]], timeout_s: float) -> list[Verdict]:
        return self.pool.grade([GradeItem(r, g, True, timeout_s) for r, g in pairs])

    async def agrade(self, pairs: Sequence[tuple[str, str]], timeout_s: float) -> list[Verdict]:
        import asyncio

        job = self.pool.submit([GradeItem(r, g, True, timeout_s) for r, g in pairs])
        return await asyncio.wrap_future(job.future)


class RemoteGrader:
    """A running ``verimath serve`` at ``url``."""

    def __init__(self, url: str, token: str | None = None, timeout_s: float = 300.0) -> None:
        import httpx

        self.url = url.rstrip("/") + "/v1/grade/batch"
        token = token or os.environ.get(TOKEN_ENV)
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self._sync = httpx.Client(headers=headers, timeout=timeout_s)
        self._async_args = {"headers": headers, "timeout": timeout_s}
        self._errors = (httpx.TransportError,)

    def _body(self, pairs: Sequence[tuple[str, str]], timeout_s: float) -> dict[str, Any]:
        return {"items": [{"response": r, "gold": g} for r, g in pairs], "timeout_ms": timeout_s * 1000}

    def _verdicts(self, status: int, payload: Any) -> list[Verdict] | None:
        if status == 200:
            return [Verdict.from_dict(r) for r in payload["results"]]
        if status in (429, 503):
            return None
        raise ModelUnavailable(f"{self.url} answered {status}: {payload}")

    def grade(self, pairs: Sequence[tuple[str, str]], timeout_s: float) -> list[Verdict]:
        key, body = uuid.uuid4().hex, self._body(pairs, timeout_s)
        for attempt in range(_RETRIES):
            try:
                r = self._sync.post(self.url, json=body, headers={"idempotency-key": key})
                if (verdicts := self._verdicts(r.status_code, r.json())) is not None:
                    return verdicts
                time.sleep(float(r.headers.get("retry-after", 1)))
            except self._errors as e:
                if attempt == _RETRIES - 1:
                    raise ModelUnavailable(f"cannot reach {self.url}: {e}") from e
        raise ModelUnavailable(f"{self.url} stayed busy after {_RETRIES} tries")

    async def agrade(self, pairs: Sequence[tuple[str, str]], timeout_s: float) -> list[Verdict]:
        import asyncio

        import httpx

        key, body = uuid.uuid4().hex, self._body(pairs, timeout_s)
        async with httpx.AsyncClient(**self._async_args) as client:
            for attempt in range(_RETRIES):
                try:
                    r = await client.post(self.url, json=body, headers={"idempotency-key": key})
                    if (verdicts := self._verdicts(r.status_code, r.json())) is not None:
                        return verdicts
                    await asyncio.sleep(float(r.headers.get("retry-after", 1)))
                except self._errors as e:
                    if attempt == _RETRIES - 1:
                        raise ModelUnavailable(f"cannot reach {self.url}: {e}") from e
        raise ModelUnavailable(f"{self.url} stayed busy after {_RETRIES} tries")


_lock = threading.Lock()
_graders: dict[str | None, Grader] = {}


def grader(url: str | None = None) -> Grader:
    """The shared grader for ``url`` (else ``$VERIMATH_SERVE_URL``, else in-process workers)."""
    url = url or os.environ.get(URL_ENV) or None
    with _lock:
        if url not in _graders:
            _graders[url] = RemoteGrader(url) if url else LocalGrader()
        return _graders[url]


@atexit.register
def _close_local() -> None:
    local = _graders.pop(None, None)
    if isinstance(local, LocalGrader):
        local.pool.close()
