"""The zygote: one warm interpreter per cell that forks hardened children to run jobs and session cells.

Started by the supervisor (``verimath.sandbox._cell``) inside the cell with a private control socket. It
pre-imports numpy and SymPy, runs a warm-up set, freezes the heap (``gc.freeze``), backs it with huge pages
where the kernel can, and has a *forker* (a copy of itself) keep hardened children pre-forked. For each
request it hands a ready child the code, enforces the wall-clock deadline (SIGKILL),
caps stdout/stderr, reads the child's result from a private pipe and answers over the control socket.

Sessions are chains of processes: the *holder* keeps the Python state; to run a cell it forks (the
checkpoint), the child runs the code and, when it finishes normally, becomes the new holder. Forks in a
session go through a seccomp user-notification gate that this zygote opens for exactly one checkpoint fork
per cell. A cell that times out or crashes is killed and the old holder, untouched, stays: a rollback with no
replay. Imports only the standard library and its sibling :mod:`harden`.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import ctypes
import errno
import fcntl
import gc
import io
import json
import linecache
import os
import select
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from . import harden

PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
RESULT_CAP = 1 << 20
TRACEBACK_FRAMES = 6
HARDEN_FAILED = 70
SPARES = 2  # hardened children the forker keeps ready (one spare absorbs back-to-back requests)
EXITS_KEPT = 256
EXIT_WAIT_S = 5.0  # how long the forker waits for a killed job to be gone
REPLY_SLACK_S = 1.0
_HEADER = struct.Struct("!I")
_libc = ctypes.CDLL(None, use_errno=True)
_fork_holding_gil = ctypes.PyDLL(None, use_errno=True).fork
_fork_holding_gil.restype = ctypes.c_int

WARMUP = """
import numpy as np, sympy as sp
x, y = sp.symbols("x y")
sp.solve(x**2 - 3*x + 1, x); sp.solve([x + y - 3, x - y - 1], [x, y])
for e in (x**2 - 5, 3*x**2 - 7, x**2 + 4, 2*x**2 + 5*x - 3, x**3 - 6*x**2 + 11*x - 6):
    print(sp.solve(e, x), file=__import__("io").StringIO())
