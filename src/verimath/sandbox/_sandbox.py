"""The supervisor: a pool of cells (one per core by default), queueing with back-pressure, recycling, and the
public :class:`Sandbox` and :class:`Session` objects. Thread-safe; ``arun`` runs in a worker thread.
Imports only ``verimath.errors`` and its own package.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

from verimath.errors import BudgetExceeded, SandboxUnavailable
from verimath.sandbox._cell import Cell, CellLost, pick_backend
from verimath.sandbox._types import ExecError, ExecResult, Isolation, Limits

T = TypeVar("T")
_LOST = ExecError("SandboxError", "the sandbox cell died while running this code; it has been replaced")


class Sandbox:
    """Runs untrusted Python in isolated, warm cells.

    ``Sandbox(limits=Limits(timeout_s=5))``; ``.run(code)`` -> :class:`ExecResult`; ``await .arun(code)``;
    ``with .session() as s: s.run(cell)`` keeps state across cells; ``.close()`` or use it as a context
    manager. ``cells`` defaults to one per core this process may run on; ``backend`` is ``auto`` (bubblewrap,
    else ``unshare`` namespaces, else hardening only) or one of those by name; a cell is recycled after
    ``recycle_after`` runs or any anomaly.
    Callers beyond the free cells wait (back-pressure); with ``max_waiting`` set, one more raises
    :class:`~verimath.errors.BudgetExceeded` instead of queueing.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        cells: int | None = None,
        backend: str = "auto",
        recycle_after: int = 1000,
        max_waiting: int | None = None,
        warm: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self._backend = pick_backend(backend)
        self._warm = warm
        self._recycle_after = recycle_after
        self._recycle_at: dict[Cell, int] = {}
        self._max_waiting = max_waiting
        self._cond = threading.Condition()
        self._idle: list[Cell] = []
        self._all: list[Cell] = []
        self._queue: list[_Waiter] = []
        self._closed = False
        # Cells die with the thread that started them (PR_SET_PDEATHSIG), so one long-lived thread starts all.
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="verimath-sandbox-spawn")
        n = cells or len(os.sched_getaffinity(0))
        spawned: list[Cell] = []
        try:
            for _ in range(n):
                cell = self._spawner.submit(Cell, self._backend, warm=warm, memory_mb=self.limits.memory_mb)
                spawned.append(cell.result())
            started = [cell.wait_ready() for cell in spawned]
        except SandboxUnavailable:
            for cell in spawned:
                cell.kill()
            self._spawner.shutdown()
            raise
        self._all, self._idle = list(started), list(started)
        # Staggered first recycling (after 1/n, 2/n, ... of ``recycle_after`` runs): cells sharing the load
        # evenly would otherwise all restart at once and leave the pool without capacity for a second.
        for i, cell in enumerate(started):
            self._recycle_at[cell] = max(1, recycle_after * (i + 1) // len(started))
        layers = frozenset.intersection(*(c.layers for c in started))
        self.isolation = Isolation(self._backend, layers)
        """The isolation layers active in every cell (see :attr:`Isolation.full`)."""
        if not self.isolation.full:
            warnings.warn(self.isolation.describe(), RuntimeWarning, stacklevel=2)

    # -- the pool
    def _acquire(self, pinned: Cell | None = None) -> Cell:
        """A free cell (``pinned``, if given), first come first served: a caller never takes a cell that an
        earlier waiter could take, so no run waits behind later ones (its wait is bounded by the runs
        ahead)."""
        with self._cond:
            if self._closed:
                raise SandboxUnavailable("the sandbox is closed")
            if not self._idle and self._max_waiting is not None and len(self._queue) >= self._max_waiting:
                raise BudgetExceeded(f"sandbox queue is full ({len(self._queue)} callers waiting)")
            me = _Waiter(pinned)
            self._queue.append(me)
            try:
                while True:
                    if self._closed:
                        raise SandboxUnavailable("the sandbox is closed")
                    if not self._all:
                        raise SandboxUnavailable("no sandbox cell is left: restarting them failed")
                    if pinned is not None and pinned.dead:
                        raise CellLost("the session's cell is gone")
                    cell = self._free_cell_for(me)
                    if cell is not None:
                        self._idle.remove(cell)
                        return cell
                    self._cond.wait()
            finally:
                self._queue.remove(me)

    def _free_cell_for(self, me: _Waiter) -> Cell | None:
        earlier = self._queue[: self._queue.index(me)]
        if me.pinned is not None:
            candidates = [me.pinned] if me.pinned in self._idle else []
        else:
            # Prefer cells without sessions, so one-shot runs do not queue behind session cells.
            candidates = sorted(self._idle, key=lambda c: len(c.sessions))
        for cell in candidates:
            if not any(w.pinned is None or w.pinned is cell for w in earlier):
                return cell
        return None

    def _release(self, cell: Cell, *, anomaly: bool = False) -> None:
        due = cell.runs >= self._recycle_at.get(cell, self._recycle_after)
        if anomaly or cell.dead or (due and not cell.sessions):
            self._replace(cell)
            return
        with self._cond:
            self._idle.append(cell)
            self._cond.notify_all()

    def _replace(self, cell: Cell) -> None:
        """Retire ``cell`` and start a fresh one in the background; its slot is free again once it is up."""
        if not cell.dead:
            cell.kill()
        cell.sessions.clear()

        def start() -> None:
            try:
                fresh: Cell | None = self._spawner.submit(
                    Cell, self._backend, warm=self._warm, memory_mb=self.limits.memory_mb
                ).result()
                fresh.wait_ready()  # type: ignore[union-attr]
            except (SandboxUnavailable, RuntimeError):  # RuntimeError: the spawner is shut down (closing)
                fresh = None
            with self._cond:
                if cell in self._all:
                    self._all.remove(cell)
                self._recycle_at.pop(cell, None)
                if fresh is not None:
                    if self._closed:
                        fresh.close()
                    else:
                        self._all.append(fresh)
                        self._idle.append(fresh)
                self._cond.notify_all()

        threading.Thread(target=start, name="verimath-sandbox-recycle", daemon=True).start()

    def _call(
        self,
        msg: dict[str, Any],
        limits: Limits,
        read: Callable[[Cell, dict[str, Any]], T],
        pinned: Cell | None = None,
    ) -> T:
        """One request on a cell, its reply read by ``read`` while the cell is still held: whatever fails —
        the cell, the reply, reading it — the cell is killed and replaced, never kept out of the pool."""
        cell = self._acquire(pinned)
        try:
            reply = cell.request({**msg, "limits": limits.to_wire()}, limits.timeout_s)
            value = read(cell, reply)
        except BaseException as exc:
            self._release(cell, anomaly=True)
            if isinstance(exc, Exception) and not isinstance(exc, CellLost):
                raise CellLost(f"malformed reply from the cell: {type(exc).__name__}: {exc}") from exc
            raise
        self._release(cell, anomaly=bool(reply.get("anomaly")))
        return value

    # -- public API
    def run(self, code: str, *, limits: Limits | None = None) -> ExecResult:
        """Run ``code`` in a fresh process forked from a warm cell; nothing it does outlives the run."""
        lim = limits or self.limits
        try:
            return self._call({"op": "run", "code": code}, lim, _result)
        except CellLost:
            return ExecResult("killed", error=_LOST)

    async def arun(self, code: str, *, limits: Limits | None = None) -> ExecResult:
        """``run`` for asyncio: waits in a worker thread, never blocking the event loop."""
        import asyncio  # only asyncio users pay for importing it

        return await asyncio.to_thread(self.run, code, limits=limits)

    def session(self, limits: Limits | None = None) -> Session:
        """A stateful session (``with sandbox.session() as s: s.run(...)``), pinned to one cell."""
        return Session(self, limits or self.limits)

    def close(self) -> None:
        """End every cell (and every open session). Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            cells = list(self._all)
            self._cond.notify_all()
        for cell in cells:
            cell.close()
        self._spawner.shutdown(wait=False)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()


class Session:
    """Python state kept across cells. Before each cell the state is checkpointed by ``fork``; a cell that
    times out or crashes (status ``timeout`` or ``killed``) is rolled back to the state before it, with no
    replay. A cell that raises keeps what it did before the exception, like a REPL. The value of a bare last
    expression is printed (``repr``), like a REPL."""

    def __init__(self, sandbox: Sandbox, limits: Limits) -> None:
        self._sandbox, self.limits = sandbox, limits
        self._id: int | None = None
        self._cell: Cell | None = None

        def opened(cell: Cell, reply: dict[str, Any]) -> dict[str, Any]:
            if "session" in reply:
                self._id, self._cell = int(reply["session"]), cell
                cell.sessions.add(self._id)
            return reply

        try:
            reply = sandbox._call({"op": "open"}, limits, opened)
        except CellLost as exc:
            raise SandboxUnavailable("the sandbox cell died while opening a session") from exc
        if self._id is None:
            raise SandboxUnavailable(f"could not open a session: {reply.get('error', 'unknown error')}")

    def run(self, code: str) -> ExecResult:
        if self._cell is None:
            return ExecResult("killed", error=ExecError("SandboxError", "the session is closed or was lost"))
        try:
            result = self._sandbox._call(
                {"op": "srun", "session": self._id, "code": code}, self.limits, _session_result, self._cell
            )
        except CellLost:
            self._cell = None
            return ExecResult(
                "killed", error=ExecError("SandboxError", "the session's cell died; its state is lost")
            )
        if result is None:
            self._cell = None
            return ExecResult("killed", error=ExecError("SandboxError", "the session is closed or was lost"))
        return result

    async def arun(self, code: str) -> ExecResult:
        import asyncio

        return await asyncio.to_thread(self.run, code)

    def close(self) -> None:
        cell, self._cell = self._cell, None
        if cell is None or cell.dead:
            return
        try:
            self._sandbox._call({"op": "sclose", "session": self._id}, self.limits, _ignore, cell)
        except (CellLost, SandboxUnavailable):
            pass
        finally:
            cell.sessions.discard(self._id)  # type: ignore[arg-type]

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _Waiter:
    """A caller waiting for a cell (compared by identity), ``pinned`` to its session's cell if it has one."""

    __slots__ = ("pinned",)

    def __init__(self, pinned: Cell | None) -> None:
        self.pinned = pinned


def _result(cell: Cell, reply: dict[str, Any]) -> ExecResult:
    return ExecResult.from_dict(reply)


def _session_result(cell: Cell, reply: dict[str, Any]) -> ExecResult | None:
    """The cell's result, or None when the zygote no longer has the session."""
    if "status" not in reply and "error" in reply:
        return None
    return ExecResult.from_dict(reply)


def _ignore(cell: Cell, reply: dict[str, Any]) -> None:
    return None
