"""The forker: a second copy of the warm zygote, made before any request, whose only work is forking.

It forks and hardens one-shot job children ahead of time (so the zygote never forks on a request's critical
path: medians about a third lower on a loaded 2-core machine) and forks session holders on request (so a
session starts from a process that has never held another user's code or output). Children and their pipes
are passed to the zygote over a SEQPACKET socket; they are the forker's children. It reaps them whenever it
is asked for more and reports an exit status only when asked: the zygote needs one only for a job that died
without a result, so a run costs the forker no signal and no message of its own.
Imports only the standard library and its siblings.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any

from . import harden, job, session, wire

EXITS_KEPT = 256
EXIT_WAIT_S = 5.0  # how long the forker waits for a killed job to be gone
REPLY_SLACK_S = 1.0
_libc = ctypes.CDLL(None, use_errno=True)
_fork_holding_gil = ctypes.PyDLL(None, use_errno=True).fork
_fork_holding_gil.restype = ctypes.c_int


@dataclass(slots=True)
class Child:
    """A ready one-shot child, as the zygote holds it."""

    pid: int
    job_w: int
    res_r: int
    out_r: int
    err_r: int
    workdir: str


@dataclass(slots=True)
class Holder:
    """A new session holder, hardened, before its first cell."""

    pid: int
    sock: socket.socket
    workdir: str


@dataclass(slots=True)
class Spawner:
    """What forking a hardened child needs: the cell's settings, the layers to apply, the Landlock rules."""

    cfg: dict[str, Any]
    layers: list[str]
    landlock: harden.Landlock | None

    def mkdir(self, kind: str) -> str:
        """A new private directory under the cell's work area, named unguessably (a job that can ``stat``
        a path should not find other users' directories by counting)."""
        path = os.path.join(self.cfg["work"], f"{kind}-{os.urandom(9).hex()}")
        os.mkdir(path, 0o700)
        if "uid" in self.layers and os.geteuid() == 0:
            os.chown(path, self.cfg["uid"], self.cfg["gid"])
        return path

    def ruleset(self, workdir: str, fd: int) -> dict[int, int]:
        """``{fd: ruleset}`` for a child's descriptor map: its Landlock ruleset, built here so the child only
        loads it. Empty without Landlock, or when the kernel refused a ruleset (the child then fails to
        harden)."""
        if self.landlock is None:
            return {}
        try:
            return {fd: self.landlock.ruleset(workdir)}
        except OSError:
            return {}

    def fork_job_child(self) -> Child:
        workdir = self.mkdir("run")
        ruleset = self.ruleset(workdir, 5)
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = _bare_fork()
        if pid == 0:
            try:
                job.redirect_stdio(out_w, err_w)
                job.keep_fds({3: job_r, 4: res_w, **ruleset})
            except BaseException:
                os._exit(job.HARDEN_FAILED)
            job.one_shot_child(self.cfg, self.layers, workdir)
        for fd in (job_r, res_w, out_w, err_w, *ruleset.values()):
            os.close(fd)
        return Child(pid, job_w, res_r, out_r, err_r, workdir)

    def fork_holder(self, lim: dict[str, Any]) -> tuple[int, socket.socket, str]:
        workdir = self.mkdir("session")
        ruleset = self.ruleset(workdir, 4)
        mine, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            try:
                null = os.open("/dev/null", os.O_RDWR)
                job.redirect_stdio(null, null)
                job.keep_fds({3: theirs.fileno(), **ruleset})
            except BaseException:
                os._exit(job.HARDEN_FAILED)
            session.holder(self.cfg, self.layers, workdir, lim)
        theirs.close()
        for fd in ruleset.values():
            os.close(fd)
        return pid, mine, workdir


def _bare_fork() -> int:
    """``fork(2)`` without CPython's after-fork work in the child (re-initialising locks and thread state,
    running the at-fork hooks). Only for job children: the forker has one thread, holds no lock when it forks,
    and the only hook that matters, reseeding :mod:`random`, is done by the job itself. In a fresh fork each
    page that work touches is a copy-on-write fault (measured: 0.8 ms of CPU in a child that does nothing
    else, about 0.3 ms less per job in the sandbox)."""
    pid = _fork_holding_gil()
    if pid < 0:
        raise OSError(ctypes.get_errno(), "fork")
    return pid


class Forker:
    """The zygote's handle on the forker process."""

    def __init__(self, spawner: Spawner, close_in_child: socket.socket) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            mine.close()
            close_in_child.close()
            try:
                _serve(spawner, theirs)
            finally:
                os._exit(0)
        theirs.close()
        self.pid, self.sock = pid, mine
        self.ready: list[Child] = []
        self.holders: list[Holder] = []
        self.exits: dict[int, tuple[int, float] | None] = {}

    def ask(self) -> None:
        """Have one more hardened child forked."""
        wire.send_record(self.sock, {"need": 1})

    def _pump(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        try:
            msg, fds = wire.recv_record(self.sock)
        finally:
            self.sock.settimeout(None)
        if "exit" in msg:
            self.exits[msg["exit"]] = None if msg["status"] is None else (msg["status"], msg["cpu"])
        elif "holder" in msg:
            self.holders.append(Holder(msg["holder"], socket.socket(fileno=fds[0]), msg["workdir"]))
        else:
            job_w, res_r, out_r, err_r = fds
            self.ready.append(Child(msg["pid"], job_w, res_r, out_r, err_r, msg["workdir"]))

    def take(self) -> Child:
        """The oldest ready child, waiting for one if need be (raises if the forker is gone)."""
        while not self.ready:
            self._pump(60.0)
        return self.ready.pop(0)

    def holder(self, lim: dict[str, Any]) -> Holder:
        """A new session holder with limits ``lim`` (raises if the forker is gone)."""
        wire.send_record(self.sock, {"session": lim})
        while not self.holders:
            self._pump(60.0)
        return self.holders.pop(0)

    def wait(self, pid: int) -> tuple[int, float] | None:
        """Exit status and CPU seconds of the forker's child ``pid``, which has been killed (None if it is not
        gone within ``EXIT_WAIT_S``)."""
        wire.send_record(self.sock, {"wait": pid})
        deadline = time.monotonic() + EXIT_WAIT_S + REPLY_SLACK_S
        while pid not in self.exits and (left := deadline - time.monotonic()) > 0:
            try:
                self._pump(left)
            except TimeoutError:
                break
        return self.exits.pop(pid, None)


def _serve(spawner: Spawner, sock: socket.socket) -> None:
    _libc.prctl(job.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    exits: dict[int, tuple[int, float]] = {}
    while True:
        msg, _ = wire.recv_record(sock)
        _reap(exits)
        if "wait" in msg:
            pid, deadline = msg["wait"], time.monotonic() + EXIT_WAIT_S
            while pid not in exits and time.monotonic() < deadline:
                time.sleep(0.001)  # killed already: gone within a scheduler tick or two
                _reap(exits)
            status, cpu = exits.pop(pid, (None, None))
            wire.send_record(sock, {"exit": pid, "status": status, "cpu": cpu})
        elif "session" in msg:
            pid, theirs, workdir = spawner.fork_holder(msg["session"])
            wire.send_record(sock, {"holder": pid, "workdir": workdir}, [theirs.fileno()])
            theirs.close()
        else:
            for _ in range(msg["need"]):
                c = spawner.fork_job_child()
                pipes = [c.job_w, c.res_r, c.out_r, c.err_r]
                wire.send_record(sock, {"pid": c.pid, "workdir": c.workdir}, pipes)
                for p in pipes:
                    os.close(p)


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
