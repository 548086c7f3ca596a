"""Code execution over HTTP: SandboxFusion's ``/run_code`` request and response for Python, test batches with
verl's result codes, and stateful sessions, all on one ``verimath.sandbox.Sandbox``.

Owns the translation between SandboxFusion's wire form (``code, stdin, run_timeout, memory_limit_MB, files,
fetch_files`` -> ``status, run_result{status, execution_time, return_code, stdout, stderr}, files``) and
``ExecResult``, the waiting-room bound (429 beyond it), and the session table. ``stdin`` and ``files`` are
given to the code by a small prelude run in the same sandboxed process; ``fetch_files`` are read back by its
epilogue. Imports ``verimath.sandbox`` (public API), ``verimath.errors`` and its own package.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from verimath.errors import BudgetExceeded, InputError
from verimath.sandbox import ExecError, ExecResult, Limits, Sandbox, Session
from verimath.serve._config import ServeConfig
from verimath.serve._wire import object_body, text_field

PASSED, FAILED, SANDBOX_ERROR, RUNTIME_ERROR, TIME_LIMIT = True, False, -1, -2, -3
"""verl's per-test codes (``verl.utils.reward_score.sandbox_fusion.utils.check_correctness``)."""

_PRELUDE = """\
import base64 as _vm_b64, io as _vm_io, json as _vm_json, os as _vm_os, sys as _vm_sys
for _vm_path, _vm_data in _vm_json.loads({files!r}).items():
    with open(_vm_path, "wb") as _vm_f:
        _vm_f.write(_vm_b64.b64decode(_vm_data))
_vm_sys.stdin = _vm_io.StringIO({stdin!r})
try:
    exec(compile({code!r}, "<code>", "exec"), {{"__name__": "__main__"}})
finally:
    _vm_sys.stdout.write({marker!r} + _vm_json.dumps({{p: _vm_b64.b64encode(open(p, "rb").read()).decode()
                                                    for p in {fetch!r} if _vm_os.path.isfile(p)}}))
"""


