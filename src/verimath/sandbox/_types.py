"""Values of the sandbox API: :class:`Limits`, :class:`ExecResult`, :class:`ExecError`, :class:`Isolation`.

Frozen, JSON-serialisable; imports only ``verimath.errors``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from verimath.errors import InputError

Status = Literal["ok", "error", "timeout", "memory", "killed"]
STATUSES: tuple[Status, ...] = ("ok", "error", "timeout", "memory", "killed")

#: Layers every cell must have for :attr:`Isolation.full` (Landlock and dropped capabilities are extra).
FULL_LAYERS = frozenset(
    {
        "fs-readonly",
        "net-ns",
        "pid-ns",
        "ipc-ns",
        "uts-ns",
        "env-whitelist",
        "session",
        "uid",
        "no_new_privs",
        "rlimits",
        "seccomp",
    }
)


@dataclass(frozen=True, slots=True)
class Limits:
    """What one run may use. Every limit is enforced per run (per cell in a session)."""

    timeout_s: float = 10.0
    """Wall-clock deadline; the job is SIGKILLed when it passes (status ``timeout``)."""
    memory_mb: int = 1024
    """Address space the job may add to the warm interpreter's (``MemoryError`` -> status ``memory``)."""
    output_bytes: int = 64 * 1024
    """Cap on each of stdout and stderr; the rest is dropped and the result marked ``truncated``."""
    cpu_s: int | None = None
    """CPU-time limit (SIGXCPU, then SIGKILL a second later); defaults to ``ceil(timeout_s) + 1``."""
    file_mb: int = 64
    """Largest file the job may write (``RLIMIT_FSIZE``)."""
    open_files: int = 256
    """Most open file descriptors (``RLIMIT_NOFILE``)."""
    max_procs: int = 512
    """``RLIMIT_NPROC`` for the unprivileged uid (threads count; new processes are refused anyway)."""

    def __post_init__(self) -> None:
        for name in ("timeout_s", "memory_mb", "output_bytes", "file_mb", "open_files", "max_procs"):
            value = getattr(self, name)
            if (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not value > 0
                or not math.isfinite(value)
            ):
                raise InputError(f"must be a positive number, got {value!r}", field=name)
        if self.cpu_s is not None and (not isinstance(self.cpu_s, int) or self.cpu_s <= 0):
            raise InputError(f"must be a positive integer, got {self.cpu_s!r}", field="cpu_s")

    @property
    def effective_cpu_s(self) -> int:
        return self.cpu_s if self.cpu_s is not None else math.ceil(self.timeout_s) + 1

    def to_wire(self) -> dict[str, Any]:
        """The limits as the zygote reads them."""
        return {
            "timeout_s": float(self.timeout_s),
            "memory_mb": int(self.memory_mb),
            "output_bytes": int(self.output_bytes),
            "cpu_s": self.effective_cpu_s,
            "file_mb": int(self.file_mb),
            "open_files": int(self.open_files),
            "max_procs": int(self.max_procs),
        }


@dataclass(frozen=True, slots=True)
class ExecError:
    """Why a run did not finish normally."""

    type: str
    """The exception's class name (``ZeroDivisionError``), or ``Timeout``, ``Signal``, ``SandboxError``."""
    message: str
    traceback: str = ""
    """The last few frames of the job's own code, then the exception line."""


@dataclass(frozen=True, slots=True)
class ExecResult:
    """The outcome of one run. ``stdout``/``stderr`` are what the job wrote (decoded as UTF-8, capped)."""

    status: Status
    stdout: str = ""
    stderr: str = ""
    error: ExecError | None = None
    duration_ms: float = 0.0
    """Time from handing the code to the job process until its result (excludes queueing)."""
    truncated: bool = False
    """Whether stdout or stderr hit ``Limits.output_bytes``."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExecResult:
        status = data.get("status")
        if status not in STATUSES:
            raise InputError(f"unknown status {status!r}", field="status")
        err = data.get("error")
        fields = ("type", "message", "traceback")
        strings = isinstance(err, dict) and all(isinstance(err.get(k, ""), str) for k in fields)
        if err is not None and not strings:
            raise InputError(f"must be null or an object of strings, got {type(err).__name__}", field="error")
        texts = {k: data.get(k, "") for k in ("stdout", "stderr")}
        if not all(isinstance(v, str) for v in texts.values()):
            raise InputError("must be strings", field="stdout/stderr")
        return cls(
            status=status,
            stdout=texts["stdout"],
            stderr=texts["stderr"],
            error=ExecError(*(err.get(k, "") for k in fields)) if err else None,
            duration_ms=float(data.get("duration_ms", 0.0)),
            truncated=bool(data.get("truncated", False)),
        )


@dataclass(frozen=True, slots=True)
class Isolation:
    """Which isolation layers are active in this sandbox's cells — measured inside a cell, not assumed."""

    backend: str
    """``bwrap`` (bubblewrap), ``unshare`` (namespaces via util-linux) or ``none`` (hardening only)."""
    layers: frozenset[str] = field(default_factory=frozenset)

    @property
    def full(self) -> bool:
        return self.layers >= FULL_LAYERS

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(sorted(FULL_LAYERS - self.layers))

    def to_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "layers": sorted(self.layers), "full": self.full}

    def describe(self) -> str:
        state = "full" if self.full else "WEAKER than full, missing " + ", ".join(self.missing)
        return f"sandbox isolation via {self.backend}: {state}; active: {', '.join(sorted(self.layers))}"
