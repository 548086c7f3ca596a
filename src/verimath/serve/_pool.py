"""``GradePool``: grading in worker processes with a hard deadline per item.

Owns the bounded queue of items, one driver thread per worker process, chunking (queued items are spread over
the workers, and single-item requests that arrive together travel together), and the deadline rule: a
worker whose current item runs past its budget plus a grace is killed with its whole process group (the
grader's SymPy helpers included) and replaced; that item is answered ``deadline``, the rest of its chunk is
graded again by the fresh worker, and no other worker or request waits for it. A worker that dies on its
own is replaced the same way; an item present at two deaths is answered ``error``.
Imports ``verimath.answers`` (its public API) and ``verimath.errors`` only.
"""

from __future__ import annotations

import contextlib
import math
import mmap
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection

from verimath.answers import Verdict
from verimath.errors import BudgetExceeded, VerimathError
from verimath.serve._worker import PROGRESS, STARTING

_POLL_S = 0.02
_START_S = 60.0
"""How often a driver checks its worker's progress against the deadline while waiting for a chunk."""


class QueueFull(BudgetExceeded):
    """The pool holds as many items as it may; try again after ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PoolClosed(VerimathError):
    """The pool is shutting down and takes no new work."""


@dataclass(frozen=True, slots=True)
class GradeItem:
    """One response to grade against one gold answer within ``timeout_s``."""

    response: str
    gold: str
    extract: bool = True
    timeout_s: float = 5.0


class GradeJob:
    """The items of one request; ``future`` resolves to their verdicts, in order, once all are graded."""

    __slots__ = ("_remaining", "cancelled", "future", "items", "verdicts")

    def __init__(self, items: Sequence[GradeItem]) -> None:
        self.items = items
        self.verdicts: list[Verdict | None] = [None] * len(items)
        self._remaining = len(items)
        self.cancelled = False
        self.future: Future[list[Verdict]] = Future()


_Entry = tuple[GradeJob, int]


class _Worker:
    """One grading process in its own session (so a kill takes its children with it)."""

    def __init__(self) -> None:
        parent_sock, child_sock = socket.socketpair()
        progress_fd = os.memfd_create("verimath-grade-progress")
        os.ftruncate(progress_fd, PROGRESS.size)
        os.pwrite(progress_fd, PROGRESS.pack(STARTING), 0)
        code = f"from verimath.serve._worker import main; main({child_sock.fileno()}, {progress_fd})"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=(child_sock.fileno(), progress_fd),
            env=env,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
        )
        child_sock.close()
        self.progress = mmap.mmap(progress_fd, PROGRESS.size)
        os.close(progress_fd)
        self.conn = Connection(parent_sock.detach())

    def send(self, chunk: list[tuple[str, str, bool, float]]) -> None:
        if self._progress() != STARTING:  # a worker still starting sets 0 itself once it is up
            PROGRESS.pack_into(self.progress, 0, 0)
        self.conn.send(chunk)

    def wait(self, hard_deadlines: list[float]) -> tuple[str, int, list[dict] | None]:
        """``("done", -1, verdict dicts)``, or ``("overran", i, None)`` / ``("died", i, None)`` naming the
        item the worker held. A fresh worker's start-up (slow on a loaded machine) does not count against
        the first item's deadline; one that is not up after ``_START_S`` is taken for dead."""
        current, since = self._progress(), time.monotonic()
        while True:
            if self.conn.poll(_POLL_S):
                try:
                    return "done", -1, self.conn.recv()
                except (EOFError, OSError):
                    return "died", self.held(), None
            index = self._progress()
            now = time.monotonic()
            if index != current:
                current, since = index, now
            if current == STARTING:
                if now - since > _START_S:
                    return "died", 0, None
            elif now - since > hard_deadlines[current]:
                return "overran", current, None

    def wait_up(self, until: float) -> None:
        """Return once the worker is up (or dead, or at ``until`` on the monotonic clock)."""
        while self._progress() == STARTING and self.proc.poll() is None and time.monotonic() < until:
            time.sleep(_POLL_S)

    def _progress(self) -> int:
        return PROGRESS.unpack_from(self.progress, 0)[0]

    def held(self) -> int:
        """The item the worker is on (the first one while it is starting)."""
        return max(self._progress(), 0)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.conn.close()
        self.progress.close()


