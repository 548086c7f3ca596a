"""The runner: attempts every (problem, sample) not yet stored, grades each, stores it as it finishes.

Work goes through an :class:`Executor` (local asyncio with bounded concurrency here;
``verimath.distributed.RayExecutor`` implements the same Protocol on a Ray cluster, building the same
:class:`AttemptWork` on each worker from its :class:`Recipe`). Jobs are generated lazily and results are
written one by one, so memory stays flat in the number of samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from verimath.errors import ModelUnavailable
from verimath.eval._grading import Grader
from verimath.eval._store import AttemptRecord, RunStore, StoredProblem, content_hash
from verimath.sandbox import ExecResult

if TYPE_CHECKING:  # types only: reading a run back (reports) needs no model or strategy code
    from verimath.models import Model
    from verimath.sandbox import Limits
    from verimath.strategies import Attempt, CodeExecutor, ExecSession, Strategy

EARLY_STOP = 3
"""A run whose first this many attempts (or all, when fewer) fail with one same error stops with it."""


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of work: sample ``sample`` of ``problem``."""

    problem: StoredProblem
    sample: int


@dataclass(frozen=True, slots=True)
class AttemptWork:
    """What the runner does with a job: attempt it with ``strategy``, grade the answer, make the record.
    ``recipe`` says how another process builds the same work (None: it can only run here)."""

    strategy: Strategy
    model: Model
    code_executor: CodeExecutor | None
    grader: Grader
    recipe: Recipe | None = None

    async def __call__(self, job: Job) -> AttemptRecord:
        start = time.perf_counter()
        try:
            attempt = await self.strategy.attempt(job.problem.question, self.model, self.code_executor)
        except ModelUnavailable as exc:
            return AttemptRecord.failure(job.problem.id, job.sample, str(exc), time.perf_counter() - start)
        # a slow check must not stall
        verdict = await asyncio.to_thread(self.grader, attempt.answer, job.problem.gold)
        return AttemptRecord(job.problem.id, job.sample, attempt.answer, verdict.correct, self.grader.version,
                             verdict, attempt.verification, attempt.error, exec_failures(attempt),
                             attempt.usage.total_tokens, attempt.code_calls, attempt.wall_s,
                             attempt.to_dict())


@dataclass(frozen=True, slots=True)
class Recipe:
    """How to build the same :class:`AttemptWork` in another process or on another machine: the model spec and
    its options, the strategy, the sandbox limits (None when the strategy runs no code) and the grader. All
    picklable values; no open client, sandbox or store."""

    model: str
    model_options: Mapping[str, Any]
    strategy: Strategy
    limits: Limits | None
    grader: Grader

    @contextlib.contextmanager
    def build(self, *, cells: int = 1) -> Iterator[AttemptWork]:
        """The work with its own model client and (for strategies that run code) its own sandbox of ``cells``
        cells, closed on exit. Execution results are not cached here: the cache lives in the run store."""
        from verimath.models import load_model
        from verimath.sandbox import Sandbox

        model = load_model(self.model, **self.model_options)
        with contextlib.ExitStack() as stack:
            sandbox = None if self.limits is None else stack.enter_context(Sandbox(self.limits, cells=cells))
            yield AttemptWork(self.strategy, model, sandbox, self.grader, self)


class Executor(Protocol):
    """Runs jobs and yields their results as they finish (in any order)."""

    def map(self, jobs: Iterable[Job], work: Callable[[Job], Awaitable[AttemptRecord]]
            ) -> AsyncGenerator[AttemptRecord, None]:
        """``work`` is an :class:`AttemptWork` when called by the runner; an executor that runs jobs
        elsewhere rebuilds it there from its ``recipe``."""
        ...


@dataclass(frozen=True, slots=True)
class LocalExecutor:
    """asyncio in this process, at most ``concurrency`` jobs in flight; pulls jobs lazily. When the consumer
    stops (Ctrl-C, an error), the jobs in flight are cancelled."""

    concurrency: int = 8

    async def map(self, jobs: Iterable[Job], work: Callable[[Job], Awaitable[AttemptRecord]]
                  ) -> AsyncGenerator[AttemptRecord, None]:
        pending: set[asyncio.Task[AttemptRecord]] = set()
        source = iter(jobs)
        try:
            while True:
                for job in source:
                    pending.add(asyncio.ensure_future(work(job)))
                    if len(pending) >= self.concurrency:
                        break
                if not pending:
                    return
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*pending, return_exceptions=True)


