"""``ServeConfig``: every limit and setting of the service in one frozen value, checked when it is made.

Owns the defaults (loopback bind, one grading worker per core, queue and body limits) and the rule that a
non-loopback bind needs a bearer token. Imports only ``verimath.errors``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from verimath.errors import InputError

TOKEN_ENV = "VERIMATH_API_TOKEN"


def _default_workers() -> int:
    return len(os.sched_getaffinity(0))


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """How the service runs. ``token`` is the bearer token every request must carry (None: no auth, which is
    allowed only on a loopback address)."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = field(default_factory=_default_workers)
    """Grading worker processes, and sandbox cells."""
    token: str | None = None
    max_body_bytes: int = 16 * 1024 * 1024
    """Largest request body; a bigger one is answered 413 before it is read."""
    max_batch_items: int = 20_000
    """Most items in one grading batch (or tests in one execute batch)."""
    max_queued_items: int = 100_000
    """Grading items waiting or in flight at once; beyond it a request is answered 429 with Retry-After."""
    default_timeout_ms: float = 5_000.0
    """Per-item grading deadline when the request names none."""
    max_timeout_ms: float = 60_000.0
    kill_grace_ms: float = 250.0
    """How far past its deadline an item may run before its worker is killed (the grader's own budget
    normally ends it first)."""
    chunk_items: int = 256
    """Most items one worker is handed at a time."""
    sandbox: bool = True
    """Start sandbox cells for ``/run_code`` and ``/v1/execute`` (off: those answer 503)."""
    max_run_timeout_s: float = 60.0
    default_memory_mb: int = 1024
    max_sessions: int = 64
    session_idle_s: float = 600.0
    max_waiting_runs: int = 1024
    """Code runs waiting for a cell; beyond it ``/run_code`` is answered 429."""
    access_log: bool = True
    """One JSON line per request on the ``verimath.serve.access`` logger."""
    shutdown_grace_s: float = 30.0
    """How long a graceful shutdown waits for in-flight requests."""

    def __post_init__(self) -> None:
        for name in (
            "workers",
            "max_body_bytes",
            "max_batch_items",
            "max_queued_items",
            "chunk_items",
            "max_sessions",
            "max_waiting_runs",
            "default_memory_mb",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"must be a positive integer, got {value!r}", field=name)
        for name in (
            "default_timeout_ms",
            "max_timeout_ms",
            "kill_grace_ms",
            "max_run_timeout_s",
            "session_idle_s",
            "shutdown_grace_s",
        ):
            if not getattr(self, name) > 0:
                raise InputError(f"must be positive, got {getattr(self, name)!r}", field=name)
        if self.max_batch_items > self.max_queued_items:
            raise InputError(f"a batch of {self.max_batch_items} items could never fit a queue of "
                             f"{self.max_queued_items}", field="max_batch_items")
        if not 0 <= self.port < 65536:
            raise InputError(f"not a TCP port: {self.port}", field="port")
        if self.token is not None and len(self.token) < 16:
            raise InputError("the bearer token must be at least 16 characters", field=TOKEN_ENV)
        if not is_loopback(self.host) and not self.token:
            raise InputError(
                f"binding {self.host} (not loopback) needs a bearer token: set {TOKEN_ENV}", field="host"
            )

    def limits(self) -> dict[str, Any]:
        """The limits a client may need to know (``/v1/info``); never the token."""
        return {k: v for k, v in asdict(self).items() if k not in ("token", "host", "port")}