class Busy(BudgetExceeded):
    """Too many runs wait for a cell, or too many sessions are open."""


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One SandboxFusion ``/run_code`` request (Python only)."""

    code: str
    stdin: str = ""
    timeout_s: float = 10.0
    memory_mb: int = 1024
    files: dict[str, str] = field(default_factory=dict)
    """Path -> base64 content, written before the code runs."""
    fetch_files: tuple[str, ...] = ()
    session_id: str | None = None


def parse_run(raw: Any, config: ServeConfig) -> RunRequest:
    body = object_body(raw)
    language = body.get("language") or "python"
    if language not in ("python", "python3"):
        raise InputError(f"only python is served here, got {language!r}", field="language")
    timeout = body.get("run_timeout", 10)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout <= config.max_run_timeout_s
    ):
        raise InputError(
            f"must be in (0, {config.max_run_timeout_s:g}] seconds, got {timeout!r}", field="run_timeout"
        )
    memory = body.get("memory_limit_MB", -1)
    if isinstance(memory, bool) or not isinstance(memory, int):
        raise InputError(
            f"must be an integer (MB; -1 for the default), got {memory!r}", field="memory_limit_MB"
        )
    files = body.get("files") or {}
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise InputError("must map paths to base64 strings", field="files")
    for path, data in files.items():
        parts = PurePosixPath(path).parts
        if not parts or path.startswith("/") or ".." in parts or "\0" in path:
            # The sandbox would refuse the write anyway; saying so here beats a traceback in the run's stderr.
            raise InputError(f"must be a relative path inside the run's directory, got {path!r}",
                             field="files")
        try:
            base64.b64decode(data, validate=True)
        except binascii.Error as e:
            raise InputError(f"not base64: {e}", field=f"files.{path}") from e
    fetch = body.get("fetch_files") or []
    if not isinstance(fetch, list) or not all(isinstance(p, str) for p in fetch):
        raise InputError("must be a list of paths", field="fetch_files")
    session = body.get("session_id")
    if session is not None and not isinstance(session, str):
        raise InputError("must be a string", field="session_id")
    return RunRequest(
        text_field(body, "code"),
        text_field(body, "stdin", default=""),
        float(timeout),
        memory if memory > 0 else config.default_memory_mb,
        files,
        tuple(fetch),
        session,
    )


def _program(req: RunRequest, marker: str) -> str:
    """The code as given when nothing needs preparing, else wrapped in the prelude."""
    if not (req.stdin or req.files or req.fetch_files):
        return req.code
    return _PRELUDE.format(
        files=json.dumps(req.files),
        stdin=req.stdin,
        code=req.code,
        marker=marker,
        fetch=list(req.fetch_files),
    )


def sandboxfusion_response(result: ExecResult, files: dict[str, str]) -> dict[str, Any]:
    """``ExecResult`` -> SandboxFusion's ``RunCodeResponse``: exit code 0 is ``Success``, any other
    ``Failed``;
    a run past its deadline is ``TimeLimitExceeded``; a cell lost under the run is ``SandboxError``."""
    stderr = result.stderr
    return_code: int | None = 0
    run_status = "Finished"
    error = result.error
    if result.status == "timeout":
        run_status, return_code = "TimeLimitExceeded", None
    elif result.status == "killed":
        if error is not None and error.type == "SandboxError":
            return {
                "status": "SandboxError",
                "message": error.message,
                "compile_result": None,
                "run_result": None,
                "executor_pod_name": None,
                "files": {},
            }
        run_status, return_code = "Error", -9
    elif error is not None and error.type == "SystemExit":
        message = error.message
        return_code = int(message) if message.lstrip("-").isdigit() else (0 if message in ("", "None") else 1)
        if return_code and not message.lstrip("-").isdigit():
            stderr += message + "\n"
    elif error is not None:
        return_code = 1
        trace = error.traceback or f"{error.type}: {error.message}\n"
        stderr += "Traceback (most recent call last):\n" + trace
    run_result = {
        "status": run_status,
        "execution_time": result.duration_ms / 1000,
        "return_code": return_code,
        "stdout": result.stdout,
        "stderr": stderr,
    }
    ok = run_status == "Finished" and return_code == 0
    return {
        "status": "Success" if ok else "Failed",
        "message": "",
        "compile_result": None,
        "run_result": run_result,
        "executor_pod_name": None,
        "files": files,
    }


@dataclass(slots=True)
class _OpenSession:
    session: Session
    lock: asyncio.Lock
    used: float


class CodeRunner:
    """The sandbox behind the service: ``await run(request)`` -> SandboxFusion response dict."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.sandbox = Sandbox(limits=Limits(memory_mb=config.default_memory_mb), cells=config.workers)
        self._threads = ThreadPoolExecutor(config.workers * 2, thread_name_prefix="verimath-serve-run")
        self._waiting = 0
        self._sessions: dict[str, _OpenSession] = {}
        self.runs_by_status: dict[str, int] = {}

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    async def _in_thread(self, fn: Any, *args: Any) -> Any:
        if self._waiting >= self.config.max_waiting_runs:
            raise Busy(f"{self._waiting} code runs are already waiting for a cell")
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)
        finally:
            self._waiting -= 1

    async def run(self, req: RunRequest) -> dict[str, Any]:
        marker = f"\n--verimath-files-{secrets.token_hex(8)}--"
        code = _program(req, marker)
        limits = Limits(timeout_s=req.timeout_s, memory_mb=req.memory_mb)
        if req.session_id is None:
            result: ExecResult = await self._in_thread(lambda: self.sandbox.run(code, limits=limits))
        else:
            held = self._session(req.session_id)
            async with held.lock:
                result = await self._in_thread(held.session.run, code)
                held.used = time.monotonic()
        stdout, _, fetched = result.stdout.partition(marker)
        files = json.loads(fetched) if fetched and not result.truncated else {}
        self.runs_by_status[result.status] = self.runs_by_status.get(result.status, 0) + 1
        return sandboxfusion_response(_unwrapped(result, stdout), files)

    async def run_tests(self, raw: Any) -> dict[str, Any]:
        """``{code, tests: [{input, output}], run_timeout?, memory_limit_MB?}`` -> per-test verl codes."""
        body = object_body(raw)
        tests = body.get("tests")
        if not isinstance(tests, list) or not tests:
            raise InputError("must be a non-empty list of {input, output} objects", field="tests")
        if len(tests) > self.config.max_batch_items:
            raise InputError(f"at most {self.config.max_batch_items} tests, got {len(tests)}", field="tests")
        for i, test in enumerate(tests):
            if not isinstance(test, dict) or not all(
                isinstance(test.get(k), str) for k in ("input", "output")
            ):
                raise InputError("must be an object with string input and output", field=f"tests[{i}]")
        base = {k: v for k, v in body.items() if k != "tests"}
        runs = [parse_run({**base, "stdin": t["input"]}, self.config) for t in tests]
        answers = await asyncio.gather(*(self.run(r) for r in runs))
        results = [_verl_code(a, t["output"]) for a, t in zip(answers, tests, strict=True)]
        return {
            "results": results,
            "passed": sum(r is True for r in results),
            "total": len(results),
            "runs": answers,
        }

    async def open_session(self, raw: Any) -> str:
        """A new session; ``raw`` may set its ``run_timeout`` and ``memory_limit_MB`` (for every cell)."""
        limits = parse_run({**object_body(raw or {}), "code": ""}, self.config)
        self._expire_idle()
        if len(self._sessions) >= self.config.max_sessions:
            raise Busy(f"{len(self._sessions)} sessions are open (the limit); close one first")
        session = await self._in_thread(self.sandbox.session, Limits(limits.timeout_s, limits.memory_mb))
        session_id = secrets.token_urlsafe(12)
        self._sessions[session_id] = _OpenSession(session, asyncio.Lock(), time.monotonic())
        return session_id

    def close_session(self, session_id: str) -> bool:
        held = self._sessions.pop(session_id, None)
        if held is not None:
            held.session.close()
        return held is not None

    def _session(self, session_id: str) -> _OpenSession:
        self._expire_idle()
        held = self._sessions.get(session_id)
        if held is None:
            raise InputError(
                "no open session with this id (closed, expired, or never opened)", field="session_id"
            )
        return held

    def _expire_idle(self) -> None:
        cutoff = time.monotonic() - self.config.session_idle_s
        for session_id in [k for k, s in self._sessions.items() if s.used < cutoff and not s.lock.locked()]:
            self.close_session(session_id)

    def close(self) -> None:
        for session_id in list(self._sessions):
            self.close_session(session_id)
        self._threads.shutdown(wait=True)
        self.sandbox.close()


_PRELUDE_FRAME = re.compile(r'  File "<cell>", line \d+, in <module>\n    exec\(compile\(.*\n(?: +[~^]+\n)?')


def _unwrapped(result: ExecResult, stdout: str) -> ExecResult:
    """The result as if the code had run bare: fetched files cut from stdout, the prelude's frame from the
    traceback."""
    error = result.error
    if error is not None:
        error = ExecError(error.type, error.message, _PRELUDE_FRAME.sub("", error.traceback))
    return ExecResult(result.status, stdout, result.stderr, error, result.duration_ms, result.truncated)


def _verl_code(answer: dict[str, Any], expected: str) -> bool | int:
    if answer["status"] == "SandboxError":
        return SANDBOX_ERROR
    run = answer["run_result"]
    if run["status"] == "TimeLimitExceeded":
        return TIME_LIMIT
    if answer["status"] == "Failed":
        return RUNTIME_ERROR
    return run["stdout"].rstrip("\n") == expected.rstrip("\n")
