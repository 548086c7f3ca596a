"""A job: what runs in the process that executes untrusted code, and the result it hands back.

Owns entering a job process (hardening layers, limits, directory, fresh random state, stdio), running the
code (:func:`execute`, total: no exception of the job's making escapes it), the one-shot child's life from
fork to ``_exit``, and :func:`read_result`, the zygote's bounded, schema-checked reading of what a job wrote
to its result pipe. Imports only the standard library and its siblings.
"""

from __future__ import annotations

import ast
import builtins
import ctypes
import fcntl
import io
import json
import linecache
import os
import signal
import sys
import tempfile
import traceback
from typing import Any

from . import harden, wire

PR_SET_PDEATHSIG = 1
HARDEN_FAILED = 70
RESULT_CAP = 1 << 20
TRACEBACK_FRAMES = 6
MESSAGE_CAP = 2000
TRACEBACK_CAP = 4000
OUTCOMES = ("ok", "error", "memory", "killed")
_HERE = os.path.dirname(os.path.abspath(__file__))
_libc = ctypes.CDLL(None, use_errno=True)


def failure(status: str, kind: str, message: str) -> dict[str, Any]:
    return {"status": status, "error": {"type": kind, "message": message, "traceback": ""}}


def _text(thing: Any, cap: int) -> str:
    """``str(thing)``, capped; a placeholder when the job's ``__str__`` raises or returns a non-string."""
    try:
        text = str(thing)
        if type(text) is not str:
            raise TypeError
    except BaseException:
        return "<unprintable>"
    return text[:cap]


def _describe(exc: BaseException) -> dict[str, str]:
    """The error object for ``exc`` — built only from the exception's own methods inside ``try``: a job's
    exception class may make ``__str__``, ``__name__`` or its traceback raise."""
    try:
        kind = type(exc).__name__
        kind = kind if type(kind) is str else "<unnamed>"
    except BaseException:
        kind = "<unnamed>"
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_HERE)]
        lines = [*traceback.format_list(frames[-TRACEBACK_FRAMES:]), f"{kind}: {_text(exc, MESSAGE_CAP)}\n"]
        trace = "".join(lines)[-TRACEBACK_CAP:]
    except BaseException:
        trace = ""
    return {"type": kind, "message": _text(exc, MESSAGE_CAP), "traceback": trace}


def _exit_ok(code: Any) -> bool:
    """Whether ``SystemExit(code)`` means success (exact types only: a job's ``__eq__`` does not decide)."""
    return code is None or (type(code) in (int, bool) and code == 0)


