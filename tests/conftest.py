"""Shared fixtures: where the shared datasets live, and a helper to skip cleanly when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Beside the checkout by default; VERIMATH_SHARED_DATA points elsewhere (a worktree nested one level deeper).
SHARED_DATA = Path(os.environ.get("VERIMATH_SHARED_DATA")
                   or Path(__file__).resolve().parents[1].parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public datasets beside the checkout; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared datasets not found at {SHARED_DATA}")
    return SHARED_DATA


# Subprocesses started by tests (``python -m verimath ...``) must import this checkout's code, not whichever
# checkout happens to be pip-installed in editable mode.
_SRC = str(Path(__file__).resolve().parents[1] / "src")
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH")) if p)


@pytest.fixture(scope="session")
def tiny_hf_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local Hugging Face folder holding a tiny random-weight model (see ``tests/tiny_hf.py``); skips when
    torch or transformers is missing."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_hf import build

    return build(tmp_path_factory.mktemp("tiny-hf"))


@pytest.fixture(scope="session")
def tiny_llama_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local Hugging Face folder holding a tiny random-weight Llama (grouped-query attention; see
    ``tests/tiny_hf.py``); skips when torch or transformers is missing."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_hf import build

    return build(tmp_path_factory.mktemp("tiny-llama"), arch="llama")