def exec_failures(attempt: Attempt) -> int:
    """Code cells of an attempt that did not finish ``ok`` (an exception, a timeout, a limit)."""
    return sum(1 for cell in attempt.cells if cell.status != "ok")


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run stands: attempts graded (this session and before), correct ones, errors (attempts that
    could not be made), and the total to do."""

    done: int
    correct: int
    total: int
    errors: int = 0


async def run_eval(store: RunStore, problems: Iterable[StoredProblem], *, n: int, strategy: Strategy,
                   model: Model, code_executor: CodeExecutor | None, grader: Grader,
                   executor: Executor | None = None, on_progress: Callable[[Progress], None] | None = None,
                   retry_errors: bool = True, recipe: Recipe | None = None) -> Progress:
    """Attempt each problem ``n`` times, skipping samples already stored; store each graded attempt as it
    finishes. Returns the final progress (its total is 0 when ``problems`` has no length). Problems are read
    lazily, so memory stays flat.

    An attempt the model could not be asked for (``ModelUnavailable``) is stored as an error; stored errors
    are attempted again unless ``retry_errors`` is false. When the first attempts of this session (up to
    ``EARLY_STOP``) all fail with the same error, the run stops by raising it. Any other exception from a
    strategy stops the run; what finished is kept, and running again resumes. ``recipe`` (how to build the
    same work in another process) is what an executor that runs jobs elsewhere needs."""
    counts = store.counts(below=n)
    kept = 0 if retry_errors else counts.errors
    total = len(problems) * n if isinstance(problems, Sized) else 0
    state = Progress(counts.attempts, counts.correct, total, kept)

    def jobs() -> Iterator[Job]:
        for problem in problems:
            store.add_problem(problem)
            finished = store.done(problem.id, keep_errors=not retry_errors)
            for sample in range(n):
                if sample not in finished:
                    yield Job(problem, sample)

    work = AttemptWork(strategy, model, code_executor, grader, recipe)

    if on_progress:
        on_progress(state)
    failures: list[str] = []  # this session's first results, while every one is the same error
    uniform = True
    async with contextlib.aclosing((executor or LocalExecutor()).map(jobs(), work)) as results:
        async for record in results:
            store.add_attempt(record)
            state = Progress(state.done + (not record.errored), state.correct + record.correct, state.total,
                             state.errors + record.errored)
            if on_progress:
                on_progress(state)
            if uniform and record.errored and (not failures or record.error == failures[0]):
                failures.append(str(record.error))
                if len(failures) >= EARLY_STOP:
                    raise ModelUnavailable(_stopped(failures))
            else:
                uniform = False
    if uniform and failures:
        raise ModelUnavailable(_stopped(failures))
    return state


def _stopped(failures: list[str]) -> str:
    return (f"{failures[0]} (the first {len(failures)} attempts all failed this way, so the run stopped; "
            f"they are stored as errors and the next run of this command retries them)")


# -- execution cache -----------------------------------------------------------------------------------------
class CachingExecutor:
    """Wraps a code executor so that results are cached in the run store by content hash: a one-shot cell by
    its code, a session cell by every cell of the session up to it. A session opens its real session only on a
    miss, replaying the earlier cells first, so state is always right."""

    def __init__(self, inner: CodeExecutor, store: RunStore, *, salt: str = "") -> None:
        self._inner, self._store, self._salt = inner, store, salt

    def run(self, code: str) -> ExecResult:
        return self._lookup(("run", self._salt, code), lambda: self._inner.run(code))

    def _lookup(self, parts: tuple[Any, ...], compute: Callable[[], ExecResult]) -> ExecResult:
        key = content_hash(*parts)
        hit = self._store.cached(key)
        if hit is not None:
            return ExecResult.from_dict(hit)
        result = compute()
        self._store.cache(key, result.to_dict())
        return result

    @contextlib.contextmanager
    def session(self) -> Iterator[_CachedSession]:
        with contextlib.ExitStack() as stack:
            yield _CachedSession(self, stack)


class _CachedSession:
    def __init__(self, owner: CachingExecutor, stack: contextlib.ExitStack) -> None:
        self._owner, self._stack = owner, stack
        self._cells: list[str] = []
        self._real: ExecSession | None = None
        self._applied = 0  # cells of the history the real session has run

    def run(self, code: str) -> ExecResult:
        history = tuple(self._cells)
        self._cells.append(code)
        return self._owner._lookup(("session", self._owner._salt, history, code),
                                   lambda: self._live(history, code))

    def _live(self, history: tuple[str, ...], code: str) -> ExecResult:
        if self._real is None:
            self._real = self._stack.enter_context(self._owner._inner.session())
        for cell in history[self._applied:]:
            self._real.run(cell)
        self._applied = len(history) + 1
        return self._real.run(code)


def session_info() -> dict[str, Any]:
    """Facts about this invocation for the manifest: host, Python, time."""
    import platform

    return {"host": platform.node(), "python": platform.python_version(), "platform": platform.platform(),
            "unix_time": time.time()}
