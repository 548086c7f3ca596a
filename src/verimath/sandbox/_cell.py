"""A cell: one isolated environment (bubblewrap, or the best fallback) holding one warm zygote.

Owns building the cell's command line, starting it, the private control socket and the supervisor-side
deadline on every request (a zygote that does not answer in time is killed with its whole cell).
Imports only ``verimath.errors`` and its own package.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import site
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from verimath.errors import SandboxUnavailable
from verimath.sandbox._cgroup import BASE_BYTES, MemoryCgroup
from verimath.sandbox._incell.harden import host_namespaces
from verimath.sandbox._incell.wire import recv_msg, send_msg

INCELL = Path(__file__).resolve().parent / "_incell"
CELL_INCELL = "/opt/verimath/_incell"
CELL_WORK = "/work"
UID = GID = 65534
#: Sizes of the cell's tmpfs mounts (RAM-backed; job directories under /work are removed after each run).
TMP_BYTES, WORK_BYTES = 16 << 20, 256 << 20
#: Environment of the cell: nothing from the host's.
ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "HOME": CELL_WORK,
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
_BOOT = (
    "import importlib.util as u, sys; p = sys.argv[2]; "
    "s = u.spec_from_file_location('_incell', p + '/__init__.py', submodule_search_locations=[p]); "
    "m = u.module_from_spec(s); sys.modules['_incell'] = m; s.loader.exec_module(m); "
    "from _incell.zygote import main; main()"
)
_ROOT_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER")
BACKENDS = ("bwrap", "unshare", "none")
START_TIMEOUT_S = 120.0
REPLY_GRACE_S = 10.0
REPLY_BYTES = 1 << 20  # a reply's size beyond its captured output


class CellLost(Exception):
    """The cell stopped answering or died; it has been killed and must be replaced."""


def _python_roots() -> list[str]:
    """Directories the interpreter and its packages live in (bound read-only into the cell)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages()}
    roots |= {os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    real = sorted({os.path.realpath(r) for r in roots if os.path.isdir(r)})
    # Keep only outermost directories; /usr is bound anyway.
    out: list[str] = []
    for r in real:
        if (
            r != "/"
            and not r.startswith("/usr/")
            and r != "/usr"
            and not any(r.startswith(o + "/") for o in out)
        ):
            out.append(r)
    return out


def _parents(path: str) -> list[str]:
    """The directories above ``path`` below ``/``, outermost first (``/a/b/c`` -> ``/a``, ``/a/b``)."""
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def _bwrap_prefix() -> list[str]:
    """bubblewrap's options for a cell; the command follows after ``--``."""
    # /tmp comes first: a later bind (a virtual environment under /tmp) must not be hidden by it.
    argv = ["bwrap", "--size", str(TMP_BYTES), "--tmpfs", "/tmp", "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"):
        argv += ["--ro-bind-try", etc, etc]
    made: set[str] = set()
    for root in _python_roots():
        # bubblewrap would make the missing parents (/root, /root/.pyenv, ...) mode 0700, which the job's uid
        # cannot cross: it could import nothing the zygote had not imported already.
        for parent in _parents(root):
            if parent not in made:
                made.add(parent)
                argv += ["--perms", "0755", "--dir", parent]
        argv += ["--ro-bind", root, root]
    argv += [
        "--ro-bind",
        str(INCELL),
        CELL_INCELL,
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(WORK_BYTES),
        "--tmpfs",
        CELL_WORK,
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--chdir",
        CELL_WORK,
    ]
    if os.geteuid() == 0:
        argv += ["--cap-drop", "ALL"]
        for cap in _ROOT_CAPS:
            argv += ["--cap-add", cap]
    else:
        argv += ["--unshare-user", "--uid", str(UID), "--gid", str(GID)]
    for key, value in ENV.items():
        argv += ["--setenv", key, value]
    return [*argv, "--"]


@functools.cache
def backend_works(backend: str) -> bool:
    """Whether ``backend`` can start a process on this machine (tried once per process)."""
    if backend == "none":
        return True
    if backend == "bwrap":
        if shutil.which("bwrap") is None:
            return False
        argv = [*_bwrap_prefix(), sys.executable, "-I", "-c", "pass"]
    else:
        if shutil.which("unshare") is None or os.geteuid() != 0:
            return False
        argv = [*_unshare_prefix(), sys.executable, "-I", "-c", "pass"]
    try:
        return (
            subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, env=ENV
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


def _unshare_prefix() -> list[str]:
    # setpriv ties unshare's life to ours, as bubblewrap's --die-with-parent does for bwrap.
    dies_with_us = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []
    return [
        *dies_with_us,
        "unshare",
        "--net",
        "--ipc",
        "--uts",
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
    ]


def pick_backend(wanted: str) -> str:
    if wanted not in ("auto", *BACKENDS):
        raise SandboxUnavailable(f"unknown sandbox backend {wanted!r}; choose auto, {', '.join(BACKENDS)}")
    for backend in BACKENDS if wanted == "auto" else (wanted,):
        if backend_works(backend):
            return backend
    raise SandboxUnavailable(f"sandbox backend {wanted!r} does not work on this machine")


class Cell:
    """One running cell. Not thread-safe: the pool hands a cell to one caller at a time.

    The constructor only starts the process (the cell dies with the *thread* that started it, so the pool
    starts cells from one long-lived thread); :meth:`wait_ready` waits for the warm zygote.
    """

    def __init__(self, backend: str, *, warm: bool = True, memory_mb: int = 1024) -> None:
        self.backend = backend
        self._memory_mb = memory_mb
        self.runs = 0
        self.sessions: set[int] = set()
        self.dead = False
        self._hostdir: str | None = None
        mine, theirs = socket.socketpair()
        self._sock = mine
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - the cell's stderr, kept for its lifetime
        fd = theirs.fileno()
        drop_uid = True
        if backend == "bwrap":
            argv, work = (
                [*_bwrap_prefix(), sys.executable, "-I", "-B", "-c", _BOOT, str(fd), CELL_INCELL],
                CELL_WORK,
            )
            drop_uid = os.geteuid() == 0
        else:
            self._hostdir = tempfile.mkdtemp(prefix="verimath-cell-")
            os.chmod(self._hostdir, 0o711)  # the unprivileged job must reach its own directory inside
            work = self._hostdir
            boot = [sys.executable, "-I", "-B", "-c", _BOOT, str(fd), str(INCELL)]
            argv = _unshare_prefix() + boot if backend == "unshare" else boot
        self._cgroup = MemoryCgroup.create(self._budget()) if shutil.which("sh") else None
        if self._cgroup is not None:  # the cell's first process joins its group before anything else
            argv = ["sh", "-c", 'echo $$ > "$0" 2>/dev/null; exec "$@"', self._cgroup.procs, *argv]
        try:
            self._proc = subprocess.Popen(
                argv,
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                env=ENV,
                cwd=work if self._hostdir else "/",
                start_new_session=True,
            )
        except OSError as exc:
            if self._cgroup is not None:
                self._cgroup.remove()
            raise SandboxUnavailable(f"cannot start a sandbox cell with {backend}: {exc}") from exc
        finally:
            theirs.close()
        self.layers: frozenset[str] = frozenset()
        with contextlib.suppress(OSError):  # a cell that died at once shows in wait_ready
            send_msg(
                mine,
                {
                    "work": work,
                    "work_bytes": WORK_BYTES if backend == "bwrap" else None,
                    "uid": UID,
                    "gid": GID,
                    "drop_uid": drop_uid,
                    "warm": warm,
                    "host_ns": host_namespaces(),
                    "env_keys": [*ENV, "PWD"],  # bubblewrap sets PWD to the cell's own --chdir
                    "readonly": ["/usr", *_python_roots()],
                },
            )

    def wait_ready(self) -> Cell:
        """Wait for the zygote's hello (imports and warm-up done); learn the layers it could apply."""
        try:
            hello = self._receive(START_TIMEOUT_S)
        except CellLost as exc:
            raise SandboxUnavailable(
                f"a sandbox cell ({self.backend}) failed to start: {self._log_tail()}"
            ) from exc
        self.layers = frozenset(hello["layers"]) | ({"bwrap"} if self.backend == "bwrap" else set())
        if self._cgroup is not None and self._cgroup.joined():
            self.layers |= {"memory-cgroup"}
        return self

    def _budget(self, sessions: int | None = None) -> int:
        """The cell's memory ceiling: its base and tmpfs, one ``memory_mb`` for the running job and one for
        each open session (each is limited to that much address space by its rlimit)."""
        held = len(self.sessions) if sessions is None else sessions
        return BASE_BYTES + TMP_BYTES + WORK_BYTES + (1 + held) * (self._memory_mb << 20)

    def _log_tail(self) -> str:
        if self._log.closed:
            return f"exit code {self._proc.poll()}"
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {self._proc.poll()}"

    def _receive(self, timeout: float, max_bytes: int = REPLY_BYTES) -> dict[str, Any]:
        """The zygote's next reply, parsed with bounds (size, depth); anything else kills the cell."""
        self._sock.settimeout(timeout)
        try:
            reply, _ = recv_msg(self._sock, max_bytes=max_bytes)
            if not isinstance(reply, dict):
                raise ValueError(f"a reply must be an object, got {type(reply).__name__}")
        except Exception as exc:
            self.kill()
            raise CellLost(str(exc) or type(exc).__name__) from exc
        return reply

    def request(self, msg: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send one request and wait for its answer; past ``timeout_s`` + grace, the cell is killed."""
        if self.dead:
            raise CellLost("cell already closed")
        start = time.monotonic()
        if self._cgroup is not None:
            self._memory_mb = max(self._memory_mb, int(msg.get("limits", {}).get("memory_mb", 0)))
            self._cgroup.set_limit(self._budget(len(self.sessions) + (msg.get("op") == "open")))
        try:
            send_msg(self._sock, msg)
        except OSError as exc:
            self.kill()
            raise CellLost(str(exc)) from exc
        output = msg.get("limits", {}).get("output_bytes", 0)
        # Two capped streams, each at most six bytes of JSON per byte of output, plus the rest.
        reply = self._receive(timeout_s + REPLY_GRACE_S, 12 * output + REPLY_BYTES)
        self.runs += 1
        reply.setdefault("elapsed_s", time.monotonic() - start)
        return reply

    def kill(self) -> None:
        self.dead = True
        with contextlib.suppress(OSError):
            os.killpg(self._proc.pid, 9)
        self._finish(0)

    def close(self) -> None:
        """Ask the zygote to end its sessions and exit; kill the cell if it does not in a few seconds."""
        if self.dead:
            return
        self.dead = True
        with contextlib.suppress(OSError):
            send_msg(self._sock, {"op": "exit"})
        self._finish(5)

    def _finish(self, wait_s: float) -> None:
        try:
            self._proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(self._proc.pid, 9)
            self._proc.wait()
        self._sock.close()
        self._log.close()
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        if self._hostdir:
            shutil.rmtree(self._hostdir, ignore_errors=True)
            self._hostdir = None
