"""Fixtures for the serve tests: one ``verimath serve`` subprocess (two workers, sandbox on) for the session,
and real grading pairs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from serve_helpers import CliServer

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="session")
def server() -> Iterator[CliServer]:
    s = CliServer("--workers", "2")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def real_pairs() -> list[tuple[str, str]]:
    """(model solution, gold) pairs from GSM8K model answers; skips when the shared data is absent."""
    path = DATA / "gsm8k_model_answer_grading.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    rows = [json.loads(line) for line in path.open()][:300]
    return [(r["model_solution"], r["gold_answer"]) for r in rows]