sp.simplify(sp.sin(x)**2 + sp.cos(x)**2); sp.factor(x**3 - 1); sp.expand((x + 1)**5)
sp.integrate(x * sp.exp(x), x); sp.diff(sp.sin(x) * x, x); sp.limit(sp.sin(x) / x, x, 0)
sp.Rational(1, 3) + sp.Rational(1, 6); sp.nsimplify(0.25); sp.N(sp.pi, 30); sp.sqrt(8)
sp.Matrix([[1, 2], [3, 4]]).det(); sp.latex(sp.sqrt(x) / 3); sp.sympify("x**2 + 1"); sp.isprime(97)
sp.summation(x, (x, 1, 10)); sp.binomial(10, 3); sp.factorint(360); sp.gcd(12, 18); sp.series(sp.exp(x), x, 0, 4)
np.linalg.solve(np.eye(3), np.ones(3)); np.array([1.5, 2.5]).sum(); np.sqrt(np.arange(5.0)).tolist()
print(sp.Integer(2), file=__import__("io").StringIO())
"""
PRELOAD = (
    "math",
    "cmath",
    "fractions",
    "decimal",
    "itertools",
    "functools",
    "collections",
    "statistics",
    "random",
    "re",
    "json",
    "heapq",
    "bisect",
    "string",
    "operator",
    "copy",
    "datetime",
    "typing",
    "numbers",
    "dataclasses",
    "numpy",
    "sympy",
)


# ---------------------------------------------------------------- framing: 4-byte length + JSON, optional fds
def send_msg(sock: socket.socket, obj: Any, fds: list[int] | None = None) -> None:
    data = json.dumps(obj).encode()
    payload = _HEADER.pack(len(data)) + data
    if fds:
        sent = socket.send_fds(sock, [payload[:65536]], fds)
        sock.sendall(payload[sent:])
    else:
        sock.sendall(payload)


def recv_msg(sock: socket.socket, maxfds: int = 0) -> tuple[Any, list[int]]:
    if maxfds:
        buf, fds, _, _ = socket.recv_fds(sock, 65536, maxfds)
    else:
        buf, fds = sock.recv(65536), []
    if not buf:
        raise EOFError
    while len(buf) < _HEADER.size or len(buf) < _HEADER.size + _HEADER.unpack_from(buf)[0]:
        more = sock.recv(1 << 20)
        if not more:
            raise EOFError
        buf += more
    (n,) = _HEADER.unpack_from(buf)
    return json.loads(buf[_HEADER.size : _HEADER.size + n]), list(fds)


# ---------------------------------------------------------------- what runs in the job process
def _short_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_HERE)]
    lines = traceback.format_list(frames[-TRACEBACK_FRAMES:])
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)[-4000:]


def execute(code: str, namespace: dict[str, Any], *, echo: bool) -> dict[str, Any]:
    """Run ``code`` in ``namespace``; with ``echo``, print the repr of a bare last expression (like a REPL)."""
    linecache.cache["<cell>"] = (len(code), None, code.splitlines(True), "<cell>")
    result: dict[str, Any] = {"status": "ok", "error": None}
    try:
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
        if exc.code not in (None, 0):
            result = {
                "status": "error",
                "error": {"type": "SystemExit", "message": str(exc.code), "traceback": ""},
            }
    except BaseException as exc:
        status = "memory" if isinstance(exc, MemoryError) else "error"
        result = {
            "status": status,
            "error": {
                "type": type(exc).__name__,
                "message": str(exc)[:2000],
                "traceback": _short_traceback(exc),
            },
        }
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed or broken stream is the job's own doing
                stream.flush()
    return result


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


def _new_stdio() -> None:
    assert _STDIO is not None
    sys.stdin, sys.stdout, sys.stderr = _STDIO


def _keep_fds(mapping: dict[int, int]) -> None:
    """Make ``target -> source`` the only open descriptors beyond 0-2 (targets are small numbers)."""
    top = max([*mapping, 2])
    # Copies above every target first, so that no dup2 below overwrites a source still to be moved.
    tmp = {t: fcntl.fcntl(s, fcntl.F_DUPFD_CLOEXEC, top + 1) for t, s in mapping.items()}
    for t, s in tmp.items():
        os.dup2(s, t, inheritable=False)
    os.closerange(top + 1, 65536)


def _bare_fork() -> int:
    """``fork(2)`` without CPython's after-fork work in the child (re-initialising locks and thread state,
    running the at-fork hooks). Only for the forker: it has one thread, holds no lock when it forks, and the
    only hook that matters, reseeding :mod:`random`, is done by the job itself. In a fresh fork each page that
    work touches is a copy-on-write fault (measured: 0.8 ms of CPU in a child that does nothing else, about
    0.3 ms less per job in the sandbox)."""
    pid = _fork_holding_gil()
    if pid < 0:
        raise OSError(ctypes.get_errno(), "fork")
    return pid


def _remove_dir(path: str) -> None:
    """Remove a job's directory: one syscall when the job left it empty, as most do."""
    try:
        os.rmdir(path)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _redirect_stdio(out: int, err: int) -> None:
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(null)


def _harden(cfg: dict[str, Any], layers: list[str], ruleset_fd: int, *, gated_fork: bool) -> int | None:
    """Apply the job's layers; ``ruleset_fd`` is where the forking parent left its Landlock ruleset (absent
    if it could not make one, which fails here)."""
    os.setsid()
    if "uid" in layers:
        harden.drop_privileges(cfg["uid"], cfg["gid"])
    harden.no_new_privs()
    if "landlock" in layers:
        harden.landlock_restrict(ruleset_fd)
    if "seccomp" not in layers:
        return None
    return cfg["seccomp_session" if gated_fork else "seccomp_job"].load(listener=gated_fork)


def _limits(lim: dict[str, Any]) -> None:
    harden.set_limits(
        cpu_s=lim["cpu_s"],
        memory_mb=lim["memory_mb"],
        file_mb=lim["file_mb"],
        open_files=lim["open_files"],
        max_procs=lim["max_procs"],
    )


def _enter(workdir: str) -> None:
    """Make the job directory the job's cwd, home and temporary directory (the only place it may write)."""
    os.chdir(workdir)
    os.environ["HOME"] = os.environ["TMPDIR"] = workdir
    tempfile.tempdir = workdir


