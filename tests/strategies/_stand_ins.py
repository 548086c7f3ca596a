"""A stand-in used only until ``verimath.sandbox`` lands on main (then removed): a subprocess Python REPL with
the Sandbox's shape."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

_CHILD = r"""
import contextlib, io, json, sys, traceback
env = {"__name__": "__main__"}
for line in sys.stdin:
    code = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(compile(code, "<cell>", "exec"), env)
    except BaseException as exc:
        error = {"type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}
    sys.__stdout__.write(json.dumps({"stdout": out.getvalue(), "stderr": err.getvalue(), "error": error}) + "\n")
    sys.__stdout__.flush()
"""


@dataclass(frozen=True, slots=True)
class ExecError:
    type: str
    message: str
    traceback: str


@dataclass(frozen=True, slots=True)
class LocalResult:
    status: str
    stdout: str
    stderr: str
    error: ExecError | None
    duration_ms: float
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LocalSession:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._start()

    def _start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def run(self, code: str) -> LocalResult:
        t0 = time.perf_counter()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(code) + "\n")
        self.proc.stdin.flush()
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.timeout_s)
        ms = (time.perf_counter() - t0) * 1000
        if not box:
            self.close()
            self._start()
            return LocalResult("timeout", "", "", None, ms)
        data = json.loads(box[0])
        err = data["error"]
        return LocalResult("error" if err else "ok", data["stdout"], data["stderr"],
                           ExecError(**err) if err else None, ms)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


class LocalExecutor:
    def __init__(self, timeout_s: float = 5.0) -> None:
        self.timeout_s = timeout_s

    def run(self, code: str) -> LocalResult:
        with self.session() as s:
            return s.run(code)

    @contextlib.contextmanager
    def session(self) -> Iterator[LocalSession]:
        s = LocalSession(self.timeout_s)
        try:
            yield s
        finally:
            s.close()

