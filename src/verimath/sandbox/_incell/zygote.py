"""The zygote: one warm interpreter per cell, serving the supervisor's requests with hardened children.

Started by the supervisor (``verimath.sandbox._cell``) inside the cell with a private control socket. It
pre-imports numpy and SymPy, runs a warm-up set, freezes the heap (``gc.freeze``), backs it with huge pages
where the kernel can, and starts the forker (:mod:`.forker`, a copy of itself made before any request), which
keeps hardened one-shot children pre-forked and forks session holders. For each request it hands a ready
child the code, enforces the wall-clock deadline (SIGKILL), caps stdout/stderr, reads the child's result
(bounded, schema-checked: :func:`.job.read_result`) and answers over the control socket.

Everything here that touches job data is total: a request that fails in any way is answered as a failure
(and the cell marked for replacement), never an exception that ends the zygote and every other user's
sessions with it. Imports only the standard library and its siblings.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import math
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import harden, job, session, tree, wire
from .forker import Forker, Spawner

PR_SET_CHILD_SUBREAPER = 36
SPARES = 2  # hardened children the forker keeps ready (one spare absorbs back-to-back requests)
HOLDER_SEND_S = 5.0  # a session holder that does not take its cell within this is broken: the session ends
#: A session may keep this many files (and this share of the cell's work area) between its cells; all
#: sessions of a cell together at most half the area, so one-shot runs always find the other half free.
SESSION_FILES = 4096
SESSION_SHARE, SESSIONS_SHARE = 8, 2
SESSION_BYTES_UNSIZED = 32 << 20  # per session, where the work area has no size of its own
#: Files one running job may add to the work area (inodes on a tmpfs are kernel memory that no size limit
#: counts); checked every ``WATCH_S`` while a job runs, so a job stops within about that much of the limit.
JOB_FILES = 4 * SESSION_FILES
WATCH_S = 0.05
_libc = ctypes.CDLL(None, use_errno=True)

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
sp.summation(x, (x, 1, 10)); sp.binomial(10, 3); sp.factorint(360); sp.gcd(12, 18)
sp.series(sp.exp(x), x, 0, 4)
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



@dataclass(slots=True)
class _Collected:
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    res: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    timed_out: bool = False
    over: str | None = None  # why the job was stopped for taking too much of the work area


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:  # real-time signals have no name of their own
        return f"signal {sig}"


def _failure_reply(message: str) -> dict[str, Any]:
    return {**job.failure("killed", "SandboxError", message), "stdout": "", "stderr": "", "truncated": False}


class Zygote:
    """Serves one cell's requests: one-shot runs, sessions (open, run a cell, close), exit."""

    def __init__(self, ctl: socket.socket, cfg: dict[str, Any]) -> None:
        self.ctl, self.cfg = ctl, cfg
        self.layers = harden.probe(cfg["drop_uid"]) + harden.probe_cell(
            cfg["host_ns"], cfg["env_keys"], cfg["readonly"], cfg["work"]
        )
        landlock = (
            harden.Landlock(harden.readable_paths(cfg["work"]), harden.landlock_abi())
            if "landlock" in self.layers
            else None
        )
        self.fork_calls: dict[int, str] = {}
        if "seccomp" in self.layers:
            cfg["seccomp_job"] = harden.SeccompFilter(harden.compile_seccomp(gated_fork=False))
            cfg["seccomp_session"] = harden.SeccompFilter(harden.compile_seccomp(gated_fork=True))
            self.fork_calls = harden.fork_syscalls()
        self.spawner = Spawner(cfg, self.layers, landlock)
        work_bytes = cfg.get("work_bytes")
        self.session_bytes = work_bytes // SESSION_SHARE if work_bytes else SESSION_BYTES_UNSIZED
        self.sessions_bytes = work_bytes // SESSIONS_SHARE if work_bytes else None
        self.forker: Forker | None = None
        self.sessions: dict[int, session.Session] = {}
        self.counter = 0
        self.gate: tuple[int, int] | None = None  # (notify fd, pid allowed to fork once)

    # -- processes
    @staticmethod
    def _reap() -> None:
        """Collect whatever children have exited (this process is a subreaper for orphaned session
        holders)."""
        with contextlib.suppress(ChildProcessError):
            while os.wait4(-1, os.WNOHANG)[0]:
                pass

    @staticmethod
    def _session_pids(sid: int) -> set[int]:
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

    @staticmethod
    def _threads(pid: int) -> int:
        try:
            return len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            return 0

    @staticmethod
    def _kill(pids: set[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # -- collecting a job's output
    def _collect(
        self,
        out_r: int,
        err_r: int,
        res_r: int,
        lim: dict[str, Any],
        stop: Callable[[], None],
        notify: int | None = None,
        linger: float | None = None,
    ) -> _Collected:
        """Read stdout/stderr (capped) and the result until all close — or, with ``linger``, until the result
        pipe closes plus that many seconds — killing the job at its deadline, or as soon as it takes more of
        the work area than :meth:`_space_left` allows (checked every ``WATCH_S`` while it runs)."""
        got = _Collected()
        baseline = self._work_used()
        next_watch = time.monotonic() + WATCH_S if baseline is not None else math.inf
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
                stop()
                hard_stop = now + 1.0
            if hard_stop is not None and now >= hard_stop:
                break
            if now >= next_watch and got.over is None and not got.timed_out:
                got.over = self._over_quota(baseline)  # type: ignore[arg-type]
                next_watch = now + WATCH_S
                if got.over is not None:
                    stop()
                    hard_stop = now + 1.0
            wait = min((hard_stop if hard_stop is not None else deadline), next_watch) - now
            for fd, ev in poller.poll(max(wait, 0) * 1000):
                if fd == notify:
                    allowed = self.gate[1] if self.gate is not None else None
                    if session.answer_gate(notify, allowed, self.fork_calls):
                        self.gate = None
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
                limit = job.RESULT_CAP if fd == res_r else cap
                room = limit - len(buf)
                if len(chunk) > room:
                    got.truncated = got.truncated or fd != res_r
                    chunk = chunk[: max(room, 0)]
                buf += chunk
        for fd in buffers:
            os.close(fd)
        return got

    def _work_used(self) -> tuple[int, int] | None:
        """Bytes and inodes in use on the cell's work area, where it is a file system of its own (a tmpfs:
        then only the running job and the sessions' kept files are on it)."""
        if not self.cfg.get("work_bytes"):
            return None
        st = os.statvfs(self.cfg["work"])
        return (st.f_blocks - st.f_bfree) * st.f_frsize, st.f_files - st.f_ffree

    def _over_quota(self, baseline: tuple[int, int]) -> str | None:
        used = self._work_used()
        assert used is not None
        if used[1] - baseline[1] > JOB_FILES:
            return f"the job created more than {JOB_FILES} files"
        return None

    @staticmethod
    def _outcome(
        got: _Collected, exit_info: tuple[int, float] | None, lim: dict[str, Any], duration: float
    ) -> dict[str, Any]:
        result = job.read_result(bytes(got.res))
        if got.over is not None:
            result = job.failure("killed", "DiskQuota", got.over)
        elif got.timed_out:
            result = job.failure("timeout", "Timeout", f"wall-clock limit of {lim['timeout_s']} s exceeded")
        elif exit_info is not None and os.WIFSIGNALED(exit_info[0]):
            sig, cpu = os.WTERMSIG(exit_info[0]), exit_info[1]
            if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= lim["cpu_s"]):
                result = job.failure("timeout", "Timeout", f"CPU limit of {lim['cpu_s']} s exceeded")
            else:
                result = job.failure("killed", "Signal", f"killed by {_signal_name(sig)}")
        elif result is None and got.res:
            result = job.malformed()
        elif result is None:
            code = os.WEXITSTATUS(exit_info[0]) if exit_info is not None else -1
            result = (
                {"status": "ok", "error": None}
                if code == 0
                else job.failure("error", "SystemExit", f"exit code {code}")
            )
        return {
            **result,
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
        # A job that delivered its result is reaped later; one that did not is waited for, for its exit
        # status.
        exit_info = None if finished else self.forker.wait(child.pid)
        out = self._outcome(got, exit_info, lim, time.perf_counter() - start)
        if anomaly:
            out.update(job.failure("killed", "SandboxError", "the job process could not be hardened"))
        out["anomaly"] = anomaly or not tree.remove(child.workdir)
        return out

    def open_session(self, req: dict[str, Any]) -> dict[str, Any]:
        assert self.forker is not None
        holder = self.forker.holder(req["limits"])
        holder.sock.settimeout(10.0)
        try:
            hello, fds = wire.recv_msg(holder.sock, maxfds=1)
        except (OSError, EOFError, ValueError):
            self._kill({holder.pid})
            holder.sock.close()
            tree.remove(holder.workdir)
            return {"error": "the session process could not be hardened", "anomaly": True}
        holder.sock.settimeout(HOLDER_SEND_S)
        notify = fds[0] if isinstance(hello, dict) and hello.get("gate") and fds else None
        self.counter += 1
        self.sessions[self.counter] = session.Session(
            holder.pid, holder.pid, holder.sock, notify, holder.workdir
        )
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
        try:
            wire.send_msg(s.sock, {"code": req["code"]}, [out_w, err_w, res_w, theirs.fileno()])
            taken = True
        except OSError:  # gone, or it stopped reading (a send that times out): the session is broken
            taken = False
        for fd in (out_w, err_w, res_w):
            os.close(fd)
        theirs.close()
        if not taken:
            for fd in (out_r, err_r, res_r):
                os.close(fd)
            mine.close()
            self.close_session(req)
            return _failure_reply("the session's process stopped taking cells; the session was closed")
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
        finished = out["status"] in ("ok", "error", "memory") and bool(got.res)
        threads_left = finished and len(newcomers) == 1 and self._threads(next(iter(newcomers))) != 1
        if finished and len(newcomers) == 1 and not threads_left:
            self._kill({holder})
            s.killed.add(holder)
            s.sock.close()
            mine.settimeout(HOLDER_SEND_S)
            s.sock, s.holder = mine, newcomers.pop()
        else:
            if threads_left:
                out.update(
                    job.failure(
                        "error",
                        "SandboxError",
                        "the cell left threads running (threads must end with their cell); "
                        "its state was rolled back",
                    )
                )
            elif out["status"] in ("ok", "error", "memory"):
                out.update(job.failure("killed", "Crash", "the cell's process died without a result"))
            self._kill(newcomers)
            s.killed |= newcomers
            mine.close()
            out["rolled_back"] = True
        self._reap()
        return self._within_quota(req, s, out)

    def _within_quota(self, req: dict[str, Any], s: session.Session, out: dict[str, Any]) -> dict[str, Any]:
        """Keep a session's files to its share of the cell's work area: one that takes more is closed (its
        files are removed), so no user's files take another user's space."""
        s.disk = tree.usage(s.workdir, max_files=SESSION_FILES)
        others = sum(o.disk[0] for o in self.sessions.values() if o is not s)
        over_total = self.sessions_bytes is not None and others + s.disk[0] > self.sessions_bytes
        if s.disk[0] <= self.session_bytes and s.disk[1] <= SESSION_FILES and not over_total:
            return out
        self.close_session(req)
        return {
            **out,
            **job.failure(
                "killed",
                "SandboxError",
                f"the session's files exceeded its share of the sandbox ({self.session_bytes >> 20} MiB, "
                f"{SESSION_FILES} files); the session was closed",
            ),
        }

    def close_session(self, req: dict[str, Any]) -> dict[str, Any]:
        s = self.sessions.pop(req["session"], None)
        if s is not None:
            self._kill(self._session_pids(s.sid) | {s.holder})
            s.sock.close()
            if s.notify is not None:
                os.close(s.notify)
            tree.remove(s.workdir)
            self._reap()
        return {"closed": s is not None}

    def serve(self) -> None:
        self.forker = Forker(self.spawner, self.ctl)
        for _ in range(SPARES):
            self.forker.ask()
        wire.send_msg(self.ctl, {"ready": True, "layers": self.layers, "pid": os.getpid()})
        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "run": self.run,
            "open": self.open_session,
            "srun": self.run_in_session,
            "sclose": self.close_session,
        }
        while True:
            try:
                req, _ = wire.recv_msg(self.ctl)
            except (EOFError, OSError, ValueError):
                break
            op = req.get("op") if isinstance(req, dict) else None
            if op == "exit":
                break
            try:
                reply = handlers[op](req)  # type: ignore[index]
            except Exception as exc:  # a failure of this cell: the supervisor replaces it
                reply = {**_failure_reply(f"the sandbox cell failed: {exc!r}"[:2000]), "anomaly": True}
            try:
                wire.send_msg(self.ctl, reply)
            except OSError:
                break
            self._reap()
        for s in list(self.sessions):
            with contextlib.suppress(Exception):
                self.close_session({"session": s})
        self._kill({self.forker.pid})  # its children die with it (PR_SET_PDEATHSIG)


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
    cfg, _ = wire.recv_msg(ctl)
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    _libc.prctl(job.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the supervisor's end is our end
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    os.makedirs(cfg["work"], exist_ok=True)
    if os.geteuid() == 0:  # jobs (another uid) may cross the work area to their directory, never list it
        os.chmod(cfg["work"], 0o711)
    if cfg["warm"]:
        for name in PRELOAD:
            with contextlib.suppress(ImportError):  # numpy and SymPy are welcome, not required
                __import__(name)
        with contextlib.suppress(ImportError):
            exec(WARMUP, {"__name__": "__warmup__"})
    job.prepare_stdio()
    gc.collect()
    gc.freeze()
    _collapse_heap()
    Zygote(ctl, cfg).serve()
