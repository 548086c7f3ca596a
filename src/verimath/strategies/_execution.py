"""What strategies need from a sandbox (``CodeExecutor``/``ExecSession``), and how a result is shown to a
model.

``verimath.sandbox.Sandbox`` satisfies these protocols; so can any executor with the same shape that returns
``verimath.sandbox.ExecResult`` values (a cache replaying stored results, a remote executor).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from verimath.sandbox import ExecResult


@runtime_checkable
class ExecSession(Protocol):
    """Python state kept across cells."""

    def run(self, code: str) -> ExecResult: ...


@runtime_checkable
class CodeExecutor(Protocol):
    """Runs code: one-shot with ``run``, statefully in a ``session()``."""

    def run(self, code: str) -> ExecResult: ...

    def session(self) -> AbstractContextManager[ExecSession]: ...


async def run_code(runner: CodeExecutor | ExecSession, code: str) -> ExecResult:
    """Run ``code`` without blocking the event loop: the runner's ``arun`` when it has one, else a thread."""
    arun = getattr(runner, "arun", None)
    if arun is not None:
        return await arun(code)
    return await asyncio.to_thread(runner.run, code)


@contextlib.asynccontextmanager
async def open_session(executor: CodeExecutor) -> AsyncIterator[ExecSession]:
    """Open a stateful session without blocking the event loop (the executor's ``asession`` if it has one)."""
    asession = getattr(executor, "asession", None)
    if asession is not None:
        async with asession() as session:
            yield session
        return
    manager = await asyncio.to_thread(executor.session)  # opening may acquire a cell or fork: off the loop
    session = await asyncio.to_thread(manager.__enter__)
    try:
        yield session
    except BaseException as exc:
        await asyncio.to_thread(manager.__exit__, type(exc), exc, exc.__traceback__)
        raise
    else:
        await asyncio.to_thread(manager.__exit__, None, None, None)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping its head and tail (where tracebacks and final
    values are) and saying how much was left out."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    omitted = len(text) - head - tail
    return f"{text[:head]}\n... [{omitted} characters omitted] ...\n{text[-tail:]}"


def describe(result: ExecResult, *, limit: int) -> str:
    """The text a model sees for a result: printed output, then the error line (``NameError: ...``) or what
    stopped the cell. Tracebacks are reduced to their last line, as a REPL user would read them first."""
    parts = [result.stdout.rstrip("\n")] if result.stdout.strip() else []
    status = result.status
    if status == "error":
        err = result.error
        if err is not None:
            parts.append(f"{err.type}: {err.message}".rstrip(": "))
        elif result.stderr.strip():
            parts.append(result.stderr.strip().splitlines()[-1])
    elif status == "timeout":
        parts.append("TimeoutError: the code ran past the time limit and was stopped")
    elif status == "memory":
        parts.append("MemoryError: the code ran past the memory limit and was stopped")
    elif status == "killed":
        parts.append("the code was killed by the sandbox")
    elif not parts:
        parts.append("[no output: print() the values you need]")
    return truncate("\n".join(parts), limit)


_BLOCK = re.compile(r"```(?:python|py)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)
_ANY_BLOCK = re.compile(r"```[a-zA-Z0-9_+-]*[ \t]*\n(.*?)```", re.DOTALL)


def code_blocks(text: str) -> list[tuple[str, int]]:
    """The ```python blocks of ``text`` (an unclosed last block runs to the end), each with its end offset."""
    return [(m.group(1).strip("\n"), m.end()) for m in _BLOCK.finditer(text) if m.group(1).strip()]


def program_in(text: str) -> str | None:
    """The program a model wrote: its last ```python block, else its last fenced block, else ``None``."""
    blocks = code_blocks(text)
    if blocks:
        return blocks[-1][0]
    other = [m.group(1).strip("\n") for m in _ANY_BLOCK.finditer(text) if m.group(1).strip()]
    return other[-1] if other else None
