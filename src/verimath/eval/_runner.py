"""The runner: attempts every (problem, sample) not yet stored, grades each, stores it as it finishes.

Work goes through an :class:`Executor` (local asyncio with bounded concurrency here; a distributed backend such
as Ray implements the same Protocol without touching strategies). Jobs are generated lazily and results are
written one by one, so memory stays flat in the number of samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from verimath.eval._store import AttemptRecord, RunStore, StoredProblem, content_hash


class AttemptLike(Protocol):
    """What the runner reads of a strategy's ``Attempt``."""

    answer: str | None
    verification: str | None
    error: str | None
    code_calls: int
    wall_s: float

    def to_dict(self) -> dict[str, Any]: ...


class StrategyLike(Protocol):
    """A reasoning strategy: ``verimath.strategies.Strategy``."""

    @property
    def name(self) -> str: ...

    async def attempt(self, question: str, model: Any, executor: Any) -> AttemptLike: ...


class Grader(Protocol):
    """Judges a bare answer against the gold answer; ``version`` is stored with every verdict."""

    @property
    def version(self) -> str: ...

    def __call__(self, answer: str | None, gold: str) -> Mapping[str, Any]:
        """A verdict dict with at least ``correct``; also ``extracted``, ``method``, ``reason``, ``elapsed``."""
        ...


def grader_version() -> str:
    """``answers-<hash>``: a hash of ``verimath.answers``'s source, so any change to the grader shows."""
    import verimath.answers as answers

    digest = hashlib.sha256()
    for path in sorted(Path(answers.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return f"answers-{digest.hexdigest()[:12]}"


@dataclass(frozen=True, slots=True)
class AnswerGrader:
    """The default grader: ``verimath.answers.grade`` on the bare answer, within ``budget`` seconds."""

    budget: float = 1.0
    version: str = ""

    def __call__(self, answer: str | None, gold: str) -> Mapping[str, Any]:
        from verimath.answers import grade

        if not answer or not answer.strip():
            return {"correct": False, "extracted": None, "method": "no-answer", "reason": "", "elapsed": 0.0}
        v = grade(answer, gold, budget=self.budget, extract_answer=False)
        return {"correct": v.correct, "extracted": v.extracted, "method": v.method, "reason": v.reason,
                "elapsed": v.elapsed}


def default_grader(budget: float = 1.0) -> AnswerGrader:
    return AnswerGrader(budget, grader_version())


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of work: sample ``sample`` of ``problem``."""

    problem: StoredProblem
    sample: int


class Executor(Protocol):
    """Runs jobs and yields their results as they finish (in any order)."""

    def map(self, jobs: Iterable[Job], work: Callable[[Job], Awaitable[AttemptRecord]]
            ) -> AsyncGenerator[AttemptRecord, None]:
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


def exec_failures(attempt: Mapping[str, Any]) -> int:
    """Code cells of an attempt's trace that did not finish ``ok`` (an exception, a timeout, a limit)."""
    return sum(1 for step in attempt.get("trace", ()) if isinstance(step, Mapping) and step.get("kind") == "code"
               and (step.get("result") or {}).get("status", "ok") != "ok")


def _tokens(attempt: Mapping[str, Any]) -> int:
    usage = attempt.get("usage") or {}
    if isinstance(usage, Mapping):
        return int(usage.get("total_tokens") or usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0))
    return int(usage)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run stands: attempts stored (this session and before), correct ones, and the total to do."""

    done: int
    correct: int
    total: int


async def run_eval(store: RunStore, problems: Iterable[StoredProblem], *, n: int, strategy: StrategyLike,
                   model: Any, code_executor: Any, grader: Grader, executor: Executor | None = None,
                   on_progress: Callable[[Progress], None] | None = None) -> Progress:
    """Attempt each problem ``n`` times, skipping samples already stored; store each graded attempt as it
    finishes. Returns the final progress (its total is 0 when ``problems`` has no length). Problems are read
    lazily, so memory stays flat. An exception from a strategy stops the run; what finished is kept, and
    running again resumes."""
    _, done, correct = store.counts(below=n)
    state = Progress(done, correct, len(problems) * n if isinstance(problems, Sized) else 0)

    def jobs() -> Iterator[Job]:
        for problem in problems:
            store.add_problem(problem)
            finished = store.done(problem.id)
            for sample in range(n):
                if sample not in finished:
                    yield Job(problem, sample)

    async def work(job: Job) -> AttemptRecord:
        attempt = await strategy.attempt(job.problem.question, model, code_executor)
        verdict = await asyncio.to_thread(grader, attempt.answer, job.problem.gold)  # a slow check must not stall
        data = attempt.to_dict()
        return AttemptRecord(job.problem.id, job.sample, attempt.answer, bool(verdict["correct"]), grader.version,
                             dict(verdict), attempt.verification, attempt.error, exec_failures(data),
                             _tokens(data), attempt.code_calls, attempt.wall_s, data)

    if on_progress:
        on_progress(state)
    async with contextlib.aclosing((executor or LocalExecutor()).map(jobs(), work)) as results:
        async for record in results:
            store.add_attempt(record)
            state = Progress(state.done + 1, state.correct + record.correct, state.total)
            if on_progress:
                on_progress(state)
    return state


# -- execution cache ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CachedResult:
    """An execution result replayed from the cache (the fields strategies read, and ``to_dict``)."""

    data: Mapping[str, Any]

    @property
    def status(self) -> str:
        return str(self.data.get("status", "ok"))

    @property
    def stdout(self) -> str:
        return str(self.data.get("stdout", ""))

    @property
    def stderr(self) -> str:
        return str(self.data.get("stderr", ""))

    @property
    def error(self) -> Any:
        return self.data.get("error")

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


class CachingExecutor:
    """Wraps a code executor (``run(code)``, ``session()``) so that results are cached in the run store by
    content hash: a one-shot cell by its code, a session cell by every cell of the session up to it. A session
    opens its real session only on a miss, replaying the earlier cells first, so state is always right."""

    def __init__(self, inner: Any, store: RunStore, *, salt: str = "") -> None:
        self._inner, self._store, self._salt = inner, store, salt

    def run(self, code: str) -> Any:
        return self._lookup(("run", self._salt, code), lambda: self._inner.run(code))

    def _lookup(self, parts: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        key = content_hash(*parts)
        hit = self._store.cached(key)
        if hit is not None:
            return CachedResult(hit)
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
        self._real: Any = None
        self._applied = 0  # cells of the history the real session has run

    def run(self, code: str) -> Any:
        history = tuple(self._cells)
        self._cells.append(code)
        return self._owner._lookup(("session", self._owner._salt, history, code), lambda: self._live(history, code))

    def _live(self, history: tuple[str, ...], code: str) -> Any:
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
