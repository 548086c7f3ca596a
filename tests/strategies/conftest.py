"""Fixtures for strategy tests: the real sandbox, with a short and a very short limit per cell."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from verimath.sandbox import Limits, Sandbox


@pytest.fixture(scope="module")
def executor() -> Iterator[Sandbox]:
    """A sandbox with a 3 s limit per cell."""
    with Sandbox(limits=Limits(timeout_s=3.0), cells=2) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def quick_executor() -> Iterator[Sandbox]:
    """A sandbox with a 1 s limit per cell (for code that never terminates)."""
    with Sandbox(limits=Limits(timeout_s=1.0), cells=1) as sandbox:
        yield sandbox