def _job_child(cfg: dict[str, Any], layers: list[str], workdir: str) -> None:
    """A pre-forked one-shot child: fd 3 = job in, fd 4 = result out, fd 5 = Landlock ruleset; never
    returns."""
    try:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _harden(cfg, layers, 5, gated_fork=False)
        _enter(workdir)  # all but the job's own limits is done before the job arrives
        _new_stdio()
        if "random" in sys.modules:  # what os.fork's at-fork hook would have done
            sys.modules["random"].seed()
        os.write(4, b"H\n")
        data = b""
        while chunk := os.read(3, 1 << 20):
            data += chunk
        job = json.loads(data)
        os.close(3)
        _limits(job["limits"])
    except BaseException as exc:
        os.write(4, f"hardening failed: {exc!r}\n".encode())
        os._exit(HARDEN_FAILED)
    result = execute(job["code"], {"__name__": "__main__", "__builtins__": builtins}, echo=False)
    os.write(4, json.dumps(result).encode())
    for fd in (1, 2, 4):  # the zygote sees the end now, not after the address space is torn down
        os.close(fd)
    os._exit(0)


def _session_holder(cfg: dict[str, Any], layers: list[str], workdir: str, lim: dict[str, Any]) -> None:
    """The root of a session (fd 3 = control socket, fd 4 = Landlock ruleset); never returns."""
    ctl = socket.socket(fileno=3)
    try:
        nfd = _harden(cfg, layers, 4, gated_fork=True)
        send_msg(ctl, {"gate": nfd is not None}, [nfd] if nfd is not None else None)
        if nfd is not None:
            os.close(nfd)
        _limits(lim)
        _enter(workdir)
    except BaseException:
        os._exit(HARDEN_FAILED)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        try:
            req, fds = recv_msg(ctl, maxfds=4)
        except (EOFError, OSError):
            os._exit(0)
        out, err, res, nxt = fds
        try:
            pid = os.fork()  # the checkpoint: the parent keeps the state as it was
        except OSError as exc:
            os.write(
                res,
                json.dumps(
                    {
                        "status": "killed",
                        "error": {
                            "type": "SandboxError",
                            "message": f"checkpoint fork refused: {exc}",
                            "traceback": "",
                        },
                    }
                ).encode(),
            )
            pid = 1
        if pid:
            for fd in fds:
                os.close(fd)
            continue
        ctl.detach()
        os.close(3)
        _redirect_stdio(out, err)
        _new_stdio()
        result = execute(req["code"], namespace, echo=True)
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (1, 2):
            os.dup2(null, fd)
        for fd in (null, out, err):
            os.close(fd)
        os.write(res, json.dumps(result).encode())
        os.close(res)
        os.dup2(nxt, 3)
        os.close(nxt)
        ctl = socket.socket(fileno=3)


# ---------------------------------------------------------------- the zygote itself
@dataclass(slots=True)
class _Child:
    pid: int
    job_w: int
    res_r: int
    out_r: int
    err_r: int
    workdir: str


@dataclass(slots=True)
class _Session:
    sid: int
    holder: int
    sock: socket.socket
    notify: int | None
    workdir: str
    killed: set[int] = field(default_factory=set)  # SIGKILLed, maybe not dead yet: not newcomers


@dataclass(slots=True)
class _Collected:
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    res: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    timed_out: bool = False