class GradePool:
    """Worker processes grading queued items. ``submit(items)`` -> :class:`GradeJob` (raises
    :class:`QueueFull` beyond ``max_queued`` items); ``grade(items)`` waits for the verdicts; ``close()``."""

    def __init__(
        self, workers: int, *, max_queued: int = 100_000, chunk_items: int = 256, kill_grace_s: float = 0.25
    ) -> None:
        self.max_queued = max_queued
        self._chunk_items = chunk_items
        self._grace = kill_grace_s
        self._cond = threading.Condition()
        self._queue: deque[_Entry] = deque()
        self._in_flight = 0
        self._closed = False
        self._rate = 1000.0  # items/s, smoothed; only for Retry-After
        self.timeouts = 0
        self.worker_restarts = 0
        self._workers: list[_Worker | None] = [_Worker() for _ in range(workers)]
        up_by = time.monotonic() + _START_S
        for worker in self._workers:  # a pool is ready when its workers are: their start-up is not graded
            worker.wait_up(up_by)
        self._drivers = [
            threading.Thread(target=self._drive, args=(slot,), name=f"verimath-grade-{slot}", daemon=True)
            for slot in range(workers)
        ]
        for thread in self._drivers:
            thread.start()

    # -- public
    @property
    def queued(self) -> int:
        """Items waiting for a worker or being graded."""
        return len(self._queue) + self._in_flight

    @property
    def worker_pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w is not None]

    def submit(self, items: Sequence[GradeItem]) -> GradeJob:
        job = GradeJob(items)
        if not items:
            job.future.set_result([])
            return job
        with self._cond:
            if self._closed:
                raise PoolClosed("the grading pool is shutting down")
            if self.queued + len(items) > self.max_queued:
                wait = max(1.0, math.ceil(self.queued / self._rate))
                raise QueueFull(f"the grading queue is full ({self.queued} items)", wait)
            self._queue.extend((job, i) for i in range(len(items)))
            self._cond.notify_all()
        return job

    def cancel(self, job: GradeJob) -> int:
        """Drop ``job``'s items that no worker has taken yet (a client went away); returns how many."""
        with self._cond:
            job.cancelled = True
            job.future.cancel()
            before = len(self._queue)
            self._queue = deque(e for e in self._queue if e[0] is not job)
            return before - len(self._queue)

    def grade(self, items: Sequence[GradeItem]) -> list[Verdict]:
        return self.submit(items).future.result()

    def close(self) -> None:
        """Finish the queued items, then end every worker. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        for thread in self._drivers:
            if thread is not threading.current_thread():
                thread.join()
        for worker in self._workers:
            if worker is not None:
                worker.kill()

    def __enter__(self) -> GradePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- drivers
    def _take(self) -> list[_Entry] | None:
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            share = math.ceil(len(self._queue) / len(self._workers))
            want = max(1, min(self._chunk_items, share))
            taken: list[_Entry] = []
            while self._queue and len(taken) < want:
                taken.append(self._queue.popleft())
            self._in_flight += len(taken)
            return taken

    def _drive(self, slot: int) -> None:
        while (chunk := self._take()) is not None:
            started = time.monotonic()
            self._grade_chunk(slot, chunk)
            with self._cond:
                self._in_flight -= len(chunk)
                if chunk:
                    rate = len(chunk) * len(self._workers) / max(time.monotonic() - started, 1e-6)
                    self._rate = 0.9 * self._rate + 0.1 * rate

    def _grade_chunk(self, slot: int, chunk: list[_Entry]) -> None:
        todo = chunk
        deaths: dict[int, int] = {}
        while todo := [e for e in todo if not e[0].cancelled]:
            worker = self._workers[slot]
            if worker is None:
                worker = self._workers[slot] = _Worker()
            items = [job.items[i] for job, i in todo]
            started = time.monotonic()
            try:
                worker.send([(it.response, it.gold, it.extract, it.timeout_s) for it in items])
                outcome, held, verdicts = worker.wait([it.timeout_s + self._grace for it in items])
            except OSError:  # the worker died before it read the chunk
                outcome, held, verdicts = "died", 0, None
            if verdicts is not None:
                self._deliver([(e, Verdict.from_dict(d)) for e, d in zip(todo, verdicts, strict=True)])
                return
            worker.kill()
            self._workers[slot] = None
            self.worker_restarts += 1
            culprit = todo[held]
            if outcome == "overran":
                self.timeouts += 1
                budget_ms = round(items[held].timeout_s * 1000)
                reason = f"killed: grading overran its {budget_ms} ms deadline"
                self._deliver(
                    [(culprit, Verdict(False, None, "deadline", reason, time.monotonic() - started))]
                )
            else:
                deaths[id(culprit)] = deaths.get(id(culprit), 0) + 1
                if deaths[id(culprit)] < 2:
                    continue
                reason = "the grading worker died twice on this item"
                self._deliver([(culprit, Verdict(False, None, "error", reason, time.monotonic() - started))])
            todo = todo[:held] + todo[held + 1 :]

    def _deliver(self, graded: list[tuple[_Entry, Verdict]]) -> None:
        finished: list[GradeJob] = []
        with self._cond:
            for (job, i), verdict in graded:
                job.verdicts[i] = verdict
                job._remaining -= 1
                if job._remaining == 0 and not job.cancelled:
                    finished.append(job)
        for job in finished:
            if job.future.set_running_or_notify_cancel():
                job.future.set_result(job.verdicts)  # type: ignore[arg-type]