def execute(code: str, namespace: dict[str, Any], *, echo: bool) -> dict[str, Any]:
    """Run ``code`` in ``namespace``; with ``echo``, print the repr of a bare last expression (like a REPL).
    The status is the job's real outcome: output that could not be flushed is an error, not ``ok``."""
    result: dict[str, Any] = {"status": "ok", "error": None}
    try:
        linecache.cache["<cell>"] = (len(code), None, code.splitlines(True), "<cell>")
        tree = ast.parse(code, "<cell>")
        tail = tree.body[-1] if tree.body else None
        last = tail if echo and isinstance(tail, ast.Expr) else None
        if last is not None:
            tree.body.pop()
        exec(compile(tree, "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            if value is not None:
                namespace["_"] = value
                print(repr(value))
    except SystemExit as exc:
        try:
            ok = _exit_ok(exc.code)
        except BaseException:
            ok = False
        if not ok:
            result = failure("error", "SystemExit", _text(exc.code, MESSAGE_CAP))
    except BaseException as exc:
        result = {"status": "memory" if isinstance(exc, MemoryError) else "error", "error": _describe(exc)}
    for stream in _streams():
        try:
            stream.flush()
        except BaseException as exc:
            if result["status"] == "ok":
                result = {"status": "error", "error": _describe(exc)}
    return result


def _streams() -> list[Any]:
    """Every stream a job's output may wait in: the ones it may have put in ``sys``, then ours."""
    seen: list[Any] = []
    for stream in (getattr(sys, "stdout", None), getattr(sys, "stderr", None), *(_STDIO or ())[1:]):
        if stream is not None and not any(stream is s for s in seen):
            seen.append(stream)
    return seen


def _make_stdio() -> tuple[io.TextIOWrapper, io.TextIOWrapper, io.TextIOWrapper]:
    """Job-side stdin (empty), stdout and stderr over fds 0-2, made once in the zygote (they cost milliseconds
    in a fresh fork); a job's process points fds 1 and 2 at its pipes before using them."""
    out, err = (open(fd, "wb", closefd=False) for fd in (1, 2))  # noqa: SIM115 - they live as long as the job
    return (
        io.TextIOWrapper(io.BytesIO(), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", errors="backslashreplace"),
        io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", line_buffering=True),
    )


_STDIO: tuple[io.TextIOWrapper, io.TextIOWrapper, io.TextIOWrapper] | None = None


def prepare_stdio() -> None:
    """Make the job-side streams (once, in the zygote before it forks anything)."""
    global _STDIO
    _STDIO = _make_stdio()


def new_stdio() -> None:
    assert _STDIO is not None
    sys.stdin, sys.stdout, sys.stderr = _STDIO


def reseed() -> None:
    """Fresh state for every random generator a job can reach without asking the OS (a forked child starts
    with its parent's). ``hash()``'s seed is fixed per interpreter: it changes only with the cell."""
    if "random" in sys.modules:
        sys.modules["random"].seed()
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()
    if "sympy.core.random" in sys.modules:
        sys.modules["sympy.core.random"].seed()


def keep_fds(mapping: dict[int, int]) -> None:
    """Make ``target -> source`` the only open descriptors beyond 0-2 (targets are small numbers)."""
    top = max([*mapping, 2])
    # Copies above every target first, so that no dup2 below overwrites a source still to be moved.
    tmp = {t: fcntl.fcntl(s, fcntl.F_DUPFD_CLOEXEC, top + 1) for t, s in mapping.items()}
    for t, s in tmp.items():
        os.dup2(s, t, inheritable=False)
    os.closerange(top + 1, 65536)


def redirect_stdio(out: int, err: int) -> None:
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(null)


def harden_self(cfg: dict[str, Any], layers: list[str], ruleset_fd: int, *, gated_fork: bool) -> int | None:
    """Apply the job's layers; ``ruleset_fd`` is where the forking parent left its Landlock ruleset (absent
    if it could not make one, which fails here)."""
    os.setsid()
    harden.oom_first()
    if "uid" in layers:
        harden.drop_privileges(cfg["uid"], cfg["gid"])
    harden.no_new_privs()
    if "landlock" in layers:
        harden.landlock_restrict(ruleset_fd)
    if "seccomp" not in layers:
        return None
    return cfg["seccomp_session" if gated_fork else "seccomp_job"].load(listener=gated_fork)


def set_limits(lim: dict[str, Any]) -> None:
    harden.set_limits(
        cpu_s=lim["cpu_s"],
        memory_mb=lim["memory_mb"],
        file_mb=lim["file_mb"],
        open_files=lim["open_files"],
        max_procs=lim["max_procs"],
    )


def enter(workdir: str) -> None:
    """Make the job directory the job's cwd, home and temporary directory (the only place it may write)."""
    os.chdir(workdir)
    os.environ["HOME"] = os.environ["TMPDIR"] = workdir
    tempfile.tempdir = workdir


def one_shot_child(cfg: dict[str, Any], layers: list[str], workdir: str) -> None:
    """A pre-forked one-shot child: fd 3 = job in, fd 4 = result out, fd 5 = Landlock ruleset; never
    returns, whatever the job does to the interpreter."""
    try:
        try:
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            harden_self(cfg, layers, 5, gated_fork=False)
            enter(workdir)  # all but the job's own limits is done before the job arrives
            new_stdio()
            reseed()
            os.write(4, b"H\n")
            data = b""
            while chunk := os.read(3, 1 << 20):
                data += chunk
            job = json.loads(data)
            os.close(3)
            set_limits(job["limits"])
        except BaseException as exc:
            os.write(4, f"hardening failed: {exc!r}\n".encode())
            os._exit(HARDEN_FAILED)
        result = execute(job["code"], {"__name__": "__main__", "__builtins__": builtins}, echo=False)
        os.write(4, json.dumps(result).encode())
        for fd in (1, 2, 4):  # the zygote sees the end now, not after the address space is torn down
            os.close(fd)
    finally:
        os._exit(0)


def read_result(data: bytes) -> dict[str, Any] | None:
    """What a job wrote to its result pipe, checked: ``{"status", "error"}`` with a known status and an error
    that is null or three strings — or None when absent or malformed (bounded parsing: never a
    ``RecursionError``, never a type the readers downstream do not expect)."""
    if not data:
        return None
    try:
        obj = wire.loads(data, max_bytes=RESULT_CAP, max_depth=2)
    except ValueError:
        return None
    if not isinstance(obj, dict) or set(obj) != {"status", "error"} or obj["status"] not in OUTCOMES:
        return None
    err = obj["error"]
    if err is None:
        return None if obj["status"] != "ok" else {"status": "ok", "error": None}
    fields = ("type", "message", "traceback")
    if obj["status"] == "ok" or not isinstance(err, dict) or set(err) != set(fields):
        return None
    if not all(isinstance(err[k], str) for k in fields):
        return None
    caps = {"type": 200, "message": MESSAGE_CAP, "traceback": TRACEBACK_CAP}
    return {"status": obj["status"], "error": {k: err[k][: caps[k]] for k in fields}}


def malformed() -> dict[str, Any]:
    return failure("error", "SandboxError", "the job's result was malformed")