class Zygote:
    def __init__(self, ctl: socket.socket, cfg: dict[str, Any]) -> None:
        self.ctl, self.cfg = ctl, cfg
        self.work = cfg["work"]
        self.layers = harden.probe(cfg["drop_uid"]) + harden.probe_cell(
            cfg["host_ns"], cfg["env_keys"], cfg["readonly"], cfg["work"]
        )
        self.landlock = (
            harden.Landlock(harden.readable_paths(self.work), harden.landlock_abi())
            if "landlock" in self.layers
            else None
        )
        if "seccomp" in self.layers:
            cfg["seccomp_job"] = harden.SeccompFilter(harden.compile_seccomp(gated_fork=False))
            cfg["seccomp_session"] = harden.SeccompFilter(harden.compile_seccomp(gated_fork=True))
        self.forker: _Forker | None = None
        self.sessions: dict[int, _Session] = {}
        self.counter = 0
        self.gate: tuple[int, int] | None = None  # (notify fd, pid allowed to fork once)

    # -- processes
    def _wait(self, pid: int) -> tuple[int, float] | None:
        """Block until child ``pid`` exits: its wait status and CPU seconds (None if already reaped)."""
        try:
            _, status, usage = os.wait4(pid, 0)
        except ChildProcessError:
            return None
        return status, usage.ru_utime + usage.ru_stime

    @staticmethod
    def _reap() -> None:
        """Collect whatever children have exited (this process is a subreaper for orphaned session holders)."""
        with contextlib.suppress(ChildProcessError):
            while os.wait4(-1, os.WNOHANG)[0]:
                pass

    def _mkdir(self, name: str) -> str:
        path = os.path.join(self.work, name)
        os.mkdir(path, 0o700)
        if "uid" in self.layers and os.geteuid() == 0:
            os.chown(path, self.cfg["uid"], self.cfg["gid"])
        return path

    def _ruleset(self, workdir: str, fd: int) -> dict[int, int]:
        """``{fd: ruleset}`` for a child's descriptor map: its Landlock ruleset, built here so the child only
        loads it. Empty without Landlock, or when the kernel refused a ruleset (the child then fails to
        harden)."""
        if self.landlock is None:
            return {}
        try:
            return {fd: self.landlock.ruleset(workdir)}
        except OSError:
            return {}

    def _fork_job_child(self) -> _Child:
        self.counter += 1
        workdir = self._mkdir(f"run-{self.counter}")
        ruleset = self._ruleset(workdir, 5)
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = _bare_fork()
        if pid == 0:
            try:
                _redirect_stdio(out_w, err_w)
                _keep_fds({3: job_r, 4: res_w, **ruleset})
            except BaseException:
                os._exit(HARDEN_FAILED)
            _job_child(self.cfg, self.layers, workdir)
        for fd in (job_r, res_w, out_w, err_w, *ruleset.values()):
            os.close(fd)
        return _Child(pid, job_w, res_r, out_r, err_r, workdir)

    def _session_pids(self, sid: int) -> set[int]:
        """Live processes of a session (zombies excluded)."""
        pids = set()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != b"Z" and int(fields[3]) == sid:
                pids.add(int(entry))
        return pids

    def _kill(self, pids: set[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # -- collecting a job's output
    def _answer_gate(self, nfd: int) -> None:
        buf = bytearray(80)
        try:
            fcntl.ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, buf, True)
        except OSError:
            return
        nid, pid = struct.unpack_from("=QI", buf)
        if self.gate is not None and self.gate == (nfd, pid):
            self.gate = None
            resp = struct.pack("=QqiI", nid, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE)
        else:
            resp = struct.pack("=QqiI", nid, 0, -errno.EPERM, 0)
        with contextlib.suppress(OSError):  # the caller may have died meanwhile
            fcntl.ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, bytearray(resp), True)

    def _collect(
        self,
        out_r: int,
        err_r: int,
        res_r: int,
        lim: dict[str, Any],
        on_timeout: Any,
        notify: int | None = None,
        linger: float | None = None,
    ) -> _Collected:
        """Read stdout/stderr (capped) and the result until all close — or, with ``linger``, until the result
        pipe closes plus that many seconds — killing the job at its deadline."""
        got = _Collected()
        cap = lim["output_bytes"]
        deadline = time.monotonic() + lim["timeout_s"]
        hard_stop: float | None = None
        poller = select.poll()
        buffers = {out_r: got.out, err_r: got.err, res_r: got.res}
        for fd in buffers:
            poller.register(fd, select.POLLIN)
        if notify is not None:
            poller.register(notify, select.POLLIN)
        open_fds = set(buffers)
        while open_fds:
            now = time.monotonic()
            if not got.timed_out and now >= deadline:
                got.timed_out = True
                on_timeout()
                hard_stop = now + 1.0
            if hard_stop is not None and now >= hard_stop:
                break
            wait = (hard_stop if hard_stop is not None else deadline) - now
            for fd, ev in poller.poll(max(wait, 0) * 1000):
                if fd == notify:
                    self._answer_gate(notify)
                    continue
                chunk = (
                    os.read(fd, 1 << 16) if ev & (select.POLLIN | select.POLLHUP | select.POLLERR) else b""
                )
                if not chunk:
                    poller.unregister(fd)
                    open_fds.discard(fd)
                    if fd == res_r and linger is not None and hard_stop is None:
                        hard_stop = time.monotonic() + linger
                    continue
                buf = buffers[fd]
                limit = RESULT_CAP if fd == res_r else cap
                room = limit - len(buf)
                if len(chunk) > room:
                    got.truncated = got.truncated or fd != res_r
                    chunk = chunk[: max(room, 0)]
                buf += chunk
        for fd in buffers:
            os.close(fd)
        return got

    @staticmethod
    def _outcome(
        got: _Collected, exit_info: tuple[int, float] | None, lim: dict[str, Any], duration: float
    ) -> dict[str, Any]:
        result: dict[str, Any] | None = None
        if got.res:
            try:
                result = json.loads(bytes(got.res))
            except ValueError:
                result = None
        if got.timed_out:
            result = {
                "status": "timeout",
                "error": {
                    "type": "Timeout",
                    "traceback": "",
                    "message": f"wall-clock limit of {lim['timeout_s']} s exceeded",
                },
            }
        elif exit_info is not None and os.WIFSIGNALED(exit_info[0]):
            sig, cpu = os.WTERMSIG(exit_info[0]), exit_info[1]
            if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= lim["cpu_s"]):
                result = {
                    "status": "timeout",
                    "error": {
                        "type": "Timeout",
                        "traceback": "",
                        "message": f"CPU limit of {lim['cpu_s']} s exceeded",
                    },
                }
            else:
                result = {
                    "status": "killed",
                    "error": {
                        "type": "Signal",
                        "traceback": "",
                        "message": f"killed by {signal.Signals(sig).name}",
                    },
                }
        elif (
            result is None
            or not isinstance(result, dict)
            or result.get("status") not in ("ok", "error", "memory", "killed")
        ):
            code = os.WEXITSTATUS(exit_info[0]) if exit_info is not None else -1
            result = (
                {"status": "ok", "error": None}
                if code == 0
                else {
                    "status": "error",
                    "error": {"type": "SystemExit", "message": f"exit code {code}", "traceback": ""},
                }
            )
        return {
            "status": result["status"],
            "error": result.get("error"),
            "stdout": got.out.decode("utf-8", "replace"),
            "stderr": got.err.decode("utf-8", "replace"),
            "truncated": got.truncated,
            "duration_ms": duration * 1000,
        }

    # -- requests
    def run(self, req: dict[str, Any]) -> dict[str, Any]:
        assert self.forker is not None
        child = self.forker.take()
        self.forker.ask()  # its replacement is forked and hardened by the forker while this job runs
        lim = req["limits"]
        anomaly = False
        hello = b""
        try:
            r, _, _ = select.select([child.res_r], [], [], 10.0)
            hello = os.read(child.res_r, 2) if r else b""
        except OSError:
            pass
        if hello != b"H\n":
            self._kill({child.pid})
            anomaly = True
        else:
            try:
                os.write(child.job_w, json.dumps({"code": req["code"], "limits": lim}).encode())
            except BrokenPipeError:
                anomaly = True
        os.close(child.job_w)
        start = time.perf_counter()
        got = self._collect(child.out_r, child.err_r, child.res_r, lim, lambda: self._kill({child.pid}))
        self._kill({child.pid})  # it is exiting already, unless it closed its pipes and lingered
        finished = got.res and not got.timed_out and not anomaly
        # A job that delivered its result is reaped later; one that did not is waited for, for its exit status.
        exit_info = None if finished else self.forker.wait(child.pid)
        out = self._outcome(got, exit_info, lim, time.perf_counter() - start)
        if anomaly:
            out.update(
                status="killed",
                error={
                    "type": "SandboxError",
                    "traceback": "",
                    "message": "the job process could not be hardened",
                },
            )
        _remove_dir(child.workdir)
        out["anomaly"] = anomaly or os.path.exists(child.workdir)
        return out

    def open_session(self, req: dict[str, Any]) -> dict[str, Any]:
        self.counter += 1
        workdir = self._mkdir(f"session-{self.counter}")
        ruleset = self._ruleset(workdir, 4)
        mine, theirs = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                null = os.open("/dev/null", os.O_RDWR)
                _redirect_stdio(null, null)
                _keep_fds({3: theirs.fileno(), **ruleset})
            except BaseException:
                os._exit(HARDEN_FAILED)
            _session_holder(self.cfg, self.layers, workdir, req["limits"])
        theirs.close()
        for fd in ruleset.values():
            os.close(fd)
        mine.settimeout(10.0)
        try:
            hello, fds = recv_msg(mine, maxfds=1)
        except (OSError, EOFError):
            self._kill({pid})
            self._wait(pid)
            _remove_dir(workdir)
            return {"error": "the session process could not be hardened", "anomaly": True}
        mine.settimeout(None)
        notify = fds[0] if hello.get("gate") and fds else None
        self.sessions[self.counter] = _Session(pid, pid, mine, notify, workdir)
        return {"session": self.counter}

    def run_in_session(self, req: dict[str, Any]) -> dict[str, Any]:
        s = self.sessions.get(req["session"])
        if s is None:
            return {"error": f"no session {req['session']}"}
        lim = req["limits"]
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        res_r, res_w = os.pipe()
        mine, theirs = socket.socketpair()
        with contextlib.suppress(OSError):  # a holder that is gone shows in the result below
            send_msg(s.sock, {"code": req["code"]}, [out_w, err_w, res_w, theirs.fileno()])
        for fd in (out_w, err_w, res_w):
            os.close(fd)
        theirs.close()
        holder = s.holder
        if s.notify is not None:
            self.gate = (s.notify, holder)
        start = time.perf_counter()

        def others() -> set[int]:
            alive = self._session_pids(s.sid)
            s.killed &= alive
            return alive - {holder} - s.killed

        def kill_cell() -> None:
            doomed = others()
            self._kill(doomed)
            s.killed |= doomed

        got = self._collect(out_r, err_r, res_r, lim, kill_cell, notify=s.notify, linger=0.02)
        self.gate = None
        newcomers = others()
        out = self._outcome(got, None, lim, time.perf_counter() - start)
        if out["status"] in ("ok", "error", "memory") and got.res and len(newcomers) == 1:
            self._kill({holder})
            s.killed.add(holder)
            s.sock.close()
            s.sock, s.holder = mine, newcomers.pop()
        else:
            if out["status"] in ("ok", "error", "memory"):
                out.update(
                    status="killed",
                    error={
                        "type": "Crash",
                        "traceback": "",
                        "message": "the cell's process died without a result",
                    },
                )
            self._kill(newcomers)
            s.killed |= newcomers
            mine.close()
            out["rolled_back"] = True
        self._reap()
        return out

    def close_session(self, req: dict[str, Any]) -> dict[str, Any]:
        s = self.sessions.pop(req["session"], None)
        if s is not None:
            self._kill(self._session_pids(s.sid) | {s.holder})
            s.sock.close()
            if s.notify is not None:
                os.close(s.notify)
            _remove_dir(s.workdir)
            self._reap()
        return {"closed": s is not None}

    def serve(self) -> None:
        self.forker = _Forker(self)
        for _ in range(SPARES):
            self.forker.ask()
        send_msg(self.ctl, {"ready": True, "layers": self.layers, "pid": os.getpid()})
        handlers = {
            "run": self.run,
            "open": self.open_session,
            "srun": self.run_in_session,
            "sclose": self.close_session,
        }
        while True:
            try:
                req, _ = recv_msg(self.ctl)
            except (EOFError, OSError):
                break
            if req.get("op") == "exit":
                break
            send_msg(self.ctl, handlers[req["op"]](req))
            self._reap()
        for s in list(self.sessions):
            self.close_session({"session": s})
        self._kill({self.forker.pid})  # its children die with it (PR_SET_PDEATHSIG)


