"""Sessions: the holder process chain that keeps one user's Python state, and the fork gate that guards it.

A session is a chain of processes: the *holder* keeps the state; to run a cell it forks (the checkpoint), the
child runs the code and, when it finishes normally, becomes the new holder. Holders are forked by the forker,
a process that has never seen a request, so a session starts with no other user's data in its memory.
Forks in a session go through a seccomp user-notification gate held by the zygote, which allows exactly one
checkpoint fork per cell, from the holder, and only with the flags of a plain ``fork`` (no namespaces, no
shared memory). Imports only the standard library and its siblings.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import fcntl
import json
import os
import signal
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

from . import job, wire

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
#: struct seccomp_notif: id, pid, flags, then seccomp_data (nr, arch, instruction pointer, six arguments).
_NOTIF = struct.Struct("=QIIiIQ6Q")
_CLONE_PARENT_SETTID, _CLONE_CHILD_CLEARTID, _CLONE_CHILD_SETTID = 0x00100000, 0x00200000, 0x01000000
_CSIGNAL = 0xFF
#: Flags a plain ``fork`` passes to ``clone`` (glibc: child settid/cleartid and SIGCHLD).
_PLAIN_FORK = _CLONE_PARENT_SETTID | _CLONE_CHILD_CLEARTID | _CLONE_CHILD_SETTID | _CSIGNAL


@dataclass(slots=True)
class Session:
    """The zygote's record of one session."""

    sid: int
    holder: int
    sock: socket.socket
    notify: int | None
    workdir: str
    killed: set[int] = field(default_factory=set)  # SIGKILLed, maybe not dead yet: not newcomers
    disk: tuple[int, int] = (0, 0)  # bytes and files in its directory after its last cell


def plain_fork(nr: int, args: tuple[int, ...], fork_calls: dict[int, str]) -> bool:
    """Whether syscall ``nr`` with ``args`` creates a process as ``fork`` does: no namespaces, no shared
    memory, files or signal handlers, SIGCHLD to the parent."""
    name = fork_calls.get(nr)
    if name == "fork":
        return True
    flags = args[0]
    return name == "clone" and not flags & ~_PLAIN_FORK and flags & _CSIGNAL == signal.SIGCHLD


def answer_gate(nfd: int, allowed_pid: int | None, fork_calls: dict[int, str]) -> bool:
    """Answer one notification on a session's gate: continue a plain fork by ``allowed_pid``, refuse anything
    else with EPERM. Returns whether the allowed fork was let through (the caller closes the gate then)."""
    buf = bytearray(_NOTIF.size)
    try:
        fcntl.ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, buf, True)
    except OSError:
        return False
    nid, pid, _, nr, _, _, *args = _NOTIF.unpack(buf)
    allow = allowed_pid is not None and pid == allowed_pid and plain_fork(nr, tuple(args), fork_calls)
    if allow:
        resp = struct.pack("=QqiI", nid, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE)
    else:
        resp = struct.pack("=QqiI", nid, 0, -errno.EPERM, 0)
    with contextlib.suppress(OSError):  # the caller may have died meanwhile
        fcntl.ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, bytearray(resp), True)
    return allow


def holder(cfg: dict[str, Any], layers: list[str], workdir: str, lim: dict[str, Any]) -> None:
    """The root of a session (fd 3 = control socket, fd 4 = Landlock ruleset); never returns."""
    try:
        ctl = socket.socket(fileno=3)
        try:
            nfd = job.harden_self(cfg, layers, 4, gated_fork=True)
            wire.send_msg(ctl, {"gate": nfd is not None}, [nfd] if nfd is not None else None)
            if nfd is not None:
                os.close(nfd)
            job.set_limits(lim)
            job.enter(workdir)
            job.reseed()
        except BaseException:
            os._exit(job.HARDEN_FAILED)
        namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        while True:
            ctl = _next_cell(ctl, namespace)
    finally:
        os._exit(0)


def _next_cell(ctl: socket.socket, namespace: dict[str, Any]) -> socket.socket:
    """Wait for a cell and fork for it. In the holder: return its control socket again. In the child: run
    the cell, report, and return the control socket of the holder it has become."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    try:
        req, fds = wire.recv_msg(ctl, maxfds=4)
    except (EOFError, OSError, ValueError):
        os._exit(0)
    if len(fds) != 4:
        os._exit(0)
    out, err, res, nxt = fds
    try:
        pid = os.fork()  # the checkpoint: the parent keeps the state as it was
    except OSError as exc:
        refused = job.failure("killed", "SandboxError", f"checkpoint fork refused: {exc}")
        os.write(res, json.dumps(refused).encode())
        pid = 1
    if pid:
        for fd in fds:
            os.close(fd)
        return ctl
    ctl.detach()
    os.close(3)
    job.redirect_stdio(out, err)
    job.new_stdio()
    result = job.execute(req["code"], namespace, echo=True)
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (1, 2):
        os.dup2(null, fd)
    for fd in (null, out, err):
        os.close(fd)
    os.write(res, json.dumps(result).encode())
    os.close(res)
    os.dup2(nxt, 3)
    os.close(nxt)
    return socket.socket(fileno=3)
