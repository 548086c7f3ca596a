"""Fixtures for strategy tests: a code executor (the real Sandbox when present) and scripted servers."""

from __future__ import annotations

from collections.abc import Iterator

import _stand_ins
import pytest


def make_executor(timeout_s: float = 5.0):
    try:
        from verimath.sandbox import Limits, Sandbox
    except ImportError:  # until verimath.sandbox lands on main
        return _stand_ins.LocalExecutor(timeout_s)
    return Sandbox(limits=Limits(timeout_s=timeout_s))


def _closing(timeout_s: float) -> Iterator[object]:
    ex = make_executor(timeout_s)
    yield ex
    close = getattr(ex, "close", None)
    if close is not None:
        close()


@pytest.fixture(scope="module")
def executor() -> Iterator[object]:
    """A code executor with a 3 s limit per cell."""
    yield from _closing(3.0)


@pytest.fixture(scope="module")
def quick_executor() -> Iterator[object]:
    """A code executor with a 1 s limit per cell (for code that never terminates)."""
    yield from _closing(1.0)