def _send_record(sock: socket.socket, obj: Any, fds: list[int] | None = None) -> None:
    socket.send_fds(sock, [json.dumps(obj).encode()], fds or [])


def _recv_record(sock: socket.socket) -> tuple[Any, list[int]]:
    data, fds, _, _ = socket.recv_fds(sock, 65536, 4)
    if not data:
        raise EOFError
    return json.loads(data), list(fds)


class _Forker:
    """A second copy of the warm zygote whose only work is forking and hardening job children, so that the
    zygote never forks on a request's critical path (measured: medians about a third lower on the loaded
    2-core machine). Children, their pipes passed over a SEQPACKET socket, are the forker's. It reaps them
    whenever it is asked for more and reports an exit status only when asked: the zygote needs one only for
    a job that died without a result, so a run costs the forker no signal and no message of its own."""

    def __init__(self, zygote: Zygote) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            mine.close()
            zygote.ctl.close()
            try:
                self._serve(zygote, theirs)
            finally:
                os._exit(0)
        theirs.close()
        self.pid, self.sock = pid, mine
        self.ready: list[_Child] = []
        self.exits: dict[int, tuple[int, float] | None] = {}

    @staticmethod
    def _serve(zygote: Zygote, sock: socket.socket) -> None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        exits: dict[int, tuple[int, float]] = {}
        while True:
            msg, _ = _recv_record(sock)
            _Forker._reap(exits)
            if "wait" in msg:
                pid, deadline = msg["wait"], time.monotonic() + EXIT_WAIT_S
                while pid not in exits and time.monotonic() < deadline:
                    time.sleep(0.001)  # killed already: gone within a scheduler tick or two
                    _Forker._reap(exits)
                status, cpu = exits.pop(pid, (None, None))
                _send_record(sock, {"exit": pid, "status": status, "cpu": cpu})
                continue
            for _ in range(msg["need"]):
                c = zygote._fork_job_child()
                pipes = [c.job_w, c.res_r, c.out_r, c.err_r]
                _send_record(sock, {"pid": c.pid, "workdir": c.workdir}, pipes)
                for p in pipes:
                    os.close(p)

    @staticmethod
    def _reap(exits: dict[int, tuple[int, float]]) -> None:
        """Collect exited children, keeping the latest few statuses (and CPU seconds) for ``wait``."""
        with contextlib.suppress(ChildProcessError):
            while True:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
                if not pid:
                    return
                exits[pid] = (status, usage.ru_utime + usage.ru_stime)
                if len(exits) > EXITS_KEPT:
                    del exits[next(iter(exits))]

    def ask(self) -> None:
        """Have one more hardened child forked."""
        _send_record(self.sock, {"need": 1})

    def _pump(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        try:
            msg, fds = _recv_record(self.sock)
        finally:
            self.sock.settimeout(None)
        if "exit" in msg:
            self.exits[msg["exit"]] = None if msg["status"] is None else (msg["status"], msg["cpu"])
        else:
            job_w, res_r, out_r, err_r = fds
            self.ready.append(_Child(msg["pid"], job_w, res_r, out_r, err_r, msg["workdir"]))

    def take(self) -> _Child:
        """The oldest ready child, waiting for one if need be (raises if the forker is gone)."""
        while not self.ready:
            self._pump(60.0)
        return self.ready.pop(0)

    def wait(self, pid: int) -> tuple[int, float] | None:
        """Exit status and CPU seconds of the forker's child ``pid``, which has been killed (None if it is not
        gone within ``EXIT_WAIT_S``)."""
        _send_record(self.sock, {"wait": pid})
        deadline = time.monotonic() + EXIT_WAIT_S + REPLY_SLACK_S
        while pid not in self.exits and (left := deadline - time.monotonic()) > 0:
            try:
                self._pump(left)
            except TimeoutError:
                break
        return self.exits.pop(pid, None)


_HERE = os.path.dirname(os.path.abspath(__file__))
_MADV_COLLAPSE = 25
_HUGE = 2 << 20


def _collapse_heap() -> None:
    """Back the warm heap (anonymous and brk memory, which every fork copies page table by page table and
    every exiting job tears down) with transparent huge pages where the kernel can: each fork then copies one
    entry per 2 MiB, and a job that writes to a huge page splits only that one. Speed only; kernels without
    ``MADV_COLLAPSE`` (6.1+) or THP just refuse."""
    with open("/proc/self/maps") as f:
        regions = [line.split() for line in f]
    for fields in regions:
        if not fields[1].startswith("rw") or (len(fields) > 5 and fields[5] != "[heap]"):
            continue
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        lo, hi = (lo + _HUGE - 1) & -_HUGE, hi & -_HUGE
        if hi > lo:
            _libc.madvise(ctypes.c_void_p(lo), ctypes.c_size_t(hi - lo), _MADV_COLLAPSE)


def main() -> None:
    ctl = socket.socket(fileno=int(sys.argv[1]))
    cfg, _ = recv_msg(ctl)
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the supervisor's end is our end
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    os.makedirs(cfg["work"], exist_ok=True)
    if cfg["warm"]:
        for name in PRELOAD:
            with contextlib.suppress(ImportError):  # numpy and SymPy are welcome, not required
                __import__(name)
        with contextlib.suppress(ImportError):
            exec(WARMUP, {"__name__": "__warmup__"})
    global _STDIO
    _STDIO = _make_stdio()
    gc.collect()
    gc.freeze()
    _collapse_heap()
    Zygote(ctl, cfg).serve()
