"""A memory cgroup of its own for each cell, where the machine lets this process make one (cgroup v2 or v1).

Rlimits count address space; a cgroup counts what a cell really uses — tmpfs files, page tables, pipe and
socket buffers, the kernel's inodes and dentries — so memory that no rlimit sees still has a ceiling. The
group is made below this process's own (nothing in it escapes limits set above), the cell's first process
joins it before it starts anything, and it is removed when the cell is gone. Its limit follows the cell's
use: a base for the warm interpreters and the cell's tmpfs, plus one ``memory_mb`` for the running job and
one for each open session. Where no group can be made the cell runs without one (``Isolation`` says which).
Imports only the standard library.
"""

from __future__ import annotations

import itertools
import os
import time

ROOT = "/sys/fs/cgroup"
#: What a cell needs beyond its jobs: the zygote, forker and spares (shared warm pages are charged once).
BASE_BYTES = 512 << 20
REMOVE_WAIT_S = 2.0
_names = itertools.count()


def _own_path(controller: str | None) -> str | None:
    """This process's cgroup for ``controller`` (v1), or its unified one (``None``: v2)."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if (controller is None and controllers == "") or (
                controller is not None and controller in controllers.split(",")
            ):
                return path
    return None


def _candidates() -> list[tuple[str, str]]:
    """(directory to make the group in, name of its limit file), v2 first."""
    out = []
    if os.path.exists(os.path.join(ROOT, "cgroup.controllers")):
        path = _own_path(None)
        if path is not None:
            out.append((os.path.join(ROOT, path.lstrip("/")), "memory.max"))
    path = _own_path("memory")
    if path is not None and os.path.isdir(os.path.join(ROOT, "memory")):
        out.append((os.path.join(ROOT, "memory", path.lstrip("/")), "memory.limit_in_bytes"))
    return out


class MemoryCgroup:
    """One cell's memory cgroup. :meth:`create` returns None where none can be made."""

    def __init__(self, path: str, limit_file: str) -> None:
        self.path, self._limit_file = path, limit_file
        self._limit = 0

    @classmethod
    def create(cls, limit_bytes: int) -> MemoryCgroup | None:
        try:
            candidates = _candidates()
        except OSError:
            return None
        for parent, limit_file in candidates:
            path = os.path.join(parent, f"verimath-cell-{os.getpid()}-{next(_names)}")
            try:
                os.mkdir(path)
            except OSError:
                continue
            group = cls(path, limit_file)
            if os.path.exists(os.path.join(path, limit_file)) and group.set_limit(limit_bytes):
                return group
            group.remove()
        return None

    @property
    def procs(self) -> str:
        """The file a process writes its pid to, to join."""
        return os.path.join(self.path, "cgroup.procs")

    def joined(self) -> bool:
        """Whether any process is in the group (the cell's first process joins it as it starts)."""
        try:
            with open(self.procs) as f:
                return bool(f.read().strip())
        except OSError:
            return False

    def set_limit(self, limit_bytes: int) -> bool:
        """Set the ceiling (only when it changes: one write). Lowering below what is in use may be refused
        by the kernel (v1); the old, higher ceiling then stays."""
        if limit_bytes == self._limit:
            return True
        try:
            with open(os.path.join(self.path, self._limit_file), "w") as f:
                f.write(str(limit_bytes))
        except OSError:
            return False
        self._limit = limit_bytes
        return True

    def remove(self) -> None:
        """Remove the group once its processes are gone: they die with the cell, within milliseconds of it
        but not at once, so this waits up to ``REMOVE_WAIT_S`` (an empty group left behind costs nothing but
        a directory; a group with a process in it cannot be removed)."""
        deadline = time.monotonic() + REMOVE_WAIT_S
        while True:
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.01)
