"""Fixtures for the sandbox tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_helpers import Contained


@pytest.fixture(scope="module")
def contained() -> Iterator[Contained]:
    """The sandbox with the strongest isolation this machine offers, inside the test's own containment."""
    c = Contained("auto")
    yield c
    c.close()
